"""Writing the synthetic organisation's rows (see `demo.synthetic`): plain values, by COPY on
PostgreSQL or one parameterised INSERT elsewhere."""

from __future__ import annotations

import json
import resource
import uuid
from collections import Counter, deque
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, models

ID_BLOCK = 2000  # ids taken from a sequence at once: fixed, so ids do not follow the chunk


# --- Writing plain rows ----------------------------------------------------------------------


class _Writer:
    """Rows as dicts keyed by field attname, written to one model's table: COPY on
    PostgreSQL (method "copy"), else one parameterised INSERT run over the rows (method
    "insert", what SQLite uses; on PostgreSQL too when asked, to check COPY against it).
    Missing fields take the model's defaults (auto_now and auto_now_add: the clock). For
    COPY each value is written as text by its type (`_TEXT_FORMATS`); for INSERT it goes
    through Django's own adapters. A test checks the two write the same rows.

    Every row of the organisation goes through `write`, a chunk at a time: one place per
    table, and nothing kept once written. The tables written are remembered for ANALYZE."""

    def __init__(self, now: datetime, counts: Counter, method: str | None = None):
        self.now, self.counts, self.plans = now, counts, {}
        self.vendor = connection.vendor
        self.method = method or ("copy" if self.vendor == "postgresql" else "insert")
        if self.method == "copy" and self.vendor != "postgresql":
            raise ValueError("COPY needs PostgreSQL: write with method 'insert'.")
        self.tables = {}  # db_table: model, in the order first written
        self.free_ids = {}  # db_table: ids taken from its sequence, not yet given to a row
        self.text_plans = {}  # model: how its rows become COPY text

    def _plan(self, model):
        if model in self.plans:
            return self.plans[model]
        ops, plan = connection.ops, []
        for f in model._meta.concrete_fields:
            if f.primary_key:
                continue
            default, call = None, False
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                default = self.now
            elif f.has_default() and callable(f.default):
                default, call = f.default, True
            else:
                default = f.get_default()  # "" for text, None where null is allowed
            convert = None
            if self.vendor == "sqlite":
                if isinstance(f, models.DateTimeField):
                    convert = ops.adapt_datetimefield_value
                elif isinstance(f, models.DateField):
                    convert = ops.adapt_datefield_value
                elif isinstance(f, models.UUIDField):
                    convert = _hex
                elif isinstance(f, models.JSONField):
                    convert = json.dumps
            elif isinstance(f, models.JSONField):
                from psycopg.types.json import Jsonb

                convert = Jsonb
            plan.append((f.attname, f.column, default, call, convert))
        self.plans[model] = plan
        return plan

    def reserve(self, model, rows) -> None:
        """Give each row an id, so rows can point at each other before either is written:
        on PostgreSQL from the table's sequence, taken ID_BLOCK at a time (one round trip, safe
        beside other writers; what a block leaves over is a gap, as a rolled-back insert
        leaves); elsewhere above the table's largest. The ids are the same whatever the
        chunks the rows come in."""
        if not rows:
            return
        table, pk = model._meta.db_table, model._meta.pk.column
        free = self.free_ids.setdefault(table, deque())
        if self.vendor == "postgresql":
            while len(free) < len(rows):
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                        "FROM generate_series(1, %s)",
                        [table, pk, ID_BLOCK],
                    )
                    free.extend(sorted(row[0] for row in cursor.fetchall()))
            for row in rows:
                row["id"] = free.popleft()
            return
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT max({quote(pk)}) FROM {quote(table)}")  # noqa: S608
            start = (cursor.fetchone()[0] or 0) + 1
            if self.vendor == "sqlite":
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                found = cursor.fetchone()
                start = max(start, (found[0] + 1) if found else 1)
        # Ids handed out but not yet written are above the largest written.
        start = max(start, free[0] if free else 0)
        for offset, row in enumerate(rows):
            row["id"] = start + offset
        free.clear()
        free.append(start + len(rows))

    def _lines(self, plan, rows, with_id):
        for row in rows:
            line = [row["id"]] if with_id else []
            for attname, _, default, call, convert in plan:
                value = row.get(attname, _MISSING)
                if value is _MISSING:
                    value = default() if call else default
                if convert is not None and value is not None:
                    value = convert(value)
                line.append(value)
            yield line

    def _copy_text(self, model, plan, rows, with_id) -> str:
        """The rows in COPY's text format, each value formatted by its type: the rows of a
        national organisation are tens of millions, and handing psycopg a list per row to
        adapt value by value took as long as making them."""
        if model not in self.text_plans:
            pairs = [(p[0], _MISSING if p[3] else p[2]) for p in plan]
            called = [(i, p[2]) for i, p in enumerate(plan) if p[3]]
            json_at = [i for i, p in enumerate(plan) if p[4] is not None]
            self.text_plans[model] = pairs, called, json_at
        pairs, called, json_at = self.text_plans[model]
        formats, lines = _TEXT_FORMATS, []
        for row in rows:
            get = row.get
            values = [get(attname, default) for attname, default in pairs]
            for i, default in called:
                if values[i] is _MISSING:
                    values[i] = default()
            for i in json_at:
                if values[i] is not None:
                    values[i] = json.dumps(values[i])
            if with_id:
                values.insert(0, row["id"])
            lines.append("\t".join([formats[type(v)](v) for v in values]))
        lines.append("")
        return "\n".join(lines)

    def write(self, model, rows, *, ids: bool = False) -> list[dict]:
        if not rows:
            return rows
        if ids:
            self.reserve(model, rows)
        plan = self._plan(model)
        with_id = "id" in rows[0]
        quote = connection.ops.quote_name
        columns = ([model._meta.pk.column] if with_id else []) + [p[1] for p in plan]
        names = ", ".join(quote(c) for c in columns)
        table = quote(model._meta.db_table)
        self.tables.setdefault(model._meta.db_table, model)
        if self.method == "copy":
            text = self._copy_text(model, plan, rows, with_id)
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                copy.write(text)
        else:
            lines = self._lines(plan, rows, with_id)
            marks = ", ".join(["%s" if self.vendor == "postgresql" else "?"] * len(columns))
            with connection.cursor() as cursor:
                # Names from the model's metadata; every value is a parameter.
                sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
                cursor.cursor.executemany(sql, list(lines))
        self.counts[model._meta.label] += len(rows)
        return rows

    def analyse(self) -> None:
        """Fresh planner statistics for the tables just filled (PostgreSQL), so the first
        dashboard after a load is planned for millions of rows, not for empty tables."""
        if self.vendor != "postgresql":
            return
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in self.tables:
                cursor.execute(f"ANALYZE {quote(table)}")


_MISSING = object()
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class _Formats(dict):
    """COPY text of a value, by its type; a subclass (a model's choices are str enums)
    formatted as the first of its bases found."""

    def __missing__(self, kind):
        for base in kind.__mro__[1:]:
            if base in self:
                self[kind] = self[base]
                return self[base]
        raise TypeError(f"No COPY text for {kind.__name__} values")


_TEXT_FORMATS = _Formats(
    {
        type(None): lambda value: "\\N",
        str: lambda value: value.translate(_ESCAPES),
        bool: lambda value: "t" if value else "f",
        int: int.__repr__,  # an IntegerChoices member too (its __str__ is the name)
        float: float.__repr__,
        Decimal: Decimal.__str__,
        # ISO 8601 with the UTC offset: the same instant, whatever the session's time zone.
        datetime: datetime.isoformat,
        date: date.isoformat,
        uuid.UUID: uuid.UUID.__str__,
    }
)


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB (ru_maxrss is in kilobytes on
    Linux), the database's apart."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _hex(value) -> str:
    return value.hex
