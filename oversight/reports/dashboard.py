"""The senior managers' dashboard: for the units below them, for today or any past
date, how supervision is going, with the items behind every figure.

It is the compliance-as-of report counted in the database. What was overdue at a moment is
what the flags held then (`flags_held_at`; tests/oversight/flags/test_scheduled.py holds the flags
equal to the
rules' own evaluation), so a figure for 5 March is read from `overdue_since` and
`resolved_at`, not worked out again from the facts. Each level (a unit, a person) runs the same
fixed set of aggregate queries whatever the size of the organisation:

- flags held at the date, grouped by the unit responsible and kind (and, for the breakdowns,
  by role, age and risk), and the same held at each month end for the trends, as conditional
  counts in one SELECT;
- staff in post, from the staff profiles, grouped the same way;
- records finalised (with the functions of supervision each covered), cancellations, in the
  quarter to the date and in each month.

Which unit a flag counts in: a member of staff's flags in their unit; a child's in the unit of
the allocation in force when the flag's spell began, else the child's own unit, which the flag
job writes on the flag (`Flag.unit`). The job ends a child's flags at a transfer and raises new
ones for the new worker, so the allocation of a spell's start is the allocation throughout it,
and `compliance_rows(at, unit)`, which looks up the allocation in force at `at`, agrees.
"""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, StrIndex, Substr

from oversight.models import FeedbackResponse, Flag, FlagKind
from oversight.policy.due import LONDON, local_date
from oversight.quality import feedback as rules
from supervision.models import (
    FinalisedRecord,
    JobRole,
    RecordSection,
    StaffProfile,
    SupervisionFunction,
    SupervisionRecord,
    SupervisionSession,
    TemplateSection,
    Unit,
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


# --- Moments -----------------------------------------------------------------------------------


def end_of_day(day: date) -> datetime:
    """The last moment of a day in London: a report "as at 5 March" includes all of 5 March."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=LONDON) - timedelta(
        microseconds=1
    )


def moment_for(day: date | None, now: datetime) -> datetime:
    """Now for today (or no date), the end of the day for a past date."""
    if day is None or day >= local_date(now):
        return now
    return end_of_day(day)


@dataclass(frozen=True)
class Month:
    label: str  # "March 2026"
    short: str  # "Mar 26"
    start: datetime  # first moment of the month, or of its part before `at`
    at: datetime  # its last moment (or `at` for the month of the date)


def trend_months(at: datetime) -> list[Month]:
    """The last TREND_MONTHS calendar months to `at`, oldest first; the month of `at` runs to
    `at`."""
    day = local_date(at)
    months = []
    year, month = day.year, day.month
    for _ in range(TREND_MONTHS):
        first = date(year, month, 1)
        last = date(year, month, monthrange(year, month)[1])
        start = datetime.combine(first, time(), tzinfo=LONDON)
        end = at if not months else end_of_day(last)
        months.append(Month(first.strftime("%B %Y"), first.strftime("%b %y"), start, end))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


# --- The flags held, as the rules had them -------------------------------------------------------


def held(at: datetime) -> Q:
    """A flag held at `at`, as `oversight.flags.compliance.flags_held_at` has it: a due moment
    (C3) is in time exactly on the moment, so it is overdue only after it."""
    started = Q(due_at__isnull=True, overdue_since__lte=at) | Q(
        due_at__isnull=False, overdue_since__lt=at
    )
    return started & (Q(resolved_at__isnull=True) | Q(resolved_at__gt=at))


def in_post(at: datetime, prefix: str = "") -> Q:
    day = local_date(at)
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}leaving_date__isnull": True}) | Q(**{f"{prefix}leaving_date__gt": day})
    )


def _flag_unit_path():
    return Case(
        When(child__isnull=True, then=F("person__profile__unit__path")),
        default=F("unit__path"),
        output_field=CharField(),
    )


def flags_with_unit():
    """Flags with `unit_ref`: the id of the unit they count in (see the module's docstring):
    a member of staff's unit now, or the unit the flag job recorded on a child's flag."""
    return Flag.objects.annotate(
        unit_ref=Case(
            When(child__isnull=True, then=F("person__profile__unit_id")),
            default=F("unit_id"),
            output_field=IntegerField(),
        )
    )


def _between(flags, start: datetime, end: datetime):
    """Flags that may be held at some moment from `start` to `end`: a cheap range on the
    indexes before the exact conditions."""
    return flags.filter(overdue_since__lte=end).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=start)
    )


# --- Scopes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a dashboard page covers: a unit and everything below it, or one person."""

    unit: object = None
    person: object = None

    def flags(self, flags):
        if self.person is not None:
            return flags.filter(person=self.person)
        # The same as `unit_ref__in`, but as two conditions on indexed columns (a member of
        # staff's flags by person, a child's by the unit on the flag), so a team's page reads
        # its own flags rather than every flag of the organisation with its unit worked out.
        units = self.units()
        staff = StaffProfile.objects.filter(unit__in=units).values("user_id")
        return flags.filter(
            Q(child__isnull=True, person__in=staff) | Q(child__isnull=False, unit__in=units)
        )

    def profiles(self, profiles):
        if self.person is not None:
            return profiles.filter(user=self.person)
        return profiles.filter(unit__in=self.units())

    def supervisee_q(self, prefix: str) -> Q:
        if self.person is not None:
            return Q(**{f"{prefix}": self.person})
        return Q(**{f"{prefix}__profile__unit__in": self.units()})

    def units(self):
        """The unit and every unit below it, as a subquery."""

        return Unit.objects.filter(path__startswith=self.unit.path).values("pk")


# --- Figures --------------------------------------------------------------------------------


@dataclass
class Figures:
    """The measures for one row of a table (a unit, a person) or for the whole scope."""

    counts: dict = field(default_factory=lambda: defaultdict(int))

    # Not __getitem__: templates look names up as keys first, and every name would be a 0.
    def get(self, key) -> int:
        return self.counts.get(key, 0)

    def add(self, key, value: int) -> None:
        self.counts[key] += value

    def share(self, key) -> int | None:
        """The figure as a percentage of the one it is a share of (SHARE_OF); None if it is no
        share, or of nothing."""
        return percent(self.get(key), self.get(SHARE_OF[key])) if key in SHARE_OF else None

    @property
    def on_time_percent(self) -> int | None:
        return percent(self.get(STAFF_ON_TIME), self.get(STAFF))

    @property
    def reflection_percent(self) -> int | None:
        return percent(self.get(REFLECTION), self.get("reflection_of"))

    @property
    def wellbeing_percent(self) -> int | None:
        return percent(self.get(WELLBEING), self.get("wellbeing_of"))


def percent(part: int, whole: int) -> int | None:
    if not whole:
        return None
    return round(100 * part / whole)


@dataclass
class Row:
    key: str  # "u<unit id>" or "p<person id>"
    label: str
    unit: object = None
    person: object = None
    figures: Figures = field(default_factory=Figures)


@dataclass
class Dashboard:
    scope: Scope
    at: datetime
    is_now: bool
    totals: Figures
    rows: list[Row]
    by_role: list[tuple[str, int, int]]  # (role, staff, on time)
    signoff_ages: list[tuple[str, str, int]]
    case_risks: list[tuple[str, str, int]]
    months: list[Month]
    trends: dict[str, list]  # measure key → a value per month
    window_start: datetime

    def trend(self, key) -> list[tuple[Month, object]]:
        return list(zip(self.months, self.trends[key], strict=True))


def build(scope: Scope, at: datetime, *, is_now: bool) -> Dashboard:
    """Every figure of one dashboard page, in a fixed number of queries.

    Each kind of fact is read once for the date and the trends together: one query per kind,
    grouped by unit, with a count per month (the last month runs to the date, so its count is
    the date's figure) and, for records and cancellations, one for the quarter to the date.
    The unit's own people are read again by person, for their rows."""

    months = trend_months(at)
    window_start = at - timedelta(days=WINDOW_DAYS)
    totals = Figures()
    trends: dict[str, list] = defaultdict(lambda: [0] * len(months))
    rows = _rows_of_scope(scope, at)

    def row_of(path):
        """The database's own key for the row a unit path counts in: the id of the child
        unit it is under ("" for the unit itself), cut from the path, so the database adds up
        by row and a few rows come back, not one per unit of a large organisation."""
        if scope.unit is None:
            return Value("", output_field=CharField())
        rest = Substr(path, len(scope.unit.path) + 1)
        return Case(
            When(**{f"{path.name}": scope.unit.path}, then=Value("")),
            default=Substr(rest, 1, StrIndex(rest, Value("/")) - 1),
            output_field=CharField(),
        )

    def unit_row(key) -> Row | None:
        """The row of a child unit; None for the unit itself, whose people have rows of their
        own (read by person)."""
        return rows.get(f"u{key}") if key else None

    def person_row(person_id) -> Row:
        key = f"p{person_id}"
        if key not in rows:
            # A child's flag whose worker has left the unit, or has none.
            rows[key] = Row(key, "No allocated worker" if person_id is None else "Left the unit")
        return rows[key]

    overdue_by_role = _flag_figures(
        scope,
        months,
        at,
        totals=totals,
        trends=trends,
        row_of=row_of,
        unit_row=unit_row,
        person_row=person_row,
    )
    signoff_ages, case_risks = _breakdowns(scope.flags(flags_with_unit()).filter(held(at)), at)

    staff_by_role = _staff_figures(
        scope, months, totals=totals, trends=trends, row_of=row_of, unit_row=unit_row
    )
    _add_staff_on_time(totals, rows.values(), trends)
    by_role = _staff_by_role(staff_by_role, overdue_by_role)

    _records_and_cancellations(
        scope, months, window_start, totals, trends, row_of, unit_row, person_row
    )
    _add_record_percent_trends(trends)
    ordered = [r for r in rows.values() if r.unit is not None] + [
        r for r in rows.values() if r.unit is None
    ]
    return Dashboard(
        scope=scope,
        at=at,
        is_now=is_now,
        totals=totals,
        rows=ordered,
        by_role=by_role,
        signoff_ages=signoff_ages,
        case_risks=case_risks,
        months=months,
        trends=trends,
        window_start=window_start,
    )


def _rows_of_scope(scope: Scope, at: datetime) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    if scope.unit is not None:
        for unit in Unit.objects.filter(path__startswith=scope.unit.path).order_by("name"):
            if unit.parent_id == scope.unit.pk:
                rows[f"u{unit.pk}"] = Row(f"u{unit.pk}", unit.name, unit=unit)
        people = (
            StaffProfile.objects.filter(unit=scope.unit)
            .filter(in_post(at))
            .select_related("user")
            .order_by("user__full_name")
        )
        for profile in people:
            row = Row(f"p{profile.user_id}", profile.user.full_name, person=profile.user)
            row.figures.add(STAFF, 1)
            rows[row.key] = row
    return rows


def _flag_figures(
    scope, months, at, *, totals: Figures, trends, row_of, unit_row, person_row
) -> dict[str, int]:
    last = len(months) - 1

    def add(key, value, row=None):
        totals.add(key, value)
        if row is not None:
            row.figures.add(key, value)

    # Flags held at each month end (the last: the date), by unit, kind and role.
    flags = _between(scope.flags(flags_with_unit()), months[0].start, at)
    counts = {}
    for i, month in enumerate(months):
        counts[f"n{i}"] = Count("pk", filter=held(month.at))
        counts[f"s{i}"] = Count(
            "person",
            distinct=True,
            filter=held(month.at)
            & Q(kind=FlagKind.SESSION_OVERDUE, child__isnull=True)
            & in_post(month.at, "person__profile__"),
        )
    overdue_by_role: dict[str, int] = defaultdict(int)
    # By role only where the role is used (staff overdue), so the other kinds stay one group
    # per unit.
    role = Case(
        When(kind=FlagKind.SESSION_OVERDUE, then=F("person__profile__job_role__category")),
        default=Value(""),
        output_field=CharField(),
    )
    flags = flags.annotate(unit_path=_flag_unit_path())
    by_row = (
        flags.order_by().values("kind", row=row_of(F("unit_path")), role=role).annotate(**counts)
    )
    for entry in _counted(by_row):
        for i in range(len(months)):
            trends[entry["kind"]][i] += entry[f"n{i}"]
            trends["staff_overdue"][i] += entry[f"s{i}"]
        row = unit_row(entry["row"])
        add(entry["kind"], entry[f"n{last}"], row)
        add("staff_overdue", entry[f"s{last}"], row)
        overdue_by_role[entry["role"]] += entry[f"s{last}"]
    if scope.unit is not None:
        direct = flags.filter(held(at), unit_ref=scope.unit.pk).values("person_id", "kind")
        for entry in direct.annotate(n=Count("pk")):
            row = person_row(entry["person_id"])
            row.figures.add(entry["kind"], entry["n"])
            if entry["kind"] == FlagKind.SESSION_OVERDUE and row.person is not None:
                row.figures.add("staff_overdue", 1)
    return overdue_by_role


def _staff_figures(scope, months, *, totals: Figures, trends, row_of, unit_row) -> dict[str, int]:
    last = len(months) - 1
    # Staff in post at each month end, by unit and role; the unit's own people are rows.
    staff_counts = {f"n{i}": Count("pk", filter=in_post(m.at)) for i, m in enumerate(months)}
    staff_by_role: dict[str, int] = defaultdict(int)
    staff = (
        scope.profiles(StaffProfile.objects.all())
        .order_by()
        .values("job_role__category", row=row_of(F("unit__path")))
    )
    for entry in _counted(staff.annotate(**staff_counts)):
        for i in range(len(months)):
            trends[STAFF][i] += entry[f"n{i}"]
        totals.add(STAFF, entry[f"n{last}"])
        staff_by_role[entry["job_role__category"]] += entry[f"n{last}"]
        row = unit_row(entry["row"])
        if row is not None:
            row.figures.add(STAFF, entry[f"n{last}"])
    return staff_by_role


def _add_staff_on_time(totals: Figures, rows, trends) -> None:
    for figures in [totals, *(row.figures for row in rows)]:
        figures.add(STAFF_ON_TIME, figures.get(STAFF) - figures.get("staff_overdue"))
    trends[STAFF_ON_TIME] = [
        a - b for a, b in zip(trends[STAFF], trends["staff_overdue"], strict=True)
    ]
    trends["on_time_percent"] = [
        percent(a, b) for a, b in zip(trends[STAFF_ON_TIME], trends[STAFF], strict=True)
    ]


def _staff_by_role(staff_by_role, overdue_by_role) -> list[tuple[str, int, int]]:
    labels = dict(JobRole.Category.choices)
    return [
        (labels.get(role, role), count, count - overdue_by_role.get(role, 0))
        for role, count in sorted(staff_by_role.items(), key=lambda i: labels.get(i[0], i[0]))
    ]


def _add_record_percent_trends(trends) -> None:
    trends["reflection_percent"] = [
        percent(a, b) for a, b in zip(trends[REFLECTION], trends["reflection_of"], strict=True)
    ]
    trends["wellbeing_percent"] = [
        percent(a, b) for a, b in zip(trends[WELLBEING], trends["wellbeing_of"], strict=True)
    ]


def _counted(queryset) -> list[dict]:
    """The rows of an aggregate query, read without Django's per-value converters: these rows
    hold only ids, codes and counts, which the driver already gives as Python values, and on
    an organisation of 2,000 staff the converters cost more than the query."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _age_case(at: datetime):
    whens = [
        When(overdue_since__gt=at - timedelta(days=days), then=Value(key))
        for key, _, days in SIGNOFF_AGES
        if days is not None
    ]
    return Case(*whens, default=Value(SIGNOFF_AGES[-1][0]), output_field=CharField())


def _breakdowns(flags, at: datetime):
    """Records unsigned by how long overdue; children not discussed by risk."""
    buckets = (
        flags.filter(kind__in=[FlagKind.SIGNOFF_OVERDUE, FlagKind.CASE_REVIEW_OVERDUE])
        .annotate(
            bucket=Case(
                When(kind=FlagKind.SIGNOFF_OVERDUE, then=_age_case(at)),
                default=Coalesce(F("child__rag_rating"), Value("")),
                output_field=CharField(),
            )
        )
        .values("kind", "bucket")
        .annotate(n=Count("pk"))
    )
    found = {(b["kind"], b["bucket"]): b["n"] for b in buckets}
    ages = [
        (key, label, found.get((FlagKind.SIGNOFF_OVERDUE, key), 0))
        for key, label, _ in SIGNOFF_AGES
    ]
    risks = [
        (key, label, found.get((FlagKind.CASE_REVIEW_OVERDUE, key), 0)) for key, label in RISKS
    ]
    return ages, risks


def finalised_records():
    """Finalised records with whether their template asks for reflection and wellbeing, and
    whether those sections were completed: the sections `_sections` counts."""

    sections = _sections()

    def done(ids):
        return Exists(
            RecordSection.objects.filter(
                record=OuterRef("pk"),
                template_section_id__in=ids,
                progress=RecordSection.Progress.COMPLETED,
            )
        )

    return SupervisionRecord.objects.filter(
        status=SupervisionRecord.Status.FINALISED, finalised_at__isnull=False
    ).annotate(
        asks_reflection=Q(template_id__in=sections.asks_reflection),
        reflection_done=done(sections.reflection),
        asks_wellbeing=Q(template_id__in=sections.asks_wellbeing),
        wellbeing_done=done(sections.wellbeing),
    )


def cancelled_sessions():
    return SupervisionSession.objects.filter(
        status=SupervisionSession.Status.CANCELLED, cancelled_at__isnull=False
    )


@dataclass(frozen=True)
class _Sections:
    """The template sections that count as reflection or wellbeing, and their templates: read
    once, so the counts need no subquery per record."""

    reflection: tuple
    wellbeing: tuple
    asks_reflection: tuple
    asks_wellbeing: tuple


def _sections() -> _Sections:
    """One section of each kind per template at most (its first), so a record has at most one
    completed section of each kind and records can be counted by counting sections."""

    found = defaultdict(list)
    seen = set()
    rows = TemplateSection.objects.filter(key__in=REFLECTION_KEYS + WELLBEING_KEYS)
    for pk, template, key in rows.order_by("template_id", "position").values_list(
        "pk", "template_id", "key"
    ):
        kind = "reflection" if key in REFLECTION_KEYS else "wellbeing"
        if (template, kind) in seen:
            continue
        seen.add((template, kind))
        found[kind].append(pk)
        found[f"asks_{kind}"].append(template)
    # An empty IN () is no SQL at all; no row has id 0.
    return _Sections(**{k: tuple(found[k]) or (0,) for k in _Sections.__dataclass_fields__})


def _record_counts(windows: dict) -> dict:
    """For finalised records (their rows in FinalisedRecord), in each window: how many, how
    many ask for reflection and wellbeing and have them completed, and the functions covered."""
    figures = {
        RECORDS_FINALISED: Q(),
        "reflection_of": Q(asks_reflection=True),
        "wellbeing_of": Q(asks_wellbeing=True),
        REFLECTION: Q(reflection_done=True),
        WELLBEING: Q(wellbeing_done=True),
        FUNCTIONS_RECORDED: Q(functions_recorded=True),
        **{key: Q(**{key: True}) for key in FUNCTION_KEYS},
    }
    counts = {}
    for name, (start, end) in windows.items():
        window = Q(finalised_at__gt=start, finalised_at__lte=end)
        for key, condition in figures.items():
            counts[f"{key}{name}"] = Count("pk", filter=window & condition)
    return counts


def _cancel_counts(windows: dict) -> dict:
    return {
        f"{CANCELLATIONS}{name}": Count(
            "pk", filter=Q(cancelled_at__gt=start, cancelled_at__lte=end)
        )
        for name, (start, end) in windows.items()
    }


RECORD_KEYS = (
    RECORDS_FINALISED,
    "reflection_of",
    "wellbeing_of",
    REFLECTION,
    WELLBEING,
    FUNCTIONS_RECORDED,
    *FUNCTION_KEYS,
)


def _records_and_cancellations(
    scope, months, window_start, totals: Figures, trends, row_of, unit_row, person_row
) -> None:
    """Records finalised and cancellations, in each month and in the quarter to the date
    ("q"), by unit; then the quarter by person for the unit's own people. Records are counted
    from what each contributed when it was finalised (FinalisedRecord), not from the records,
    sessions and sections themselves."""
    at = months[-1].at
    first = min(months[0].start, window_start)
    windows = {str(i): (m.start, m.at) for i, m in enumerate(months)}
    windows["q"] = (window_start, at)
    reads = [
        (
            FinalisedRecord.objects.filter(
                scope.supervisee_q("supervisee"), finalised_at__gt=first, finalised_at__lte=at
            ),
            _record_counts(windows),
            "finalised_at",
            RECORD_KEYS,
        ),
        (
            cancelled_sessions().filter(
                scope.supervisee_q("supervisee"), cancelled_at__gt=first, cancelled_at__lte=at
            ),
            _cancel_counts(windows),
            "cancelled_at",
            (CANCELLATIONS,),
        ),
    ]
    for queryset, counts, moment, keys in reads:
        by_row = queryset.order_by().values(row=row_of(F("supervisee__profile__unit__path")))
        for entry in _counted(by_row.annotate(**counts)):
            row = unit_row(entry["row"])
            for key in keys:
                for i in range(len(months)):
                    trends[key][i] += entry[f"{key}{i}"]
                totals.add(key, entry[f"{key}q"])
                if row is not None:
                    row.figures.add(key, entry[f"{key}q"])
        if scope.unit is None:
            continue
        own = queryset.filter(
            supervisee__profile__unit_id=scope.unit.pk, **{f"{moment}__gt": window_start}
        )
        quarter = {f"{key}q": counts[f"{key}q"] for key in keys}
        for entry in own.values("supervisee_id").annotate(**quarter):
            row = person_row(entry["supervisee_id"])
            for key in keys:
                row.figures.add(key, entry[f"{key}q"])


# --- The items behind a figure ------------------------------------------------------------------


def flag_items(scope: Scope, at: datetime, kind: str):
    """The flags counted in a flag figure: the same filter as the count."""
    return (
        scope.flags(flags_with_unit())
        .filter(held(at), kind=kind)
        .select_related("person", "child")
        .order_by("overdue_since", "pk")
    )


def flags_held_for(scope: Scope, at: datetime):
    """Every flag counted for the scope at `at`, of any kind."""
    return (
        scope.flags(flags_with_unit())
        .filter(held(at))
        .select_related("person", "child")
        .order_by("kind", "overdue_since", "pk")
    )


def staff_items(scope: Scope, at: datetime, *, on_time: bool | None = None):
    profiles = (
        scope.profiles(StaffProfile.objects.all())
        .filter(in_post(at))
        .select_related("user", "unit", "job_role")
        .order_by("user__full_name", "pk")
    )
    if on_time is None:
        return profiles
    overdue = Flag.objects.filter(
        held(at), person=OuterRef("user_id"), kind=FlagKind.SESSION_OVERDUE, child__isnull=True
    )
    return profiles.exclude(Exists(overdue)) if on_time else profiles.filter(Exists(overdue))


def record_items(scope: Scope, start: datetime, at: datetime, measure: str):
    records = (
        finalised_records()
        .filter(scope.supervisee_q("session__supervisee"))
        .filter(finalised_at__gt=start, finalised_at__lte=at)
        .select_related("session__supervisee", "session__supervisor")
        .order_by("-finalised_at", "pk")
    )
    if measure == REFLECTION:
        return records.filter(asks_reflection=True, reflection_done=True)
    if measure == WELLBEING:
        return records.filter(asks_wellbeing=True, wellbeing_done=True)
    if measure == FUNCTIONS_RECORDED:
        return records.filter(FUNCTIONS_ANSWERED)
    if measure in FUNCTION_KEYS:
        return records.filter(**{measure: True})
    return records


def cancellation_items(scope: Scope, start: datetime, at: datetime):
    again = SupervisionSession.objects.filter(replaces=OuterRef("pk"))
    return (
        cancelled_sessions()
        .annotate(was_rescheduled=Exists(again))
        .filter(scope.supervisee_q("supervisee"))
        .filter(cancelled_at__gt=start, cancelled_at__lte=at)
        .select_related("supervisee", "supervisor")
        .order_by("-cancelled_at", "pk")
    )


# --- Supervisee feedback ------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackRow:
    unit: object
    cell: object  # feedback.ReportCell: figures only for five answers or more


def feedback(scope: Scope, at: datetime) -> tuple[str, list[FeedbackRow]]:
    """Supervisees' answers about their supervision in the last quarter ended by the date,
    one row for each unit's own staff (never a unit with the units below it, so no figure is
    the difference of two others: see oversight/quality/feedback.py), shown only for five answers or
    more. Two queries. None for a person: one person's answers are never shown."""

    if scope.unit is None:
        return "", []
    period = rules.recent_quarters(local_date(at), 2)[1]
    units = list(Unit.objects.filter(path__startswith=scope.unit.path).order_by("path"))
    totals = {
        row["unit_id"]: row
        for row in FeedbackResponse.objects.filter(unit__in=units, period=period)
        .values("unit_id")
        .annotate(responses=Count("pk"), **{f: Avg(f) for f in rules.FIELDS})
        .order_by()
    }
    rows = []
    for unit in units:
        row = totals.get(unit.pk)
        cell = rules.report_cell(
            row["responses"] if row else 0,
            [row[f] for f in rules.FIELDS] if row else (),
            quarter_is_open=False,
        )
        if row:
            rows.append(FeedbackRow(unit, cell))
    return rules.quarter_label(period), rows
