from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from supervision.concerns.services import MOST_CHARACTERS
from supervision.organisation.plain_text import PlainTextForm


def _helper(*fields, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template owns the <form>, its action and CSRF token
    helper.disable_csrf = True
    helper.layout = Layout(*fields, Button("submit", submit))
    return helper


def _text(label: str, required: str, help_text: str = "", required_field: bool = True):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required_field,
        strip=False,
        max_length=MOST_CHARACTERS,
        # crispy-forms-gds adds the character count's message to aria-describedby, and fails
        # (KeyError) on a field without hint text unless the attribute is there to add to.
        widget=forms.Textarea(attrs={"rows": 8, "aria-describedby": ""}),
        error_messages={
            "required": required,
            "max_length": f"{label} must be {MOST_CHARACTERS:,} characters or fewer",
        },
    )


def _textarea(name: str):
    return Field.textarea(name, label_size=Size.SMALL, max_characters=MOST_CHARACTERS)


class ConcernForm(PlainTextForm):
    text = _text(
        "Your concern",
        "Enter your concern",
        "Say what concerns you about the supervision you receive (how good it is, or how "
        "often it happens) and what you have already tried with your supervisor.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_textarea("text"), submit="Raise the concern")


class EscalationForm(PlainTextForm):
    text = _text(
        "Why you are escalating it",
        "Enter why you are escalating it",
        "Say what you would like the manager to decide. Both views, as recorded, go with it.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_textarea("text"), submit="Escalate the disagreement")


class AddForm(PlainTextForm):
    text = _text("What you want to add", "Enter what you want to add")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_textarea("text"), submit="Add it")


class AnswerForm(PlainTextForm):
    resolve = forms.TypedChoiceField(
        label="What are you doing?",
        choices=[
            ("no", "Responding, and keeping it open"),
            ("yes", "Recording the outcome, and closing it"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether you are responding or recording the outcome"},
    )
    text = _text("Your response or the outcome", "Enter your response or the outcome")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("resolve", legend_size=Size.SMALL), _textarea("text"), submit="Send"
        )


class WithdrawForm(PlainTextForm):
    text = _text("Why you are withdrawing it (optional)", "", required_field=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_textarea("text"), submit="Withdraw it")
