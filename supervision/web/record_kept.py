"""What a finalised record shows every reader alike, rendered once and kept.

A finalised record never changes (R8: the database refuses any change to its headings,
decisions, action reviews, disagreements, requests for changes and attachments once it is
finalised), so its headings and its decisions are rendered once for each way of reading it
(with the personal sections or without) and kept in the cache under the record's id, version
and content hash, and the fragments' templates. Kept with them: whether it has action reviews,
disagreements, open requests for changes and attachments, so that a page reads those rows only
where there are some. The cache key is the record's id and the way of reading it
(supervision.records.kept_copies), so that destroying the record forgets its copies; what
it was rendered from is kept inside and checked, so a changed template or record is a miss.

Read afresh on every request, since they change after finalisation: the actions' status, the
escalations, the addenda, the names of the people, the previous record and the flag. The
reader's reach is checked and the read audited by the view on every request, kept or not.
"""

import hashlib
import logging

from django.core.cache import cache
from django.template.loader import get_template, render_to_string
from django.utils.safestring import mark_safe

from supervision.records import kept_copies

logger = logging.getLogger(__name__)

SECTIONS = "supervision/records/_read_sections.html"
DECISIONS = "supervision/records/_decisions.html"
# A record is read less as it ages; one read again after this is rendered again.
KEEP_SECONDS = 30 * 24 * 3600

_fingerprint = None


def _templates_fingerprint() -> str:
    """Changes when a fragment's template does (a release), so nothing kept outlives it."""
    global _fingerprint
    if _fingerprint is None:
        sources = "".join(get_template(name).template.source for name in (SECTIONS, DECISIONS))
        _fingerprint = hashlib.sha256(sources.encode()).hexdigest()[:16]
    return _fingerprint


def key(record, show_personal: bool) -> str:
    return kept_copies.key(record.pk, show_personal)


def _stamp(record) -> str:
    """What the copy was rendered from: a copy with another stamp is not this record's now."""
    return f"{_templates_fingerprint()}:{record.version}:{record.content_hash}"


def kept(record, show_personal: bool) -> dict | None:
    """What is kept of a finalised record for this way of reading it, or None (not yet, not
    finalised, or the cache is unavailable: the page then reads and renders it all)."""
    if not record.is_finalised:
        return None
    try:
        found = cache.get(key(record, show_personal))
    except Exception as error:  # a cache that fails costs a full page, never the page
        logger.warning("Kept records unavailable: %s", error)
        return None
    if found is None or found.get("stamp") != _stamp(record):
        return None
    # Rendered by the fragments' templates, which escaped what they were given.
    sections, decisions = mark_safe(found["sections"]), mark_safe(found["decisions"])  # noqa: S308
    return {**found, "sections": sections, "decisions": decisions}


def keep(record, show_personal: bool) -> dict | None:
    """Renders what is kept of a finalised record loaded in full, keeps it and returns it."""
    if not record.is_finalised:
        return None
    context = {"record": record, "show_personal": show_personal, "changed_headings": 0}
    found = {
        "stamp": _stamp(record),
        "sections": render_to_string(SECTIONS, context),
        "decisions": render_to_string(DECISIONS, context),
        "has_reviews": bool(record.action_reviews.all()),
        "has_disagreements": bool(record.disagreements.all()),
        "has_open_amendments": any(a.resolved_at is None for a in record.amendment_requests.all()),
        "has_attachments": bool(record.attachments.all()),
    }
    try:
        cache.set(key(record, show_personal), found, KEEP_SECONDS)
    except Exception as error:  # noqa: BLE001 - the page is right without it
        logger.warning("Kept records unavailable: %s", error)
        return found
    # A record destroyed while this copy was rendered had its copies forgotten once the
    # destruction committed, perhaps before this one was written. Looked for again after
    # writing: either the destruction's forgetting comes after this write, or this look sees
    # the record gone. Only on a miss, so the pages that read a kept copy pay nothing.
    if not type(record).objects.filter(pk=record.pk).exists():
        kept_copies.forget([record.pk])
    return found
