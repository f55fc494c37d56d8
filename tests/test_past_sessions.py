"""A session that happened unplanned is recorded afterwards (wave 2 · 2 of 9, point 6):
"Enter a date and time in the future" no longer stops it."""

from datetime import UTC, datetime

import pytest
import time_machine

from oversight.models import AuditEvent
from supervision.models import SupervisionSession
from tests.world import build_world

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield build_world()


def form(day="3", month="3", time="14:00", year="2026", **extra):
    return {
        "session_type": "individual",
        "held_on_0": day,
        "held_on_1": month,
        "held_on_2": year,
        "start_time": time,
        "duration_minutes": "45",
        "mode": "in_person",
        "location": "",
        "reason": "Urgent discussion after the child protection conference",
        **extra,
    }


def post(client, world, data, who="supervisor"):
    client.force_login(world.people[who])
    with time_machine.travel(NOW, tick=False):
        return client.post(f"/people/{world.supervisee.pk}/sessions/record-past/", data)


def test_the_supervisor_records_a_session_held_on_tuesday_and_goes_on_to_its_record(client, world):
    with time_machine.travel(NOW, tick=False):
        client.force_login(world.supervisor)
        page = client.get(f"/people/{world.supervisee.pk}/sessions/").content.decode()
    assert "Record a session that has already happened" in page
    response = post(client, world, form())
    assert response.status_code == 302
    session = SupervisionSession.objects.get(unplanned_reason__startswith="Urgent")
    assert response["Location"] == f"/sessions/{session.pk}/"
    assert session.status == "held" and session.starts_at == datetime(2026, 3, 3, 14, tzinfo=UTC)
    assert (session.ends_at - session.starts_at).seconds == 45 * 60
    with time_machine.travel(NOW, tick=False):
        page = client.get(response["Location"]).content.decode()
    assert "Not planned ahead" in page and "child protection conference" in page
    with time_machine.travel(NOW, tick=False):
        started = client.post(f"/sessions/{session.pk}/record/start/")
    assert started.status_code == 302
    assert AuditEvent.objects.filter(detail__change="held session recorded afterwards").exists()


@pytest.mark.parametrize(
    "data,message",
    [
        (form(day="6"), "Enter a date and time that has passed"),
        (form(reason=""), "Enter why the session was not planned"),
        (form(day="31", month="2"), "Date it was held must be a real date"),
        # The supervisor has supervised them since 8 January 2024.
        (form(day="5", month="1", year="2024"), "from 8 January 2024"),
        (form(duration_minutes="5"), "Enter a length from 15 minutes to 4 hours"),
    ],
)
def test_bad_input_names_the_field_and_records_nothing(client, world, data, message):
    before = SupervisionSession.objects.count()
    response = post(client, world, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert SupervisionSession.objects.count() == before


def test_a_session_already_recorded_at_that_time_is_named_not_doubled(client, world):
    post(client, world, form())
    response = post(client, world, form(time="14:30"))
    assert "already have a session on 3 March 2026" in response.content.decode()
    assert SupervisionSession.objects.filter(unplanned_reason__startswith="Urgent").count() == 1


@pytest.mark.parametrize("who", ["supervisee", "senior_manager", "other_team_supervisor"])
def test_only_a_supervisor_of_the_person_records_one(client, world, who):
    assert post(client, world, form(), who=who).status_code in (403, 404)
    assert not SupervisionSession.objects.filter(unplanned_reason__startswith="Urgent").exists()
