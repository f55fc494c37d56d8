"""The dashboard's tables as downloads: the same figures as the pages,
built by the same functions, with the same reach."""

from datetime import timedelta

from django.http import Http404
from django.utils import timezone

from access.units import person_for_download, tops_for, unit_for_download
from oversight.policy.due import local_date
from oversight.reports import dashboard, dashboard_tables, exports


def _scope(user, params) -> dashboard.Scope:
    """`unit` or `person`, inside the user's reach: else 404, as on the pages."""
    tops_for(user)  # a user with no units is refused before their parameters are read
    person_id = exports.param_int(params, "person", required=False)
    if person_id is not None:
        profile = person_for_download(user, person_id)
        if profile is None:
            raise Http404
        return dashboard.Scope(person=profile.user)
    unit = unit_for_download(user, exports.param_int(params, "unit"))
    if unit is None:
        raise Http404
    return dashboard.Scope(unit=unit)


def _at(params):
    day = exports.param_date(params, "date")
    now = timezone.now()
    if day is not None and day > local_date(now):
        raise exports.BadParameter("date", "in the future")
    return dashboard.moment_for(day, now)


def _name(scope) -> str:
    return scope.person.full_name if scope.person else scope.unit.name


def _as_at(at) -> str:
    return f"{local_date(at):%-d %B %Y}"


@exports.register("dashboard-figures", title="Figures by team and person")
def figures_table(user, params) -> exports.Table:
    scope = _scope(user, params)
    at = _at(params)
    board = dashboard.build(scope, at, is_now=False)
    columns = [exports.Column("row", "Team or person", 30)]
    for measure in dashboard.MEASURES:
        columns.append(exports.Column(measure.key, measure.label, 14))
        if measure.key == dashboard.STAFF_ON_TIME:
            columns.append(exports.Column("on_time_percent", "Supervised on time (%)", 12))
    rows = []
    for label, figures in [*((r.label, r.figures) for r in board.rows), ("All", board.totals)]:
        line = [label]
        for measure in dashboard.MEASURES:
            line.append(figures.get(measure.key))
            if measure.key == dashboard.STAFF_ON_TIME:
                line.append(figures.on_time_percent)
        rows.append(line)
    title = f"Supervision figures, {_name(scope)}, {_as_at(at)}"
    return exports.Table("dashboard-figures", title, columns, rows, len(rows))


@exports.register("dashboard-trends", title="Every measure, month by month")
def trends_table(user, params) -> exports.Table:
    scope = _scope(user, params)
    at = _at(params)
    board = dashboard.build(scope, at, is_now=False)
    columns = [exports.Column("measure", "Measure", 40)]
    columns += [exports.Column(f"m{i}", m.label, 12) for i, m in enumerate(board.months)]
    rows = [[line["label"], *line["values"]] for line in dashboard_tables.trend_lines(board)]
    title = f"Supervision trends, {_name(scope)}, to {_as_at(at)}"
    return exports.Table("dashboard-trends", title, columns, rows, len(rows))


@exports.register("dashboard-roles", title="Staff supervised on time, by role")
def roles_table(user, params) -> exports.Table:
    scope = _scope(user, params)
    at = _at(params)
    board = dashboard.build(scope, at, is_now=False)
    columns = [
        exports.Column("role", "Role", 30),
        exports.Column("staff", "Staff"),
        exports.Column("on_time", "Supervised on time"),
        exports.Column("share", "Share (%)"),
    ]
    rows = [list(line) for line in dashboard_tables.by_role(board)]
    title = f"Staff supervised on time by role, {_name(scope)}, {_as_at(at)}"
    return exports.Table("dashboard-roles", title, columns, rows, len(rows))


@exports.register("dashboard-items", title="The items behind a figure")
def items_table(user, params) -> exports.Table:
    scope = _scope(user, params)
    at = _at(params)
    key = (params.get("measure") or "").strip()
    if key not in dashboard.MEASURE_BY_KEY:
        raise exports.BadParameter("measure", "not a figure of the dashboard")
    measure = dashboard.MEASURE_BY_KEY[key]
    title = f"{measure.label}, {_name(scope)}, {_as_at(at)}"
    start = at - timedelta(days=dashboard.WINDOW_DAYS)
    if key in (dashboard.STAFF, dashboard.STAFF_ON_TIME):
        columns, rows = _staff_lines(scope, at, key)
    elif key in (dashboard.RECORDS_FINALISED, dashboard.REFLECTION, dashboard.WELLBEING):
        columns, rows = _record_lines(scope, start, at, key)
    elif key == dashboard.CANCELLATIONS:
        columns, rows = _cancellation_lines(scope, start, at)
    else:
        columns, rows = _flag_lines(scope, at, key)
    return exports.Table("dashboard-items", title, columns, rows, len(rows))


def _staff_lines(scope, at, key) -> tuple[list[exports.Column], list[list]]:
    profiles = dashboard.staff_items(scope, at, on_time=True if key != "staff" else None)
    columns = [
        exports.Column("name", "Name", 24),
        exports.Column("role", "Role", 24),
        exports.Column("unit", "Unit", 24),
        exports.Column("since", "In post since"),
    ]
    rows = [[p.user.full_name, p.job_role.name, p.unit.name, p.start_date] for p in profiles]
    return columns, rows


def _record_lines(scope, start, at, key) -> tuple[list[exports.Column], list[list]]:
    records = dashboard.record_items(scope, start, at, key)
    columns = [
        exports.Column("supervisee", "Supervisee", 24),
        exports.Column("supervisor", "Supervisor", 24),
        exports.Column("session", "Session"),
        exports.Column("finalised", "Finalised"),
        exports.Column("reflection", "Reflection completed"),
        exports.Column("wellbeing", "Wellbeing completed"),
    ]
    rows = [
        [
            r.session.supervisee.full_name,
            r.session.supervisor.full_name,
            local_date(r.session.starts_at),
            local_date(r.finalised_at),
            _yes_no(r.asks_reflection, r.reflection_done),
            _yes_no(r.asks_wellbeing, r.wellbeing_done),
        ]
        for r in records
    ]
    return columns, rows


def _cancellation_lines(scope, start, at) -> tuple[list[exports.Column], list[list]]:
    sessions = dashboard.cancellation_items(scope, start, at)
    columns = [
        exports.Column("supervisee", "Supervisee", 24),
        exports.Column("supervisor", "Supervisor", 24),
        exports.Column("planned", "Session planned for"),
        exports.Column("cancelled", "Cancelled on"),
        exports.Column("rescheduled", "Rescheduled"),
    ]
    rows = [
        [
            s.supervisee.full_name,
            s.supervisor.full_name,
            local_date(s.starts_at),
            local_date(s.cancelled_at),
            "Yes" if s.was_rescheduled else "No",
        ]
        for s in sessions
    ]
    return columns, rows


def _flag_lines(scope, at, key) -> tuple[list[exports.Column], list[list]]:
    flags = dashboard.flag_items(scope, at, key)
    columns = [
        exports.Column("staff", "Staff", 24),
        exports.Column("child", "Child", 14),
        exports.Column("detail", "Detail", 50),
        exports.Column("due", "Due"),
        exports.Column("since", "Overdue since"),
        exports.Column("resolved", "Put right"),
    ]
    rows = [
        [
            f.person.full_name if f.person_id else "",
            f"{f.child.reference} {f.child.initials}".strip() if f.child_id else "",
            f.detail,
            f.due,
            local_date(f.overdue_since),
            local_date(f.resolved_at) if f.resolved_at else None,
        ]
        for f in flags
    ]
    return columns, rows


def _yes_no(asked: bool, done: bool) -> str:
    if not asked:
        return "Not asked"
    return "Yes" if done else "No"
