from datetime import datetime
from urllib.parse import urlencode

from allauth.account.forms import LoginForm
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fluid, Layout
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from supervision.accounts import identity, limits
from supervision.models import IdentityFailure
from supervision.organisation import audit
from supervision.organisation.plain_text import PlainTextChecks


class SignInForm(PlainTextChecks, LoginForm):
    """Email and password. An unknown email and a wrong password get the same message, so the
    form never reveals who has an account."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"] = forms.EmailField(
            label="Email address",
            widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
            error_messages={
                "required": "Enter your email address",
                "invalid": "Enter an email address in the correct format, like name@example.org",
            },
        )
        self.fields["password"] = forms.CharField(
            label="Password",
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
            error_messages={"required": "Enter your password"},
        )
        self.order_fields(["login", "password"])
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template owns the <form>, its action and CSRF token
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.text("login", field_width=Fluid.TWO_THIRDS),
            Field.text("password", field_width=Fluid.TWO_THIRDS),
            Button("submit", "Sign in"),
        )


class ProvesIdentity:
    """A signing form's `password` field, asked for by the signer's strongest means
    (supervision.accounts.identity): their security key or passkey, or the code of their
    authenticator app, else their password."""

    def __init__(self, *args, signer=None, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        if signer is None:
            return
        asked = identity.proof_asked(signer)
        if asked == "password":
            return
        field = self.fields["password"]
        rest = str(field.help_text).split(". ", 1)[-1]
        if asked == "sso":
            self._ask_for_fresh_sign_in(field, request, rest)
            return
        attrs = {"spellcheck": "false", "autocomplete": "one-time-code"}
        if identity.uses_security_key(signer):
            attrs["data-security-key-options"] = reverse("security-key-options")
        if asked == "key":
            field.label = "Security key or passkey"
            field.help_text = (
                "When you select the button, your browser asks for your security key or "
                f"passkey. {rest}"
            )
            attrs["readonly"] = "readonly"
        else:
            field.label = "Code from your authenticator app"
            field.help_text = (
                "Enter the code your authenticator app shows now, or one of your recovery "
                f"codes. {rest}"
            )
            attrs["inputmode"] = "numeric"
        field.widget = forms.TextInput(attrs=attrs)
        field.error_messages = {**field.error_messages, "required": identity.MISSING[asked]}

    def _ask_for_fresh_sign_in(self, field, request, rest: str) -> None:
        """No password here and no second factor: they sign in again with the organisation's
        directory (a fresh sign-in, prompt=login) and come back to sign."""

        field.required = False
        field.label = "Who you are"
        found = identity.confirmation(request)
        if found is not None:
            at = timezone.localtime(datetime.fromisoformat(found["at"]))
            self.initial["password"] = f"Confirmed with {identity.sso_name()} at {at:%H:%M}"
            field.help_text = rest
        else:
            start = reverse("council_sso_login", kwargs={"provider_id": settings.SSO_PROVIDER_ID})
            query = urlencode(
                {"action": "reauthenticate", "process": "login", "next": request.get_full_path()}
            )
            field.help_text = format_html(
                '<a class="govuk-link" href="{}?{}">Sign in with {} again</a> to confirm it '
                "is you, then come back here to sign. {}",
                start,
                query,
                identity.sso_name(),
                rest,
            )
        field.widget = forms.TextInput(attrs={"readonly": "readonly"})


class _CodeChecks:
    """The code step of signing in, and "confirm it is you": the same limits on guessing as
    passwords, and every failure audited."""

    purpose = IdentityFailure.Purpose.SIGN_IN

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Code from your authenticator app"
        self.fields["code"].help_text = (
            "The 6 numbers your app shows now. If you do not have your phone, enter one of your "
            "recovery codes."
        )
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "spellcheck": "false", "placeholder": ""}
        )
        self.fields["code"].error_messages["required"] = (
            "Enter the code from your authenticator app"
        )

    def clean_code(self):
        request = context.request
        attempt = limits.Attempt.from_request(request, self.user.email, self.purpose)
        wait = limits.wait_before(attempt)
        if wait:
            limits.refusal_audit(attempt, wait, request=request, actor=self.user)
            raise forms.ValidationError(limits.wait_message(wait))
        try:
            return super().clean_code()
        except forms.ValidationError:
            limits.failure_record(attempt)
            audit.record(
                audit.AuditAction.SIGN_IN_FAILED,
                request=request,
                actor=self.user,
                detail={"email": attempt.account, "purpose": attempt.purpose, "step": "code"},
            )
            raise forms.ValidationError(
                "The code is not right. Enter the code your app shows now, or a recovery code"
            ) from None


class TwoFactorCodeForm(PlainTextChecks, _CodeChecks, AuthenticateForm):
    pass


class TwoFactorReauthenticateForm(PlainTextChecks, _CodeChecks, ReauthenticateForm):
    purpose = IdentityFailure.Purpose.CONFIRM
