"""Subject access (UK GDPR article 15): everything held about one member of staff, as a zip of
`manifest.json` and one PDF per supervision record of theirs.

Who may make and download one is decided in `access.subject_access`: the person themself, or
an information governance officer who gives a reason (kept on the export, audited and shown to
the person); never a system administrator. This module only makes the zip.

What is theirs: their profile, their sessions and records (all of them, personal sections
included), their agreements, who was given access to their file, and the audit entries about
them or made by them. What is not: records of people they supervised. Those are the other
person's file, so the export says only that the supervision happened (when, with whom), never
what was written.

Files attached to their records are theirs as the records are: each goes into the zip as it
was uploaded, under a name of our own with the uploader's name made safe, and the manifest
lists its name, size, SHA-256, upload date and uploader. They only ever leave inside the zip,
which is downloaded, never shown (oversight.web.views_subject_access).

Concerns about supervision and escalated disagreements: which are given in full, which only
outlined and which left out is decided in `access.subject_access.concerns_in_export`.

Case notes, and the files attached to them, are not in the export: a case note is the child's
record, not the worker's file (retention.KEPT_MODELS keeps them when a worker's file is
destroyed), and the export has never held case notes. A worker's own words in a case note are
reached through a request about the child's record, answered outside this product's export.
"""

import hashlib
import io
import json
import logging
import zipfile

from celery import shared_task
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from access.subject_access import concerns_in_export
from agreements.models import SupervisionAgreement
from oversight.models import FeedbackResponse, LegalHold, SubjectAccessExport
from supervision import work
from supervision.models import (
    AccessGrant,
    DevelopmentConversation,
    PracticeObservation,
    ProbationReview,
    RecordAttachment,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
    WellbeingPlan,
)
from supervision.models.audit import AuditEvent
from supervision.models.files import DatabaseStorage, StoredFile
from supervision.organisation import audit
from supervision.organisation.uploads import safe_name
from supervision.records.pdf import render_record_pdf

logger = logging.getLogger(__name__)

EXPORT = "subject_access_export"
MANIFEST = "manifest.json"


@transaction.atomic
def subject_access_export_request(
    *, person, by, reason: str = "", request=None
) -> SubjectAccessExport:
    """Queue an export, audited as an export whoever asks. Someone other than the person must
    give the reason (the request it answers); it is kept on the export and in the audit entry,
    so the person sees it on their access log."""

    reason = " ".join(reason.split())
    by_the_person = by.pk == person.pk
    if not by_the_person and not reason:
        raise ValidationError({"reason": "Enter the reason for this export"})
    export = SubjectAccessExport.objects.create(
        person=person, requested_by=by, requested_at=timezone.now(), reason=reason
    )
    audit.record(
        audit.AuditAction.EXPORT,
        request=request,
        actor=by,
        object_type=EXPORT,
        object_id=export.pk,
        subject=person,
        detail={
            "event": "requested",
            "by_the_person": by_the_person,
            **({"reason": reason} if reason else {}),
        },
    )
    work.queue(export)
    return export


def subject_access_export_build(export_id: int) -> SubjectAccessExport:
    """Make the zip, saving progress (0–100) as each record's PDF is done. Taken under a lease
    (supervision.work): a second delivery does nothing while it is being made, a build whose
    worker died is made again from the start, once, and a finished one is left alone."""
    work.run(SubjectAccessExport, export_id, _make)
    return SubjectAccessExport.objects.get(pk=export_id)


def _make(export: SubjectAccessExport) -> None:
    export = SubjectAccessExport.objects.select_related("person", "requested_by").get(pk=export.pk)
    _progress(export, progress=0)
    data = _build_zip(export)
    name = export.file.storage.save(
        export.file.field.generate_filename(export, f"subject-access-{export.pk}.zip"),
        ContentFile(data),
    )
    if not work.finish(export, progress=100, file=name, sha256=hashlib.sha256(data).hexdigest()):
        # Its lease ran out and another worker took it over: that one's zip is the one.
        export.file.storage.delete(name)
        return
    audit.record(
        audit.AuditAction.EXPORT,
        actor=export.requested_by,
        object_type=EXPORT,
        object_id=export.pk,
        subject=export.person,
        detail={"event": "made", "bytes": len(data)},
    )


def _progress(export, **fields) -> None:
    # A plain UPDATE, committed at once: the page polling for progress reads it while the
    # task is still running.
    SubjectAccessExport.objects.filter(pk=export.pk).update(**fields)


def _build_zip(export) -> bytes:
    person = export.person
    records = list(
        SupervisionRecord.objects.filter(session__supervisee=person)
        .select_related("session")
        .order_by("session__starts_at", "pk")
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        steps = len(records) + 2
        for done, record in enumerate(records, start=1):
            # Their own record, so nothing is hidden; a draft is marked DRAFT on every page.
            archive.writestr(
                _pdf_name(record), render_record_pdf(record, preview=not record.is_finalised)
            )
            # 99 at most until the file is saved: 100 means it can be downloaded.
            _progress(export, progress=min(99, int(100 * done / steps)))
        missing = _write_attachments(archive, person)
        # Written last, so that it can say which attached files could not be read.
        manifest = subject_access_manifest(person, records, missing_files=missing)
        manifest["export"] = {
            "id": export.pk,
            "requested_at": export.requested_at.isoformat(),
            "requested_by": export.requested_by.full_name,
            "made_at": timezone.now().isoformat(),
            "pdfs": [_pdf_name(record) for record in records],
        }
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
    return buffer.getvalue()


def _attachment_name(attachment) -> str:
    # Our own folder and the row's id keep two files of one name apart and put nothing of the
    # uploader's outside `attachments/`; the name is made safe again, as rows imported or
    # saved before names were cleaned may hold anything.
    record = attachment.record
    day = timezone.localtime(record.session.starts_at).date()
    folder = f"attachments/{day:%Y-%m-%d}-record-{record.pk}"
    return f"{folder}/{attachment.pk}-{safe_name(attachment.name)}"


def _write_attachments(archive, person) -> set[int]:
    """Every file attached to the person's records, into the zip as uploaded. Returns the ids
    of those whose stored bytes could not be found: the export is still made (the rest of the
    file is still theirs to have) and the manifest says which are missing."""
    theirs = RecordAttachment.objects.filter(record__session__supervisee=person)
    missing = set()
    for attachment, data in _attachment_bytes(theirs):
        if data is None:
            logger.error("Attachment %s has no stored file", attachment.pk)
            missing.add(attachment.pk)
            continue
        archive.writestr(_attachment_name(attachment), data)
    return missing


def _attachment_bytes(theirs):
    """(attachment, its bytes or None) for each of `theirs`. Files kept in the database are
    read in one query, streamed row by row, however many there are: opening each would be a
    query each."""
    attachments = list(theirs.select_related("record__session").order_by("uploaded_at", "pk"))
    if not attachments:
        return
    if isinstance(RecordAttachment._meta.get_field("file").storage, DatabaseStorage):
        by_name = {a.file.name: a for a in attachments}
        rows = (
            StoredFile.objects.filter(name__in=theirs.values("file"))
            .values_list("name", "content")
            .iterator(chunk_size=20)
        )
        for name, content in rows:
            yield by_name.pop(name), bytes(content)
        for attachment in by_name.values():
            yield attachment, None
        return
    for attachment in attachments:
        try:
            with attachment.file.open("rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            data = None
        yield attachment, data


def _pdf_name(record) -> str:
    day = timezone.localtime(record.session.starts_at).date()
    return f"records/{day:%Y-%m-%d}-record-{record.pk}-{record.status}.pdf"


def _date(value):
    return value.isoformat() if value else None


def subject_access_manifest(person, records=None, *, missing_files=frozenset()) -> dict:
    """Everything held about `person`, as plain JSON. `missing_files`: ids of attachments
    whose bytes could not be put in the zip."""

    profile = getattr(person, "profile", None)
    if records is None:
        records = list(SupervisionRecord.objects.filter(session__supervisee=person))
    records = _records_in_full([record.pk for record in records])
    # Their own answers about the supervision they received are their personal data too.
    feedback = _feedback_given(person)
    return {
        "feedback_given": feedback,
        "about": person.full_name,
        "account": {
            "id": person.pk,
            "full_name": person.full_name,
            "email": person.email,
            "date_joined": _date(person.date_joined),
            "last_login": _date(person.last_login),
            "is_active": person.is_active,
        },
        "profile": _profile(profile),
        **_relationships_of(person),
        **_sessions_of(person),
        "records": [_record(r, missing_files) for r in records],
        **_concerns_of(person),
        **_agreements_of(person),
        **_development_of(person),
        **_access_to_the_file_of(person),
    }


def _records_in_full(record_ids):
    return (
        SupervisionRecord.objects.filter(pk__in=record_ids)
        .select_related("session__supervisor", "template")
        .prefetch_related(
            "sections__template_section",
            "decisions",
            "actions",
            "action_reviews__action",
            "disagreements__raised_by",
            "amendment_requests__requested_by",
            "signatures__signer",
            "addenda__author",
            "attachments__uploaded_by",
        )
        .order_by("session__starts_at", "pk")
    )


def _feedback_given(person) -> list[dict]:
    return [
        {
            "period": f.period,
            "answers": {
                name: getattr(f, name)
                for name in (
                    "happens_when_planned",
                    "time_to_reflect",
                    "wellbeing_support",
                    "decisions_explained",
                    "records_accurate_and_shared",
                )
            },
            "comment": f.comment,
            "given_at": f.created_at.isoformat(),
        }
        for f in FeedbackResponse.objects.filter(respondent=person).order_by("created_at")
    ]


def _relationships_of(person) -> dict:
    relationships = SupervisoryRelationship.objects.select_related("supervisor", "supervisee")
    return {
        "supervised_by": [
            {
                "supervisor": r.supervisor.full_name,
                "kind": r.get_kind_display(),
                "starts_on": _date(r.starts_on),
                "ends_on": _date(r.ends_on),
            }
            for r in relationships.filter(supervisee=person).order_by("starts_on", "pk")
        ],
        # Only that they supervised someone: the supervisee's file is the supervisee's data.
        "supervised": [
            {
                "supervisee": r.supervisee.full_name,
                "kind": r.get_kind_display(),
                "starts_on": _date(r.starts_on),
                "ends_on": _date(r.ends_on),
            }
            for r in relationships.filter(supervisor=person).order_by("starts_on", "pk")
        ],
    }


def _sessions_of(person) -> dict:
    return {
        "sessions": [
            _session(s)
            for s in SupervisionSession.objects.filter(supervisee=person)
            .select_related("supervisor", "cancelled_by")
            .prefetch_related("agenda_items__added_by")
            .order_by("starts_at", "pk")
        ],
        "sessions_held_as_supervisor": [
            {
                "supervisee": s.supervisee.full_name,
                "type": s.get_session_type_display(),
                "starts_at": _date(s.starts_at),
                "status": s.get_status_display(),
            }
            for s in SupervisionSession.objects.filter(supervisor=person)
            .select_related("supervisee")
            .order_by("starts_at", "pk")
        ],
    }


def _agreements_of(person) -> dict:
    return {
        "agreements": [
            _agreement(a)
            for a in SupervisionAgreement.objects.filter(relationship__supervisee=person)
            .select_related("relationship__supervisor")
            .prefetch_related("signatures__signer")
            .order_by("starts_on", "version", "pk")
        ],
        "agreements_as_supervisor": [
            {
                "supervisee": a.relationship.supervisee.full_name,
                "version": a.version,
                "starts_on": _date(a.starts_on),
                "status": a.get_status_display(),
            }
            for a in SupervisionAgreement.objects.filter(relationship__supervisor=person)
            .select_related("relationship__supervisee")
            .order_by("starts_on", "pk")
        ],
    }


def _development_of(person) -> dict:
    return {
        "practice_observations": [
            _plain(o, "practitioner")
            for o in PracticeObservation.objects.filter(practitioner=person).prefetch_related(
                "signatures__signer"
            )
        ],
        # Observing someone else is theirs: when and whom only.
        "observations_made_of_others": [
            {"practitioner": o.practitioner.full_name, "observed_on": _date(o.observed_on)}
            for o in PracticeObservation.objects.filter(observer=person)
            .exclude(practitioner=person)
            .select_related("practitioner")
        ],
        "development_conversations": [
            _plain(c, "person")
            for c in DevelopmentConversation.objects.filter(person=person).prefetch_related(
                "signatures__signer"
            )
        ],
        "probation_reviews": [
            _plain(r, "person") for r in ProbationReview.objects.filter(person=person)
        ],
        "wellbeing_plans": [
            _plain(p, "person") for p in WellbeingPlan.objects.filter(person=person)
        ],
    }


def _access_to_the_file_of(person) -> dict:
    return {
        "access_granted_to_others_over_this_file": [
            {
                "grantee": g.grantee.full_name,
                "starts_on": _date(g.starts_on),
                "ends_on": _date(g.ends_on),
                "includes_personal_sections": g.includes_personal_sections,
                "reason": g.reason,
                "granted_by": g.granted_by.full_name,
                "granted_at": _date(g.granted_at),
                "revoked_at": _date(g.revoked_at),
            }
            for g in AccessGrant.objects.filter(subject=person).select_related(
                "grantee", "granted_by"
            )
        ],
        "legal_holds": [
            {"placed_at": _date(h.placed_at), "lifted_at": _date(h.lifted_at)}
            for h in LegalHold.objects.filter(person=person)
        ],
        "audit_entries": [
            _audit_entry(e, person)
            for e in AuditEvent.objects.filter(Q(subject=person) | Q(actor=person))
            .select_related("actor")
            .order_by("sequence")
        ],
    }


def _plain(item, *leave_out: str) -> dict:
    """Every stored field of an item, people by name, and its signatures if it has any."""
    out = {}
    for field in item._meta.concrete_fields:
        if field.name in leave_out:
            continue
        if field.is_relation:
            related = getattr(item, field.name)
            out[field.name] = getattr(related, "full_name", None) or (
                related.pk if related is not None else None
            )
            continue
        value = field.value_from_object(item)
        out[field.name] = value.isoformat() if hasattr(value, "isoformat") else value
    if hasattr(item, "signatures"):
        out["signatures"] = [
            {"signer": s.signer.full_name, "role": s.role, "signed_at": _date(s.signed_at)}
            for s in item.signatures.all()
        ]
    return out


def _profile(profile) -> dict | None:
    if profile is None:
        return None
    return {
        "job_role": profile.job_role.name,
        "unit": profile.unit.name,
        "start_date": _date(profile.start_date),
        "qualified_date": _date(profile.qualified_date),
        "asye_start_date": _date(profile.asye_start_date),
        "is_student": profile.is_student,
        "employment_type": profile.get_employment_type_display(),
        "probation_end_date": _date(profile.probation_end_date),
        "leaving_date": _date(profile.leaving_date),
        "is_active": profile.is_active,
    }


def _session(s) -> dict:
    return {
        "id": s.pk,
        "type": s.get_session_type_display(),
        "supervisor": s.supervisor.full_name,
        "starts_at": _date(s.starts_at),
        "ends_at": _date(s.ends_at),
        "mode": s.get_mode_display(),
        "location": s.location,
        "status": s.get_status_display(),
        "cancelled_by": s.cancelled_by.full_name if s.cancelled_by else None,
        "cancelled_at": _date(s.cancelled_at),
        "cancellation_reason": s.cancellation_reason,
        "lateness_notes": s.lateness_notes,
        "interruption_notes": s.interruption_notes,
        "agenda": [
            {"text": item.text, "added_by": item.added_by.full_name}
            for item in s.agenda_items.all()
        ],
    }


def _record(r, missing_files=frozenset()) -> dict:
    return {
        "id": r.pk,
        "pdf": _pdf_name(r),
        "session": r.session_id,
        "template": f"{r.template.name} (version {r.template.version})",
        "status": r.get_status_display(),
        "supervisee_name": r.supervisee_name,
        "supervisee_role": r.supervisee_role,
        "supervisor_name": r.supervisor_name or r.session.supervisor.full_name,
        "supervisor_role": r.supervisor_role,
        "created_at": _date(r.created_at),
        "shared_at": _date(r.shared_at),
        "finalised_at": _date(r.finalised_at),
        "content_hash": r.content_hash,
        "sections": [
            {
                "heading": s.template_section.heading,
                "personal": s.template_section.is_personal,
                "text": s.text,
            }
            for s in sorted(r.sections.all(), key=lambda s: s.template_section.position)
        ],
        "decisions": [{"decision": d.decision, "reasons": d.reasons} for d in r.decisions.all()],
        "actions": [
            {
                "description": a.description,
                "owner": a.get_owner_display(),
                "owner_name": a.owner_name,
                "due_date": _date(a.due_date),
                "status": a.get_status_display(),
                "status_reason": a.status_reason,
            }
            for a in r.actions.all()
        ],
        "action_reviews": [
            {"action": v.action.description, "outcome": v.outcome, "note": v.note}
            for v in r.action_reviews.all()
        ],
        "disagreements": [
            {
                "subject": d.subject,
                "supervisor_view": d.supervisor_view,
                "supervisee_view": d.supervisee_view,
                "raised_by": d.raised_by.full_name,
                "supervisor_signed_at": _date(d.supervisor_signed_at),
                "supervisee_signed_at": _date(d.supervisee_signed_at),
            }
            for d in r.disagreements.all()
        ],
        "amendment_requests": [
            {
                "requested_by": m.requested_by.full_name,
                "comment": m.comment,
                "created_at": _date(m.created_at),
                "resolved_at": _date(m.resolved_at),
            }
            for m in r.amendment_requests.all()
        ],
        "signatures": [
            {
                "signer": s.signer.full_name,
                "role": s.get_role_display(),
                "signed_at": _date(s.signed_at),
                "method": s.method,
                "content_hash": s.content_hash,
            }
            for s in r.signatures.all()
        ],
        "addenda": [
            {"author": a.author.full_name, "text": a.text, "signed_at": _date(a.signed_at)}
            for a in r.addenda.all()
        ],
        "attachments": [_attachment(a, missing_files) for a in r.attachments.all()],
    }


def _attachment(a, missing_files) -> dict:
    return {
        "name": a.name,
        # Where it is in this zip; None if its stored bytes could not be found.
        "file": None if a.pk in missing_files else _attachment_name(a),
        "size": a.size,
        "sha256": a.sha256,
        "content_type": a.content_type,
        "uploaded_at": _date(a.uploaded_at),
        "uploaded_by": a.uploaded_by.full_name,
    }


def _concerns_of(person) -> dict:
    in_full, in_outline = concerns_in_export(person)
    people = ("supervisee", "supervisor", "raised_by", "raised_with")
    return {
        "concerns": [
            _concern(c)
            for c in in_full.select_related(*people, "disagreement")
            .prefetch_related("entries__author")
            .order_by("raised_at", "pk")
        ],
        # Part of someone else's file (see concerns_in_export): that it happened, whose
        # supervision it was about, when, and their part in it; never what was written.
        "concerns_about_others": [
            {
                "kind": c.get_kind_display(),
                "about_the_supervision_of": c.supervisee.full_name,
                "their_part": _part(c, person),
                "raised_at": _date(c.raised_at),
                "status": c.get_status_display(),
                "closed_at": _date(c.closed_at),
            }
            for c in in_outline.select_related("supervisee").order_by("raised_at", "pk")
        ],
    }


def _part(concern, person) -> str:
    if concern.raised_with_id == person.pk:
        return "Raised with them"
    if concern.kind == concern.Kind.DISAGREEMENT and concern.supervisor_id == person.pk:
        return "The supervisor in the disagreement"
    # Only one way left in (concerns_in_export): they answered it, then it was passed on.
    return "Answered by them before it was passed on"


def _name(user):
    return user.full_name if user else None


def _concern(c) -> dict:
    return {
        "id": c.pk,
        "kind": c.get_kind_display(),
        "status": c.get_status_display(),
        "about_the_supervision_of": c.supervisee.full_name,
        "supervisor": _name(c.supervisor),
        "raised_by": c.raised_by.full_name,
        "raised_with": _name(c.raised_with),
        "raised_at": _date(c.raised_at),
        "closed_at": _date(c.closed_at),
        "disagreement": (
            {
                "record": c.disagreement.record_id,
                "subject": c.disagreement.subject,
            }
            if c.disagreement
            else None
        ),
        "text": c.text,
        "outcome": c.outcome,
        "entries": [
            {
                "kind": e.get_kind_display(),
                # None for a step the product took itself (passing it on after a leaver).
                "author": _name(e.author),
                "text": e.text,
                "created_at": _date(e.created_at),
            }
            for e in c.entries.all()
        ],
    }


def _agreement(a) -> dict:
    content = {field: getattr(a, field) for field in a.CONTENT_FIELDS}
    content = {k: (_date(v) if hasattr(v, "isoformat") else v) for k, v in content.items()}
    return {
        "id": a.pk,
        "supervisor": a.relationship.supervisor.full_name,
        "version": a.version,
        "status": a.get_status_display(),
        **content,
        "signatures": [
            {"signer": s.signer.full_name, "role": s.role, "signed_at": _date(s.signed_at)}
            for s in a.signatures.all()
        ],
    }


def _audit_entry(e, person) -> dict:
    about_them = e.subject_id == person.pk
    return {
        "sequence": e.sequence,
        "occurred_at": _date(e.occurred_at),
        # Who acted on their file is theirs to know. Where they acted on someone else's file,
        # that file is named by id only, and `detail` is left out throughout: it may quote
        # other people's words.
        "actor": e.actor.full_name if e.actor else None,
        "action": e.get_action_display(),
        "object": e.object_label,
        "object_id": e.object_id,
        "about_them": about_them,
        "path": e.path,
        "ip_address": e.ip_address,
    }


@shared_task(name="oversight.tasks.subject_access_export_build")
def subject_access_export_build_task(export_id: int) -> str:
    """Make one subject access zip in the background; the page polls its progress."""
    return subject_access_export_build(export_id).status
