"""The senior managers' dashboard (issue 8): for the units below them, for today or any past
date, how supervision is going, with the items behind every figure.

It is the compliance-as-of report counted in the database. What was overdue at a moment is
what the flags held then (`flags_held_at`; tests/test_flags.py holds the flags equal to the
rules' own evaluation), so a figure for 5 March is read from `overdue_since` and
`resolved_at`, not worked out again from the facts. Each level (a unit, a person) runs the same
fixed set of aggregate queries whatever the size of the organisation:

- flags held at the date, grouped by the unit responsible and kind (and, for the breakdowns,
  by role, age and risk), and the same held at each month end for the trends, as conditional
  counts in one SELECT;
- staff in post, from the staff profiles, grouped the same way;
- records finalised, cancellations, in the quarter to the date and in each month.

Which unit a flag counts in: a member of staff's flags in their unit; a child's in the unit of
the allocation in force when the flag's spell began, else the child's own unit. The flag job
ends a child's flags at a transfer and raises new ones for the new worker, so the allocation
of a spell's start is the allocation throughout it.
"""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from .due import LONDON, local_date
from .models import Flag, FlagKind

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

_SUPERVISION = "Supervision of staff"
_CHILDREN = "Children"
_DEVELOPMENT = "Development and probation"
_QUALITY = "Quality"

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
        RECORDS_FINALISED, "Records finalised in the last quarter", "Records finalised", _QUALITY
    ),
    Measure(REFLECTION, "Records with reflection completed", "Reflection completed", _QUALITY),
    Measure(WELLBEING, "Records with wellbeing discussed", "Wellbeing completed", _QUALITY),
]
MEASURE_BY_KEY = {m.key: m for m in MEASURES}
FLAG_KINDS = list(FlagKind.values)
GROUP_ORDER = [_SUPERVISION, _CHILDREN, _DEVELOPMENT, _QUALITY]


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
    """A flag held at `at`, as `oversight.flags.flags_held_at` has it: a due moment (C3) is in
    time exactly on the moment, so it is overdue only after it."""
    started = Q(due_at__isnull=True, overdue_since__lte=at) | Q(
        due_at__isnull=False, overdue_since__lt=at
    )
    return started & (Q(resolved_at__isnull=True) | Q(resolved_at__gt=at))


def in_post(at: datetime, prefix: str = "") -> Q:
    day = local_date(at)
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}leaving_date__isnull": True}) | Q(**{f"{prefix}leaving_date__gt": day})
    )


def flags_with_unit():
    """Flags with `unit_path`: the unit they count in (see the module's docstring)."""
    from casework.models import Allocation

    began = OuterRef("overdue_since")
    allocation = (
        Allocation.objects.filter(child=OuterRef("child_id"), starts_at__lte=began)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=began))
        .order_by("-starts_at")
        .values("unit__path")[:1]
    )
    return Flag.objects.annotate(
        unit_path=Case(
            When(child__isnull=True, then=F("person__profile__unit__path")),
            default=Coalesce(Subquery(allocation), F("child__unit__path")),
            output_field=CharField(),
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
        return flags.filter(unit_path__startswith=self.unit.path)

    def profiles(self, profiles):
        if self.person is not None:
            return profiles.filter(user=self.person)
        return profiles.filter(unit__path__startswith=self.unit.path)

    def supervisee_q(self, prefix: str) -> Q:
        if self.person is not None:
            return Q(**{f"{prefix}": self.person})
        return Q(**{f"{prefix}__profile__unit__path__startswith": self.unit.path})


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
    """Every figure of one dashboard page, in a fixed number of queries."""
    from supervision.models import StaffProfile, Unit

    months = trend_months(at)
    window_start = at - timedelta(days=WINDOW_DAYS)
    totals = Figures()
    rows: dict[str, Row] = {}
    if scope.unit is not None:
        for unit in Unit.objects.filter(parent=scope.unit).order_by("name"):
            rows[f"u{unit.pk}"] = Row(f"u{unit.pk}", unit.name, unit=unit)
        people = (
            StaffProfile.objects.filter(unit=scope.unit)
            .filter(in_post(at))
            .select_related("user")
            .order_by("user__full_name")
        )
        for profile in people:
            rows[f"p{profile.user_id}"] = Row(
                f"p{profile.user_id}", profile.user.full_name, person=profile.user
            )
    people_keys = set(rows)

    def unit_row(path) -> Row | None:
        """The row of a child unit a path is under; None for the unit itself, whose people
        have rows of their own (read by person, below)."""
        if scope.unit is None or path is None or path == scope.unit.path:
            return None
        return rows.get(f"u{path[len(scope.unit.path) :].split('/', 1)[0]}")

    def person_row(person_id) -> Row:
        key = f"p{person_id}"
        if key not in rows:
            # A child's flag whose worker has left the unit, or has none.
            rows[key] = Row(key, "No allocated worker" if person_id is None else "Left the unit")
        return rows[key]

    # Flags held at the date, by unit and kind, and by role for the on-time count.
    flags = scope.flags(flags_with_unit()).filter(held(at))
    overdue_by_role: dict[str, int] = defaultdict(int)
    by_unit = flags.values("unit_path", "kind", "person__profile__job_role__category").annotate(
        n=Count("pk"),
        overdue_staff=Count(
            "person",
            distinct=True,
            filter=Q(kind=FlagKind.SESSION_OVERDUE, child__isnull=True)
            & in_post(at, "person__profile__"),
        ),
    )
    for entry in by_unit:
        totals.add(entry["kind"], entry["n"])
        totals.add("staff_overdue", entry["overdue_staff"])
        overdue_by_role[entry["person__profile__job_role__category"]] += entry["overdue_staff"]
        row = unit_row(entry["unit_path"])
        if row is not None:
            row.figures.add(entry["kind"], entry["n"])
            row.figures.add("staff_overdue", entry["overdue_staff"])
    if scope.unit is not None:
        direct = flags.filter(unit_path=scope.unit.path).values("person_id", "kind")
        for entry in direct.annotate(n=Count("pk")):
            row = person_row(entry["person_id"])
            row.figures.add(entry["kind"], entry["n"])
            if entry["kind"] == FlagKind.SESSION_OVERDUE and row.person is not None:
                row.figures.add("staff_overdue", 1)

    signoff_ages, case_risks = _breakdowns(flags, at)

    # Staff in post, by unit and role; the unit's own people are its rows already.
    staff = (
        scope.profiles(StaffProfile.objects.all())
        .filter(in_post(at))
        .values("unit__path", "job_role__category")
        .annotate(n=Count("pk"))
    )
    staff_by_role: dict[str, int] = defaultdict(int)
    for entry in staff:
        totals.add(STAFF, entry["n"])
        staff_by_role[entry["job_role__category"]] += entry["n"]
        row = unit_row(entry["unit__path"])
        if row is not None:
            row.figures.add(STAFF, entry["n"])
    for row in rows.values():
        if row.person is not None and row.unit is None and row.key in people_keys:
            row.figures.add(STAFF, 1)
    for figures in [totals, *(row.figures for row in rows.values())]:
        figures.add(STAFF_ON_TIME, figures.get(STAFF) - figures.get("staff_overdue"))

    from supervision.models import JobRole

    labels = dict(JobRole.Category.choices)
    by_role = [
        (labels.get(role, role), count, count - overdue_by_role.get(role, 0))
        for role, count in sorted(staff_by_role.items(), key=lambda i: labels.get(i[0], i[0]))
    ]

    _records_and_cancellations(scope, window_start, at, totals, unit_row, person_row)
    trends = _trends(scope, months)
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
    whether those sections were completed."""
    from supervision.models import RecordSection, SupervisionRecord, TemplateSection

    def asks(keys):
        return Exists(TemplateSection.objects.filter(template=OuterRef("template"), key__in=keys))

    def done(keys):
        return Exists(
            RecordSection.objects.filter(
                record=OuterRef("pk"),
                template_section__key__in=keys,
                progress=RecordSection.Progress.COMPLETED,
            )
        )

    return SupervisionRecord.objects.filter(
        status=SupervisionRecord.Status.FINALISED, finalised_at__isnull=False
    ).annotate(
        asks_reflection=asks(REFLECTION_KEYS),
        reflection_done=done(REFLECTION_KEYS),
        asks_wellbeing=asks(WELLBEING_KEYS),
        wellbeing_done=done(WELLBEING_KEYS),
    )


def cancelled_sessions():
    from supervision.models import SupervisionSession

    return SupervisionSession.objects.filter(
        status=SupervisionSession.Status.CANCELLED, cancelled_at__isnull=False
    )


def _quality_counts(start, end) -> dict:
    window = Q(finalised_at__gt=start, finalised_at__lte=end)
    return {
        RECORDS_FINALISED: Count("pk", filter=window),
        REFLECTION: Count("pk", filter=window & Q(asks_reflection=True, reflection_done=True)),
        "reflection_of": Count("pk", filter=window & Q(asks_reflection=True)),
        WELLBEING: Count("pk", filter=window & Q(asks_wellbeing=True, wellbeing_done=True)),
        "wellbeing_of": Count("pk", filter=window & Q(asks_wellbeing=True)),
    }


def _records_and_cancellations(scope, start, at, totals: Figures, unit_row, person_row) -> None:
    keys = [RECORDS_FINALISED, REFLECTION, "reflection_of", WELLBEING, "wellbeing_of"]
    records = (
        finalised_records()
        .filter(scope.supervisee_q("session__supervisee"), finalised_at__gt=start)
        .filter(finalised_at__lte=at)
    )
    cancelled = cancelled_sessions().filter(
        scope.supervisee_q("supervisee"), cancelled_at__gt=start, cancelled_at__lte=at
    )
    unit_path = "session__supervisee__profile__unit__path"
    for entry in records.values(unit_path).annotate(**_quality_counts(start, at)):
        row = unit_row(entry[unit_path])
        for key in keys:
            totals.add(key, entry[key])
            if row is not None:
                row.figures.add(key, entry[key])
    for entry in cancelled.values("supervisee__profile__unit__path").annotate(n=Count("pk")):
        totals.add(CANCELLATIONS, entry["n"])
        row = unit_row(entry["supervisee__profile__unit__path"])
        if row is not None:
            row.figures.add(CANCELLATIONS, entry["n"])
    if scope.unit is None:
        return
    own = {unit_path: scope.unit.path}
    for entry in (
        records.filter(**own)
        .values("session__supervisee_id")
        .annotate(**_quality_counts(start, at))
    ):
        row = person_row(entry["session__supervisee_id"])
        for key in keys:
            row.figures.add(key, entry[key])
    own = {"supervisee__profile__unit__path": scope.unit.path}
    for entry in cancelled.filter(**own).values("supervisee_id").annotate(n=Count("pk")):
        person_row(entry["supervisee_id"]).figures.add(CANCELLATIONS, entry["n"])


def _trends(scope: Scope, months: list[Month]) -> dict[str, list]:
    """Each measure at each month end (flags, staff), or over each month (records,
    cancellations): four queries of conditional counts."""
    from supervision.models import StaffProfile

    first, last = months[0].start, months[-1].at
    flags = _between(scope.flags(flags_with_unit()), first, last)
    flag_counts = {}
    for i, month in enumerate(months):
        flag_counts[f"overdue_staff_{i}"] = Count(
            "person",
            distinct=True,
            filter=held(month.at)
            & Q(kind=FlagKind.SESSION_OVERDUE, child__isnull=True)
            & in_post(month.at, "person__profile__"),
        )
        for kind in FLAG_KINDS:
            flag_counts[f"{kind}_{i}"] = Count("pk", filter=held(month.at) & Q(kind=kind))
    flag_totals = flags.aggregate(**flag_counts)

    staff_counts = {
        f"staff_{i}": Count("pk", filter=in_post(month.at)) for i, month in enumerate(months)
    }
    staff_totals = scope.profiles(StaffProfile.objects.all()).aggregate(**staff_counts)

    record_counts = {}
    for i, month in enumerate(months):
        for key, count in _quality_counts(month.start, month.at).items():
            record_counts[f"{key}_{i}"] = count
    record_totals = (
        finalised_records()
        .filter(scope.supervisee_q("session__supervisee"))
        .filter(finalised_at__gt=first, finalised_at__lte=last)
        .aggregate(**record_counts)
    )
    cancel_counts = {
        f"c_{i}": Count("pk", filter=Q(cancelled_at__gt=m.start, cancelled_at__lte=m.at))
        for i, m in enumerate(months)
    }
    cancel_totals = (
        cancelled_sessions()
        .filter(scope.supervisee_q("supervisee"))
        .filter(cancelled_at__gt=first, cancelled_at__lte=last)
        .aggregate(**cancel_counts)
    )

    trends: dict[str, list] = defaultdict(list)
    for i, _ in enumerate(months):
        for kind in FLAG_KINDS:
            trends[kind].append(flag_totals[f"{kind}_{i}"] or 0)
        staff_now = staff_totals[f"staff_{i}"] or 0
        trends[STAFF].append(staff_now)
        trends[STAFF_ON_TIME].append(staff_now - (flag_totals[f"overdue_staff_{i}"] or 0))
        trends["on_time_percent"].append(percent(trends[STAFF_ON_TIME][-1], staff_now))
        for key in (RECORDS_FINALISED, REFLECTION, "reflection_of", WELLBEING, "wellbeing_of"):
            trends[key].append(record_totals[f"{key}_{i}"] or 0)
        trends["reflection_percent"].append(
            percent(trends[REFLECTION][-1], trends["reflection_of"][-1])
        )
        trends["wellbeing_percent"].append(
            percent(trends[WELLBEING][-1], trends["wellbeing_of"][-1])
        )
        trends[CANCELLATIONS].append(cancel_totals[f"c_{i}"] or 0)
    return dict(trends)


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
    from supervision.models import StaffProfile

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
    return records


def cancellation_items(scope: Scope, start: datetime, at: datetime):
    from supervision.models import SupervisionSession

    again = SupervisionSession.objects.filter(replaces=OuterRef("pk"))
    return (
        cancelled_sessions()
        .annotate(was_rescheduled=Exists(again))
        .filter(scope.supervisee_q("supervisee"))
        .filter(cancelled_at__gt=start, cancelled_at__lte=at)
        .select_related("supervisee", "supervisor")
        .order_by("-cancelled_at", "pk")
    )


# --- What the pages show -------------------------------------------------------------------------

TABLES = (
    (
        "supervision",
        "Supervision of staff",
        [
            STAFF,
            STAFF_ON_TIME,
            FlagKind.SESSION_OVERDUE,
            FlagKind.RECORD_OVERDUE,
            FlagKind.SIGNOFF_OVERDUE,
            FlagKind.AGREEMENT_MISSING,
            FlagKind.AGREEMENT_REVIEW_OVERDUE,
            CANCELLATIONS,
            FlagKind.CANCELLATION_NOT_RESCHEDULED,
            FlagKind.ACTION_OVERDUE,
        ],
    ),
    (
        "children",
        "Children and development",
        [
            FlagKind.CASE_REVIEW_OVERDUE,
            FlagKind.ALLOCATION_NOT_DISCUSSED,
            FlagKind.CLOSURE_WITHOUT_SUPERVISION,
            FlagKind.COVER_NEEDED,
            FlagKind.OBSERVATION_DUE,
            FlagKind.DEVELOPMENT_PLAN_DUE,
            FlagKind.PROBATION_REVIEW_DUE,
        ],
    ),
    ("quality", "Quality of records", [RECORDS_FINALISED, REFLECTION, WELLBEING]),
)

HEADLINES = (
    STAFF_ON_TIME,
    FlagKind.SESSION_OVERDUE,
    FlagKind.RECORD_OVERDUE,
    FlagKind.SIGNOFF_OVERDUE,
    FlagKind.CASE_REVIEW_OVERDUE,
    FlagKind.ACTION_OVERDUE,
)

CHARTS = (
    ("on_time_percent", "Staff supervised on time", "Share", True),
    (FlagKind.SESSION_OVERDUE, "Supervision overdue", "Staff", False),
    (FlagKind.RECORD_OVERDUE, "Records not written within 2 working days", "Records", False),
    (FlagKind.SIGNOFF_OVERDUE, "Records not signed off", "Records", False),
    (
        FlagKind.CASE_REVIEW_OVERDUE,
        "Children not case-supervised in their cycle",
        "Children",
        False,
    ),
    ("reflection_percent", "Records finalised with reflection completed", "Share", True),
)


def tables(board: Dashboard) -> list[dict]:
    return [
        {"id": key, "caption": caption, "measures": [MEASURE_BY_KEY[m] for m in keys]}
        for key, caption, keys in TABLES
    ]


def headlines(board: Dashboard) -> list[dict]:
    found = []
    for key in HEADLINES:
        measure = MEASURE_BY_KEY[key]
        figure, note = f"{board.totals.get(key):,}", ""
        if key == STAFF_ON_TIME:
            share = board.totals.on_time_percent
            figure = "–" if share is None else f"{share}%"
            note = f"{board.totals.get(STAFF_ON_TIME):,} of {board.totals.get(STAFF):,} staff"
        found.append({"key": key, "label": measure.label, "figure": figure, "note": note})
    return found


def charts(board: Dashboard) -> list[dict]:
    found = []
    for key, title, column, is_percent in CHARTS:
        values = board.trends[key]
        found.append(
            {
                "id": f"chart-{key.replace('_', '-')}",
                "title": title,
                "column": column,
                "percent": is_percent,
                "points": [(m.short, v) for m, v in zip(board.months, values, strict=True)],
                "rows": [(m.label, v) for m, v in zip(board.months, values, strict=True)],
            }
        )
    return found


def trend_lines(board: Dashboard) -> list[dict]:
    lines = []
    for measure in MEASURES:
        if measure.key == STAFF_ON_TIME:
            lines.append({"label": measure.label, "values": board.trends[STAFF_ON_TIME]})
            lines.append(
                {
                    "label": "Share of staff supervised on time",
                    "values": board.trends["on_time_percent"],
                    "percent": True,
                }
            )
            continue
        label = measure.label.replace(" in the last quarter", " in the month")
        lines.append({"label": label, "values": board.trends[measure.key]})
    return lines


def by_role(board: Dashboard) -> list[tuple]:
    return [(role, staff, on, percent(on, staff)) for role, staff, on in board.by_role]


def sort_rows(board: Dashboard, key: str | None) -> str | None:
    """Rows with most of a measure first; unknown keys leave the order (units, then people)."""
    if key not in MEASURE_BY_KEY:
        return None
    board.rows.sort(key=lambda row: (-row.figures.get(key), row.label))
    return key
