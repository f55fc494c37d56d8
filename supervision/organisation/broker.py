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
_last_sender: threading.Thread | None = None


def hand_over(task_name: str, *, args=(), queue: str | None = None) -> bool:
    """Queue the task by name, results never read. False if the broker did not take it within
    WAIT_SECONDS, or failed moments ago."""
    global _resting_until
    global _last_sender
    if time.monotonic() < _resting_until:
        logger.info("%s not handed over: the broker failed moments ago", task_name)
        return False
    if _last_sender is not None and _last_sender.is_alive():
        # The hand-over before this one has not been answered yet: the broker is slow or
        # frozen, and waiting again would only double the caller's wait.
        logger.info("%s not handed over: the broker has not answered the last one", task_name)
        return False
    outcome = {}

    def publish():
        global _resting_until
        try:
            # No retry here (the row is the retry); without ignore_result, publishing would
            # first subscribe to the result store, and a frozen Redis holds it there.
            current_app.send_task(
                task_name, args=list(args), ignore_result=True, queue=queue or None, retry=False
            )
            outcome["sent"] = True
        except Exception as error:  # noqa: BLE001 - whatever the client raises, the row waits
            outcome["error"] = error
            # Only a broker that failed is let be; a slow one (a first connection on a busy
            # machine) may yet take the task after the caller stopped waiting.
            _resting_until = time.monotonic() + RESTING_SECONDS

    sender = threading.Thread(target=publish, name=f"hand over {task_name}", daemon=True)
    sender.start()
    _last_sender = sender
    sender.join(WAIT_SECONDS)
    if outcome.get("sent"):
        return True
    logger.warning(
        "%s could not be handed to the broker now: %s",
        task_name,
        outcome.get("error") or f"no answer within {WAIT_SECONDS} s",
    )
    return False


def rest_over() -> None:
    """Forget a recent failure (for a process that knows the broker is back, and tests)."""
    global _resting_until
    _resting_until = 0.0
