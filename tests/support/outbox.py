"""Emails wait in the outbox until its job sends them (supervision.outbox)."""

from django.core import mail

from oversight.notices.outbox import send_due


def forget_emails() -> None:
    """What a test did before the part it checks: the emails it wrote are sent now and
    forgotten, so they are not taken for emails of the part checked."""
    send_due()
    mail.outbox.clear()
