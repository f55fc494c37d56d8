"""Calendar invitations for supervision sessions (iCalendar, RFC 5545 and iTIP, RFC 5546).

An invitation leaves the organisation's control and lands in shared and delegated calendars,
so it names the two people, the time and the place, and nothing of what will be discussed.
"""

from datetime import UTC

from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from oversight.models import Notification
from supervision.models import SupervisionSession
from supervision.outbox import write_email

PRODID = "-//Supervision records//Supervision sessions//EN"
METHODS = ("REQUEST", "CANCEL")


def session_uid(session: SupervisionSession) -> str:
    return f"{session.uid}@supervision-records"


def session_summary(session: SupervisionSession) -> str:
    return f"Supervision: {session.supervisee.full_name} with {session.supervisor.full_name}"


def _address(person, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = person.full_name
    for name, value in params.items():
        address.params[name] = value
    return address


def _event(session: SupervisionSession, method: str) -> Event:
    cancelled = method == "CANCEL" or session.status == SupervisionSession.Status.CANCELLED
    event = Event()
    event.add("uid", session_uid(session))
    # Calendars apply an update only if its SEQUENCE is higher than the one they hold.
    event.add("sequence", session.ics_sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", session.ends_at.astimezone(UTC))
    event.add("summary", session_summary(session))
    event.add("location", session.location or session.get_mode_display())
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("organizer", _address(session.supervisor))
    event.add(
        "attendee",
        _address(
            session.supervisee,
            ROLE="REQ-PARTICIPANT",
            PARTSTAT="NEEDS-ACTION",
            RSVP="TRUE",
        ),
    )
    return event


def _calendar(sessions: list[SupervisionSession], method: str) -> bytes:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    invitation = Calendar()
    invitation.add("prodid", PRODID)
    invitation.add("version", "2.0")
    invitation.add("method", method)
    for session in sessions:
        invitation.add_component(_event(session, method))
    return invitation.to_ical()


def session_invitation(session: SupervisionSession, method: str = "REQUEST") -> bytes:
    return _calendar([session], method)


def series_invitation(sessions: list[SupervisionSession]) -> bytes:
    """Every session of a series in one file: one event each, each with its own UID, so each
    can later be moved or cancelled on its own."""
    return _calendar(sessions, "REQUEST")


def _subject(session: SupervisionSession, method: str) -> str:
    starts = timezone.localtime(session.starts_at)
    when = f"{starts:%-d %B %Y} at {starts:%H:%M}"
    if method == "CANCEL":
        return f"Cancelled: supervision on {when}"
    if session.ics_sequence:
        return f"Changed: supervision now on {when}"
    return f"Supervision on {when}"


def _body(session: SupervisionSession, method: str) -> str:
    starts = timezone.localtime(session.starts_at)
    ends = timezone.localtime(session.ends_at)
    where = session.location or session.get_mode_display()
    if method == "CANCEL":
        return (
            f"The supervision of {session.supervisee.full_name} with "
            f"{session.supervisor.full_name} on {starts:%-d %B %Y} from {starts:%H:%M} "
            f"to {ends:%H:%M} is cancelled.\n\nThe attached file removes it from your calendar.\n"
        )
    return (
        f"Supervision of {session.supervisee.full_name} with {session.supervisor.full_name}\n"
        f"{starts:%-d %B %Y}, {starts:%H:%M} to {ends:%H:%M}\n{where}\n\n"
        + (
            "This session has changed. The attached file updates it in your calendar.\n"
            if session.ics_sequence
            else "The attached file adds it to your calendar.\n"
        )
    )


def send_session_invitations(session: SupervisionSession, method: str = "REQUEST") -> None:
    """One email to each of the two people, each with the invitation attached, written to the
    outbox in the caller's transaction."""
    _write(
        session,
        _subject(session, method),
        _body(session, method),
        session_invitation(session, method),
        method,
    )


def send_series_invitations(sessions: list[SupervisionSession]) -> None:
    """A series planned at once: one email to each of the two people with every date, and one
    file that adds them all, rather than an email for each session."""
    if len(sessions) == 1:
        send_session_invitations(sessions[0])
        return
    first, last = (timezone.localtime(s.starts_at) for s in (sessions[0], sessions[-1]))
    subject = f"Supervision: {len(sessions)} sessions from {first:%-d %B %Y} to {last:%-d %B %Y}"
    lines = []
    for session in sessions:
        starts = timezone.localtime(session.starts_at)
        ends = timezone.localtime(session.ends_at)
        lines.append(f"- {starts:%A %-d %B %Y}, {starts:%H:%M} to {ends:%H:%M}")
    head = sessions[0]
    body = (
        f"Supervision of {head.supervisee.full_name} with {head.supervisor.full_name}\n"
        f"{head.location or head.get_mode_display()}\n\n" + "\n".join(lines) + "\n\n"
        "The attached file adds them all to your calendar.\n"
    )
    _write(head, subject, body, series_invitation(sessions), "REQUEST")


def _write(session, subject: str, body: str, invitation: bytes, method: str) -> None:
    for person in (session.supervisor, session.supervisee):
        write_email(
            Notification.Kind.SESSION_INVITATION,
            to=person,
            subject=subject,
            body=body,
            attachment=(
                "supervision.ics",
                f"text/calendar; method={method}",
                invitation.decode(),
            ),
        )
