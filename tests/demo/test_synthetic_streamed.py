"""Issue 21: the synthetic organisation written a chunk at a time, by COPY on PostgreSQL, is
row for row the organisation written by INSERT (SQLite's way), and the same whatever the
chunk: memory holds a chunk, the data does not change."""

from contextlib import contextmanager
from datetime import date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from agreements.models import AgreementSignature, SupervisionAgreement
from casework.models import Allocation, CaseNote, Child, RiskRating
from demo.synthetic import generate_org
from oversight.models import EarliestCheck, FeedbackResponse, Flag, HomeChange
from oversight.policy.due import LONDON
from supervision.models import (
    Action,
    DevelopmentConversation,
    FinalisedRecord,
    JobRole,
    PracticeObservation,
    ProbationReview,
    RecordSection,
    Signature,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
    Unit,
    User,
)
from supervision.models.organisation import SupervisorAbsence
from tests.support.database_roles import owner_connection, superuser_connection

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 5)
MODELS = [
    JobRole,
    User,
    Unit,
    StaffProfile,
    SupervisoryRelationship,
    SupervisorAbsence,
    SupervisionSession,
    SupervisionRecord,
    Signature,
    RecordSection,
    Action,
    SupervisionAgreement,
    AgreementSignature,
    PracticeObservation,
    DevelopmentConversation,
    ProbationReview,
    Child,
    Allocation,
    RiskRating,
    CaseNote,
    FeedbackResponse,
    Flag,
    FinalisedRecord,
]


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 3, 5, 12, tzinfo=LONDON), tick=False):
        yield


class _Undo(Exception):
    pass


def sequences() -> dict:
    """Where each table's id sequence stands (PostgreSQL)."""
    state = {}
    with connection.cursor() as cursor:
        for model in MODELS:
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)",
                [model._meta.db_table, model._meta.pk.column],
            )
            name = cursor.fetchone()[0]
            if name is None:  # keyed by another table's id (a finalised record's facts)
                continue
            cursor.execute(f"SELECT last_value, is_called FROM {name}")  # noqa: S608
            state[name] = cursor.fetchone()
    return state


def generated(restart=None, look=None, **how) -> tuple[dict, dict]:
    """The counts and every row of each table (ids included) of one organisation, then
    undone. Undone rows keep the ids they took from the sequences, so on PostgreSQL the
    sequences are first put back where `restart` found them (as the tables' owner: the
    application may take ids, not set them): a second organisation from the same seed can
    then be compared with the first row for row."""
    if restart is not None:
        with owner_connection() as owner:
            for name, (value, called) in restart.items():
                owner.execute("SELECT setval(%s::regclass, %s, %s)", [name, value, called])
    try:
        with transaction.atomic():
            result = generate_org(
                staff=24, years=2, children=90, today=TODAY, seed=7, prefix="str", **how
            )
            connection.check_constraints()  # keys written before their rows are checked here
            if look is not None:
                look(result)  # before it is undone
            rows = {
                model._meta.label: list(
                    model.objects.order_by("pk").values_list(
                        *(f.attname for f in model._meta.concrete_fields)
                    )
                )
                for model in MODELS
            }
            raise _Undo
    except _Undo:
        pass
    return result["counts"], rows


def assert_same(first, second):
    assert first[0] == second[0]
    for label, rows in first[1].items():
        assert rows == second[1][label], label


@pytest.mark.postgres
def test_copy_writes_the_rows_insert_writes_whatever_the_chunk(postgres_only, clock):
    start = sequences()
    copied = generated(start)  # COPY is PostgreSQL's default
    inserted = generated(start, method="insert")
    two_at_a_time = generated(start, method="copy", chunk=2)

    counts = copied[0]
    for label in ("supervision.SupervisionSession", "casework.CaseNote", "oversight.Flag"):
        assert counts[label] > 0, label
    assert counts["supervision.StaffProfile"] == len(copied[1]["supervision.StaffProfile"])
    assert_same(copied, inserted)
    assert_same(copied, two_at_a_time)
    records = copied[1]["supervision.SupervisionRecord"]
    assert any("finalised" in row for row in records)  # finalised, sections and all


def test_the_chunk_changes_nothing_with_insert_either(clock):
    """SQLite's way, and PostgreSQL's when asked."""
    start = sequences() if connection.vendor == "postgresql" else None
    assert_same(generated(start, method="insert"), generated(start, method="insert", chunk=2))


def test_the_command_names_a_bad_chunk_or_method(clock):
    out = StringIO()
    with pytest.raises(CommandError, match="--chunk: 1 or more"):
        call_command(
            "generate_org", "--staff=8", "--years=1", "--children=0", "--chunk=0", stdout=out
        )
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="COPY needs PostgreSQL"):
            call_command(
                "generate_org",
                "--staff=8",
                "--years=1",
                "--children=0",
                "--method=copy",
                stdout=out,
            )
    call_command("generate_org", "--staff=8", "--years=1", "--children=4", "--chunk=3", stdout=out)
    assert "Peak memory of this process:" in out.getvalue()
    assert "written 3 at a time" in out.getvalue()


@pytest.mark.postgres
def test_keys_checked_between_chunks_change_no_row(postgres_only, clock, monkeypatch):
    """Issue 21: at national scale the keys are checked every so many rows, between chunks,
    not all at commit; checked after every chunk here, the rows are the same."""
    start = sequences()
    at_commit = generated(start, chunk=5)
    monkeypatch.setattr("demo.synthetic_writer.CHECK_EVERY", 1)
    assert_same(at_commit, generated(start, chunk=5))


def test_the_standards_flags_walked_by_two_workers_are_the_same(clock):
    """Issue 21: `workers` forked processes walk the standards' flags; the organisation,
    flags and all, is the one a single process writes."""
    start = sequences() if connection.vendor == "postgresql" else None
    assert_same(generated(start, chunk=5), generated(start, chunk=5, workers=2))


@pytest.mark.parametrize("workers", [1, 2])
def test_v2_shows_how_far_the_standards_walk_has_got(clock, monkeypatch, workers):
    """Issue 21: at national scale the standards' walk is an hour; -v 2 says every so many
    people how many of them are walked and at what rate, so a run's end can be foreseen."""
    monkeypatch.setattr("demo.synthetic.PROGRESS_EVERY", 10)
    err = StringIO()
    call_command(
        "generate_org",
        "--staff=20",
        "--years=1",
        "--children=4",
        "--chunk=5",
        f"--workers={workers}",
        "--verbosity=2",
        stdout=StringIO(),
        stderr=err,
    )
    walked = [line for line in err.getvalue().splitlines() if "standards' flags," in line]
    people = int(walked[0].split(" of ")[1].split()[0])  # the holders of the 20 posts
    assert people >= 20
    assert len(walked) == (people - 1) // 10  # every 10 people, not at the end
    for line, done in zip(walked, range(10, people, 10), strict=True):
        assert f"standards' flags, {done} of {people} people (" in line  # chunks of 5
        assert line.rstrip().endswith("a second) done")
    assert "standards' flags done" in err.getvalue()


@contextmanager
def right_to_hold_triggers():
    """The application role may set session_replication_role (PostgreSQL 15's GRANT SET ON
    PARAMETER), as whoever builds a benchmark organisation would, and not after."""
    role = connection.settings_dict["USER"] or "postgres"
    with superuser_connection() as superuser:
        superuser.execute(f'GRANT SET ON PARAMETER session_replication_role TO "{role}"')
    try:
        yield
    finally:
        with superuser_connection() as superuser:
            superuser.execute(f'REVOKE SET ON PARAMETER session_replication_role FROM "{role}"')


@pytest.mark.postgres
def test_a_load_with_the_triggers_held_off_writes_what_they_would(postgres_only, clock):
    """The rows, the finalised records' facts the trigger writes among them, are the same
    with the triggers held off for the load as with them run for every row; the earliest
    checks are lowered and one note tells every kept page that something changed. A role
    without the right to hold them (the application's, in CI) runs them."""
    seen = {}

    def look(name):
        def at(result):
            seen[name] = {
                "held": result["triggers_held"],
                "notes": list(HomeChange.objects.values_list("person_id", flat=True)),
                "due": dict(EarliestCheck.objects.values_list("subject", "due_at")),
            }

        return at

    EarliestCheck.objects.update_or_create(
        subject=Child._meta.db_table, defaults={"due_at": datetime(2030, 1, 1, tzinfo=LONDON)}
    )
    notes_before = list(HomeChange.objects.values_list("person_id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
    start = sequences()
    asked = generated(start, look("asked"))
    each_row = generated(start, look("each row"), hold_triggers=False)
    with right_to_hold_triggers():
        held = generated(start, look("held"))

    assert seen["asked"]["held"] is superuser  # no right, no holding
    assert seen["each row"]["held"] is False and seen["held"]["held"] is True
    assert len(held[1]["supervision.FinalisedRecord"]) > 0
    assert_same(each_row, held)
    assert_same(each_row, asked)
    assert seen["held"]["notes"] == [*notes_before, 0]
    assert len(seen["each row"]["notes"]) > len(notes_before) + 100
    for name in ("each row", "held"):
        assert seen[name]["due"][Child._meta.db_table] <= datetime(2026, 3, 5, 12, tzinfo=LONDON)


@pytest.mark.postgres
def test_a_key_that_points_nowhere_stops_a_load_with_the_triggers_held(postgres_only, clock):
    from django.db import IntegrityError

    from demo import synthetic_writer

    real = synthetic_writer._Writer.write_held

    def break_a_key(writer):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE supervision_action SET supervisee_id = 999999999 "
                "WHERE id = (SELECT MAX(id) FROM supervision_action)"
            )
        real(writer)

    with right_to_hold_triggers(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(synthetic_writer._Writer, "write_held", break_a_key)
        with pytest.raises(IntegrityError, match="supervision_action.supervisee_id"):
            generated(None)
