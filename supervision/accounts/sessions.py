"""Sessions kept in the database and read from a cache (Redis where REDIS_URL is set).

Django's `cached_db`, with three changes:

- a cache that fails (Redis down or frozen) is left alone for CACHE_REST_SECONDS by this process:
  sessions are read from and written to the database meanwhile, so a frozen Redis costs a
  request at most one timeout, never one per read and write;
- a session read from the cache is trusted only until its own idle limit, counted from when
  it was last saved (`SAVED_AT`), whatever the cache's timer says: a cache whose entries
  outlive the session (a clock moved, a Redis restored) never brings one back;
- a session deleted (signing out, a leaver's sessions ended) is gone from both, the database
  first.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.sessions.backends import cached_db

logger = logging.getLogger(__name__)

KEY_PREFIX = "supervision.session:"
# When the session was last saved (seconds since the epoch): the refresh middleware
# (supervision.web.middleware.SessionRefreshMiddleware) reads it to save again only once a
# minute, and a cached copy older than the idle limit is not used.
SAVED_AT = "_saved_at"
CACHE_REST_SECONDS = 30

# Per process: until when the cache is left alone after it failed.
_resting_until = 0.0


def _cache_usable() -> bool:
    return time.monotonic() >= _resting_until


def _cache_failed(error: Exception) -> None:
    global _resting_until
    _resting_until = time.monotonic() + CACHE_REST_SECONDS
    logger.warning(
        "Session cache unavailable, using the database for %ss: %s", CACHE_REST_SECONDS, error
    )


class SessionStore(cached_db.SessionStore):
    cache_key_prefix = KEY_PREFIX

    def _cache_call(self, name: str, *args):
        if not _cache_usable():
            return None
        try:
            return getattr(self._cache, name)(*args)
        except Exception as error:  # any failure of the cache: the database has it all
            _cache_failed(error)
            return None

    def load(self):
        data = self._cache_call("get", self.cache_key)
        if data is not None and not self._fresh(data):
            data = None
        if data is None:
            found = self._get_session_from_db()  # None when missing or expired
            if found is None:
                return {}
            data = self.decode(found.session_data)
            self._cache_call(
                "set", self.cache_key, data, self.get_expiry_age(expiry=found.expire_date)
            )
        return data

    def _fresh(self, data: dict) -> bool:
        saved_at = data.get(SAVED_AT)
        if saved_at is None:
            return False
        # An expiry of 0 (until the browser closes, as signing in sets it) keeps the idle
        # limit; one set as a moment is not used here, so such a copy is read from the database.
        expiry = data.get("_session_expiry")
        age = expiry if isinstance(expiry, int) and expiry > 0 else settings.SESSION_COOKIE_AGE
        return time.time() < saved_at + age

    def exists(self, session_key):
        if session_key and self._cache_call("get", self.cache_key_prefix + session_key):
            return True
        return super(cached_db.SessionStore, self).exists(session_key)

    def save(self, must_create=False):
        self._get_session()[SAVED_AT] = int(time.time())
        # The database's row, then the cache's copy.
        super(cached_db.SessionStore, self).save(must_create)
        self._cache_call("set", self.cache_key, self._session, self.get_expiry_age())

    def delete(self, session_key=None):
        super(cached_db.SessionStore, self).delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self._cache_call("delete", self.cache_key_prefix + session_key)
