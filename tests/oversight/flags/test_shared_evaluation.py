"""A full evaluation shared among workers in chunks: each person and child judged once, whichever
worker takes their chunk, and nothing lost when a worker dies in the middle of a batch.
PostgreSQL only: SQLite has one writer, so nothing would race.

The first test runs the chunks on two threads with their own connections, both given every
chunk in opposite orders; the second hands the chunks to two real Celery workers through the
broker and kills one of them while it holds a batch.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.db.models import Count, Q

from casework.models import Child
from oversight.flags.compliance import compliance_rows, held_rows
from oversight.flags.scheduled import evaluation_chunks, tick, tick_range
from oversight.models import Flag, Notification
from oversight.notices.notify import acted_on, recipients
from supervision.models import StaffProfile
from tests.oversight.flags.test_scheduled_concurrency import on_two_workers
from tests.support.database_roles import owner_connection, superuser_connection
from tests.world import build_world

ROOT = Path(__file__).resolve().parents[3]
DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)


def everyone_marked():
    StaffProfile.objects.update(next_check_at=None)
    Child.objects.update(next_check_at=None)


def still_due(now) -> int:
    due = Q(next_check_at__isnull=True) | Q(next_check_at__lte=now)
    return StaffProfile.objects.filter(due).count() + Child.objects.filter(due).count()


def assert_each_flag_and_notice_once(now):
    flags = Flag.objects.all()
    assert flags.count() >= 20
    open_twice = (
        flags.filter(resolved_at=None)
        .values("kind", "person", "child", "about")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert list(open_twice) == []
    notices = Notification.objects.filter(kind="flag")
    wanted = Counter(
        (person.pk, flag.pk)
        for flag in acted_on(flags).select_related("person", "child")
        for person in recipients(flag, now.date())
    )
    assert Counter(notices.values_list("recipient_id", "flag_id")) == wanted
    # What the flags say is what the report says.
    assert held_rows(now) == compliance_rows(now)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_given_the_same_chunks_judge_each_person_and_child_once(postgres_only):
    with time_machine.travel(DAY, tick=False):
        build_world()
    with time_machine.travel(LATER, tick=False):
        everyone_marked()
        chunks = evaluation_chunks(LATER, size=3)
        labels = Counter(label for label, _, _ in chunks)
        assert labels == {"supervision.StaffProfile": 3, "casework.Child": 1}

        def run_all(order):
            results = [tick_range(*chunk, now=LATER) for chunk in order]
            return (sum(r.people for r in results), sum(r.children for r in results))

        barrier = threading.Barrier(2, timeout=30)

        def worker(order):
            barrier.wait()
            return run_all(order)

        both = []
        threads = [
            threading.Thread(target=lambda o=o: (both.append(worker(o)), connection.close()))
            for o in (chunks, chunks[::-1])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(both) == 2
        # Each of the 8 people and 2 children by one worker only.
        assert (sum(p for p, _ in both), sum(c for _, c in both)) == (8, 2)
        assert still_due(LATER) == 0
        assert_each_flag_and_notice_once(LATER)
        # A tick after finds nothing left.
        again = on_two_workers(tick, LATER)
        assert sum(r.people + r.children for r in again) == 0


def _worker(queue: str, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
        + ["--without-gossip", "--without-mingle", "--loglevel=WARNING", "-Q", queue]
        + ["-n", f"{queue}-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )


def _database_url() -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{settings['USER']}{password}@{host}:{port}/{settings['NAME']}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_real_workers_share_the_chunks_and_a_killed_workers_batch_is_taken_again(
    postgres_only, tmp_path
):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs a broker that worker processes share (REDIS_URL)")
    from oversight.tasks import flags_share

    with time_machine.travel(DAY, tick=False):
        build_world()
    everyone_marked()
    queue = f"flags-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": _database_url(),
    }
    workers = []
    try:
        # The notices table held: the worker reaching the end of a batch that raised flags
        # waits there, its rows claimed and its transaction open. Then it is killed.
        # Who waits is watched as a superuser: PostgreSQL shows a connection's wait only to
        # its own role and to those allowed to read all statistics, and in CI the workers
        # connect as the application role, the lock is held as the tables' owner.
        with owner_connection() as held, superuser_connection() as watch:
            held_pid = held.execute("SELECT pg_backend_pid()").fetchone()[0]
            held.execute("BEGIN")
            held.execute("LOCK TABLE oversight_notification IN EXCLUSIVE MODE")
            log = tmp_path / "workers.log"
            first = _worker(queue, env, log)
            workers.append(first)
            assert flags_share(LATER, queue=queue, size=3) == 4
            blocked = _wait_for(lambda: _others(watch, held_pid, waiting=True), timeout=300)
            assert blocked, f"the worker never reached the notices: {log.read_text()[-3000:]}"
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=20)
            held.execute("COMMIT")
            # Its batch is undone when its connection goes, releasing the rows it claimed.
            assert _wait_for(lambda: not _others(watch, held_pid), timeout=60)
        assert still_due(LATER) > 0, "the killed worker's batch left its rows due"

        # The next tick shares again what is due; two workers take the chunks.
        workers += [_worker(queue, env, log), _worker(queue, env, log)]
        assert flags_share(LATER, queue=queue, size=3) >= 1
        done = _wait_for(lambda: still_due(LATER) == 0, timeout=300)
        assert done, f"chunks not all done: {log.read_text()[-3000:]}"
        with time_machine.travel(LATER, tick=False):
            assert_each_flag_and_notice_once(LATER)
    finally:
        for process in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in workers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for(condition, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    return None


def _others(watch, held_pid: int, waiting: bool = False) -> int:
    """Connections to the test database other than the test's own three, or those of them
    waiting for a lock."""
    sql = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        f"AND pid NOT IN (pg_backend_pid(), {int(held_pid)}) "
        "AND backend_type = 'client backend' AND application_name = ''"
    )
    if waiting:
        sql += " AND wait_event_type = 'Lock'"
    mine = 0 if waiting else _own_connections()
    # Inside a transaction PostgreSQL answers from the activity it saw first: look afresh.
    watch.execute("SELECT pg_stat_clear_snapshot()")
    return max(0, watch.execute(sql).fetchone()[0] - mine)


def _own_connections() -> int:
    return 1 if connection.connection is not None else 0
