"""The organisation's rules on how people sign in: who must have a second factor, and whether
local passwords are still allowed when single sign-on is on."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.conf import settings

from access.roles import roles_for

EVERYONE = "everyone"
# In the session: this person must set up a second factor before anything else.
SETUP_NEEDED = "two_factor_setup_needed"
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def two_factor_required(user) -> bool:
    """Whether `user` must have a second factor: everyone, or the roles the organisation
    chose (by default those who see most: administrators, auditors, senior managers and
    information governance officers)."""

    required = set(settings.TWO_FACTOR_REQUIRED_FOR)
    if EVERYONE in required:
        return True
    roles = roles_for(user)
    return any(getattr(roles, name, False) for name in required)


def second_factors(user) -> set[str]:
    return set(
        Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS).values_list(
            "type", flat=True
        )
    )


def may_use_password(user) -> bool:
    """With single sign-on the only way in, a password opens only the break-glass account: an
    administrator with a second factor."""

    if not settings.SSO_ONLY:
        return True
    return bool(user.is_staff and second_factors(user))


def sso_configured() -> bool:
    return bool(settings.SOCIALACCOUNT_PROVIDERS["council_sso"]["APPS"])


def setup_needed(user) -> bool:
    return two_factor_required(user) and not second_factors(user)
