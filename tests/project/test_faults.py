"""Nothing lost, whatever fails (issue 19). Each test runs the product as production does, in
processes of its own (tests/support/site.py): gunicorn, Celery workers on the prefork pool,
a redis-server of its own on a spare port, a PostgreSQL database of its own. Then it breaks
one of them as things break in production, and checks that the work was delayed, never lost,
and done once:

- a worker process SIGKILLed mid-PDF and mid-export (the out-of-memory killer);
- Redis killed, and Redis frozen, while a record is finalised and two exports are asked for;
- the mail server unreachable, then back;
- PostgreSQL dropping every connection;
- two web servers and two workers sharing one database and one Redis.

Disk full during a PDF is in tests/supervision/test_stored_files.py (it mounts a tiny tmpfs).
"""

import hashlib
import http.client
import io
import os
import re
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import urllib.parse
import zipfile
from pathlib import Path

import psycopg
import pytest

from tests.support.site import SUPERUSER_URL, Site

pytestmark = [pytest.mark.services, pytest.mark.postgres]

BUILD = """
import datetime, time_machine
from django.contrib.auth import get_user_model
from supervision.records import services
from supervision.models import SupervisionRecord
from tests.factories import SUPERVISEE_PASSWORD
from tests.records import held_session
from tests.world import build_world

DAY = datetime.datetime(2026, 3, 5, 9, tzinfo=datetime.UTC)
# Long enough that a PDF takes seconds to render, so a test can kill the worker making it.
LONG = "A paragraph about the work of the week, written at length. " * 160
with time_machine.travel(DAY, tick=False):
    world = build_world()
    sessions = []
    for n in range({records}):
        session = held_session(world, starts_at=DAY - datetime.timedelta(days=7 * (n + 1)))
        record = services.record_start(session=session, by=world.supervisor)
        for section in record.template.sections.all():
            record = services.record_section_save(
                record=record, section_key=section.key, text=LONG, completed=True,
                expected_version=record.version, by=world.supervisor,
            )
        services.record_share(record=record, by=world.supervisor)
        services.record_sign(record=record, password=SUPERVISEE_PASSWORD, by=world.supervisee)
        sessions.append(session.pk)
print(json.dumps({{
    "sessions": sessions,
    "supervisor": world.supervisor.pk,
    "supervisee": world.supervisee.pk,
    "senior_manager": world.senior_manager.pk,
    "team": world.units["team"].pk,
    "password": SUPERVISEE_PASSWORD,
}}))
"""

# What a person does in the browser, through Django's full request stack in a process of the
# site (sessions, CSRF aside, middleware, views), timed: the answer must come within 2 s.
ASK = """
import time
from django.contrib.auth import get_user_model
from django.test import Client

client = Client(HTTP_HOST="localhost")
client.force_login(get_user_model().objects.get(pk={who}))
# A server's process has loaded the pages before anyone's request; this one loads them now.
client.get("/")
started = time.monotonic()
response = client.post({path!r}, {data!r})
print(json.dumps({{
    "status": response.status_code,
    "seconds": round(time.monotonic() - started, 2),
    "location": response.get("Location", ""),
}}))
"""

STATE = """
from oversight.models import Export, Notification, SubjectAccessExport
from supervision.models import RecordPdf, RecordPdfWork, StoredFile

def rows(model, *fields):
    return [list(row) for row in model.objects.order_by("pk").values_list(*fields)]

print(json.dumps({
    "pdf_work": rows(RecordPdfWork, "status", "attempts", "error"),
    "pdfs": rows(RecordPdf, "record_id", "sha256"),
    "exports": rows(Export, "status", "attempts", "error"),
    "subject_access": rows(SubjectAccessExport, "status", "attempts", "error"),
    "files": rows(StoredFile, "name", "sha256"),
    "unsent": Notification.objects.filter(sent_at__isnull=True).count(),
    "finalised_unsent": Notification.objects.filter(
        sent_at__isnull=True, kind="record_finalised"
    ).count(),
    "sent": Notification.objects.filter(sent_at__isnull=False).count(),
}, default=str))
"""

SWEEP = """
from supervision import work
from dataclasses import asdict
print(json.dumps(asdict(work.sweep())))
"""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A site's database, migrated once for the module; each test works on a copy."""
    site = Site(tmp_path_factory.mktemp("migrated"), work_seconds=60)
    site.create()
    yield site
    site.drop()


@pytest.fixture
def fresh(migrated, tmp_path):
    site = migrated.copy(tmp_path)
    site.start_redis()
    yield site
    site.drop()


def build(site, records=1) -> dict:
    return site.run(BUILD.format(records=records), timeout=300)


def ask(site, who, path, data=None) -> dict:
    return site.run(ASK.format(who=who, path=path, data=data or {}))


def state(site) -> dict:
    return site.run(STATE)


def finalise(site, world, n=0) -> dict:
    return ask(
        site,
        world["supervisor"],
        f"/sessions/{world['sessions'][n]}/record/finalise/",
        {"password": world["password"]},
    )


def running_pid(site, table) -> int:
    def holder():
        rows = site.sql(f"SELECT lease_owner FROM {table} WHERE status = 'running'")
        return rows and rows[0][0]

    owner = site.wait_until(holder, 120, f"a worker takes the work in {table}", every=0.02)
    return int(owner.rpartition(":")[2])


def files_named(site_state, prefix) -> list:
    return [name for name, _ in site_state["files"] if name.startswith(prefix)]


# --- A worker killed mid-task ---------------------------------------------------------------


def test_a_worker_killed_mid_pdf_the_pdf_is_made_again_once(fresh):
    world = build(fresh)
    fresh.start_worker()
    # The PDF's first read waits behind this lock, so the worker is caught holding the work
    # however fast it renders, and however long the finalising process takes to exit.
    with psycopg.connect(fresh.database_url) as held:
        held.execute("LOCK TABLE supervision_recordpdf IN ACCESS EXCLUSIVE MODE")
        assert finalise(fresh, world)["status"] == 302
        pid = running_pid(fresh, "supervision_recordpdfwork")
        os.kill(pid, signal.SIGKILL)  # the pool's child, as the out-of-memory killer would
        held.rollback()
    done = fresh.wait_until(
        lambda: (s := state(fresh))["pdf_work"][0][0] in {"done", "failed"} and s,
        240,
        "the PDF made after the kill",
        every=1,
    )
    assert done["pdf_work"] == [["done", 2, ""]], fresh.logs()
    assert len(done["pdfs"]) == 1
    assert len(files_named(done, "records/")) == 1, "one file, the second attempt's"
    (_, sha256), (_, file_sha256) = done["pdfs"][0], done["files"][0]
    assert sha256 == file_sha256
    assert "WorkerLostError" in fresh.logs() or "SIGKILL" in fresh.logs()


def test_a_worker_killed_mid_subject_access_export_it_is_made_again_once(fresh):
    world = build(fresh, records=3)
    fresh.start_worker()
    asked = ask(fresh, world["supervisee"], f"/people/{world['supervisee']}/subject-access/")
    assert asked["status"] == 302

    # Killed once it has made at least one record's PDF: mid-export, not before it.
    def part_made():
        rows = fresh.sql(
            "SELECT lease_owner FROM oversight_subjectaccessexport "
            "WHERE status = 'running' AND progress > 0"
        )
        return rows and rows[0][0]

    owner = fresh.wait_until(part_made, 180, "the export part made", every=0.05)
    os.kill(int(owner.rpartition(":")[2]), signal.SIGKILL)
    done = fresh.wait_until(
        lambda: (s := state(fresh))["subject_access"][0][0] in {"done", "failed"} and s,
        300,
        "the export made after the kill",
        every=1,
    )
    assert done["subject_access"] == [["done", 2, ""]], fresh.logs()
    (name,) = files_named(done, "subject-access/")
    data = bytes.fromhex(
        fresh.run(
            f"""
            from supervision.models import StoredFile
            print(json.dumps(bytes(StoredFile.objects.get(name={name!r}).content).hex()))
            """
        )
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
    (records,) = fresh.sql(
        "SELECT count(*) FROM supervision_supervisionrecord r "
        "JOIN supervision_supervisionsession s ON s.id = r.session_id "
        "WHERE s.supervisee_id = %s",
        (world["supervisee"],),
    )[0]
    assert len(pdfs) == len(set(pdfs)) == records >= 3, "every record, once"


# --- Redis killed, then frozen --------------------------------------------------------------


def test_redis_killed_mid_journey_delays_the_work_and_loses_none(fresh):
    world = build(fresh, records=1)
    fresh.start_worker()
    fresh.wait_for_idle_queue()
    fresh.kill_redis()

    answers = {
        "finalise": finalise(fresh, world),
        "subject access": ask(
            fresh, world["supervisee"], f"/people/{world['supervisee']}/subject-access/"
        ),
        "table export": ask_table_export(fresh, world),
    }
    for what, answer in answers.items():
        assert answer["status"] == 302, (what, answer)
        assert answer["seconds"] < 2, (what, answer)
    waiting = state(fresh)
    assert waiting["pdf_work"] == [["queued", 0, ""]]
    assert waiting["subject_access"] == [["queued", 0, ""]]
    assert waiting["exports"] == [["queued", 0, ""]]
    assert waiting["finalised_unsent"] == 2, "the finalised emails wait in the outbox"

    fresh.start_redis()  # empty: whatever was queued before the crash is gone
    assert fresh.run(SWEEP)["handed_again"] == 3
    fresh.run("from oversight.notices.outbox import send_due\nsend_due()\nprint('{}')")
    done = fresh.wait_until(
        lambda: (
            (s := state(fresh))
            and all(
                rows and rows[0][0] in {"done", "ready", "failed"}
                for rows in (s["pdf_work"], s["subject_access"], s["exports"])
            )
            and s
        ),
        300,
        "the work done once Redis is back",
        every=1,
    )
    assert done["pdf_work"] == [["done", 1, ""]], fresh.logs()
    assert done["subject_access"] == [["done", 1, ""]], fresh.logs()
    assert done["exports"] == [["ready", 1, ""]], fresh.logs()
    assert len(files_named(done, "records/")) == 1
    assert len(files_named(done, "subject-access/")) == 1
    assert len(files_named(done, "exports/")) == 1


def ask_table_export(site, world) -> dict:
    # EXPORT_INLINE_ROWS=0 in the site: every table download is built in the background.
    path = f"/exports/dashboard-figures.csv?unit={world['team']}"
    return site.run(
        ASK.replace("client.post({path!r}, {data!r})", "client.get({path!r})").format(
            who=world["senior_manager"], path=path, data={}
        ),
        EXPORT_INLINE_ROWS="0",
    )


def test_redis_frozen_each_request_answers_within_two_seconds(fresh):
    world = build(fresh, records=1)
    fresh.start_worker()
    fresh.wait_for_idle_queue()
    fresh.freeze_redis()
    try:
        answers = {
            "finalise": finalise(fresh, world),
            "subject access": ask(
                fresh, world["supervisee"], f"/people/{world['supervisee']}/subject-access/"
            ),
            "table export": ask_table_export(fresh, world),
        }
    finally:
        fresh.thaw_redis()
    for what, answer in answers.items():
        assert answer["status"] == 302, (what, answer)
        assert answer["seconds"] < 2, (what, answer)
    fresh.run(SWEEP)
    done = fresh.wait_until(
        lambda: (
            (s := state(fresh))["pdf_work"][0][0] == "done"
            and s["subject_access"][0][0] == "done"
            and s["exports"][0][0] == "ready"
            and s
        ),
        300,
        "the work done once Redis answers again",
        every=1,
    )
    assert done["pdf_work"][0][1] == 1 and done["subject_access"][0][1] == 1, fresh.logs()
    assert done["exports"][0][1] == 1
    assert len(done["files"]) == 3, "one file each"


# --- The mail server unreachable, then back -------------------------------------------------


class Mailbox(socketserver.ThreadingTCPServer):
    """Just enough of SMTP to take messages, as a mail server that is back would."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port):
        self.messages = []
        super().__init__(("127.0.0.1", port), SmtpSession)


class SmtpSession(socketserver.StreamRequestHandler):
    def handle(self):
        self.reply("220 mailbox ready")
        recipients, data = [], None
        while line := self.rfile.readline():
            if data is not None:
                if line in (b".\r\n", b".\n"):
                    self.server.messages.append((recipients, b"".join(data)))
                    recipients, data = [], None
                    self.reply("250 queued")
                else:
                    data.append(line)
                continue
            command = line.decode(errors="replace").strip().upper()
            if command.startswith("EHLO") or command.startswith("HELO"):
                self.reply("250 mailbox")
            elif command.startswith("RCPT TO"):
                recipients.append(line.decode().split(":", 1)[1].strip())
                self.reply("250 ok")
            elif command == "DATA":
                data = []
                self.reply("354 go on")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")

    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")


SEND = """
import datetime, time_machine
from django.utils import timezone
from oversight.notices.outbox import send_due
with time_machine.travel(timezone.now() + datetime.timedelta(minutes={later}), tick=False):
    result = send_due()
print(json.dumps({{"sent": result.sent, "failed": result.failed}}))
"""


def test_mail_server_unreachable_then_back_each_email_is_sent_once(fresh):
    world = build(fresh, records=2)
    for n in range(2):
        assert finalise(fresh, world, n)["status"] == 302
    emails = state(fresh)["unsent"]
    assert state(fresh)["finalised_unsent"] == 4, "two people told of each of two records"

    down = fresh.run(SEND.format(later=0))
    assert down == {"sent": 0, "failed": emails}
    assert state(fresh)["unsent"] == emails, "nothing dropped"

    mailbox = Mailbox(int(fresh.env["EMAIL_PORT"]))
    threading.Thread(target=mailbox.serve_forever, daemon=True).start()
    try:
        back = fresh.run(SEND.format(later=16))  # after the first retry's wait (15 minutes)
        again = fresh.run(SEND.format(later=120))
    finally:
        mailbox.shutdown()
        mailbox.server_close()
    assert back == {"sent": emails, "failed": 0}
    assert again == {"sent": 0, "failed": 0}, "sent once, never again"
    assert len(mailbox.messages) == emails
    assert state(fresh)["unsent"] == 0


# --- PostgreSQL drops every connection ------------------------------------------------------


def fetch(port, path, cookies=None, method="GET", body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Host": "localhost", **(headers or {})}
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if body is not None:
        body = urllib.parse.urlencode(body)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=sent)
    response = connection.getresponse()
    content = response.read()
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and cookies is not None:
            name, _, rest = value.partition("=")
            cookies[name] = rest.split(";", 1)[0]
    return response.status, content, dict(response.getheaders())


SIGN_IN = """
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
client = Client(HTTP_HOST="localhost")
client.force_login(get_user_model().objects.get(pk={who}))
name = settings.SESSION_COOKIE_NAME
print(json.dumps({{name: client.cookies[name].value}}))
"""


def test_postgresql_dropping_every_connection_the_site_recovers_without_restart(fresh):
    world = build(fresh, records=1)
    web, port = fresh.start_web()
    fresh.start_worker()
    cookies = fresh.run(SIGN_IN.format(who=world["supervisor"]))
    home = f"/sessions/{world['sessions'][0]}/"
    assert fetch(port, home, dict(cookies))[0] == 200

    dropped = fresh.sql(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )[0][0]
    assert dropped >= 1, "the web server's and the worker's connections"
    answers = [fetch(port, home, dict(cookies))[0] for _ in range(6)]
    assert answers == [200] * 6, "each request finds its connection gone and opens another"
    assert web.poll() is None

    assert finalise(fresh, world)["status"] == 302
    done = fresh.wait_until(
        lambda: (s := state(fresh))["pdf_work"][0][0] == "done" and s,
        180,
        "the worker, after losing its connection, makes the PDF",
        every=1,
    )
    assert done["pdf_work"] == [["done", 1, ""]], fresh.logs()


# --- PostgreSQL out of disk during a PDF ---------------------------------------------------


@pytest.fixture
def tiny_tablespace(fresh):
    """The stored files' table on a tablespace of its own, on a 64 KB tmpfs: PostgreSQL's disk
    fills while it writes a PDF. Grown to 16 MB when the test says the disk was cleared."""
    # Under /tmp itself: PostgreSQL's own user cannot pass through pytest's folders.
    mount = Path(tempfile.mkdtemp(prefix="supervision-tablespace-", dir="/tmp"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    subprocess.run(["chown", "postgres:postgres", str(mount)], check=True)
    name = f"tiny_{fresh.database}"
    fresh.sql(f"CREATE TABLESPACE {name} LOCATION '{mount}'")
    fresh.sql(f"ALTER TABLE supervision_storedfile SET TABLESPACE {name}")

    def grow():
        subprocess.run(["mount", "-o", "remount,size=16m", str(mount)], check=True)

    yield grow
    fresh.drop()
    with psycopg.connect(SUPERUSER_URL, autocommit=True) as connection:
        connection.execute(f"DROP TABLESPACE IF EXISTS {name}")
    subprocess.run(["umount", str(mount)], check=True)
    mount.rmdir()


def test_postgresql_out_of_disk_during_a_pdf_keeps_nothing_and_makes_it_later(
    fresh, tiny_tablespace
):
    world = build(fresh, records=1)
    fresh.start_worker()
    assert finalise(fresh, world)["status"] == 302
    failed_once = fresh.wait_until(
        lambda: (
            (s := state(fresh))["pdf_work"][0][1] >= 1 and s["pdf_work"][0][0] == "queued" and s
        ),
        180,
        "the first attempt fails on the full disk",
        every=1,
    )
    assert failed_once["pdfs"] == [] and failed_once["files"] == [], "nothing half-written"
    assert "No space left on device" in fresh.logs() or "DiskFull" in fresh.logs()

    tiny_tablespace()  # the disk is cleared
    # Its back-off over (a minute, not waited here), the janitor hands it over again.
    fresh.sql("UPDATE supervision_recordpdfwork SET not_before = now() - interval '1 second'")
    assert fresh.run(SWEEP)["handed_again"] == 1
    done = fresh.wait_until(
        lambda: (s := state(fresh))["pdf_work"][0][0] == "done" and s,
        180,
        "the PDF made once the disk has room",
        every=1,
    )
    assert done["pdf_work"] == [["done", 2, ""]], fresh.logs()
    assert len(done["pdfs"]) == 1 and len(files_named(done, "records/")) == 1
    assert done["pdfs"][0][1] == done["files"][0][1], "the stored file is the one signed"


# --- Two machines' worth --------------------------------------------------------------------


def test_two_web_servers_and_two_workers_share_everything(fresh):
    world = build(fresh, records=1)
    _, first = fresh.start_web("web-1")
    _, second = fresh.start_web("web-2")
    fresh.start_worker("worker-1")
    fresh.start_worker("worker-2")
    cookies = fresh.run(SIGN_IN.format(who=world["supervisor"]))
    session = world["sessions"][0]

    # Signed in once, known to both.
    for port in (first, second):
        assert fetch(port, f"/sessions/{session}/", cookies)[0] == 200, port

    # The form from one, sent to the other.
    status, page, _ = fetch(first, f"/sessions/{session}/record/finalise/", cookies)
    assert status == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    status, _, headers = fetch(
        second,
        f"/sessions/{session}/record/finalise/",
        cookies,
        "POST",
        {"csrfmiddlewaretoken": token, "password": world["password"]},
        {"Referer": f"http://localhost/sessions/{session}/record/finalise/"},
    )
    assert status == 302, headers

    done = fresh.wait_until(
        lambda: (s := state(fresh))["pdf_work"][0][0] == "done" and s,
        180,
        "one of the two workers makes the PDF",
        every=1,
    )
    assert done["pdf_work"] == [["done", 1, ""]]
    stored_sha256 = done["pdfs"][0][1]

    # Downloaded through either: the very file, whichever worker made it.
    for port in (first, second):
        status, pdf, _ = fetch(port, f"/sessions/{session}/record.pdf", cookies)
        assert status == 200
        assert hashlib.sha256(pdf).hexdigest() == stored_sha256, port

    # Uploaded to either: the copy is checked against the record.
    record_id = fresh.sql(
        "SELECT id FROM supervision_supervisionrecord WHERE session_id = %s", (session,)
    )[0][0]
    for port in (second, first):
        status, page, _ = fetch(port, f"/records/{record_id}/verify/", cookies)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        status, page = upload(port, f"/records/{record_id}/verify/", cookies, token, pdf)
        assert status == 200, page[:2000]
        assert b"This is the exact file issued on" in page, page[-3000:]


def upload(port, path, cookies, token, data: bytes):
    boundary = "----fault-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f'{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name="pdf_file"; '
            f'filename="copy.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(
        "POST",
        path,
        body=body,
        headers={
            "Host": "localhost",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Referer": f"http://localhost{path}",
        },
    )
    response = connection.getresponse()
    return response.status, response.read()


def test_this_machine_can_reach_its_own_services():
    # The fault tests start redis-server and gunicorn themselves: both must be here.
    assert any(
        os.access(os.path.join(folder, "redis-server"), os.X_OK)
        for folder in os.environ.get("PATH", "/usr/bin").split(":") + ["/usr/bin"]
    )
    with socket.socket() as probe:
        probe.settimeout(2)
        assert probe.connect_ex(("127.0.0.1", 5432)) == 0, "PostgreSQL"
