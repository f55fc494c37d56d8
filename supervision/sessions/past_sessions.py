"""Recording a session that was held without being planned first:
supervision often happens first and is written up after. It is recorded as held, with why it
was not planned; planned sessions stay the norm (rule S3), so the reason is kept and shown.
Writes own their transaction and audit entry."""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from supervision.models import SupervisionSession, SupervisoryRelationship, User
from supervision.organisation import audit
from supervision.sessions.planning import (
    LONGEST_SESSION,
    SHORTEST_SESSION,
    describe_clashes,
    long_date,
    session_clashes,
)


def supervising_since(supervisor: User, supervisee: User, today: date | None = None) -> date | None:
    """The day the supervisor's current supervision of the person began, or None if they do not
    supervise them today. Relationships that follow on from one another without a day's gap (a
    practice educator who becomes the line supervisor) are one spell; an earlier spell, before a
    gap, is not the current one."""
    today = today or timezone.localdate()
    spells = SupervisoryRelationship.objects.filter(
        supervisor=supervisor, supervisee=supervisee, starts_on__lte=today
    ).values_list("starts_on", "ends_on")
    spells = sorted(spells, key=lambda spell: spell[0], reverse=True)
    current = [starts for starts, ends in spells if ends is None or ends >= today]
    if not current:
        return None
    began = min(current)
    for starts, ends in spells:  # latest first: walk back while each joins on
        if starts < began and (ends is None or ends >= began - timedelta(days=1)):
            began = starts
    return began


@transaction.atomic
def session_record_past(
    *,
    supervisee: User,
    supervisor: User,
    session_type: str,
    starts_at: datetime,
    duration: timedelta,
    reason: str,
    mode: str = SupervisionSession.Mode.IN_PERSON,
    location: str = "",
    by: User,
    request=None,
) -> SupervisionSession:
    if timezone.is_naive(starts_at):
        raise ValueError("starts_at must be timezone-aware")
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Enter why the session was not planned"
    if starts_at > timezone.now():
        errors["starts_at"] = (
            "Enter a date and time that has passed. To book a session to come, plan it instead"
        )
    else:
        day = timezone.localtime(starts_at).date()
        began = supervising_since(supervisor, supervisee)
        if began is None or began > day:
            errors["starts_at"] = (
                f"Enter a date since you started supervising {supervisee.full_name}, "
                f"from {long_date(began)}"
                if began
                else f"You do not supervise {supervisee.full_name} now"
            )
    if not SHORTEST_SESSION <= duration <= LONGEST_SESSION:
        errors["duration"] = "Enter a length from 15 minutes to 4 hours"
    if not errors:
        clashes = session_clashes(
            supervisor=supervisor,
            supervisee=supervisee,
            starts_at=starts_at,
            ends_at=starts_at + duration,
        )
        if clashes:
            errors["starts_at"] = (
                f"{describe_clashes(clashes, supervisor=supervisor, supervisee=supervisee)[0]}: "
                "if that is this session, write its record from there"
            )
    if errors:
        raise ValidationError(errors)
    session = SupervisionSession(
        supervisee=supervisee,
        supervisor=supervisor,
        session_type=session_type,
        starts_at=starts_at,
        ends_at=starts_at + duration,
        mode=mode,
        location=location,
        status=SupervisionSession.Status.HELD,
        unplanned_reason=reason,
        created_by=by,
    )
    session.full_clean()
    session.save()
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="supervision_session",
        object_id=session.pk,
        subject=supervisee,
        detail={"change": "held session recorded afterwards", "starts_at": starts_at.isoformat()},
    )
    return session
