"""Writing and verifying the audit trail. Every read of a file or record, every write, every
sign-in and every denied access goes through `record`."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from supervision.models.audit import AuditAction, AuditChainHead, AuditEvent

__all__ = ["AuditAction", "record", "client_address"]


def client_address(request) -> str | None:
    """The client's address. Behind `TRUSTED_PROXY_COUNT` proxies that each append the address
    they saw to X-Forwarded-For, that is the entry the first of them appended; anything
    before it the client may have written itself. With none, the TCP peer."""

    if request is None:
        return None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        forwarded = [entry.strip() for entry in forwarded if entry.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    request=None,
    actor=None,
    object_type: str = "",
    object_id="",
    subject=None,
    detail: dict | None = None,
) -> AuditEvent:
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if action == AuditAction.DENIED and request is not None:
        request._refusal_audited = True
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            sequence=head.sequence + 1,
            occurred_at=timezone.now(),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id) if object_id != "" else "",
            subject=subject,
            path=(request.get_full_path()[:500] if request is not None else ""),
            ip_address=client_address(request),
            detail=detail or {},
            previous_hash=head.last_hash,
        )
        event.content_hash = event.compute_hash()
        event.save()
        AuditChainHead.objects.filter(pk=1).update(
            sequence=event.sequence, last_hash=event.content_hash
        )
    return event
