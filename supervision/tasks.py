import logging

from celery import shared_task
from django.db import OperationalError

from supervision.models import SupervisionRecord
from supervision.records.pdf import record_pdf_store

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=3)
def record_pdf_generate(self, record_id: int) -> int | None:
    """Make the signed PDF of a finalised record (DOMAIN R9). Queue it on commit of the
    finalising transaction; running it twice stores one PDF."""
    record = SupervisionRecord.objects.filter(pk=record_id).first()
    if record is None:
        logger.warning("No record %s to make a PDF of", record_id)
        return None
    try:
        pdf = record_pdf_store(record)
    except (OperationalError, OSError) as error:
        # A database or disk hiccup passes; a record that fails to render would fail again.
        raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error
    return pdf.pk if pdf is not None else None


@shared_task
def leavers_close() -> dict:
    """Daily at 00:05 London (supervision migration 0011): close the accounts of everyone whose
    leaving day has ended. Safe to run again, or on two workers: each change is claimed."""
    from dataclasses import asdict

    from supervision.people.leaving import leavers_close as close

    return asdict(close())
