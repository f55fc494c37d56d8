"""Writes to children's cases and the management oversight on them.

Each function owns its transaction and its audit entry and refuses what the rules do not
allow, so a view cannot get it wrong. Who may call them is decided by casework.access.
"""

import re
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from casework.models import (
    LEVELS_BY_SCALE,
    SCALE_FIELDS,
    SCALES_BY_SERVICE,
    Allocation,
    CaseNote,
    CaseNoteAction,
    Child,
    RiskLevel,
    RiskRating,
    RiskScale,
    Service,
)
from oversight.policy.due import needs_neglect_review
from supervision.accounts.identity import confirmed_first
from supervision.models import Unit, User
from supervision.organisation import audit
from supervision.records.canonical import content_hash

REFERENCE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9/-]{2,29}$")
INITIALS_PATTERN = re.compile(r"^[A-Z]{1,4}$")

NOTE_TEXT_FIELDS = [
    "current_situation",
    "working_well",
    "worries",
    "decision",
    "reasons",
    "predisposing",
    "precipitating",
    "perpetuating",
    "protective",
    "neglect_comment",
]
NEGLECT_FIELDS = ["neglect_home_conditions", "neglect_chronology", "neglect_written_agreements"]
NOTE_FIELDS = [*NOTE_TEXT_FIELDS, *NEGLECT_FIELDS, "next_review_on"]
FOUR_PS = ["predisposing", "precipitating", "perpetuating", "protective"]


class NoteConflict(Exception):
    """Someone else saved the note since this person loaded it."""

    def __init__(self, note: CaseNote):
        super().__init__("The note was changed by someone else.")
        self.note = note


def _audit(request, by, object_type: str, obj, change: str, **detail):
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type=object_type,
        object_id=obj.pk,
        detail={"change": change, **detail},
    )


def normalise_reference(text: str) -> str:
    return (text or "").strip().upper()


def reference_errors(text: str, field: str = "reference") -> dict[str, str]:
    """A reference is a code, never a name: "Jo Smith" is refused with a message saying why."""
    cleaned = normalise_reference(text)
    if not cleaned:
        return {field: "Enter the child's unique reference"}
    if " " in cleaned or not any(ch.isdigit() for ch in cleaned):
        return {
            field: "Enter the child's unique reference, such as NS104231, not their name",
        }
    if not REFERENCE_PATTERN.match(cleaned):
        return {
            field: "A reference has 3 to 30 letters, numbers, hyphens or slashes, such as NS104231"
        }
    return {}


def child_by_reference(text: str, queryset=None, field: str = "reference") -> Child:
    """The child with this reference (within `queryset` if given), or a ValidationError that
    names the field: an unknown reference is refused, never guessed."""
    errors = reference_errors(text, field)
    if errors:
        raise ValidationError(errors)
    reference = normalise_reference(text)
    child = (
        (queryset if queryset is not None else Child.objects.all())
        .filter(reference=reference)
        .first()
    )
    if child is None:
        raise ValidationError({field: f"There is no child with the reference {reference}"})
    return child


# --- Children -------------------------------------------------------------------------------


def _risk_errors(service: str, levels: dict[str, str]) -> dict[str, str]:
    errors = {}
    for scale, field in SCALE_FIELDS.items():
        level = levels.get(field, "")
        if not level:
            continue
        if scale not in SCALES_BY_SERVICE.get(service, []):
            errors[field] = (
                f"{_service_label(service)} does not use the {RiskScale(scale).label.lower()} scale"
            )
        elif level not in LEVELS_BY_SCALE[scale]:
            labels = [RiskLevel(v).label.lower() for v in LEVELS_BY_SCALE[scale]]
            errors[field] = "Choose " + ", ".join(labels[:-1]) + " or " + labels[-1]
    return errors


def _service_label(service: str) -> str:
    try:
        return Service(service).label
    except ValueError:
        return "This service"


def _new_child_errors(
    reference: str, initials: str, service: str, levels: dict, date_of_birth, allocated_at
) -> tuple[str, str, dict]:
    """The reference and initials as they are kept, and what is wrong with a new child's
    details, by field."""
    errors = reference_errors(reference)
    initials = (initials or "").strip().upper().replace(".", "").replace(" ", "")
    if not INITIALS_PATTERN.match(initials):
        errors["initials"] = "Enter the child's initials, 1 to 4 letters, such as JS"
    reference = normalise_reference(reference)
    if not errors and Child.objects.filter(reference=reference).exists():
        errors["reference"] = f"A child with the reference {reference} is already recorded"
    errors.update(_risk_errors(service, levels))
    if date_of_birth and date_of_birth > timezone.localtime(allocated_at).date():
        errors["date_of_birth"] = "Enter a date of birth on or before the allocation date"
    return reference, initials, errors


@transaction.atomic
def child_create(
    *,
    reference: str,
    initials: str,
    service: str,
    plan: str,
    unit: Unit,
    worker: User,
    allocated_at: datetime,
    by: User,
    name: str = "",
    date_of_birth: date | None = None,
    rag_rating: str = "",
    serious_harm_level: str = "",
    safety_wellbeing_level: str = "",
    chronic_neglect: bool = False,
    request=None,
) -> Child:
    """A child newly allocated to a worker: the case, its first allocation and risk levels."""
    levels = {
        "rag_rating": rag_rating,
        "serious_harm_level": serious_harm_level,
        "safety_wellbeing_level": safety_wellbeing_level,
    }
    reference, initials, errors = _new_child_errors(
        reference, initials, service, levels, date_of_birth, allocated_at
    )
    if errors:
        raise ValidationError(errors)
    child = Child(
        reference=reference,
        initials=initials,
        name=name.strip(),
        date_of_birth=date_of_birth,
        service=service,
        service_since=timezone.localtime(allocated_at).date(),
        chronic_neglect=chronic_neglect,
        unit=unit,
        allocated_worker=worker,
        allocated_at=allocated_at,
        **levels,
    )
    child.plan_set(plan)
    child.full_clean()
    try:
        with transaction.atomic():
            child.save()
    except IntegrityError:
        raise ValidationError(
            {"reference": f"A child with the reference {reference} is already recorded"}
        ) from None
    Allocation.objects.create(
        child=child,
        worker=worker,
        unit=unit,
        service=service,
        starts_at=allocated_at,
        allocated_by=by,
    )
    RiskRating.objects.bulk_create(
        RiskRating(
            child=child,
            scale=scale,
            level=levels[field],
            reason="Rated at allocation",
            set_by=by,
            set_at=allocated_at,
        )
        for scale, field in SCALE_FIELDS.items()
        if levels[field]
    )
    _audit(request, by, "child", child, "allocated", worker=worker.pk)
    return child


@transaction.atomic
def risk_rating_set(
    *,
    child: Child,
    scale: str,
    level: str,
    by: User,
    reason: str = "",
    at: datetime | None = None,
    request=None,
) -> RiskRating | None:
    """A new risk level on one scale, kept with its history. No change, no row."""
    if scale not in SCALE_FIELDS:
        raise ValidationError({"scale": "Choose a risk scale"})
    field = SCALE_FIELDS[scale]
    if not level:
        raise ValidationError({field: f"Choose the {RiskScale(scale).label.lower()}"})
    errors = _risk_errors(child.service, {field: level})
    if errors:
        raise ValidationError(errors)
    child = Child.objects.select_for_update().get(pk=child.pk)
    previous = getattr(child, field)
    if previous == level:
        return None
    at = at or timezone.now()
    rating = RiskRating.objects.create(
        child=child,
        scale=scale,
        level=level,
        previous_level=previous,
        reason=reason.strip(),
        set_by=by,
        set_at=at,
    )
    Child.objects.filter(pk=child.pk).update(**{field: level})
    _audit(request, by, "child", child, "risk rated", scale=scale, level=level)
    return rating


# --- Case notes -----------------------------------------------------------------------------


def note_errors(note: CaseNote) -> dict[str, str]:
    """What a note still lacks before it can be final, field by field."""
    errors = {}
    if not note.decision.strip():
        errors["decision"] = "Enter the decision and direction, written to the child"
    if not note.reasons.strip():
        errors["reasons"] = "Enter the reasons for the decision, written to the child"
    if note.kind in CaseNote.FORMAL_SUPERVISION or note.kind == CaseNote.Kind.AD_HOC:
        if not note.current_situation.strip():
            errors["current_situation"] = "Enter the current situation"
        if not note.worries.strip():
            errors["worries"] = "Enter the worries and risks, and what they mean for the child"
    if note.kind in CaseNote.FORMAL_SUPERVISION and not note.next_review_on:
        errors["next_review_on"] = "Enter the date of the next review"
    if note.next_review_on and note.next_review_on < timezone.localtime(note.discussed_at).date():
        errors["next_review_on"] = "Enter a next review date on or after the discussion"
    group = note.group_session
    if group is not None and group.format == group.Format.CASE_FORMULATION:
        for field in FOUR_PS:
            if not getattr(note, field).strip():
                label = CaseNote._meta.get_field(field).verbose_name
                errors[field] = f"Enter the {label}"
    if note_needs_neglect_review(note):
        for field in NEGLECT_FIELDS:
            if not getattr(note, field):
                label = CaseNote._meta.get_field(field).verbose_name
                errors[field] = f"Say whether {label} has been considered"
    return errors


def note_needs_neglect_review(note: CaseNote) -> bool:
    """C8: a child on a child protection plan for chronic neglect."""

    return needs_neglect_review(note.child.plan, note.child.chronic_neglect)


def _clean_fields(fields: dict) -> dict:
    unknown = set(fields) - set(NOTE_FIELDS)
    if unknown:
        raise TypeError(f"Not a case note field: {', '.join(sorted(unknown))}")
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}


@transaction.atomic
def case_note_create(
    *,
    child: Child,
    kind: str,
    by: User,
    discussed_at: datetime,
    session=None,
    group_session=None,
    request=None,
    **fields,
) -> CaseNote:
    """A draft note on the child's record, from a session, a group session or ad hoc."""
    if kind not in CaseNote.Kind.values:
        raise ValidationError({"kind": "Choose the point of oversight this note records"})
    if discussed_at > timezone.now():
        raise ValidationError({"discussed_at": "Enter a date and time in the past"})
    if session is not None and session.supervisee_id != child.allocated_worker_id:
        raise ValidationError(
            {"session": "The session must be with the worker the child is allocated to"}
        )
    note = CaseNote(
        child=child,
        kind=kind,
        session=session,
        group_session=group_session,
        author=by,
        worker_id=child.allocated_worker_id,
        unit_id=child.unit_id,
        service=child.service,
        discussed_at=discussed_at,
        **_clean_fields(fields),
    )
    try:
        with transaction.atomic():
            note.save()
    except IntegrityError:
        raise ValidationError(
            {"child": f"{child.reference} already has a note from this group session"}
        ) from None
    # C3: the first discussion after allocation, whatever its kind, is what the 24 hours ask.
    Allocation.objects.filter(
        child=child,
        ends_at__isnull=True,
        first_discussed_at__isnull=True,
        starts_at__lte=discussed_at,
    ).update(first_discussed_at=discussed_at)
    _audit(request, by, "case_note", note, "drafted", child=child.reference, kind=kind)
    return note


def _locked_note(note: CaseNote) -> CaseNote:
    # `of=self`: PostgreSQL will not lock the nullable side of the group session's outer join.
    return (
        CaseNote.objects.select_for_update(of=("self",))
        .select_related("child", "group_session")
        .get(pk=note.pk)
    )


def _require_draft(note: CaseNote) -> None:
    if note.is_final:
        raise ValidationError("This note is final and cannot be changed.")


@transaction.atomic
def case_note_update(*, note: CaseNote, version: int, by: User, request=None, **fields) -> CaseNote:
    note = _locked_note(note)
    _require_draft(note)
    if note.version != version:
        raise NoteConflict(note)
    changed = False
    for name, value in _clean_fields(fields).items():
        changed = changed or getattr(note, name) != value
        setattr(note, name, value)
    if note.next_review_on and note.next_review_on < timezone.localtime(note.discussed_at).date():
        raise ValidationError(
            {"next_review_on": "Enter a next review date on or after the discussion"}
        )
    if not changed:
        # Autosave and the page's other buttons save first: a save with nothing new in it
        # neither moves the version on (which would look like someone else's edit) nor audits.
        return note
    note.version += 1
    note.save()
    _audit(request, by, "case_note", note, "saved", version=note.version)
    return note


@transaction.atomic
def case_note_action_add(
    *,
    note: CaseNote,
    description: str,
    due_on: date | None,
    by: User,
    owner: User | None = None,
    owner_name: str = "",
    request=None,
) -> CaseNoteAction:
    note = _locked_note(note)
    _require_draft(note)
    errors = {}
    if not description.strip():
        errors["description"] = "Enter what will be done"
    if owner is None and not owner_name.strip():
        errors["owner"] = "Choose who will do it, or enter their name"
    if due_on is None:
        errors["due_on"] = "Enter the date it will be done by"
    elif due_on < timezone.localtime(note.discussed_at).date():
        errors["due_on"] = "Enter a date on or after the discussion"
    if errors:
        raise ValidationError(errors)
    action = CaseNoteAction.objects.create(
        note=note,
        description=description.strip(),
        owner=owner,
        owner_name=owner_name.strip(),
        due_on=due_on,
    )
    CaseNote.objects.filter(pk=note.pk).update(version=note.version + 1)
    _audit(request, by, "case_note", note, "action added", action=action.pk)
    return action


@transaction.atomic
def case_note_action_remove(*, action: CaseNoteAction, by: User, request=None) -> None:
    note = _locked_note(action.note)
    _require_draft(note)
    action.delete()
    CaseNote.objects.filter(pk=note.pk).update(version=note.version + 1)
    _audit(request, by, "case_note", note, "action removed")


@transaction.atomic
def case_action_status_set(
    *, action: CaseNoteAction, status: str, by: User, request=None
) -> CaseNoteAction:
    """An action's progress is tracked after the note is final; its wording never changes."""
    if status not in CaseNoteAction.Status.values:
        raise ValidationError({"status": "Choose whether the action is open, done or dropped"})
    if not action.note.is_final:
        # A draft's actions are still being agreed: they are edited or removed, not progressed.
        raise ValidationError("Track an action once its note is final.")
    CaseNoteAction.objects.filter(pk=action.pk).update(status=status)
    action.status = status
    _audit(request, by, "case_note", action.note, "action status", status=status)
    return action


def note_content(note: CaseNote) -> dict:
    """What the manager's signature covers."""
    return {
        "note": note.pk,
        "child": note.child.reference,
        "kind": note.kind,
        "author": note.author_id,
        "worker": note.worker_id,
        "service": note.service,
        "discussed_at": note.discussed_at.isoformat(),
        "session": note.session_id,
        "group_session": note.group_session_id,
        "fields": {name: getattr(note, name) for name in NOTE_TEXT_FIELDS + NEGLECT_FIELDS},
        "next_review_on": note.next_review_on.isoformat() if note.next_review_on else None,
        "actions": [
            {
                "description": a.description,
                "owner": a.owner_id,
                "owner_name": a.owner_name,
                "due_on": a.due_on.isoformat(),
            }
            for a in note.actions.order_by("pk")
        ],
    }


@confirmed_first
@transaction.atomic
def case_note_finalise(*, note: CaseNote, identity_method: str, by: User, request=None) -> CaseNote:
    """The manager signs the note and it is locked for good."""
    note = _locked_note(note)
    _require_draft(note)
    errors = note_errors(note)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    note.content_hash = content_hash(note_content(note))
    note.status = CaseNote.Status.FINAL
    note.finalised_at = now
    note.finalised_by = by
    note.version += 1
    note.save()
    child = Child.objects.select_for_update().get(pk=note.child_id)
    changes = {}
    if note.is_formal_supervision and (
        child.last_discussed_at is None or note.discussed_at > child.last_discussed_at
    ):
        changes["last_discussed_at"] = note.discussed_at
        if note.next_review_on:
            changes["next_review_on"] = note.next_review_on
        # The mark asked for a discussion; this is it.
        if child.discuss_next_marked_at and child.discuss_next_marked_at <= now:
            changes.update(
                discuss_next_marked_at=None, discuss_next_marked_by=None, discuss_next_reason=""
            )
    elif note.next_review_on and not note.is_formal_supervision:
        changes["next_review_on"] = note.next_review_on
    if changes:
        Child.objects.filter(pk=child.pk).update(**changes)
    _audit(request, by, "case_note", note, "finalised", hash=note.content_hash)
    return note
