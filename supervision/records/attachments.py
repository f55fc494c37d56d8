"""Files attached to a supervision record (a scanned handwritten record, a form filled in on
paper): added and removed only while the record is written or sent back for changes, like
its text, so what the supervisee signs and the signed PDF lists is what is kept (rule R8).

Each file is scanned by ClamAV before it is stored (supervision.organisation.uploads); the
scan runs before the record is locked, so a slow scan holds no one else up.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from supervision.models import RecordAttachment, SupervisionRecord, User
from supervision.organisation import audit, uploads

EDITABLE = (SupervisionRecord.Status.DRAFT, SupervisionRecord.Status.AMENDMENT_REQUESTED)


def _require_editable(record: SupervisionRecord) -> None:
    if record.status not in EDITABLE:
        raise ValidationError(
            f"The record is {record.get_status_display().lower()}: its attachments cannot be "
            "changed now."
        )


def _described(attachment: RecordAttachment) -> dict:
    return {"attachment": attachment.pk, "sha256": attachment.sha256, "size": attachment.size}


def _changed(record, by, request, change: str, attachment: dict) -> None:
    SupervisionRecord.objects.filter(pk=record.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="supervision_record",
        object_id=record.pk,
        subject=record.session.supervisee,
        detail={"change": change, **attachment},
    )


def _locked(record: SupervisionRecord) -> SupervisionRecord:
    return (
        SupervisionRecord.objects.select_for_update(of=("self",))
        .select_related("session__supervisee")
        .get(pk=record.pk)
    )


def record_attachment_add(
    *, record: SupervisionRecord, upload, by: User, request=None
) -> RecordAttachment:
    """Scan `upload` and attach it to the record. ValidationError on "file" (empty, too large,
    a virus, not checked) or on the record (no longer editable); nothing stored either way."""
    _require_editable(record)
    checked = uploads.checked_upload(upload)
    with transaction.atomic():
        record = _locked(record)
        _require_editable(record)
        attachment = RecordAttachment.kept(checked, by=by, record=record)
        _changed(record, by, request, "attachment added", _described(attachment))
    return attachment


@transaction.atomic
def record_attachment_remove(*, attachment: RecordAttachment, by: User, request=None) -> None:
    record = _locked(attachment.record)
    _require_editable(record)
    described = _described(attachment)
    attachment.delete_with_file()
    _changed(record, by, request, "attachment removed", described)
