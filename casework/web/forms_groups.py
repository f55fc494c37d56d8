"""Forms for group supervision and front-door supervision. They check shape only: the rules
(participants, children in reach, two families, no names) live in group_services so every way
in obeys them."""

from datetime import datetime

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Fixed, Layout, Size
from django import forms
from django.forms.utils import ErrorDict
from django.utils import timezone

from casework.group_services import FORMAT_GUIDANCE, FamilyRow
from casework.models import FrontDoorSession, GroupSession
from supervision.organisation.plain_text import PlainTextForm
from supervision.organisation.times import parse_time
from supervision.web.date_input import DateInputField

DATE_HINT = "For example, 5 3 2026"
TIME_HINT = "For example, 09:30 or 2:30pm"
FAMILY_ROWS, MAX_FAMILY_ROWS = 2, 12


def _helper(*fields) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template owns the <form>, its action and CSRF token
    helper.disable_csrf = True
    helper.layout = Layout(*fields)
    return helper


def _date_field(label: str, message: str) -> DateInputField:
    field = DateInputField(label=label, help_text=DATE_HINT)
    field.error_messages.update({"required": message, "incomplete": message})
    return field


def _time_field(label: str, message: str) -> forms.CharField:
    return forms.CharField(
        label=label, help_text=TIME_HINT, max_length=10, error_messages={"required": message}
    )


def _text(label: str, *, help_text="", rows=5) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _held_at(form, date_name: str, time_name: str) -> datetime | None:
    data = form.cleaned_data
    if time_name not in data:
        return None
    at = parse_time(data[time_name])
    if at is None:
        form.add_error(time_name, "Enter the time, like 09:30 or 2:30pm")
        return None
    if data.get(date_name) is None:
        return None
    return datetime.combine(data[date_name], at, tzinfo=timezone.get_current_timezone())


class GroupSessionForm(PlainTextForm):
    format = forms.ChoiceField(
        label="Kind of group supervision",
        choices=[
            Choice(value, label, hint=FORMAT_GUIDANCE[value])
            for value, label in GroupSession.Format.choices
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of group supervision"},
    )
    held_on = _date_field("Date held", "Enter the date the session was held")
    held_time = _time_field("Start time", "Enter the time the session started")
    duration_minutes = forms.IntegerField(
        label="Length in minutes",
        help_text="From 15 to 240.",
        initial=60,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the length of the session in minutes",
            "invalid": "Enter the length as a number of minutes, like 60 or 90",
        },
    )
    participants = forms.ModelMultipleChoiceField(
        label="Who took part",
        help_text="You facilitate and are counted as a participant. A group has at least two "
        "people.",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose participants from the team's current staff"},
    )
    summary = _text(
        "Summary or minutes",
        help_text="Needed for a team meeting: the minutes. For other formats, the themes "
        "discussed. Write about each child on their own case note, not here.",
        rows=8,
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = staff
        self.fields["participants"].label_from_instance = lambda person: (
            f"{person.full_name} ({person.profile.job_role.name})"
        )
        self.helper = _helper(
            Field.radios("format", legend_size=Size.SMALL),
            Field("held_on", context={"legend_size": Size.for_legend("s")}),
            Field.text("held_time", label_size="s", field_width=Fixed.FIVE),
            Field.text("duration_minutes", label_size="s", field_width=Fixed.FIVE),
            Field.checkboxes("participants", legend_size=Size.SMALL, small=True),
            Field.textarea("summary", label_size="s"),
            Button("submit", "Save the session"),
        )

    def clean(self):
        data = super().clean()
        data["held_at"] = _held_at(self, "held_on", "held_time")
        return data


class AddChildForm(PlainTextForm):
    reference = forms.CharField(
        label="Child's unique reference",
        help_text="For example, NS104231. Never the child's name.",
        max_length=40,
        error_messages={"required": "Enter the child's unique reference"},
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("reference", label_size="s", field_width=Fixed.TEN),
            Button("submit", "Add the child"),
        )


class FrontDoorForm(PlainTextForm):
    """Front-door supervision (rule C7): at least two families, each by the child's unique
    reference, the criterion it was chosen by, and the reflective discussion.

    Family rows are numbered fields (reference_1, criterion_1, ...), so every message names the
    field it is about; "Add another family" posts the form back with one more row."""

    held_on = _date_field("Date of the session", "Enter the date of the session")
    held_time = _time_field("Start time", "Enter the time the session started")
    families = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reflections = _text(
        "Reflections on process and practice",
        help_text="The children's files are closed or held by other workers: reflect on how "
        "the front door worked, not on the family's next steps. Use references, never names.",
        rows=8,
    )

    def __init__(self, *args, rows: int = FAMILY_ROWS, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = max(FAMILY_ROWS, min(rows, MAX_FAMILY_ROWS))
        self.initial["families"] = self.rows
        if self.is_bound:
            data = self.data.copy()
            data["families"] = str(self.rows)
            self.data = data
        layout = [
            Field("held_on", context={"legend_size": Size.for_legend("s")}),
            Field.text("held_time", label_size="s", field_width=Fixed.FIVE),
        ]
        for number in range(1, self.rows + 1):
            self.fields[f"reference_{number}"] = forms.CharField(
                label="Child's unique reference",
                help_text="For example, NS104231. Two children of one family count as one family.",
                required=False,
                max_length=40,
                widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
            )
            self.fields[f"criterion_{number}"] = forms.ChoiceField(
                label="Why the family was discussed",
                choices=FrontDoorSession.Criterion.choices,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"discussion_{number}"] = _text("Discussion")
            self.fields[f"learning_{number}"] = _text("Learning and actions", rows=3)
            layout.append(
                Fieldset(
                    Field.text(f"reference_{number}", label_size="s", field_width=Fixed.TEN),
                    Field.radios(f"criterion_{number}", legend_size=Size.SMALL, small=True),
                    Field.textarea(f"discussion_{number}", label_size="s"),
                    Field.textarea(f"learning_{number}", label_size="s"),
                    legend=f"Family {number}",
                    legend_size=Size.MEDIUM,
                )
            )
        if self.rows < MAX_FAMILY_ROWS:
            layout.append(Button.secondary("add_family", "Add another family"))
        layout += [
            Field.textarea("reflections", label_size="s"),
            Field("families"),
            Button("submit", "Save the session"),
        ]
        self.helper = _helper(*layout)

    @classmethod
    def rows_posted(cls, data) -> int:
        try:
            return int(data.get("families") or FAMILY_ROWS)
        except ValueError:
            return FAMILY_ROWS

    def hide_errors(self) -> None:
        """Show what was typed, without errors: adding a row is not submitting the form."""
        self._errors = ErrorDict()

    def clean(self):
        data = super().clean()
        data["held_at"] = _held_at(self, "held_on", "held_time")
        return data

    def family_rows(self) -> list[FamilyRow]:
        data = self.cleaned_data
        return [
            FamilyRow(
                number=number,
                reference=data.get(f"reference_{number}", ""),
                criterion=data.get(f"criterion_{number}", ""),
                discussion=data.get(f"discussion_{number}", ""),
                learning=data.get(f"learning_{number}", ""),
            )
            for number in range(1, self.rows + 1)
        ]


def front_door_field(name: str) -> str:
    """The form field a service error names: the date and time are one value there."""
    return {"held_at": "held_on"}.get(name, name)
