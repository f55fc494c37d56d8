"""Sending what waits in the outbox.

Each notice is claimed before it is sent and marked after: `claimed_at` is written (and
committed) by a conditional UPDATE that must change exactly one row, so two workers, or a
retried task, never send the same notice twice; then `sent_at`, or `failed_at` and the error.

The states of a notice, all from the fields it already has:
- waiting: not claimed, not sent, never failed;
- being sent: `claimed_at` set, not sent. If the worker dies here, the claim lapses after
  `CLAIM_LEASE` and the notice may be claimed again. The email may or may not have left: we
  cannot know, so it is sent again (at least once, rather than perhaps never), and the lapse is
  written in `error` and counts as an attempt;
- failed: `failed_at` set, claim released. `error` keeps one line per failed attempt, so its
  number of lines is the number of attempts made. A failed notice is tried again after
  `RETRY_AFTER[attempts - 1]` (15 minutes, then 1 hour, then 4 hours): retried up to 3 times,
  so 4 attempts in all, after which it stays failed for an administrator to look at;
- sent: `sent_at` set. Earlier failures stay in `error` as history.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Length, Replace
from django.utils import timezone

from oversight.models import CLAIM_LEASE, Notification
from supervision.people.passwords import body_to_send

logger = logging.getLogger(__name__)

RETRY_AFTER = (timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))
MAX_ATTEMPTS = len(RETRY_AFTER) + 1
ERROR_LINE_LENGTH = 300


@dataclass
class SendResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0


def _attempts():
    # The number of lines in `error`; each failed or lapsed attempt writes exactly one.
    return Length("error") - Length(Replace("error", Value("\n"), Value("")))


def _error_line(now: datetime, attempt: int, what: str) -> str:
    what = " ".join(str(what).split())  # one line, whatever the exception said
    line = f"{now:%Y-%m-%d %H:%M:%S%z} attempt {attempt}: {what}"
    return line[:ERROR_LINE_LENGTH] + "\n"


def attempts_made(notice: Notification) -> int:
    return notice.error.count("\n")


def due_now(now: datetime):
    """The notices to try now: waiting, failed and past their wait, or with a lapsed claim."""
    waiting = Q(claimed_at__isnull=True, failed_at__isnull=True)
    retry = Q()
    for attempts, wait in enumerate(RETRY_AFTER, start=1):
        retry |= Q(attempts=attempts, failed_at__lte=now - wait)
    retry &= Q(claimed_at__isnull=True, failed_at__isnull=False)
    lapsed = Q(claimed_at__lt=now - CLAIM_LEASE, attempts__lt=MAX_ATTEMPTS)
    return (
        Notification.objects.filter(sent_at__isnull=True)
        .annotate(attempts=_attempts())
        .filter(waiting | retry | lapsed)
    )


def _claim(notice: Notification, now: datetime) -> bool:
    """Take this notice for this worker. The UPDATE names the state we read: if any other
    worker has claimed, sent or failed it since, no row matches and we leave it alone."""
    changes = {"claimed_at": now}
    if notice.claimed_at is not None:
        changes["error"] = Concat(
            F("error"),
            Value(
                _error_line(
                    now,
                    attempts_made(notice) + 1,
                    "the worker sending it stopped before recording the result",
                )
            ),
        )
    claimed = Notification.objects.filter(
        pk=notice.pk,
        sent_at__isnull=True,
        claimed_at=notice.claimed_at,
        failed_at=notice.failed_at,
    ).update(**changes)
    return claimed == 1


def send_due(now: datetime | None = None, limit: int = 200) -> SendResult:
    """Send the notices due now, oldest first. Must not run inside a transaction: each claim
    has to be committed before its email leaves, so a second worker sees it."""
    now = now or timezone.now()
    result = SendResult()
    notices = list(
        due_now(now)
        .select_related("recipient")
        .order_by("created_at", "pk")
        .only(
            "pk",
            "kind",
            "subject",
            "body",
            "claimed_at",
            "failed_at",
            "error",
            "attachment_name",
            "attachment_type",
            "attachment",
            "recipient__email",
            "address",
        )[:limit]
    )
    if not notices:
        return result
    connection = get_connection(fail_silently=False)
    try:
        # One connection for the batch where the server allows it; if it cannot be opened now,
        # each send tries again and records its own failure.
        connection.open()
    except Exception as error:  # noqa: BLE001
        logger.warning("Mail server not reachable: %s", error)
    try:
        for notice in notices:
            if not _claim(notice, now):
                continue
            result.claimed += 1
            if _send(notice, connection, now):
                result.sent += 1
            else:
                result.failed += 1
    finally:
        # Closing a broken connection must not hide the outcomes already recorded.
        with contextlib.suppress(Exception):
            connection.close()
    return result


def _body(notice: Notification) -> str:
    if notice.kind == Notification.Kind.SET_PASSWORD:
        # The link to set a password is made now, never stored (supervision.people.passwords).
        return body_to_send(notice)
    return notice.body


def _send(notice: Notification, connection, now: datetime) -> bool:
    try:
        email = EmailMessage(
            subject=notice.subject,
            body=_body(notice),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notice.address or notice.recipient.email],
            connection=connection,
        )
        if notice.attachment_name:
            email.attach(notice.attachment_name, notice.attachment, notice.attachment_type)
        if email.send() != 1:
            raise RuntimeError("the mail server accepted no recipient")
    except Exception as error:  # noqa: BLE001 - any failure is recorded, and the batch goes on
        attempt = attempts_made(notice) + (1 if notice.claimed_at is not None else 0) + 1
        # Only our own claim is released: had it lapsed and another worker taken the notice,
        # that worker records its own outcome.
        Notification.objects.filter(pk=notice.pk, claimed_at=now).update(
            claimed_at=None,
            failed_at=now,
            error=Concat(
                F("error"),
                Value(_error_line(now, attempt, f"{type(error).__name__}: {error}")),
            ),
        )
        return False
    Notification.objects.filter(pk=notice.pk).update(sent_at=now)
    return True
