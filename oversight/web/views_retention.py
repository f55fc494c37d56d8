"""Administrators' pages for retention (rule S2): files due for destruction, confirming one,
legal holds and retention periods. Administrators see who and how much, never what was
written."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fluid, Layout
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from access.roles import role_required
from oversight.models import (
    DestroyedFile,
    DestructionCandidate,
    LegalHold,
    RecordKind,
    RetentionRule,
)
from oversight.records_management import retention
from supervision.models import User
from supervision.organisation.plain_text import PlainTextForm


def form_helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template owns the <form>, its action and CSRF token
    helper.disable_csrf = True
    helper.layout = Layout(*layout)
    return helper


def add_errors(form, error: ValidationError) -> None:
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


def act_on(request, form, act):
    """What `act(cleaned_data)` returns for a form posted and valid; None when the form was
    not posted, is not valid, or `act` refused it (its ValidationError is put on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return act(form.cleaned_data)
    except ValidationError as error:
        add_errors(form, error)
        return None


class ConfirmDestructionForm(PlainTextForm):
    confirm_name = forms.CharField(
        label="Type the person's full name to confirm",
        max_length=200,
        error_messages={"required": "Type the person's full name to confirm the destruction"},
    )

    def __init__(self, *args, person_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm_name"].help_text = f"Type {person_name}. This cannot be undone."
        self.helper = form_helper(
            Field.text("confirm_name", field_width=Fluid.TWO_THIRDS),
            Button("submit", "Destroy this file", css_class="govuk-button--warning"),
        )


class PlaceHoldForm(PlainTextForm):
    person = forms.ModelChoiceField(
        queryset=User.objects.filter(profile__isnull=False).order_by("full_name"),
        label="Whose file",
        empty_label="Choose a person",
        error_messages={"required": "Choose whose file to hold"},
    )
    reason = forms.CharField(
        label="Why it must be kept",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, the claim or inquiry it is needed for. Do not name children.",
        error_messages={"required": "Enter why the file must be kept"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            Field.select("person"),
            Field.textarea("reason"),
            Button("submit", "Place legal hold"),
        )


class LiftHoldForm(PlainTextForm):
    lift_reason = forms.CharField(
        label="Why the hold is no longer needed",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the hold is no longer needed"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            Field.textarea("lift_reason"), Button("submit", "Lift legal hold")
        )


class RetentionRulesForm(PlainTextForm):
    def __init__(self, *args, years: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in RecordKind.choices:
            self.fields[kind] = forms.IntegerField(
                label=f"{label}: years kept after the person leaves",
                min_value=1,
                max_value=100,
                initial=years[kind],
                error_messages={
                    "required": f"Enter how many years {label.lower()} are kept",
                    "invalid": f"Enter the years {label.lower()} are kept as a whole number",
                    "min_value": f"Enter at least 1 year for {label.lower()}",
                    "max_value": f"Enter at most 100 years for {label.lower()}",
                },
            )
        self.helper = form_helper(
            *[Field.text(kind, field_width=3) for kind in RecordKind.values],
            Button("submit", "Save retention periods"),
        )


@role_required("system_admin")
def retention_candidates(request):
    pending = list(
        DestructionCandidate.objects.filter(destroyed_at__isnull=True, withdrawn_at__isnull=True)
        .select_related("person", "batch")
        .order_by("due_on", "pk")
    )
    held = set(LegalHold.objects.filter(lifted_at__isnull=True).values_list("person_id", flat=True))
    rows = [
        {
            "candidate": candidate,
            "holdings": retention.file_holdings(candidate.person),
            "on_hold": candidate.person_id in held,
        }
        for candidate in pending
    ]
    return render(
        request,
        "oversight/retention/candidates.html",
        {
            "rows": rows,
            "kinds": dict(RecordKind.choices),
            "on_hold_count": sum(1 for row in rows if row["on_hold"]),
            "destroyed": DestroyedFile.objects.select_related("destroyed_by")[:20],
        },
    )


@role_required("system_admin")
def retention_destroy(request, candidate_id):
    candidate = get_object_or_404(
        DestructionCandidate.objects.select_related("person"), pk=candidate_id
    )
    form = ConfirmDestructionForm(
        request.POST if request.method == "POST" else None, person_name=candidate.person.full_name
    )
    tombstone = act_on(
        request,
        form,
        lambda data: retention.file_destroy(
            candidate=candidate, typed_name=data["confirm_name"], by=request.user, request=request
        ),
    )
    if tombstone is not None:
        messages.success(request, f"{tombstone.person_name}'s supervision file has been destroyed")
        return redirect("retention-candidates")
    return render(
        request,
        "oversight/retention/destroy.html",
        {
            "form": form,
            "candidate": candidate,
            "holdings": retention.file_holdings(candidate.person),
            "kinds": dict(RecordKind.choices),
            "hold": retention.active_hold(candidate.person),
        },
    )


@role_required("system_admin")
def legal_holds(request):
    form = PlaceHoldForm(request.POST if request.method == "POST" else None)
    hold = act_on(
        request,
        form,
        lambda data: retention.legal_hold_place(
            person=data["person"], reason=data["reason"], by=request.user, request=request
        ),
    )
    if hold is not None:
        messages.success(request, f"{hold.person.full_name}'s file is on legal hold")
        return redirect("legal-holds")
    holds = LegalHold.objects.select_related("person", "placed_by", "lifted_by")
    return render(request, "oversight/retention/holds.html", {"form": form, "holds": holds})


@role_required("system_admin")
def legal_hold_lift(request, hold_id):
    hold = get_object_or_404(LegalHold.objects.select_related("person"), pk=hold_id)
    form = LiftHoldForm(request.POST if request.method == "POST" else None)
    lifted = act_on(
        request,
        form,
        lambda data: retention.legal_hold_lift(
            hold=hold, reason=data["lift_reason"], by=request.user, request=request
        ),
    )
    if lifted is not None:
        messages.success(request, f"The legal hold on {hold.person.full_name}'s file is lifted")
        return redirect("legal-holds")
    return render(request, "oversight/retention/lift_hold.html", {"form": form, "hold": hold})


@role_required("system_admin")
def retention_rules(request):
    years = retention.retention_years()
    form = RetentionRulesForm(request.POST if request.method == "POST" else None, years=years)
    if request.method == "POST" and form.is_valid():
        for kind in RecordKind.values:
            retention.retention_rule_set(
                kind=kind, years=form.cleaned_data[kind], by=request.user, request=request
            )
        messages.success(request, "Retention periods saved")
        return redirect("retention-rules")
    rules = RetentionRule.objects.select_related("changed_by")
    return render(request, "oversight/retention/rules.html", {"form": form, "rules": rules})
