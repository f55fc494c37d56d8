"""The organisation's rules, put where django-allauth asks for them.

- Nobody registers: accounts come from the organisation (an import, or an administrator).
- A password is looked at only if the limits on guessing allow (`limits`), and every failure
  is counted and audited.
- Single sign-on signs in the account whose address the directory vouches for, if it is open
  and its person has not left; anyone else is refused with a page saying so, and audited.
  Nothing is created by signing in."""

from __future__ import annotations

import base64
import hashlib
import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.shortcuts import render

from access.people import has_left
from supervision.accounts import identity, limits, policy
from supervision.models import IdentityFailure, User
from supervision.organisation import audit


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": "Enter a correct email address and password",
        "incorrect_password": "The password is not correct. Enter your password",
        "too_many_login_attempts": "There have been too many tries. Wait a few minutes",
    }

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_client_ip(self, request) -> str:
        return audit.client_address(request) or "unknown"

    def authenticate(self, request, **credentials):
        login = credentials.get("email") or credentials.get("username") or ""
        attempt = limits.Attempt.from_request(request, login, IdentityFailure.Purpose.SIGN_IN)
        wait = limits.wait_before(attempt)
        if wait:
            limits.refusal_audit(attempt, wait, request=request)
            raise ValidationError(limits.wait_message(wait))
        # Django's own authenticate: the backend matches the address in any case, refuses
        # leavers, and a failure sends the signal that audits it (supervision.signals).
        user = authenticate(request, email=login.strip(), password=credentials.get("password"))
        if user is None:
            limits.failure_record(attempt)
            return None
        if not policy.may_use_password(user):
            audit.record(
                audit.AuditAction.SIGN_IN_FAILED,
                request=request,
                detail={"email": attempt.account, "refused": "single sign-on only"},
            )
            raise ValidationError(f"Sign in with {settings.SSO_NAME} instead")
        request._trusted_device_for = attempt.account
        return user

    def reauthenticate(self, user, password: str) -> bool:
        # allauth's "confirm it is you" page: the same limits as signing in.
        from_request = getattr(self, "request", None)
        attempt = limits.Attempt.from_request(
            from_request, user.email, IdentityFailure.Purpose.CONFIRM
        )
        wait = limits.wait_before(attempt)
        if wait:
            limits.refusal_audit(attempt, wait, request=from_request, actor=user)
            raise ValidationError(limits.wait_message(wait))
        if user.check_password(password) and policy.may_use_password(user):
            return True
        limits.failure_record(attempt)
        audit.record(
            audit.AuditAction.SIGN_IN_FAILED,
            request=from_request,
            actor=user,
            detail={"email": attempt.account, "purpose": attempt.purpose},
        )
        return False

    def send_mail(self, template_prefix, email, context):
        # Every email of this product goes through the outbox (oversight.notices.outbox);
        # allauth's own emails (verification, codes) are switched off in settings.
        raise RuntimeError(f"allauth tried to send {template_prefix!r}; nothing should")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def pre_social_login(self, request, sociallogin):
        claims = sociallogin.account.extra_data.get("id_token") or {}
        sent_nonce = sociallogin.state.get("nonce")
        if not sent_nonce or claims.get("nonce") != sent_nonce:
            refuse_sso(request, reason="the sign-in did not match the one this browser began")
        email = directory_email(claims)
        user = sociallogin.user if sociallogin.is_existing else None
        if user is None and email:
            user = User.objects.select_related("profile").filter(email__iexact=email).first()
        if user is None:
            refuse_sso(request, reason="no account", email=email)
        if not user.is_active or has_left(user):
            refuse_sso(request, reason="account closed", email=email, user=user)
        if sociallogin.state.get("fresh") and not signed_in_just_now(claims):
            refuse_sso(request, reason="the provider did not ask you to sign in again")
        if not sociallogin.is_existing:
            sociallogin.connect(request, user)

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        refuse_sso(request, reason=f"the provider's answer did not hold ({error})", error=exception)


def signed_in_just_now(claims: dict) -> bool:
    """The ID token says the person signed in at the provider moments ago (auth_time)."""

    auth_time = claims.get("auth_time")
    if not isinstance(auth_time, int | float):
        return False
    return time.time() - auth_time <= identity.CONFIRMATION_LASTS.total_seconds()


def directory_email(claims: dict) -> str:
    """The address the directory vouches for: `email` when marked verified; otherwise, since
    the organisation's own directory issues them, `email` or Entra ID's `preferred_username`
    when SSO_TRUST_DIRECTORY_EMAIL is on (it is by default)."""

    email = (claims.get("email") or "").strip()
    if email and claims.get("email_verified") is True:
        return email
    if settings.SSO_TRUST_DIRECTORY_EMAIL:
        return email or (claims.get("preferred_username") or "").strip()
    return ""


def refuse_sso(request, *, reason: str, email: str = "", user=None, error=None):
    audit.record(
        audit.AuditAction.SIGN_IN_FAILED,
        request=request,
        actor=user,
        detail={
            "email": limits.normalised(email),
            "method": "single sign-on",
            "refused": reason,
            **({"error": str(error)[:200]} if error else {}),
        },
    )
    response = render(
        request,
        "account/sso_refused.html",
        {
            "reason": reason,
            "email": email,
            "closed": user is not None,
            "contact": settings.ACCOUNT_CLOSED_CONTACT,
        },
        status=403,
    )
    raise ImmediateHttpResponse(response)


class TwoFactorAdapter(DefaultMFAAdapter):
    """Authenticator-app secrets and recovery-code seeds are kept encrypted, so that reading
    the database (a backup, a report run by an administrator) does not yield anyone's codes."""

    PREFIX = "fernet:"
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": "The code is not right. Enter the code your app shows now, or a "
        "recovery code",
    }

    def generate_authenticator_name(self, user, type) -> str:
        count = policy.Authenticator.objects.filter(user=user, type=type).count()
        return f"Security key {count + 1}"

    def get_totp_issuer(self) -> str:
        return settings.SERVICE_NAME

    def _fernet(self) -> Fernet:
        key = settings.TWO_FACTOR_ENCRYPTION_KEY.encode()
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key).digest()))

    def encrypt(self, text: str) -> str:
        return self.PREFIX + self._fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(self.PREFIX):
            return encrypted_text  # kept before encryption came in
        return self._fernet().decrypt(encrypted_text.removeprefix(self.PREFIX).encode()).decode()

    def can_delete_authenticator(self, authenticator) -> bool:
        """Someone who must have a second factor may not remove their last one."""

        user = authenticator.user
        if not policy.two_factor_required(user):
            return True
        return bool(policy.second_factors(user) - {authenticator.type}) or (
            policy.Authenticator.objects.filter(user=user, type=authenticator.type).count() > 1
        )

    def send_notification_mail(self, *args, **kwargs) -> None:
        return None
