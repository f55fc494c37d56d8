"""Moving a session is not a cancellation."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from oversight.flags.facts import person_facts
from supervision.models import SupervisionSession
from supervision.models.audit import AuditEvent
from supervision.sessions.calendar import session_uid
from supervision.sessions.moving import session_move
from supervision.sessions.planning import session_cancel
from tests.records import held_session

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = NOW


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
    html = response.content.decode()
    assert response.status_code == 200
    assert "already have a session on 13 March 2026 from 14:00 to 15:00" in html
    assert SupervisionSession.objects.get(pk=planned.pk).starts_at == planned.starts_at
    seen = re.search(r'name="clashes_seen" value="([^"]*)"', html)[1]
    assert (
        move(client, world, planned, "13", confirm_clashes="on", clashes_seen=seen).status_code
        == 302
    )
    assert SupervisionSession.objects.get(pk=planned.pk).starts_at == datetime(
        2026, 3, 13, 14, tzinfo=UTC
    )


def test_a_tick_given_for_one_clash_does_not_move_it_over_another(client, world, planned):
    """The supervisor saw the clash on the 13th, ticked 'move it anyway' and changed the day to
    the 16th, which clashes with something else: she is asked again."""
    with time_machine.travel(NOW, tick=False):
        first = held_session(
            world,
            starts_at=datetime(2026, 3, 13, 14, tzinfo=UTC),
            ends_at=datetime(2026, 3, 13, 15, tzinfo=UTC),
        )
        held_session(
            world,
            starts_at=datetime(2026, 3, 16, 14, 30, tzinfo=UTC),
            ends_at=datetime(2026, 3, 16, 15, 30, tzinfo=UTC),
        )
    response = move(client, world, planned, "16", confirm_clashes="on", clashes_seen=str(first.pk))
    assert response.status_code == 200
    assert (
        "already have a session on 16 March 2026 from 14:30 to 15:30" in response.content.decode()
    )
    assert SupervisionSession.objects.get(pk=planned.pk).starts_at == planned.starts_at


@pytest.mark.parametrize("who", ["supervisee", "senior_manager", "other_team_supervisor"])
def test_only_a_supervisor_moves_it(client, world, planned, who):
    assert move(client, world, planned, "13", who=who).status_code in (403, 404)
    assert SupervisionSession.objects.get(pk=planned.pk).starts_at == planned.starts_at


def test_both_calendars_get_an_update_of_the_same_entry(
    client, world, planned, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        move(client, world, planned, "13")
    (message, _) = mail.outbox
    assert message.subject == "Changed: supervision now on 13 March 2026 at 14:00"
    assert "This session has changed" in message.body
    ics = message.attachments[0].content
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert "METHOD:REQUEST" in ics and "SEQUENCE:1" in ics
    assert f"UID:{session_uid(planned)}" in ics


def test_a_move_is_not_counted_as_a_cancellation_but_a_cancellation_is(client, world, planned):
    move(client, world, planned, "13")
    later = datetime(2026, 3, 20, 12, tzinfo=UTC)
    assert person_facts(world.supervisee.profile, later).cancellations == ()
    # The same check sees a cancellation, so the empty answer above means something.
    with time_machine.travel(NOW, tick=False):
        session_cancel(session=planned, by=world.supervisor, reason="Supervisor off sick")
    assert len(person_facts(world.supervisee.profile, later).cancellations) == 1


def test_the_move_page_is_audited_and_the_cancel_page_offers_it(client, world, planned):
    client.force_login(world.supervisor)
    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/sessions/{planned.pk}/move/").content.decode()
        cancel = client.get(f"/sessions/{planned.pk}/cancel/").content.decode()
    assert '<h1 class="govuk-heading-l">Move the session of 12 March 2026</h1>' in page
    assert AuditEvent.objects.filter(
        action="read", object_id=str(planned.pk), detail__page="move"
    ).exists()
    assert f'href="/sessions/{planned.pk}/move/">move it instead</a>' in cancel


def test_a_session_whose_day_has_gone_is_not_moved_but_one_later_today_is(client, world):
    with time_machine.travel(NOW, tick=False):
        missed = held_session(
            world,
            starts_at=datetime(2026, 3, 3, 10, tzinfo=UTC),
            ends_at=datetime(2026, 3, 3, 11, tzinfo=UTC),
        )
        this_morning = held_session(
            world,
            starts_at=datetime(2026, 3, 5, 9, tzinfo=UTC),
            ends_at=datetime(2026, 3, 5, 10, tzinfo=UTC),
        )
        client.force_login(world.supervisor)
        page = client.get(f"/people/{world.supervisee.pk}/sessions/").content.decode()
    assert f"/sessions/{missed.pk}/move/" not in page
    assert f"/sessions/{this_morning.pk}/move/" in page
    response = move(client, world, missed, "13")
    assert response.status_code == 200
    assert "The session of 3 March 2026 has passed, so it cannot be moved" in (
        response.content.decode()
    )
    assert SupervisionSession.objects.get(pk=missed.pk).starts_at == missed.starts_at
    assert move(client, world, this_morning, "5", time="15:00").status_code == 302


# The date rules, at the service: now is 5 March 2026, 12:00 in London.

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    "new_start,refusal",
    [
        (datetime(2026, 3, 5, 12, 30, tzinfo=LONDON), None),  # later today
        (datetime(2026, 3, 5, 12, 0, tzinfo=LONDON), "Enter a new date and time in the future"),
        (datetime(2026, 3, 4, 14, 0, tzinfo=LONDON), "Enter a new date and time in the future"),
        (datetime(2026, 3, 12, 10, 0, tzinfo=LONDON), "Enter a time different from the one booked"),
        (datetime(2026, 6, 12, 10, 0, tzinfo=LONDON), None),  # into summer time: 09:00 in UTC
        (datetime(2027, 3, 5, 9, 0, tzinfo=LONDON), None),  # 12 months ahead
        (datetime(2027, 3, 6, 9, 0, tzinfo=LONDON), "no more than 12 months ahead, 5 March 2027"),
    ],
)
def test_the_new_time_must_be_to_come_within_a_year_and_different(
    world, planned, new_start, refusal
):
    with time_machine.travel(NOW, tick=False):
        if refusal is None:
            moved = session_move(session=planned, new_start=new_start, by=world.supervisor)
            assert moved.starts_at == new_start and moved.status == "planned"
            assert moved.ends_at - moved.starts_at == timedelta(hours=1)
        else:
            with pytest.raises(ValidationError) as error:
                session_move(session=planned, new_start=new_start, by=world.supervisor)
            assert refusal in error.value.message_dict["new_start"][0]


@pytest.mark.parametrize("status", ["held", "cancelled", "did_not_take_place"])
def test_only_a_planned_session_moves(world, planned, status):
    SupervisionSession.objects.filter(pk=planned.pk).update(status=status)
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as error:
        session_move(
            session=planned,
            new_start=datetime(2026, 3, 13, 10, tzinfo=UTC),
            by=world.supervisor,
        )
    assert "Only a planned session can be moved" in error.value.messages[0]
