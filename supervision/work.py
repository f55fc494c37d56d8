"""Running background work kept as rows (supervision.models.work): queuing it after the
transaction that wrote it, a worker taking it under a lease, finishing it only while the lease
is still its own, failing an attempt with back-off, giving up, trying again at a person's
request, and the janitor that hands the broker whatever it lost.

A crash, a dead broker or a killed worker delays work, never loses it: the row says what is
owed, and the janitor (every minute) queues again whatever has waited too long or whose
worker is gone. A task delivered twice, or to two workers, is done once: taking the work is a
conditional update, and so is finishing it.
"""

import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from supervision.organisation import audit, broker

logger = logging.getLogger(__name__)

# Every kind of queued work, for the janitor.
KINDS = ("supervision.RecordPdfWork", "oversight.Export", "oversight.SubjectAccessExport")
# A task handed to the broker this long ago and still waiting was lost with the broker (a
# Redis restarted without its data): it is handed over again.
HAND_AGAIN_AFTER = timedelta(minutes=2)
# After a failed attempt, the next waits this long, doubled each time, up to the longest.
FIRST_BACK_OFF = timedelta(minutes=1)
LONGEST_BACK_OFF = timedelta(minutes=30)
# The lease outlasts the task's hard time limit by this much: by the time it ends, the worker
# has either finished or been stopped.
LEASE_MARGIN = timedelta(seconds=30)


class PermanentFailure(Exception):
    """An attempt that would fail the same way again: the work fails now, with this message
    for the person, and is not tried again by itself."""


def time_limits(model) -> tuple[int, int]:
    """(soft, hard) seconds for one attempt of this kind of work."""
    return tuple(settings.BACKGROUND_WORK_LIMITS[model.LIMITS_KEY])


def lease_length(model) -> timedelta:
    return timedelta(seconds=time_limits(model)[1]) + LEASE_MARGIN


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def queue(work) -> None:
    """Hand the work to a worker once the transaction that wrote it commits. If the broker is
    down then, the row waits and the janitor hands it over later."""
    model, pk = type(work), work.pk
    transaction.on_commit(lambda: publish(model, pk), robust=True)


def publish(model, pk) -> bool:
    # By name: the tasks are entry points, above this layer.
    if not broker.hand_over(
        model.TASK_NAME, args=[pk], queue=settings.BACKGROUND_WORK_QUEUE or None
    ):
        return False
    model.objects.filter(pk=pk).update(queued_at=timezone.now())
    return True


def claim(model, pk):
    """Take the work for this process, or None if it is done, failed, backing off, or held by
    a worker whose lease still runs and whose process is alive."""
    now = timezone.now()
    takeable = Q(status=model.WAITING) & (Q(not_before__isnull=True) | Q(not_before__lte=now))
    takeable |= Q(status=model.RUNNING) & _lapsed(now)
    if _take(model, model.objects.filter(pk=pk).filter(takeable), now):
        return model.objects.get(pk=pk)
    # A worker killed on this machine (the out-of-memory killer) had it: its message comes
    # back at once (task_reject_on_worker_lost), and need not wait for the lease to end.
    held = model.objects.filter(pk=pk, status=model.RUNNING).first()
    if held is not None and _owner_is_dead(held.lease_owner):
        rows = model.objects.filter(
            pk=pk, status=model.RUNNING, lease_owner=held.lease_owner, attempts=held.attempts
        )
        if _take(model, rows, now):
            logger.warning(
                "%s %s taken over from %s, which died", model.__name__, pk, held.lease_owner
            )
            return model.objects.get(pk=pk)
    return None


def _lapsed(now) -> Q:
    # No lease at all: running since before leases (an export "being made" for ever by a
    # worker that died under an earlier version), so long gone.
    return Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True)


def _take(model, rows, now) -> bool:
    return bool(
        rows.update(
            status=model.RUNNING,
            attempts=F("attempts") + 1,
            lease_expires_at=now + lease_length(model),
            lease_owner=this_process(),
            not_before=None,
        )
    )


def _owner_is_dead(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _held(work):
    """The rows of this work while this attempt still holds it: a worker whose lease ran out
    and was taken over must not finish or fail what another is doing."""
    return type(work).objects.filter(
        pk=work.pk, status=work.RUNNING, lease_owner=work.lease_owner, attempts=work.attempts
    )


def finish(work, **fields) -> bool:
    """Mark the work done with what it made, if this attempt still holds it. False means it
    was taken over: the caller discards what it made."""
    return bool(
        _held(work).update(
            status=work.DONE, lease_expires_at=None, finished_at=timezone.now(), **fields
        )
    )


def back_off(attempts: int) -> timedelta:
    return min(FIRST_BACK_OFF * 2 ** max(0, attempts - 1), LONGEST_BACK_OFF)


def attempt_failed(work, error: BaseException) -> str:
    """After an attempt that raised: wait and try again, or, after the last attempt or a
    PermanentFailure, fail for good with a message for the person. Returns the new status."""
    now = timezone.now()
    attempts_allowed = settings.BACKGROUND_WORK_ATTEMPTS
    if isinstance(error, PermanentFailure) or work.attempts >= attempts_allowed:
        message = str(error) if isinstance(error, PermanentFailure) else work.GAVE_UP
        _held(work).update(
            status=work.FAILED,
            lease_expires_at=None,
            error=message[:500],
            finished_at=now,
        )
        return work.FAILED
    _held(work).update(
        status=work.WAITING, lease_expires_at=None, not_before=now + back_off(work.attempts)
    )
    return work.WAITING


def run(model, pk, make) -> str | None:
    """What each task does: take the work, `make(work)` it, and record how it went. `make`
    finishes the work itself (with finish()); whatever it raises fails the attempt. Returns
    the work's status after, or None if this delivery had nothing to do."""
    work = claim(model, pk)
    if work is None:
        logger.info("%s %s: nothing to do for this delivery", model.__name__, pk)
        return None
    try:
        make(work)
    except Exception as error:  # noqa: BLE001 - every failure is counted and told
        _drop_broken_connections()
        if not isinstance(error, PermanentFailure):
            logger.exception("%s %s: attempt %s failed", model.__name__, pk, work.attempts)
        return attempt_failed(work, error)
    return model.objects.filter(pk=pk).values_list("status", flat=True).first()


def _drop_broken_connections() -> None:
    # A connection the failure broke (PostgreSQL restarted) is dropped, so recording the
    # failure opens a fresh one. Never one inside a transaction: that is the caller's.
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


@transaction.atomic
def try_again(work, *, by, request=None) -> bool:
    """A person's "Try again" on failed work: it waits for a worker afresh, with every attempt
    to come. False if it had not failed (a second click, or it was already tried again)."""
    model = type(work)
    if not model.objects.filter(pk=work.pk, status=model.FAILED).update(
        status=model.WAITING,
        attempts=0,
        error="",
        not_before=None,
        lease_expires_at=None,
        lease_owner="",
        finished_at=None,
    ):
        return False
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type=model._meta.model_name,
        object_id=work.pk,
        detail={"event": "tried again"},
    )
    queue(work)
    return True


@dataclass
class Swept:
    handed_again: int = 0
    freed: int = 0
    failed: int = 0


def sweep(now=None) -> Swept:
    """The janitor, every minute: work whose lease ran out (its worker died or hung) waits
    again, or fails if that was its last attempt; work waiting with no delivery in sight is
    handed to the broker again."""
    now = now or timezone.now()
    swept = Swept()
    for label in KINDS:
        model = apps.get_model(label)
        for work in model.objects.filter(Q(status=model.RUNNING) & _lapsed(now)):
            if work.attempts >= settings.BACKGROUND_WORK_ATTEMPTS:
                swept.failed += _held(work).update(
                    status=model.FAILED,
                    lease_expires_at=None,
                    error=model.GAVE_UP,
                    finished_at=now,
                )
            else:
                swept.freed += _held(work).update(
                    status=model.WAITING, lease_expires_at=None, not_before=now
                )
        due = model.objects.filter(status=model.WAITING).filter(
            Q(not_before__isnull=True) | Q(not_before__lte=now)
        )
        # Never handed over, handed over long ago and never taken, or backing off since its
        # last delivery was taken (queued before the back-off began).
        due = due.filter(
            Q(queued_at__isnull=True)
            | Q(queued_at__lt=now - HAND_AGAIN_AFTER)
            | Q(queued_at__lt=F("not_before"))
        )
        for pk in due.values_list("pk", flat=True):
            swept.handed_again += publish(model, pk)
    return swept
