"""The earliest moment anything can be due in each table the flag job looks at (people,
children), kept in one row a table (oversight.models.EarliestCheck), so that an idle tick
reads those rows alone, in one query, whatever the tables hold and however many dead index
entries a mass write has left in them for a vacuum to clear (PostgreSQL's autovacuum may be
off, and the application may not VACUUM).

Every write that sets a next check lowers its table's row, in the same transaction, through
triggers (oversight 0026): no path can forget it. The job raises it, once it has found nothing
due in the table, to the true earliest next check. On PostgreSQL a write holds the table's
advisory lock shared to its commit and the raise holds it exclusively while it counts, so a
write the raise cannot see yet (uncommitted) is waited for, and a write that comes after the
raise began lowers the row again once the raise commits: a mark is never lost. A table
without its row is looked at every tick (a new database, a test's emptied tables)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection, transaction

# Stands for "now" for a marked row (NULL), and for "never" in a table with no next check:
# the same constants as the triggers'.
MARKED = datetime(1970, 1, 1, tzinfo=UTC)
NEVER = datetime(9999, 12, 31, tzinfo=UTC)
# The advisory lock's first key (the triggers'); its second is the table name's hash.
LOCK = 212021

_TABLE = "oversight_earliestcheck"


def tables_come(models, now: datetime) -> set:
    """The models whose earliest check has come by `now` (or that have no row yet): the rest
    have nothing due. One query, reading a table of two rows."""
    quote = connection.ops.quote_name
    sql = f"SELECT {quote('subject')} FROM {quote(_TABLE)} WHERE {quote('due_at')} > %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now)])
        waiting = {row[0] for row in cursor.fetchall()}
    return {model for model in models if model._meta.db_table not in waiting}


def raise_to_earliest(model) -> None:
    """Set the table's earliest check to its true earliest next check (1970 if any row is
    marked), counted while holding its lock exclusively (PostgreSQL): call it once nothing is
    due in the table. Writes to the table wait meanwhile: two index probes."""
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote("next_check_at")
    adapt = connection.ops.adapt_datetimefield_value
    marked = f"EXISTS (SELECT 1 FROM {table} WHERE {column} IS NULL)"  # noqa: S608
    earliest = f"COALESCE((SELECT MIN({column}) FROM {table}), %s)"  # noqa: S608
    # "WHERE 1 = 1": SQLite parses an INSERT … SELECT … ON CONFLICT only with a WHERE.
    sql = (
        f"INSERT INTO {quote(_TABLE)} ({quote('subject')}, {quote('due_at')}) "  # noqa: S608
        f"SELECT %s, CASE WHEN {marked} THEN %s ELSE {earliest} END WHERE 1 = 1 "
        f"ON CONFLICT ({quote('subject')}) DO UPDATE SET {quote('due_at')} = EXCLUDED.due_at"
    )
    params = [model._meta.db_table, adapt(MARKED), adapt(NEVER)]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOCK, model._meta.db_table]
            )
        cursor.execute(sql, params)


def mark(models) -> None:
    """Lower each table's earliest check to "now" (MARKED), as a write does through the
    triggers (held shared, as they hold the lock): for rows written with the triggers held off,
    a bulk load (demo.synthetic_writer). The next tick looks at the tables."""
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    sql = (
        f"UPDATE {quote(_TABLE)} SET {quote('due_at')} = %s "  # noqa: S608
        f"WHERE {quote('subject')} = %s AND {quote('due_at')} > %s"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT pg_advisory_xact_lock_shared(%s, hashtext(%s))", [LOCK, table]
                )
            cursor.execute(sql, [adapt(MARKED), table, adapt(MARKED)])
