"""The dashboard's aggregate queries, compiled once for each shape of page.

A page's figures are a few aggregate queries of a hundred or so expressions each, and Django
spends longer building and compiling them than the database spends answering them. What
differs from one page of the same shape (a unit's page with its rows, a person's page, a
unit's closed months; so many months counted live) to the next is only the parameters: the
unit, the person and the moments. So each shape is compiled once, from two made-up pages
whose every value differs, and which value fills each parameter is read off by comparing the
two; a later page only puts its own values in those places.

A query whose parameters cannot all be told apart that way (a value worked out from the
page's that `_values` does not name, or a database that turns values into text while
compiling, as SQLite does) is never kept: it is compiled for every page, as before.

The flags a person's page and the items pages list (`listed`) are kept the same way, and
their rows made into model instances as Django's own iterable makes them: on a person's
page, building and compiling the list's query took longer than the database took to answer
it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection

from oversight.policy.due import local_date
from oversight.reports.dashboard.measures import SIGNOFF_AGES
from oversight.reports.dashboard.scope import Month, Scope, trend_months
from supervision.models import Unit, User
from supervision.organisation.kept_sql import RowLayout

# Which value fills each parameter: ("value", constant) or ("name", a key of `_values`, the
# type the compiler gave it, such as psycopg's Int4). None for a shape that cannot be kept.
_KEPT: dict[tuple, tuple[str, tuple] | None] = {}
# The same for the lists of `listed`, with how their rows become instances.
_LISTS: dict[tuple, tuple[str, tuple, RowLayout] | None] = {}
_MADE_UP = ZoneInfo("Europe/London")


def counted(shape: tuple, build: Callable, scope: Scope, months: list[Month], window_start):
    """The rows of `build(scope, months, window_start)`, an aggregate queryset, as dicts,
    read without Django's per-value converters (the rows hold only ids, codes and counts)."""
    sql, params = compiled(shape, build, scope, months, window_start)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def compiled(shape: tuple, build: Callable, scope: Scope, months, window_start):
    """The SQL and parameters of `build(scope, months, window_start)`."""
    # The first moment counted by a query is the earlier of the first month's start and the
    # quarter's: which one is part of the shape.
    key = (
        connection.vendor,
        *shape,
        scope.unit is None,
        len(months),
        months[0].start <= window_start,
    )
    if key not in _KEPT:
        page = (scope, months, window_start)
        made = [_made_up(n, *page) for n in (1, 2)]
        _KEPT[key] = _learn(build, page, made, _values)
    kept = _KEPT[key]
    if kept is None:
        return _sql(build(scope, months, window_start))
    sql, slots = kept
    return sql, _filled(slots, _values(scope, months, window_start))


def _filled(slots, values: dict) -> list:
    return [
        what if kind == "value" else (values[what] if made is None else made(values[what]))
        for kind, what, made in slots
    ]


def _sql(queryset) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _learn(build: Callable, page: tuple, made: list[tuple], values_of: Callable):
    """Compile the shape from two made-up pages (`made`, the arguments of `build`) and from
    this one, and work out which value (`values_of(*arguments)`) fills each parameter; None if
    any parameter cannot be told."""
    first, second = made
    sql_1, params_1 = _sql(build(*first))
    sql_2, params_2 = _sql(build(*second))
    real_sql, real_params = _sql(build(*page))
    if not (sql_1 == sql_2 == real_sql) or not (len(params_1) == len(params_2) == len(real_params)):
        return None
    values_1, values_2 = values_of(*first), values_of(*second)
    names: dict[tuple, list[str]] = {}
    for name in values_1:
        names.setdefault(_pair(values_1[name], values_2[name]), []).append(name)
    values = values_of(*page)
    slots = []
    for one, two, real in zip(params_1, params_2, real_params, strict=True):
        if type(one) is type(two) and one == two:
            slots.append(("value", one, None))
            continue
        found = names.get(_pair(one, two), [])
        if len(found) != 1:
            return None
        made_type = None if type(real) is type(values[found[0]]) else type(real)
        slots.append(("name", found[0], made_type))
    rebuilt = _filled(slots, values)
    if [(type(p), p) for p in rebuilt] != [(type(p), p) for p in real_params]:
        return None
    return real_sql, tuple(slots)


def _pair(one, two) -> tuple:
    """Two made-up values, as their plain Python values: the compiler may wrap an int in a
    type of its driver's (Int4)."""
    return tuple(
        (int if isinstance(v, int) and not isinstance(v, bool) else type(v), v) for v in (one, two)
    )


def _values(scope: Scope, months: list[Month], window_start: datetime) -> dict:
    """Every value of a page a query of its shape may hold, by name."""
    at = months[-1].at
    values = {"window_start": window_start, **_scope_values(scope)}
    for i, month in enumerate(months):
        values.update(
            {f"start{i}": month.start, f"at{i}": month.at, f"day{i}": local_date(month.at)}
        )
    for key, _label, days in SIGNOFF_AGES:
        if days is not None:
            values[f"age_{key}"] = at - timedelta(days=days)
    return values


def _scope_values(scope: Scope) -> dict:
    if scope.unit is not None:
        path = scope.unit.path
        return {
            "unit": scope.unit.pk,
            "path": path,
            "path_like": f"{path}%",
            "path_after": len(path) + 1,
        }
    return {"person": scope.person.pk}


def _made_up(n: int, scope: Scope, months, window_start):
    """A page of the same shape as this one whose every value differs from the other made-up
    page's: another year, day, unit (with a path of another length) or person."""
    at = datetime(2000 + 3 * n, 2 + n, 10 + n, 11, n, n, n, tzinfo=_MADE_UP)
    made_months = trend_months(at)[-len(months) :]
    # The first month's start and the quarter's in the same order as the page's.
    later = months[0].start <= window_start
    made_window = made_months[0].start + timedelta(days=n if later else -n)
    return _made_up_scope(n, scope), made_months, made_window


def _made_up_scope(n: int, scope: Scope) -> Scope:
    """A made-up unit (with a path of another length) or person, the other made-up page's
    differing."""
    if scope.unit is not None:
        number = (91_000_001, 920_000_002)[n - 1]
        return Scope(unit=Unit(pk=number, path=f"/{number}/"))
    return Scope(person=User(pk=900_000_000 + n))


# --- Lists --------------------------------------------------------------------------------------


def listed(shape: tuple, build: Callable, scope: Scope, at: datetime, today: date) -> list:
    """The model instances of `build(scope, at, today)`, a queryset of one shape of list
    (`shape`: what is listed, such as a kind of flag), as `list(build(...))` would give them:
    its SQL compiled once for the shape, its rows read as Django's ModelIterable reads them."""
    key = (connection.vendor, *shape, scope.unit is None)
    if key not in _LISTS:
        _LISTS[key] = _learn_list(build, scope, at, today)
    kept = _LISTS[key]
    if kept is None:
        return list(build(scope, at, today))
    sql, slots, layout = kept
    with connection.cursor() as cursor:
        cursor.execute(sql, _filled(slots, _list_values(scope, at, today)))
        return layout.instances(cursor.fetchall())


def _list_values(scope: Scope, at: datetime, today: date) -> dict:
    return {**_scope_values(scope), "at": at, "today": today}


def _learn_list(build: Callable, scope: Scope, at: datetime, today: date):
    page = (scope, at, today)
    made = [
        (
            _made_up_scope(n, scope),
            datetime(2000 + 3 * n, 2 + n, 10 + n, 11, n, n, n, tzinfo=_MADE_UP),
            date(1990 + 3 * n, 5 + n, 3 + n),
        )
        for n in (1, 2)
    ]
    learnt = _learn(build, page, made, _list_values)
    if learnt is None:
        return None
    sql, slots = learnt
    queryset = build(*page)
    compiler = queryset.query.get_compiler(connection=connection)
    # Only a plain list of instances: nothing Django's iterable would add from elsewhere.
    if (
        compiler.as_sql()[0] != sql
        or queryset._prefetch_related_lookups
        or queryset._known_related_objects
        or compiler.has_extra_select
        or compiler.has_composite_fields([s[0] for s in compiler.select])
    ):
        return None
    return sql, slots, RowLayout.of(compiler)
