"""A queryset's SQL compiled once, and its rows made into instances as Django's own iterable
makes them: for the queries a busy page asks on every request, where Django spends longer
building and compiling the query than the database spends answering it (the record page).

`KeptQuery(build)` keeps one shape of query: `build(**values)` gives its queryset, whose SQL
must not depend on the values, only its parameters, and which takes every value that may change
from one request to the next as one of them (never `today()` or the clock read inside `build`:
a constant of the made-up queries is kept as it is). The first time, the shape is compiled
from two made-up sets of values, every one differing from the other set's and from the other
names', and which value fills each parameter is read off by comparing the two; after that a
request only puts its own values in those places. A shape whose parameters cannot all be told
apart that way (a value worked out from another, or a database that turns values into text
while compiling, as SQLite does with dates) is never kept: it is built and compiled every time,
as before. oversight.reports.dashboard.shapes does the same for the dashboard's aggregates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection, connections
from django.db.models.query import get_related_populators


class KeptQuery:
    def __init__(self, build: Callable):
        self.build = build
        self._learnt: dict[str, tuple | None] = {}

    def instances(self, **values) -> list:
        """`list(build(**values))`, from the SQL compiled once."""
        vendor = connection.vendor
        made = [_made_up(n, values) for n in (1, 2)]
        if None in made:  # a value of a kind that is never kept (None): this time only
            return list(self.build(**values))
        if vendor not in self._learnt:
            self._learnt[vendor] = self._learn(values, made)
        learnt = self._learnt[vendor]
        if learnt is None:
            return list(self.build(**values))
        sql, slots, layout = learnt
        with connection.cursor() as cursor:
            cursor.execute(sql, _filled(slots, values))
            return layout.instances(cursor.fetchall())

    def _learn(self, values: dict, made: list[dict]):
        queryset = self.build(**values)
        compiler = queryset.query.get_compiler(connection=connection)
        real_sql, real_params = compiler.as_sql()
        (sql_1, params_1), (sql_2, params_2) = (_sql(self.build(**m)) for m in made)
        if not (sql_1 == sql_2 == real_sql) or not (
            len(params_1) == len(params_2) == len(real_params)
        ):
            return None
        # Only a plain list of instances: nothing Django's iterable would add from elsewhere.
        if (
            queryset._prefetch_related_lookups
            or queryset._known_related_objects
            or queryset._iterable_class.__name__ != "ModelIterable"
            or compiler.has_extra_select
            or compiler.has_composite_fields([s[0] for s in compiler.select])
        ):
            return None
        names = {_pair(made[0][name], made[1][name]): name for name in values}
        slots = []
        for one, two, real in zip(params_1, params_2, real_params, strict=True):
            if type(one) is type(two) and one == two:
                slots.append(("value", one, None))
                continue
            name = names.get(_pair(one, two))
            if name is None:
                return None
            made_type = None if type(real) is type(values[name]) else type(real)
            slots.append(("name", name, made_type))
        rebuilt = _filled(slots, values)
        if [(type(p), p) for p in rebuilt] != [(type(p), p) for p in real_params]:
            return None
        return real_sql, tuple(slots), RowLayout.of(compiler)


def _sql(queryset) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _filled(slots, values: dict) -> list:
    return [
        what if kind == "value" else (values[what] if made is None else made(values[what]))
        for kind, what, made in slots
    ]


def _pair(one, two) -> tuple:
    """Two made-up values, as their plain Python values: the compiler may wrap an int in a
    type of its driver's (Int4)."""
    return tuple(
        (int if isinstance(v, int) and not isinstance(v, bool) else type(v), v) for v in (one, two)
    )


def _made_up(n: int, values: dict) -> dict | None:
    """Values of the same kinds as `values`, each differing from the other made-up set's (n 1
    or 2) and from the other names'; None if a value is of a kind that cannot be made up."""
    made = {}
    for i, (name, value) in enumerate(values.items()):
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int):
            made[name] = 900_000_000 + 1_000 * i + n
        elif isinstance(value, datetime):
            made[name] = datetime(1901 + 10 * i + n, n, n, n, n, n, n, tzinfo=UTC)
        elif isinstance(value, date):
            made[name] = date(1901 + 10 * i + n, n, n)
        elif isinstance(value, str):
            made[name] = f"made-up {i} {n}"
        else:
            return None
    return made


@dataclass(frozen=True)
class RowLayout:
    """Where a row's values go: the model's fields, its related objects' (select_related) and
    its annotations, and the converters its columns need, from the compiler that wrote it."""

    alias: str
    model: type
    init_list: tuple
    start: int
    end: int
    populators: tuple
    annotations: tuple
    converters: tuple

    @classmethod
    def of(cls, compiler) -> RowLayout:
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        alias = compiler.connection.alias
        return cls(
            alias=alias,
            model=klass_info["model"],
            init_list=tuple(f[0].target.attname for f in select[start:end]),
            start=start,
            end=end,
            populators=tuple(get_related_populators(klass_info, select, alias)),
            annotations=tuple(compiler.annotation_col_map.items()),
            converters=tuple(converters.items()),
        )

    def instances(self, rows) -> list:
        database = connections[self.alias]
        found = []
        for row in rows:
            if self.converters:
                row = list(row)
                for position, (convs, expression) in self.converters:
                    value = row[position]
                    for converter in convs:
                        value = converter(value, expression, database)
                    row[position] = value
            obj = self.model.from_db(self.alias, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in self.annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found
