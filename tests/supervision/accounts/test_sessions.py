"""Sessions kept in the database and read from a cache (supervision.accounts.sessions), saved
when changed or when a minute has passed since they were last saved
(supervision.web.middleware.SessionRefreshMiddleware): the idle limit still ends a session
left alone for 30 minutes, and signing out, a password changed or a leaver's departure still
ends it at once, the cached copy with the row. Run once with REDIS_URL set for the Redis cache
(skipped without it, failed in CI)."""

import os
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.accounts import sessions as session_store
from supervision.people.leaving import sessions_end_for
from tests.factories import SUPERVISEE_PASSWORD, StaffProfileFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
SIGN_IN = "/sign-in/"


def sign_in(client, email):
    response = client.post(SIGN_IN, {"login": email, "password": SUPERVISEE_PASSWORD})
    assert response.status_code == 302
    return client.cookies["sessionid"].value


def row_expires(key):
    return Session.objects.get(session_key=key).expire_date


@pytest.fixture
def jo():
    return StaffProfileFactory(user__email="jo@example.org").user


@pytest.fixture
def redis_sessions(settings):
    """The session cache in Redis (this helper's own database), as where REDIS_URL is set."""
    url = os.environ.get("REDIS_URL", "")
    if not url.startswith("redis://"):
        pytest.skip("needs Redis (set REDIS_URL)")
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url},
    }
    yield caches["sessions"]
    caches["sessions"].clear()


@pytest.fixture(autouse=True)
def cache_in_use(monkeypatch):
    monkeypatch.setattr(session_store, "_resting_until", 0.0)


def test_a_page_within_a_minute_of_the_last_save_does_not_save_the_session(client, jo):
    with time_machine.travel(START, tick=False) as clock:
        key = sign_in(client, jo.email)
        signed_in_expiry = row_expires(key)
        clock.shift(timedelta(seconds=50))
        response = client.get("/")
        assert response.status_code == 200
        assert row_expires(key) == signed_in_expiry, "no write"
        assert "sessionid" not in response.cookies, "the cookie is not sent again"

        clock.shift(timedelta(seconds=20))  # 70 seconds after the last save
        response = client.get("/")
        assert row_expires(key) == START + timedelta(seconds=70, minutes=30)
        # Sent again; signing in made it a cookie the browser forgets when it closes.
        assert response.cookies["sessionid"].value == key


def test_a_page_reads_its_session_from_the_cache_not_the_database(client, jo):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, jo.email)
        clock.shift(timedelta(seconds=10))
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]


def test_a_session_left_alone_ends_within_30_minutes_of_the_last_request(client, jo):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, jo.email)
        clock.shift(timedelta(seconds=40))
        assert client.get("/").status_code == 200  # not saved: inside the minute
        # 29 minutes 30 seconds after the last request, 30 minutes after the last save.
        clock.shift(timedelta(minutes=29, seconds=21))
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith(SIGN_IN)


def test_the_timeout_warning_counts_only_the_time_it_is_sure_of(client, jo):
    with time_machine.travel(START, tick=False):
        sign_in(client, jo.email)
        assert 'data-idle-seconds="1740"' in client.get("/").content.decode()


def test_keep_alive_renews_the_limit_at_once(client, jo):
    with time_machine.travel(START, tick=False) as clock:
        key = sign_in(client, jo.email)
        clock.shift(timedelta(seconds=10))
        assert client.post("/keep-alive/").status_code == 204
        assert row_expires(key) == START + timedelta(seconds=10, minutes=30)


def test_signing_out_ends_the_session_in_the_cache_and_the_database(client, jo, redis_sessions):
    key = sign_in(client, jo.email)
    assert client.get("/").status_code == 200
    assert redis_sessions.get(session_store.KEY_PREFIX + key) is not None
    client.post("/sign-out/")
    assert redis_sessions.get(session_store.KEY_PREFIX + key) is None
    assert not Session.objects.filter(session_key=key).exists()
    client.cookies["sessionid"] = key  # the old cookie, replayed
    assert client.get("/").status_code == 302


def test_a_leavers_sessions_end_at_once_in_the_cache_and_the_database(client, jo, redis_sessions):
    key = sign_in(client, jo.email)
    assert client.get("/").status_code == 200
    assert redis_sessions.get(session_store.KEY_PREFIX + key) is not None

    assert sessions_end_for(jo) == 1

    assert redis_sessions.get(session_store.KEY_PREFIX + key) is None
    assert not Session.objects.filter(session_key=key).exists()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(SIGN_IN)


def test_a_password_changed_elsewhere_ends_the_other_sessions(client, jo, redis_sessions):
    sign_in(client, jo.email)
    assert client.get("/").status_code == 200
    jo.set_password("another long passphrase 42")
    jo.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(SIGN_IN)


def test_a_cache_that_refuses_costs_one_failure_and_the_database_serves(client, jo, settings):
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]  # closed once the block ends: connections are refused
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        },
    }
    key = sign_in(client, jo.email)
    assert session_store._resting_until > time.monotonic(), "the cache is left alone a while"
    assert client.get("/").status_code == 200, "still signed in, from the database"
    client.post("/sign-out/")
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/").status_code == 302


def test_a_frozen_cache_costs_one_short_wait_then_none(client, jo, settings):
    """A port that takes connections and never answers, as a stopped Redis: the settings
    give the session cache half a second, and the process then lets it be."""
    with socket.socket() as frozen:
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(64)
        url = f"redis://127.0.0.1:{frozen.getsockname()[1]}/0"
        settings.CACHES = {
            **settings.CACHES,
            "sessions": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
            },
        }
        started = time.monotonic()
        sign_in(client, jo.email)
        assert time.monotonic() - started < 1.5
        started = time.monotonic()
        assert client.post("/keep-alive/").status_code == 204, "still signed in"
        assert time.monotonic() - started < 0.5, "no second wait"
