import logging
import os
import socket
from dataclasses import asdict
from datetime import datetime

from celery import group, shared_task
from django.db import connection
from django.utils import timezone

from oversight.flags.scheduled import CHUNK, backlog, evaluation_chunks, tick, tick_range
from oversight.notices.notify import digests_write as write
from oversight.notices.outbox import send_due
from oversight.notices.reminders import reminders_write as remind
from oversight.records_management.case_note_retention import list_case_notes_due
from oversight.records_management.retention import list_files_due_for_destruction as list_due

# Tasks queued by the services that own them, defined beside them; imported here so that a
# worker registers them whatever it has loaded. Their names stay "oversight.tasks.…".
from oversight.records_management.subject_access import subject_access_export_build_task
from oversight.reports import home_kept
from oversight.reports.exports import export_build_task

__all__ = ["export_build_task", "subject_access_export_build_task"]


@shared_task(ignore_result=False)
def worker_ping() -> dict:
    """Proves a worker is consuming the queue and can reach the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"pid": os.getpid(), "host": socket.gethostname(), "database": connection.vendor}


@shared_task
def list_files_due_for_destruction() -> dict:
    """Daily (02:30 London, oversight migration 0005): list leavers' files due for
    destruction. Destroys nothing; an administrator confirms each one."""

    batch = list_due()
    return {
        "batch": batch.pk,
        "newly_listed": batch.newly_listed,
        "withdrawn": batch.withdrawn,
        "skipped_on_legal_hold": batch.skipped_on_hold,
    }


logger = logging.getLogger(__name__)


@shared_task
def list_case_notes_due_for_destruction() -> dict:
    """Daily (02:45 London, oversight migration 0023): list children whose case notes are past
    the policy pack's retention date. Destroys nothing; an administrator confirms each one."""
    return list_case_notes_due()


@shared_task
def home_notes_compact() -> dict:
    """Hourly (oversight migration 0027): each person's many notes of writes made one, so a
    home page's check of what changed reads few rows (oversight.reports.home_kept)."""
    return {"people": home_kept.compact()}


@shared_task
def flags_tick() -> dict:
    """Every 15 minutes (oversight migration 0009): raise and resolve overdue flags for the
    people and children whose next check has come. Safe to run twice or on two workers.

    A backlog (a pack chosen, an import, everyone's daily recheck falling together) is shared
    among the workers as chunks (`flags_share`); what a lost chunk leaves due, the next tick
    takes."""

    if backlog():
        try:
            return {"chunks": flags_share()}
        except Exception:  # noqa: BLE001 - the broker failed: this worker does it all
            logger.exception("Could not share the flag evaluation; running it here")
    return asdict(tick())


def flags_share(now: datetime | None = None, queue: str | None = None, size: int = CHUNK) -> int:
    """Hand a full evaluation to the workers as a group of chunks (`flags_tick_chunk`), each
    claiming its rows as the tick does, so each person and child is judged once whichever
    worker takes it. Each chunk judges at the moment it runs (the flags it raises are dated
    then, as the digests expect), unless `now` is given. Returns the number of chunks."""
    chunks = evaluation_chunks(now or timezone.now(), size)
    at = now.isoformat() if now else None
    options = {"queue": queue} if queue else {}
    group(flags_tick_chunk.s(label, first, last, at) for label, first, last in chunks).apply_async(
        **options
    )
    return len(chunks)


@shared_task
def flags_tick_chunk(label: str, first: int, last: int, now: str | None = None) -> dict:
    """One chunk of a shared full evaluation: the people or children with pks from `first` to
    `last` whose check has come, judged as the tick judges them."""
    moment = datetime.fromisoformat(now) if now else None
    return asdict(tick_range(label, first, last, moment))


@shared_task
def notifications_send() -> dict:
    """Every 5 minutes (oversight migration 0009): send what waits in the outbox. Each notice
    is claimed by a conditional update before sending, so two workers never send one twice."""

    result = send_due()
    return {"claimed": result.claimed, "sent": result.sent, "failed": result.failed}


@shared_task
def reminders_write() -> dict:
    """Daily at 06:30 London (oversight migration 0019): tell people of sessions, write-ups
    and sign-offs coming due, then send the emails of those who want one each; the 07:00
    digests carry the others. One reminder per person, item and due date ever, so a second run
    (or a retry) tells nobody again."""

    written = remind()
    sent = send_due()
    return asdict(written) | {"sent": sent.sent}


@shared_task
def digests_write() -> dict:
    """Daily at 07:00 London (oversight migration 0009): write the daily digests, and on
    Mondays the weekly ones for senior managers, then send them. Writing is once per person per
    period, so a second run (or a retry) writes and sends nothing more."""

    written = write()
    sent = send_due()
    return {"daily": written.daily, "weekly": written.weekly, "sent": sent.sent}
