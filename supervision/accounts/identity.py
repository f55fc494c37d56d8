"""Confirming who someone is at the moment they sign (a record, an agreement, a case note,
a disagreement, an addendum), by the strongest means they have: a security key or passkey,
the code of their authenticator app (or a recovery code), a fresh sign-in with the
organisation's directory when they have neither and no password here, else their password.

Tries are limited and audited as signing in is (`limits`): a stolen session does not yield
the password or the code. The check runs before the signing service opens its transaction,
so a failure is counted and audited even though the service then writes nothing."""

from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.webauthn.internal.auth import complete_authentication
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from supervision.accounts import limits, policy
from supervision.models import IdentityFailure
from supervision.organisation import audit


class Method:
    """How the signer proved who they were, as the signature and its PDF record it."""

    PASSWORD = "Password re-entered in the browser"
    AUTHENTICATOR_APP = "Code from an authenticator app"
    RECOVERY_CODE = "Recovery code"
    SECURITY_KEY = "Security key or passkey"


def uses_security_key(user) -> bool:
    return Authenticator.Type.WEBAUTHN in policy.second_factors(user)


def proof_asked(user) -> str:
    """ "key" (a security key or passkey only), "code" (an authenticator app, perhaps a key
    too), "password", or "sso" for someone with neither a second factor nor a password here,
    who signs in only through the organisation's directory and confirms it is them there."""

    factors = policy.second_factors(user)
    if Authenticator.Type.TOTP in factors:
        return "code"
    if factors:
        return "key"
    return "password" if user.has_usable_password() else "sso"


# A fresh sign-in through single sign-on, asked for to sign (prompt=login): in the session for
# a few minutes, good for one signature.
CONFIRMED = "identity_confirmed"
CONFIRMATION_LASTS = timedelta(minutes=5)


def confirmation_record(request, method: str) -> None:
    request.session[CONFIRMED] = {"method": method, "at": timezone.now().isoformat()}


def confirmation(request) -> dict | None:
    """The fresh confirmation waiting in the session, if any and not too old."""

    found = request.session.get(CONFIRMED) if request is not None else None
    if not found:
        return None
    at = datetime.fromisoformat(found["at"])
    return found if timezone.now() - at <= CONFIRMATION_LASTS else None


def sso_name() -> str:
    apps = settings.SOCIALACCOUNT_PROVIDERS["council_sso"]["APPS"]
    return apps[0]["name"] if apps else settings.SSO_NAME


def sso_method() -> str:
    return f"Fresh sign-in with {sso_name()}"


MISSING = {
    "sso": "Confirm who you are with your organisation's sign-in first, then sign",
    "code": "Enter the code from your authenticator app to sign",
    "key": "Use your security key or passkey to sign",
    "password": "Enter your password to sign",
}
WRONG = {
    "code": "The code is not right. Enter the code your authenticator app shows now, or a "
    "recovery code",
    "key": "Your security key or passkey was not accepted. Try again",
    "password": "The password is not correct. Enter your password to sign",
}


def _check_security_key(user, proof: str) -> str | None:
    try:
        complete_authentication(user, json.loads(proof))
    except (ValueError, TypeError, ValidationError):
        return None
    return Method.SECURITY_KEY


def _check(user, proof: str, asked: str) -> str | None:
    if asked == "password":
        return Method.PASSWORD if user.check_password(proof) else None
    if proof.lstrip().startswith("{"):
        return _check_security_key(user, proof) if uses_security_key(user) else None
    code = proof.strip().replace(" ", "")
    for authenticator in Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
    ):
        if authenticator.type == Authenticator.Type.TOTP:
            if TOTP(authenticator).validate_code(code):
                return Method.AUTHENTICATOR_APP
        elif RecoveryCodes(authenticator).validate_code(code):
            return Method.RECOVERY_CODE
    return None


def confirm(user, proof: str, *, request=None) -> str:
    """The method by which `user` proved who they are with `proof`; a ValidationError on
    the `password` field (the form's name for it) if they did not."""

    asked = proof_asked(user)
    if asked == "sso":
        # Nothing to guess here: the directory checked who they are, moments ago.
        if confirmation(request) is None:
            raise ValidationError({"password": MISSING[asked]})
        return request.session.pop(CONFIRMED)["method"]
    if not proof:
        raise ValidationError({"password": MISSING[asked]})
    attempt = limits.Attempt.from_request(request, user.email, IdentityFailure.Purpose.CONFIRM)
    wait = limits.wait_before(attempt)
    if wait:
        limits.refusal_audit(attempt, wait, request=request, actor=user)
        raise ValidationError({"password": limits.wait_message(wait)})
    method = _check(user, proof, asked)
    if method is None:
        limits.failure_record(attempt)
        audit.record(
            audit.AuditAction.SIGN_IN_FAILED,
            request=request,
            actor=user,
            detail={"email": attempt.account, "purpose": attempt.purpose},
        )
        raise ValidationError({"password": WRONG[asked]})
    return method


def confirmed_first(service):
    """For a signing service taking `password` and `by`: confirm who `by` is before the
    service's own transaction opens, and hand it the method as `identity_method`."""

    @functools.wraps(service)
    def confirmed(*args, password: str, by, request=None, **kwargs):
        method = confirm(by, password, request=request)
        return service(*args, by=by, request=request, identity_method=method, **kwargs)

    return confirmed
