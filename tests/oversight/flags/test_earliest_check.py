"""Each table's earliest check (oversight.flags.earliest_check): every write that sets a next
check lowers it, whatever wrote it; a tick that finds nothing due raises it to the earliest
next check; the idle tick reads it alone, in one query of one page, even straight after a mass
write has left the tables' indexes full of dead entries; and a mark made while the job raises
it is never lost (PostgreSQL, two connections)."""

import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.db.models import Min
from django.test.utils import CaptureQueriesContext

from casework.models import Child
from oversight.flags import earliest_check, scheduled
from oversight.flags.earliest_check import MARKED
from oversight.flags.scheduled import mark_child_changed, tick
from oversight.models import EarliestCheck
from supervision.models import StaffProfile
from tests.oversight.flags.test_scale import LONDON, NOW, _probe_buffers
from tests.oversight.flags.test_scale import org as org  # noqa: F401 - the fixture

LATER = datetime(2026, 3, 6, tzinfo=LONDON)


def earliest(model) -> datetime:
    return EarliestCheck.objects.get(subject=model._meta.db_table).due_at


def children(org, count: int, prefix: str, first: datetime) -> list:
    return Child.objects.bulk_create(
        [
            Child(
                reference=f"{prefix}{n:05d}",
                initials="AB",
                service="social_work",
                plan="assessment",
                unit=org.team,
                next_check_at=first + timedelta(seconds=n),
            )
            for n in range(count)
        ],
        batch_size=5000,
    )


def nothing_due_before(moment: datetime) -> None:
    StaffProfile.objects.update(next_check_at=moment + timedelta(hours=1))
    Child.objects.update(next_check_at=moment)


def idle_tick() -> list[str]:
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        assert tick(NOW) == scheduled.TickResult()
    return [query["sql"] for query in queries.captured_queries]


def test_a_tick_that_finds_nothing_due_raises_each_earliest_check_to_its_earliest_next_check(
    org,
):
    assert not EarliestCheck.objects.exists()
    children(org, 3, "RC", LATER)
    nothing_due_before(LATER)
    assert len(idle_tick()) > 1, "no earliest check yet: the tables are asked"
    assert earliest(Child) == LATER
    assert earliest(StaffProfile) == LATER + timedelta(hours=1)
    assert len(idle_tick()) == 1
    assert earliest_check.tables_come([StaffProfile, Child], NOW) == set()
    assert earliest_check.tables_come([StaffProfile, Child], LATER) == {Child}


def test_every_write_of_a_next_check_lowers_the_earliest_check_and_none_raises_it(org):
    first, second = children(org, 2, "LW", LATER)
    nothing_due_before(LATER)
    idle_tick()
    assert earliest(Child) == LATER

    Child.objects.filter(pk=first.pk).update(next_check_at=LATER + timedelta(days=3))
    assert earliest(Child) == LATER, "a later next check leaves it"
    children(org, 1, "IN", LATER - timedelta(hours=2))
    assert earliest(Child) == LATER - timedelta(hours=2), "an insert lowers it"
    Child.objects.filter(pk__in=[first.pk, second.pk]).update(
        next_check_at=LATER - timedelta(hours=3)
    )
    assert earliest(Child) == LATER - timedelta(hours=3), "a bulk update lowers it"
    mark_child_changed(second.pk)
    assert earliest(Child) == MARKED, "a mark lowers it to 1970"
    assert earliest(StaffProfile) == LATER + timedelta(hours=1), "the other table's stays"


def test_a_mark_after_an_idle_tick_is_looked_at_by_the_next(org):
    first, _ = children(org, 2, "MK", LATER)
    nothing_due_before(LATER)
    idle_tick()
    assert len(idle_tick()) == 1
    mark_child_changed(first.pk)
    with time_machine.travel(NOW, tick=False):
        assert tick(NOW).children == 1
    assert earliest(Child) == LATER
    assert len(idle_tick()) == 1


def test_a_tick_that_stops_at_its_limit_leaves_the_earliest_check_due(org):
    marked = children(org, 3, "LM", LATER)
    nothing_due_before(LATER)
    idle_tick()
    Child.objects.filter(pk__in=[c.pk for c in marked]).update(next_check_at=None)
    with time_machine.travel(NOW, tick=False):
        assert tick(NOW, limit=2).children == 2
        assert earliest(Child) == MARKED, "one child still marked"
        assert tick(NOW).children == 1
    soonest = Child.objects.aggregate(soonest=Min("next_check_at"))["soonest"]
    assert soonest > NOW and earliest(Child) == soonest


# Committed, so the owner's and the other connections see the rows.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_the_idle_tick_after_mass_writes_reads_one_page(org, postgres_only):
    """A full evaluation's writes (every row marked, claimed, then given its next check) leave
    the (next_check_at, id) index two dead entries a row until a vacuum, which the application
    may not run and autovacuum may not (it can be off): the tables' own probe reads them all,
    the idle tick reads the earliest checks' page alone."""
    children(org, 20_000, "MW", LATER)
    nothing_due_before(LATER)
    Child.objects.update(next_check_at=None)
    Child.objects.update(next_check_at=NOW + scheduled.CLAIM_LEASE)
    Child.objects.update(next_check_at=LATER)
    assert earliest_check.tables_come([Child], NOW) == {Child}, "no earliest check yet"
    idle_tick()  # probes, finds nothing due, raises
    (question,) = idle_tick()

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + question)
        plan = cursor.fetchone()[0]
    plan = plan[0]["Plan"] if isinstance(plan, list) else plan
    pages = plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
    probe, _ = _probe_buffers()  # what the idle tick read before, for the message
    # The index's page and the row's, and a few more while heap pages of the row's older
    # versions await pruning (runs under load read three and four): a handful, whatever the
    # table's dead entries. The tables' own probe reads hundreds.
    assert pages <= 6, (pages, probe, question)


def _thread(job, finished: threading.Event, errors: list) -> threading.Thread:
    def run():
        try:
            job()
        except Exception as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)
        finally:
            finished.set()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_a_mark_made_while_the_tick_raises_is_never_lost(org, postgres_only):
    """A write marks a child and has not committed when the tick, finding nothing due (it
    cannot see the mark yet), raises the children's earliest check. Nor can the write lower it:
    it is already at 1970 from earlier writes. The raise waits for the write's commit and
    counts the mark; the next tick looks at the child."""
    first, _ = children(org, 2, "CR", LATER)
    nothing_due_before(LATER)
    Child.objects.update(next_check_at=None)
    Child.objects.update(next_check_at=LATER)  # nothing due, the earliest check not raised
    marked, release, ticked = threading.Event(), threading.Event(), threading.Event()
    errors: list = []

    def write():
        with transaction.atomic():
            mark_child_changed(first.pk)
            marked.set()
            release.wait(30)

    writer = _thread(write, threading.Event(), errors)
    assert marked.wait(30)
    ticker = _thread(lambda: tick(NOW), ticked, errors)
    try:
        assert not ticked.wait(1.5), "the raise waits for the write under way"
    finally:
        release.set()
        writer.join(30)
        ticker.join(30)
    assert not errors, errors
    assert earliest(Child) == MARKED
    with time_machine.travel(NOW, tick=False):
        assert tick(NOW).children == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_a_mark_made_after_the_raise_counted_lowers_it_again(org, postgres_only):
    """The raise has counted (the mark not yet made) and not committed: the write marking a
    child waits for it, then lowers the earliest check it wrote."""
    first, _ = children(org, 2, "CA", LATER)
    nothing_due_before(LATER)
    counted, release, written = threading.Event(), threading.Event(), threading.Event()
    errors: list = []

    def raise_and_wait():
        with transaction.atomic():
            earliest_check.raise_to_earliest(Child)
            counted.set()
            release.wait(30)

    raiser = _thread(raise_and_wait, threading.Event(), errors)
    assert counted.wait(30)
    writer = _thread(lambda: mark_child_changed(first.pk), written, errors)
    try:
        assert not written.wait(1.5), "the write waits for the raise to commit"
    finally:
        release.set()
        raiser.join(30)
        writer.join(30)
    assert not errors, errors
    assert earliest(Child) == MARKED
    with time_machine.travel(NOW, tick=False):
        assert tick(NOW).children == 1
