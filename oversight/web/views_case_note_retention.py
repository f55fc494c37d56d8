"""Administrators' pages for children's case notes past their retention date: the children
listed, confirming a destruction, and legal holds. As for leavers' files, administrators see
which child (by unique reference, R11), how many notes and the dates, never what was written."""

from crispy_forms_gds.layout import Button, Field, Fixed
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from access.children import case_note_retention_page
from casework.models import Child
from oversight.models import CaseNoteHold, CaseNotesDue, DestroyedCaseNotes
from oversight.records_management import case_note_retention
from oversight.web.views_retention import LiftHoldForm, act_on, form_helper
from supervision.organisation.plain_text import PlainTextForm


class ConfirmCaseNotesDestructionForm(PlainTextForm):
    confirm_reference = forms.CharField(
        label="Type the child's unique reference to confirm",
        max_length=30,
        error_messages={"required": "Type the child's unique reference to confirm the destruction"},
    )

    def __init__(self, *args, reference: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm_reference"].help_text = f"Type {reference}. This cannot be undone."
        self.helper = form_helper(
            Field.text("confirm_reference", field_width=Fixed.TEN, spellcheck="false"),
            Button("submit", "Destroy these case notes", css_class="govuk-button--warning"),
        )


class PlaceCaseNoteHoldForm(PlainTextForm):
    reference = forms.CharField(
        label="The child's unique reference",
        max_length=30,
        error_messages={"required": "Enter the unique reference of the child whose notes to hold"},
    )
    reason = forms.CharField(
        label="Why the case notes must be kept",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, the claim, inquiry or review they are needed for. Do not write "
        "the child's name.",
        error_messages={"required": "Enter why the case notes must be kept"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            Field.text("reference", field_width=Fixed.TEN, spellcheck="false"),
            Field.textarea("reason"),
            Button("submit", "Place legal hold"),
        )

    def clean_reference(self):
        reference = "".join(self.cleaned_data["reference"].split()).upper()
        child = Child.objects.filter(reference=reference).first()
        if child is None:
            raise ValidationError(f"No child has the reference {reference}")
        return child


@case_note_retention_page
def case_notes_due(request):
    pending = list(
        CaseNotesDue.objects.filter(destroyed_at__isnull=True, withdrawn_at__isnull=True)
        .select_related("child")
        .order_by("due_on", "pk")
    )
    held = set(
        CaseNoteHold.objects.filter(lifted_at__isnull=True).values_list("child_id", flat=True)
    )
    counts = case_note_retention.note_counts([listing.child_id for listing in pending])
    rows = [
        {
            "listing": listing,
            "notes": counts[listing.child_id],
            "on_hold": listing.child_id in held,
        }
        for listing in pending
    ]
    return render(
        request,
        "oversight/retention/case_notes_due.html",
        {
            "rows": rows,
            "on_hold_count": sum(1 for row in rows if row["on_hold"]),
            "destroyed": DestroyedCaseNotes.objects.select_related("destroyed_by")[:20],
        },
    )


@case_note_retention_page
def case_notes_destroy(request, listing_id):
    listing = get_object_or_404(CaseNotesDue.objects.select_related("child"), pk=listing_id)
    form = ConfirmCaseNotesDestructionForm(
        request.POST if request.method == "POST" else None, reference=listing.child.reference
    )
    tombstone = act_on(
        request,
        form,
        lambda data: case_note_retention.case_notes_destroy(
            listing=listing,
            typed_reference=data["confirm_reference"],
            by=request.user,
            request=request,
        ),
    )
    if tombstone is not None:
        messages.success(request, f"{tombstone.child_reference}'s case notes have been destroyed")
        return redirect("case-notes-due")
    if request.method == "POST":
        listing.refresh_from_db()
    return render(
        request,
        "oversight/retention/case_notes_destroy.html",
        {
            "form": form,
            "listing": listing,
            "notes": case_note_retention.note_counts([listing.child_id])[listing.child_id],
            "hold": case_note_retention.active_hold(listing.child),
        },
    )


@case_note_retention_page
def case_note_holds(request):
    form = PlaceCaseNoteHoldForm(request.POST if request.method == "POST" else None)
    hold = act_on(
        request,
        form,
        lambda data: case_note_retention.case_note_hold_place(
            child=data["reference"], reason=data["reason"], by=request.user, request=request
        ),
    )
    if hold is not None:
        messages.success(request, f"{hold.child.reference}'s case notes are on legal hold")
        return redirect("case-note-holds")
    holds = CaseNoteHold.objects.select_related("child", "placed_by", "lifted_by")
    return render(
        request, "oversight/retention/case_note_holds.html", {"form": form, "holds": holds}
    )


@case_note_retention_page
def case_note_hold_lift(request, hold_id):
    hold = get_object_or_404(CaseNoteHold.objects.select_related("child"), pk=hold_id)
    form = LiftHoldForm(request.POST if request.method == "POST" else None)
    lifted = act_on(
        request,
        form,
        lambda data: case_note_retention.case_note_hold_lift(
            hold=hold, reason=data["lift_reason"], by=request.user, request=request
        ),
    )
    if lifted is not None:
        messages.success(
            request, f"The legal hold on {hold.child.reference}'s case notes is lifted"
        )
        return redirect("case-note-holds")
    return render(
        request, "oversight/retention/case_note_hold_lift.html", {"form": form, "hold": hold}
    )
