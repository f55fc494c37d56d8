"""Quality-assurance samples (rule Q4): who draws, who sees, who reviews.

- Drawing: a senior manager from the finalised records of staff at or below a unit they
  oversee; an auditor from the files they hold a current grant for, and nothing else; nobody
  from their own supervision; administrators and leavers nothing.
- Seeing: the person who drew the sample, and the senior managers whose reach covers it (for
  an auditor's sample, those overseeing the team of every record in it).
- Reviewing: only the person who drew it, while they may still open the record.
"""

from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from access.files import Action, restrict_files
from access.grants import granted
from access.people import may_read_content, today
from access.roles import roles_for
from access.units import managed_paths, under, units_overseen_by
from oversight.models import QualityReview, QualitySample
from supervision.models import Unit, User


def may_use_quality(user) -> bool:
    """The quality assurance pages are for senior managers and auditors."""
    if not may_read_content(user):
        return False
    roles = roles_for(user)
    return roles.senior_manager or roles.auditor


def may_draw_from_grants(user) -> bool:
    return may_use_quality(user) and roles_for(user).auditor


def units_to_draw_from(user) -> list[Unit]:
    if not may_use_quality(user) or not roles_for(user).senior_manager:
        return []
    return list(units_overseen_by(user))


def granted_people(user, day: date | None = None) -> QuerySet:
    """The people whose records an auditor's current grants open."""
    return User.objects.filter(granted(user, day or today()))


def visible_samples(user) -> QuerySet:
    """The samples `user` may see: their own, and those inside their oversight."""
    if not may_use_quality(user):
        return QualitySample.objects.none()
    visible = Q(drawn_by=user)
    paths = managed_paths(user, exclude_teams=True)
    if paths:
        reviews_outside = QualityReview.objects.filter(sample=OuterRef("pk")).exclude(
            under(paths, "unit__path")
        )
        visible |= under(paths, "unit__path") | (
            Q(unit__isnull=True)
            & Q(Exists(QualityReview.objects.filter(sample=OuterRef("pk"))))
            & ~Q(Exists(reviews_outside))
        )
    return QualitySample.objects.filter(visible)


def drew(user, sample: QualitySample) -> bool:
    """Whether `user` drew the sample (and so answers its forms)."""
    return sample.drawn_by_id == user.pk


def may_change_review(user, review: QualityReview, supervisee_id: int) -> bool:
    """The person who drew the sample, while they may still open the record."""
    return (
        drew(user, review.sample)
        and may_use_quality(user)
        and restrict_files(user, Action.VIEW).filter(pk=supervisee_id).exists()
    )
