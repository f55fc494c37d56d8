"""Forms for quality assurance sampling. They check shape; the rules (reach, period, size) are
checked again by oversight/quality/sampling.py, so every way in obeys them."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fixed, Layout, Size
from django import forms
from django.utils import timezone

from oversight.models import QualityAnswer
from oversight.quality import sampling as quality
from supervision.organisation.plain_text import PlainTextForm
from supervision.web.date_input import DateInputField

DATE_HINT = "For example, 5 3 2026"
FROM_GRANTS = "grants"


def _helper(*fields) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template owns the <form>, its action and CSRF token
    helper.disable_csrf = True
    helper.layout = Layout(*fields)
    return helper


def _date_field(label: str, required_message: str, hint: str = DATE_HINT) -> DateInputField:
    field = DateInputField(label=label, help_text=hint)
    field.error_messages.update({"required": required_message, "incomplete": required_message})
    return field


def _date(name: str) -> Field:
    return Field(name, context={"legend_size": Size.for_legend("s")})


class SampleDrawForm(PlainTextForm):
    """Where from, which period and how many. A senior manager chooses one of the units they
    oversee; an auditor draws from the files they hold a grant for, so has no choice to make
    (unless they are a senior manager too, when the grants are one more choice)."""

    finalised_from = _date_field(
        "Records finalised from", quality.FROM_REQUIRED, "The first day. For example, 1 12 2025"
    )
    finalised_to = _date_field(
        "Records finalised to", quality.TO_REQUIRED, "The last day. For example, 28 2 2026"
    )
    size = forms.IntegerField(
        label="Number of records",
        help_text=f"From 1 to {quality.MAX_SIZE}",
        min_value=1,
        max_value=quality.MAX_SIZE,
        initial=10,
        # The Design System's way to ask for a whole number: a text box, numeric keypad.
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages=dict.fromkeys(
            ("required", "invalid", "min_value", "max_value"), quality.SIZE_ERROR
        ),
    )

    def __init__(self, *args, units=(), from_grants=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {str(unit.pk): unit for unit in units}
        fields = []
        if self.units:
            choices = [("", "Choose a part of the organisation")]
            choices += [
                (key, f"{unit.name} ({unit.get_kind_display().lower()})")
                for key, unit in self.units.items()
            ]
            if from_grants:
                choices.append((FROM_GRANTS, "Files you hold an access grant for"))
            self.fields["unit"] = forms.ChoiceField(
                label="Draw from",
                help_text="Records of staff in this part of the organisation and below it",
                choices=choices,
                error_messages={
                    "required": quality.UNIT_ERROR,
                    "invalid_choice": quality.UNIT_ERROR,
                },
            )
            self.order_fields(["unit", "finalised_from", "finalised_to", "size"])
            fields.append(Field.select("unit"))
        fields += [
            _date("finalised_from"),
            _date("finalised_to"),
            Field.text("size", field_width=Fixed.TWO),
        ]
        self.helper = _helper(*fields, Button("submit", "Draw the sample"))

    def clean(self):
        data = super().clean()
        for field, message in quality.period_errors(
            data.get("finalised_from"), data.get("finalised_to"), timezone.localdate()
        ).items():
            if field not in self.errors:
                self.add_error(field, message)
        return data

    @property
    def chosen_unit(self):
        """The unit to draw from, or None for an auditor's grants."""
        return self.units.get(self.cleaned_data.get("unit") or "")


class ReviewForm(PlainTextForm):
    """The short audit form for one sampled record."""

    comments = forms.CharField(
        label="Comments (optional)",
        required=False,
        help_text=(
            "What was done well, and what would make the supervision better. "
            "There is no need to copy the record: the review links to it."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        questions = {}
        for field, question in quality.QUESTIONS:
            message = quality.QUESTION_ERRORS[field]
            questions[field] = forms.ChoiceField(
                label=question,
                choices=QualityAnswer.choices,
                widget=forms.RadioSelect,
                error_messages={"required": message, "invalid_choice": message},
            )
        # The questions first, then the comments.
        self.fields = {**questions, "comments": self.fields["comments"]}
        self.helper = _helper(
            *[
                Field.radios(field, legend_size=Size.SMALL, small=True, inline=True)
                for field in quality.FIELDS
            ],
            Field.textarea("comments", rows=6),
            Button("submit", "Save the review"),
        )


class PeriodForm(PlainTextForm):
    """The overview's period (samples drawn from ... to ...), sent by GET so it can be shared."""

    drawn_from = _date_field("Samples drawn from", "Enter the first date samples were drawn")
    drawn_to = _date_field("Samples drawn to", "Enter the last date samples were drawn")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            _date("drawn_from"), _date("drawn_to"), Button.secondary("show", "Show samples")
        )

    def clean(self):
        data = super().clean()
        first, last = data.get("drawn_from"), data.get("drawn_to")
        if first and last and last < first:
            self.add_error("drawn_to", "Enter an end date on or after the start date")
        return data
