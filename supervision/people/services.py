"""Writes. Each function owns its transaction and its audit entry."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from agreements.services import agreements_supersede_for_relationship
from supervision.models import AccessGrant, SupervisoryRelationship, User
from supervision.models.organisation import SupervisorAbsence
from supervision.organisation import audit


@transaction.atomic
def relationship_change_line_supervisor(
    *, supervisee: User, new_supervisor: User, on: date, by: User, request=None
) -> SupervisoryRelationship:
    """End the current line relationship the day before `on` and start the new one on `on`.

    One transaction: the supervisee is never without, or with two, line supervisors.
    """
    if new_supervisor == supervisee:
        raise ValidationError({"new_supervisor": "A person cannot supervise themselves."})
    current = (
        SupervisoryRelationship.objects.select_for_update()
        .filter(supervisee=supervisee, kind=SupervisoryRelationship.Kind.LINE, ends_on__isnull=True)
        .first()
    )
    if current is not None:
        if current.supervisor_id == new_supervisor.pk:
            raise ValidationError(
                {"new_supervisor": f"{new_supervisor} already supervises {supervisee}."}
            )
        if on <= current.starts_on:
            raise ValidationError(
                {
                    "on": "Enter a date after the current supervision began "
                    f"({current.starts_on:%-d %B %Y})."
                }
            )
        current.ends_on = on - timedelta(days=1)
        current.full_clean()
        current.save(update_fields=["ends_on"])
        # A2: the agreement does not pass to the new supervisor; they draw up their own. It
        # stays in force until the handover: recorded ahead, the daily job supersedes it then
        # (agreements.services.agreements_supersede_ended).
        if current.ends_on < timezone.localdate():
            agreements_supersede_for_relationship(
                relationship=current, reason="change of supervisor", by=by, request=request
            )
    relationship = SupervisoryRelationship(
        supervisor=new_supervisor,
        supervisee=supervisee,
        kind=SupervisoryRelationship.Kind.LINE,
        starts_on=on,
    )
    relationship.full_clean()
    relationship.save()
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="supervisory_relationship",
        object_id=relationship.pk,
        subject=supervisee,
        detail={
            "change": "line supervisor changed",
            "from": current.supervisor_id if current else None,
            "to": new_supervisor.pk,
            "on": on.isoformat(),
        },
    )
    return relationship


@transaction.atomic
def access_grant_create(
    *,
    grantee: User,
    subject: User,
    starts_on: date,
    ends_on: date,
    reason: str,
    granted_by: User,
    includes_personal_sections: bool = False,
    request=None,
) -> AccessGrant:
    grant = AccessGrant(
        grantee=grantee,
        subject=subject,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        granted_by=granted_by,
        includes_personal_sections=includes_personal_sections,
    )
    grant.full_clean()
    grant.save()
    assign_perm("supervision.read_supervision_file", grantee, subject)
    if includes_personal_sections:
        assign_perm("supervision.read_personal_sections", grantee, subject)
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=granted_by,
        object_type="access_grant",
        object_id=grant.pk,
        subject=subject,
        detail={
            "change": "access granted",
            "grantee": grantee.pk,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "personal_sections": includes_personal_sections,
        },
    )
    return grant


@transaction.atomic
def access_grant_revoke(*, grant: AccessGrant, by: User, request=None) -> AccessGrant:
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    _drop_permissions_without_live_grant(grant.grantee, grant.subject)
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="access_grant",
        object_id=grant.pk,
        subject=grant.subject,
        detail={"change": "access revoked"},
    )
    return grant


def _drop_permissions_without_live_grant(grantee: User, subject: User) -> None:
    today = timezone.localdate()
    live = AccessGrant.objects.filter(
        grantee=grantee, subject=subject, ends_on__gte=today, revoked_at__isnull=True
    )
    if not live.exists():
        remove_perm("supervision.read_supervision_file", grantee, subject)
    if not live.filter(includes_personal_sections=True).exists():
        remove_perm("supervision.read_personal_sections", grantee, subject)


def access_grants_expire() -> int:
    """Remove the object permissions of grants that have ended. The access layer already
    ignores them after their end date; this keeps guardian's table honest."""
    today = timezone.localdate()
    ended = AccessGrant.objects.filter(ends_on__lt=today, revoked_at__isnull=True).select_related(
        "grantee", "subject"
    )
    count = 0
    for grant in ended:
        with transaction.atomic():
            _drop_permissions_without_live_grant(grant.grantee, grant.subject)
        count += 1
    return count


# Supervisor absences (rule S5)


def _absence_errors(supervisor: User, starts_on, ends_on, reason: str, exclude=None) -> dict:
    errors = {}
    if starts_on is None:
        errors["starts_on"] = "Enter the first day away"
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = f"Enter a last day away on or after the first ({starts_on:%-d %B %Y})"
    if len(reason) > SupervisorAbsence._meta.get_field("reason").max_length:
        errors["reason"] = "Give the reason in 100 characters or fewer"
    if starts_on and "ends_on" not in errors:
        # One spell at a time: overlapping spells would each ask for cover for the same days.
        overlapping = SupervisorAbsence.objects.filter(supervisor=supervisor).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
        )
        if ends_on is not None:
            overlapping = overlapping.filter(starts_on__lte=ends_on)
        if exclude is not None:
            overlapping = overlapping.exclude(pk=exclude.pk)
        clash = overlapping.order_by("starts_on").first()
        if clash is not None:
            errors["starts_on"] = (
                f"{supervisor} is already recorded as away from {clash.starts_on:%-d %B %Y}"
                + (f" to {clash.ends_on:%-d %B %Y}" if clash.ends_on else "")
            )
    return errors


@transaction.atomic
def absence_record(
    *,
    supervisor: User,
    starts_on: date,
    ends_on: date | None = None,
    reason: str = "",
    by: User,
    request=None,
) -> SupervisorAbsence:
    """Record that a supervisor is (or will be) away. The rule (S5) then asks for cover for
    each person they line supervise once the absence runs past the pack's limit."""
    reason = (reason or "").strip()
    # Locked: two managers recording the same supervisor's absence at once check in turn.
    User.objects.select_for_update().filter(pk=supervisor.pk).first()
    errors = _absence_errors(supervisor, starts_on, ends_on, reason)
    if errors:
        raise ValidationError(errors)
    absence = SupervisorAbsence(
        supervisor=supervisor,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    absence.full_clean()
    absence.save()
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="supervisor_absence",
        object_id=absence.pk,
        subject=supervisor,
        detail={
            "change": "absence recorded",
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
        },
    )
    return absence


@transaction.atomic
def absence_end(
    *, absence: SupervisorAbsence, ends_on: date, by: User, request=None
) -> SupervisorAbsence:
    """Record the last day of an absence (the supervisor is back the day after)."""
    absence = SupervisorAbsence.objects.select_for_update().get(pk=absence.pk)
    if ends_on is None:
        raise ValidationError({"ends_on": "Enter the last day away"})
    errors = _absence_errors(
        absence.supervisor, absence.starts_on, ends_on, absence.reason, exclude=absence
    )
    if errors:
        raise ValidationError(errors)
    absence.ends_on = ends_on
    absence.full_clean()
    absence.save(update_fields=["ends_on"])
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="supervisor_absence",
        object_id=absence.pk,
        subject=absence.supervisor,
        detail={"change": "absence ended", "ends_on": ends_on.isoformat()},
    )
    return absence
