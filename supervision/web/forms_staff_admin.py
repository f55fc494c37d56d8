"""Forms for adding and changing people and units (supervision.people.staff_admin)."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fixed, Fluid, Layout, Size
from django import forms
from django.db.models import Q

from supervision.models import JobRole, StaffProfile, Unit, User
from supervision.organisation.plain_text import PlainTextForm
from supervision.web.date_input import DateInputField


def _helper(*fields, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template owns the <form>, its action and CSRF token
    helper.disable_csrf = True
    helper.layout = Layout(*fields, Button("submit", submit))
    return helper


def _date(name):
    return Field(name, context={"legend_size": Size.for_legend("s")})


def _staff_now(keep=None):
    """Staff who work here now, and `keep` (someone already chosen, who may have left since)."""
    return (
        User.objects.filter(
            Q(is_active=True, profile__is_active=True) | Q(pk=getattr(keep, "pk", None))
        )
        .select_related("profile__job_role")
        .order_by("full_name")
    )


def _units():
    return Unit.objects.order_by("path")


def _unit_label(unit: Unit) -> str:
    depth = unit.path.count("/") - 2
    return f"{'– ' * depth}{unit.name} ({unit.get_kind_display().lower()})"


class PersonForm(PlainTextForm):
    full_name = forms.CharField(
        label="Full name", max_length=200, error_messages={"required": "Enter their full name"}
    )
    email = forms.EmailField(
        label="Work email address",
        help_text="They sign in with it, and emails about their supervision go to it.",
        error_messages={
            "required": "Enter their work email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )
    job_role = forms.ModelChoiceField(
        queryset=JobRole.objects.order_by("name"),
        label="Job role",
        empty_label="Choose a job role",
        error_messages={"required": "Choose their job role"},
    )
    unit = forms.ModelChoiceField(
        queryset=None,
        label="Team or unit",
        empty_label="Choose where they work",
        error_messages={"required": "Choose the team or unit they work in"},
    )
    start_date = DateInputField(label="Start date", help_text="For example, 5 3 2026")
    employment_type = forms.ChoiceField(
        label="Employment", choices=StaffProfile.EmploymentType.choices
    )
    qualified_date = DateInputField(
        label="Date they qualified (optional)", required=False, help_text="For example, 1 7 2025"
    )
    asye_start_date = DateInputField(
        label="ASYE start date (optional)",
        required=False,
        help_text="For a newly qualified social worker in their assessed first year.",
    )
    is_student = forms.BooleanField(label="A social work student on placement", required=False)
    probation_end_date = DateInputField(label="Probation ends (optional)", required=False)

    def __init__(self, *args, adding: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_date"].error_messages["required"] = "Enter their start date"
        self.fields["unit"].queryset = _units()
        self.fields["unit"].label_from_instance = _unit_label
        fields = [
            Field.text("full_name", field_width=Fluid.TWO_THIRDS),
            Field.text("email", field_width=Fluid.TWO_THIRDS),
            Field.select("job_role"),
            Field.select("unit"),
            _date("start_date"),
            Field.select("employment_type"),
            _date("qualified_date"),
            _date("asye_start_date"),
            Field.checkbox("is_student", small=True),
            _date("probation_end_date"),
        ]
        if adding:
            self.fields["line_supervisor"] = forms.ModelChoiceField(
                queryset=_staff_now(),
                label="Line supervisor (optional)",
                required=False,
                empty_label="Not known yet",
                help_text="Supervises them from their start date. You can record one later.",
            )
            self.fields["line_supervisor"].label_from_instance = lambda user: (
                f"{user.full_name} ({user.profile.job_role.name})"
            )
            self.fields["send_link"] = forms.BooleanField(
                label="Email them a link to set their password",
                required=False,
                initial=True,
            )
            fields += [Field.select("line_supervisor"), Field.checkbox("send_link", small=True)]
        self.helper = _helper(*fields, submit="Add the person" if adding else "Save the changes")


class UnitForm(PlainTextForm):
    name = forms.CharField(max_length=200, error_messages={"required": "Enter the unit's name"})
    code = forms.SlugField(
        label="Short code",
        max_length=50,
        help_text="Used in import files. Letters, numbers and hyphens, for example fs-north.",
        error_messages={
            "required": "Enter a short code",
            "invalid": "Enter a short code of letters, numbers and hyphens only",
        },
    )
    kind = forms.ChoiceField(label="Kind of unit", choices=Unit.Kind.choices)
    parent = forms.ModelChoiceField(
        queryset=None,
        label="Part of (optional)",
        required=False,
        empty_label="Nothing: the top of the organisation",
    )
    manager = forms.ModelChoiceField(
        queryset=None,
        label="Manager (optional)",
        required=False,
        empty_label="No manager",
        help_text="Oversees the files of everyone in the unit and the units below it.",
    )

    def __init__(self, *args, unit: Unit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        parents = _units()
        if unit is not None:
            parents = parents.exclude(path__startswith=unit.path)
        self.fields["parent"].queryset = parents
        self.fields["parent"].label_from_instance = _unit_label
        self.fields["manager"].queryset = _staff_now(keep=getattr(unit, "manager", None))
        self.fields["manager"].label_from_instance = lambda user: (
            f"{user.full_name} ({user.profile.job_role.name})"
        )
        self.helper = _helper(
            Field.text("name", field_width=Fluid.TWO_THIRDS),
            Field.text("code", field_width=Fixed.TWENTY),
            Field.select("kind"),
            Field.select("parent"),
            Field.select("manager"),
            submit="Add the unit" if unit is None else "Save the changes",
        )
