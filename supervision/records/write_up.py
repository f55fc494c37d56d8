"""Writing the record's headings up on one page, and showing what changed when it comes back.

A record is written after the session, heading by heading from the template. One page with
every heading (rather than a page, a tick and a save for each) is how supervisors write: they
move between headings as they remember things. Each heading still saves on its own as it is
typed (the record's autosave), and the page as a whole saves in one transaction.

When the supervisee asks for changes and the record is shared again, they should not have to
read it all again to find what moved: each share keeps the headings as they read then
(`SharedText`, written by record_services.record_share), and the next reading shows the
difference heading by heading.
"""

import difflib
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from supervision.models import RecordSection, SupervisionFunction, SupervisionRecord, User
from supervision.records.services import _audit, claim_edit, heading_problem


@transaction.atomic
def write_up_save(
    *,
    record: SupervisionRecord,
    texts: dict[str, str],
    finished: bool,
    expected_version: int,
    by: User,
    functions: list[str] | None = None,
    request=None,
) -> SupervisionRecord:
    """Save every heading at once. `finished` marks each heading with text as completed;
    otherwise headings with text are in progress (a completed one stays completed).

    `functions`: the codes of the functions of supervision the session covered (R3), None to
    leave them as they are. Finishing needs at least one: a session covers some of the four,
    if not all (001 §1.1), and the dashboard reads their balance over the quarter.

    Raises ValidationError keyed by section key (and "functions"), RecordConflict if the
    record moved on since the page was read."""
    sections = list(
        RecordSection.objects.select_related("template_section")
        .filter(record=record)
        .select_for_update()
    )
    errors = {}
    for section in sections:
        text = texts.get(section.template_section.key, section.text)
        if problem := heading_problem(text, section.template_section.heading):
            errors[section.template_section.key] = problem
    if problem := functions_problem(record, functions, finished):
        errors["functions"] = problem
    if errors:
        raise ValidationError(errors)
    claim_edit(record, expected_version)
    if functions is not None:
        covers = {f"covers_{code}": code in functions for code in SupervisionFunction.values}
        SupervisionRecord.objects.filter(pk=record.pk).update(**covers)
    saved = []
    for section in sections:
        key = section.template_section.key
        text = texts.get(key, section.text)
        if not text.strip():
            progress = RecordSection.Progress.NOT_STARTED
        elif finished or section.progress == RecordSection.Progress.COMPLETED:
            progress = RecordSection.Progress.COMPLETED
        else:
            progress = RecordSection.Progress.IN_PROGRESS
        if (text, progress) != (section.text, section.progress):
            section.text, section.progress = text, progress
            section.save(update_fields=["text", "progress"])
            saved.append(key)
    functions_detail = {} if functions is None else {"functions": sorted(functions)}
    _audit(
        request, by, record, "write-up saved", sections=saved, finished=finished, **functions_detail
    )
    return SupervisionRecord.objects.select_related("session").get(pk=record.pk)


def functions_problem(record, functions: list[str] | None, finished: bool) -> str | None:
    """What is wrong with the answer to "Which functions of supervision did this session
    cover?", as the error message, or None."""
    if functions is not None and set(functions) - set(SupervisionFunction.values):
        return "Select the functions of supervision from the list"
    chosen = record.functions_covered if functions is None else functions
    if finished and not chosen:
        return "Select which functions of supervision this session covered"
    return None


def changes_since_last_read(record: SupervisionRecord) -> dict[str, SafeString]:
    """Heading key to the marked-up difference, for each heading that changed between the
    last two shares. Empty when the record has been shared once or not at all."""
    shares = sorted(record.shared_texts.all(), key=lambda s: (s.shared_at, s.pk))
    if len(shares) < 2:
        return {}
    before, now = shares[-2].texts, shares[-1].texts
    return {
        key: word_difference(before.get(key, ""), text)
        for key, text in now.items()
        if text != before.get(key, "")
    }


_WORDS = re.compile(r"\s+|[^\s]+")


def word_difference(old: str, new: str) -> SafeString:
    """The new text with removed words struck through and added words underlined, each
    announced to screen readers (ins and del are not read out by most of them)."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            parts.append(
                format_html(
                    '<del class="app-diff__removed"><span class="govuk-visually-hidden">'
                    "Removed: </span>{}</del>",
                    "".join(a[i1:i2]),
                )
            )
        if op in ("insert", "replace"):
            parts.append(
                format_html(
                    '<ins class="app-diff__added"><span class="govuk-visually-hidden">'
                    "Added: </span>{}</ins>",
                    "".join(b[j1:j2]),
                )
            )
        if op == "equal":
            parts.append(format_html("{}", "".join(a[i1:i2])))
    html = "".join(parts).replace("\n", "<br>")
    return mark_safe(html)  # noqa: S308 - every part was escaped by format_html above
