"""Forms to plan a transfer and to close a case. They check shape only: the rules (dates,
who can take a case, C4) live in transfer_services so every way in obeys them."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from casework.models import Child, Service
from casework.transfer_services import receiving_workers
from supervision.models import Unit
from supervision.organisation.plain_text import PlainTextForm
from supervision.web.date_input import DateInputField

DATE_HINT = "For example, 5 4 2026"
RATIONALE_HINT = (
    "Analyse the work done with the family before closure and record the thoughts and "
    "feelings of the family. Write it to the child, so they can follow it if they read "
    "their file later."
)


def _helper(*fields, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template owns the <form>, its action and CSRF token
    helper.disable_csrf = True
    helper.layout = Layout(*fields, Button("submit", submit))
    return helper


def _date_field(label: str, required_message: str, hint: str = DATE_HINT) -> DateInputField:
    field = DateInputField(label=label, help_text=hint)
    field.error_messages.update({"required": required_message, "incomplete": required_message})
    return field


def _date(name: str) -> Field:
    return Field(name, context={"legend_size": Size.for_legend("s")})


def _text(label: str, message: str, help_text: str = "", rows: int = 5) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": message},
    )


class TransferForm(PlainTextForm):
    to_unit = forms.ModelChoiceField(
        queryset=None,
        label="Team taking the case",
        empty_label="Choose a team",
        error_messages={"required": "Choose the team that will take the case"},
    )
    to_worker = forms.ModelChoiceField(
        queryset=None,
        label="Worker taking the case",
        help_text="Staff who hold cases, with their team.",
        empty_label="Choose a worker",
        error_messages={"required": "Choose the worker who will take the case"},
    )
    to_service = forms.ChoiceField(
        label="Service holding the case after the transfer",
        choices=Service.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the service that will hold the case"},
    )
    planned_for = _date_field("Date of the transfer", "Enter the date of the transfer")
    reason = _text(
        "Reason for the transfer",
        "Enter the reason for the transfer",
        help_text="Written to the child: why their worker, team or service is changing.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = Unit.objects.filter(kind=Unit.Kind.TEAM).order_by("name")
        self.fields["to_worker"].queryset = (
            receiving_workers().select_related("profile__unit").order_by("full_name")
        )
        self.fields["to_worker"].label_from_instance = lambda user: (
            f"{user.full_name} ({user.profile.unit.name})"
        )
        self.helper = _helper(
            Field.select("to_unit"),
            Field.select("to_worker"),
            Field.radios("to_service", legend_size=Size.SMALL),
            _date("planned_for"),
            Field.textarea("reason", label_size="s"),
            submit="Plan the transfer",
        )


class ClosureForm(PlainTextForm):
    closed_on = _date_field("Closure date", "Enter the closure date", "For example, 5 3 2026")
    closure_reason = forms.ChoiceField(
        label="Reason for closing",
        choices=Child.ClosureReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the reason for closing the case"},
    )
    closure_rationale = _text(
        "Closure rationale",
        "Enter the rationale for closing: the work done and the family's thoughts and feelings",
        help_text=RATIONALE_HINT,
        rows=8,
    )
    closure_without_supervision_reason = _text(
        "Why is the case closing without a formal case supervision in this service?",
        "Enter why the case is closing without a formal case supervision in this service",
        help_text="For example, the family moved away before the supervision could be held.",
    )

    def __init__(self, *args, supervision_held: bool, **kwargs):
        super().__init__(*args, **kwargs)
        fields = [
            _date("closed_on"),
            Field.radios("closure_reason", legend_size=Size.SMALL),
            Field.textarea("closure_rationale", label_size="s"),
        ]
        if supervision_held:
            del self.fields["closure_without_supervision_reason"]
        else:
            fields.append(Field.textarea("closure_without_supervision_reason", label_size="s"))
        self.helper = _helper(*fields, submit="Close the case")
