"""Time the flag job's idle tick on national-scale tables. Run by hand:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helper_bench_idle \\
        .venv/bin/python tests/benchmarks/measure_idle_tick.py --staff 60000 --children 400000

The database named in DATABASE_URL is dropped and made afresh (the name must contain "bench").
Only the rows the idle question reads are made: people and children, each with its next check
spread over the coming day, so nothing is due. Then the idle tick (`tick`, nothing due) is
timed 50 times and printed beside its floor (two round trips that read nothing) and the ratio,
with the question the tick asked before (a scan and sort of the due rows, NULLs first)
beside it:

1. as built and analysed;
2. straight after every row's next check was written twice (as a full evaluation's claim and
   result write them), leaving the index its dead entries until a vacuum;
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


def old_question(model):
    from django.db.models import F, Q

    rows = model.objects.filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=NOW))
    rows = rows.order_by(F("next_check_at").asc(nulls_first=True), "pk")
    return list(rows.values_list("pk", "next_check_at")[:1])


def report(label: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casework.models import Child
    from oversight.flags.scheduled import TickResult, tick
    from supervision.models import StaffProfile

    def idle():
        assert tick(NOW) == TickResult()

    with CaptureQueriesContext(connection) as queries:
        idle()
    first, median = timed(idle)
    with connection.cursor() as cursor:

        def floor():
            for _ in range(2):
                cursor.execute("SELECT 1")
                cursor.fetchone()

        _, floor_median = timed(floor)
    _, old = timed(lambda: [old_question(m) for m in (StaffProfile, Child)], repeat=5)
    print(
        f"{label:<44} idle tick: {len(queries)} queries, first {first * 1000:.2f} ms, "
        f"median {median * 1000:.2f} ms; floor {floor_median * 1000:.2f} ms, ratio "
        f"{median / floor_median:.2f}; the question asked before: {old * 1000:.1f} ms"
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
