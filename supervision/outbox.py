"""Writing an email: a row in the outbox (oversight.models.Notification), in the transaction
that causes it, so the email exists exactly when what it tells of does. The outbox job
(oversight.notices.outbox) sends it, with retries, whether the mail server and the broker are
up now or only later; it is asked to run as soon as the transaction commits, and runs every
five minutes besides."""

import logging

from celery import current_app
from django.db import transaction
from django.utils import timezone

from oversight.models import Notification

logger = logging.getLogger(__name__)

SEND_TASK = "oversight.tasks.notifications_send"


def write_email(
    kind: str,
    *,
    to,
    subject: str,
    body: str,
    attachment: tuple[str, str, str] | None = None,
) -> Notification:
    """One email to one person. `attachment` is (file name, content type, text)."""
    name, content_type, content = attachment or ("", "", "")
    notice = Notification.objects.create(
        kind=kind,
        recipient=to,
        subject=subject[:200],
        body=body,
        created_at=timezone.now(),
        attachment_name=name,
        attachment_type=content_type,
        attachment=content,
    )
    transaction.on_commit(_send_soon, robust=True)
    return notice


def _send_soon() -> None:
    # By name: the task is an entry point, above this layer. Many emails in one transaction
    # ask more than once; the outbox claims each email, so asking twice sends nothing twice.
    try:
        # Without ignore_result, publishing first subscribes to the result store, and a
        # frozen Redis holds it there for 40 seconds.
        current_app.send_task(SEND_TASK, ignore_result=True)
    except Exception:  # noqa: BLE001 - the scheduled run sends it within five minutes
        logger.warning("The outbox could not be asked to send now", exc_info=True)
