"""Emails about records. They say what happened and link to the page, and never carry record
content: email leaves the organisation's control."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse


def _link(record) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("record", args=[record.session_id])


def _send(subject: str, body: str, to: list[str]) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)


def _record(record_id):
    from .models import SupervisionRecord

    return SupervisionRecord.objects.select_related(
        "session__supervisee", "session__supervisor"
    ).get(pk=record_id)


def _when(record) -> str:
    from django.utils import timezone

    return f"{timezone.localtime(record.session.starts_at):%-d %B %Y}"


def record_shared(record_id: int) -> None:
    record = _record(record_id)
    session = record.session
    _send(
        f"Your supervision record of {_when(record)} is ready to read",
        f"{session.supervisor.full_name} has shared the record of your supervision on "
        f"{_when(record)}.\n\nRead it, then sign it as a correct record or ask for changes:\n"
        f"{_link(record)}\n",
        [session.supervisee.email],
    )


def amendment_requested(record_id: int) -> None:
    record = _record(record_id)
    session = record.session
    _send(
        f"{session.supervisee.full_name} asked for changes to a supervision record",
        f"{session.supervisee.full_name} asked for changes to the record of supervision on "
        f"{_when(record)}.\n\nSee their comments and amend the record:\n{_link(record)}\n",
        [session.supervisor.email],
    )


def record_signed(record_id: int) -> None:
    record = _record(record_id)
    session = record.session
    _send(
        f"{session.supervisee.full_name} signed a supervision record",
        f"{session.supervisee.full_name} signed the record of supervision on {_when(record)} "
        f"as a correct record.\n\nSign and finalise it:\n{_link(record)}\n",
        [session.supervisor.email],
    )


def record_finalised(record_id: int) -> None:
    record = _record(record_id)
    session = record.session
    _send(
        f"Supervision record of {_when(record)} finalised",
        f"The record of supervision on {_when(record)} between {session.supervisee.full_name} "
        f"and {session.supervisor.full_name} is signed by both and finalised. It can no longer "
        f"be changed. Download your signed copy:\n{_link(record)}\n",
        [session.supervisee.email, session.supervisor.email],
    )
