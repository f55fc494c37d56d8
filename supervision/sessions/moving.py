"""Moving a planned session to another time: the same session at a
new time, never a cancellation; it is not counted as one (rule S4 counts cancellations) and
asks for no rebooking. Both people get the calendar update. Writes own their transaction and
audit entry."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from supervision.models import SupervisionSession, User
from supervision.organisation import audit
from supervision.sessions import calendar as session_calendar
from supervision.sessions.planning import FURTHEST_MONTHS_AHEAD, add_months, long_date


@transaction.atomic
def session_move(
    *, session: SupervisionSession, new_start: datetime, by: User, request=None
) -> SupervisionSession:
    session = SupervisionSession.objects.select_for_update().get(pk=session.pk)
    if timezone.is_naive(new_start):
        raise ValueError("new_start must be timezone-aware")
    if session.status != SupervisionSession.Status.PLANNED:
        raise ValidationError(
            f"Only a planned session can be moved; this one is "
            f"{session.get_status_display().lower()}."
        )
    today = timezone.localdate()
    if timezone.localtime(session.starts_at).date() < today:
        # A session whose day has gone was missed, not moved: moving it would hide that it did
        # not happen (rule S4 counts cancellations and sessions that did not take place).
        raise ValidationError(
            f"The session of {long_date(session.starts_at)} has passed, so it cannot be moved. "
            "Record what happened, or cancel it and book another"
        )
    furthest = add_months(today, FURTHEST_MONTHS_AHEAD)
    if new_start <= timezone.now():
        raise ValidationError({"new_start": "Enter a new date and time in the future"})
    if timezone.localtime(new_start).date() > furthest:
        latest = long_date(furthest)
        raise ValidationError(
            {"new_start": f"Enter a date no more than 12 months ahead, {latest} at the latest"}
        )
    if new_start == session.starts_at:
        raise ValidationError({"new_start": "Enter a time different from the one booked"})
    was = session.starts_at
    length = session.ends_at - session.starts_at
    session.starts_at, session.ends_at = new_start, new_start + length
    # A changed SEQUENCE is what makes calendars move the entry rather than add another.
    session.ics_sequence += 1
    session.full_clean()
    session.save(update_fields=["starts_at", "ends_at", "ics_sequence"])
    session_calendar.send_session_invitations(session, "REQUEST")
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="supervision_session",
        object_id=session.pk,
        subject=session.supervisee,
        detail={"change": "session moved", "from": was.isoformat(), "to": new_start.isoformat()},
    )
    return session
