from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fluid, Layout, Size
from django import forms
from django.contrib.auth.forms import AuthenticationForm

from supervision.models import User
from supervision.organisation.plain_text import PlainTextChecks, PlainTextForm
from supervision.web.date_input import DateInputField


class SignInForm(PlainTextChecks, AuthenticationForm):
    """Email and password. An unknown email and a wrong password get the same message, so the
    form never reveals who has an account."""

    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password"},
    )
    error_messages = {
        "invalid_login": "Enter a correct email address and password",
        "inactive": "Enter a correct email address and password",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template owns the <form>, its action and CSRF token
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.text("username", field_width=Fluid.TWO_THIRDS),
            Field.text("password", field_width=Fluid.TWO_THIRDS),
            Button("submit", "Sign in"),
        )

    def confirm_login_allowed(self, user):
        if not user.is_active:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class ChangeSupervisorForm(PlainTextForm):
    new_supervisor = forms.ModelChoiceField(
        queryset=None,
        label="New line supervisor",
        empty_label="Choose a supervisor",
        error_messages={"required": "Choose the new line supervisor"},
    )
    on = DateInputField(
        label="Date the new supervisor takes over",
        help_text="For example, 5 3 2026. The current supervision ends the day before.",
    )

    def __init__(self, *args, supervisee, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_supervisor"].queryset = (
            User.objects.filter(is_active=True, profile__is_active=True)
            .exclude(pk=supervisee.pk)
            .select_related("profile__job_role")
            .order_by("full_name")
        )
        self.fields["new_supervisor"].label_from_instance = lambda user: (
            f"{user.full_name} ({user.profile.job_role.name})"
        )
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template owns the <form>, its action and CSRF token
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.select("new_supervisor"),
            Field("on", context={"legend_size": Size.for_legend("s")}),
            Button("submit", "Change supervisor"),
        )


class LeavingForm(PlainTextForm):
    leaving_date = DateInputField(
        label="Last working day",
        help_text="Their file becomes read-only from this day and is kept for the retention "
        "period after it. For example, 31 3 2026",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template owns the <form>, its action and CSRF token
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field("leaving_date", context={"legend_size": Size.for_legend("s")}),
            Button("submit", "Mark as left"),
        )
