"""A session that happened unplanned is recorded afterwards:
"Enter a date and time in the future" no longer stops it."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from supervision.models import SupervisionSession
from supervision.models.audit import AuditEvent
from supervision.sessions.past_sessions import session_record_past
from tests.factories import RelationshipFactory
from tests.records import held_session

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = NOW


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


# The date rules, at the service (supervision.sessions.past_sessions): now is 5 March 2026, 12:00 in
# London; the supervisor has supervised the person since 8 January 2024.

LONDON = ZoneInfo("Europe/London")


def record(world, starts_at, minutes=60):
    with time_machine.travel(NOW, tick=False):
        return session_record_past(
            supervisee=world.supervisee,
            supervisor=world.supervisor,
            session_type="individual",
            starts_at=starts_at,
            duration=timedelta(minutes=minutes),
            reason="Urgent discussion",
            by=world.supervisor,
        )


@pytest.mark.parametrize(
    "starts_at,refusal",
    [
        (datetime(2026, 3, 5, 11, 0, tzinfo=LONDON), None),  # earlier today
        (datetime(2026, 3, 5, 12, 0, tzinfo=LONDON), None),  # this minute
        (datetime(2026, 3, 5, 12, 1, tzinfo=LONDON), "Enter a date and time that has passed"),
        (datetime(2026, 3, 6, 9, 0, tzinfo=LONDON), "Enter a date and time that has passed"),
        (datetime(2024, 1, 8, 9, 0, tzinfo=LONDON), None),  # the day supervision began
        (datetime(2024, 1, 7, 17, 0, tzinfo=LONDON), "from 8 January 2024"),
    ],
)
def test_the_date_must_have_passed_and_fall_in_the_current_supervision(world, starts_at, refusal):
    if refusal is None:
        assert record(world, starts_at).status == "held"
    else:
        with pytest.raises(ValidationError) as error:
            record(world, starts_at)
        assert refusal in error.value.message_dict["starts_at"][0]


@pytest.mark.parametrize(
    "earlier,day,allowed",
    [
        # Practice educator until the day before the line supervision began: one spell.
        ((date(2023, 9, 1), date(2025, 5, 31)), date(2023, 10, 2), True),
        # An earlier spell that ended a month before: not the current supervision.
        ((date(2023, 9, 1), date(2025, 4, 30)), date(2023, 10, 2), False),
        ((date(2023, 9, 1), date(2025, 4, 30)), date(2025, 5, 15), False),  # in the gap
        ((date(2023, 9, 1), date(2025, 4, 30)), date(2025, 6, 1), True),
    ],
)
def test_an_earlier_spell_counts_only_if_supervision_carried_on_without_a_gap(
    world, earlier, day, allowed
):
    world.relationship.starts_on = date(2025, 6, 1)
    world.relationship.save()
    RelationshipFactory(
        supervisor=world.supervisor,
        supervisee=world.supervisee,
        kind="practice_educator",
        starts_on=earlier[0],
        ends_on=earlier[1],
    )
    # Half past midnight in summer is the evening before in UTC: the London day is the one.
    starts_at = datetime.combine(day, time(0, 30), tzinfo=LONDON)
    if allowed:
        assert record(world, starts_at).status == "held"
    else:
        with pytest.raises(ValidationError) as error:
            record(world, starts_at)
        assert error.value.message_dict["starts_at"] == [
            "Enter a date since you started supervising Supervisee, from 1 June 2025"
        ]


def test_a_session_of_either_person_at_that_time_is_refused_naming_it(world):
    with time_machine.travel(NOW, tick=False):
        held_session(
            world,
            starts_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
            ends_at=datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
        )
    with pytest.raises(ValidationError) as error:
        record(world, datetime(2026, 3, 2, 10, 0, tzinfo=LONDON))
    assert "on 2 March 2026 from 09:30 to 10:30" in error.value.message_dict["starts_at"][0]
    assert record(world, datetime(2026, 3, 2, 10, 30, tzinfo=LONDON)).status == "held"
