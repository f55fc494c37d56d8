"""A case note as a document: on its page, as a PDF, and in the per-child extract for the
child's file in the council's case-management system.

One function decides which headings a note shows, so the page, the PDF and the plain text
say the same thing. Children are named by reference and initials only (R11). Every piece of
user text reaches the PDF through the template engine's escaping; nothing is marked safe.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from casework.models import FULL_KINDS, CaseNote, CaseNoteAction, CaseNoteAttachment, Child
from casework.services import FOUR_PS, NEGLECT_FIELDS
from oversight.policy.due import day_start

NOTHING = "Nothing recorded."
HASH_LABEL = "Content hash (SHA-256):"

FULL_HEADINGS = [
    ("current_situation", "Current situation"),
    ("working_well", "What is working well"),
    ("worries", "Worries and risks"),
    ("decision", "Decision and direction"),
    ("reasons", "Reasons for the decision"),
]
OVERSIGHT_HEADINGS = [
    ("current_situation", "Current situation"),
    ("working_well", "What is working well"),
    ("worries", "Worries and risks"),
    ("decision", "Decision"),
    ("reasons", "Rationale for the decision"),
]
# An oversight entry always shows its decision and rationale, the rest only when written.
ALWAYS_SHOWN = {"decision", "reasons"}


def clock(moment: datetime) -> str:
    """2:30pm, as people write it."""
    local = timezone.localtime(moment)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"


def when(moment: datetime) -> str:
    """5 March 2026 at 2:30pm."""
    return f"{timezone.localtime(moment):%-d %B %Y} at {clock(moment)}"


def day(value: date | None) -> str:
    return f"{value:%-d %B %Y}" if value else ""


def notes_for_document(queryset):
    """Notes with everything a document prints, in a fixed number of queries."""
    return queryset.select_related(
        "child", "author", "worker", "finalised_by", "session", "group_session"
    ).prefetch_related(
        Prefetch(
            "actions",
            queryset=CaseNoteAction.objects.select_related("owner").order_by("due_on", "pk"),
        ),
        Prefetch("attachments", queryset=CaseNoteAttachment.objects.select_related("uploaded_by")),
    )


def note_sections(note: CaseNote) -> list[dict]:
    """The headings of the note with their text, in the order written."""
    full = note.kind in FULL_KINDS
    sections = []
    for field, heading in FULL_HEADINGS if full else OVERSIGHT_HEADINGS:
        text = getattr(note, field)
        if full or text.strip() or field in ALWAYS_SHOWN:
            sections.append({"field": field, "heading": heading, "text": text})
    return sections


def four_ps(note: CaseNote) -> list[dict]:
    rows = [
        {"heading": CaseNote._meta.get_field(f).verbose_name.capitalize(), "text": getattr(note, f)}
        for f in FOUR_PS
    ]
    return rows if any(row["text"].strip() for row in rows) else []


def neglect_answers(note: CaseNote) -> list[dict]:
    """C8's three questions with their answers, where any was recorded."""
    rows = [
        {
            "field": f,
            "question": CaseNote._meta.get_field(f).verbose_name.capitalize(),
            "answer": getattr(note, f"get_{f}_display")() if getattr(note, f) else "",
        }
        for f in NEGLECT_FIELDS
    ]
    if any(row["answer"] for row in rows) or note.neglect_comment.strip():
        return rows
    return []


def owner_label(action: CaseNoteAction) -> str:
    return action.owner.full_name if action.owner_id else action.owner_name


def signature_line(note: CaseNote) -> str:
    """Finalised by Jo Smith on 5 March 2026 at 2:30pm, hash 3f2a…"""
    if not note.is_final:
        return "Draft: not finalised, so not signed."
    who = note.finalised_by.full_name if note.finalised_by_id else "a manager"
    return f"Finalised by {who} on {when(note.finalised_at)}, hash {note.content_hash}"


def note_document(note: CaseNote) -> dict:
    """Everything a reader sees of one note, for the page, the PDF and the extract."""
    return {
        "note": note,
        "child": note.child,
        "discussed": when(note.discussed_at),
        "session_day": day(timezone.localtime(note.session.starts_at).date())
        if note.session_id
        else "",
        "sections": note_sections(note),
        "four_ps": four_ps(note),
        "neglect": neglect_answers(note),
        "next_review": day(note.next_review_on),
        "actions": [
            {"action": action, "owner": owner_label(action), "due": day(action.due_on)}
            for action in note.actions.all()
        ],
        "attachments": list(note.attachments.all()),
        "signature": signature_line(note),
        "finalised": when(note.finalised_at) if note.finalised_at else "",
    }


def _pdf(template: str, context: dict) -> bytes:
    html = render_to_string(
        template,
        {
            "organisation_name": settings.ORGANISATION_NAME,
            "service_name": settings.SERVICE_NAME,
            "hash_label": HASH_LABEL,
            "nothing": NOTHING,
            **context,
        },
    )
    # Imported here: WeasyPrint loads Pango and fonts, which only PDF work needs.

    # No protocol allowed: a note is self-contained, and nothing written in it may make the
    # server fetch a URL or read a local file.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()


def render_note_pdf(note: CaseNote) -> bytes:
    """One note. A draft is marked DRAFT on every page: it is not signed and may change."""
    return _pdf(
        "pdf/case_note.html",
        {
            "doc": note_document(note),
            "draft": not note.is_final,
            "footer": _footer(f"Case note {note.pk}, child {note.child.reference}"),
        },
    )


def note_pdf_filename(note: CaseNote) -> str:
    """For example case-note-NS100001-2026-03-04-draft.pdf."""
    discussed = timezone.localtime(note.discussed_at).date()
    suffix = "" if note.is_final else "-draft"
    return f"case-note-{_safe(note.child.reference)}-{discussed:%Y-%m-%d}{suffix}.pdf"


def extract_notes(child: Child, start: date | None, end: date | None) -> list[CaseNote]:
    """Every final note of the child in the order discussed, within the dates if given."""
    notes = CaseNote.objects.filter(child=child, status=CaseNote.Status.FINAL)
    if start:
        notes = notes.filter(discussed_at__gte=day_start(start))
    if end:
        notes = notes.filter(discussed_at__lt=day_start(end + timedelta(days=1)))
    notes = list(notes_for_document(notes).order_by("discussed_at", "pk"))
    for note in notes:
        note.child = child
    return notes


def _range_text(start: date | None, end: date | None) -> str:
    if start and end:
        return f"Notes discussed from {day(start)} to {day(end)}"
    if start:
        return f"Notes discussed from {day(start)}"
    if end:
        return f"Notes discussed up to {day(end)}"
    return "All notes"


def _extract_context(child, notes, start, end, made_by, made_at) -> dict:
    return {
        "child": child,
        "docs": [note_document(note) for note in notes],
        "range": _range_text(start, end),
        "made": when(made_at),
        "made_by": made_by.full_name,
    }


def render_extract_pdf(child, notes, *, start, end, made_by, made_at) -> bytes:
    context = _extract_context(child, notes, start, end, made_by, made_at)
    return _pdf(
        "pdf/child_extract.html",
        {**context, "draft": False, "footer": _footer(f"Case notes for {child.reference}")},
    )


def extract_text(child, notes, *, start, end, made_by, made_at) -> str:
    """The final notes as plain text, to paste into the case-management system."""
    context = _extract_context(child, notes, start, end, made_by, made_at)
    rule = "=" * 72
    lines = [
        "Management oversight and case supervision notes",
        settings.ORGANISATION_NAME,
        f"Child: {child.reference} ({child.initials})",
        f"{context['range']}, final notes only, in the order discussed.",
        f"Extract made by {context['made_by']} on {context['made']}.",
        f"Notes: {len(notes)}",
    ]
    if not notes:
        lines += ["", "There are no final notes for this child in these dates."]
    for doc in context["docs"]:
        note = doc["note"]
        lines += ["", rule, f"{note.get_kind_display()}, {doc['discussed']}", rule]
        lines.append(f"Written by: {note.author.full_name}")
        if note.worker_id:
            lines.append(f"Worker: {note.worker.full_name}")
        if doc["session_day"]:
            lines.append(f"Supervision session: {doc['session_day']}")
        for section in doc["sections"]:
            lines += ["", section["heading"], _block(section["text"])]
        if doc["next_review"]:
            lines += ["", "Next review date", doc["next_review"]]
        if doc["four_ps"]:
            lines += ["", "Case formulation: the four Ps"]
            for row in doc["four_ps"]:
                lines += [f"{row['heading']}:", _block(row["text"])]
        if doc["neglect"]:
            lines += ["", "Chronic neglect: reviews considered"]
            for row in doc["neglect"]:
                lines.append(f"{row['question']}: {row['answer'] or 'Not answered'}")
            if note.neglect_comment.strip():
                lines.append(f"Comment: {note.neglect_comment.strip()}")
        lines += ["", "Actions"]
        if not doc["actions"]:
            lines.append("No actions agreed.")
        for row in doc["actions"]:
            action = row["action"]
            lines.append(
                f"- {' '.join(action.description.split())} "
                f"(who: {row['owner']}; by {row['due']}; {action.get_status_display().lower()})"
            )
        lines += ["", doc["signature"]]
    return "\n".join(lines) + "\n"


def _footer(text: str) -> str:
    # Printed inside a CSS string in the page margin, where HTML escaping does not apply:
    # only characters that cannot end or escape the string.
    return "".join(ch for ch in text if ch.isalnum() or ch in " ,/-")


def _block(text: str) -> str:
    text = text.strip()
    return text if text else NOTHING


def extract_filename(child: Child, made_on: date, extension: str) -> str:
    return f"case-notes-{_safe(child.reference)}-{made_on:%Y-%m-%d}.{extension}"


def _safe(reference: str) -> str:
    # References may hold slashes (services.REFERENCE_PATTERN); a file name may not.
    return reference.replace("/", "-")
