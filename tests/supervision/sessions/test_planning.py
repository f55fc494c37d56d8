"""Planning sessions ahead (rule S3), cancelling and rebooking them (S4), calendar invitations."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from icalendar import Calendar

from supervision.models import SupervisionSession
from supervision.models.audit import AuditEvent
from supervision.organisation.times import parse_time
from supervision.sessions.planning import (
    add_months,
    session_cancel,
    session_record_outcome,
    sessions_plan_series,
)
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 5, 9, 0, tzinfo=LONDON)


@pytest.fixture
def world():
    with time_machine.travel(TODAY, tick=False):
        world = build_world()
    # The shared test organisation may come with sessions of its own; these tests count theirs.
    world.sessions_before = list(SupervisionSession.objects.values_list("pk", flat=True))
    yield world


def new_sessions(world):
    return SupervisionSession.objects.exclude(pk__in=world.sessions_before)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def a_session(world, starts_at, supervisor=None, supervisee=None, **extra):
    extra.setdefault("session_type", "individual")
    extra.setdefault("location", "Room 4")
    return SupervisionSession.objects.create(
        supervisor=supervisor or world.supervisor,
        supervisee=supervisee or world.supervisee,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        created_by=supervisor or world.supervisor,
        **extra,
    )


def plan(world, **changes):
    arguments = {
        "supervisee": world.supervisee,
        "supervisor": world.supervisor,
        "session_type": "individual",
        "first_start": at(date(2026, 3, 12), 10),
        "duration": timedelta(hours=1),
        "interval_weeks": 2,
        "mode": "in_person",
        "location": "Room 4",
        "by": world.supervisor,
    }
    arguments.update(changes)
    return sessions_plan_series(**arguments)


def plan_form(**changes):
    # Case supervision: the shared world's individual session held on 4 March is in the period
    # of a first date of 12 March, which would ask about dates already booked (tests of that
    # book case supervision of their own).
    data = {
        "session_type": "case",
        "first_date_0": "12",
        "first_date_1": "3",
        "first_date_2": "2026",
        "start_time": "10:00",
        "duration_minutes": "60",
        "frequency": "weeks",
        "interval_weeks": "4",
        "until_0": "",
        "until_1": "",
        "until_2": "",
        "mode": "in_person",
        "location": "Room 4",
    }
    data.update(changes)
    return data


def post_as(client, user, url, data, when=NOW):
    """Sign in and post at one moment: sessions end after 30 idle minutes."""
    with time_machine.travel(when, tick=False):
        client.force_login(user)
        return client.post(url, data)


def get_as(client, user, url, when=NOW):
    with time_machine.travel(when, tick=False):
        client.force_login(user)
        return client.get(url)


def invitation_in(message) -> Calendar:
    (attachment,) = message.attachments
    assert attachment.filename == "supervision.ics"
    content = attachment.content
    return Calendar.from_ical(content.encode() if isinstance(content, str) else content)


# Planning a series ---------------------------------------------------------------------------


def test_a_fortnightly_series_is_planned_six_months_ahead_at_the_same_wall_clock_time(world):
    with time_machine.travel(NOW, tick=False):
        sessions = plan(world)

    starts = [timezone_local(session.starts_at) for session in sessions]
    assert starts[0] == at(date(2026, 3, 12), 10)
    assert starts[-1] == at(date(2026, 9, 10), 10), "the last fortnight before 12 September"
    assert len(sessions) == 14
    assert all(start.hour == 10 for start in starts), "10:00 before and after the clocks change"
    assert sessions[2].starts_at.utcoffset() is not None
    assert timezone_utc_hour(sessions[2]) == 9, "9 April is in British Summer Time"
    assert {session.series for session in sessions} == {sessions[0].series}
    assert sessions[0].series is not None
    assert {session.status for session in sessions} == {"planned"}
    assert all(session.ends_at - session.starts_at == timedelta(hours=1) for session in sessions)


def timezone_local(moment):
    return moment.astimezone(LONDON)


def timezone_utc_hour(session):
    return session.starts_at.astimezone(ZoneInfo("UTC")).hour


def test_a_monthly_series_from_31_january_falls_on_the_last_day_of_shorter_months(world):
    with time_machine.travel(datetime(2027, 1, 10, 9, tzinfo=LONDON), tick=False):
        sessions = plan(
            world,
            first_start=at(date(2027, 1, 31), 14),
            interval_weeks=None,
            monthly=True,
            until=date(2027, 5, 31),
        )
    assert [timezone_local(s.starts_at).date() for s in sessions] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]


def test_a_month_after_31_january_in_a_leap_year_is_29_february():
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"interval_weeks": 9}, "interval_weeks", "from 1 to 8"),
        ({"interval_weeks": 0}, "interval_weeks", "from 1 to 8"),
        ({"until": date(2026, 3, 12)}, "until", "after the first session, 12 March 2026"),
        ({"until": date(2027, 3, 6)}, "until", "5 March 2027 at the latest"),
        ({"duration": timedelta(minutes=14)}, "duration", "15 minutes to 4 hours"),
        ({"duration": timedelta(hours=4, minutes=1)}, "duration", "15 minutes to 4 hours"),
        ({"first_start": at(date(2026, 3, 4), 10)}, "first_start", "in the future"),
    ],
)
def test_a_series_outside_the_rules_is_refused_whole_naming_the_field(
    world, changes, field, message
):
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as error:
        plan(world, **changes)
    assert message in " ".join(error.value.message_dict[field])
    assert not new_sessions(world).exists()


def test_a_series_may_end_exactly_twelve_months_ahead(world):
    with time_machine.travel(NOW, tick=False):
        sessions = plan(world, interval_weeks=8, until=date(2027, 3, 5))
    assert timezone_local(sessions[-1].starts_at).date() <= date(2027, 3, 5)


def test_planning_is_audited_against_the_supervisee(world):
    with time_machine.travel(NOW, tick=False):
        sessions = plan(world)
    event = AuditEvent.objects.get(
        action="write", object_type="supervision_session", detail__change="sessions planned"
    )
    assert event.subject == world.supervisee
    assert event.actor == world.supervisor
    assert event.detail["sessions"] == [session.pk for session in sessions]


# Invitations ----------------------------------------------------------------------------------


def test_each_person_gets_one_invitation_with_every_planned_session(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_as(
            client,
            world.supervisor,
            f"/people/{world.supervisee.pk}/sessions/plan/",
            plan_form(interval_weeks="4", until_0="4", until_1="6", until_2="2026"),
        )
    assert response.status_code == 302
    assert response["Location"] == f"/people/{world.supervisee.pk}/sessions/"
    sessions = list(new_sessions(world).order_by("starts_at"))
    assert [timezone_local(s.starts_at).date() for s in sessions] == [
        date(2026, 3, 12),
        date(2026, 4, 9),
        date(2026, 5, 7),
        date(2026, 6, 4),
    ]
    # One email each, not one per session, naming every date; one file adds them all.
    assert len(mail.outbox) == 2
    assert sorted(m.to[0] for m in mail.outbox) == [
        "supervisee@example.org",
        "supervisor@example.org",
    ]
    message = mail.outbox[0]
    assert message.subject == "Supervision: 4 sessions from 12 March 2026 to 4 June 2026"
    for day in ("Thursday 12 March 2026", "Thursday 9 April 2026", "Thursday 4 June 2026"):
        assert day in message.body
    assert message.attachments[0].mimetype == "text/calendar; method=REQUEST"
    (part,) = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    invitation = invitation_in(message)
    assert [str(e["UID"]) for e in invitation.events] == [
        f"{s.uid}@supervision-records" for s in sessions
    ]
    event = invitation.events[0]
    assert str(invitation["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"{sessions[0].uid}@supervision-records"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == sessions[0].starts_at
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == sessions[0].ends_at
    assert str(event["SUMMARY"]) == "Supervision: Supervisee with Supervisor"
    assert str(event["LOCATION"]) == "Room 4"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:supervisor@example.org"
    assert str(event["ATTENDEE"]) == "mailto:supervisee@example.org"

    with time_machine.travel(NOW, tick=False):
        page = client.get(response["Location"]).content.decode()
    assert "4 sessions planned with Supervisee until 4 June 2026" in page


def test_no_invitation_goes_out_for_a_plan_that_was_refused(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_as(
            client,
            world.supervisor,
            f"/people/{world.supervisee.pk}/sessions/plan/",
            plan_form(interval_weeks="9"),
        )
    assert response.status_code == 200
    assert "Enter a number of weeks between sessions from 1 to 8" in response.content.decode()
    assert 'href="#id_interval_weeks"' in response.content.decode()
    assert mail.outbox == []
    assert not new_sessions(world).exists()


def test_the_calendar_file_can_be_downloaded_and_the_download_is_audited(client, world):
    session = a_session(world, at(date(2026, 3, 12), 10))
    response = get_as(client, world.supervisee, f"/sessions/{session.pk}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert 'filename="supervision-2026-03-12.ics"' in response["Content-Disposition"]
    (event,) = Calendar.from_ical(response.content).events
    assert str(event["UID"]) == f"{session.uid}@supervision-records"
    download = AuditEvent.objects.get(action="download")
    assert download.actor == world.supervisee
    assert download.object_id == str(session.pk)


# Clashes --------------------------------------------------------------------------------------


def test_a_clash_is_a_warning_that_can_be_confirmed(client, world):
    # The supervisor's own supervision with their manager, in the slot of the first session.
    a_session(
        world,
        at(date(2026, 3, 12), 10, 30),
        supervisor=world.senior_manager,
        supervisee=world.supervisor,
    )
    url = f"/people/{world.supervisee.pk}/sessions/plan/"
    until = {"until_0": "30", "until_1": "4", "until_2": "2026"}

    warned = post_as(client, world.supervisor, url, plan_form(**until))
    html = warned.content.decode()
    assert warned.status_code == 200
    assert "govuk-warning-text" in html
    assert "Supervisor already has a session on 12 March 2026 from 10:30 to 11:30" in html
    assert "Senior Manager" not in html, "who the other session is with is not told"
    assert 'name="confirm_clashes"' in html
    assert new_sessions(world).count() == 1

    seen = re.search(r'name="clashes_seen" value="([^"]*)"', html)[1]
    confirmed = post_as(
        client,
        world.supervisor,
        url,
        plan_form(**until, confirm_clashes="on", clashes_seen=seen),
    )
    assert confirmed.status_code == 302
    assert new_sessions(world).filter(supervisee=world.supervisee).count() == 2


def test_a_confirmation_counts_only_for_the_clashes_that_were_shown(client, world):
    a_session(
        world,
        at(date(2026, 3, 12), 10, 30),
        supervisor=world.senior_manager,
        supervisee=world.supervisor,
    )
    response = post_as(
        client,
        world.supervisor,
        f"/people/{world.supervisee.pk}/sessions/plan/",
        plan_form(confirm_clashes="on", clashes_seen="999999"),
    )
    assert response.status_code == 200
    assert "already has a session" in response.content.decode()
    assert new_sessions(world).filter(supervisee=world.supervisee).count() == 0


def test_seeing_the_same_clashes_again_without_confirming_asks_for_a_choice(client, world):
    clash = a_session(world, at(date(2026, 3, 12), 9, 30))
    response = post_as(
        client,
        world.supervisor,
        f"/people/{world.supervisee.pk}/sessions/plan/",
        plan_form(clashes_seen=str(clash.pk)),
    )
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Select that you will sort out the clashes, or choose other times" in html
    assert "This clashes with another session" in html
    assert "Supervisor and Supervisee already have a session on 12 March 2026 from 09:30" in html
    assert new_sessions(world).count() == 1


def test_a_cancelled_session_does_not_clash(client, world):
    a_session(world, at(date(2026, 3, 12), 10), status="cancelled")
    response = post_as(
        client, world.supervisor, f"/people/{world.supervisee.pk}/sessions/plan/", plan_form()
    )
    assert response.status_code == 302


# Cancelling and rebooking ----------------------------------------------------------------------


def test_a_cancelled_session_is_rebooked_with_the_same_length_type_and_place(
    world, django_capture_on_commit_callbacks
):
    session = a_session(world, at(date(2026, 3, 10), 14), session_type="case", mode="virtual")
    with (
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        replacement = session_cancel(
            session=session,
            by=world.supervisor,
            reason="Supervisor called to a strategy meeting",
            new_start=at(date(2026, 3, 19), 9, 30),
        )
    session.refresh_from_db()
    assert session.status == "cancelled"
    assert session.cancelled_by == world.supervisor
    assert session.cancelled_at == NOW
    assert session.cancellation_reason == "Supervisor called to a strategy meeting"
    assert session.ics_sequence == 1
    assert replacement.replaces == session
    assert replacement.status == "planned"
    assert replacement.ends_at - replacement.starts_at == timedelta(hours=1)
    assert (replacement.session_type, replacement.mode, replacement.location) == (
        "case",
        "virtual",
        "Room 4",
    )

    cancellations = [m for m in mail.outbox if m.subject.startswith("Cancelled")]
    assert len(cancellations) == 2 and len(mail.outbox) == 4
    invitation = invitation_in(cancellations[0])
    (event,) = invitation.events
    assert str(invitation["METHOD"]) == "CANCEL"
    assert cancellations[0].attachments[0].mimetype == "text/calendar; method=CANCEL"
    assert str(event["UID"]) == f"{session.uid}@supervision-records"
    assert int(event["SEQUENCE"]) == 1, "a higher sequence, so calendars apply it"
    assert str(event["STATUS"]) == "CANCELLED"


@pytest.mark.parametrize(
    ("new_day", "accepted"),
    [(date(2026, 3, 19), True), (date(2026, 3, 20), False)],
)
def test_a_session_is_rebooked_within_14_days_of_the_cancellation(world, new_day, accepted):
    session = a_session(world, at(date(2026, 3, 10), 14))
    with time_machine.travel(NOW, tick=False):
        if accepted:
            assert session_cancel(
                session=session, by=world.supervisor, reason="Ill", new_start=at(new_day, 16)
            )
        else:
            with pytest.raises(ValidationError) as error:
                session_cancel(
                    session=session, by=world.supervisor, reason="Ill", new_start=at(new_day, 9)
                )
            assert error.value.message_dict["new_start"] == [
                "Enter a new date no later than 14 days after the cancellation, 19 March 2026"
            ]
    session.refresh_from_db()
    assert session.status == ("cancelled" if accepted else "planned")
    assert new_sessions(world).count() == (2 if accepted else 1)


def test_the_14_day_limit_is_shown_beside_the_new_date(client, world):
    session = a_session(world, at(date(2026, 3, 10), 14))
    response = post_as(
        client,
        world.supervisor,
        f"/sessions/{session.pk}/cancel/",
        {
            "reason": "Ill",
            "rebook": "yes",
            "new_date_0": "20",
            "new_date_1": "3",
            "new_date_2": "2026",
            "new_time": "10:00",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a new date no later than 14 days after the cancellation, 19 March 2026" in html
    assert 'href="#id_new_date_0"' in html
    session.refresh_from_db()
    assert session.status == "planned"


def test_a_cancellation_without_a_reason_is_refused_and_nothing_is_saved(
    client, world, django_capture_on_commit_callbacks
):
    session = a_session(world, at(date(2026, 3, 10), 14))
    with django_capture_on_commit_callbacks(execute=True):
        response = post_as(
            client,
            world.supervisor,
            f"/sessions/{session.pk}/cancel/",
            {"reason": "  ", "rebook": "no"},
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert '<a href="#id_reason">Enter why the session is cancelled</a>' in html
    session.refresh_from_db()
    assert (session.status, session.cancelled_at, session.ics_sequence) == ("planned", None, 0)
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(detail__change="session cancelled").exists()


def test_the_service_refuses_a_blank_reason_naming_the_field(world):
    session = a_session(world, at(date(2026, 3, 10), 14))
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as error:
        session_cancel(session=session, by=world.supervisor, reason="", new_start=None)
    assert error.value.message_dict == {"reason": ["Enter why the session is cancelled"]}


def test_a_session_already_held_cannot_be_cancelled(world):
    session = a_session(world, at(date(2026, 3, 2), 14), status="held")
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as error:
        session_cancel(session=session, by=world.supervisor, reason="Ill", new_start=None)
    assert "Only a planned session can be cancelled" in error.value.messages[0]


def test_cancelling_without_rebooking_tells_the_date_to_rebook_by(client, world):
    session = a_session(world, at(date(2026, 3, 10), 14))
    url = f"/sessions/{session.pk}/cancel/"
    response = post_as(client, world.supervisor, url, {"reason": "Ill", "rebook": "no"})
    assert response.status_code == 302
    with time_machine.travel(NOW, tick=False):
        page = client.get(response["Location"]).content.decode()
    assert "Session of 10 March 2026 cancelled. Book a new one by 19 March 2026" in page
    assert "govuk-tag--grey" in page and "Ill" in page


# What happened --------------------------------------------------------------------------------


def test_a_held_session_is_recorded_with_lateness_and_interruptions(client, world):
    session = a_session(world, at(date(2026, 3, 4), 14))
    response = post_as(
        client,
        world.supervisor,
        f"/sessions/{session.pk}/outcome/",
        {
            "status": "held",
            "lateness_notes": "Started 15 minutes late",
            "interruption_notes": "Duty call about a child",
        },
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "held"
    assert session.lateness_notes == "Started 15 minutes late"
    assert session.interruption_notes == "Duty call about a child"


def test_what_happened_cannot_be_recorded_before_the_session(world):
    session = a_session(world, at(date(2026, 3, 12), 14))
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as error:
        session_record_outcome(session=session, by=world.supervisor, status="held")
    assert error.value.message_dict["status"] == [
        "You can record what happened once the session has started, on 12 March 2026"
    ]
    session.refresh_from_db()
    assert session.status == "planned"


def test_a_session_that_did_not_take_place_keeps_no_lateness_notes(world):
    session = a_session(world, at(date(2026, 3, 4), 14))
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError):
        session_record_outcome(
            session=session,
            by=world.supervisor,
            status="did_not_take_place",
            lateness_notes="Ten minutes",
        )
    with time_machine.travel(NOW, tick=False):
        session_record_outcome(session=session, by=world.supervisor, status="did_not_take_place")
    session.refresh_from_db()
    assert session.status == "did_not_take_place"


# Who may do what -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [("other_team_supervisor", 404), ("senior_manager", 403)]
)
def test_only_a_current_supervisor_plans_sessions(client, world, role, status):
    response = post_as(
        client, world.people[role], f"/people/{world.supervisee.pk}/sessions/plan/", plan_form()
    )
    assert response.status_code == status
    assert not new_sessions(world).exists()
    assert AuditEvent.objects.get(action="denied").detail["answer"] == status


@pytest.mark.parametrize(
    ("role", "status"), [("other_team_supervisor", 404), ("senior_manager", 403)]
)
def test_only_a_current_supervisor_cancels_sessions(client, world, role, status):
    session = a_session(world, at(date(2026, 3, 10), 14))
    response = post_as(
        client,
        world.people[role],
        f"/sessions/{session.pk}/cancel/",
        {"reason": "Not mine to cancel", "rebook": "no"},
    )
    assert response.status_code == status
    session.refresh_from_db()
    assert session.status == "planned"


def test_a_senior_manager_reads_the_sessions_but_is_offered_no_changes(client, world):
    a_session(world, at(date(2026, 3, 10), 14))
    html = get_as(client, world.senior_manager, f"/people/{world.supervisee.pk}/sessions/")
    html = html.content.decode()
    assert "10 March 2026" in html and "in 5 days" in html
    assert "Plan sessions" not in html and ">Cancel<" not in html and ">Move<" not in html


def test_an_outsider_does_not_learn_that_the_sessions_exist(client, world):
    session = a_session(world, at(date(2026, 3, 10), 14))
    for url in [
        f"/people/{world.supervisee.pk}/sessions/",
        f"/sessions/{session.pk}/calendar.ics",
        f"/sessions/{session.pk}/outcome/",
    ]:
        assert get_as(client, world.other_team_supervisor, url).status_code == 404, url


# The list of sessions --------------------------------------------------------------------------


def test_the_list_of_sessions_runs_the_same_queries_however_many_sessions(
    client, world, django_assert_num_queries
):
    first = a_session(world, at(date(2026, 3, 10), 14))
    for week in range(1, 60):
        a_session(
            world,
            first.starts_at - timedelta(weeks=week),
            status="held",
            replaces=first if week == 1 else None,
        )
    total = SupervisionSession.objects.filter(supervisee=world.supervisee).count()
    assert 60 <= total < 100
    url = f"/people/{world.supervisee.pk}/sessions/"
    with time_machine.travel(NOW, tick=False):
        client.force_login(world.supervisor)
        with django_assert_num_queries(QUERIES_FOR_THE_LIST):
            response = client.get(url)
        html = response.content.decode()
        assert html.count('<tr class="govuk-table__row">') == 51, "a heading and 50 sessions"
        assert html.index("10 March 2026") < html.index("3 March 2026"), "newest first"
        assert 'rel="next"' in html
        with django_assert_num_queries(QUERIES_FOR_THE_LIST):
            second = client.get(url + "?page=2")
    assert second.content.decode().count('<tr class="govuk-table__row">') == 1 + total - 50
    reads = AuditEvent.objects.filter(action="read", object_type="staff_file").order_by("sequence")
    assert [event.detail["page"] for event in reads] == [1, 2]


# The user (the session from its cache, not saved again within the minute); reach (managed
# units, the file, may edit); count and page of sessions; the audit entry (head, insert, head
# update, in a savepoint); the navigation's roles (one statement; three before, the managed
# units being read already). None of them grows with the sessions.
QUERIES_FOR_THE_LIST = 10


def test_the_supervisor_opens_each_form_and_each_read_is_audited(client, world):
    session = a_session(world, at(date(2026, 3, 4), 14))
    pages = {
        f"/people/{world.supervisee.pk}/sessions/plan/": "Plan supervision sessions",
        f"/sessions/{session.pk}/cancel/": "Cancel the session of 4 March 2026",
        f"/sessions/{session.pk}/outcome/": "What happened at the session of 4 March 2026",
    }
    for url, heading in pages.items():
        response = get_as(client, world.supervisor, url)
        assert response.status_code == 200, url
        assert f'<h1 class="govuk-heading-l">{heading}</h1>' in response.content.decode()
    reads = AuditEvent.objects.filter(action="read", object_type="supervision_session")
    assert sorted(event.detail["page"] for event in reads) == ["cancel", "outcome"]


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ("09:30", time(9, 30)),
        ("9.30", time(9, 30)),
        ("14:00", time(14, 0)),
        ("2pm", time(14, 0)),
        ("2:30 PM", time(14, 30)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("9", None),
        ("24:00", None),
        ("13pm", None),
        ("half nine", None),
    ],
)
def test_start_times_are_read_as_people_write_them(typed, read_as):
    assert parse_time(typed) == read_as


# Sessions already booked in the same period


def test_planning_over_booked_sessions_warns_and_skips_those_dates(client, world):
    """Three monthly sessions are booked on the 10th; a new monthly series on the 12th would
    double them up. The page lists them and skips them unless told to plan them anyway."""
    for month in (4, 5, 6):
        a_session(world, at(date(2026, month, 10), 14), session_type="case")
    url = f"/people/{world.supervisee.pk}/sessions/plan/"
    data = plan_form(frequency="monthly", interval_weeks="")

    warned = post_as(client, world.supervisor, url, data)
    html = warned.content.decode()
    assert warned.status_code == 200
    assert "Sessions are already booked near 3 of these dates" in html
    assert (
        "You already have a session with Supervisee on 10 April 2026 at 14:00, near 12 April 2026"
        in html
    )
    assert new_sessions(world).count() == 3  # nothing planned yet

    seen = re.search(r'name="booked_seen" value="([^"]*)"', html)[1]
    response = post_as(
        client, world.supervisor, url, {**data, "booked": "skip", "booked_seen": seen}
    )
    assert response.status_code == 302
    planned = sorted(
        s.starts_at.astimezone(LONDON).date() for s in new_sessions(world).filter(starts_at__day=12)
    )
    # 12 March to 12 September, less April, May and June.
    assert planned == [date(2026, 3, 12), date(2026, 7, 12), date(2026, 8, 12), date(2026, 9, 12)]
    assert not SupervisionSession.objects.filter(status="cancelled").exists()
    page = get_as(client, world.supervisor, response["Location"]).content.decode()
    assert "3 dates already booked left out" in page


def test_the_planner_may_plan_over_booked_dates_on_purpose(client, world):
    a_session(world, at(date(2026, 4, 10), 14), session_type="case")
    url = f"/people/{world.supervisee.pk}/sessions/plan/"
    data = plan_form(frequency="monthly", interval_weeks="")
    seen = re.search(
        r'name="booked_seen" value="([^"]*)"',
        post_as(client, world.supervisor, url, data).content.decode(),
    )[1]
    post_as(client, world.supervisor, url, {**data, "booked": "plan", "booked_seen": seen})
    assert new_sessions(world).filter(starts_at__day=12).count() == 7


@pytest.mark.parametrize(
    "booked_at,weeks,near",
    [
        (at(date(2026, 3, 24), 14), 2, True),  # two days from 26 March: within a week
        (at(date(2026, 3, 19), 10), 2, False),  # a full week from 12 and 26 March: between
        (at(date(2026, 4, 30), 14), 4, True),  # a week from 7 May, within two
    ],
)
def test_near_means_within_half_the_interval(world, booked_at, weeks, near):
    from supervision.sessions.planning import already_booked, series_start_times

    booked = a_session(world, booked_at, session_type="case")
    with time_machine.travel(NOW, tick=False):
        starts = series_start_times(
            first_start=at(date(2026, 3, 12), 10),
            duration=timedelta(hours=1),
            interval_weeks=weeks,
        )
        found = already_booked(
            supervisee=world.supervisee,
            session_type="case",
            slots=[(s, s + timedelta(hours=1)) for s in starts],
            interval_weeks=weeks,
            monthly=False,
        )
    assert (booked in found.values()) is near


@pytest.mark.parametrize(
    "booked_at,status,session_type,near",
    [
        # Monthly on the 12th from 12 March 2026: the same calendar month is the period.
        (at(date(2026, 3, 2), 14), "held", "case", [date(2026, 3, 12)]),
        (at(date(2026, 3, 31), 14), "planned", "case", [date(2026, 3, 12)]),
        (at(date(2026, 4, 1), 9), "planned", "case", [date(2026, 4, 12)]),
        (at(date(2026, 3, 20), 14), "cancelled", "case", []),
        (at(date(2026, 3, 20), 14), "did_not_take_place", "case", []),
        (at(date(2026, 3, 20), 14), "planned", "individual", []),  # another type of supervision
        (at(date(2026, 3, 12), 10, 30), "planned", "case", []),  # overlaps: a clash
    ],
)
def test_booked_means_planned_or_held_of_the_same_type_in_the_same_month(
    world, booked_at, status, session_type, near
):
    from supervision.sessions.planning import already_booked, series_start_times

    a_session(world, booked_at, status=status, session_type=session_type)
    with time_machine.travel(NOW, tick=False):
        starts = series_start_times(
            first_start=at(date(2026, 3, 12), 10), duration=timedelta(hours=1), monthly=True
        )
        found = already_booked(
            supervisee=world.supervisee,
            session_type="case",
            slots=[(s, s + timedelta(hours=1)) for s in starts],
            interval_weeks=None,
            monthly=True,
        )
    assert [start.astimezone(LONDON).date() for start in found] == near


def test_a_session_held_this_week_and_one_booked_by_another_supervisor_are_both_named(
    client, world
):
    """A weekly series from 6 March: the session held on 4 March (two days before) and
    another supervisor's session on 18 March are both within half a week of a new date."""
    a_session(world, at(date(2026, 3, 4), 14), status="held", session_type="case")
    a_session(
        world,
        at(date(2026, 3, 18), 9),
        supervisor=world.people["senior_manager"],
        session_type="case",
    )
    url = f"/people/{world.supervisee.pk}/sessions/plan/"
    data = plan_form(interval_weeks="1", first_date_0="6")
    html = post_as(client, world.supervisor, url, data).content.decode()
    assert "You already have a session with Supervisee on 4 March 2026 at 14:00 (held)" in html
    assert "Supervisee already has a session with Senior Manager on 18 March 2026 at 09:00" in html
    seen = re.search(r'name="booked_seen" value="([^"]*)"', html)[1]
    response = post_as(
        client, world.supervisor, url, {**data, "booked": "skip", "booked_seen": seen}
    )
    assert response.status_code == 302
    days = {s.starts_at.astimezone(LONDON).date() for s in new_sessions(world)}
    assert date(2026, 3, 6) not in days and date(2026, 3, 20) not in days
    assert date(2026, 3, 13) in days
