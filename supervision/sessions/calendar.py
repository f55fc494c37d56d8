"""Calendar invitations for supervision sessions (iCalendar, RFC 5545 and iTIP, RFC 5546).

An invitation leaves the organisation's control and lands in shared and delegated calendars,
so it names the two people, the time and the place, and nothing of what will be discussed.
"""

from datetime import UTC

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from supervision.models import SupervisionSession

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


def session_invitation(session: SupervisionSession, method: str = "REQUEST") -> bytes:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
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
    invitation = Calendar()
    invitation.add("prodid", PRODID)
    invitation.add("version", "2.0")
    invitation.add("method", method)
    invitation.add_component(event)
    return invitation.to_ical()


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
    """One email to each of the two people, each with the invitation attached."""
    invitation = session_invitation(session, method)
    messages = []
    for person in (session.supervisor, session.supervisee):
        message = EmailMessage(
            subject=_subject(session, method),
            body=_body(session, method),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[person.email],
        )
        message.attach("supervision.ics", invitation, f"text/calendar; method={method}")
        messages.append(message)
    with get_connection() as connection:
        connection.send_messages(messages)
