"""Handing a task to the broker (Redis) so that a dead or frozen one costs a request one short
timeout, never one per task and never a hang. Everything handed over here is already a row
(an email in the outbox, a piece of background work), so a failed hand-over delays the task
and loses nothing: the row waits, and the scheduled jobs hand it over again.

After a failure, this process does not try the broker again for `RESTING_SECONDS`: a request
that finalises a record and writes two emails would otherwise wait out the timeout three
times."""

import logging
import time

from celery import current_app

logger = logging.getLogger(__name__)

RESTING_SECONDS = 30
_resting_until = 0.0


def hand_over(task_name: str, *, args=(), queue: str | None = None) -> bool:
    """Queue the task by name, results never read. False if the broker could not take it."""
    global _resting_until
    if time.monotonic() < _resting_until:
        logger.info("%s not handed over: the broker failed moments ago", task_name)
        return False
    try:
        # No retry here (the row is the retry); without ignore_result, publishing would first
        # subscribe to the result store, and a frozen Redis holds it there.
        current_app.send_task(
            task_name, args=list(args), ignore_result=True, queue=queue or None, retry=False
        )
    except Exception:  # noqa: BLE001 - whatever the broker's client raises, the row waits
        _resting_until = time.monotonic() + RESTING_SECONDS
        logger.warning("%s could not be handed to the broker now", task_name, exc_info=True)
        return False
    return True


def rest_over() -> None:
    """Forget a recent failure (for a process that knows the broker is back, and tests)."""
    global _resting_until
    _resting_until = 0.0
