"""Writing the synthetic organisation's rows (see `demo.synthetic`): plain values, by COPY on
PostgreSQL or one parameterised INSERT elsewhere."""

from __future__ import annotations

import json
import resource
from collections import Counter, deque
from datetime import datetime

from django.db import DatabaseError, IntegrityError, connection, models, transaction

ID_BLOCK = 2000  # ids taken from a sequence at once: fixed, so ids do not follow the chunk
CHECK_EVERY = 500_000  # rows written between two checks of their keys (PostgreSQL)


# --- Writing plain rows ----------------------------------------------------------------------


class _Writer:
    """Rows as dicts keyed by field attname, written to one model's table: COPY on
    PostgreSQL (method "copy"), else one parameterised INSERT run over the rows (method
    "insert", what SQLite uses; on PostgreSQL too when asked, to check COPY against it).
    Missing fields take the model's defaults (auto_now and auto_now_add: the clock); values
    go through Django's own adapters.

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
        self.line_plans = {}  # model: how its rows become lists of values
        self.unchecked, self.check_every = 0, CHECK_EVERY  # rows whose keys are unchecked
        self.first_ids = {}  # db_table: the lowest id reserved in it, where ids are reserved
        self.held = False  # the tables' triggers held off (hold_triggers)

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
            self.first_ids.setdefault(table, free[0])
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

    def _lines(self, model, plan, rows, with_id):
        """Each row's values in the plan's order: one list made by one comprehension a row,
        the defaults filled where missing (a call only for a callable default)."""
        if model not in self.line_plans:
            pairs = [(p[0], _MISSING if p[3] else p[2]) for p in plan]
            called = [(i, p[2]) for i, p in enumerate(plan) if p[3]]
            converted = [(i, p[4]) for i, p in enumerate(plan) if p[4] is not None]
            self.line_plans[model] = pairs, called, converted
        pairs, called, converted = self.line_plans[model]
        for row in rows:
            get = row.get
            line = [get(attname, default) for attname, default in pairs]
            for i, default in called:
                if line[i] is _MISSING:
                    line[i] = default()
            for i, convert in converted:
                if line[i] is not None:
                    line[i] = convert(line[i])
            if with_id:
                line.insert(0, row["id"])
            yield line

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
        lines = self._lines(model, plan, rows, with_id)
        if self.method == "copy":
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for line in lines:
                    copy.write_row(line)
        else:
            marks = ", ".join(["%s" if self.vendor == "postgresql" else "?"] * len(columns))
            with connection.cursor() as cursor:
                # Names from the model's metadata; every value is a parameter.
                sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
                cursor.cursor.executemany(sql, list(lines))
        self.counts[model._meta.label] += len(rows)
        self.unchecked += len(rows)
        return rows

    def check_keys(self) -> None:
        """On PostgreSQL, check the keys of the rows written since the last check now, rather
        than all at commit: each row written queues its deferred key checks in the server's
        memory until then, gigabytes for a national organisation's tens of millions. Called
        between chunks, when every row pointed at is written."""
        if self.vendor != "postgresql" or self.unchecked < self.check_every:
            return
        with connection.cursor() as cursor:
            # Made immediate, the checks queued so far run now; then deferred again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self.unchecked = 0

    def hold_triggers(self) -> bool:
        """On PostgreSQL, write the load with the tables' triggers held off to the end of the
        transaction (session_replication_role "replica", which holds the keys' checks off
        too): they cost more than half the database's time per row (at 500 staff the sessions
        step took 27.8 s with them, 10.8 s without). What they would have done is done once
        for the whole load by `write_held`, before the commit. Setting it needs a superuser,
        or GRANT SET ON PARAMETER: without that right the triggers run, more slowly, and the
        rows are the same."""
        if self.vendor != "postgresql":
            return False
        try:
            with transaction.atomic(), connection.cursor() as cursor:  # a savepoint
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            return False
        self.held = True
        return True

    def write_held(self) -> None:
        """What the held triggers would have done, done once for the whole load, in its
        transaction: every key of every row written checked (one anti-join a key); the
        finalised records' facts written (the trigger's own statement, supervision 0031);
        the people's and children's earliest checks lowered, so the next tick looks; and one
        note of a write about everyone, so no kept page outlives the load (home_kept). The
        guards (no part added to a finalised record, no change to a signed one) have nothing
        to refuse: every row is written once, in its last state, a record after its parts."""
        from importlib import import_module

        from casework.models import Child
        from oversight.flags import earliest_check
        from oversight.models import HomeChange
        from supervision.models import StaffProfile

        if not self.held:
            return
        self._check_written_keys()
        facts = import_module("supervision.migrations.0031_finalised_records")
        first = self.first_ids.get("supervision_supervisionrecord", 0)
        with connection.cursor() as cursor:
            cursor.execute(
                f"{facts.FACT_INSERT} {facts.FACT_SELECT} WHERE r.id >= %s "
                "AND r.status = 'finalised' AND r.finalised_at IS NOT NULL "
                "ON CONFLICT (record_id) DO NOTHING",
                [first],
            )
            cursor.execute("SET LOCAL session_replication_role = origin")
        self.held = False
        earliest_check.mark([m for m in (StaffProfile, Child) if m._meta.db_table in self.tables])
        HomeChange.objects.create(person_id=0)

    def _check_written_keys(self) -> None:
        """Every foreign key of the rows written points at a row (what the held key checks
        would have said): one anti-join a key, over the rows from the first id reserved in the
        table (its whole contents where ids came from the database)."""
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table, model in self.tables.items():
                pk = quote(model._meta.pk.column)
                for field in model._meta.concrete_fields:
                    if not field.is_relation or field.related_model is None:
                        continue
                    target = field.related_model
                    column = quote(field.column)
                    other = quote(target._meta.db_table)
                    key = quote(field.target_field.column)
                    cursor.execute(
                        f"SELECT c.{pk}, c.{column} FROM {quote(table)} c "  # noqa: S608
                        f"WHERE c.{pk} >= %s AND c.{column} IS NOT NULL AND NOT EXISTS "
                        f"(SELECT 1 FROM {other} p WHERE p.{key} = c.{column}) LIMIT 1",
                        [self.first_ids.get(table, 0)],
                    )
                    dangling = cursor.fetchone()
                    if dangling is not None:
                        raise IntegrityError(
                            f"{table}.{field.column}: row {dangling[0]} points at "
                            f"{target._meta.db_table} {dangling[1]}, which is not there"
                        )

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


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB (ru_maxrss is in kilobytes on
    Linux), the database's apart."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _hex(value) -> str:
    return value.hex
