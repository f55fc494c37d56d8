"""Emails about records. They say what happened and link to the page, and never carry record
content: email leaves the organisation's control. Each is written to the outbox in the
transaction that changes the record (supervision.outbox), so it is sent, later if need be,
exactly when the change is made."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from access.records import record_editor, record_signatory, signed_as, supervisee_has_gone
from oversight.models import Notification
from supervision.models import Signature, SupervisionRecord, User
from supervision.outbox import write_email


def _link(record) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("record", args=[record.session_id])


def _send(kind: str, subject: str, body: str, to: list[User]) -> None:
    for person in dict.fromkeys(to):
        write_email(kind, to=person, subject=subject, body=body)


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
        Notification.Kind.RECORD_SHARED,
        f"Your supervision record of {_when(record)} is ready to read",
        f"{(sharer or session.supervisor).full_name} has shared the record of your supervision "
        f"on {_when(record)}.\n\nRead it, then sign it as a correct record or ask for changes:\n"
        f"{_link(record)}\n",
        [session.supervisee],
    )


def amendment_requested(record_id: int) -> None:
    """To whoever amends the record now (access.records.record_editor)."""

    record = _record(record_id)
    session = record.session
    editor = record_editor(session)
    if editor is None:
        return
    _send(
        Notification.Kind.AMENDMENT_REQUESTED,
        f"{session.supervisee.full_name} asked for changes to a supervision record",
        f"{session.supervisee.full_name} asked for changes to the record of supervision on "
        f"{_when(record)}.\n\nSee their comments and amend the record:\n{_link(record)}\n",
        [editor],
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
        Notification.Kind.RECORD_SIGNED,
        f"{session.supervisee.full_name} signed a supervision record",
        f"{session.supervisee.full_name} signed the record of supervision on {_when(record)} "
        f"as a correct record.{why}\n\nSign and finalise it:\n{_link(record)}\n",
        [signatory.user],
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
        Notification.Kind.RECORD_FINALISED,
        f"Supervision record of {_when(record)} finalised",
        f"The record of supervision on {_when(record)} between {session.supervisee.full_name} "
        f"and {session.supervisor.full_name} is {signed} and finalised. It can no "
        f"longer be changed. Download your signed copy:\n{_link(record)}\n",
        # A supervisee who has left no longer has an account to download it with.
        ([] if supervisee_has_gone(session) else [session.supervisee]) + [finaliser],
    )
