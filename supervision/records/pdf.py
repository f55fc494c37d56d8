"""The signed copy of a supervision record as a PDF (rules R8, R9), and checking one later.

A finalised record's PDF is made once and stored with its SHA-256, so a copy handed back
years later can be proved to be the very file issued. Every other copy (a draft preview, a
signed record with addenda signed since, a copy with the personal sections taken out) is
rendered on the fly and never stored.
"""

import hashlib
import logging
import re
import subprocess
import time

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from access.records import signed_as
from supervision import work
from supervision.models import Action, RecordPdf, RecordPdfWork, Signature, SupervisionRecord
from supervision.organisation import audit
from supervision.records.canonical import load_record_for_content, record_hash
from supervision.records.pdf_signing import RECORD_REASON, sign_pdf

logger = logging.getLogger(__name__)

PERSONAL_SECTION_HIDDEN = "Personal section: not shown to you"
HASH_LABEL = "Record content hash (SHA-256):"
# pdftotext breaks lines where the PDF does, so the label and the hash may be split apart.
_PRINTED_HASH = re.compile(re.escape(HASH_LABEL).replace(r"\ ", r"\s+") + r"\s*([0-9a-f]{64})")
# A PDF made to spin pdftotext must not hold a web worker for long.
PDFTOTEXT_TIMEOUT_SECONDS = 30


class RecordChangedSinceSigningError(Exception):
    """The record's content no longer hashes to what was signed: issuing it would print a
    hash that the printed text does not match, so no signed copy is made."""


def render_record_pdf(record, *, preview: bool, hide_personal: bool = False) -> bytes:
    """The record as PDF bytes. `preview` marks every page DRAFT; `hide_personal` leaves out
    the text of personal sections for a reader who may not see them."""
    return _render(_loaded(record), preview, hide_personal)


def _render(loaded_record, preview: bool, hide_personal: bool) -> bytes:
    html = render_to_string("pdf/record.html", _context(loaded_record, preview, hide_personal))
    # Imported here: WeasyPrint loads Pango and fonts, which only PDF work needs.

    # No protocol allowed: the record is self-contained, and nothing in it may make the server
    # fetch a URL or read a local file, whatever a later change to the template lets through.
    fetch_nothing = URLFetcher(allowed_protocols=())
    return HTML(string=html, url_fetcher=fetch_nothing).write_pdf()


def record_pdf_store(record) -> RecordPdf | None:
    """Make the PDF of a finalised record, sign it digitally as the organisation, and store
    it, once. Returns the stored PDF, or None for a record that is not finalised (it has no
    signed copy yet).

    Safe when two workers run it together: the render happens outside any lock (a long record
    takes seconds), then the record row is locked and checked again, and the one-to-one
    constraint catches whatever gets past a database that does not lock rows (SQLite).
    """
    record = SupervisionRecord.objects.get(pk=record.pk)
    if not record.is_finalised:
        return None
    existing = RecordPdf.objects.filter(record=record).first()
    if existing is not None:
        return existing

    # Outside the lock below: a long record takes seconds, a timestamp authority may be slow.
    data, render_seconds = _signed_copy(record)

    pdf = RecordPdf(
        record=record,
        sha256=hashlib.sha256(data).hexdigest(),
        generated_at=timezone.now(),
        render_seconds=render_seconds,
    )
    try:
        with transaction.atomic():
            SupervisionRecord.objects.select_for_update().filter(pk=record.pk).first()
            existing = RecordPdf.objects.filter(record=record).first()
            if existing is not None:
                return existing
            pdf.file.save(f"record-{record.pk}.pdf", ContentFile(data), save=False)
            pdf.save()
            # Made here by the download, before any worker or after every attempt failed:
            # the queued work has nothing left to do.
            RecordPdfWork.objects.filter(
                record=record, status__in=[RecordPdfWork.WAITING, RecordPdfWork.FAILED]
            ).update(status=RecordPdfWork.DONE, error="", finished_at=timezone.now())
    except IntegrityError:
        _discard_file(pdf)
        return RecordPdf.objects.get(record=record)
    except BaseException:
        _discard_file(pdf)
        raise
    return pdf


def _signed_copy(record) -> tuple[bytes, float]:
    """The record rendered and signed by the organisation, with the seconds the rendering
    took; RecordChangedSinceSigningError if it no longer matches what both people signed."""
    loaded = _loaded(record)
    if not record_matches_signatures(loaded):
        raise RecordChangedSinceSigningError(
            f"Record {record.pk} no longer matches the content both people signed."
        )
    started = time.perf_counter()
    data = _render(loaded, preview=False, hide_personal=False)
    render_seconds = time.perf_counter() - started
    # Signed before the SHA-256 is taken: the stored file, signature and all, is the copy
    # that an exact-file check proves.
    return sign_pdf(data, reason=RECORD_REASON), render_seconds


def record_pdf_mend(pdf: RecordPdf, *, by=None, request=None) -> RecordPdf:
    """Make the signed PDF again when its stored file is missing or damaged (a backup restored
    without its files, a disk that lost them), and only while the record still hashes to the
    content both people signed: the new file is then the same record, signed afresh by the
    organisation, and the audit trail says it was made again and why. Raises
    RecordChangedSinceSigningError otherwise: no copy is made of a record that changed."""
    record = SupervisionRecord.objects.get(pk=pdf.record_id)
    data, render_seconds = _signed_copy(record)
    with transaction.atomic():
        pdf = RecordPdf.objects.select_for_update().get(pk=pdf.pk)
        if read_stored_pdf(pdf) is not None:
            return pdf  # mended meanwhile by another request
        old_name, old_sha256 = pdf.file.name, pdf.sha256
        missing = not (old_name and pdf.file.storage.exists(old_name))
        if not missing:
            pdf.file.storage.delete(old_name)
        pdf.file.save(f"record-{record.pk}.pdf", ContentFile(data), save=False)
        pdf.sha256 = hashlib.sha256(data).hexdigest()
        pdf.generated_at = timezone.now()
        pdf.render_seconds = render_seconds
        pdf.save()
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="supervision_record",
            object_id=record.pk,
            subject=record.session.supervisee,
            detail={
                "event": "signed PDF made again",
                "why": "missing" if missing else "did not match its SHA-256",
                "old_sha256": old_sha256,
                "new_sha256": pdf.sha256,
                "record_hash": record.content_hash,
            },
        )
    logger.warning("The signed PDF of record %s was made again", record.pk)
    return pdf


def record_matches_signatures(record) -> bool:
    """Whether the record in the database still hashes to the content both people signed.
    A copy that prints the signed hash over text that no longer matches it is never made."""
    matches = record_hash(load_record_for_content(record.pk)) == record.content_hash
    if not matches:
        logger.error("Record %s no longer matches its signed content hash", record.pk)
    return matches


def record_pdf_filename(record) -> str:
    """For example supervision-record-jo-smith-2026-03-05.pdf."""
    name = slugify(_supervisee_name(record)) or "supervisee"
    day = timezone.localtime(record.session.starts_at).date()
    return f"supervision-record-{name}-{day:%Y-%m-%d}.pdf"


def read_stored_pdf(pdf: RecordPdf) -> bytes | None:
    """The stored file's bytes, or None if they are missing or no longer match the SHA-256
    taken when it was issued: a changed signed copy must not be handed out as the original."""
    try:
        with pdf.file.open("rb") as handle:
            data = handle.read()
    except OSError:
        logger.exception("The stored PDF of record %s cannot be read", pdf.record_id)
        return None
    if hashlib.sha256(data).hexdigest() != pdf.sha256:
        logger.error("The stored PDF of record %s does not match its SHA-256", pdf.record_id)
        return None
    return data


class UnreadablePdfError(Exception):
    pass


def hashes_printed_in_pdf(data: bytes) -> list[str]:
    """The record content hashes printed in a PDF, in the order they appear, without repeats.

    Only what the PDF says about itself: anyone can print any hash in a PDF, so this tells
    you which version of a record a copy claims to be, not that the copy is unaltered.
    """
    try:
        result = subprocess.run(
            ["pdftotext", "-", "-"],
            input=data,
            capture_output=True,
            timeout=PDFTOTEXT_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise UnreadablePdfError("The PDF took too long to read.") from error
    if result.returncode != 0:
        raise UnreadablePdfError("The file could not be read as a PDF.")
    text = result.stdout.decode("utf-8", errors="replace")
    return list(dict.fromkeys(_PRINTED_HASH.findall(text)))


def _loaded(record):
    """The record with everything the PDF prints, in a fixed number of queries."""
    record = load_record_for_content(record.pk)
    prefetch_related_objects(
        [record],
        "signatures__signer",
        "addenda__author",
        "action_reviews__action",
        "template__sections",
    )
    return record


def _supervisee_name(record) -> str:
    return record.supervisee_name or record.session.supervisee.full_name


def _supervisor_name(record) -> str:
    return record.supervisor_name or record.session.supervisor.full_name


def _signer_name(record, signature) -> str:
    # The name captured with the record, where the signer is the person it was captured for:
    # the signed copy says what the record said on the day, whatever the account says now.
    session = record.session
    if signature.role == Signature.Role.SUPERVISEE and signature.signer_id == session.supervisee_id:
        return _supervisee_name(record)
    if signature.role == Signature.Role.SUPERVISOR and signature.signer_id == session.supervisor_id:
        return _supervisor_name(record)
    return signature.signer.full_name


def _finalised_as(record, signature) -> str:
    """For a record finalised by someone other than the supervisor who held the session (they
    had left): "Finalised by Joanne Fletcher, line supervisor from 1 September 2025, for the
    session held by Rachel Turner". Empty otherwise."""

    session = record.session
    if signature.role != Signature.Role.SUPERVISOR or signature.signer_id == session.supervisor_id:
        return ""
    how = signed_as(session, signature.signer, timezone.localtime(signature.signed_at).date()).how
    return (
        f"Finalised by {signature.signer.full_name}{', ' + how if how else ''}, "
        f"for the session held by {_supervisor_name(record)}"
    )


def _action_owner(record, action) -> str:
    if action.owner == Action.Owner.SUPERVISEE:
        return _supervisee_name(record)
    if action.owner == Action.Owner.SUPERVISOR:
        return _supervisor_name(record)
    return action.owner_name or action.get_owner_display()


def _context(record, preview: bool, hide_personal: bool) -> dict:
    session = record.session
    written = {s.template_section_id: s for s in record.sections.all()}
    sections = []
    # Every heading of the template the record was written on, written or not, in order.
    for template_section in sorted(record.template.sections.all(), key=lambda s: s.position):
        section = written.get(template_section.pk)
        hidden = hide_personal and template_section.is_personal
        sections.append(
            {
                "heading": template_section.heading,
                "is_personal": template_section.is_personal,
                "hidden": hidden,
                "text": "" if hidden or section is None else section.text,
            }
        )
    actions = [
        {"action": action, "who": _action_owner(record, action)}
        for action in sorted(record.actions.all(), key=lambda a: (a.position, a.pk))
    ]
    signatures = [
        {
            "signature": signature,
            "name": _signer_name(record, signature),
            "finalised_as": _finalised_as(record, signature),
        }
        for signature in record.current_signatures
    ]
    return {
        "record": record,
        "session": session,
        "preview": preview,
        "hide_personal": hide_personal,
        "organisation_name": record.organisation_name or settings.ORGANISATION_NAME,
        "service_name": settings.SERVICE_NAME,
        "supervisee_name": _supervisee_name(record),
        "supervisee_role": record.supervisee_role,
        "supervisor_name": _supervisor_name(record),
        "supervisor_role": record.supervisor_role,
        "sections": sections,
        "decisions": sorted(record.decisions.all(), key=lambda d: (d.position, d.pk)),
        "actions": actions,
        "action_reviews": sorted(record.action_reviews.all(), key=lambda r: r.pk),
        "disagreements": sorted(record.disagreements.all(), key=lambda d: d.pk),
        "attachments": sorted(record.attachments.all(), key=lambda a: (a.uploaded_at, a.pk)),
        "signatures": signatures,
        "addenda": list(record.addenda.all()),
        "hash_label": HASH_LABEL,
        "personal_hidden_text": PERSONAL_SECTION_HIDDEN,
    }


def _discard_file(pdf: RecordPdf) -> None:
    if pdf.file and pdf.file.name:
        pdf.file.storage.delete(pdf.file.name)


@shared_task(name="supervision.tasks.record_pdf_generate")
def record_pdf_generate(work_id: int) -> str | None:
    """Make the signed PDF of a finalised record (rule R9), for the row written when it was
    finalised (RecordPdfWork). Delivered twice, or after the download made it, it stores one
    PDF. Time limits: settings.BACKGROUND_WORK_LIMITS."""
    return work.run(RecordPdfWork, work_id, _make)


def _make(pdf_work: RecordPdfWork) -> None:
    record = SupervisionRecord.objects.get(pk=pdf_work.record_id)
    if not record.is_finalised:
        raise work.PermanentFailure("The record is not finalised, so it has no signed copy.")
    try:
        record_pdf_store(record)
    except RecordChangedSinceSigningError as error:
        raise work.PermanentFailure(
            "The record no longer matches what was signed, so no signed copy was made."
        ) from error
    work.finish(pdf_work)
