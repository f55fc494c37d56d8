"""Keeping a child's case notes as long as the policy pack says, then destroying them.

The notes are the child's record (R11), not any worker's file, so they are kept by the child's
own date: the pack's `case_note_retention` from the date of birth (oversight.policy.standards.
case_notes_kept_until), the longer period for a child who has ever been looked after. The steps
are a leaver's file's (retention.py): the daily job only lists the children whose notes are
due; an administrator confirms each destruction by typing the child's unique reference, the
name by which every page of the product knows a child (R11); a legal hold stops both; a
tombstone and the audit log say what went.

A child's notes are destroyed whole, on one day: a review note answers an earlier note's
actions, and notes destroyed a few at a time would leave a chronology with holes nobody chose.

What goes: every case note about the child, its actions and attachments (with their stored
files, once the deletion has committed), and the words written about the child elsewhere in
this product: the reasons given for risk ratings and transfers, the notes on moves across the
progression board, front-door discussions of the child, and the closure and "discuss next"
reasons on the child's row. What stays: the child's row (reference, initials, plan, dates: the
case system's record of the child, which the tombstone and the audit log point at) and the
bare facts of allocations, ratings, transfers and moves, which are also the evidence of the
staff's supervision and of the case-management standards (C1-C7) for periods already reported.
"""

from datetime import date

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from casework.models import (
    CaseNote,
    CaseNoteAction,
    CaseNoteAttachment,
    Child,
    FrontDoorDiscussion,
    ProgressionMove,
    RiskRating,
    Transfer,
)
from oversight.models import CaseNoteHold, CaseNotesDue, DestroyedCaseNotes
from oversight.policy import standards
from oversight.policy.choice import pack_on
from oversight.policy.packs import PolicyPack
from oversight.records_management import holds
from oversight.records_management.retention import _allow_destroying_frozen_rows, _remove_files
from supervision.organisation import audit

# --- When a child's notes are due -----------------------------------------------------------


def notes_due_on(pack: PolicyPack, date_of_birth: date | None, been_looked_after: bool):
    """The day a child's notes fall due: the last day the pack keeps them. None without a date
    of birth or when the pack sets no period."""
    kept = standards.case_notes_kept_until(pack, date_of_birth, been_looked_after)
    return kept.day if kept else None


def active_hold(child) -> CaseNoteHold | None:
    return CaseNoteHold.objects.filter(child=child, lifted_at__isnull=True).first()


def note_counts(child_ids) -> dict[int, int]:
    """How many case notes each child has: what an administrator sees instead of the notes."""
    counts = dict.fromkeys(child_ids, 0)
    counts.update(
        CaseNote.objects.filter(child_id__in=child_ids)
        .values("child_id")
        .annotate(notes=Count("pk"))
        .order_by()
        .values_list("child_id", "notes")
    )
    return counts


# --- The daily listing ----------------------------------------------------------------------


def list_case_notes_due(*, today: date | None = None) -> dict[str, int]:
    """List every child whose notes are due, once; withdraw listings no longer due.

    Idempotent: a child with an open listing is not listed again, and the partial unique
    constraint settles a race between two workers. A child with no date of birth, no notes or
    an open case, or under a pack without the rule, is never listed.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    pack = pack_on(today)

    withdrawn = 0
    for listing in CaseNotesDue.objects.filter(
        destroyed_at__isnull=True, withdrawn_at__isnull=True
    ).select_related("child"):
        reason = _no_longer_due(listing, pack, today)
        if reason:
            withdrawn += CaseNotesDue.objects.filter(
                pk=listing.pk, withdrawn_at__isnull=True
            ).update(withdrawn_at=now, withdrawn_reason=reason)

    listed = skipped = 0
    rule = pack.case_note_retention
    if rule is not None:
        # Only children old enough for the shorter period can be due; the rule decides.
        youngest = min(rule.until_age, rule.in_care_years)
        children = (
            Child.objects.filter(
                date_of_birth__isnull=False,
                date_of_birth__lte=date(today.year - youngest, 12, 31),
                closed_on__isnull=False,
                pk__in=CaseNote.objects.values("child"),
            )
            .exclude(pk__in=CaseNotesDue.objects.filter(withdrawn_at__isnull=True).values("child"))
            .order_by("pk")
        )
        on_hold = set(
            CaseNoteHold.objects.filter(lifted_at__isnull=True).values_list("child_id", flat=True)
        )
        for child in children:
            due_on = notes_due_on(pack, child.date_of_birth, child.has_been_looked_after)
            if due_on is None or due_on > today:
                continue
            if child.pk in on_hold:
                skipped += 1
                continue
            try:
                with transaction.atomic():
                    CaseNotesDue.objects.create(
                        child=child,
                        date_of_birth=child.date_of_birth,
                        been_looked_after=child.has_been_looked_after,
                        due_on=due_on,
                        listed_for=today,
                        listed_at=now,
                    )
            except IntegrityError:
                continue  # another run listed the child a moment ago
            listed += 1

    result = {"newly_listed": listed, "withdrawn": withdrawn, "skipped_on_legal_hold": skipped}
    audit.record(
        audit.AuditAction.WRITE,
        object_type="case_note_destruction_listing",
        detail={
            "listed_for": today.isoformat(),
            "pack": pack.code,
            "pack_version": pack.version,
            **result,
        },
    )
    return result


def _no_longer_due(listing: CaseNotesDue, pack: PolicyPack, today: date) -> str:
    child = listing.child
    if child.date_of_birth is None:
        return "The child's date of birth is no longer recorded."
    if child.date_of_birth != listing.date_of_birth:
        return "The child's date of birth has changed since the notes were listed."
    if child.has_been_looked_after and not listing.been_looked_after:
        return "The child is now recorded as having been looked after: a longer period applies."
    if child.closed_on is None:
        return "The child's case is open."
    if pack.case_note_retention is None:
        return "The policy pack no longer sets how long case notes are kept."
    due_on = notes_due_on(pack, child.date_of_birth, child.has_been_looked_after)
    if due_on > today:
        return "A longer retention period now applies."
    if not CaseNote.objects.filter(child=child).exists():
        return "The child has no case notes to destroy."
    return ""


# --- Holds ----------------------------------------------------------------------------------


def case_note_hold_place(*, child: Child, reason: str, by, request=None) -> CaseNoteHold:
    return holds.place(
        CaseNoteHold,
        on={"child": child},
        reason=reason,
        by=by,
        request=request,
        reason_missing="Enter why the case notes must be kept",
        already_held=("reference", f"{child.reference}'s case notes are already on hold"),
        object_type="case_note_hold",
        detail={"child": child.reference},
    )


def case_note_hold_lift(*, hold: CaseNoteHold, reason: str, by, request=None) -> CaseNoteHold:
    return holds.lift(
        hold,
        reason=reason,
        by=by,
        request=request,
        object_type="case_note_hold",
        detail={"child": hold.child.reference},
    )


# --- Destruction ----------------------------------------------------------------------------


def case_notes_destroy(
    *, listing: CaseNotesDue, typed_reference: str, by, request=None
) -> DestroyedCaseNotes:
    """Destroy a listed child's case notes, in one transaction, and keep a tombstone.

    Refuses (ValidationError naming the field) unless the typed reference matches, the
    listing is still pending, no legal hold is active and the notes are still due today.
    """
    today = timezone.localdate()
    with transaction.atomic():
        listing = (
            CaseNotesDue.objects.select_for_update(of=("self",))
            .select_related("child")
            .get(pk=listing.pk)
        )
        child = listing.child
        # References are kept upper case on one line (casework 0006); spaces typed are not
        # part of one.
        typed = "".join((typed_reference or "").split()).casefold()
        if typed != child.reference.casefold():
            raise ValidationError(
                {"confirm_reference": f"Type {child.reference} exactly to confirm the destruction"}
            )
        if listing.destroyed_at is not None:
            raise ValidationError(
                {NON_FIELD_ERRORS: f"{child.reference}'s case notes have already been destroyed"}
            )
        if listing.withdrawn_at is not None:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: f"{child.reference}'s case notes are no longer waiting to "
                    f"be destroyed. {listing.withdrawn_reason}".strip()
                }
            )
        if active_hold(child):
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: f"{child.reference}'s case notes are on legal hold: lift "
                    "the hold first"
                }
            )
        reason = _no_longer_due(listing, pack_on(today), today)
        if reason:
            raise ValidationError(
                {NON_FIELD_ERRORS: f"These case notes are not due for destruction. {reason}"}
            )

        counts, files = _delete_notes(child)
        now = timezone.now()
        CaseNotesDue.objects.filter(pk=listing.pk).update(confirmed_by=by, destroyed_at=now)
        tombstone = DestroyedCaseNotes.objects.create(
            listing=listing,
            child=child,
            child_reference=child.reference,
            due_on=listing.due_on,
            destroyed_at=now,
            destroyed_by=by,
            counts=counts,
            files_removed=len(files),
        )
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="case_note_destruction",
            object_id=tombstone.pk,
            detail={
                "event": "case notes destroyed",
                "child": child.reference,
                "due_on": listing.due_on.isoformat(),
                "counts": counts,
                "files_removed": len(files),
            },
        )
        # Files go only once the rows are gone for good: a rollback must not leave notes
        # pointing at deleted attachments.
        transaction.on_commit(lambda: _remove_files(files, f"child {child.pk}"))
    return tombstone


def _delete_notes(child: Child) -> tuple[dict[str, int], list[tuple]]:
    notes = CaseNote.objects.filter(child=child)
    attachments = CaseNoteAttachment.objects.filter(note__in=notes)
    files = [(a.file.storage, a.file.name) for a in attachments if a.file]
    counts: dict[str, int] = {}
    # No try/finally: a failure rolls the whole transaction back, and the setting with it.
    _allow_destroying_frozen_rows(True)
    # Queryset deletes, as for a leaver's file: the models refuse to delete a final note,
    # rightly everywhere but here. PROTECT still stops us if something points in, and the
    # whole destruction rolls back.
    counts["case_note_attachments"] = attachments.delete()[0]
    counts["case_note_actions"] = CaseNoteAction.objects.filter(note__in=notes).delete()[0]
    counts["case_notes"] = notes.delete()[0]
    _allow_destroying_frozen_rows(False)

    # The words about the child; the facts around them stay (see the module's docstring).
    counts["risk_reasons_cleared"] = (
        RiskRating.objects.filter(child=child).exclude(reason="").update(reason="")
    )
    counts["transfer_reasons_cleared"] = (
        Transfer.objects.filter(child=child).exclude(reason="").update(reason="")
    )
    counts["progression_notes_cleared"] = (
        ProgressionMove.objects.filter(child=child).exclude(note="").update(note="")
    )
    counts["front_door_discussions_cleared"] = (
        FrontDoorDiscussion.objects.filter(child=child)
        .exclude(discussion="", learning="")
        .update(discussion="", learning="")
    )
    Child.objects.filter(pk=child.pk).update(
        closure_rationale="", closure_without_supervision_reason="", discuss_next_reason=""
    )
    return counts, files
