"""Writes to a child's case beyond allocation and risk: the details, the supervisor's mark for
discussion, the family. Like casework.services, each function owns its transaction and its
audit entry, and refuses what the rules do not allow; casework.access decides who calls them.

No child's case text goes into the audit: only which fields changed.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casework import services
from casework.models import (
    LOOKED_AFTER_PLANS,
    SCALE_FIELDS,
    Child,
    Family,
    RiskRating,
    RiskScale,
    Service,
)
from supervision.models import User
from supervision.organisation import audit

DETAIL_FIELDS = ["plan", "chronic_neglect", "name", "date_of_birth", "has_been_looked_after"]
REASON_LIMIT = 300


def _audit(request, by, child: Child, change: str, **detail):
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="child",
        object_id=child.pk,
        detail={"change": change, **detail},
    )


def _locked(child: Child) -> Child:
    return Child.objects.select_for_update().get(pk=child.pk)


@transaction.atomic
def child_update(
    *,
    child: Child,
    by: User,
    plan: str,
    chronic_neglect: bool,
    name: str = "",
    date_of_birth: date | None = None,
    has_been_looked_after: bool = False,
    request=None,
) -> list[str]:
    """The child's plan and details. The service is not changed here: moving to another service
    is a transfer. Returns the names of the fields that changed (none: nothing written).

    `has_been_looked_after` records a time in care the product did not see (before it was
    used, or in another authority); a looked-after plan records it too. Once recorded it stays,
    whatever is asked: it decides how long the child's notes are kept."""
    child = _locked(child)
    wanted = {
        "plan": plan,
        "chronic_neglect": bool(chronic_neglect),
        "name": (name or "").strip(),
        "date_of_birth": date_of_birth,
        "has_been_looked_after": (
            child.has_been_looked_after or bool(has_been_looked_after) or plan in LOOKED_AFTER_PLANS
        ),
    }
    errors = {}
    if date_of_birth:
        allocated = timezone.localtime(child.allocated_at).date() if child.allocated_at else None
        if date_of_birth > timezone.localdate():
            errors["date_of_birth"] = "Enter a date of birth in the past"
        elif allocated and date_of_birth > allocated:
            errors["date_of_birth"] = "Enter a date of birth on or before the allocation date"
    changed = [key for key, value in wanted.items() if getattr(child, key) != value]
    for key in changed:
        setattr(child, key, wanted[key])
    try:
        child.full_clean()
    except ValidationError as error:
        errors = {**error.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    if not changed:
        return []
    child.save(update_fields=changed)
    _audit(request, by, child, "details changed", fields=changed)
    return changed


@transaction.atomic
def risk_levels_set(
    *,
    child: Child,
    levels: dict[str, str],
    by: User,
    reason: str = "",
    at: datetime | None = None,
    request=None,
) -> list[RiskRating]:
    """A change of the child's levels on one or more scales, with one reason, all or nothing.

    `levels` maps a Child column (rag_rating, serious_harm_level, ...) to the new level; a
    blank or unchanged level writes nothing, and a scale the child's service does not use is
    refused by name.
    """
    errors = {}
    scales = {field: scale for scale, field in SCALE_FIELDS.items()}
    for name, level in levels.items():
        if name not in scales:
            raise TypeError(f"Not a risk level: {name}")
        if level and scales[name] not in child.risk_scales:
            errors[name] = (
                f"{Service(child.service).label} does not use the "
                f"{RiskScale(scales[name]).label.lower()} scale"
            )
    if errors:
        raise ValidationError(errors)
    current = _locked(child)
    if not current.is_open:
        raise ValidationError(f"{current.reference}'s case is closed: its risk is no longer rated")
    changes = {
        name: level for name, level in levels.items() if level and getattr(current, name) != level
    }
    if changes and not reason.strip():
        raise ValidationError({"reason": "Enter why the risk rating has changed"})
    at = at or timezone.now()
    made = []
    for name, level in changes.items():
        rating = services.risk_rating_set(
            child=current,
            scale=scales[name],
            level=level,
            by=by,
            reason=reason,
            at=at,
            request=request,
        )
        if rating is not None:
            made.append(rating)
    return made


@transaction.atomic
def discuss_mark(
    *, child: Child, by: User, reason: str = "", request=None, at: datetime | None = None
) -> Child:
    """The supervisor asks for the child to be discussed at the next case supervision (Surrey's
    supervisors highlight, before each session, the children who must be discussed). Finalising
    that supervision's note clears the mark."""
    reason = (reason or "").strip()
    if len(reason) > REASON_LIMIT:
        raise ValidationError({"reason": f"Enter a reason of {REASON_LIMIT} characters or fewer"})
    child = _locked(child)
    if not child.is_open:
        raise ValidationError({"child": f"{child.reference}'s case is closed"})
    if child.discuss_next_marked_at and child.discuss_next_reason == reason:
        return child
    child.discuss_next_marked_at = at or timezone.now()
    child.discuss_next_marked_by = by
    child.discuss_next_reason = reason
    child.save(
        update_fields=["discuss_next_marked_at", "discuss_next_marked_by", "discuss_next_reason"]
    )
    _audit(request, by, child, "marked for discussion")
    return child


@transaction.atomic
def discuss_unmark(*, child: Child, by: User, request=None) -> Child:
    child = _locked(child)
    if child.discuss_next_marked_at is None:
        return child
    child.discuss_next_marked_at = None
    child.discuss_next_marked_by = None
    child.discuss_next_reason = ""
    child.save(
        update_fields=["discuss_next_marked_at", "discuss_next_marked_by", "discuss_next_reason"]
    )
    _audit(request, by, child, "mark for discussion removed")
    return child


@transaction.atomic
def caseload_marks_set(
    *,
    marks: list[tuple[Child, str]],
    unmarks: list[Child],
    by: User,
    request=None,
) -> None:
    """The supervisor's marks on a caseload, saved together: all or none."""
    for child, reason in marks:
        discuss_mark(child=child, by=by, reason=reason, request=request)
    for child in unmarks:
        discuss_unmark(child=child, by=by, request=request)


def _new_family_reference(child: Child) -> str:
    base = f"F-{child.reference}"[:30]
    reference, n = base, 1
    while Family.objects.filter(reference=reference).exists():
        n += 1
        suffix = f"-{n}"
        reference = base[: 30 - len(suffix)] + suffix
    return reference


@transaction.atomic
def family_link(
    *, child: Child, sibling: Child, by: User, request=None, field: str = "reference"
) -> Family:
    """Link a brother or sister to the child as one family. Where both already belong to
    families, the sibling's whole family joins the child's: a family is never split."""
    if sibling.pk == child.pk:
        raise ValidationError(
            {field: "Enter the reference of a brother or sister, not this child's own"}
        )
    # Lock in a fixed order so two people linking the same pair cannot deadlock.
    locked = {
        c.pk: c
        for c in Child.objects.select_for_update()
        .filter(pk__in=[child.pk, sibling.pk])
        .order_by("pk")
    }
    child, sibling = locked[child.pk], locked[sibling.pk]
    if child.family_id and child.family_id == sibling.family_id:
        raise ValidationError(
            {field: f"{sibling.reference} is already linked to {child.reference} as family"}
        )
    family = child.family or sibling.family
    if family is None:
        family = Family.objects.create(reference=_new_family_reference(child))
    moved = [child.pk, sibling.pk]
    absorbed = None
    if sibling.family_id and sibling.family_id != family.pk:
        absorbed = sibling.family_id
        moved += list(Child.objects.filter(family_id=absorbed).values_list("pk", flat=True))
    Child.objects.filter(pk__in=moved).update(family=family)
    if absorbed is not None:
        Family.objects.filter(pk=absorbed).delete()
    _audit(
        request,
        by,
        child,
        "family linked",
        family=family.reference,
        sibling=sibling.reference,
        merged=absorbed is not None,
    )
    return family
