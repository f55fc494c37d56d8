"""The date of the next supervision, agreed at the end of a session and written on its record
(as Kent's record templates ask): saving it books that session, so the date agreed in the room is
in both calendars before anyone leaves (rule S3). Writes own their transaction and audit."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from supervision.models import SupervisionRecord, SupervisionSession, User
from supervision.organisation import audit
from supervision.sessions import calendar as session_calendar
from supervision.sessions.planning import long_date, session_clashes

EDITABLE = (SupervisionRecord.Status.DRAFT, SupervisionRecord.Status.AMENDMENT_REQUESTED)


def _invite(session: SupervisionSession) -> None:
    # Written to the outbox with the booking: a mail server that is down delays it only.
    session_calendar.send_session_invitations(session, "REQUEST")


def _check_next_session_can_be_set(record: SupervisionRecord, starts_at: datetime) -> None:
    if record.status not in EDITABLE:
        raise ValidationError(
            "The record has been shared, so the date of the next supervision cannot be changed "
            "here. Book the session from the planning page."
        )
    if not record.template.asks_next_session:
        raise ValidationError("This record's form does not ask for the next supervision.")
    if timezone.is_naive(starts_at):
        raise ValueError("starts_at must be timezone-aware")
    if starts_at <= timezone.now():
        raise ValidationError(
            {"next_session_at": "Enter a date and time in the future for the next supervision"}
        )


def _planned_that_day(held: SupervisionSession, starts_at: datetime) -> SupervisionSession | None:
    """A session already planned that day for the supervisee, of the same type."""
    day = timezone.localtime(starts_at).date()
    return (
        SupervisionSession.objects.filter(
            supervisee=held.supervisee,
            session_type=held.session_type,
            status=SupervisionSession.Status.PLANNED,
            starts_at__date=day,
        )
        .exclude(pk=held.pk)
        .first()
    )


def _refuse_clashes(
    *,
    by: User,
    held: SupervisionSession,
    starts_at: datetime,
    length: timedelta,
    booked: SupervisionSession | None,
) -> None:
    clashes = session_clashes(
        supervisor=by,
        supervisee=held.supervisee,
        starts_at=starts_at,
        ends_at=starts_at + length,
        exclude_ids=[booked.pk] if booked else [],
    )
    if clashes:
        other = timezone.localtime(clashes[0].starts_at)
        raise ValidationError(
            {
                "next_session_at": f"There is already a session on {long_date(other)} at "
                f"{other:%H:%M}: choose another time for the next supervision"
            }
        )


@transaction.atomic
def record_next_session_set(
    *, record: SupervisionRecord, starts_at: datetime, by: User, request=None
) -> SupervisionSession:
    """Write the date of the next supervision on the record and book it: a new planned session
    with the same people, type, length and place, or the one this record booked before, moved.
    A session already planned that day for the supervisee is taken as the one agreed."""
    record = (
        SupervisionRecord.objects.select_for_update()
        .select_related("session", "template")
        .get(pk=record.pk)
    )
    _check_next_session_can_be_set(record, starts_at)
    held = record.session
    length = held.ends_at - held.starts_at
    booked = record.next_session
    moving = booked is not None and booked.status == SupervisionSession.Status.PLANNED
    if not moving:
        booked = _planned_that_day(held, starts_at)
    _refuse_clashes(by=by, held=held, starts_at=starts_at, length=length, booked=booked)
    change = "next session booked"
    if moving:
        booked.starts_at, booked.ends_at = starts_at, starts_at + length
        booked.ics_sequence += 1
        booked.full_clean()
        booked.save(update_fields=["starts_at", "ends_at", "ics_sequence"])
        _invite(booked)
        change = "next session moved"
    elif booked is not None:
        change = "next session already booked"
    else:
        booked = SupervisionSession(
            supervisee=held.supervisee,
            supervisor=by,
            session_type=held.session_type,
            starts_at=starts_at,
            ends_at=starts_at + length,
            mode=held.mode,
            location=held.location,
            created_by=by,
        )
        booked.full_clean()
        booked.save()
        _invite(booked)
    record.next_session_at = starts_at
    record.next_session = booked
    record.save(update_fields=["next_session_at", "next_session", "updated_at"])
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="supervision_record",
        object_id=record.pk,
        subject=held.supervisee,
        detail={"change": change, "session": booked.pk, "starts_at": starts_at.isoformat()},
    )
    return booked
