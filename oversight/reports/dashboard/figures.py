"""Every figure of one dashboard page, counted in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from functools import partial

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, StrIndex, Substr
from django.utils import timezone

from oversight.models import FlagKind
from oversight.reports.dashboard.items import (
    cancelled_sessions,
)
from oversight.reports.dashboard.measures import (
    CANCELLATIONS,
    FUNCTION_KEYS,
    FUNCTIONS_RECORDED,
    RECORDS_FINALISED,
    REFLECTION,
    RISKS,
    SIGNOFF_AGES,
    STAFF,
    STAFF_ON_TIME,
    WELLBEING,
    WINDOW_DAYS,
)
from oversight.reports.dashboard.scope import (
    Dashboard,
    Figures,
    Row,
    Scope,
    _between,
    _flag_unit_path,
    flags_with_unit,
    held,
    in_post,
    percent,
    trend_months,
)
from oversight.reports.dashboard.shapes import counted
from oversight.reports.dashboard.summaries import closed_count, kept, month_key
from supervision.models import (
    FinalisedRecord,
    JobRole,
    StaffProfile,
    Unit,
)


def build(scope: Scope, at: datetime, *, is_now: bool) -> Dashboard:
    """Every figure of one dashboard page, in a fixed number of queries.

    Each kind of fact is read once for the date and the months counted live together: one
    query per kind, grouped by unit, with a count per month (the last month runs to the date,
    so its count is the date's figure) and, for records and cancellations, one for the quarter
    to the date; on a unit's page, its own people by person in the same queries, for their
    rows. Each query is compiled once for each shape of page (`shapes`). A unit's closed
    months come from their summaries (`summaries.kept`, one query once kept), so only the
    month of the date is counted live; a person's page counts all twelve."""

    months = trend_months(at)
    # Closed months from their summaries (but for a person's page, counted whole); the open
    # month and the date counted here.
    closed = 0 if scope.unit is None else closed_count(months, timezone.now())
    live = months[closed:]
    window_start = at - timedelta(days=WINDOW_DAYS)
    totals = Figures()
    trends: dict[str, list] = defaultdict(lambda: [0] * len(live))
    rows = _rows_of_scope(scope, at)
    unit_row, person_row = _row_finders(rows)
    common = {"totals": totals, "trends": trends, "unit_row": unit_row}

    overdue_by_role = _flag_figures(scope, live, window_start, person_row=person_row, **common)
    signoff_ages, case_risks = _breakdowns(scope, live, window_start)
    staff_by_role = _staff_figures(scope, live, window_start, by_row=True, **common)
    by_role = _staff_by_role(staff_by_role, overdue_by_role)
    _records_and_cancellations(scope, live, window_start, person_row=person_row, **common)
    trends = _with_closed(kept(scope.unit, months[:closed], count_trends), trends, len(live))
    _add_staff_on_time(totals, rows.values(), trends)
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


def _row_key(scope: Scope, by_row: bool, path: str):
    """The database's own key for the row a unit path counts in: the id of the child unit it
    is under ("" for the unit itself), cut from the path, so the database adds up by row and a
    few rows come back, not one per unit of a large organisation. "" for every row of a
    person's page, or of a count with no rows."""
    if scope.unit is None or not by_row:
        return Value("", output_field=CharField())
    rest = Substr(F(path), len(scope.unit.path) + 1)
    return Case(
        When(**{path: scope.unit.path}, then=Value("")),
        default=Substr(rest, 1, StrIndex(rest, Value("/")) - 1),
        output_field=CharField(),
    )


def _row_finders(rows: dict[str, Row]):
    """How an aggregate's entry finds its row of the page: the row of a child unit, the row
    of a person (made if missing)."""

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

    return unit_row, person_row


def count_trends(unit, months) -> dict:
    """The trend figures of a unit's page for these months, by month key, counted whole: the
    same queries as the page's, without its rows. What a summary of a closed month holds."""
    trends: dict[str, list] = defaultdict(lambda: [0] * len(months))
    scope, start = Scope(unit=unit), months[0].start
    common = {"totals": Figures(), "trends": trends, "unit_row": lambda key: None}
    _flag_figures(scope, months, start, person_row=None, **common)
    _staff_figures(scope, months, start, by_row=False, **common)
    _records_and_cancellations(scope, months, start, person_row=None, **common)
    return {
        month_key(month): {key: values[i] for key, values in trends.items()}
        for i, month in enumerate(months)
    }


def _with_closed(closed: list[dict], live: dict, open_months: int) -> dict:
    """The trends of the whole page: the closed months' summaries, then the months counted
    live."""
    trends: dict[str, list] = defaultdict(lambda: [0] * (len(closed) + open_months))
    for key in {*live, *(key for figures in closed for key in figures)}:
        trends[key] = [figures.get(key, 0) for figures in closed] + list(
            live.get(key, [0] * open_months)
        )
    return trends


def _rows_of_scope(scope: Scope, at: datetime) -> dict[str, Row]:
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
            row = Row(f"p{profile.user_id}", profile.user.full_name, person=profile.user)
            row.figures.add(STAFF, 1)
            rows[row.key] = row
    return rows


def _flag_figures(
    scope, months, window_start, *, totals: Figures, trends, unit_row, person_row
) -> dict[str, int]:
    last = len(months) - 1

    def add(key, value, row=None):
        totals.add(key, value)
        if row is not None:
            row.figures.add(key, value)

    by_row = person_row is not None
    query = partial(_flag_query, by_row=by_row)
    overdue_by_role: dict[str, int] = defaultdict(int)
    # The unit's own flags by person, for their rows: held at the date (the last month's end).
    direct: dict[tuple, int] = defaultdict(int)
    for entry in counted(("flags", by_row), query, scope, months, window_start):
        for i in range(len(months)):
            trends[entry["kind"]][i] += entry[f"n{i}"]
            trends["staff_overdue"][i] += entry[f"s{i}"]
        row = unit_row(entry["row"])
        add(entry["kind"], entry[f"n{last}"], row)
        add("staff_overdue", entry[f"s{last}"], row)
        overdue_by_role[entry["role"]] += entry[f"s{last}"]
        if entry.get("own") and entry[f"n{last}"]:
            direct[entry["own_person"], entry["kind"]] += entry[f"n{last}"]
    for (person_id, kind), n in direct.items():
        row = person_row(person_id)
        row.figures.add(kind, n)
        if kind == FlagKind.SESSION_OVERDUE and row.person is not None:
            row.figures.add("staff_overdue", 1)
    return overdue_by_role


def _flag_query(scope, months, window_start, *, by_row: bool):
    """Flags held at each month end (the last: the date), by row, kind and role."""
    flags = _between(scope.flags(flags_with_unit()), months[0].start, months[-1].at)
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
    # By role only where the role is used (staff overdue), so the other kinds stay one group
    # per unit.
    role = Case(
        When(kind=FlagKind.SESSION_OVERDUE, then=F("person__profile__job_role__category")),
        default=Value(""),
        output_field=CharField(),
    )
    flags = flags.annotate(unit_path=_flag_unit_path())
    columns = _row_columns(scope, by_row, "unit_path", "person_id")
    return flags.order_by().values("kind", role=role, **columns).annotate(**counts)


def _row_columns(scope, by_row: bool, path: str, person: str) -> dict:
    """The row an aggregate's entry counts in and, on a unit's page with rows, whether it is
    the unit's own and whose: the unit's own people are counted by person in the same query,
    not read again."""
    columns = {"row": _row_key(scope, by_row, path)}
    if scope.unit is not None and by_row:
        own = Q(**{path: scope.unit.path})
        columns["own"] = Case(
            When(own, then=Value(1)), default=Value(0), output_field=IntegerField()
        )
        columns["own_person"] = Case(
            When(own, then=F(person)), default=None, output_field=IntegerField()
        )
    return columns


def _staff_figures(
    scope, months, window_start, *, by_row: bool, totals: Figures, trends, unit_row
) -> dict[str, int]:
    last = len(months) - 1
    staff_by_role: dict[str, int] = defaultdict(int)
    query = partial(_staff_query, by_row=by_row)
    for entry in counted(("staff", by_row), query, scope, months, window_start):
        for i in range(len(months)):
            trends[STAFF][i] += entry[f"n{i}"]
        totals.add(STAFF, entry[f"n{last}"])
        staff_by_role[entry["job_role__category"]] += entry[f"n{last}"]
        row = unit_row(entry["row"])
        if row is not None:
            row.figures.add(STAFF, entry[f"n{last}"])
    return staff_by_role


def _staff_query(scope, months, window_start, *, by_row: bool):
    """Staff in post at each month end, by row and role; the unit's own people are rows."""
    staff_counts = {f"n{i}": Count("pk", filter=in_post(m.at)) for i, m in enumerate(months)}
    staff = (
        scope.profiles(StaffProfile.objects.all())
        .order_by()
        .values("job_role__category", row=_row_key(scope, by_row, "unit__path"))
    )
    return staff.annotate(**staff_counts)


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


def _age_case(at: datetime):
    whens = [
        When(overdue_since__gt=at - timedelta(days=days), then=Value(key))
        for key, _, days in SIGNOFF_AGES
        if days is not None
    ]
    return Case(*whens, default=Value(SIGNOFF_AGES[-1][0]), output_field=CharField())


def _breakdowns(scope, months, window_start):
    """Records unsigned by how long overdue; children not discussed by risk."""
    buckets = counted(("breakdowns",), _breakdown_query, scope, months, window_start)
    found = {(b["kind"], b["bucket"]): b["n"] for b in buckets}
    ages = [
        (key, label, found.get((FlagKind.SIGNOFF_OVERDUE, key), 0))
        for key, label, _ in SIGNOFF_AGES
    ]
    risks = [
        (key, label, found.get((FlagKind.CASE_REVIEW_OVERDUE, key), 0)) for key, label in RISKS
    ]
    return ages, risks


def _breakdown_query(scope, months, window_start):
    at = months[-1].at
    return (
        scope.flags(flags_with_unit())
        .filter(held(at), kind__in=[FlagKind.SIGNOFF_OVERDUE, FlagKind.CASE_REVIEW_OVERDUE])
        .annotate(
            bucket=Case(
                When(kind=FlagKind.SIGNOFF_OVERDUE, then=_age_case(at)),
                default=Coalesce(F("child__rag_rating"), Value("")),
                output_field=CharField(),
            )
        )
        .values("kind", "bucket")
        .annotate(n=Count("pk"))
        .order_by()
    )


CANCELLATION_FIGURES = {CANCELLATIONS: Q()}
# What each record figure counts, of the records finalised (FinalisedRecord).
RECORD_FIGURES = {
    RECORDS_FINALISED: Q(),
    "reflection_of": Q(asks_reflection=True),
    "wellbeing_of": Q(asks_wellbeing=True),
    REFLECTION: Q(reflection_done=True),
    WELLBEING: Q(wellbeing_done=True),
    FUNCTIONS_RECORDED: Q(functions_recorded=True),
    **{key: Q(**{key: True}) for key in FUNCTION_KEYS},
}


def _counts(figures: dict) -> dict:
    return {key: Count("pk", filter=condition) for key, condition in figures.items()}


def _month_and_quarter(moment: str, months, window_start) -> dict:
    """Which of the trend months a row falls in (-1 for none) and whether it is in the
    quarter to the date: the database groups by them, so each figure is one aggregate, not
    one for each month and the quarter."""
    month = Case(
        *(
            When(**{f"{moment}__gt": m.start, f"{moment}__lte": m.at}, then=Value(i))
            for i, m in enumerate(months)
        ),
        default=Value(-1),
        output_field=IntegerField(),
    )
    quarter = Case(
        When(**{f"{moment}__gt": window_start}, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return {"month": month, "quarter": quarter}


def _records_and_cancellations(
    scope, months, window_start, *, totals: Figures, trends, unit_row, person_row
) -> None:
    """Records finalised and cancellations, in each month and in the quarter to the date
    ("q"), by unit; then the quarter by person for the unit's own people. Records are counted
    from what each contributed when it was finalised (FinalisedRecord), not from the records,
    sessions and sections themselves."""
    by_row = person_row is not None
    for name, counts in (("records", RECORD_FIGURES), ("cancellations", CANCELLATION_FIGURES)):
        query = partial(_moment_query, name, by_row=by_row)
        for entry in counted((name, by_row), query, scope, months, window_start):
            row = unit_row(entry["row"]) if entry["quarter"] else None
            # The unit's own people's rows: the quarter, by person.
            own = person_row(entry["own_person"]) if entry["quarter"] and entry.get("own") else None
            for key in counts:
                if entry["month"] >= 0:
                    trends[key][entry["month"]] += entry[key]
                if entry["quarter"]:
                    totals.add(key, entry[key])
                    if row is not None:
                        row.figures.add(key, entry[key])
                    if own is not None:
                        own.figures.add(key, entry[key])


def _moment_query(name: str, scope, months, window_start, *, by_row: bool):
    """Records finalised or sessions cancelled in each month and in the quarter to the date,
    by row, and the unit's own people's by person."""
    at = months[-1].at
    first = min(months[0].start, window_start)
    if name == "records":
        queryset, counts, moment = FinalisedRecord.objects.all(), RECORD_FIGURES, "finalised_at"
    else:
        queryset, counts, moment = cancelled_sessions(), CANCELLATION_FIGURES, "cancelled_at"
    queryset = queryset.filter(
        scope.supervisee_q("supervisee"), **{f"{moment}__gt": first, f"{moment}__lte": at}
    ).annotate(unit_path=F("supervisee__profile__unit__path"))
    by_row = queryset.order_by().values(
        **_row_columns(scope, by_row, "unit_path", "supervisee_id"),
        **_month_and_quarter(moment, months, window_start),
    )
    return by_row.annotate(**_counts(counts))
