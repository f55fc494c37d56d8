"""Handing a task to the broker (Redis) so that a dead or frozen one costs a request one short
timeout, never one per task and never a hang. Everything handed over here is already a row
(an email in the outbox, a piece of background work), so a failed hand-over delays the task
and loses nothing: the row waits, and the scheduled jobs hand it over again.

A caller waits at most `WAIT_SECONDS` for the broker. After a failure, this process does not
try the broker again for `RESTING_SECONDS`: a request that finalises a record and writes two
emails would otherwise wait three times; the janitor and the outbox's own schedule hand over
what waited meanwhile."""

import logging
import threading
import time

from celery import current_app

logger = logging.getLogger(__name__)

RESTING_SECONDS = 30
# The longest a caller waits for the broker to take a task. A Redis that answers takes it in a
# millisecond or two; one that is frozen would hold the caller for its socket timeout, and
# kombu may try more than once. The hand-over goes on in the background after this: if it
# succeeds late, the task is delivered twice, which the rows make harmless.
WAIT_SECONDS = 0.5
_resting_until = 0.0
# The hand-over under way in this process, if any, and what callers left for it to hand over
# after its own; both read and changed under the lock.
_lock = threading.Lock()
_sender: threading.Thread | None = None
_waiting: list[tuple[str, list, str | None]] = []


def hand_over(task_name: str, *, args=(), queue: str | None = None) -> bool:
    """Queue the task by name, results never read. False if the broker did not take it within
    WAIT_SECONDS, or failed moments ago."""
    global _sender
    if time.monotonic() < _resting_until:
        logger.info("%s not handed over: the broker failed moments ago", task_name)
        return False
    outcome = {}
    with _lock:
        if _sender is not None:
            # The hand-over before this one has not been answered yet: the broker is slow or
            # frozen, and waiting again would only double the caller's wait. The sender takes
            # this one after its own, if the broker answers it.
            _waiting.append((task_name, list(args), queue))
            logger.info("%s left to the hand-over under way", task_name)
            return False
        # Not a daemon: a short-lived process (a command, a script) finishes handing over
        # before it exits, instead of dropping the task until the janitor's next round.
        _sender = threading.Thread(
            target=_send, args=((task_name, list(args), queue), outcome), name="hand over"
        )
        _sender.start()
        sender = _sender
    sender.join(WAIT_SECONDS)
    if outcome.get("sent"):
        return True
    logger.warning(
        "%s could not be handed to the broker now: %s",
        task_name,
        outcome.get("error") or f"no answer within {WAIT_SECONDS} s",
    )
    return False


def _send(first: tuple[str, list, str | None], outcome: dict) -> None:
    global _sender
    global _resting_until
    task = first
    while True:
        task_name, args, queue = task
        try:
            # No retry here (the row is the retry); without ignore_result, publishing would
            # first subscribe to the result store, and a frozen Redis holds it there.
            current_app.send_task(
                task_name, args=args, ignore_result=True, queue=queue or None, retry=False
            )
            if task is first:
                outcome["sent"] = True
        except Exception as error:  # noqa: BLE001 - whatever the client raises, the row waits
            if task is first:
                outcome["error"] = error
            # Only a broker that failed is let be; a slow one (a first connection on a busy
            # machine) may yet take the task after the caller stopped waiting. What was left
            # for this sender waits in its rows for the janitor.
            _resting_until = time.monotonic() + RESTING_SECONDS
            logger.warning("%s not handed over: %s", task_name, error)
            with _lock:
                _waiting.clear()
                _sender = None
            return
        with _lock:
            if not _waiting:
                _sender = None
                return
            task = _waiting.pop(0)


def rest_over() -> None:
    """Forget a recent failure (for a process that knows the broker is back, and tests)."""
    global _resting_until
    _resting_until = 0.0
