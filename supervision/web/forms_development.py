"""Forms for the development side of the file. They check shape only: the rules (permission,
dates, one plan a year) live in development_services so every way in obeys them."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Fixed, Fluid, Layout, Size
from django import forms

from supervision.models import (
    DevelopmentConversation,
    ProbationReview,
    TeamWellbeingPlan,
    WellbeingPlan,
)
from supervision.organisation.plain_text import PlainTextForm
from supervision.web.date_input import DateInputField
from supervision.web.forms_accounts import ProvesIdentity

DATE_HINT = "For example, 5 3 2026"


def _helper(*fields, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template owns the <form>, its action and CSRF token
    helper.disable_csrf = True
    helper.layout = Layout(*fields, Button("submit", submit))
    return helper


def _date_field(label: str, required_message: str, **kwargs) -> DateInputField:
    field = DateInputField(label=label, help_text=DATE_HINT, **kwargs)
    field.error_messages.update({"required": required_message, "incomplete": required_message})
    return field


def _date(name: str) -> Field:
    return Field(name, context={"legend_size": Size.for_legend("s")})


def _text(label: str, *, required=False, message="", help_text="", rows=5) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": message} if message else {},
    )


PASSWORD_HELP = (
    "Enter your password again to sign. Your signature records your name, the time and a "
    "fingerprint of what you signed."
)


def _password_field() -> forms.CharField:
    return forms.CharField(
        label="Your password",
        help_text=PASSWORD_HELP,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to sign"},
    )


class ObservationForm(PlainTextForm):
    """Kent's observation of practice form (rule Q1), as the observer fills it in."""

    observer_role = forms.CharField(
        label="Your role",
        max_length=200,
        help_text="For example, line manager, practice educator or senior practitioner.",
        error_messages={"required": "Enter your role, for example line manager"},
    )
    observed_on = _date_field("Date of observation", "Enter the date of the observation")
    observed_at_time = forms.TimeField(
        label="Time of observation (optional)",
        required=False,
        help_text="For example, 14:30",
        error_messages={"invalid": "Enter the time in the format 14:30"},
    )
    venue = forms.CharField(
        max_length=200, error_messages={"required": "Enter where the observation took place"}
    )
    permission_gained = forms.BooleanField(
        label="The family, and any colleagues present, gave permission for the observation",
        # The service refuses too; the form says it first, with the same words.
        error_messages={"required": "Confirm that the family gave permission for the observation"},
    )
    permission_details = _text(
        "Who gave permission (optional)",
        help_text="Service users and colleagues, as appropriate.",
        rows=2,
    )
    background = _text(
        "Background to the observation",
        help_text="The session's context, discussions before it, the aspect of practice to be "
        "observed, and any theory, research or tools used to prepare.",
    )
    observer_feedback = _text(
        "Your feedback",
        help_text="Were the objectives of the session achieved? Strengths, areas for "
        "development, feedback from the family and colleagues. You must write this before you "
        "sign.",
        rows=8,
    )
    development_areas = _text(
        "Agreed areas for development",
        help_text="Including how they will feed into supervision and the performance and "
        "development process.",
    )

    def __init__(self, *args, submit="Save observation", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("observer_role", field_width=Fluid.TWO_THIRDS),
            _date("observed_on"),
            Field.text("observed_at_time", field_width=Fixed.FIVE),
            Field.text("venue"),
            Fieldset(
                Field.checkbox("permission_gained", small=True),
                Field.textarea("permission_details", label_size="s"),
                legend="Permission",
                legend_size=Size.SMALL,
            ),
            Field.textarea("background", label_size="s"),
            Field.textarea("observer_feedback", label_size="s"),
            Field.textarea("development_areas", label_size="s"),
            submit=submit,
        )


class PasswordForm(ProvesIdentity, PlainTextForm):
    password = _password_field()

    def __init__(self, *args, submit="Sign", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("password"), submit=submit)


class PractitionerResponseForm(ProvesIdentity, PlainTextForm):
    comments = _text(
        "Your comments",
        help_text="On the session observed, on the feedback, on the process. Optional.",
        rows=8,
    )
    password = _password_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.textarea("comments", label_size="s"),
            Field.text("password"),
            submit="Add my comments and sign",
        )


class ConversationForm(PlainTextForm):
    kind = forms.ChoiceField(
        label="Which conversation",
        choices=DevelopmentConversation.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a development plan or a development review"},
    )
    year = forms.IntegerField(
        label="Plan year",
        help_text="For example, 2026",
        error_messages={
            "required": "Enter the plan year, for example 2026",
            "invalid": "Enter the plan year as a number, for example 2026",
        },
    )
    held_on = _date_field("Date of the conversation", "Enter the date of the conversation")
    goals = _text("Development goals", help_text="Needed for a plan.", rows=8)
    progress = _text("Progress against the goals", help_text="Needed for a review.", rows=8)

    def __init__(self, *args, with_kind=True, submit="Save", **kwargs):
        super().__init__(*args, **kwargs)
        fields = [
            Field.radios("kind", legend_size=Size.SMALL, inline=True),
            Field.text("year", field_width=Fixed.FOUR),
            _date("held_on"),
            Field.textarea("goals", label_size="s"),
            Field.textarea("progress", label_size="s"),
        ]
        if not with_kind:
            del self.fields["kind"]
            fields = fields[1:]
        self.helper = _helper(*fields, submit=submit)


class ProbationReviewForm(PlainTextForm):
    held_on = _date_field("Date of the review", "Enter the date of the review")
    outcome = forms.ChoiceField(
        choices=ProbationReview.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome of the review"},
    )
    notes = _text(
        "Assessment of overall performance",
        required=True,
        message="Enter the assessment of overall performance",
        help_text="Performance and conduct since the last review, and any support agreed.",
        rows=8,
    )

    def __init__(self, *args, final: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not final:
            self.fields["outcome"].choices = [
                choice
                for choice in ProbationReview.Outcome.choices
                if choice[0] not in ProbationReview.FINAL_OUTCOMES
            ]
        self.helper = _helper(
            _date("held_on"),
            Field.radios("outcome", legend_size=Size.SMALL),
            Field.textarea("notes", label_size="s"),
            submit="Save review",
        )


class WellbeingPlanForm(PlainTextForm):
    keeps_me_well = _text(
        "What keeps me well at work", help_text="Written in the person's own words."
    )
    signs_not_coping = _text("Signs that I am not coping")
    what_helps = _text("What helps when I am not coping")
    support_agreed = _text(
        "Support agreed",
        required=True,
        message="Enter the support agreed",
        help_text="For example: working hours, hybrid working, outside responsibilities, "
        "occupational health, the support line, and any referral agreed or refused.",
    )
    agreed_on = _date_field("Date agreed", "Enter the date the plan was agreed")
    review_on = _date_field("Review date", "Enter the date to review the plan")

    SECTIONS = WellbeingPlan.SECTIONS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            *(Field.textarea(name, label_size="s") for name in self.SECTIONS),
            _date("agreed_on"),
            _date("review_on"),
            submit="Save the plan",
        )


class TeamWellbeingPlanForm(PlainTextForm):
    """Kent's team wellbeing plan (rule Q5), which each team may adapt."""

    working_arrangements = _text(
        "Current and intended working arrangements",
        help_text="In the workplace and when working remotely.",
    )
    working_styles = _text("Working styles and containment")
    staying_healthy = _text(
        "Staying physically and mentally healthy", help_text="At work and when working remotely."
    )
    triggers_and_behaviours = _text("Triggers and behaviours")
    plan = _text(
        "Plan for team wellbeing",
        required=True,
        message="Enter the plan for team wellbeing",
        rows=8,
    )
    led_by = forms.CharField(label="Who leads the plan (optional)", required=False, max_length=200)
    agreed_on = _date_field("Date agreed", "Enter the date the plan was agreed")
    review_on = _date_field("Review date", "Enter the date to review the plan")

    SECTIONS = TeamWellbeingPlan.SECTIONS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            *(
                Field.text(name) if name == "led_by" else Field.textarea(name, label_size="s")
                for name in self.SECTIONS
            ),
            _date("agreed_on"),
            _date("review_on"),
            submit="Save the team plan",
        )
