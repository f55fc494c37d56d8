"""Two-factor authentication in tests: an authenticator app with a known secret, and signing
in through the real pages with a code from it, as a person's phone would make it."""

import pyotp
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.cache import cache

from supervision.models import User

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
AUTHENTICATE = "/account/two-factor/authenticate/"


def give_second_factor(user) -> None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)


def code_now(user=None) -> str:
    """The code the app shows now. allauth refuses a code used once already; with the clock
    held still, an earlier test in this process may have used this one for an account with
    the same id, so for `user` it is made fresh."""
    code = pyotp.TOTP(TOTP_SECRET).now()
    if user is not None:
        for authenticator in Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP):
            cache.delete(TOTP(authenticator)._get_used_cache_key(code))
    return code


def sign_in(client, email: str, password: str, **extra):
    """The sign-in page, then the code page when the account has a second factor."""

    response = client.post("/sign-in/", {"login": email, "password": password}, **extra)
    if response.status_code == 302 and response["Location"].startswith(AUTHENTICATE):
        user = User.objects.get(email__iexact=email.strip())
        response = client.post(AUTHENTICATE, {"code": code_now(user)}, **extra)
    return response
