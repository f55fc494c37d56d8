"""Forms for children's cases. They check shape only; the rules (a plan in the service, a level
on the service's scales, a unique reference) live in the services, so every way in obeys them
and the messages are the same wherever they come from."""

from datetime import datetime

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Fixed, Fluid, Layout, Size
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework.models import (
    LEVELS_BY_SCALE,
    PLANS_BY_SERVICE,
    SCALE_FIELDS,
    Child,
    Plan,
    RiskLevel,
    RiskScale,
    Service,
)
from casework.services import normalise_reference
from supervision.organisation.plain_text import PlainTextForm
from supervision.web.date_input import DateInputField

DATE_HINT = "For example, 5 3 2026"
REFERENCE_HINT = "For example, NS104231. Never the child's name."
TIME_FORMATS = ["%H:%M", "%H.%M", "%I:%M%p", "%I.%M%p", "%I%p", "%I:%M %p", "%I %p"]


def _helper(*fields, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template owns the <form>, its action and CSRF token
    helper.disable_csrf = True
    helper.layout = Layout(*fields, Button("submit", submit))
    return helper


def _date(name: str) -> Field:
    return Field(name, context={"legend_size": Size.for_legend("s")})


def _or_list(labels: list[str]) -> str:
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def level_field(scale: str, *, label: str | None = None, help_text: str = "") -> forms.ChoiceField:
    """A level on one scale. A level from another scale is refused by name, with the levels
    this scale has."""
    levels = LEVELS_BY_SCALE[RiskScale(scale)]
    labels = [RiskLevel(level).label.lower() for level in levels]
    return forms.ChoiceField(
        label=label or RiskScale(scale).label,
        required=False,
        help_text=help_text,
        choices=[("", "Not rated yet"), *[(level, RiskLevel(level).label) for level in levels]],
        error_messages={"invalid_choice": f"Choose {_or_list(labels)}"},
    )


def plans_hint() -> str:
    return ". ".join(
        f"{Service(service).label}: "
        + ", ".join(Plan(plan).label.lower() for plan in plans if plan != Plan.ASSESSMENT)
        for service, plans in PLANS_BY_SERVICE.items()
    )


class FindChildForm(PlainTextForm):
    reference = forms.CharField(
        label="Child's unique reference",
        help_text=REFERENCE_HINT,
        max_length=60,
        error_messages={"required": "Enter the child's unique reference"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("reference", field_width=Fixed.TEN, spellcheck="false"), submit="Find"
        )


class ChildNewForm(PlainTextForm):
    reference = forms.CharField(
        label="Unique reference",
        help_text=REFERENCE_HINT,
        max_length=60,
        error_messages={"required": "Enter the child's unique reference"},
    )
    initials = forms.CharField(
        max_length=10,
        help_text="For example, JS",
        error_messages={"required": "Enter the child's initials, such as JS"},
    )
    name = forms.CharField(
        label="Name (optional)",
        required=False,
        max_length=200,
        help_text="Only if your service keeps names here; staff records use the reference",
    )
    date_of_birth = DateInputField(
        label="Date of birth (optional)", required=False, help_text=DATE_HINT
    )
    service = forms.ChoiceField(
        choices=Service.choices,
        error_messages={"required": "Choose the service the child is allocated in"},
    )
    plan = forms.ChoiceField(
        choices=Plan.choices,
        help_text="Any service can start with an assessment. " + plans_hint() + ".",
        error_messages={"required": "Choose the child's plan"},
    )
    team = forms.ModelChoiceField(
        queryset=None,
        empty_label="Choose a team",
        error_messages={
            "required": "Choose the team the child is allocated to",
            "invalid_choice": "Choose one of the teams you lead",
        },
    )
    worker = forms.ModelChoiceField(
        queryset=None,
        empty_label="Choose a worker",
        help_text="Someone in the team who holds cases.",
        error_messages={
            "required": "Choose the worker the child is allocated to",
            "invalid_choice": "Choose someone in one of the teams you lead who holds cases",
        },
    )
    allocated_on = DateInputField(label="Date allocated", help_text=DATE_HINT)
    allocated_time = forms.TimeField(
        label="Time allocated",
        help_text="For example, 9:30am or 14:30. New allocations are discussed within 24 hours.",
        input_formats=TIME_FORMATS,
        error_messages={
            "required": "Enter the time the child was allocated, such as 9:30am",
            "invalid": "Enter the time in the format 9:30am or 14:30",
        },
    )
    rag_rating = level_field(RiskScale.RAG, label="Risk rating (optional)")
    serious_harm_level = level_field(
        RiskScale.SERIOUS_HARM,
        label="Risk of serious harm (youth justice only)",
        help_text="Leave as not rated for early help and children's social work.",
    )
    safety_wellbeing_level = level_field(
        RiskScale.SAFETY_WELLBEING,
        label="Safety and wellbeing (youth justice only)",
        help_text="Leave as not rated for early help and children's social work.",
    )

    def __init__(self, *args, teams, workers, **kwargs):
        super().__init__(*args, **kwargs)
        required = "Enter the date the child was allocated"
        self.fields["allocated_on"].error_messages.update(
            {"required": required, "incomplete": required}
        )
        self.fields["team"].queryset = teams
        self.fields["worker"].queryset = workers
        self.fields["worker"].label_from_instance = lambda user: (
            f"{user.full_name} ({user.profile.unit.name})"
        )
        self.helper = _helper(
            Field.text("reference", field_width=Fixed.TEN, spellcheck="false"),
            Field.text("initials", field_width=Fixed.FIVE),
            Field.text("name", field_width=Fluid.TWO_THIRDS),
            _date("date_of_birth"),
            Field.radios("service", legend_size=Size.SMALL),
            Field.select("plan"),
            Field.select("team"),
            Field.select("worker"),
            _date("allocated_on"),
            Field.text("allocated_time", field_width=Fixed.FIVE),
            Fieldset(
                Field.select("rag_rating"),
                Field.select("serious_harm_level"),
                Field.select("safety_wellbeing_level"),
                legend="Risk at allocation",
                legend_size=Size.SMALL,
            ),
            submit="Allocate the child",
        )

    def clean_reference(self):
        return normalise_reference(self.cleaned_data["reference"])

    def clean(self):
        data = super().clean()
        day, time = data.get("allocated_on"), data.get("allocated_time")
        if day and time:
            at = timezone.make_aware(datetime.combine(day, time))
            if at > timezone.now():
                self.add_error("allocated_on", "Enter an allocation date and time in the past")
            data["allocated_at"] = at
        service, plan = data.get("service"), data.get("plan")
        if service and plan:
            # The model's own rule and words, shown with the other errors rather than after.
            try:
                Child(service=service, plan=plan).clean()
            except ValidationError as error:
                for message in error.message_dict.get("plan", []):
                    self.add_error("plan", message)
        team, worker = data.get("team"), data.get("worker")
        if team and worker and worker.profile.unit_id != team.pk:
            self.add_error(
                "worker", f"Choose someone in {team.name}, or choose {worker.full_name}'s team"
            )
        return data


class ChildEditForm(PlainTextForm):
    plan = forms.ChoiceField(error_messages={"required": "Choose the child's plan"})
    chronic_neglect = forms.BooleanField(
        label="Chronic neglect",
        required=False,
        help_text="Only on a child protection plan for neglect. Each case note then asks about "
        "independent review of home conditions, the chronology and written agreements.",
    )
    name = forms.CharField(
        label="Name (optional)",
        required=False,
        max_length=200,
        help_text="Only if your service keeps names here; staff records use the reference",
    )
    date_of_birth = DateInputField(
        label="Date of birth (optional)", required=False, help_text=DATE_HINT
    )
    has_been_looked_after = forms.BooleanField(
        label="Has been looked after",
        required=False,
        help_text="At any time, here or in another local authority. Their case notes are then "
        "kept 75 years from their date of birth. Once recorded, it cannot be removed.",
    )

    def __init__(self, *args, child: Child, **kwargs):
        super().__init__(*args, **kwargs)
        service = Service(child.service)
        plans = PLANS_BY_SERVICE[service]
        self.fields["plan"].choices = [(plan, Plan(plan).label) for plan in plans]
        self.fields["plan"].error_messages["invalid_choice"] = (
            f"Choose {_or_list([Plan(p).label.lower() for p in plans])}: a change of service "
            "is a transfer"
        )
        if child.has_been_looked_after:
            # Shown, ticked, and not to be unticked (child_services.child_update keeps it).
            self.fields["has_been_looked_after"].disabled = True
            self.fields["has_been_looked_after"].initial = True
        self.helper = _helper(
            Field.radios("plan", legend_size=Size.SMALL),
            Fieldset(
                Field.checkbox("chronic_neglect", small=True),
                legend="Neglect",
                legend_size=Size.SMALL,
            ),
            Field.text("name", field_width=Fluid.TWO_THIRDS),
            _date("date_of_birth"),
            Fieldset(
                Field.checkbox("has_been_looked_after", small=True),
                legend="Care",
                legend_size=Size.SMALL,
            ),
            submit="Save changes",
        )


class RiskForm(PlainTextForm):
    """The levels on the child's own scales, and why they changed."""

    reason = forms.CharField(
        label="Why has the rating changed?",
        required=False,
        help_text="What has happened, and what it means for the child. Kept with the history.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, child: Child, **kwargs):
        super().__init__(*args, **kwargs)
        self.child = child
        self.scale_fields = {}
        for scale in child.risk_scales:
            name = SCALE_FIELDS[scale]
            self.fields[name] = level_field(scale)
            current = getattr(child, name)
            self.fields[name].initial = current
            if current:
                # A rating is changed, never taken away: the history keeps what it was.
                self.fields[name].choices = self.fields[name].choices[1:]
            self.scale_fields[name] = scale
        # Keep the levels above the reason.
        self.order_fields([*self.scale_fields, "reason"])
        self.helper = _helper(
            *[
                Field.radios(name, legend_size=Size.SMALL, inline=True)
                for name in self.scale_fields
            ],
            Field.textarea("reason", label_size=Size.SMALL, rows=4),
            submit="Save the rating",
        )

    def clean(self):
        data = super().clean()
        # A level sent for a scale the child's service does not use is refused by name, not
        # quietly dropped: someone thought they were rating it.
        service = Service(self.child.service).label
        for scale, name in SCALE_FIELDS.items():
            if name not in self.fields and self.data.get(name):
                self.add_error(
                    None,
                    f"{service} does not use the {RiskScale(scale).label.lower()} scale",
                )
        return data

    def levels(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in self.scale_fields}


class FamilyLinkForm(PlainTextForm):
    sibling_reference = forms.CharField(
        label="Brother or sister's unique reference",
        help_text="For example, NS104231. Their whole family joins this child's, if they have one.",
        max_length=60,
        error_messages={"required": "Enter the brother or sister's unique reference"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("sibling_reference", field_width=Fixed.TEN, spellcheck="false"),
            submit="Link as family",
        )
