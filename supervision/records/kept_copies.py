"""Where the record page keeps its rendering of a finalised record (supervision.web.record_kept):
under the record's id and the way it is read, so that whatever destroys a record finds and
forgets every copy kept of it. What the copy was rendered from (the templates, the record's
version and content hash) is kept inside it and checked on reading, not spelt in the key."""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

# With the personal sections or without: the two ways a record is read, each kept apart.
WAYS = (False, True)


def key(record_id: int, show_personal: bool) -> str:
    return f"record-kept:{record_id}:{int(show_personal)}"


def forget(record_ids) -> None:
    """Deletes every kept copy of these records (their destruction at the end of retention:
    nothing of a destroyed record may outlive it in the cache)."""
    keys = [key(pk, way) for pk in record_ids for way in WAYS]
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:  # noqa: BLE001 - the destruction stands; the copies expire with KEEP_SECONDS
        logger.exception("Kept copies of destroyed records %s could not be deleted", record_ids)
