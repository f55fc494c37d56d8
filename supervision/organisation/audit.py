"""Writing and verifying the audit trail. Every read of a file or record, every write, every
sign-in and every denied access goes through `record`."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from supervision.models.audit import GENESIS_HASH, AuditAction, AuditChainHead, AuditEvent

__all__ = ["AuditAction", "record", "verify_chain", "client_address"]


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


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(batch_size: int = 2000) -> ChainReport:
    """Walk the whole log in order and name the first entry that does not hold."""
    expected_sequence = 1
    previous_hash = GENESIS_HASH
    checked = 0
    last_seen = 0
    while True:
        batch = list(
            AuditEvent.objects.filter(sequence__gt=last_seen).order_by("sequence")[:batch_size]
        )
        if not batch:
            break
        for event in batch:
            if event.sequence != expected_sequence:
                return ChainReport(
                    checked, expected_sequence, f"entry {expected_sequence} is missing"
                )
            if event.previous_hash != previous_hash:
                return ChainReport(
                    checked,
                    event.sequence,
                    "its previous-entry hash does not match the entry before it",
                )
            if event.compute_hash() != event.content_hash:
                return ChainReport(
                    checked, event.sequence, "its content no longer matches its hash"
                )
            previous_hash = event.content_hash
            expected_sequence += 1
            checked += 1
        last_seen = batch[-1].sequence
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and head.sequence != checked:
        return ChainReport(
            checked, checked + 1, f"the chain head says {head.sequence} entries, found {checked}"
        )
    return ChainReport(checked)
