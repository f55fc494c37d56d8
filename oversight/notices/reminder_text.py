"""What a reminder says, in its own email or as a line of a daily digest.

Like every notice, it carries no record content: who the supervision is with, the dates, and a
link to the page where the thing is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.urls import reverse
from django.utils import timezone

from oversight.models import Reminder
from supervision.organisation.site import site_link


@dataclass(frozen=True)
class ReminderText:
    subject: str
    text: str
    link: str


def _when(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _held(reminder: Reminder) -> str:
    # The session's own day; a destroyed file has taken the session with it.
    if reminder.session is None:
        return ""
    return f" on {_when(timezone.localtime(reminder.session.starts_at).date())}"


def _page(name: str, *args) -> str:
    return site_link(reverse(name, args=args))


def reminder_text(reminder: Reminder) -> ReminderText:
    """The reminder as its recipient reads it. Reads `person`, `session` and, for a planned
    session, `session.supervisor`: select them with the reminder."""
    name = reminder.person.full_name
    due = _when(reminder.due)
    to_supervisee = reminder.recipient_id == reminder.person_id
    Kind = Reminder.Kind
    if reminder.kind == Kind.SESSION:
        return _session_text(reminder, name, due, to_supervisee)
    link = _page("record", reminder.session_id) if reminder.session_id else _page("home")
    if reminder.kind == Kind.RECORD:
        return ReminderText(
            subject=f"Write up your supervision with {name} by {due}",
            text=f"The record of supervision with {name}{_held(reminder)} is to be written up "
            f"and shared with them by {due}.",
            link=link,
        )
    if to_supervisee:
        return ReminderText(
            subject=f"Sign your supervision record by {due}",
            text=f"The record of your supervision{_held(reminder)} is waiting for you to read "
            f"and sign by {due}.",
            link=link,
        )
    return ReminderText(
        subject=f"Finalise the supervision record of {name} by {due}",
        text=f"{name} has signed the record of supervision{_held(reminder)}. Sign and "
        f"finalise it by {due}.",
        link=link,
    )


def _session_text(reminder: Reminder, name: str, due: str, to_supervisee: bool) -> ReminderText:
    planned = reminder.planned_on
    if to_supervisee:
        with_whom = f" with {reminder.session.supervisor.full_name}" if reminder.session else ""
        return ReminderText(
            subject=f"Your supervision is due by {due}",
            text=f"Your supervision is due by {due}. It is planned for "
            f"{_when(planned)}{with_whom}.",
            link=_page("session", reminder.session_id) if reminder.session_id else _page("home"),
        )
    if planned is None:
        return ReminderText(
            subject=f"Supervision with {name} is due by {due}",
            text=f"Supervision with {name} is due by {due}. No session is planned before "
            "then: plan one.",
            link=_page("plan-sessions", reminder.person_id),
        )
    return ReminderText(
        subject=f"Supervision with {name} is due by {due}",
        text=f"Supervision with {name} is due by {due}. It is planned for {_when(planned)}.",
        link=_page("session", reminder.session_id) if reminder.session_id else _page("home"),
    )
