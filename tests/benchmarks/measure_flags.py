"""Time the flag core on a large organisation. Run by hand:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helper_bench \\
        .venv/bin/python tests/benchmarks/measure_flags.py --staff 2000 --children 25000

The database named in DATABASE_URL is dropped and made afresh (the name must contain
"bench"; --keep measures an organisation built by an earlier run instead). The organisation is
written with bulk_create, as an import would: a year of supervision per person (sessions,
cancellations, records with their signatures, actions, agreements, observations, development
conversations, probation reviews) and, per open child, its allocations, risk ratings and two
years of case supervision notes. Then, with the clock fixed at NOW:

1. a full evaluation: every next_check_at NULL, `tick` until it finds nothing due; then its
   floor (`floor_evaluation`: the same facts read in bulk, the rules asked once a subject, the
   same flags and notices written in bulk), and the ratio of the two;
2. an idle tick straight after: nothing due, beside two empty round trips (its floor);
3. `compliance_rows(NOW)`, the compliance report for the moment;
4. a second full evaluation with nothing changed (every row marked again, as after a pack
   change); 4b. the work of 1 again, shared as chunks among --workers processes as
   `flags_share` shares it among Celery workers, beside the floor of 1;
5. a tick after writes to one person in a hundred and one child in a hundred.

Queries are counted with connection.execute_wrapper (every statement sent, savepoints too);
those made by oversight.notices.notify.flags_raised for the notices of a batch's new flags are
counted apart.
"""

import argparse
import os
import platform
import random
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 5, 12, 0, tzinfo=LONDON)
TODAY = NOW.date()


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--staff", type=int, default=2000)
    parser.add_argument("--children", type=int, default=25000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="measure the organisation built")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes sharing the chunked full evaluation"
    )
    return parser.parse_args()


def fresh_database():
    """Drop and create the database named in DATABASE_URL (PostgreSQL or SQLite)."""
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "")
    config = dj_database_url.parse(url) if url else {}
    name = str(config.get("NAME", ""))
    if "bench" not in name:
        sys.exit(f"Refusing to drop {name or 'the default database'!r}: use a name with 'bench'.")
    if config["ENGINE"].endswith("sqlite3"):
        Path(name).unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(
        host=config.get("HOST") or "127.0.0.1",
        port=config.get("PORT") or 5432,
        user=config.get("USER") or "postgres",
        password=config.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


# --- The organisation ------------------------------------------------------------------------


def moment(day: date, hour=10, minute=0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def working_days_after(day: date, count: int) -> date:
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def bulk(model, rows, size=5000):
    model.objects.bulk_create(rows, batch_size=size)
    return rows


def build(staff_count: int, children_count: int, rng: random.Random) -> dict:
    from agreements.models import AgreementSignature, SupervisionAgreement
    from casework.models import Allocation, CaseNote, Child, RiskRating
    from supervision.models import (
        Action,
        DevelopmentConversation,
        JobRole,
        PracticeObservation,
        ProbationReview,
        RecordTemplate,
        Signature,
        StaffProfile,
        SupervisionRecord,
        SupervisionSession,
        SupervisoryRelationship,
        Unit,
        User,
    )

    counts = Counter()
    directorate = Unit.objects.create(name="Children's services", code="dir", kind="directorate")
    services = [
        Unit.objects.create(
            name=f"Service {n}", code=f"svc-{n}", kind="service", parent=directorate
        )
        for n in range(max(1, staff_count // 500))
    ]
    teams = [
        Unit.objects.create(
            name=f"Team {n}", code=f"team-{n}", kind="team", parent=services[n % len(services)]
        )
        for n in range(max(1, staff_count // 25))
    ]
    roles = {
        category: JobRole.objects.get_or_create(
            code=f"bench-{category}", defaults={"name": f"Bench {category}", "category": category}
        )[0]
        for category in (
            "practitioner",
            "asye",
            "manager",
            "senior_manager",
            "support",
            "independent",
        )
    }

    users = bulk(
        User,
        [
            User(email=f"staff{n}@bench.example", full_name=f"Staff {n}", password="!")
            for n in range(staff_count)
        ],
    )
    users = list(User.objects.filter(email__endswith="@bench.example").order_by("pk"))
    profiles, team_of, category_of, start_of = [], {}, {}, {}
    seniors = {}
    managers = {}
    for index, user in enumerate(users):
        if index < len(services):
            category, unit = "senior_manager", services[index]
            seniors[unit.pk] = user
        elif index < len(services) + len(teams):
            unit = teams[index - len(services)]
            category = "manager"
            managers[unit.pk] = user
        else:
            unit = teams[index % len(teams)]
            category = rng.choices(
                ["practitioner", "asye", "support", "independent"], [78, 8, 8, 6]
            )[0]
        if category == "asye":
            start = TODAY - timedelta(days=rng.randint(20, 540))
        elif rng.random() < 0.1:
            start = TODAY - timedelta(days=rng.randint(20, 240))  # a new starter on probation
        else:
            start = date(2012, 1, 2) + timedelta(days=rng.randint(0, 4700))
        probation = start + timedelta(days=182) if (TODAY - start).days < 250 else None
        profiles.append(
            StaffProfile(
                user=user,
                job_role=roles[category],
                unit=unit,
                start_date=start,
                asye_start_date=start if category == "asye" else None,
                probation_end_date=probation,
            )
        )
        team_of[user.pk], category_of[user.pk], start_of[user.pk] = unit, category, start
    bulk(StaffProfile, profiles)
    for unit in services:
        unit.manager = seniors[unit.pk]
        unit.save()

    def line_manager(user):
        unit = team_of[user.pk]
        if category_of[user.pk] == "senior_manager":
            return None
        if category_of[user.pk] == "manager":
            return seniors[unit.parent_id]
        return managers[unit.pk]

    relationships = bulk(
        SupervisoryRelationship,
        [
            SupervisoryRelationship(
                supervisor=line_manager(user),
                supervisee=user,
                kind="line",
                starts_on=start_of[user.pk],
            )
            for user in users
            if line_manager(user) is not None
        ],
    )
    agreements, agreement_signatures = [], []
    for relationship in relationships:
        if rng.random() < 0.1:
            continue  # no agreement yet (A1)
        starts = max(relationship.starts_on, TODAY - timedelta(days=rng.randint(10, 400)))
        agreements.append(
            SupervisionAgreement(
                relationship=relationship,
                version=1,
                status="active",
                starts_on=starts,
                review_due_on=starts + timedelta(days=365),
                frequency_value=4 if rng.random() < 0.2 else 1,
                frequency_unit="weeks" if rng.random() < 0.2 else "months",
                created_by=relationship.supervisor,
            )
        )
    bulk(SupervisionAgreement, agreements)
    for agreement in agreements:
        relationship = agreement.relationship
        for role, signer, delay in (
            ("supervisee", relationship.supervisee, 0),
            ("supervisor", relationship.supervisor, 1),
        ):
            agreement_signatures.append(
                AgreementSignature(
                    agreement=agreement,
                    signer=signer,
                    role=role,
                    signed_at=moment(agreement.starts_on, 11 + delay),
                    content_hash="0" * 64,
                )
            )
    bulk(AgreementSignature, agreement_signatures)
    counts.update(relationships=len(relationships), agreements=len(agreements))

    # A year of sessions, each with its record, signatures and actions.
    template = RecordTemplate.objects.get(session_type="individual", is_current=True, audience="")
    sessions = []
    for relationship in relationships:
        person = relationship.supervisee
        behind = rng.random() < 0.08
        every = 14 if category_of[person.pk] == "asye" else 30
        day = max(start_of[person.pk], TODAY - timedelta(days=365)) + timedelta(days=3)
        while day <= TODAY + timedelta(days=20):
            starts = moment(day, rng.choice([9, 10, 11, 14]))
            status = "planned" if day > TODAY else "held"
            if status == "held" and rng.random() < 0.05:
                status = "cancelled"
            sessions.append(
                SupervisionSession(
                    supervisee=person,
                    supervisor=relationship.supervisor,
                    session_type="individual",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=1, minutes=30),
                    status=status,
                    cancelled_at=starts - timedelta(days=2) if status == "cancelled" else None,
                    cancellation_reason="Court" if status == "cancelled" else "",
                    created_by=relationship.supervisor,
                )
            )
            day += timedelta(
                days=every - rng.randint(0, 4) + (rng.randint(10, 40) if behind else 0)
            )
    bulk(SupervisionSession, sessions)
    counts.update(sessions=len(sessions))

    records, signatures, actions = [], [], []
    for session in sessions:
        day = session.starts_at.astimezone(LONDON).date()
        if session.status != "held" or (TODAY - day).days < 2:
            continue
        late = rng.random() < 0.06
        shared = working_days_after(day, rng.randint(4, 8) if late else rng.randint(0, 2))
        signed = shared + timedelta(days=rng.randint(0, 4))
        final = signed + timedelta(days=rng.randint(0, 3))
        record = SupervisionRecord(session=session, template=template, status="draft")
        if shared <= TODAY:
            record.status, record.shared_at = "shared", moment(shared, 16)
        if record.shared_at and signed <= TODAY and rng.random() < 0.97:
            record.status = "supervisee_signed"
            signatures.append((record, session.supervisee, "supervisee", moment(signed, 17)))
            if final <= TODAY and rng.random() < 0.97:
                record.status, record.finalised_at = "finalised", moment(final, 17, 30)
                signatures.append((record, session.supervisor, "supervisor", record.finalised_at))
        records.append(record)
    bulk(SupervisionRecord, records)
    bulk(
        Signature,
        [
            Signature(record=r, signer=s, role=role, signed_at=at, content_hash="0" * 64)
            for r, s, role, at in signatures
        ],
    )
    for record in records:
        if rng.random() < 0.7:
            session = record.session
            due_on = session.starts_at.astimezone(LONDON).date() + timedelta(
                days=rng.randint(14, 28)
            )
            done = rng.random() < 0.85 and due_on <= TODAY + timedelta(days=10)
            finished = due_on + timedelta(days=rng.randint(-10, 5))
            actions.append(
                Action(
                    record=record,
                    supervisee=session.supervisee,
                    description="Read the guidance",
                    owner="supervisee",
                    due_date=due_on,
                    status="done" if done and finished <= TODAY else "open",
                    status_changed_at=moment(finished, 12) if done and finished <= TODAY else None,
                )
            )
    bulk(Action, actions)
    counts.update(records=len(records), signatures=len(signatures), actions=len(actions))

    observations, conversations, reviews = [], [], []
    for user in users:
        category, start = category_of[user.pk], start_of[user.pk]
        manager = line_manager(user) or users[0]
        if category in ("practitioner", "asye"):
            day = max(start, TODAY - timedelta(days=540)) + timedelta(days=rng.randint(60, 200))
            while day <= TODAY:
                observations.append(
                    PracticeObservation(
                        practitioner=user,
                        practitioner_role=category,
                        observer=manager,
                        observer_role="Line manager",
                        observed_on=day,
                        venue="Family home",
                        permission_gained=True,
                        created_by=manager,
                    )
                )
                day += timedelta(days=rng.randint(150, 220))
        for year in (2025, 2026):
            for kind, month in (("plan", 2), ("review", 8)):
                held = date(year, month, rng.randint(1, 28))
                if start <= held <= TODAY and rng.random() < 0.9:
                    conversations.append(
                        DevelopmentConversation(
                            person=user, kind=kind, year=year, held_on=held, agreed_by=manager
                        )
                    )
        if (TODAY - start).days < 250:
            for month in (1, 4, 5):
                due_on = start + timedelta(days=30 * month)
                if due_on < TODAY - timedelta(days=3) and rng.random() < 0.9:
                    reviews.append(
                        ProbationReview(
                            person=user,
                            month=month,
                            due_on=due_on,
                            held_on=min(due_on + timedelta(days=rng.randint(-3, 6)), TODAY),
                            outcome="on_track",
                            notes="On track.",
                            reviewer=manager,
                        )
                    )
    bulk(PracticeObservation, observations)
    bulk(DevelopmentConversation, conversations)
    bulk(ProbationReview, reviews)
    counts.update(
        observations=len(observations),
        development_conversations=len(conversations),
        probation_reviews=len(reviews),
    )

    # Children: open cases with their allocations, risk ratings and case supervision notes.
    holders = [u for u in users if category_of[u.pk] in ("practitioner", "asye")]
    children, held_by = [], {}
    for n in range(children_count):
        worker = holders[n % len(holders)]
        service = rng.choices(["social_work", "early_help", "youth_justice"], [70, 20, 10])[0]
        allocated = moment(TODAY - timedelta(days=rng.randint(1, 730)), rng.randint(9, 16))
        yj = service == "youth_justice"
        children.append(
            Child(
                reference=f"BN{n:06d}",
                initials="AB",
                service=service,
                service_since=allocated.date(),
                plan="assessment",
                unit=team_of[worker.pk],
                allocated_worker=worker,
                allocated_at=allocated,
                rag_rating=rng.choice(["red", "amber", "green"]),
                serious_harm_level=rng.choice(["high", "medium", "low"]) if yj else "",
                safety_wellbeing_level=rng.choice(["medium", "low"]) if yj else "",
            )
        )
        held_by[n] = worker
    bulk(Child, children)
    allocations, ratings, notes = [], [], []
    for n, child in enumerate(children):
        worker, manager = held_by[n], managers[child.unit_id]
        if rng.random() < 0.15:
            before = child.allocated_at - timedelta(days=rng.randint(60, 400))
            allocations.append(
                Allocation(
                    child=child,
                    worker=holders[(n + 7) % len(holders)],
                    unit=child.unit,
                    service=child.service,
                    starts_at=before,
                    ends_at=child.allocated_at,
                    first_discussed_at=before + timedelta(hours=3),
                    allocated_by=manager,
                )
            )
        behind = rng.random() < 0.12
        discussed = child.allocated_at + timedelta(hours=rng.choice([2, 5, 20, 30]))
        first = discussed if discussed <= NOW else None
        allocations.append(
            Allocation(
                child=child,
                worker=worker,
                unit=child.unit,
                service=child.service,
                starts_at=child.allocated_at,
                first_discussed_at=first,
                allocated_by=manager,
            )
        )
        for scale, field in (
            ("rag", "rag_rating"),
            ("serious_harm", "serious_harm_level"),
            ("safety_wellbeing", "safety_wellbeing_level"),
        ):
            if getattr(child, field):
                ratings.append(
                    RiskRating(
                        child=child,
                        scale=scale,
                        level=getattr(child, field),
                        set_by=manager,
                        set_at=child.allocated_at,
                    )
                )
        while discussed <= NOW:
            notes.append(
                CaseNote(
                    child=child,
                    kind="case_supervision",
                    author=manager,
                    worker=worker,
                    unit=child.unit,
                    service=child.service,
                    discussed_at=discussed,
                    decision="Carry on.",
                    reasons="It is working.",
                    status="final",
                    finalised_at=discussed + timedelta(days=1),
                    finalised_by=manager,
                )
            )
            gap = 28 if child.service == "youth_justice" else rng.randint(60, 88)
            discussed += timedelta(days=gap + (rng.randint(10, 60) if behind else 0))
    bulk(Allocation, allocations)
    bulk(RiskRating, ratings)
    bulk(CaseNote, notes)
    counts.update(
        staff=len(users),
        teams=len(teams),
        children=len(children),
        allocations=len(allocations),
        risk_ratings=len(ratings),
        case_notes=len(notes),
    )
    return counts


def clear_flags():
    """Take away every flag and its notices (a benchmark's database only). Flags are deleted
    in one statement: Django's delete() first looks for each flag's notices by a list of its
    ids, more parameters than one statement bound on the server may carry (65,535) on an
    organisation built with years of flags."""
    from django.db import connection

    from oversight.models import Flag, Notification

    Notification.objects.filter(kind="flag").delete()
    with connection.cursor() as cursor:
        # The table's name from the model's own metadata.
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(Flag._meta.db_table)}")  # noqa: S608


# --- Measuring -------------------------------------------------------------------------------


class Queries:
    """Counts every statement sent; those sent while writing a notice are counted apart."""

    def __init__(self):
        self.total = 0
        self.notices = 0
        self.notice_seconds = 0.0
        self.walk_seconds = 0.0
        self.in_notice = False

    def __call__(self, execute, sql, params, many, context):
        self.total += 1
        self.notices += self.in_notice
        return execute(sql, params, many, context)


@contextmanager
def measured():
    from django.db import connection

    from oversight.flags import sync
    from oversight.notices import notify

    counter = Queries()
    original, walk = notify.flags_raised, sync._walk

    def flags_raised(*args, **kwargs):
        counter.in_notice = True
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            counter.in_notice = False
            counter.notice_seconds += time.perf_counter() - started

    def timed_walk(*args, **kwargs):
        started = time.perf_counter()
        try:
            return walk(*args, **kwargs)
        finally:
            counter.walk_seconds += time.perf_counter() - started

    notify.flags_raised, sync._walk = flags_raised, timed_walk
    started, cpu = time.perf_counter(), time.process_time()
    try:
        with connection.execute_wrapper(counter):
            yield counter
    finally:
        counter.seconds = time.perf_counter() - started
        counter.cpu_seconds = time.process_time() - cpu
        notify.flags_raised, sync._walk = original, walk


def full_evaluation():
    from oversight.flags.scheduled import TickResult, tick
    from oversight.flags.sync import BATCH

    totals, ticks = TickResult(), 0
    with measured() as queries:
        while True:
            result = tick(NOW)
            ticks += 1
            for name in ("people", "children", "raised", "resolved", "recorded"):
                setattr(totals, name, getattr(totals, name) + getattr(result, name))
            if result.people + result.children == 0:
                break
    batches = -(-totals.people // BATCH) + -(-totals.children // BATCH)
    return totals, ticks, batches, queries


# --- The floor -------------------------------------------------------------------------------


def floor_evaluation(versions, collector_held=False):
    """The least any flag job could do for the result the product reached: per batch of
    BATCH subjects, the facts read in bulk (the same reads), the open flags read once, the
    rules asked once at NOW per subject, then the same flags, the same notices (each body
    rendered from the same template) and every next check written in one statement each.
    Nothing claimed, nothing walked back, no recipient looked up. Run in a transaction rolled
    back, over the flags and notices the product wrote (taken away first, untimed).

    `collector_held`: each batch with Python's cycle collector held off, as the product holds
    it for each of its batches (scheduled._collector_paused). The floor keeps every flag and
    notice the product wrote in memory to copy them, which the collector scans again at each
    full collection: without this the floor pays for that and the product does not."""
    from contextlib import nullcontext

    from django.db import transaction
    from django.template.loader import render_to_string

    from casework.models import Child
    from oversight.flags.facts import _profiles, child_histories, person_histories
    from oversight.flags.scheduled import _collector_paused
    from oversight.flags.sync import BATCH, _open_flags, _set_next_checks
    from oversight.models import Flag, Notification
    from oversight.notices import notify
    from supervision.models import StaffProfile

    held = _collector_paused if collector_held else nullcontext
    flags = list(Flag.objects.select_related("person", "child").order_by("pk"))
    notices = list(
        Notification.objects.filter(kind="flag").select_related("recipient").order_by("pk")
    )
    of_person, of_child = {}, {}
    for flag in flags:
        if flag.child_id:
            of_child.setdefault(flag.child_id, []).append(flag)
        else:
            of_person.setdefault(flag.person_id, []).append(flag)
    told = {}
    for notice in notices:
        told.setdefault(notice.flag_id, []).append(notice)

    def people(pks):
        return person_histories(_profiles().filter(pk__in=pks).order_by("pk"))

    with transaction.atomic():
        clear_flags()
        with measured() as queries:
            for model, read, of in (
                (StaffProfile, people, lambda h: of_person.get(h.user_id, [])),
                (Child, child_histories, lambda h: of_child.get(h.child_id, [])),
            ):
                pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
                for start in range(0, len(pks), BATCH):
                    with held():
                        histories = read(pks[start : start + BATCH])
                        _open_flags(histories)
                        next_check, written = {}, []
                        for history in histories:
                            history.items_at(versions, NOW)
                            row = history.profile_id if model is StaffProfile else history.child_id
                            next_check[row] = NOW + timedelta(days=1)
                            written += of(history)
                        originals = {id(flag): flag.pk for flag in written}
                        for flag in written:
                            flag.pk = None
                        Flag.objects.bulk_create(written)
                        made, links = [], notify.notice_links()
                        for flag in written:
                            for notice in told.get(originals[id(flag)], []):
                                made.append(
                                    Notification(
                                        kind="flag",
                                        recipient=notice.recipient,
                                        flag=flag,
                                        subject=notice.subject,
                                        body=render_to_string(
                                            "email/flag.txt",
                                            notify._flag_context(flag, notice.recipient, links),
                                        ),
                                        created_at=NOW,
                                    )
                                )
                        Notification.objects.bulk_create(made)
                        _set_next_checks(model, next_check)
        transaction.set_rollback(True)
    return queries


def shared_evaluation(workers: int):
    """A full evaluation shared as `flags_share` shares it among Celery workers: the rows due
    cut into chunks (`evaluation_chunks`), each chunk run by one of `workers` processes with
    `tick_range`, taking the next chunk when done (as a Celery worker takes the next task)."""
    import multiprocessing

    from django.db import connections

    from oversight.flags.scheduled import evaluation_chunks

    started = time.perf_counter()
    chunks = evaluation_chunks(NOW)
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        results = pool.map(_run_chunk, chunks, chunksize=1)
    seconds = time.perf_counter() - started
    totals = Counter()
    for result in results:
        totals.update(result)
    return seconds, len(chunks), totals


def _run_chunk(chunk):
    from dataclasses import asdict

    from oversight.flags.scheduled import tick_range

    return asdict(tick_range(*chunk, now=NOW))


def idle_floor(repeat: int) -> float:
    """Two round trips that read nothing: the least a two-query answer can cost."""
    from django.db import connection

    timings = []
    with connection.cursor() as cursor:
        for _ in range(repeat):
            started = time.perf_counter()
            for _ in range(2):
                cursor.execute("SELECT 1")
                cursor.fetchone()
            timings.append(time.perf_counter() - started)
    return sorted(timings)[len(timings) // 2]


def report_line(label, queries, extra=""):
    print(f"{label:<46} {queries.seconds:9.2f} s {queries.total:8d} queries  {extra}")


def against_floor(label, product: float, floor: float, unit="s", scale=1.0):
    print(
        f"   {label}: product {product * scale:.2f} {unit}, floor {floor * scale:.2f} {unit}, "
        f"ratio {product / floor:.2f}"
    )


def main():
    options = arguments()
    if not options.keep:
        fresh_database()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.urls import get_resolver

    from casework.models import Child
    from oversight.flags.compliance import compliance_rows
    from oversight.flags.scheduled import tick
    from oversight.flags.sync import BATCH
    from oversight.models import Flag, Notification
    from supervision.models import StaffProfile

    if not options.keep:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        counts = build(options.staff, options.children, random.Random(options.seed))
        print(
            f"Built in {time.perf_counter() - started:.0f} s: "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
        )
    else:
        # The organisation as built: brought up to this code's migrations, its flags and
        # notices of flags taken away (a benchmark's database only), everyone marked.
        call_command("migrate", verbosity=0)
        clear_flags()
        StaffProfile.objects.update(next_check_at=None)
        Child.objects.update(next_check_at=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT 1")
        server = cursor.fetchone()[0]
    print(
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{connection.vendor} {server if connection.vendor == 'postgresql' else ''}".strip()
    )
    print(f"Clock fixed at {NOW.isoformat()}; batches of {BATCH}")
    # The machine may be shared: how busy it was, to read the clock's figures by.
    print("Load average (1, 5, 15 min): " + ", ".join(f"{n:.2f}" for n in os.getloadavg()))
    print()
    # A worker has its URL resolver built long before a tick: built here, before either timing,
    # so the first notice's link does not charge its building to the product alone.
    get_resolver().reverse_dict  # noqa: B018 - building it is the point

    totals, ticks, batches, queries = full_evaluation()
    own = queries.total - queries.notices
    report_line(
        "1. Full evaluation (every next_check_at NULL)",
        queries,
        f"({ticks} ticks, {batches} batches; {own} for the flags, {own / max(batches, 1):.1f} "
        f"a batch; {queries.notices} for {totals.raised} notices)",
    )
    print(
        f"   {totals.people} people, {totals.children} children; flags raised {totals.raised}, "
        f"spells recorded {totals.recorded}; notices written {Notification.objects.count()}"
    )
    print(
        f"   of the time: {queries.notice_seconds:.1f} s writing notices, "
        f"{queries.walk_seconds:.1f} s walking back through histories"
    )

    from oversight.policy.choice import pack_versions

    floor = floor_evaluation(pack_versions())
    report_line(
        "   Floor: read in bulk, asked once, written in bulk",
        floor,
        f"({floor.total / max(batches, 1):.1f} a batch)",
    )
    against_floor("Full evaluation against its floor", queries.seconds, floor.seconds)
    # This process's own CPU time (not the database's): on a shared machine, steadier than the
    # clock, which counts the time other processes held the cores.
    against_floor("Its CPU time in this process", queries.cpu_seconds, floor.cpu_seconds)
    # The same floor with the cycle collector held off per batch, as the product's batches hold
    # it: the floor above also pays for the collector scanning the flags it keeps to copy.
    held = floor_evaluation(pack_versions(), collector_held=True)
    against_floor(
        "The same, the floor's collector held as the product's", queries.seconds, held.seconds
    )
    against_floor("   and by CPU time", queries.cpu_seconds, held.cpu_seconds)
    # The floor walks nothing back: what the product spends beside the walks, against it.
    against_floor(
        "The same, less the walks back through histories",
        queries.seconds - queries.walk_seconds,
        floor.seconds,
    )
    print(
        f"   Queries: product {queries.total}, floor {floor.total}, "
        f"ratio {queries.total / max(floor.total, 1):.2f}"
    )

    with measured() as idle:
        result = tick(NOW)
    assert result.people == result.children == 0
    idle_times = []
    for _ in range(20):
        with measured() as again_idle:
            tick(NOW)
        idle_times.append(again_idle.seconds)
    typical_idle = sorted(idle_times)[len(idle_times) // 2]
    report_line(
        "2. Idle tick (nothing due)",
        idle,
        f"(first {idle.seconds * 1000:.1f} ms, median of 20 after {typical_idle * 1000:.2f} ms)",
    )
    against_floor(
        "Idle tick against two empty round trips", typical_idle, idle_floor(20), "ms", 1000
    )

    with measured() as compliance:
        rows = compliance_rows(NOW)
    report_line("3. compliance_rows(NOW)", compliance, f"({len(rows)} rows)")

    StaffProfile.objects.update(next_check_at=None)
    Child.objects.update(next_check_at=None)
    totals, ticks, batches, again = full_evaluation()
    report_line(
        "4. Full evaluation again, nothing changed",
        again,
        f"({batches} batches, {again.total / max(batches, 1):.1f} a batch; raised "
        f"{totals.raised}, resolved {totals.resolved}; {again.walk_seconds:.1f} s walking)",
    )

    if options.workers > 1:
        # The work of 1 again, from nothing: the flags and notices taken away, all marked.
        clear_flags()
        StaffProfile.objects.update(next_check_at=None)
        Child.objects.update(next_check_at=None)
        seconds, chunks, shared = shared_evaluation(options.workers)
        print(
            f"{'4b. 1 again, shared among ' + str(options.workers) + ' worker processes':<46} "
            f"{seconds:9.2f} s  ({chunks} chunks; {shared['people']} people, "
            f"{shared['children']} children; raised {shared['raised']})"
        )
        against_floor(f"Shared among {options.workers} against the floor", seconds, floor.seconds)

    rng = random.Random(options.seed + 1)
    people = list(StaffProfile.objects.values_list("pk", flat=True))
    children = list(Child.objects.values_list("pk", flat=True))
    StaffProfile.objects.filter(pk__in=rng.sample(people, len(people) // 100)).update(
        next_check_at=None
    )
    Child.objects.filter(pk__in=rng.sample(children, len(children) // 100)).update(
        next_check_at=None
    )
    later = NOW + timedelta(minutes=15)
    with measured() as typical:
        result = tick(later)
    report_line(
        "5. A tick after writes to 1% of people, children",
        typical,
        f"({result.people} people, {result.children} children)",
    )
    print("Load average (1, 5, 15 min): " + ", ".join(f"{n:.2f}" for n in os.getloadavg()))
    held = Flag.objects.filter(resolved_at__isnull=True).count()
    print(f"\nOpen flags {held}; flags in all {Flag.objects.count()}")


if __name__ == "__main__":
    main()
