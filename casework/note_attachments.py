"""Files attached to a case note (an appreciative-inquiry form, a scanned handwritten note):
added and removed only while the note is a draft, like its text; a final note is on the
child's record for good, its attachments with it.

Each file is scanned by ClamAV before it is stored (supervision.organisation.uploads); the
scan runs before the note is locked, so a slow scan holds no one else up. Who may call these
is decided by access.children (MANAGE), as for the note's other writes.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from casework.models import CaseNote, CaseNoteAttachment
from supervision.models import User
from supervision.organisation import audit, uploads


def _require_draft(note: CaseNote) -> None:
    if note.is_final:
        raise ValidationError("This note is final: its attachments cannot be changed.")


def _locked(note: CaseNote) -> CaseNote:
    return CaseNote.objects.select_for_update(of=("self",)).get(pk=note.pk)


def _changed(note: CaseNote, by, request, change: str, attachment: CaseNoteAttachment) -> None:
    # The version moves on as for any change to the draft, so a page opened before it knows.
    CaseNote.objects.filter(pk=note.pk).update(version=note.version + 1)
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="case_note",
        object_id=note.pk,
        detail={
            "change": change,
            "child": note.child_id,
            "attachment": attachment.pk,
            "sha256": attachment.sha256,
            "size": attachment.size,
        },
    )


def case_note_attachment_add(*, note: CaseNote, upload, by: User, request=None):
    """Scan `upload` and attach it to the draft note. ValidationError on "file" (empty, too
    large, a virus, not checked) or on the note (final); nothing stored either way."""
    _require_draft(note)
    checked = uploads.checked_upload(upload)
    with transaction.atomic():
        note = _locked(note)
        _require_draft(note)
        attachment = CaseNoteAttachment.kept(checked, by=by, note=note)
        _changed(note, by, request, "attachment added", attachment)
    return attachment


@transaction.atomic
def case_note_attachment_remove(*, attachment: CaseNoteAttachment, by: User, request=None):
    note = _locked(attachment.note)
    _require_draft(note)
    pk = attachment.pk
    attachment.delete_with_file()
    attachment.pk = pk  # for the audit entry
    _changed(note, by, request, "attachment removed", attachment)
