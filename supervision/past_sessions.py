"""Recording a session that was held without being planned first (wave 2 · 2 of 9, point 6):
supervision often happens first and is written up after. It is recorded as held, with why it
was not planned; planned sessions stay the rule (DOMAIN S3), so the reason is kept and shown.
Writes own their transaction and audit entry."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from oversight import audit

from .models import SupervisionSession, SupervisoryRelationship, User
from .planning import (
    LONGEST_SESSION,
    SHORTEST_SESSION,
    describe_clashes,
    long_date,
    session_clashes,
)


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
        began = (
            SupervisoryRelationship.objects.filter(supervisor=supervisor, supervisee=supervisee)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
            .order_by("starts_on")
            .values_list("starts_on", flat=True)
            .first()
        )
        if began is None or began > day:
            errors["starts_at"] = f"Enter a date when you supervised {supervisee.full_name}" + (
                f": from {long_date(began)}" if began else ""
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
