import logging
from dataclasses import asdict

from celery import shared_task

from supervision import work
from supervision.organisation import checkpoints
from supervision.outbox import write_checkpoint_email
from supervision.people.leaving import leavers_close as close

# Queued by the record services and defined beside the PDF; imported here so that a worker
# registers it whatever it has loaded. Its name stays "supervision.tasks.record_pdf_generate".
from supervision.records.pdf import record_pdf_generate

__all__ = ["audit_checkpoint", "background_work_sweep", "leavers_close", "record_pdf_generate"]

logger = logging.getLogger(__name__)


@shared_task
def leavers_close() -> dict:
    """Daily at 00:05 London (supervision migration 0011): close the accounts of everyone whose
    leaving day has ended. Safe to run again, or on two workers: each change is claimed."""

    return asdict(close())


@shared_task(bind=True, max_retries=5)
def audit_checkpoint(self) -> int:
    """Every 15 minutes (supervision migration 0021): sign the audit chain's head and append it
    to the checkpoint log outside the database. Returns the sequence signed. A disk that cannot
    be written is retried; a missing key is logged as an error each time until it is set."""
    try:
        checkpoint = checkpoints.take_checkpoint()
    except checkpoints.CheckpointKeyMissing:
        logger.exception("No audit checkpoint was taken")
        raise
    except OSError as error:
        raise self.retry(exc=error, countdown=60) from error
    # Through the outbox, as every email: a mail server that is down delays it.
    write_checkpoint_email(checkpoint)
    return checkpoint.sequence


@shared_task
def background_work_sweep() -> dict:
    """Every minute (supervision migration 0025): queue again the background work (PDFs,
    exports, subject access) whose worker died or whose broker lost it, and fail for good what
    has had its last attempt. Safe on two workers: each change is a conditional update."""
    return asdict(work.sweep())
