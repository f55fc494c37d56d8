"""The sessions' stored marker `no_record` (SupervisionSession), from which the home page lists
"Sessions with no record yet": it must always say whether the session has a record, whichever
way the record came or went."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db.models import Exists, OuterRef

from demo.synthetic import generate_org
from supervision.models import SupervisionRecord, SupervisionSession
from supervision.records.services import current_template
from tests.records import held_session

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = DAY


def wrong_markers() -> list[int]:
    """Sessions whose marker is not the truth."""
    has_record = Exists(SupervisionRecord.objects.filter(session=OuterRef("pk")))
    return list(
        SupervisionSession.objects.annotate(has_record=has_record)
        .filter(no_record=has_record)
        .values_list("pk", flat=True)
    )


def test_the_marker_follows_the_record_started_on_the_page(world, client):
    session = held_session(world)
    assert SupervisionSession.objects.get(pk=session.pk).no_record
    client.force_login(world.supervisor)
    with time_machine.travel(DAY, tick=False):
        assert "Sessions with no record yet (1)" in client.get("/").content.decode()
        assert client.post(f"/sessions/{session.pk}/record/start/").status_code == 302
        assert "Sessions with no record yet" not in client.get("/").content.decode()
    assert not SupervisionSession.objects.get(pk=session.pk).no_record
    assert wrong_markers() == []


def test_a_session_read_before_its_record_does_not_put_the_marker_back(world):
    session = held_session(world)
    stale = SupervisionSession.objects.get(pk=session.pk)
    SupervisionRecord.objects.create(session=session, template=current_template("individual"))
    stale.location = "Room 4"
    stale.save()
    assert SupervisionSession.objects.get(pk=session.pk).location == "Room 4"
    assert wrong_markers() == []


def test_a_deleted_draft_gives_the_session_back_its_marker(world):
    session = held_session(world)
    record = SupervisionRecord.objects.create(
        session=session, template=current_template("individual")
    )
    assert not SupervisionSession.objects.get(pk=session.pk).no_record
    record.delete()
    assert SupervisionSession.objects.get(pk=session.pk).no_record
    assert wrong_markers() == []


def test_the_test_organisation_and_a_synthetic_one_have_true_markers(world):
    with time_machine.travel(datetime(2026, 3, 5, 12, tzinfo=UTC), tick=False):
        generate_org(staff=30, years=1, children=40, today=date(2026, 3, 5), seed=3, prefix="nr")
    sessions = SupervisionSession.objects.filter(
        supervisee__email__endswith="@nr.synthetic.example"
    )
    # Both kinds are there to be checked: sessions with a record and without.
    assert sessions.filter(no_record=True).exists() and sessions.filter(no_record=False).exists()
    assert wrong_markers() == []
