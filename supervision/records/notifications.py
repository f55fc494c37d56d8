"""Emails about records. They say what happened and link to the page, and never carry record
content: email leaves the organisation's control."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from access.records import record_editor, record_signatory, signed_as, supervisee_has_gone
from supervision.models import Signature, SupervisionRecord, User


def _link(record) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("record", args=[record.session_id])


def _send(subject: str, body: str, to: list[str]) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)


def _record(record_id):
    return SupervisionRecord.objects.select_related(
        "session__supervisee", "session__supervisor"
    ).get(pk=record_id)


def _when(record) -> str:
    return f"{timezone.localtime(record.session.starts_at):%-d %B %Y}"


def _supervisor_signature(record):
    return (
        Signature.objects.select_related("signer")
        .filter(record=record, role=Signature.Role.SUPERVISOR)
        .first()
    )


def record_shared(record_id: int, by_id: int | None = None) -> None:
    record = _record(record_id)
    session = record.session
    sharer = User.objects.filter(pk=by_id).first() if by_id else None
    _send(
        f"Your supervision record of {_when(record)} is ready to read",
        f"{(sharer or session.supervisor).full_name} has shared the record of your supervision "
        f"on {_when(record)}.\n\nRead it, then sign it as a correct record or ask for changes:\n"
        f"{_link(record)}\n",
        [session.supervisee.email],
    )


def amendment_requested(record_id: int) -> None:
    """To whoever amends the record now (access.records.record_editor)."""

    record = _record(record_id)
    session = record.session
    editor = record_editor(session)
    if editor is None:
        return
    _send(
        f"{session.supervisee.full_name} asked for changes to a supervision record",
        f"{session.supervisee.full_name} asked for changes to the record of supervision on "
        f"{_when(record)}.\n\nSee their comments and amend the record:\n{_link(record)}\n",
        [editor.email],
    )


def record_signed(record_id: int) -> None:
    """To the record's signatory (access.records): the supervisor who held the session, or
    after they have left the supervisee's line supervisor now, told why it is theirs."""

    record = _record(record_id)
    session = record.session
    signatory = record_signatory(session)
    if signatory is None:
        return
    why = (
        ""
        if signatory.held_session
        else f" You are to sign it as {session.supervisee.full_name}'s {signatory.how}, because "
        f"{session.supervisor.full_name}, who held the session, has left."
    )
    _send(
        f"{session.supervisee.full_name} signed a supervision record",
        f"{session.supervisee.full_name} signed the record of supervision on {_when(record)} "
        f"as a correct record.{why}\n\nSign and finalise it:\n{_link(record)}\n",
        [signatory.user.email],
    )


def record_finalised(record_id: int) -> None:
    """To the supervisee and to the person who finalised it (rule R9)."""
    record = _record(record_id)
    session = record.session

    signature = _supervisor_signature(record)
    finaliser = signature.signer if signature else session.supervisor
    if record.finalised_without_supervisee:
        signed = (
            f"signed by {finaliser.full_name} without {session.supervisee.full_name}'s "
            "signature, as they have left,"
        )
    elif finaliser.pk == session.supervisor_id:
        signed = "signed by both"
    else:
        how = signed_as(session, finaliser, timezone.localtime(signature.signed_at).date()).how
        signed = (
            f"signed by {session.supervisee.full_name} and by {finaliser.full_name}"
            f"{', ' + how if how else ''}, for the session held by {session.supervisor.full_name},"
        )
    _send(
        f"Supervision record of {_when(record)} finalised",
        f"The record of supervision on {_when(record)} between {session.supervisee.full_name} "
        f"and {session.supervisor.full_name} is {signed} and finalised. It can no "
        f"longer be changed. Download your signed copy:\n{_link(record)}\n",
        # A supervisee who has left no longer has an account to download it with.
        list(
            dict.fromkeys(
                ([] if supervisee_has_gone(session) else [session.supervisee.email])
                + [finaliser.email]
            )
        ),
    )
