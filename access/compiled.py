"""Reads every page makes (the user signed in, the units they manage, the unit or person a
dashboard page is about), their SQL compiled once for each database.

Compiling a queryset with a join or two cost a page more CPU than the database spends
answering it. `Compiled` compiles the queryset its function builds for a made-up number, keeps
the statement if that number is its one parameter, and from then on sends the statement with
the real number, making the instances as Django's ModelIterable makes them (select_related's
objects included). Where the statement cannot be kept, or the value is not a plain number,
the queryset is simply run."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router

from supervision.organisation.kept_sql import RowLayout

# A number to compile with; a statement is kept only if this is its one parameter.
MARK = 987654321


class Compiled:
    """`build(value)`: a queryset of one model filtered by `value`, a number (anything else,
    or a number no column holds, is left to the ORM)."""

    def __init__(self, build: Callable):
        self.build = build
        self._model = None
        self._kept: dict = {}

    def first(self, value):
        """As `build(value).first()`."""
        found = self._read(value, first=True)
        return found[0] if found else None

    def list(self, value) -> list:
        """As `list(build(value))`."""
        return self._read(value, first=False)

    def _queryset(self, value, first: bool):
        queryset = self.build(value)
        if first:
            queryset = (queryset if queryset.ordered else queryset.order_by("pk"))[:1]
        return queryset

    def _read(self, value, first: bool) -> list:
        plain = type(value) is int and -(2**63) <= value < 2**63
        if not plain or self._model is None:
            queryset = self._queryset(value, first)
            self._model = queryset.model
            if not plain:  # what the ORM makes of anything else, or refuses
                return list(queryset)
        alias = router.db_for_read(self._model)
        key = (first, alias)
        if key not in self._kept:
            self._kept[key] = _Statement.of(self._queryset(MARK, first), alias)
        statement = self._kept[key]
        if statement is None:
            return list(self._queryset(value, first))
        return statement.instances(value)


@dataclass(frozen=True)
class _Statement:
    """A compiled queryset and where each column of its rows goes (kept_sql.RowLayout: the
    model's fields, select_related's objects, through the columns' converters)."""

    sql: str
    layout: RowLayout

    @classmethod
    def of(cls, queryset, alias: str) -> "_Statement | None":
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        if (
            list(params) != [MARK]
            or queryset._prefetch_related_lookups
            or queryset._known_related_objects
            or compiler.annotation_col_map
            or compiler.has_extra_select
        ):
            return None
        return cls(sql=sql, layout=RowLayout.of(compiler))

    def instances(self, value: int) -> list:
        with connections[self.layout.alias].cursor() as cursor:
            cursor.execute(self.sql, [value])
            return self.layout.instances(cursor.fetchall())
