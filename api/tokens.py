"""Service accounts and their tokens: making them, issuing a token (shown once), revoking it,
and finding the token a call presents. Each change is one transaction with its audit entry.

A token reads "sr_<prefix>_<secret>": the prefix (10 hex characters) finds the row, the
whole token's SHA-256 proves it. Nothing that could rebuild a token is stored.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from api.models import ApiToken, Scope, ServiceAccount
from supervision.organisation import audit

TOKEN_START = "sr_"


def secret_hash(presented: str) -> str:
    return hashlib.sha256(presented.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    prefix = secrets.token_hex(5)
    return prefix, f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"


def prefix_of(presented: str) -> str | None:
    if not presented.startswith(TOKEN_START):
        return None
    prefix, _, secret = presented[len(TOKEN_START) :].partition("_")
    if len(prefix) != 10 or not secret:
        return None
    return prefix


def token_for(presented: str) -> ApiToken | None:
    """The token row a call presents, usable or not (the caller says why not), or None when
    the token is not one of ours. Compared in constant time."""
    prefix = prefix_of(presented)
    if prefix is None:
        return None
    token = ApiToken.objects.select_related("account").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, secret_hash(presented)):
        return None
    return token


def account_create(
    *, name: str, description: str, scopes: list[str], units, by, request=None
) -> ServiceAccount:
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise ValidationError({"scopes": f"Unknown scopes: {', '.join(sorted(unknown))}"})
    if not scopes:
        raise ValidationError({"scopes": "Choose at least one thing the account may do"})
    units = list(units)
    if not units:
        raise ValidationError({"units": "Choose at least one unit the account may see"})
    if ServiceAccount.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "There is already a service account with this name"})
    with transaction.atomic():
        account = ServiceAccount.objects.create(
            name=name,
            description=description,
            created_by=by,
            **{scope: scope in scopes for scope in Scope.values},
        )
        account.units.set(units)
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="api_service_account",
            object_id=account.pk,
            detail={
                "change": "created",
                "scopes": sorted(scopes),
                "units": sorted(unit.pk for unit in units),
            },
        )
    return account


def token_issue(*, account: ServiceAccount, days: int, by, request=None) -> tuple[ApiToken, str]:
    """A new token for the account, valid for `days`: the row, and the token itself, which is
    shown to the administrator this once and never again."""
    if not account.is_active:
        raise ValidationError({"account": "This service account has been switched off"})
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {"days": f"Enter a number of days from 1 to {settings.API_TOKEN_MAX_DAYS}"}
        )
    now = timezone.now()
    with transaction.atomic():
        prefix, presented = _new_token()
        while ApiToken.objects.filter(prefix=prefix).exists():  # 1 in 10^12; cheap to be sure
            prefix, presented = _new_token()
        token = ApiToken.objects.create(
            account=account,
            prefix=prefix,
            secret_hash=secret_hash(presented),
            created_by=by,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="api_token",
            object_id=token.pk,
            detail={"change": "issued", "account": account.pk, "prefix": prefix, "days": days},
        )
    return token, presented


def token_revoke(*, token: ApiToken, by, request=None) -> ApiToken:
    """Revoked at once: the next call with it is refused (nothing caches a token)."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update(of=("self",)).get(pk=token.pk)
        if token.revoked_at is not None:
            return token
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="api_token",
            object_id=token.pk,
            detail={"change": "revoked", "account": token.account_id, "prefix": token.prefix},
        )
    return token


def account_switch_off(*, account: ServiceAccount, by, request=None) -> ServiceAccount:
    """Every token of the account stops working at once; the account and its history stay."""
    with transaction.atomic():
        account = ServiceAccount.objects.select_for_update().get(pk=account.pk)
        if not account.is_active:
            return account
        account.is_active = False
        account.deactivated_at = timezone.now()
        account.save(update_fields=["is_active", "deactivated_at"])
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="api_service_account",
            object_id=account.pk,
            detail={"change": "switched_off"},
        )
    return account


def token_used(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
