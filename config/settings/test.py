import os
from urllib.parse import urlsplit, urlunsplit


def _own_redis_database(url: str, worker: str) -> str:
    """pytest-xdist runs the suite in several processes ("gw0", "gw1", …), each with a test
    database of its own; each gets a Redis database of its own too (the next ones after the
    URL's), so one process's cache and broker never see another's. Set before the base
    settings read REDIS_URL, and in the environment, so a Celery worker a test starts uses
    the same one."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + 1 + int(worker.removeprefix('gw'))}"))


if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = _own_redis_database(
        os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"]
    )

from config.settings.base import *  # noqa: E402, F403

# Argon2 is deliberately slow; tests that check the configured hasher read base.PASSWORD_HASHERS.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True  # the browser tests run on http://localhost
