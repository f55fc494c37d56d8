"""How many guesses anyone gets at a password or a code.

Failures are counted per account (the address typed, case-folded and trimmed, so
`Kevin.Doyle@…` and ` kevin.doyle@…` are one account) and per client address (the one the
trusted proxy saw, `audit.client_address`). The first few cost nothing; after that each next
try must wait twice as long as the one before, and no more than
`SIGN_IN_FAILURES_PER_WINDOW` fit in `SIGN_IN_WINDOW`.

Nobody is locked out for good, and an attacker cannot keep the real person out: a browser in
which the person has signed in before carries a signed trusted-device cookie, and its failures
are counted on their own (the "device cookies" of OWASP's guidance on guessing attacks).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from supervision.models import IdentityFailure
from supervision.organisation import audit

DEVICE_COOKIE = "trusted_device"
DEVICE_COOKIE_AGE = timedelta(days=180)
DEVICE_SALT = "supervision.accounts.trusted-device"
DEVICES_PER_BROWSER = 10
KEPT_FOR = timedelta(days=1)


def normalised(login: str) -> str:
    return (login or "").strip().casefold()


def wait_after(
    failures: list[datetime], now: datetime, *, free: int, most: int, window: timedelta
) -> timedelta:
    """How long to wait before the next try, given the times of the failures so far.

    The first `free` failures in the window cost nothing; the next waits
    `SIGN_IN_FIRST_DELAY`, each one after twice the one before; and once `most` have failed
    in the window, the next waits until the oldest of them has left it."""

    recent = sorted(at for at in failures if at > now - window)
    if len(recent) >= most:
        until = recent[len(recent) - most] + window
    elif len(recent) >= free:
        delay = settings.SIGN_IN_FIRST_DELAY * 2 ** (len(recent) - free)
        until = recent[-1] + min(delay, window)
    else:
        return timedelta(0)
    return max(until - now, timedelta(0))


@dataclass(frozen=True)
class Attempt:
    account: str
    address: str | None
    device: str
    purpose: str

    @classmethod
    def from_request(cls, request, login: str, purpose: str) -> Attempt:
        account = normalised(login)
        return cls(
            account=account,
            address=audit.client_address(request),
            device=trusted_device(request, account),
            purpose=purpose,
        )


def wait_before(attempt: Attempt, now: datetime | None = None) -> timedelta:
    """How long `attempt` must wait before its password or code is even looked at."""

    now = now or timezone.now()
    window = settings.SIGN_IN_WINDOW
    since = IdentityFailure.objects.filter(at__gt=now - window)
    if attempt.device:
        mine = since.filter(device=attempt.device)
    else:
        # Failures from trusted browsers are theirs alone; every other browser shares one count.
        mine = since.filter(account=attempt.account, device="")
    waits = [
        wait_after(
            list(mine.values_list("at", flat=True)),
            now,
            free=settings.SIGN_IN_FREE_FAILURES,
            most=settings.SIGN_IN_FAILURES_PER_WINDOW,
            window=window,
        )
    ]
    if attempt.address:
        waits.append(
            wait_after(
                list(since.filter(address=attempt.address).values_list("at", flat=True)),
                now,
                free=settings.SIGN_IN_ADDRESS_FREE_FAILURES,
                most=settings.SIGN_IN_ADDRESS_FAILURES_PER_WINDOW,
                window=window,
            )
        )
    return max(waits)


def failure_record(attempt: Attempt, now: datetime | None = None) -> None:
    now = now or timezone.now()
    IdentityFailure.objects.filter(at__lt=now - KEPT_FOR).delete()
    IdentityFailure.objects.create(
        at=now,
        account=attempt.account[:254],
        address=attempt.address,
        device=attempt.device,
        purpose=attempt.purpose,
    )


def refusal_audit(attempt: Attempt, wait: timedelta, request=None, actor=None) -> None:
    audit.record(
        audit.AuditAction.SIGN_IN_FAILED,
        request=request,
        actor=actor,
        detail={
            "email": attempt.account,
            "purpose": attempt.purpose,
            "refused": "too many failures",
            "wait_seconds": _whole_seconds(wait),
        },
    )


def _whole_seconds(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))


def wait_message(wait: timedelta) -> str:
    seconds = _whole_seconds(wait)
    if seconds <= 90:
        span = f"{seconds} seconds"
    else:
        minutes = -(-seconds // 60)
        span = f"{minutes} minutes"
    return f"There have been too many tries that were not right. Wait {span}, then try again"


# The trusted-device cookie: which accounts have signed in in this browser, each with an id.


def _devices(request) -> dict[str, str]:
    raw = request.COOKIES.get(DEVICE_COOKIE, "") if request is not None else ""
    if not raw:
        return {}
    try:
        value = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_COOKIE_AGE.total_seconds())
    except signing.BadSignature:
        return {}
    return value if isinstance(value, dict) else {}


def trusted_device(request, account: str) -> str:
    return str(_devices(request).get(account, ""))


def trust_device(request, response, account: str) -> None:
    """After a right password: this browser is known for `account` from now on."""

    devices = _devices(request)
    account = normalised(account)
    devices.pop(account, None)
    devices[account] = secrets.token_urlsafe(16)
    while len(devices) > DEVICES_PER_BROWSER:
        devices.pop(next(iter(devices)))
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(devices, salt=DEVICE_SALT),
        max_age=int(DEVICE_COOKIE_AGE.total_seconds()),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
