"""Files attached to a supervision record: added and removed by whoever writes the record
while it is a draft or sent back (access.records.get_session_to_edit), downloaded by whoever
reads it (access.records.get_session_to_sign), each download audited as a read of the record.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from access import records as signing
from access.refusals import refuse
from supervision.models import RecordAttachment, SupervisionRecord
from supervision.organisation import audit
from supervision.records import attachments as services
from supervision.web import attachments
from supervision.web.form_errors import add_service_errors

RECORD = "supervision_record"


def _record(request, session) -> SupervisionRecord:
    record = SupervisionRecord.objects.filter(session=session).first()
    if record is None:
        refuse(
            request,
            RECORD,
            session.pk,
            subject=session.supervisee,
            message="No record has been started for this session.",
        )
    return record


def _attachment(request, session, record, attachment_id) -> RecordAttachment:
    attachment = None
    if str(attachment_id).isdigit():
        attachment = RecordAttachment.objects.filter(pk=attachment_id, record=record).first()
    if attachment is None:
        refuse(
            request,
            "record_attachment",
            attachment_id,
            subject=session.supervisee,
            detail={"record": record.pk},
            message="No such attachment.",
        )
    return attachment


def _not_now(request, session, record):
    messages.error(
        request,
        f"The record is {record.get_status_display().lower()}: its attachments cannot be "
        "changed now.",
    )
    return redirect("record", session.pk)


def download_url(session):
    return lambda a: reverse("record-attachment", args=[session.pk, a.pk])


@login_required
@require_http_methods(["GET", "POST"])
def record_attachments(request, session_id):
    session = signing.get_session_to_edit(request, session_id)
    record = _record(request, session)
    if record.status not in services.EDITABLE:
        return _not_now(request, session, record)
    form = attachments.AttachmentForm()
    if request.method == "POST":
        form = attachments.AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                added = services.record_attachment_add(
                    record=record,
                    upload=form.cleaned_data["file"],
                    by=request.user,
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{added.name} attached to the record")
                return redirect("record-attachments", session.pk)
    kept = RecordAttachment.objects.filter(record=record).select_related("uploaded_by")
    return render(
        request,
        "supervision/records/attachments.html",
        {
            "session": session,
            "record": record,
            "form": form,
            "rows": attachments.rows(
                kept,
                download_url(session),
                lambda a: reverse("record-attachment-remove", args=[session.pk, a.pk]),
            ),
        },
    )


@login_required
@require_POST
def record_attachment_remove(request, session_id, attachment_id):
    session = signing.get_session_to_edit(request, session_id)
    record = _record(request, session)
    attachment = _attachment(request, session, record, attachment_id)
    try:
        services.record_attachment_remove(attachment=attachment, by=request.user, request=request)
    except ValidationError:
        return _not_now(request, session, record)
    messages.success(request, f"{attachment.name} removed from the record")
    return redirect("record-attachments", session.pk)


@login_required
def record_attachment(request, session_id, attachment_id):
    # Whoever reads the record, its signatory included after their reach has ended.
    session, _ = signing.get_session_to_sign(request, session_id)
    record = _record(request, session)
    attachment = _attachment(request, session, record, attachment_id)
    audit.record(
        audit.AuditAction.DOWNLOAD,
        request=request,
        object_type=RECORD,
        object_id=session.pk,
        subject=session.supervisee,
        detail={"attachment": attachment.pk, "sha256": attachment.sha256},
    )
    return attachments.download(attachment)
