"""Issue 21: the synthetic organisation written a chunk at a time, by COPY on PostgreSQL, is
row for row the organisation written by INSERT (SQLite's way), and the same whatever the
chunk: memory holds a chunk, the data does not change."""

from datetime import date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from agreements.models import AgreementSignature, SupervisionAgreement
from casework.models import Allocation, CaseNote, Child, RiskRating
from demo.synthetic import generate_org
from oversight.models import FeedbackResponse, Flag
from oversight.policy.due import LONDON
from supervision.models import (
    Action,
    DevelopmentConversation,
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
from tests.support.database_roles import owner_connection

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
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
            name = cursor.fetchone()[0]
            cursor.execute(f"SELECT last_value, is_called FROM {name}")  # noqa: S608
            state[name] = cursor.fetchone()
    return state


def generated(restart=None, **how) -> tuple[dict, dict]:
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
