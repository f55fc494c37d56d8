"""Quality assurance sampling of finalised supervision records (rule Q4; Surrey's policy:
"supervision audits ... to ensure that supervision is reflective and addresses the needs of
children and their families and of the staff member working with them").

Who may do what (decided in `access.quality`):

- Drawing. A senior manager draws from the finalised records of staff whose unit is at or
  below a unit they oversee (`units_overseen_by`). A quality assurance auditor draws from the
  files they hold a current access grant for (in its period, not revoked: what the access layer
  honours today), and from nothing else, whatever other role they have. Nobody samples records
  of their own supervision, as supervisee or supervisor: an audit is a second pair of eyes.
  System administrators draw nothing (they read no file at all, supervision/access.py).
- Seeing. A sample, its reviews and its results are seen by the person who drew it, and by
  the senior managers whose reach covers it: for a sample drawn from a unit, those overseeing
  that unit; for an auditor's sample (which has no unit), those overseeing the team of every
  record in it, so a head of service sees an auditor's findings on their own service but not a
  sample that also covers someone else's. Anyone else: not found.
- Reviewing. Only the person who drew the sample answers its form, and may change the answers
  for as long as they may still open the record (an auditor's grant ending ends it too: an
  answer about a record nobody can check is not an audit). Each save is audited with the
  answers before and after. The answers are judgements, not record text; the comments are
  never put in the audit log, since a reviewer may quote the record.

The draw is random but repeatable: candidates are ordered by id and sampled without
replacement by `random.Random(seed)`, and the seed is kept on the sample. The same seed, part
of the organisation, period and size over the same records gives the same sample.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from access.quality import (  # noqa: F401 - the pages call them through this module
    drew,
    granted_people,
    may_change_review,
    may_draw_from_grants,
    may_use_quality,
    units_to_draw_from,
    visible_samples,
)
from oversight.models import QualityAnswer, QualityReview, QualitySample
from supervision.models import SupervisionRecord, Unit, User
from supervision.organisation import audit

MAX_SIZE = 50
QUESTIONS = QualityReview.QUESTIONS
FIELDS = tuple(field for field, _ in QUESTIONS)
ANSWERS = tuple(QualityAnswer)
# What the error summary says for a question left unanswered.
QUESTION_ERRORS = {
    "reflective": "Select whether the supervision is reflective",
    "childs_voice": "Select whether the child's voice is heard",
    "actions_smart": "Select whether the actions are SMART",
    "wellbeing_discussed": "Select whether the supervisee's wellbeing was discussed",
}
FROM_REQUIRED = "Enter the first date records were finalised"
TO_REQUIRED = "Enter the last date records were finalised"
SIZE_ERROR = f"Enter a number of records from 1 to {MAX_SIZE}"
UNIT_ERROR = "Choose the part of the organisation to draw from"
GRANTS = "the files you hold an access grant for"


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# Reach: access.quality decides; these names stay here for the pages and tests that use them.


# --- Drawing --------------------------------------------------------------------------------


def _day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """From the start of `first` to the start of the day after `last`, in local time, so the
    comparison uses the finalised_at column as it is (and any index on it)."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


def period_errors(finalised_from, finalised_to, today: date) -> dict[str, str]:
    errors = {}
    if finalised_from and finalised_from > today:
        errors["finalised_from"] = "The start date must be today or in the past"
    if finalised_to and finalised_to > today:
        errors["finalised_to"] = "The end date must be today or in the past"
    if finalised_from and finalised_to and finalised_to < finalised_from:
        errors.setdefault("finalised_to", "Enter an end date on or after the start date")
    return errors


def candidate_records(*, by, unit: Unit | None, finalised_from: date, finalised_to: date):
    """The finalised records `by` may sample, as (record id, supervisee's unit id), by id."""
    start, end = _day_bounds(finalised_from, finalised_to)
    records = (
        SupervisionRecord.objects.filter(
            status=SupervisionRecord.Status.FINALISED,
            finalised_at__gte=start,
            finalised_at__lt=end,
            session__supervisee__profile__isnull=False,
        )
        .exclude(session__supervisee=by)
        .exclude(session__supervisor=by)
    )
    if unit is not None:
        records = records.filter(session__supervisee__profile__unit__path__startswith=unit.path)
    else:
        # Only what a current grant opens: in its period, not revoked, the permission held.
        records = records.filter(session__supervisee__in=granted_people(by).values("pk"))
    return list(records.order_by("pk").values_list("pk", "session__supervisee__profile__unit_id"))


def sample_draw(
    *,
    by,
    unit: Unit | None,
    finalised_from: date,
    finalised_to: date,
    size: int,
    seed: str | None = None,
    request=None,
) -> QualitySample:
    """Draw `size` finalised records at random (all of them, if there are fewer)."""
    if not may_use_quality(by):
        raise PermissionDenied("Only senior managers and auditors draw quality samples.")
    errors = {}
    if unit is None:
        if not may_draw_from_grants(by):
            errors["unit"] = UNIT_ERROR
    elif unit.pk not in {each.pk for each in units_to_draw_from(by)}:
        errors["unit"] = UNIT_ERROR
    if finalised_from is None:
        errors["finalised_from"] = FROM_REQUIRED
    if finalised_to is None:
        errors["finalised_to"] = TO_REQUIRED
    errors.update(period_errors(finalised_from, finalised_to, timezone.localdate()))
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SIZE:
        errors["size"] = SIZE_ERROR
    if errors:
        raise ValidationError(errors)

    candidates = candidate_records(
        by=by, unit=unit, finalised_from=finalised_from, finalised_to=finalised_to
    )
    if not candidates:
        where = unit.name if unit is not None else GRANTS
        raise ValidationError(
            {
                "finalised_from": (
                    f"There are no finalised records in {where} between "
                    f"{long_date(finalised_from)} and {long_date(finalised_to)}. "
                    "Choose a longer period"
                )
            }
        )
    seed = seed or secrets.token_hex(8)
    ids = [record_id for record_id, _ in candidates]
    chosen = random.Random(seed).sample(ids, min(size, len(ids)))
    unit_of = dict(candidates)
    with transaction.atomic():
        sample = QualitySample.objects.create(
            drawn_by=by,
            drawn_at=timezone.now(),
            unit=unit,
            finalised_from=finalised_from,
            finalised_to=finalised_to,
            size=size,
            seed=seed,
        )
        QualityReview.objects.bulk_create(
            QualityReview(sample=sample, record_id=record_id, unit_id=unit_of[record_id])
            for record_id in chosen
        )
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="quality_sample",
            object_id=sample.pk,
            detail={
                "change": "drawn",
                "unit": unit.pk if unit is not None else None,
                "finalised_from": finalised_from.isoformat(),
                "finalised_to": finalised_to.isoformat(),
                "size": size,
                "available": len(ids),
                "drawn": len(chosen),
                "seed": seed,
            },
        )
    return sample


def drawn_message(drawn: int, asked: int) -> str:
    if drawn >= asked:
        return f"Sample of {drawn} record{'s' if drawn != 1 else ''} drawn"
    if drawn == 1:
        return "Only 1 finalised record in that period: it is in the sample"
    return f"Only {drawn} finalised records in that period: all {drawn} are in the sample"


# --- Reviewing ------------------------------------------------------------------------------


def review_save(
    *, review: QualityReview, by, answers: dict, comments: str = "", request=None
) -> QualityReview:
    """Save the answers to one sampled record's form, first time or changed."""
    supervisee_id = (
        SupervisionRecord.objects.filter(pk=review.record_id)
        .values_list("session__supervisee_id", flat=True)
        .first()
    )
    if not may_change_review(by, review, supervisee_id):
        raise PermissionDenied("Only the person who drew the sample answers its form.")
    errors, clean = {}, {}
    for field in FIELDS:
        value = answers.get(field)
        if value not in QualityAnswer.values:
            errors[field] = QUESTION_ERRORS[field]
        else:
            clean[field] = value
    if errors:
        raise ValidationError(errors)
    comments = (comments or "").strip()
    with transaction.atomic():
        current = QualityReview.objects.select_for_update().get(pk=review.pk)
        before = {field: getattr(current, field) for field in FIELDS}
        was_reviewed = current.is_done
        comments_changed = current.comments != comments
        for field, value in clean.items():
            setattr(current, field, value)
        current.comments = comments
        current.reviewer = by
        current.reviewed_at = timezone.now()
        current.full_clean()
        current.save()
        detail = {
            "change": "changed" if was_reviewed else "reviewed",
            "sample": current.sample_id,
            "record": current.record_id,
            "answers": clean,
            "comments_changed": comments_changed,
        }
        if was_reviewed:
            detail["before"] = before
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="quality_review",
            object_id=current.pk,
            subject=User.objects.filter(pk=supervisee_id).first() if supervisee_id else None,
            detail=detail,
        )
    return current


# --- Results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerFigure:
    count: int
    share: int | None  # whole per cent of the records reviewed; None when none are


@dataclass(frozen=True)
class ResultRow:
    name: str
    sampled: int
    reviewed: int
    # One entry per question, in QUESTIONS order: (question, [Yes, Partly, No] figures).
    questions: tuple[tuple[str, tuple[AnswerFigure, ...]], ...]


def _share(count: int, reviewed: int) -> int | None:
    return round(count * 100 / reviewed) if reviewed else None


def _row(name: str, figures: dict) -> ResultRow:
    reviewed = figures["reviewed"]
    return ResultRow(
        name=name,
        sampled=figures["sampled"],
        reviewed=reviewed,
        questions=tuple(
            (
                question,
                tuple(
                    AnswerFigure(
                        figures[f"{field}_{answer.value}"],
                        _share(figures[f"{field}_{answer.value}"], reviewed),
                    )
                    for answer in ANSWERS
                ),
            )
            for field, question in QUESTIONS
        ),
    )


def results_by_team(reviews: QuerySet) -> tuple[list[ResultRow], ResultRow | None]:
    """One row per team (the supervisee's team when drawn) and a total: one query, the
    counting done by the database however many reviews there are."""
    done = Q(reviewed_at__isnull=False)
    counts = {"sampled": Count("pk"), "reviewed": Count("pk", filter=done)}
    for field in FIELDS:
        for answer in ANSWERS:
            counts[f"{field}_{answer.value}"] = Count("pk", filter=done & Q(**{field: answer}))
    found = list(
        reviews.order_by()
        .values("unit_id", "unit__name", "unit__path")
        .annotate(**counts)
        .order_by("unit__path")
    )
    if not found:
        return [], None
    rows = [_row(each["unit__name"], each) for each in found]
    # Each review has one team, so the rows do not overlap and the total is their sum.
    total = _row("All teams", {key: sum(each[key] for each in found) for key in counts})
    return rows, total


# --- Pages ----------------------------------------------------------------------------------


def samples_for_overview(user, drawn_from: date, drawn_to: date) -> list[QualitySample]:
    """The samples `user` may see drawn in the period, each with its counts: one query."""
    start, end = _day_bounds(drawn_from, drawn_to)
    return list(
        visible_samples(user)
        .filter(drawn_at__gte=start, drawn_at__lt=end)
        .select_related("drawn_by", "unit")
        .annotate(
            records=Count("reviews"),
            reviewed=Count("reviews", filter=Q(reviews__reviewed_at__isnull=False)),
        )
        .order_by("-drawn_at", "-pk")
    )


def reviews_of_samples(sample_ids: list[int]) -> QuerySet:
    return QualityReview.objects.filter(sample_id__in=sample_ids)


def sample_reviews(sample: QualitySample) -> list[QualityReview]:
    """The sampled records with who and when (never what they say): one query."""
    return list(
        sample.reviews.select_related(
            "unit", "record__session__supervisee", "record__session__supervisor"
        ).order_by("record__session__starts_at", "pk")
    )


def a_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


# --- Demo -----------------------------------------------------------------------------------
