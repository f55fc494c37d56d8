"""Files attached to a case note: added and removed by the worker's management line while the
note is a draft (access.children, MANAGE), downloaded by whoever reads the note (VIEW), each
download audited as a read of the note.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from access.children import CaseAction, get_child_for_user
from access.refusals import refuse
from casework import note_attachments as services
from casework.models import CaseNote, CaseNoteAttachment
from supervision.organisation import audit
from supervision.web import attachments
from supervision.web.form_errors import add_service_errors

NOTE = "case_note"


def _note(request, child, note_id) -> CaseNote:
    note = None
    if str(note_id).isdigit():
        note = CaseNote.objects.filter(pk=note_id, child=child).first()
    if note is None:
        refuse(request, NOTE, note_id, detail={"child": child.pk})
    note.child = child
    return note


def _attachment(request, note, attachment_id) -> CaseNoteAttachment:
    attachment = None
    if str(attachment_id).isdigit():
        attachment = CaseNoteAttachment.objects.filter(pk=attachment_id, note=note).first()
    if attachment is None:
        refuse(request, "case_note_attachment", attachment_id, detail={"note": note.pk})
    attachment.note = note
    return attachment


def _final(request, note):
    messages.error(request, "This note is final: its attachments cannot be changed")
    return redirect("case-note", note.child_id, note.pk)


def download_url(note):
    return lambda a: reverse("case-note-attachment", args=[note.child_id, note.pk, a.pk])


@login_required
@require_http_methods(["GET", "POST"])
def case_note_attachments(request, child_id, note_id):
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    note = _note(request, child, note_id)
    if note.is_final:
        return _final(request, note)
    form = attachments.AttachmentForm()
    if request.method == "POST":
        form = attachments.AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                added = services.case_note_attachment_add(
                    note=note, upload=form.cleaned_data["file"], by=request.user, request=request
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{added.name} attached to the note")
                return redirect("case-note-attachments", child.pk, note.pk)
    kept = CaseNoteAttachment.objects.filter(note=note).select_related("uploaded_by")
    return render(
        request,
        "casework/notes/attachments.html",
        {
            "child": child,
            "note": note,
            "form": form,
            "rows": attachments.rows(
                kept,
                download_url(note),
                lambda a: reverse("case-note-attachment-remove", args=[child.pk, note.pk, a.pk]),
            ),
        },
    )


@login_required
@require_POST
def case_note_attachment_remove(request, child_id, note_id, attachment_id):
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    note = _note(request, child, note_id)
    attachment = _attachment(request, note, attachment_id)
    try:
        services.case_note_attachment_remove(
            attachment=attachment, by=request.user, request=request
        )
    except ValidationError:
        return _final(request, note)
    messages.success(request, f"{attachment.name} removed from the note")
    return redirect("case-note-attachments", child.pk, note.pk)


@login_required
def case_note_attachment(request, child_id, note_id, attachment_id):
    child, _ = get_child_for_user(request, child_id)
    note = _note(request, child, note_id)
    attachment = _attachment(request, note, attachment_id)
    audit.record(
        audit.AuditAction.DOWNLOAD,
        request=request,
        object_type=NOTE,
        object_id=note.pk,
        detail={"child": child.pk, "attachment": attachment.pk, "sha256": attachment.sha256},
    )
    return attachments.download(attachment)
