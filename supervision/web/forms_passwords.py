"""Forms for setting one's own password with an emailed link, and for asking for a link."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fluid, Layout
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import SetPasswordForm

from supervision.organisation.plain_text import PlainTextChecks, PlainTextForm


def _helper(*fields, button: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template owns the <form>, its action and CSRF token
    helper.disable_csrf = True
    helper.layout = Layout(
        *(Field.text(name, field_width=Fluid.TWO_THIRDS) for name in fields),
        Button("submit", button),
    )
    return helper


class PasswordForgottenForm(PlainTextForm):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("email", button="Send me a link")


class PasswordSetForm(PlainTextChecks, SetPasswordForm):
    """The person's own new password, typed twice and checked by the password validators."""

    error_messages = {"password_mismatch": "Enter the same password in both fields"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first, second = self.fields["new_password1"], self.fields["new_password2"]
        first.label = "New password"
        first.help_text = " ".join(password_validation.password_validators_help_texts())
        first.error_messages["required"] = "Enter a new password"
        second.label = "Type the new password again"
        second.help_text = ""
        second.error_messages["required"] = "Type the new password again"
        self.helper = _helper("new_password1", "new_password2", button="Set password")
