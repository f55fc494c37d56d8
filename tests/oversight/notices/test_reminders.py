"""Reminders before things fall due, end to end: the morning job records who is told of a
session, a write-up or a sign-off coming due, emails those who want one each through the
outbox, and leaves the others to their daily digest. Kent's pack is in force (migration 0009):
3 working days before a session, 1 before a write-up or a sign-off.
"""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oversight.models import Notification, NotificationPreference, PolicyPackVersion, Reminder
from oversight.notices import notify, outbox, reminders
from oversight.tasks import reminders_write as reminders_task
from supervision.models import StaffProfile, SupervisionSession, Unit
from supervision.people.services import relationship_change_line_supervisor
from supervision.records import services as record_services
from tests.conftest import SUPERVISEE_PASSWORD
from tests.factories import JobRoleFactory, RelationshipFactory, StaffProfileFactory, UnitFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def local(year, month, day, hour=6, minute=30) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


# Sam's last session was on Monday 9 November 2026, so the next is due by Wednesday
# 9 December (monthly, rolling): reminded from Friday 4 December, 3 working days before.
LAST_SESSION = local(2026, 11, 9, 10)
THURSDAY = local(2026, 12, 3)
FRIDAY = local(2026, 12, 4)
MONDAY = local(2026, 12, 7)


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver.example/"


def at(moment):
    return time_machine.travel(moment, tick=False)


def run(moment) -> reminders.ReminderResult:
    with at(moment):
        return reminders.reminders_write(moment)


def send(moment):
    with at(moment):
        return outbox.send_due(moment)


def emails_to(person):
    return [message for message in mail.outbox if message.to == [person.email]]


class Org:
    def __init__(self):
        team = UnitFactory(name="Team A", code="team-a", kind=Unit.Kind.TEAM)
        self.team = team
        self.manager = self.staff("alex", "Alex Jones", category="manager")
        self.other_manager = self.staff("kim", "Kim Lee", category="manager")

    def staff(self, key, name, category="practitioner", **extra):
        role = JobRoleFactory(code=category, name=category.title(), category=category)
        return StaffProfileFactory(
            user__email=f"{key}@example.org",
            user__full_name=name,
            unit=self.team,
            job_role=role,
            start_date=date(2025, 1, 6),
            **extra,
        ).user

    def supervisee(self, key="sam", name="Sam Smith", last=LAST_SESSION, supervisor=None):
        person = self.staff(key, name)
        RelationshipFactory(
            supervisor=supervisor or self.manager, supervisee=person, starts_on=date(2025, 1, 6)
        )
        self.session(person, last, SupervisionSession.Status.HELD)
        return person

    def session(self, person, starts, status=SupervisionSession.Status.PLANNED, by=None):
        return SupervisionSession.objects.create(
            supervisee=person,
            supervisor=by or self.manager,
            session_type="individual",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            created_by=self.manager,
            status=status,
        )


@pytest.fixture
def org():
    with at(local(2026, 11, 1, 9)):
        return Org()


def reminders_of(recipient=None):
    query = Reminder.objects.order_by("pk")
    if recipient is not None:
        query = query.filter(recipient=recipient)
    return list(query)


# --- A session coming due ----------------------------------------------------------------------


def test_a_session_due_wednesday_is_reminded_on_friday_and_not_again_on_monday(org):
    sam = org.supervisee()

    assert run(THURSDAY).reminders == 0
    result = run(FRIDAY)
    assert (result.reminders, result.emails) == (1, 1)
    send(FRIDAY)

    # Nothing planned: the supervisor is asked to plan it; the supervisee is not yet told.
    [email] = emails_to(org.manager)
    assert email.subject == "Supervision with Sam Smith is due by 9 December 2026"
    assert (
        "Supervision with Sam Smith is due by 9 December 2026. No session is planned before "
        "then: plan one.\n" in email.body
    )
    assert f"http://testserver.example/people/{sam.pk}/sessions/plan/" in email.body
    assert emails_to(sam) == []
    [reminder] = reminders_of()
    assert (reminder.kind, reminder.due, reminder.person, reminder.recipient) == (
        "session",
        date(2026, 12, 9),
        sam,
        org.manager,
    )

    mail.outbox.clear()
    for later in (local(2026, 12, 5, 10), MONDAY, local(2026, 12, 9, 23, 0)):
        assert run(later).reminders == 0
        send(later)
    assert mail.outbox == []
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 1


def test_a_planned_session_tells_both_of_its_date(org):
    sam = org.supervisee()
    with at(local(2026, 11, 20, 9)):
        planned = org.session(sam, local(2026, 12, 8, 14))

    run(FRIDAY)
    send(FRIDAY)

    [to_manager] = emails_to(org.manager)
    assert (
        "Supervision with Sam Smith is due by 9 December 2026. It is planned for 8 December "
        "2026.\n" in to_manager.body
    )
    [to_sam] = emails_to(sam)
    assert to_sam.subject == "Your supervision is due by 9 December 2026"
    assert (
        "Your supervision is due by 9 December 2026. It is planned for 8 December 2026 with "
        "Alex Jones." in to_sam.body
    )
    assert f"http://testserver.example/sessions/{planned.pk}/" in to_sam.body


def test_a_session_planned_after_the_due_date_is_not_planned_in_time(org):
    sam = org.supervisee()
    with at(local(2026, 11, 20, 9)):
        org.session(sam, local(2026, 12, 10, 14))

    run(FRIDAY)
    [reminder] = reminders_of()
    assert (reminder.recipient, reminder.planned_on) == (org.manager, None)


def test_planning_after_the_supervisors_reminder_tells_the_supervisee_and_not_the_supervisor_again(
    org,
):
    sam = org.supervisee()
    run(FRIDAY)
    with at(local(2026, 12, 4, 11)):
        org.session(sam, local(2026, 12, 8, 14))
    run(MONDAY)
    assert [(r.recipient, r.planned_on) for r in reminders_of()] == [
        (org.manager, None),
        (sam, date(2026, 12, 8)),
    ]


# --- Write-ups and sign-offs -------------------------------------------------------------------


def test_a_record_to_write_up_reminds_the_supervisor_the_working_day_before(org):
    # Held Friday 4 December: written up within 2 working days, by Tuesday 8 December.
    sam = org.supervisee(last=local(2026, 12, 4, 10))
    run(local(2026, 12, 5, 6, 30))
    assert reminders_of() == []

    run(MONDAY)
    send(MONDAY)
    [email] = emails_to(org.manager)
    assert email.subject == "Write up your supervision with Sam Smith by 8 December 2026"
    assert "The record of supervision with Sam Smith on 4 December 2026 is to be written up" in (
        email.body
    )
    session = SupervisionSession.objects.get(supervisee=sam)
    assert f"http://testserver.example/sessions/{session.pk}/record/" in email.body
    assert emails_to(sam) == []


def test_a_sign_off_reminds_the_supervisee_then_once_signed_the_supervisor(org):
    # Held and shared Friday 4 December: Kent signs off within 5 working days of sharing, by
    # Friday 11 December; reminded from Thursday 10 December.
    sam = org.supervisee(last=local(2026, 12, 4, 10))
    session = SupervisionSession.objects.get(supervisee=sam)
    with at(local(2026, 12, 4, 15)):
        record = record_services.record_start(session=session, by=org.manager)
        record_services.record_share(record=record, by=org.manager)
    send(local(2026, 12, 4, 15))
    mail.outbox.clear()

    run(local(2026, 12, 9))
    assert [r.kind for r in reminders_of()] == []
    run(local(2026, 12, 10))
    send(local(2026, 12, 10))
    [email] = emails_to(sam)
    assert email.subject == "Sign your supervision record by 11 December 2026"
    assert emails_to(org.manager) == []

    with at(local(2026, 12, 10, 12)):
        record_services.record_sign(record=record, password=SUPERVISEE_PASSWORD, by=sam)
    send(local(2026, 12, 10, 12))
    mail.outbox.clear()
    run(local(2026, 12, 11))
    send(local(2026, 12, 11))
    [email] = emails_to(org.manager)
    assert email.subject == "Finalise the supervision record of Sam Smith by 11 December 2026"
    assert emails_to(sam) == []


# --- Preferences -------------------------------------------------------------------------------


def test_someone_who_chose_one_email_a_day_finds_the_reminder_in_that_mornings_digest(org):
    sam = org.supervisee()
    with at(THURSDAY):
        notify.preference_set(user=org.manager, mode=NotificationPreference.Mode.DAILY)

    result = run(FRIDAY)
    assert (result.reminders, result.emails) == (1, 0)
    assert not Notification.objects.filter(kind=Notification.Kind.REMINDER).exists()

    with at(local(2026, 12, 4, 7, 0)):
        assert notify.digests_write(local(2026, 12, 4, 7, 0)).daily == 1
    send(local(2026, 12, 4, 7, 0))
    [digest] = emails_to(org.manager)
    assert digest.subject == "1 thing coming due for you to act on"
    assert "Coming due:\n" in digest.body
    assert "- Supervision with Sam Smith is due by 9 December 2026. No session is planned" in (
        digest.body
    )
    assert "overdue item" not in digest.body.split("See everything")[0]
    assert f"/people/{sam.pk}/sessions/plan/" in digest.body
    [reminder] = reminders_of()
    assert reminder.notification.kind == Notification.Kind.DAILY_DIGEST

    # Told once: not in the next digest, nor by email if they go back to one each.
    mail.outbox.clear()
    with at(MONDAY):
        notify.preference_set(user=org.manager, mode=NotificationPreference.Mode.EACH)
    run(MONDAY)
    with at(local(2026, 12, 8, 7, 0)):
        notify.digests_write(local(2026, 12, 8, 7, 0))
    send(local(2026, 12, 8, 7, 0))
    assert mail.outbox == []


def test_a_reminder_waiting_for_a_digest_is_emailed_if_they_go_back_to_one_each(org):
    org.supervisee()
    with at(THURSDAY):
        notify.preference_set(user=org.manager, mode=NotificationPreference.Mode.DAILY)
    run(FRIDAY)
    with at(local(2026, 12, 4, 6, 45)):
        notify.preference_set(user=org.manager, mode=NotificationPreference.Mode.EACH)
    assert run(local(2026, 12, 4, 6, 50)).emails == 1
    send(local(2026, 12, 4, 6, 50))
    assert len(emails_to(org.manager)) == 1


def test_a_digest_with_flags_and_reminders_names_both(org):
    org.supervisee()
    # Max's last session was on 2 November: due 2 December, overdue by Friday.
    max_ = org.supervisee("max", "Max Power", last=local(2026, 11, 2, 10))
    with at(THURSDAY):
        notify.preference_set(user=org.manager, mode=NotificationPreference.Mode.DAILY)
    from oversight.flags.scheduled import tick

    with at(local(2026, 12, 3, 9)):
        tick(local(2026, 12, 3, 9))
    run(FRIDAY)
    with at(local(2026, 12, 4, 7, 0)):
        notify.digests_write(local(2026, 12, 4, 7, 0))
    [digest] = Notification.objects.filter(kind=Notification.Kind.DAILY_DIGEST)
    # The overdue items are Max's session and the agreements nobody has drawn up.
    assert re.fullmatch(
        r"\d+ new overdue items and 1 thing coming due for you to act on", digest.subject
    )
    overdue, coming = digest.body.split("Coming due:")
    assert "Supervision overdue: Max Power" in overdue
    assert "Supervision with Sam Smith is due by 9 December 2026" in coming
    assert max_.full_name not in coming


# --- Once only ---------------------------------------------------------------------------------


def test_running_twice_tells_once(org):
    org.supervisee()
    run(FRIDAY)
    assert run(FRIDAY).reminders == 0
    with at(FRIDAY):
        reminders_task()
    assert Reminder.objects.count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 1
    assert len(emails_to(org.manager)) == 1


def test_after_a_crash_between_recording_and_emailing_the_next_run_emails_once(org):
    sam = org.supervisee()
    # The first run recorded the reminder and died before writing its email.
    Reminder.objects.create(
        kind="session",
        person=sam,
        recipient=org.manager,
        due=date(2026, 12, 9),
        created_at=FRIDAY,
    )
    result = run(local(2026, 12, 4, 9))
    assert (result.reminders, result.emails) == (0, 1)
    assert run(local(2026, 12, 4, 10)).emails == 0
    [reminder] = reminders_of()
    assert reminder.notification.kind == Notification.Kind.REMINDER


def test_the_task_writes_and_sends(org):
    org.supervisee()
    with at(FRIDAY):
        assert reminders_task() == {"people": 3, "reminders": 1, "emails": 1, "sent": 1}


# --- Leavers and changes of supervisor ---------------------------------------------------------


def test_no_reminder_to_a_leaver(org):
    sam = org.supervisee()
    StaffProfile.objects.filter(user=org.manager).update(leaving_date=date(2026, 12, 3))
    run(FRIDAY)
    assert reminders_of() == []

    # Nor about one: a supervisee who has left is due nothing.
    StaffProfile.objects.filter(user=org.manager).update(leaving_date=None)
    StaffProfile.objects.filter(user=sam).update(leaving_date=date(2026, 12, 3))
    run(FRIDAY)
    assert reminders_of() == []


def test_a_closed_account_is_not_told(org):
    org.supervisee()
    org.manager.is_active = False
    org.manager.save()
    run(FRIDAY)
    assert reminders_of() == []


def test_after_a_change_of_supervisor_the_current_one_is_told(org):
    sam = org.supervisee()
    with at(local(2026, 11, 30, 9)):
        relationship_change_line_supervisor(
            supervisee=sam, new_supervisor=org.other_manager, on=date(2026, 12, 1), by=org.manager
        )
    run(FRIDAY)
    assert [r.recipient for r in reminders_of()] == [org.other_manager]


def test_a_record_whose_supervisor_has_left_reminds_the_line_supervisor_now(org):
    sam = org.supervisee(last=local(2026, 12, 4, 10))
    with at(local(2026, 12, 5, 9)):
        relationship_change_line_supervisor(
            supervisee=sam, new_supervisor=org.other_manager, on=date(2026, 12, 6), by=org.manager
        )
    StaffProfile.objects.filter(user=org.manager).update(leaving_date=date(2026, 12, 6))
    run(MONDAY)
    assert [(r.kind, r.recipient) for r in reminders_of()] == [("record", org.other_manager)]


# --- The pack's numbers ------------------------------------------------------------------------


def test_a_pack_with_no_session_reminders_sends_none(org):
    org.supervisee()
    row = PolicyPackVersion.objects.get(code="kent", version=1)
    row.data = {**row.data, "reminder_working_days": {"session": 0, "record": 1, "signoff": 1}}
    row.save()
    run(local(2026, 12, 9))
    assert reminders_of() == []


def test_a_pack_of_five_working_days_reminds_earlier(org):
    org.supervisee()
    row = PolicyPackVersion.objects.get(code="kent", version=1)
    row.data = {**row.data, "reminder_working_days": {"session": 5, "record": 1, "signoff": 1}}
    row.save()
    run(local(2026, 12, 1))
    assert reminders_of() == []
    run(local(2026, 12, 2))
    assert len(reminders_of()) == 1


def test_every_stored_pack_version_has_the_setting_the_migration_added():
    for row in PolicyPackVersion.objects.all():
        assert set(row.data["reminder_working_days"]) == {"session", "record", "signoff"}
        assert row.data["notes"]["reminder_working_days"].startswith("Seeds silent")


# --- Queries -----------------------------------------------------------------------------------


def queries_for(moment) -> int:
    with at(moment), CaptureQueriesContext(connection) as queries:
        reminders.reminders_write(moment)
    return len(queries)


def test_the_job_reads_in_a_fixed_number_of_queries_whatever_the_number_of_people(org):
    def organisation(n, start):
        for i in range(n):
            person = org.supervisee(f"p{start + i}", f"Person {start + i}")
            with at(local(2026, 11, 20, 9)):
                org.session(person, local(2026, 12, 8, 14))

    organisation(1, 0)
    few = queries_for(FRIDAY)
    Reminder.objects.all().delete()
    Notification.objects.all().delete()
    organisation(6, 10)
    many = queries_for(FRIDAY)
    assert Reminder.objects.count() == 14  # 7 people, each told with their supervisor
    assert many == few, f"{few} queries for 1 person, {many} for 7"
