"""Reminders before things fall due: the morning job (06:30 London, oversight migration 0019).

For each member of staff, the due items in their reminder today (`oversight.policy.reminders`,
the pack's working days before each due date), and who must act on each:
- the next session: the line supervisor now, told to plan one if none is planned by the due
  date; once one is planned, the supervisee too, told of its date (S3: supervisors plan);
- writing up a record (R6): whoever writes it now (`access.records.record_signatory`): the
  supervisor who held the session, or after they left the line supervisor now;
- signing it off (R7, R8): the supervisee until they have signed, then that same signatory.

Each is a `Reminder` row, one per person, item and due date ever (a unique key), so a second
run, a second worker or a run after a crash tells nobody twice. Someone who wants an email for
each notice gets one now, through the outbox; someone who chose one email a day finds it in
that morning's digest (`notify.daily_digests_write`, 07:00). Nobody who has left is told.

The reads are batched: a fixed number of queries for each batch of people, whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from access.people import has_left
from oversight.flags.facts import PersonHistory, _profiles, person_histories
from oversight.models import Notification, NotificationPreference, Reminder
from oversight.notices.notify import settings_link
from oversight.notices.reminder_text import reminder_text
from oversight.policy.choice import NoPolicyPack, pack_on, pack_versions
from oversight.policy.due import day_start, local_date
from oversight.policy.reminders import RECORD, SESSION, SIGNOFF, DueReminder, reminders_due
from supervision.models import SupervisionSession, SupervisoryRelationship

BATCH = 500  # people read at once


@dataclass
class ReminderResult:
    people: int = 0  # on staff, looked at
    reminders: int = 0  # new reminders recorded
    emails: int = 0  # emails written now; the others wait for their daily digest


@dataclass(frozen=True)
class _Told:
    """One reminder for one person, before it is a row."""

    kind: str
    person_id: int
    recipient_id: int
    about: str
    due: date
    session_id: int | None = None
    planned_on: date | None = None

    @property
    def key(self) -> tuple:
        return (self.recipient_id, self.kind, self.person_id, self.about, self.due)


def reminders_write(now: datetime | None = None) -> ReminderResult:
    """Record and write the reminders due this morning. Safe to run again at any time."""
    now = now or timezone.now()
    today = local_date(now)
    try:
        versions = pack_versions()
    except NoPolicyPack:
        return ReminderResult()
    pack = pack_on(today, versions)
    result = ReminderResult()
    on_staff = list(
        _profiles()
        .filter(user__is_active=True)
        .filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=today))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(on_staff), BATCH):
        histories = person_histories(
            _profiles().filter(pk__in=on_staff[start : start + BATCH]).order_by("pk")
        )
        result.people += len(histories)
        wanted = {}
        for history in histories:
            for reminder in reminders_due(pack, history.items_at(versions, now), now):
                wanted[(history.user_id, reminder)] = history
        told = _who_is_told(wanted, now) if wanted else []
        if told:
            result.reminders += _record(told, now)
            result.emails += _email_those_who_want_each(told, today, now)
    return result


# --- Who is told ------------------------------------------------------------------------------


def _reachable(user, today: date) -> bool:
    # A leaver hears nothing more, even before the job that closes their account has run.
    return user is not None and user.is_active and bool(user.email) and not has_left(user, today)


def _who_is_told(wanted: dict[tuple[int, DueReminder], PersonHistory], now: datetime) -> list:
    today = local_date(now)
    people = {person_id for person_id, _ in wanted}
    lines = _acting_line_supervisors(people, today)
    sessions = _sessions([_session_id(r.about) for _, r in wanted if r.kind in (RECORD, SIGNOFF)])
    planned = _first_planned(people, now)
    told = []
    for (person_id, reminder), history in wanted.items():
        base = {
            "kind": reminder.kind,
            "person_id": person_id,
            "due": reminder.due,
            "about": reminder.about,
        }
        if reminder.kind == SESSION:
            session = planned.get(person_id)
            if session is not None and local_date(session.starts_at) > reminder.due:
                session = None
            planned_on = local_date(session.starts_at) if session else None
            extra = {"session_id": session.pk if session else None, "planned_on": planned_on}
            recipients = [lines.get(person_id)] + ([history.user] if session else [])
        else:
            session = sessions.get(_session_id(reminder.about))
            if session is None:
                continue
            signatory = (
                session.supervisor
                if _reachable(session.supervisor, today)
                else lines.get(person_id)
            )
            recipients = [signatory]
            if reminder.kind == SIGNOFF and not _supervisee_signed(history, reminder, now):
                recipients = [history.user]
            extra = {"session_id": session.pk}
        told += [
            _Told(recipient_id=user.pk, **base, **extra)
            for user in recipients
            if _reachable(user, today)
        ]
    return told


def _session_id(about: str) -> int | None:
    # The facts name a record by its session: "session 12" (oversight.flags.facts).
    number = about.removeprefix("session ")
    return int(number) if number.isdigit() else None


def _supervisee_signed(history: PersonHistory, reminder: DueReminder, now: datetime) -> bool:
    today = local_date(now)
    return any(
        record.about == reminder.about
        and record.supervisee_signed_on is not None
        and record.supervisee_signed_on <= today
        for record in history.facts_at(now).records
    )


def _acting_line_supervisors(people, today: date) -> dict:
    """Each person's line supervisor today who may act (the newest, after a change of
    supervisor), in one query: access.records._acting_line for many people."""
    found = {}
    for relationship in (
        SupervisoryRelationship.objects.filter(
            supervisee_id__in=people, kind=SupervisoryRelationship.Kind.LINE, starts_on__lte=today
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("supervisor__profile")
        .order_by("supervisee_id", "-starts_on", "-pk")
    ):
        if relationship.supervisee_id not in found and _reachable(relationship.supervisor, today):
            found[relationship.supervisee_id] = relationship.supervisor
    return found


def _sessions(ids) -> dict:
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return {}
    return SupervisionSession.objects.select_related("supervisor__profile").in_bulk(ids)


def _first_planned(people, now: datetime) -> dict:
    """Each person's first session still planned from today on, in one query."""
    first = {}
    for session in (
        SupervisionSession.objects.filter(
            supervisee_id__in=people,
            status=SupervisionSession.Status.PLANNED,
            starts_at__gte=day_start(local_date(now)),
        )
        .only("pk", "supervisee_id", "starts_at")
        .order_by("starts_at", "pk")
    ):
        first.setdefault(session.supervisee_id, session)
    return first


# --- Rows and emails --------------------------------------------------------------------------


def _record(told: list[_Told], now: datetime) -> int:
    """The reminders not yet recorded, in one insert. Another worker recording the same ones
    at the same moment is no error: the unique key keeps one of each."""
    if not told:
        return 0
    existing = set(
        Reminder.objects.filter(
            person_id__in={t.person_id for t in told}, due__gte=min(t.due for t in told)
        ).values_list("recipient_id", "kind", "person_id", "about", "due")
    )
    new = {t.key: t for t in told if t.key not in existing}
    Reminder.objects.bulk_create(
        [
            Reminder(
                kind=t.kind,
                person_id=t.person_id,
                recipient_id=t.recipient_id,
                about=t.about,
                due=t.due,
                session_id=t.session_id,
                planned_on=t.planned_on,
                created_at=now,
            )
            for t in new.values()
        ],
        ignore_conflicts=True,
    )
    return len(new)


def _email_those_who_want_each(told: list[_Told], today: date, now: datetime) -> int:
    """An email now for each reminder not yet told whose recipient wants one per notice; the
    daily digest tells the others. Claimed under a lock (on PostgreSQL, skipping rows another
    worker holds), so no reminder is emailed twice."""
    keys = {t.key for t in told}
    daily = set(
        NotificationPreference.objects.filter(
            user_id__in={t.recipient_id for t in told}, mode=NotificationPreference.Mode.DAILY
        ).values_list("user_id", flat=True)
    )
    with transaction.atomic():
        waiting = Reminder.objects.filter(
            recipient_id__in={t.recipient_id for t in told} - daily,
            person_id__in={t.person_id for t in told},
            notification__isnull=True,
            due__gte=today,
        )
        if connection.features.has_select_for_update_skip_locked:
            waiting = waiting.select_for_update(skip_locked=True, of=("self",))
        waiting = [
            reminder
            for reminder in waiting.select_related("person", "recipient", "session__supervisor")
            if (
                reminder.recipient_id,
                reminder.kind,
                reminder.person_id,
                reminder.about,
                reminder.due,
            )
            in keys
        ]
        if not waiting:
            return 0
        notices = Notification.objects.bulk_create([_email(reminder, now) for reminder in waiting])
        for reminder, notice in zip(waiting, notices, strict=True):
            reminder.notification = notice
        Reminder.objects.bulk_update(waiting, ["notification"])
    return len(notices)


def _email(reminder: Reminder, now: datetime) -> Notification:
    text = reminder_text(reminder)
    return Notification(
        kind=Notification.Kind.REMINDER,
        recipient=reminder.recipient,
        subject=text.subject[:200],
        body=render_to_string(
            "email/reminder.txt", {"reminder": text, "settings_link": settings_link()}
        ),
        created_at=now,
    )
