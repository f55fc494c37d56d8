"""Moving a session is not a cancellation (wave 2 · 2 of 9, point 5)."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from oversight.models import AuditEvent
from supervision.models import SupervisionSession
from tests.records import held_session
from tests.world import build_world

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield build_world()


@pytest.fixture
def planned(world):
    with time_machine.travel(NOW, tick=False):
        return held_session(
            world,
            starts_at=datetime(2026, 3, 12, 10, tzinfo=UTC),
            ends_at=datetime(2026, 3, 12, 11, tzinfo=UTC),
        )


def move(client, world, session, day, time="14:00", who="supervisor", **extra):
    client.force_login(world.people[who])
    with time_machine.travel(NOW, tick=False):
        return client.post(
            f"/sessions/{session.pk}/move/",
            {"new_date_0": day, "new_date_1": "3", "new_date_2": "2026", "new_time": time, **extra},
        )


def test_a_moved_session_keeps_its_identity_and_is_no_cancellation(
    client, world, planned, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        client.force_login(world.supervisor)
        page = client.get(f"/people/{world.supervisee.pk}/sessions/").content.decode()
    assert f'href="/sessions/{planned.pk}/move/">Move' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = move(client, world, planned, "13")
    assert response.status_code == 302
    moved = SupervisionSession.objects.get(pk=planned.pk)
    assert moved.status == "planned" and moved.starts_at == datetime(2026, 3, 13, 14, tzinfo=UTC)
    assert moved.ends_at == datetime(2026, 3, 13, 15, tzinfo=UTC) and moved.ics_sequence == 1
    assert not SupervisionSession.objects.filter(status="cancelled").exists()
    assert SupervisionSession.objects.count() == 2  # the world's session and this one
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.supervisor.email, world.supervisee.email]
    )
    entry = AuditEvent.objects.get(detail__change="session moved")
    assert entry.detail["from"].startswith("2026-03-12T10:00")


@pytest.mark.parametrize(
    "day,time,message",
    [
        ("5", "09:00", "Enter a new date and time in the future"),
        ("12", "10:00", "Enter a time different from the one booked"),
        ("32", "10:00", "New date must be a real date"),
        ("13", "9.75", "Enter the new start time, like 09:30 or 14:00"),
    ],
)
def test_bad_new_times_name_the_field_and_move_nothing(client, world, planned, day, time, message):
    response = move(client, world, planned, day, time)
    assert response.status_code == 200 and message in response.content.decode()
    assert SupervisionSession.objects.get(pk=planned.pk).starts_at == planned.starts_at


def test_a_clash_is_shown_and_moving_anyway_is_a_choice(client, world, planned):
    with time_machine.travel(NOW, tick=False):
        held_session(
            world,
            starts_at=datetime(2026, 3, 13, 14, tzinfo=UTC),
            ends_at=datetime(2026, 3, 13, 15, tzinfo=UTC),
        )
    response = move(client, world, planned, "13")
    assert response.status_code == 200
    assert "already have a session on 13 March 2026" in response.content.decode()
    assert SupervisionSession.objects.get(pk=planned.pk).starts_at == planned.starts_at
    assert move(client, world, planned, "13", confirm_clashes="on").status_code == 302


@pytest.mark.parametrize("who", ["supervisee", "senior_manager", "other_team_supervisor"])
def test_only_a_supervisor_moves_it(client, world, planned, who):
    assert move(client, world, planned, "13", who=who).status_code in (403, 404)
    assert SupervisionSession.objects.get(pk=planned.pk).starts_at == planned.starts_at
