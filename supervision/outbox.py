"""Writing an email: a row in the outbox (oversight.models.Notification), in the transaction
that causes it, so the email exists exactly when what it tells of does. The outbox job
(oversight.notices.outbox) sends it, with retries, whether the mail server and the broker are
up now or only later; it is asked to run as soon as the transaction commits, and runs every
five minutes besides."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from oversight.models import Notification
from supervision.organisation import broker

SEND_TASK = "oversight.tasks.notifications_send"


def write_email(
    kind: str,
    *,
    to=None,
    address: str = "",
    subject: str,
    body: str,
    attachment: tuple[str, str, str] | None = None,
) -> Notification:
    """One email to one person (`to`), or to an address that is nobody's account.
    `attachment` is (file name, content type, text)."""
    name, content_type, content = attachment or ("", "", "")
    notice = Notification.objects.create(
        kind=kind,
        recipient=to,
        address=address,
        subject=subject[:200],
        body=body,
        created_at=timezone.now(),
        attachment_name=name,
        attachment_type=content_type,
        attachment=content,
    )
    transaction.on_commit(_send_soon, robust=True)
    return notice


def write_checkpoint_email(checkpoint) -> Notification | None:
    """An audit checkpoint to its keeper (AUDIT_CHECKPOINT_EMAIL), if one is named: a copy of
    the line kept where whoever holds the database cannot reach it."""
    if not settings.AUDIT_CHECKPOINT_EMAIL:
        return None
    return write_email(
        Notification.Kind.AUDIT_CHECKPOINT,
        address=settings.AUDIT_CHECKPOINT_EMAIL,
        subject=f"Audit checkpoint #{checkpoint.sequence}",
        body="Keep this line: it proves what the audit trail held when it was signed.\n\n"
        f"{checkpoint.as_line()}\n",
    )


def _send_soon() -> None:
    # By name: the task is an entry point, above this layer. Many emails in one transaction
    # ask more than once; the outbox claims each email, so asking twice sends nothing twice.
    # If the broker cannot take it, the scheduled run sends it within five minutes.
    broker.hand_over(SEND_TASK)
