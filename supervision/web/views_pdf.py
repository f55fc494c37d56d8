"""Downloading a record as PDF and checking a PDF copy against the record (rules R8, R9)."""

import hashlib
import logging

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout
from django import forms
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from access import records as signing
from access.files import Action, may_read_personal_sections
from access.refusals import refuse
from access.sessions import get_session_for_user
from supervision.models import RecordPdf, SupervisionRecord
from supervision.organisation import audit
from supervision.organisation.plain_text import PlainTextForm
from supervision.records.canonical import load_record_for_content, record_hash
from supervision.records.pdf import (
    RecordChangedSinceSigningError,
    UnreadablePdfError,
    hashes_printed_in_pdf,
    read_stored_pdf,
    record_matches_signatures,
    record_pdf_filename,
    record_pdf_mend,
    record_pdf_store,
    render_record_pdf,
)
from supervision.records.pdf_signature_check import check_signature

logger = logging.getLogger(__name__)

RECORD = "supervision_record"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UNAVAILABLE = (
    "The signed copy of this record cannot be given out because the record or its stored PDF "
    "no longer matches what was signed. The problem has been logged; tell your system "
    "administrator."
)


def _unavailable(request, session, *, message=UNAVAILABLE, status=500):
    return render(
        request,
        "supervision/records/pdf_unavailable.html",
        {
            "session": session,
            "message": message,
            "heading": (
                "The signed copy of this record is not ready yet"
                if status == 503
                else "The signed copy of this record cannot be given out"
            ),
        },
        status=status,
    )


NOT_YET = (
    "The signed copy of this record is being made and is not ready yet. Try again in a few minutes."
)


@login_required
def record_pdf(request, session_id):
    # The record's signatory gets its copy even after their reach over the file has ended.
    session, _ = signing.get_session_to_sign(request, session_id)
    record = SupervisionRecord.objects.filter(session=session).first()
    if record is None:
        refuse(
            request, RECORD, "", subject=session.supervisee, message="This session has no record."
        )
    record.session = session
    hide_personal = not signing.may_read_in_full(
        request.user, session, may_read_personal_sections(request.user, session.supervisee)
    )
    filename = record_pdf_filename(record)

    data = copy = None
    if record.is_finalised and not hide_personal:
        try:
            # Normally made by the task on finalising; made here if the task has not run yet.
            pdf = RecordPdf.objects.filter(record=record).first() or record_pdf_store(record)
            data = read_stored_pdf(pdf)
            if data is None:
                # Lost or damaged since (a backup restored without it): made again, audited,
                # as long as the record still matches what both people signed.
                pdf = record_pdf_mend(pdf, by=request.user, request=request)
                data = read_stored_pdf(pdf)
        except RecordChangedSinceSigningError:
            return _unavailable(request, session)
        except (OSError, DatabaseError):
            # The copy could not be stored now (a full disk, the database gone for a moment):
            # the queued work makes it once it can, and nothing half-made is handed out.
            logger.exception("The signed PDF of record %s could not be stored", record.pk)
            return _unavailable(request, session, message=NOT_YET, status=503)
        # The stored file is the record as signed; a correction signed since must travel
        # with it, so a reader never gets the record without its later addenda.
        if record.addenda.filter(signed_at__gt=pdf.generated_at).exists():
            data = None
        else:
            copy = "signed"
    if data is None:
        # Drafts change, later addenda add to the signed copy, and a copy without personal
        # sections is made for one reader: none is stored, so the stored PDF stays the one
        # signed copy that an exact-file check can prove.
        if record.is_finalised and not record_matches_signatures(record):
            return _unavailable(request, session)
        data = render_record_pdf(
            record, preview=not record.is_finalised, hide_personal=hide_personal
        )
        kinds = []
        if not record.is_finalised:
            kinds.append("draft")
        elif not hide_personal:
            kinds.append("with addenda")  # the one reason a full signed copy is made afresh
        if hide_personal:
            kinds.append("personal sections removed")
        copy = ", ".join(kinds)
        filename = "-".join([filename.removesuffix(".pdf"), *kinds]).replace(" ", "-") + ".pdf"

    audit.record(
        audit.AuditAction.DOWNLOAD,
        request=request,
        object_type=RECORD,
        object_id=record.pk,
        subject=session.supervisee,
        detail={"copy": copy},
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


class CheckCopyForm(PlainTextForm):
    pdf_file = forms.FileField(
        label="The PDF copy of the record",
        help_text="The PDF file you were given or found, up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={
            "required": "Select the PDF copy of the record to check",
            "missing": "Select the PDF copy of the record to check",
            "invalid": "Select the PDF copy of the record to check",
            "empty": "The PDF copy of the record is empty",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        # The template owns the <form>, its enctype and its CSRF token.
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field("pdf_file"), Button("submit", "Check the copy"))

    def clean_pdf_file(self):
        upload = self.cleaned_data["pdf_file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The PDF copy of the record must be smaller than 10 MB")
        # The browser's content type is only a claim; the first bytes say what the file is.
        head = upload.read(5)
        upload.seek(0)
        if upload.content_type != "application/pdf" or head != b"%PDF-":
            raise forms.ValidationError("The PDF copy of the record must be a PDF")
        return upload


@require_http_methods(["GET", "POST"])
@login_required
def record_verify(request, record_id):
    record = _record_for_user(request, record_id)
    recomputed = record_hash(load_record_for_content(record.pk))
    issued = RecordPdf.objects.filter(record=record).first()
    form = (
        CheckCopyForm(request.POST, request.FILES)
        if request.method == "POST" and record.is_finalised
        else CheckCopyForm()
    )
    check = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data["pdf_file"].read()
        try:
            printed = hashes_printed_in_pdf(data)
        except UnreadablePdfError:
            form.add_error(
                "pdf_file", "The PDF copy of the record could not be read: it may be damaged"
            )
        else:
            check = _check_copy(data, printed, record, recomputed, issued)

    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type=RECORD,
        object_id=record.pk,
        subject=record.session.supervisee,
        detail={"verify": True, **(_audited(check) if check else {})},
    )
    context = {
        "record": record,
        "session": record.session,
        "recomputed": recomputed,
        "unchanged": record.is_finalised and record.content_hash == recomputed,
        "issued": issued,
        "form": form,
        "check": check,
    }
    return render(request, "supervision/pdf/verify.html", context)


def _record_for_user(request, record_id) -> SupervisionRecord:
    session_id = (
        SupervisionRecord.objects.filter(pk=record_id).values_list("session_id", flat=True).first()
    )
    if session_id is None:
        refuse(request, RECORD, record_id, wanted=Action.VIEW, message="No such record.")
    session, _ = get_session_for_user(request, session_id, Action.VIEW)
    return session.record


def _audited(check) -> dict:
    signature = check["signature"]
    return {
        "exact_file": check["exact_file"],
        "signed_by_organisation": signature.by_organisation,
        "signature_intact": signature.intact and signature.whole_file,
    }


def _check_copy(data, printed, record, recomputed, issued) -> dict:
    printed_hash = printed[0] if len(printed) == 1 else None
    return {
        "printed": printed,
        "printed_hash": printed_hash,
        "printed_matches_stored": printed_hash is not None and printed_hash == record.content_hash,
        "printed_matches_recomputed": printed_hash is not None and printed_hash == recomputed,
        "exact_file": issued is not None and hashlib.sha256(data).hexdigest() == issued.sha256,
        "signature": check_signature(data),
    }
