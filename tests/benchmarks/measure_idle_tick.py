"""Time the flag job's idle tick on national-scale tables. Run by hand:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helper_bench_idle \\
        .venv/bin/python tests/benchmarks/measure_idle_tick.py --staff 60000 --children 400000

The database named in DATABASE_URL is dropped and made afresh (the name must contain "bench").
Only the rows the idle question reads are made: people and children, each with its next check
spread over the coming day, so nothing is due. In each state below, the first tick (which, when
a table's earliest check has come, probes the table, finds nothing due and raises the earliest
check: oversight.flags.earliest_check) is timed on its own; then the idle tick (`tick`, nothing
due) 50 times, printed beside its floor (one round trip that reads nothing) and the ratio, with
the tables' own probes (the idle tick's question before the earliest checks) beside it:

1. as built and analysed;
2. straight after every row's next check was written twice (as a full evaluation's claim and
   result write them), leaving the index its dead entries until a vacuum (autovacuum may be
   off, and the application may not VACUUM);
3. after a VACUUM.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

from tests.benchmarks.measure_flags import NOW, fresh_database  # noqa: E402

REPEAT = 50


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--staff", type=int, default=60_000)
    parser.add_argument("--children", type=int, default=400_000)
    parser.add_argument("--keep", action="store_true", help="measure the tables built")
    return parser.parse_args()


def build(staff: int, children: int) -> None:
    from casework.models import Child
    from supervision.models import JobRole, StaffProfile, Unit, User

    team = Unit.objects.create(name="Team", code="team", kind="team")
    role = JobRole.objects.create(code="bench", name="Bench", category="practitioner")
    spread = timedelta(days=1)
    User.objects.bulk_create(
        (
            User(email=f"idle{n}@bench.example", full_name=f"Idle {n}", password="!")
            for n in range(staff)
        ),
        batch_size=5000,
    )
    users = User.objects.filter(email__endswith="@bench.example").values_list("pk", flat=True)
    StaffProfile.objects.bulk_create(
        (
            StaffProfile(
                user_id=pk,
                job_role=role,
                unit=team,
                start_date=NOW.date(),
                next_check_at=NOW + spread * (n + 1) / staff,
            )
            for n, pk in enumerate(users)
        ),
        batch_size=5000,
    )
    Child.objects.bulk_create(
        (
            Child(
                reference=f"IB{n:07d}",
                initials="AB",
                service="social_work",
                plan="assessment",
                unit=team,
                next_check_at=NOW + spread * (n + 1) / children,
            )
            for n in range(children)
        ),
        batch_size=5000,
    )


def timed(job, repeat=REPEAT) -> tuple[float, float]:
    """(first, median) seconds."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        job()
        timings.append(time.perf_counter() - started)
    return timings[0], sorted(timings)[len(timings) // 2]


def probes():
    """The tables' own probes, as the idle tick asked them before the earliest checks."""
    from casework.models import Child
    from oversight.flags.scheduled import _anything_due
    from supervision.models import StaffProfile

    return [_anything_due(model, NOW) for model in (StaffProfile, Child)]


def report(label: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from oversight.flags.scheduled import TickResult, tick

    def idle():
        assert tick(NOW) == TickResult()

    with CaptureQueriesContext(connection) as first_queries:
        raising, _ = timed(idle, repeat=1)
    with CaptureQueriesContext(connection) as queries:
        idle()
    _, median = timed(idle)
    with connection.cursor() as cursor:

        def floor():
            cursor.execute("SELECT 1")
            cursor.fetchone()

        _, floor_median = timed(floor)
    _, probed = timed(probes, repeat=5)
    print(
        f"{label:<38} first tick: {len(first_queries)} queries, {raising * 1000:.2f} ms; "
        f"idle tick: {len(queries)} queries, median {median * 1000:.3f} ms; floor "
        f"{floor_median * 1000:.3f} ms, ratio {median / floor_median:.2f}; "
        f"the tables' probes: {probed * 1000:.2f} ms"
    )


def main():
    options = arguments()
    if not options.keep:
        fresh_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from casework.models import Child
    from supervision.models import StaffProfile

    call_command("migrate", verbosity=0)
    if not options.keep:
        started = time.perf_counter()
        build(options.staff, options.children)
        print(f"Built in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"{StaffProfile.objects.count()} people, {Child.objects.count()} children; "
        f"clock fixed at {NOW.isoformat()}; {REPEAT} idle ticks each"
    )
    report("1. As built")
    for model in (StaffProfile, Child):
        # As a full evaluation writes each row: claimed, then its next check.
        model.objects.update(next_check_at=None)
        model.objects.update(next_check_at=NOW + timedelta(hours=12))
    report("2. After a full evaluation's writes")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE supervision_staffprofile")
        cursor.execute("VACUUM ANALYZE casework_child")
    report("3. After a vacuum")


if __name__ == "__main__":
    main()
