"""What the dashboard counts: its measures, their labels and groups, and the windows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Q,
)

from oversight.models import FlagKind
from supervision.models import (
    SupervisionFunction,
)

TREND_MONTHS = 12
# Quality and cancellations are counted over the quarter to the date: a month is too few
# records in a small team for a share to mean much.
WINDOW_DAYS = 91
REFLECTION_KEYS = ("reflection",)
WELLBEING_KEYS = ("check-in", "wellbeing")
SIGNOFF_AGES = (
    ("week", "Overdue up to 7 days", 7),
    ("month", "Overdue 8 to 28 days", 28),
    ("older", "Overdue more than 28 days", None),
)
RISKS = (
    ("red", "Red"),
    ("amber", "Amber"),
    ("green", "Green"),
    ("", "Not rated"),
)


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    short: str  # a column heading
    group: str


STAFF = "staff"
STAFF_ON_TIME = "staff_on_time"
RECORDS_FINALISED = "records_finalised"
REFLECTION = "reflection_completed"
WELLBEING = "wellbeing_completed"
CANCELLATIONS = "cancellations"
# R3: of the records finalised that say which functions of supervision the session covered,
# how many covered each. Their balance over the quarter, not each session, is what the policies
# ask for (Surrey 001 §1.1: one-to-one supervision cannot meet all four functions fully).
FUNCTIONS_RECORDED = "functions_recorded"
FUNCTIONS = {code: f"covers_{code}" for code in SupervisionFunction.values}
FUNCTION_KEYS = tuple(FUNCTIONS.values())
FUNCTIONS_ANSWERED = Q(*(Q(**{f"{key}__isnull": False}) for key in FUNCTION_KEYS), _connector=Q.OR)
RECORD_MEASURES = (RECORDS_FINALISED, REFLECTION, WELLBEING, FUNCTIONS_RECORDED, *FUNCTION_KEYS)
# The figure each share is of: (44%) beside a count.
SHARE_OF = {
    STAFF_ON_TIME: STAFF,
    REFLECTION: "reflection_of",
    WELLBEING: "wellbeing_of",
    **dict.fromkeys(FUNCTION_KEYS, FUNCTIONS_RECORDED),
}

_SUPERVISION = "Supervision of staff"
_CHILDREN = "Children"
_DEVELOPMENT = "Development and probation"
_QUALITY = "Quality"
_FUNCTIONS = "Functions of supervision"

MEASURES = [
    Measure(STAFF, "Staff in post", "Staff", _SUPERVISION),
    Measure(STAFF_ON_TIME, "Staff supervised on time", "Supervised on time", _SUPERVISION),
    Measure(FlagKind.SESSION_OVERDUE, "Supervision overdue", "Supervision overdue", _SUPERVISION),
    Measure(
        FlagKind.RECORD_OVERDUE,
        "Records not written within 2 working days",
        "Records not written",
        _SUPERVISION,
    ),
    Measure(FlagKind.SIGNOFF_OVERDUE, "Records not signed off", "Records unsigned", _SUPERVISION),
    Measure(FlagKind.AGREEMENT_MISSING, "No supervision agreement", "No agreement", _SUPERVISION),
    Measure(
        FlagKind.AGREEMENT_REVIEW_OVERDUE,
        "Agreement past its review date",
        "Agreement review overdue",
        _SUPERVISION,
    ),
    Measure(CANCELLATIONS, "Sessions cancelled in the last quarter", "Cancelled", _SUPERVISION),
    Measure(
        FlagKind.CANCELLATION_NOT_RESCHEDULED,
        "Cancelled sessions not rescheduled within 2 weeks",
        "Not rescheduled",
        _SUPERVISION,
    ),
    Measure(FlagKind.COVER_NEEDED, "Cover supervision needed", "Cover needed", _SUPERVISION),
    Measure(FlagKind.ACTION_OVERDUE, "Actions overdue", "Actions overdue", _SUPERVISION),
    Measure(
        FlagKind.SUPPORT_TIME_SHORT,
        "Staff short of the monthly supervision time",
        "Short of monthly time",
        _SUPERVISION,
    ),
    Measure(
        FlagKind.SESSIONS_NOT_PLANNED_AHEAD,
        "Supervision dates not agreed far enough ahead",
        "Dates not agreed ahead",
        _SUPERVISION,
    ),
    Measure(
        FlagKind.CASE_REVIEW_OVERDUE,
        "Children not case-supervised within their cycle",
        "Children not discussed",
        _CHILDREN,
    ),
    Measure(
        FlagKind.ALLOCATION_NOT_DISCUSSED,
        "New allocations not discussed within 24 hours",
        "Allocations not discussed",
        _CHILDREN,
    ),
    Measure(
        FlagKind.CLOSURE_WITHOUT_SUPERVISION,
        "Cases closed without supervision",
        "Closed without supervision",
        _CHILDREN,
    ),
    Measure(
        FlagKind.GROUP_SUPERVISION_OVERDUE,
        "Teams' group supervision overdue",
        "Group supervision overdue",
        _CHILDREN,
    ),
    Measure(
        FlagKind.TRANSFER_NOT_PREPARED,
        "Transfers without joint supervision in their window",
        "Transfers not prepared",
        _CHILDREN,
    ),
    Measure(
        FlagKind.OBSERVATION_DUE, "Practice observations overdue", "Observations", _DEVELOPMENT
    ),
    Measure(
        FlagKind.DEVELOPMENT_PLAN_DUE,
        "Development conversations overdue",
        "Development plans",
        _DEVELOPMENT,
    ),
    Measure(
        FlagKind.PROBATION_REVIEW_DUE,
        "Probation reviews overdue",
        "Probation reviews",
        _DEVELOPMENT,
    ),
    Measure(
        FlagKind.WELLBEING_PLAN_DUE,
        "Wellbeing plans missing or due for review",
        "Wellbeing plans",
        _DEVELOPMENT,
    ),
    Measure(
        RECORDS_FINALISED, "Records finalised in the last quarter", "Records finalised", _QUALITY
    ),
    Measure(REFLECTION, "Records with reflection completed", "Reflection completed", _QUALITY),
    Measure(WELLBEING, "Records with wellbeing discussed", "Wellbeing completed", _QUALITY),
    Measure(
        FUNCTIONS_RECORDED,
        "Records finalised saying which functions of supervision they covered",
        "Functions recorded",
        _FUNCTIONS,
    ),
    *(
        Measure(FUNCTIONS[code], f"Records covering {label.lower()}", label, _FUNCTIONS)
        for code, label in SupervisionFunction.choices
    ),
]
MEASURE_BY_KEY = {m.key: m for m in MEASURES}
FLAG_KINDS = list(FlagKind.values)
GROUP_ORDER = [_SUPERVISION, _CHILDREN, _DEVELOPMENT, _QUALITY, _FUNCTIONS]
