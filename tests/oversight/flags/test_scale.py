"""The flag job at scale: a full evaluation costs a fixed number of queries a batch, whoever is
in it and whatever is raised (the notices of new flags included); an idle tick asks one question,
of the tables' earliest checks, however many rows they hold.

People who started on 2 February 2026 with nothing recorded are overdue their first supervision
(F1, monthly) and their agreement (A1) on 5 March: every one of them has flags raised and their
line manager a notice for each.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.models import Child
from oversight.flags import scheduled
from oversight.flags.scheduled import tick
from oversight.models import Flag, Notification
from supervision.models import StaffProfile
from tests.oversight.flags.small_org import build_org
from tests.support.database_roles import owner_connection

LONDON = ZoneInfo("Europe/London")
BUILT = datetime(2026, 2, 1, 9, tzinfo=LONDON)
NOW = datetime(2026, 3, 5, 9, tzinfo=LONDON)


@pytest.fixture
def org(db):
    with time_machine.travel(BUILT, tick=False):
        return build_org()


def newcomers(org, count: int, name: str) -> list:
    with time_machine.travel(BUILT, tick=False):
        return [org.person(f"{name}{n}", date(2026, 2, 2)) for n in range(count)]


def evaluated(org, monkeypatch, *, batches: int, batch: int, name: str) -> int:
    """Queries of a full evaluation of `batches` batches of `batch` newcomers, nobody else due."""
    StaffProfile.objects.update(next_check_at=datetime(2027, 1, 1, tzinfo=LONDON))
    with time_machine.travel(NOW, tick=False):
        tick(NOW)  # nobody else is due, and each table's earliest check is kept
    people = newcomers(org, batches * batch, name)
    monkeypatch.setattr(scheduled, "BATCH", batch)
    flags, notices = Flag.objects.count(), Notification.objects.count()
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        result = tick(NOW)
    assert result.people == len(people)
    raised = Flag.objects.count() - flags
    assert raised == result.raised >= 2 * len(people), "each newcomer has flags raised"
    assert Notification.objects.count() - notices == raised, "a notice to the manager for each"
    return len(queries.captured_queries)


def test_a_full_evaluation_costs_the_same_queries_per_batch_whoever_is_in_it(org, monkeypatch):
    two = evaluated(org, monkeypatch, batches=2, batch=2, name="two")
    four = evaluated(org, monkeypatch, batches=4, batch=2, name="four")
    six = evaluated(org, monkeypatch, batches=6, batch=2, name="six")
    per_batch = (four - two) // 2
    assert four - two == six - four == 2 * per_batch, "each batch adds the same queries"
    # Reading facts (twelve queries), claiming, writing flags, notices and next checks.
    assert per_batch <= 30
    # Twice as many people a batch, new flags and notices for each: not one query more.
    assert evaluated(org, monkeypatch, batches=2, batch=4, name="wide") == two


def test_an_idle_tick_asks_one_question_whatever_the_tables_size(org):
    def idle_queries(people: int) -> list[str]:
        newcomers(org, people, f"idle{people}-")
        with time_machine.travel(NOW, tick=False):
            tick(NOW)
            with CaptureQueriesContext(connection) as queries:
                assert tick(NOW) == scheduled.TickResult()
        return [query["sql"] for query in queries.captured_queries]

    few, many = idle_queries(2), idle_queries(12)
    assert len(few) == len(many) == 1
    assert few == many, "the same question, however many rows"
    assert all("oversight_earliestcheck" in sql and "ORDER BY" not in sql for sql in few)


# Committed, so the tables' owner can ANALYZE what the test wrote: the application role the
# suite runs as in CI may not (PostgreSQL skips it with a warning, and plans without statistics).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_the_idle_tick_and_each_batch_read_index_ranges(org, postgres_only):
    """The plans PostgreSQL makes on a table of 20,000 children it has statistics for: the
    idle question and a batch's read go to the (next_check_at, id) index, never a scan of the
    table (at 400,000 children a scan took 150 ms; tests/benchmarks/measure_idle_tick.py)."""
    Child.objects.bulk_create(
        [
            Child(
                reference=f"IX{n:05d}",
                initials="AB",
                service="social_work",
                plan="assessment",
                unit=org.team,
                next_check_at=datetime(2026, 3, 6, tzinfo=LONDON) + timedelta(seconds=n),
            )
            for n in range(20_000)
        ],
        batch_size=5000,
    )
    with owner_connection() as owner:
        owner.execute("ANALYZE casework_child")
        owner.commit()
    probe = _explain(
        "SELECT EXISTS (SELECT 1 FROM casework_child WHERE next_check_at IS NULL) "
        "OR EXISTS (SELECT 1 FROM casework_child WHERE next_check_at <= %s)",
        [NOW],
    )
    assert "child_next_check" in probe and "Seq Scan" not in probe, probe
    # A batch's two reads, carrying on from the batch before.
    for rows in (
        Child.objects.filter(next_check_at__isnull=True, pk__gt=5),
        Child.objects.filter(next_check_at__lte=NOW, next_check_at__gte=NOW - timedelta(days=1)),
    ):
        sql, params = rows.order_by("next_check_at", "pk")[:500].query.sql_with_params()
        plan = _explain(sql, params)
        assert "child_next_check" in plan and "Seq Scan" not in plan and "Sort" not in plan, plan


def _explain(sql, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


PROMPT_VACUUM = {
    "autovacuum_vacuum_scale_factor=0",
    "autovacuum_vacuum_threshold=1000",
    "autovacuum_vacuum_cost_delay=0",
}


def _probe_buffers() -> tuple[int, int]:
    """(index and heap pages read, rows fetched) by the idle tick's question on the
    children, as EXPLAIN (ANALYZE, BUFFERS) counts them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "
            "SELECT EXISTS (SELECT 1 FROM casework_child WHERE next_check_at IS NULL) "
            "OR EXISTS (SELECT 1 FROM casework_child WHERE next_check_at <= %s)",
            [NOW],
        )
        plan = cursor.fetchone()[0]
    plan = plan[0]["Plan"] if isinstance(plan, list) else plan
    pages = plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
    fetched = sum(p.get("Heap Fetches", 0) for p in plan.get("Plans", []))
    return pages, fetched


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_the_rows_the_job_writes_are_vacuumed_soon_after(org, postgres_only):
    """Each look at a subject leaves two dead entries in the (next_check_at, id) index (a
    claim, then the next check), where the tick probes (the NULLs, the earliest moments) once
    a table's earliest check has come: the probe reads every one until a vacuum (the idle tick
    does not: test_earliest_check). The job's tables are vacuumed once a thousand rows are
    dead (oversight 0024), not a fifth of the table as PostgreSQL's default: the probe is back
    to a handful of pages as soon as autovacuum has been (stood in for here by the owner's
    VACUUM: autovacuum's minute cannot be waited on)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class "
            "WHERE relname IN ('casework_child', 'supervision_staffprofile')"
        )
        options = dict(cursor.fetchall())
    assert len(options) == 2
    for table, settings in options.items():
        assert set(settings or ()) >= PROMPT_VACUUM, table

    later = datetime(2026, 3, 6, tzinfo=LONDON)
    Child.objects.bulk_create(
        [
            Child(
                reference=f"VX{n:05d}",
                initials="AB",
                service="social_work",
                plan="assessment",
                unit=org.team,
                next_check_at=later + timedelta(seconds=n),
            )
            for n in range(5_000)
        ],
        batch_size=5000,
    )
    with owner_connection() as owner:
        owner.autocommit = True
        owner.execute("VACUUM ANALYZE casework_child")
    StaffProfile.objects.update(next_check_at=later)
    clean, _ = _probe_buffers()

    # A full evaluation's writes: every row marked, claimed, then given its next check.
    Child.objects.update(next_check_at=None)
    Child.objects.update(next_check_at=NOW + scheduled.CLAIM_LEASE)
    Child.objects.update(next_check_at=later)
    with time_machine.travel(NOW, tick=False):
        assert tick(NOW) == scheduled.TickResult()  # probes, finds nothing due, raises
        with CaptureQueriesContext(connection) as queries:
            assert tick(NOW) == scheduled.TickResult()
    assert len(queries.captured_queries) == 1, "one question, dead entries or none"
    dirty = _probe_buffers()  # every dead entry read (unless autovacuum came meanwhile)

    with owner_connection() as owner:
        owner.autocommit = True
        owner.execute("VACUUM casework_child")
    pages, fetched = _probe_buffers()
    assert fetched == 0
    assert pages <= clean + 4, (pages, clean, dirty)
