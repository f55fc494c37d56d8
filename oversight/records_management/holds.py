"""Placing and lifting holds (oversight.models.Hold): a person's file (LegalHold) or a child's
case notes (CaseNoteHold). Both keep one active hold at a time, so "is this held?" stays a
plain yes or no, and both are audited the same way."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from oversight.models import Hold
from supervision.organisation import audit


def place(
    model: type[Hold],
    *,
    on: dict,
    reason: str,
    by,
    request=None,
    reason_missing: str,
    already_held: tuple[str, str],
    object_type: str,
    subject=None,
    detail: dict | None = None,
) -> Hold:
    """A new hold of `model` on `on` (its subject's field), refused with `already_held`
    (field, message) while one is active, and with `reason_missing` without a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": reason_missing})
    field, message = already_held
    with transaction.atomic():
        if model.objects.select_for_update().filter(**on, lifted_at__isnull=True):
            raise ValidationError({field: message})
        try:
            # A unique constraint (where the model has one) settles a race the lock above
            # cannot: two holds placed at once when none existed.
            with transaction.atomic():
                hold = model.objects.create(
                    **on, reason=reason, placed_by=by, placed_at=timezone.now()
                )
        except IntegrityError:
            raise ValidationError({field: message}) from None
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type=object_type,
            object_id=hold.pk,
            subject=subject,
            detail={"event": "placed", **(detail or {}), "reason": reason},
        )
    return hold


def lift(
    hold: Hold,
    *,
    reason: str,
    by,
    request=None,
    object_type: str,
    subject=None,
    detail: dict | None = None,
) -> Hold:
    """Lift an active hold, with why; refused if it has been lifted already."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"lift_reason": "Enter why the hold is no longer needed"})
    model = type(hold)
    with transaction.atomic():
        updated = model.objects.filter(pk=hold.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=by, lift_reason=reason
        )
        if not updated:
            raise ValidationError({"lift_reason": "This hold has already been lifted"})
        hold.refresh_from_db()
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type=object_type,
            object_id=hold.pk,
            subject=subject,
            detail={"event": "lifted", **(detail or {}), "reason": reason},
        )
    return hold
