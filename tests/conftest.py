import os
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import override_settings

from tests.factories import SUPERVISEE_PASSWORD  # noqa: F401 - re-exported for tests
from tests.support import database_roles, timings
from tests.world import build_world

# .ci/run sets this: there, PostgreSQL and Redis are part of what is being proved, so a test
# that skips itself for want of a service is a failure, not a pass.
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_SERVICES and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"Skipped in CI, where every service must be present: {report.longrepr}"


def pytest_sessionstart(session):
    if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("REDIS_URL"):
        # This process's own Redis database (config/settings/test.py): left over from an
        # earlier run, its cache would carry sign-in lockouts and limits into this one.
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    if REQUIRE_SERVICES:
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            raise pytest.UsageError("REQUIRE_SERVICES=1 needs DATABASE_URL to name PostgreSQL.")
        if not os.environ.get("MIGRATE_DATABASE_URL"):
            raise pytest.UsageError(
                "REQUIRE_SERVICES=1 needs MIGRATE_DATABASE_URL: the suite runs as the "
                "application role, as production does (tests/support/database_roles.py)."
            )
        if not os.environ.get("REDIS_URL", "").startswith("redis://"):
            raise pytest.UsageError("REQUIRE_SERVICES=1 needs REDIS_URL to name Redis.")


def pytest_runtest_logreport(report):
    timings.record(report)


def pytest_terminal_summary(terminalreporter):
    timings.summary(terminalreporter)


def pytest_configure(config):
    database_roles.install_flush_as_owner()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """Test databases are created and migrated by the owner role (tests/support/
    database_roles.py)…"""
    database_roles.connect_as_owner()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """… and the tests run as the application role, as the web and the workers do."""
    database_roles.connect_as_application()
    yield
    database_roles.connect_as_owner()


@pytest.fixture
def postgres_only(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL); runs in CI")


SIGNING_PASSPHRASE = "test signing passphrase"


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache, as it does with an empty database. Pages are kept
    in the cache under the count and last id of the notes of writes (oversight.reports.
    home_kept), and on SQLite a test's rolled-back ids are given again to the next: the same
    notes, so the next test could be served the page the last one kept. Only the process's
    own memory cache is cleared: Redis (with PostgreSQL, whose ids are never given twice) holds
    the Celery broker's queues and bindings too."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    cache = caches["default"]
    if isinstance(cache, LocMemCache):
        cache.clear()


@pytest.fixture(scope="session", autouse=True)
def signing_certificate(tmp_path_factory):
    """The organisation's certificate, made once per process, so every finalised record's PDF
    is signed as it is in production. An EC key is quick to make; valid from 2000, so the
    clock a test holds in the past is inside its life."""
    from django.conf import settings

    from supervision.records.pdf_signing import make_signing_certificate

    path = tmp_path_factory.mktemp("signing") / "organisation.p12"
    make_signing_certificate(
        path,
        settings.ORGANISATION_NAME,
        SIGNING_PASSPHRASE,
        valid_from=datetime(2000, 1, 1, tzinfo=UTC),
        years=80,
    )
    with override_settings(
        RECORD_SIGNING_CERTIFICATE=path,
        RECORD_SIGNING_PASSPHRASE=SIGNING_PASSPHRASE,
        RECORD_SIGNING_TSA_URL="",
        RECORD_SIGNING_TSA_CERTIFICATE="",
    ):
        yield path


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Files made by tests (PDFs, exports) go to a folder of their own, never to media/."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def outbox_sent_on_commit(monkeypatch):
    """After a commit the product asks a worker to send the outbox (supervision.outbox); in
    tests the outbox is sent there and then, as that worker would, so a test that runs the
    commit's callbacks reads the emails in mail.outbox."""
    from oversight.notices.outbox import send_due

    monkeypatch.setattr("supervision.outbox._send_soon", lambda: send_due())


@pytest.fixture(autouse=True)
def broker_not_resting():
    """A test that made the broker fail leaves no rest behind for the next test
    (supervision/organisation/broker.py)."""
    from supervision.organisation import broker

    broker.rest_over()
    yield
    broker.rest_over()


@pytest.fixture(scope="session")
def audit_checkpoint_key():
    from supervision.organisation.checkpoints import new_private_key_pem

    return new_private_key_pem().decode()


@pytest.fixture(autouse=True)
def audit_checkpoints_in_tmp(settings, tmp_path, audit_checkpoint_key):
    """Checkpoints are signed with a key of the test session's and logged in the test's own
    folder, never in var/."""
    settings.AUDIT_CHECKPOINT_KEY = audit_checkpoint_key
    settings.AUDIT_CHECKPOINT_LOG = tmp_path / "audit-checkpoints.log"


@pytest.fixture
def world(request, db):
    """The test organisation of tests/world.py, built on the day the module names in WORLD_AT,
    with the clock held there until the test ends. A module that needs another organisation
    defines its own `world`."""
    at = getattr(request.module, "WORLD_AT", None)
    if at is None:
        pytest.fail(f"{request.module.__name__} uses `world`: set WORLD_AT to the day it is built")
    with time_machine.travel(at, tick=False):
        yield build_world()


@pytest.fixture(scope="session")
def clamd():
    """ClamAV's daemon, started if it is not running (tests/attachments.py). Never skipped: a
    test that scans an upload fails without it, as the product refuses every upload."""
    from tests.attachments import clamd_answering

    try:
        return clamd_answering()
    except RuntimeError as error:
        pytest.fail(str(error))
