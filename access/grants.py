"""Time-limited access grants: read access to one person's file for a period, given to
someone outside the line (a quality-assurance auditor, an inspector). The grant is a
django-guardian object permission; its row holds the period, and only inside the period, not
revoked, does it open anything."""

from datetime import date

from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from access.people import may_read_content, today
from supervision.models import AccessGrant, User


def current_grants(user, day: date | None = None) -> QuerySet:
    """The grants `user` holds on `day` (a leaver and an administrator hold none)."""
    day = day or today()
    if not may_read_content(user, day):
        return AccessGrant.objects.none()
    return AccessGrant.objects.filter(
        grantee=user, starts_on__lte=day, ends_on__gte=day, revoked_at__isnull=True
    )


def granted(user, day: date | None = None) -> Q:
    """People whose files a grant opens to `user` on `day`: a Q over User."""
    day = day or today()
    if not may_read_content(user, day):
        return Q(pk__in=[])
    permitted = get_objects_for_user(
        user,
        "supervision.read_supervision_file",
        klass=User,
        accept_global_perms=False,
        with_superuser=False,
    )
    return Q(pk__in=permitted.values("pk")) & Q(pk__in=current_grants(user, day).values("subject"))


def granted_files(user, day: date | None = None) -> QuerySet:
    return User.objects.filter(granted(user, day), profile__isnull=False)


def grant_opens_personal_sections(user, person, day: date | None = None) -> bool:
    return (
        current_grants(user, day).filter(subject=person, includes_personal_sections=True).exists()
    )
