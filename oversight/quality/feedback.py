"""Supervisee feedback on the supervision they receive (rule Q4).

What staff are promised, and what these rules keep true: "Your answers are only ever shown
added up with at least four other people's."

- A group's figures are shown only when at least MINIMUM_GROUP people in it have answered.
- The report's groups do not overlap: each row is the staff of one unit itself, never a unit
  together with the units below it, and there is no grand total. Were a service's row to
  include its teams, the service's figures minus those of its teams shown would give the
  answers of a team too small to show; with disjoint rows no figure is the sum of others, so
  nothing can be subtracted. (Suppressing the complementary cells would also work, but it has
  to hold across every senior manager's view at once, which disjoint rows give for free.)
- Averages for the quarter still under way are withheld until it ends. While answers are
  still arriving, reading the page before and after one person answers (5 responses, then 6)
  gives that person's answers exactly; once the quarter is over its figures never change.
- Free-text comments are never shown, at any group size: words identify their writer (a
  turn of phrase, a date, an incident) in a way numbers added up over five people do not,
  and shuffling does not change that. The form therefore does not ask for one: collecting
  text that nobody may read would keep personal data for no purpose. The field stays on the
  model so that a council that decides on a lawful way to read comments (an independent
  reviewer, with staff told first) needs a form change, not a migration.
- Nothing names who answered: not the report, not the response's string, not the audit log
  entry (which records the quarter but not which response, so the two cannot be joined).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone

from access.units import units_overseen_by
from oversight.models import FEEDBACK_STATEMENTS, FeedbackResponse
from supervision.models import StaffProfile, SupervisoryRelationship
from supervision.organisation import audit
from supervision.people.selectors import current_supervisors_of

MINIMUM_GROUP = 5
QUARTERS_REPORTED = 4
FIELDS = tuple(field for field, _, _ in FEEDBACK_STATEMENTS)

_QUARTER_MONTHS = {
    1: ("January", "March"),
    2: ("April", "June"),
    3: ("July", "September"),
    4: ("October", "December"),
}


# --- Quarters -------------------------------------------------------------------------------


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _split(period: str) -> tuple[int, int]:
    year, quarter = period.split("-Q")
    return int(year), int(quarter)


def quarter_label(period: str) -> str:
    """ "2026-Q1" -> "January to March 2026": people do not think in quarter numbers."""
    year, quarter = _split(period)
    first, last = _QUARTER_MONTHS[quarter]
    return f"{first} to {last} {year}"


def quarter_ends_on(period: str) -> date:
    year, quarter = _split(period)
    if quarter == 4:
        return date(year, 12, 31)
    return date(year, quarter * 3 + 1, 1) - timedelta(days=1)


def recent_quarters(day: date, count: int = QUARTERS_REPORTED) -> list[str]:
    """The quarter `day` falls in and the ones before it, newest first."""
    year, quarter = _split(quarter_of(day))
    periods = []
    for _ in range(count):
        periods.append(f"{year}-Q{quarter}")
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return periods


def already_given_message(period: str) -> str:
    return f"You have already given feedback for {quarter_label(period)}"


# --- Giving feedback ------------------------------------------------------------------------


def supervisor_for_feedback(user, day: date | None = None):
    """The supervisor the answers are about: the line supervisor if there is one, otherwise
    whoever supervises now (a designated supervisor, a practice educator, temporary cover)."""
    relationships = list(current_supervisors_of(user, day))
    line = [rel for rel in relationships if rel.kind == SupervisoryRelationship.Kind.LINE]
    chosen = (line or relationships or [None])[0]
    return chosen.supervisor if chosen else None


def feedback_given(user, period) -> bool:
    return FeedbackResponse.objects.filter(respondent=user, period=period).exists()


def answer_error(statement: str) -> str:
    return f"Choose how much you agree that “{statement}”, from strongly disagree to strongly agree"


def _validate_answers(answers: dict) -> dict[str, int]:
    errors, clean = {}, {}
    for field, statement, _ in FEEDBACK_STATEMENTS:
        value = answers.get(field)
        # bool is an int in Python; True is not an answer.
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            errors[field] = answer_error(statement)
        else:
            clean[field] = value
    if errors:
        raise ValidationError(errors)
    return clean


def feedback_give(*, respondent, answers: dict, comment: str = "", request=None):
    """Save one person's answers for the quarter under way. One response a quarter: the
    figures are averages over people, so a second response would count someone twice."""
    today = timezone.localdate()
    period = quarter_of(today)
    clean = _validate_answers(answers)
    profile = (
        StaffProfile.objects.select_related("unit").filter(user=respondent, is_active=True).first()
    )
    supervisor = supervisor_for_feedback(respondent, today)
    if profile is None or supervisor is None:
        raise ValidationError(
            "You can give feedback on your supervision once you have a supervisor"
        )
    if FeedbackResponse.objects.filter(respondent=respondent, period=period).exists():
        raise ValidationError(already_given_message(period))
    try:
        with transaction.atomic():
            response = FeedbackResponse.objects.create(
                respondent=respondent,
                supervisor=supervisor,
                unit=profile.unit,
                period=period,
                comment=comment.strip(),
                created_at=timezone.now(),
                **clean,
            )
    except IntegrityError:
        # Two submissions at once (a double click): the constraint let one through.
        raise ValidationError(already_given_message(period)) from None
    # No object id and no subject: the log shows that feedback was given, never which answers
    # are whose, and it stays off the access log pages senior managers read.
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=respondent,
        object_type="feedback_response",
        detail={"period": period},
    )
    return response


# --- The report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportCell:
    """One unit in one quarter, as a senior manager may see it."""

    responses: int | None  # None: fewer than MINIMUM_GROUP, so not even the count is shown
    averages: tuple[float, ...] | None  # None: too few, or the quarter is still under way

    @property
    def too_few(self) -> bool:
        return self.responses is None


def report_cell(responses: int, averages, *, quarter_is_open: bool) -> ReportCell:
    """What may be shown of one group. A pure rule, so the tests can hold it to the promise."""
    if responses < MINIMUM_GROUP:
        return ReportCell(responses=None, averages=None)
    if quarter_is_open:
        return ReportCell(responses=responses, averages=None)
    return ReportCell(
        responses=responses, averages=tuple(round(float(value), 1) for value in averages)
    )


def feedback_report(user, *, request=None, day: date | None = None) -> list[dict]:
    """Each of the last four quarters, a row for each unit at or below the viewer's. Three
    queries whatever the number of responses: the figures are added up by the database."""
    day = day or timezone.localdate()
    units = list(units_overseen_by(user))
    periods = recent_quarters(day)
    totals = (
        FeedbackResponse.objects.filter(unit__in=[unit.pk for unit in units], period__in=periods)
        .values("unit_id", "period")
        .annotate(responses=Count("pk"), **{field: Avg(field) for field in FIELDS})
        .order_by()
    )
    found = {(row["unit_id"], row["period"]): row for row in totals}
    current = quarter_of(day)
    report = []
    for period in periods:
        rows = []
        for unit in units:
            row = found.get((unit.pk, period))
            cell = report_cell(
                row["responses"] if row else 0,
                [row[field] for field in FIELDS] if row else (),
                quarter_is_open=period == current,
            )
            rows.append({"unit": unit, "cell": cell})
        report.append(
            {
                "period": period,
                "label": quarter_label(period),
                "is_open": period == current,
                "ends_on": quarter_ends_on(period),
                "rows": rows,
            }
        )
    audit.record(
        audit.AuditAction.READ,
        request=request,
        actor=user,
        object_type="feedback_report",
        detail={"periods": periods, "units": len(units)},
    )
    return report
