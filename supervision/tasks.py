import logging
from dataclasses import asdict

from celery import shared_task

from supervision.people.leaving import leavers_close as close

# Queued by the record services and defined beside the PDF; imported here so that a worker
# registers it whatever it has loaded. Its name stays "supervision.tasks.record_pdf_generate".
from supervision.records.pdf import record_pdf_generate

__all__ = ["leavers_close", "record_pdf_generate"]

logger = logging.getLogger(__name__)


@shared_task
def leavers_close() -> dict:
    """Daily at 00:05 London (supervision migration 0011): close the accounts of everyone whose
    leaving day has ended. Safe to run again, or on two workers: each change is claimed."""

    return asdict(close())
