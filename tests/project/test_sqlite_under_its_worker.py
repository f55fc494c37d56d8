"""`make run`'s embedded default under its own worker: a real Celery worker sends 1,000 emails
from the outbox while a person reads pages, every one of which writes an audit row, on one
SQLite file. No page fails ("database is locked" showed as a bare 500 before WAL, a busy
timeout and immediate transactions), and every email goes.

The server and the worker are real processes, run as bin/serve runs them, against a database
file of their own (never the test database)."""

import http.cookiejar
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
EMAILS = 1000
READERS = 4
PASSWORD = "a long password for the reader"

SETUP = f"""
from django.utils import timezone
from oversight.models import Notification
from supervision.models import User
reader = User.objects.create_user(email="reader@example.org", password={PASSWORD!r},
                                  full_name="Page Reader", is_staff=True, is_superuser=True)
now = timezone.now()
Notification.objects.bulk_create(
    Notification(kind="daily_digest", recipient=reader, period=f"p{{n}}", subject=f"Digest {{n}}",
                 body="Nothing new.", created_at=now)
    for n in range({EMAILS})
)
"""

QUEUE = """
from oversight.tasks import notifications_send
for _ in range(40):
    notifications_send.delay()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def site(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "BROKER_DIR": str(tmp_path / "broker"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "SECRET_KEY": "a test key for the site under its worker, not used anywhere else",
    }

    def manage(*args, stdin=None):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            text=True,
            check=True,
            capture_output=True,
        )

    manage("migrate", "--noinput")
    manage("shell", stdin=SETUP)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=2"]
        + ["--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # the server answers; with no beat here, the scheduler is down
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        yield {"url": f"http://127.0.0.1:{port}", "db": tmp_path / "site.sqlite3", "queue": manage}
    finally:
        for process in (worker, server):
            process.send_signal(signal.SIGTERM)
        for process in (worker, server):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        server_log = server.stderr.read() if server.stderr else ""
        assert "database is locked" not in server_log


def sent(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as connection:
        row = connection.execute(
            "SELECT COUNT(*) FROM oversight_notification WHERE sent_at IS NOT NULL"
        ).fetchone()
    return row[0]


def signed_in_browser(site):
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    sign_in = browser.open(f"{site['url']}/sign-in/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', sign_in).group(1)
    browser.open(
        urllib.request.Request(
            f"{site['url']}/sign-in/",
            data=urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": token,
                    "login": "reader@example.org",
                    "password": PASSWORD,
                }
            ).encode(),
            headers={"Referer": f"{site['url']}/sign-in/"},
        ),
        timeout=30,
    )
    return browser


def test_pages_read_while_the_worker_sends_1000_emails_all_load(site):
    browsers = [signed_in_browser(site) for _ in range(READERS)]
    site["queue"]("shell", stdin=QUEUE)
    statuses: dict[int, int] = {}
    done = threading.Event()

    def read(browser):
        pages = ["/", "/organisation/", "/admin-tools/import/"]
        while not done.is_set():
            for path in pages:
                try:
                    status = browser.open(f"{site['url']}{path}", timeout=60).status
                except urllib.error.HTTPError as error:
                    status = error.code
                statuses[status] = statuses.get(status, 0) + 1

    readers = [threading.Thread(target=read, args=(b,)) for b in browsers]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and sent(site["db"]) < EMAILS:
        time.sleep(0.5)
    done.set()
    for reader in readers:
        reader.join()
    assert sent(site["db"]) == EMAILS, f"{sent(site['db'])} of {EMAILS} emails sent"
    assert set(statuses) == {200}, statuses
    assert sum(statuses.values()) >= 12, "pages were read while the worker sent"
