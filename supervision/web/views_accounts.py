from allauth.mfa.webauthn.internal.auth import begin_authentication
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from supervision.accounts.selectors import sso_origins


@require_GET
@login_required
def security_key_options(request):
    """What the browser needs to ask for one of the signed-in person's security keys or
    passkeys, to sign with it (static/js/signing-key.js). The challenge is kept in the
    session and checked when the signature is made (supervision.accounts.identity)."""

    return JsonResponse({"request_options": begin_authentication(request.user)})


def allow_sso_forms(response):
    """A page with the single sign-on button: its form leads, by a redirect, to the provider,
    which the Content-Security-Policy must allow as a form's destination (the browser checks
    the redirect too)."""
    origins = sso_origins()
    if origins:
        response._csp_update = {"form-action": origins}
    return response
