"""A person's home page, kept while nothing it shows has changed.

The home is the page everyone opens most, and the costliest to make: the supervisor's reads
what waits for them, the flags of everyone they supervise and a table of those people. What it
shows is about its reader, the people they supervise and the people who supervise them, and
every write to a row a home can show notes, through a database trigger in the same
transaction, the people that row is about (oversight.models.HomeChange, migration 0027). The
made page is kept with the count and the last id of the notes about those people, read in one
query before the page is made; a request finds it again only while that query answers the
same, so any write about any of them since (committed before or while the page was made)
makes it afresh. Notes are only inserted, never updated, so writers never wait on them, and
`compact` replaces a person's many notes by one new note, which still moves the answer on.

What time alone changes (a session that has started, a flag whose time has come) and a new
release are seen within settings.HOME_KEEP_SECONDS: a kept page is made afresh at the latest
after that, and on a new day. Kept apart for each reader, each way of sorting the table and
each set of roles; the page's forms are given the request's own CSRF token as it is served.
The page around it (navigation, messages, the sign-out form) is rendered on every request,
and the view audits every read, kept or not.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Max
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.template.loader_tags import ExtendsNode, IncludeNode
from django.utils.safestring import mark_safe

logger = logging.getLogger(__name__)

PAGE = "supervision/home.html"
CONTENT = "supervision/home/_content.html"
# Where the page's forms carry the request's CSRF token: letters only, so escaping leaves it.
TOKEN_PLACEHOLDER = "csrfTokenOfTheRequestPlaceholderQxZv"
# A person with more notes than this has them replaced by one (compact).
NOTES_KEPT = 50

# The notes about the reader, everyone (0), and anyone who is or was their supervisor or
# supervisee: a relationship written since notes both its people, so a new one moves this on.
NOTES_SQL = "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM oversight_homechange"
STAMP_SQL = """
SELECT COUNT(*), COALESCE(MAX(id), 0) FROM oversight_homechange WHERE person_id IN (
    SELECT 0
    UNION ALL SELECT %(person)s
    UNION ALL SELECT supervisee_id FROM supervision_supervisoryrelationship
        WHERE supervisor_id = %(person)s
    UNION ALL SELECT supervisor_id FROM supervision_supervisoryrelationship
        WHERE supervisee_id = %(person)s
)
"""

_fingerprints: dict[str, str] = {}


def _templates_fingerprint(names: str | tuple[str, ...] = CONTENT) -> str:
    """Changes with a page's templates (a release), so no kept page outlives its own: the
    templates named, and those they include or extend."""
    if names not in _fingerprints:
        found = [names] if isinstance(names, str) else list(names)
        for name in list(found):
            found.extend(_included(get_template(name).template))
        sources = "".join(get_template(each).template.source for each in sorted(set(found)))
        _fingerprints[names] = hashlib.sha256(sources.encode()).hexdigest()[:16]
    return _fingerprints[names]


def _included(template) -> list[str]:
    found = []
    for node in template.nodelist.get_nodes_by_type((IncludeNode, ExtendsNode)):
        named = node.template if isinstance(node, IncludeNode) else node.parent_name
        name = named.resolve({}) if hasattr(named, "resolve") else None
        if isinstance(name, str):
            found.append(name)
            found.extend(_included(get_template(name).template))
    return found


def stamp(person_id: int) -> tuple[int, int]:
    """The count and last id of the notes the person's home depends on: read before the page
    is made, so a write committed while it is made moves the next request's answer on."""
    return _count_and_last(STAMP_SQL, {"person": person_id})


def notes_about(person_ids) -> tuple[int, int]:
    """`stamp` for a page about these people (and everyone's notes, person 0)."""
    people = sorted({0, *(int(person) for person in person_ids if person is not None)})
    marks = ", ".join(["%s"] * len(people))
    return _count_and_last(f"{NOTES_SQL} WHERE person_id IN ({marks})", people)


def _count_and_last(sql: str, params) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, last = cursor.fetchone()
    return int(count), int(last)


def page_key(templates: str | tuple[str, ...], *parts) -> str:
    """The key of a page kept this way: the templates it is made by (and their fingerprint)
    and what it is kept apart by (the reader and what they may see among them)."""
    said = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:24]
    named = templates if isinstance(templates, str) else "+".join(templates)
    return f"page:{named}:{_templates_fingerprint(templates)}:{said}"


def home_key(request, roles, sort: str | None, today) -> str:
    return page_key(
        (PAGE, CONTENT), request.user.pk, today.isoformat(), ",".join(roles.labels), sort
    )


def make(render) -> str:
    """The page made by `render(extra_context)`, its forms' CSRF token left as a placeholder:
    the token is the request's, put in by `served`, so a kept page serves any browser of the
    reader's, and still serves after a new sign-in has changed their secret."""
    return render({"csrf_token": TOKEN_PLACEHOLDER})


def around(request, template: str, content: str, context: dict) -> str:
    """The page `template` made around `content` (made by `make`), the CSRF placeholder in its
    own forms too (the sign-out form's): the page whole, kept by the view while the request
    shows no message. Rendered with the request, so the navigation is the reader's."""
    return make(
        lambda extra: render_to_string(
            template,
            # `content` was made by the page's own templates, which escaped what they were given.
            {**context, "content": mark_safe(content), **extra},  # noqa: S308
            request,
        )
    )


def shows_messages(request) -> bool:
    """Whether the page made for this request shows a message: one that is the request's own,
    so neither served from a kept page nor kept with it. Asked without using them up."""
    return bool(messages.get_messages(request))


def served(request, html: str):
    # Rendered by the page's own templates, which escaped what they were given; the token is
    # Django's, of letters and digits.
    return mark_safe(html.replace(TOKEN_PLACEHOLDER, get_token(request)))  # noqa: S308


def kept(cache_key: str, seen: tuple[int, int], now):
    """The page kept under this key if it was made under the same notes within HOME_KEEP_SECONDS,
    else None (not yet, changed since, too old, or the cache is unavailable: the page is then
    made)."""
    try:
        found = cache.get(cache_key)
    except Exception as error:  # a cache that fails costs a full page, never the page
        logger.warning("Kept homes unavailable: %s", error)
        return None
    if found is None or tuple(found["stamp"]) != seen:
        return None
    # Timed here as well as by the cache's expiry: the clock the page is made by decides.
    if not 0 <= now.timestamp() - found["made_at"] < settings.HOME_KEEP_SECONDS:
        return None
    return found["html"]


def keep(cache_key: str, seen: tuple[int, int], html: str, now) -> None:
    if settings.HOME_KEEP_SECONDS <= 0:
        return
    kept_copy = {"stamp": list(seen), "html": str(html), "made_at": now.timestamp()}
    try:
        cache.set(cache_key, kept_copy, settings.HOME_KEEP_SECONDS)
    except Exception as error:
        logger.warning("Kept homes unavailable: %s", error)


def compact(limit: int = NOTES_KEPT) -> int:
    """Replaces the notes of each person with more than `limit` by one new note, and returns
    how many people it did so for. The new note's id is above every id it replaces, so the
    answer `stamp` gives moves on and no kept page is found again by mistake (a page made
    before is made afresh once). Notes of a transaction still under way are not seen, so not
    removed, and count when it commits."""
    from oversight.models import HomeChange

    with transaction.atomic():
        busy = list(
            HomeChange.objects.values("person_id")
            .annotate(notes=Count("id"))
            .filter(notes__gt=limit)
            .values_list("person_id", flat=True)
        )
        if not busy:
            return 0
        top = HomeChange.objects.aggregate(top=Max("id"))["top"]
        HomeChange.objects.bulk_create([HomeChange(person_id=person) for person in busy])
        for start in range(0, len(busy), 1000):
            # Deleted in one statement: nothing refers to a note.
            HomeChange.objects.filter(
                id__lte=top, person_id__in=busy[start : start + 1000]
            ).delete()
    return len(busy)
