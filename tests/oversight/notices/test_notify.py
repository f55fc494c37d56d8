"""Emails about overdue items: one per new flag to the person who must act,
or a daily digest if they prefer; a weekly digest for each senior manager; every notice
recorded before it is sent and its failure after. Flags come from the world's own facts going
overdue as the clock moves, through `oversight.flags.scheduled.tick`, as the scheduled job
raises them.
"""

import re
import smtplib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as project_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse

from casework.models import Child
from oversight.flags.scheduled import tick
from oversight.models import Flag, Notification, NotificationPreference
from oversight.notices import notify, outbox
from oversight.tasks import digests_write as digests_task
from oversight.tasks import notifications_send
from supervision.development import services as development_services
from supervision.models.audit import AuditAction, AuditEvent
from tests.world import build_world

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)  # Thursday 5 March 2026
# 23 March: the record of the session on 4 March (due 6 March, R6) and the supervisee's action
# (due 20 March, R4) are both overdue.
LATER = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 3, 24, 7, 0, tzinfo=LONDON)
MONDAY = datetime(2026, 3, 9, 7, 0, tzinfo=LONDON)
TUESDAY = datetime(2026, 3, 10, 7, 0, tzinfo=LONDON)
CHILD_NAMES = ("Alice Brown", "Charlie Davies")
CASE_TEXT = "You are settled at school."  # the world's draft case note on the child


@pytest.fixture
def world():
    with time_machine.travel(DAY, tick=False):
        world = build_world()
    # Names are optional and never emailed (R11); give the children names to prove it.
    Child.objects.filter(pk=world.child.pk).update(name=CHILD_NAMES[0])
    Child.objects.filter(pk=world.other_child.pk).update(name=CHILD_NAMES[1])
    return world


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver.example/"


def run_tick(moment):
    with time_machine.travel(moment, tick=False):
        return tick(moment)


def send(moment):
    with time_machine.travel(moment, tick=False):
        return outbox.send_due(moment)


def digests(moment):
    with time_machine.travel(moment, tick=False):
        return notify.digests_write(moment)


def emails_to(person):
    return [message for message in mail.outbox if message.to == [person.email]]


def prefer_daily(person):
    with time_machine.travel(DAY, tick=False):
        notify.preference_set(user=person, mode=NotificationPreference.Mode.DAILY)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# One email per new flag


def test_a_new_flag_emails_the_supervisor_once_and_the_supervisee_their_own_action(world):
    run_tick(DAY)
    send(DAY)
    mail.outbox.clear()

    result = run_tick(LATER)
    assert result.raised == 2
    sent = send(LATER)

    assert sent.sent == 2
    [to_supervisor] = emails_to(world.supervisor)
    assert to_supervisor.subject == "Record not written up: Supervisee"
    assert to_supervisor.from_email == project_settings.DEFAULT_FROM_EMAIL
    assert "Record of the session on 4 March 2026 not yet written" in to_supervisor.body
    assert "Due 6 March 2026.\n" in to_supervisor.body
    assert "(R6)" not in to_supervisor.body  # the policy's rule numbers mean nothing to readers
    assert f"http://testserver.example/people/{world.supervisee.pk}/" in to_supervisor.body
    [to_supervisee] = emails_to(world.supervisee)
    assert to_supervisee.subject == "Action overdue: Supervisee"
    # The action's words are record content: the email says only that it is overdue.
    assert "Read the neglect guidance" not in to_supervisee.body
    assert "http://testserver.example/\n" in to_supervisee.body
    assert Notification.objects.filter(created_at=LATER, sent_at=LATER).count() == 2


class WatchingBackend(BaseEmailBackend):
    """Looks at the outbox row while its email is being sent."""

    seen = []

    def send_messages(self, messages):
        for message in messages:
            notice = Notification.objects.get(
                recipient__email=message.to[0], subject=message.subject
            )
            type(self).seen.append((notice.claimed_at, notice.sent_at))
        return len(messages)


def test_each_notice_is_recorded_as_taken_before_it_is_sent(world, settings):
    settings.EMAIL_BACKEND = "tests.oversight.notices.test_notify.WatchingBackend"
    WatchingBackend.seen = []
    run_tick(LATER)

    send(LATER)

    assert len(WatchingBackend.seen) == Notification.objects.count() > 5
    assert set(WatchingBackend.seen) == {(LATER, None)}
    assert set(Notification.objects.values_list("sent_at", flat=True)) == {LATER}


def test_sending_twice_sends_each_email_once(world):
    run_tick(LATER)
    notices = Notification.objects.count()
    assert notices > 5

    first, second = send(LATER), send(LATER + timedelta(minutes=5))

    assert (first.sent, second.claimed, second.sent) == (notices, 0, 0)
    assert len(mail.outbox) == notices
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


def test_the_scheduled_tasks_send_and_write(world):
    run_tick(LATER)
    with time_machine.travel(LATER, tick=False):
        assert notifications_send()["sent"] == Notification.objects.count()
        assert notifications_send() == {"claimed": 0, "sent": 0, "failed": 0}
    prefer_daily(world.supervisor)
    with time_machine.travel(datetime(2026, 3, 30, 7, 0, tzinfo=LONDON), tick=False):
        # Monday 30 March: both senior managers' weekly digests, written and sent.
        assert digests_task() == {"daily": 0, "weekly": 2, "sent": 2}
        assert digests_task() == {"daily": 0, "weekly": 0, "sent": 0}


# Failures and retries


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down: every send raises, with a two-line message."""

    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        raise smtplib.SMTPServerDisconnected("421 mail.example.org closing\nTry again later")


def one_notice(world, moment=DAY) -> Notification:
    flag = Flag.objects.create(
        kind="cover_needed",
        person=world.supervisee,
        about="2026-02-01",
        due=date(2026, 2, 15),
        overdue_since=datetime(2026, 2, 16, tzinfo=LONDON),
        detail="Supervisor away since 1 February 2026; no cover arranged",
        rule="S5",
        raised_at=moment,
    )
    [notice] = notify.flag_raised(flag, moment)
    return notice


def test_a_failed_send_is_recorded_and_retried_three_times_with_backoff(world, settings):
    settings.EMAIL_BACKEND = "tests.oversight.notices.test_notify.RefusingBackend"
    RefusingBackend.calls = 0
    notice = one_notice(world)

    result = send(DAY)

    notice.refresh_from_db()
    assert (result.claimed, result.sent, result.failed) == (1, 0, 1)
    assert notice.failed_at == DAY
    assert notice.sent_at is None and notice.claimed_at is None
    assert "attempt 1: SMTPServerDisconnected: 421 mail.example.org closing Try again later" in (
        notice.error
    )
    assert outbox.attempts_made(notice) == 1

    # Tried again after 15 minutes, then 1 hour, then 4 hours; never sooner, never a fifth time.
    moment = DAY
    for attempt, wait in enumerate(outbox.RETRY_AFTER, start=2):
        assert send(moment + wait - timedelta(seconds=1)).claimed == 0
        moment += wait
        assert send(moment).failed == 1
        notice.refresh_from_db()
        assert (outbox.attempts_made(notice), notice.failed_at) == (attempt, moment)
    assert send(moment + timedelta(days=30)).claimed == 0
    assert RefusingBackend.calls == 4
    assert len(notice.error.splitlines()) == 4
    assert mail.outbox == []


def test_a_notice_that_failed_is_sent_when_the_server_is_back_and_keeps_its_history(
    world, settings
):
    settings.EMAIL_BACKEND = "tests.oversight.notices.test_notify.RefusingBackend"
    notice = one_notice(world)
    send(DAY)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert send(DAY + timedelta(minutes=14)).sent == 0
    assert send(DAY + timedelta(minutes=15)).sent == 1

    notice.refresh_from_db()
    assert notice.sent_at == DAY + timedelta(minutes=15)
    assert notice.failed_at == DAY and "SMTPServerDisconnected" in notice.error
    assert len(mail.outbox) == 1
    assert send(DAY + timedelta(days=1)).claimed == 0


def test_a_claim_whose_worker_died_is_taken_again_after_the_lease(world):
    notice = one_notice(world)
    # A worker claimed it at 9:00 and died before recording the outcome.
    Notification.objects.filter(pk=notice.pk).update(claimed_at=DAY)

    assert send(DAY + timedelta(minutes=29)).claimed == 0
    assert mail.outbox == []
    assert send(DAY + timedelta(minutes=31)).sent == 1

    notice.refresh_from_db()
    assert notice.sent_at == DAY + timedelta(minutes=31)
    assert "attempt 1: the worker sending it stopped before recording the result" in notice.error
    assert len(mail.outbox) == 1


# Daily digests


def test_a_daily_person_gets_no_email_per_flag_and_one_digest_next_morning_with_all_of_them(
    world,
):
    supervisor = Client()
    supervisor.force_login(world.supervisor)
    with time_machine.travel(DAY, tick=False):
        supervisor.post(reverse("notification-settings"), {"mode": "daily"})

    run_tick(DAY)
    run_tick(LATER)
    send(LATER)
    assert emails_to(world.supervisor) == []
    assert [m.subject for m in emails_to(world.supervisee)] == ["Action overdue: Supervisee"]

    assert digests(NEXT_MORNING).daily == 1
    send(NEXT_MORNING)

    [digest] = emails_to(world.supervisor)
    assert digest.subject == "6 new overdue items for you to act on"
    for line in (
        "No supervision agreement: Supervisee",
        "Wellbeing plan missing or due for review: Supervisee",  # Q5, Kent's pack
        "Dates not agreed far enough ahead: Supervisee",  # S3
        "Practice observation overdue: Supervisee",
        "Development conversation overdue: Supervisee",
        "Record not written up: Supervisee",
    ):
        assert line in digest.body
    assert "Action overdue" not in digest.body  # the supervisee's to act on, not theirs
    notice = Notification.objects.get(recipient=world.supervisor)
    assert (notice.kind, notice.period) == ("daily_digest", "2026-03-24")

    # Once a day, and only with something new.
    assert digests(NEXT_MORNING + timedelta(minutes=30)).daily == 0
    assert digests(NEXT_MORNING + timedelta(days=1)).daily == 0
    assert Notification.objects.filter(recipient=world.supervisor).count() == 1


def test_the_next_digest_has_only_what_was_raised_since_the_last(world):
    prefer_daily(world.supervisor)
    run_tick(DAY)
    digests(DAY + timedelta(days=1))  # 6 March: the first digest, everything so far
    # A flag dated by a tick that began 15 minutes before the 24 March digest is left to the
    # next one: that tick may still be committing when the digest is written.
    late = Flag.objects.create(
        kind="observation_due",
        person=world.supervisee,
        about="2026-03-01",
        due=date(2026, 3, 15),
        overdue_since=datetime(2026, 3, 16, tzinfo=LONDON),
        detail="Practice observation: 2 a year",
        rule="Q1",
        raised_at=NEXT_MORNING - timedelta(minutes=15),
    )
    run_tick(LATER)

    digests(NEXT_MORNING)
    digests(NEXT_MORNING + timedelta(days=1))

    first, second, third = Notification.objects.filter(recipient=world.supervisor).order_by(
        "created_at"
    )
    assert first.period == "2026-03-06" and "No supervision agreement" in first.body
    assert second.subject == "1 new overdue item for you to act on"
    assert "Record not written up: Supervisee" in second.body
    assert "No supervision agreement" not in second.body
    assert "Practice observation overdue" not in second.body
    assert third.period == "2026-03-25" and "Practice observation overdue" in third.body
    assert "Record not written up" not in third.body
    assert late.pk


def test_flags_already_emailed_one_by_one_are_left_out_of_the_first_digest(world):
    run_tick(DAY)  # the supervisor gets an email for each of the supervisee's three flags
    prefer_daily(world.supervisor)
    run_tick(LATER)

    digests(NEXT_MORNING)

    digest = Notification.objects.get(recipient=world.supervisor, kind="daily_digest")
    assert digest.subject == "1 new overdue item for you to act on"
    assert "Record not written up: Supervisee" in digest.body
    assert "No supervision agreement" not in digest.body


# Weekly digests for senior managers


def test_senior_managers_get_a_weekly_digest_of_their_units_on_monday_not_tuesday(world):
    run_tick(DAY)
    # 6 March: an observation of the supervisee resolves their observation flag.
    with time_machine.travel(datetime(2026, 3, 6, 12, tzinfo=UTC), tick=False):
        development_services.observation_record(
            practitioner=world.supervisee,
            by=world.supervisor,
            observer_role="Line manager",
            observed_on=date(2026, 3, 6),
            venue="Family home",
            permission_gained=True,
        )
    assert run_tick(datetime(2026, 3, 6, 12, 15, tzinfo=UTC)).resolved == 1

    written = digests(MONDAY)

    assert written.weekly == 2
    digest = Notification.objects.get(recipient=world.senior_manager, kind="weekly_digest")
    assert digest.period == "2026-W11"
    assert digest.subject == "Weekly oversight digest: the 7 days to 9 March 2026"
    body = digest.body
    team_a = body[body.index("\nTeam A\n") :]
    assert "Open now: 9" in team_a  # the supervisee's and the supervisor's
    assert "No supervision agreement: 2" in team_a
    assert "Dates not agreed far enough ahead: 2" in team_a  # S3
    assert "Wellbeing plan missing or due for review: 1" in team_a  # Q5: the practitioner's
    assert "Less than the monthly supervision time: 1" in team_a  # F6: February's
    assert "Practice observation overdue" not in team_a
    assert "Raised in the last 7 days: 10" in team_a
    assert "Resolved in the last 7 days: 1" in team_a
    assert "Team B" not in body  # another senior manager's
    other = Notification.objects.get(recipient=world.other_senior_manager, kind="weekly_digest")
    assert "Team B" in other.body and "Team A" not in other.body
    assert "New allocation not discussed: 1" in other.body

    assert digests(MONDAY + timedelta(hours=3)).weekly == 0
    assert digests(TUESDAY).weekly == 0
    assert Notification.objects.filter(kind="weekly_digest").count() == 2


def test_a_weekly_digest_counts_only_what_is_below_the_managers_units(world):
    run_tick(DAY)
    # The directorate's manager sees both services, each team once.
    directorate = world.units["directorate"]
    directorate.manager = world.auditor_without_grant
    directorate.save()

    digests(MONDAY)

    body = Notification.objects.get(recipient=world.auditor_without_grant).body
    assert body.count("\nTeam A\n") == 1 and body.count("\nTeam B\n") == 1
    assert Notification.objects.filter(kind="weekly_digest").count() == 3


def test_a_spell_found_already_over_is_neither_listed_nor_counted(world):
    """A fact entered late can reveal an overdue spell that began and ended unseen: the job
    keeps it as a flag resolved the moment it was written. Nobody can act on it, so neither
    digest lists or counts it."""
    prefer_daily(world.supervisor)
    Flag.objects.create(
        kind="cover_needed",
        person=world.supervisee,
        about="2026-02-01",
        due=date(2026, 2, 15),
        overdue_since=datetime(2026, 2, 16, tzinfo=LONDON),
        resolved_at=datetime(2026, 3, 1, tzinfo=LONDON),
        noticed_resolved_at=DAY,
        raised_at=DAY,
    )

    assert digests(MONDAY).daily == 0
    body = Notification.objects.get(recipient=world.senior_manager).body
    assert (
        "Open now: 0\n  Raised in the last 7 days: 0\n  Resolved in the last 7 days: 0"
        in (body[body.index("\nTeam A\n") :])
    )


def test_nobody_who_has_left_is_emailed(world):
    world.supervisor.is_active = False
    world.supervisor.save()

    run_tick(LATER)

    assert not Notification.objects.filter(recipient=world.supervisor).exists()
    assert Notification.objects.filter(recipient=world.supervisee).exists()


# What an email may say


def children_overdue_by_email_and_digest(world):
    """By 5 May the supervisee's child is overdue for case supervision (C1): their supervisor
    hears by email; the other team's supervisor has the new allocation (C3) in a digest."""
    prefer_daily(world.other_team_supervisor)
    for moment in (DAY, LATER, datetime(2026, 5, 5, 9, tzinfo=UTC)):
        run_tick(moment)
    for moment in (NEXT_MORNING, datetime(2026, 5, 6, 7, tzinfo=LONDON)):
        digests(moment)
    send(datetime(2026, 5, 6, 8, tzinfo=UTC))


def test_emails_name_children_by_reference_only_and_carry_no_case_text(world):
    children_overdue_by_email_and_digest(world)

    assert Flag.objects.filter(child__isnull=False).count() >= 2
    assert len(mail.outbox) == Notification.objects.count() > 10
    everything = "\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox)
    assert "New allocation not discussed: child NS200002" in everything
    assert "Child not discussed in time: child NS100001" in everything
    for name in CHILD_NAMES:
        assert name not in everything
    assert not re.search(r"\b(AB|CD)\b", everything)  # nor initials
    assert CASE_TEXT not in everything


def test_emails_link_to_the_page_of_what_is_overdue_and_to_the_settings(world):
    children_overdue_by_email_and_digest(world)

    site = "http://testserver.example"
    settings_page = f"{site}{reverse('notification-settings')}\n"
    held, allocated = (Child.objects.get(reference=r) for r in ("NS100001", "NS200002"))
    [email] = [m for m in emails_to(world.supervisor) if m.subject.endswith(held.reference)]
    assert f"{site}{reverse('child', args=[held.pk])}\n" in email.body
    assert settings_page in email.body
    listed = [m for m in emails_to(world.other_team_supervisor) if "NS200002" in m.body]
    link = f"{site}{reverse('child', args=[allocated.pk])}"
    assert listed
    assert all(link in m.body and settings_page in m.body for m in listed)


# The settings page


def test_anyone_signed_in_chooses_how_they_hear_and_it_is_audited(world):
    url = reverse("notification-settings")
    assert url == "/account/notifications/"
    client = Client()
    client.force_login(world.supervisee)

    page = client.get(url)
    assert page.status_code == 200
    assert re.search(
        r"<h1[^>]*>\s*How would you like to hear about overdue items\?\s*</h1>", text(page)
    )
    assert re.search(r'value="each"\s+checked', text(page))

    response = client.post(url, {"mode": "daily"}, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert "Notification settings saved: one email a day" in text(response)
    assert "govuk-notification-banner--success" in text(response)
    assert re.search(r'value="daily"\s+checked', text(response))
    assert NotificationPreference.objects.get(user=world.supervisee).mode == "daily"
    entry = AuditEvent.objects.get(action=AuditAction.WRITE, object_type="notification_preference")
    assert (entry.actor, entry.subject, entry.detail) == (
        world.supervisee,
        world.supervisee,
        {"mode": "daily"},
    )


def test_the_settings_page_refuses_no_choice_and_saves_nothing(world):
    client = Client()
    client.force_login(world.supervisor)

    page = client.post(reverse("notification-settings"), {"mode": "hourly"})

    assert page.status_code == 200
    assert "govuk-error-summary" in text(page)
    assert "Select how you would like to hear about overdue items" in text(page)
    assert not NotificationPreference.objects.exists()
    assert not AuditEvent.objects.filter(object_type="notification_preference").exists()


def test_the_settings_page_asks_anyone_to_sign_in(world):
    response = Client().get(reverse("notification-settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("sign-in"))


@pytest.mark.parametrize("role", ["admin", "senior_manager", "auditor_with_grant"])
def test_the_settings_page_is_for_everyone_signed_in(world, role):
    client = Client()
    client.force_login(world.people[role])
    page = client.get(reverse("notification-settings"))
    assert page.status_code == 200
    assert ("weekly summary of your units" in text(page)) == (role == "senior_manager")


def test_the_settings_page_runs_a_fixed_number_of_queries(world, django_assert_num_queries):
    client = Client()
    client.force_login(world.senior_manager)
    url = reverse("notification-settings")
    with time_machine.travel(DAY, tick=False):
        client.get(url)  # the first request after sign-in saves the session
    # The page's own: the preference and whether they manage a unit above a team. The rest is
    # every page's: the user (the session comes from its cache, not saved again within the
    # minute), and the navigation's role checks (one statement; issue 21: four before).
    with time_machine.travel(DAY, tick=False), django_assert_num_queries(4):
        assert client.get(url).status_code == 200
    with time_machine.travel(DAY, tick=False):
        client.post(url, {"mode": "daily"})
    with time_machine.travel(DAY, tick=False), django_assert_num_queries(4):
        # The same after a save: a person with a preference row costs no more.
        assert client.get(url).status_code == 200


def test_cover_is_asked_of_the_absent_supervisors_own_manager(world):
    """S5: the supervisee's line supervisor is the one away, so the notice goes to the manager
    above them, who arranges the cover."""
    notice = one_notice(world)
    assert notice.recipient == world.senior_manager
