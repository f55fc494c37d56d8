"""Writes. Each function owns its transaction and its audit entry."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from oversight import audit

from .models import AccessGrant, SupervisoryRelationship, User


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
        from agreements.services import agreements_supersede_for_relationship

        # A2: the agreement does not pass to the new supervisor; they draw up their own.
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
