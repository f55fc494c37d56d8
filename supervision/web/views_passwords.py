"""Setting one's own password with an emailed link, and asking for a link
("Forgotten your password?"). Links are made and emailed by `supervision.people.passwords`."""

from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from access.people import may_act
from supervision.accounts.selectors import sso_providers
from supervision.people import passwords
from supervision.web.forms_passwords import PasswordForgottenForm, PasswordSetForm
from supervision.web.views_accounts import allow_sso_forms


@require_http_methods(["GET", "POST"])
def password_forgotten(request):
    form = PasswordForgottenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        passwords.forgotten_password(form.cleaned_data["email"], request=request)
        # The same answer whether or not the address has an account.
        return redirect("password-forgotten-sent")
    return render(request, "registration/password_forgotten.html", {"form": form})


def password_forgotten_sent(request):
    return render(request, "registration/password_forgotten_sent.html")


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The emailed link: Django's reset confirmation, which works for 24 hours and once only.
    A leaver's or a closed account's link does not work."""

    form_class = PasswordSetForm
    template_name = "registration/password_set.html"
    success_url = reverse_lazy("password-set-done")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and may_act(user) else None

    def form_valid(self, form):
        passwords.password_set_by_link(form=form, request=self.request)
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return redirect(self.get_success_url())


def password_set_done(request):
    return render(request, "registration/password_set_done.html")


class InvitationView(PasswordSetView):
    """The invitation a new account is emailed: the same page, for 7 days, with single
    sign-on offered beside the password when the organisation has it."""

    token_generator = passwords.invitation_token_generator

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "invitation": True,
            "sso_providers": sso_providers(self.request),
        }

    def render_to_response(self, context, **kwargs):
        return allow_sso_forms(super().render_to_response(context, **kwargs))
