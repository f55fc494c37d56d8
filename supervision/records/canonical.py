"""The canonical content of a record: what a signature signs and what a PDF is checked against.

Only facts frozen with the record go in (its own text, decisions, actions as agreed, reviews of
earlier actions, disagreements, the functions of supervision it covered, and the names and roles
captured when it was shared), so the hash recomputed years later still matches an untouched
record.
"""

import hashlib
import json

from supervision.models import SupervisionRecord


def record_content(record) -> dict:
    session = record.session
    return {
        "record": record.pk,
        "organisation": record.organisation_name,
        "template": {"code": record.template.code, "version": record.template.version},
        "session": {
            "id": session.pk,
            "type": session.session_type,
            "starts_at": session.starts_at.isoformat(),
            "ends_at": session.ends_at.isoformat(),
            "mode": session.mode,
            "location": session.location,
        },
        "supervisee": {
            "id": session.supervisee_id,
            "name": record.supervisee_name,
            "role": record.supervisee_role,
        },
        "supervisor": {
            "id": session.supervisor_id,
            "name": record.supervisor_name,
            "role": record.supervisor_role,
        },
        "sections": [
            {"key": s.template_section.key, "heading": s.template_section.heading, "text": s.text}
            for s in sorted(record.sections.all(), key=lambda s: s.template_section.position)
        ],
        "decisions": [
            {"decision": d.decision, "reasons": d.reasons}
            for d in sorted(record.decisions.all(), key=lambda d: (d.position, d.pk))
        ],
        "actions": [
            {
                "id": a.pk,
                "description": a.description,
                "owner": a.owner,
                "owner_name": a.owner_name,
                "due_date": a.due_date.isoformat(),
            }
            for a in sorted(record.actions.all(), key=lambda a: (a.position, a.pk))
        ],
        "action_reviews": [
            {"action": r.action_id, "outcome": r.outcome, "note": r.note}
            for r in sorted(record.action_reviews.all(), key=lambda r: r.pk)
        ],
        "disagreements": [
            {
                "subject": d.subject,
                "supervisor_view": d.supervisor_view,
                "supervisee_view": d.supervisee_view,
            }
            for d in sorted(record.disagreements.all(), key=lambda d: d.pk)
        ],
        # Only when there are some, so that records without attachments keep their hash; a
        # signature then covers each file's bytes through its SHA-256.
        **(
            {
                "attachments": [
                    {"name": a.name, "size": a.size, "sha256": a.sha256}
                    for a in sorted(record.attachments.all(), key=lambda a: (a.uploaded_at, a.pk))
                ]
            }
            if record.attachments.all()
            else {}
        ),
        # Only when given, so that records written before the form asked keep their hash.
        **(
            {"next_session_at": record.next_session_at.isoformat()}
            if record.next_session_at
            else {}
        ),
        # Likewise only when answered: records signed before the record asked which functions
        # of supervision the session covered (R3) keep their bytes and their hash.
        **({"functions": record.functions_covered} if record.functions_answered else {}),
    }


def content_hash(content: dict) -> str:
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def record_hash(record) -> str:
    return content_hash(record_content(record))


def load_record_for_content(record_id):
    """The record with everything `record_content` reads, in a fixed number of queries."""

    return (
        SupervisionRecord.objects.select_related("session", "template")
        .prefetch_related(
            "sections__template_section",
            "decisions",
            "actions",
            "action_reviews",
            "disagreements",
            "attachments",
        )
        .get(pk=record_id)
    )
