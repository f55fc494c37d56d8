"""The home page's fixed queries, compiled once for each shape, as
oversight.reports.dashboard.shapes keeps the dashboard's.

Each home page runs some twenty small queries, and Django spent longer building and compiling
them than the database spent answering them (some 40% of a supervisor's home page). What
differs from one person's page to the next is only the parameters: the person, the day, the
moment and the people they supervise. So each query is compiled from two made-up pages whose
every value differs, which value fills each parameter is read off by comparing the two, and a
later page only puts its own values in those places. The shape of a query is its name and the
number of ids in each list it is given (a supervisor of 65 and one of 12 have two shapes).

The first page of a shape reads through Django as before (and learns the shape); a query whose
parameters cannot all be told apart that way (a database that turns values into text while
compiling, as SQLite does) is never kept, and reads through Django on every page.

`build(values)`: the queryset, from `values`, a dict of ints, strings, dates, aware datetimes
and lists of ints (never booleans: two made-up pages could not differ in one).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.db.models.query import ModelIterable, ValuesListIterable

from oversight.reports.dashboard.shapes import _filled, _learn
from supervision.organisation.kept_sql import RowLayout

_KEPT: dict[tuple, tuple | None] = {}


def instances(name: str, build: Callable, values: dict) -> list:
    """`list(build(values))`, a queryset of model instances (select_related allowed)."""
    kept = _kept("instances", name, build, values, _instances_layout)
    if kept is None:
        return list(build(values))
    sql, slots, layout = kept
    return layout.instances(_fetch(sql, slots, values))


def tuples(name: str, build: Callable, values: dict) -> list[tuple]:
    """`list(build(values))`, a `values_list()` queryset (not flat, not named)."""
    kept = _kept("tuples", name, build, values, _tuples_layout)
    if kept is None:
        return list(build(values))
    sql, slots, converters = kept
    rows = _fetch(sql, slots, values)
    return [_converted(row, converters) for row in rows] if converters else rows


def _kept(kind: str, name: str, build: Callable, values: dict, layout_of: Callable):
    """The shape's SQL, parameters and layout; None on its first page (learnt from it, which
    reads through Django) and for a shape that cannot be kept."""
    key = _key(kind, name, values)
    if key is None:
        return None
    if key not in _KEPT:
        _KEPT[key] = _learn_shape(build, values, layout_of)
        return None
    return _KEPT[key]


def forget() -> None:
    """Every shape learnt: the next page of each reads through Django and learns it again."""
    _KEPT.clear()


def _fetch(sql: str, slots, values: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, _filled(slots, _flat(values)))
        return cursor.fetchall()


def _key(kind: str, name: str, values: dict) -> tuple | None:
    """The shape of the query, or None when a list holds an id twice (Django would read it
    once: a shorter query)."""
    if any(isinstance(v, list) and len(set(v)) != len(v) for v in values.values()):
        return None
    return (
        connection.vendor,
        kind,
        name,
        tuple((k, len(v) if isinstance(v, list) else None) for k, v in sorted(values.items())),
    )


def _learn_shape(build: Callable, values: dict, layout_of: Callable):
    if any(isinstance(v, list) and len(v) >= 1_000 for v in values.values()):
        return None  # the made-up ids of a list would run into another's
    made = [(_made_up(n, values),) for n in (1, 2)]
    learnt = _learn(build, (values,), made, _flat)
    if learnt is None:
        return None
    sql, slots = learnt
    compiler = build(values).query.get_compiler(connection=connection)
    if compiler.as_sql()[0] != sql:
        return None
    layout = layout_of(build(values), compiler)
    return None if layout is None else (sql, slots, layout)


def _instances_layout(queryset, compiler):
    # Only a plain list of instances: nothing Django's iterable would add from elsewhere.
    if (
        queryset._iterable_class is not ModelIterable
        or queryset._prefetch_related_lookups
        or queryset._known_related_objects
        or compiler.has_extra_select
        or compiler.has_composite_fields([s[0] for s in compiler.select])
    ):
        return None
    return RowLayout.of(compiler)


def _tuples_layout(queryset, compiler):
    if queryset._iterable_class is not ValuesListIterable or compiler.has_extra_select:
        return None
    converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
    return tuple(converters.items())


def _converted(row, converters) -> tuple:
    row = list(row)
    for position, (convs, expression) in converters:
        value = row[position]
        for converter in convs:
            value = converter(value, expression, connection)
        row[position] = value
    return tuple(row)


def _flat(values: dict) -> dict:
    """Each value by name, a list's by its name and place: the parameters a query may hold."""
    found = {}
    for name, value in values.items():
        if isinstance(value, list):
            found.update({f"{name}.{i}": each for i, each in enumerate(value)})
        else:
            found[name] = value
    return found


def _made_up(n: int, values: dict) -> dict:
    """A page with values of the same kinds as `values`, every one differing from the other
    made-up page's and from each other's."""
    made = {}
    for i, (name, value) in enumerate(sorted(values.items())):
        made[name] = _made_up_value(n, i, value)
    return made


def _made_up_value(n: int, i: int, value):
    if isinstance(value, list):
        return [900_000_000 + n * 100_000 + i * 1_000 + j for j in range(len(value))]
    if isinstance(value, bool):
        raise TypeError("a boolean cannot be told apart on two made-up pages")
    if isinstance(value, int):
        return 800_000_000 + n * 100_000 + i
    if isinstance(value, datetime):
        return datetime(2000 + 3 * n, 2 + n, 10 + n, 11, n, n, n, tzinfo=UTC) + timedelta(hours=i)
    if isinstance(value, date):
        return date(1990 + 3 * n, 5 + n, 3 + n) + timedelta(days=i)
    if isinstance(value, str):
        return f"made-up-{n}-{i}"
    raise TypeError(f"no made-up value for {type(value).__name__}")
