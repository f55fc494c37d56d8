"""`manage.py backup_check` (issue 19): a backup is restored into a scratch database and the
audit chain and every signed PDF are checked there. On a site of its own (tests/support/
site.py): a finalised record whose PDF a real task made, a checkpoint, a `pg_dump`, then the
backup checked as it is, and again after someone lost a file and edited an audit entry."""

import sqlite3
import subprocess
import sys

import pytest

from tests.support.site import ROOT, Site

pytestmark = [pytest.mark.services, pytest.mark.postgres]

MAKE = """
import datetime, time_machine
from supervision.models import RecordPdfWork
from supervision.records import services
from supervision.records.pdf import record_pdf_generate
from supervision.models import SupervisionRecord
from tests.factories import SUPERVISEE_PASSWORD
from tests.records import held_session
from tests.world import build_world

with time_machine.travel(datetime.datetime(2026, 3, 5, 9, tzinfo=datetime.UTC), tick=False):
    world = build_world()
    record = services.record_start(session=held_session(world), by=world.supervisor)
    services.record_share(record=record, by=world.supervisor)
    services.record_sign(record=record, password=SUPERVISEE_PASSWORD, by=world.supervisee)
    record = SupervisionRecord.objects.get(pk=record.pk)
    services.record_finalise(record=record, password=SUPERVISEE_PASSWORD, by=world.supervisor)
    work = RecordPdfWork.objects.get(record=record)
print(json.dumps({"record": record.pk, "made": record_pdf_generate(work.pk)}))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("backup")
    site = Site(folder)
    site.env |= {
        "AUDIT_CHECKPOINT_KEY_FILE": str(folder / "checkpoint-key.pem"),
        "AUDIT_CHECKPOINT_LOG": str(folder / "checkpoints.log"),
    }
    site.create()
    site.manage("make_checkpoint_key", "--if-missing")
    yield site
    site.drop()


def dump(site, path) -> None:
    subprocess.run(["pg_dump", "--format=custom", f"--file={path}", site.database_url], check=True)


def backup_check(site, backup) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "backup_check", str(backup)],
        cwd=ROOT,
        env=site.env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_backup_restores_with_its_signed_pdfs_and_audit_chain_then_names_what_broke(
    site, tmp_path
):
    made = site.run(MAKE, timeout=300)
    assert made["made"] == "done"
    site.manage("audit_checkpoint")
    dump(site, tmp_path / "good.dump")
    # Work and a checkpoint after the backup: the backup cannot hold them, and need not.
    site.run(
        "from supervision.organisation import audit\n"
        "audit.record(audit.AuditAction.READ, object_type='check', object_id='after')\n"
        "print('{}')"
    )
    site.manage("audit_checkpoint")

    good = backup_check(site, tmp_path / "good.dump")
    assert good.returncode == 0, good.stderr
    assert "checked against 1 signed checkpoints (1 checkpoints are newer than the backup" in (
        good.stdout
    )
    assert "Signed PDFs: 1 checked." in good.stdout
    assert "The backup restores, and everything checked is intact." in good.stdout
    assert not site.sql("SELECT datname FROM pg_database WHERE datname LIKE 'backup_check_%'")

    # A file lost, and an audit entry edited with the triggers switched off, then backed up.
    site.sql("DELETE FROM supervision_storedfile WHERE name LIKE 'records/%'")
    site.sql(
        "SET session_replication_role = replica; "
        "UPDATE oversight_auditevent SET object_id = 'edited' WHERE sequence = 2; "
        "SET session_replication_role = origin"
    )
    dump(site, tmp_path / "bad.dump")
    bad = backup_check(site, tmp_path / "bad.dump")
    assert bad.returncode == 1
    assert (
        f"Record {made['record']}: the signed PDF is missing or does not match its SHA-256. "
        "It is made again, and audited, when someone next downloads it" in bad.stderr
    )
    assert "Audit trail, edited: " in bad.stderr
    assert "2 problem(s)" in bad.stderr


def test_a_backup_that_is_not_one_is_refused(site, tmp_path):
    (tmp_path / "nothing.dump").write_bytes(b"not a backup")
    refused = backup_check(site, tmp_path / "nothing.dump")
    assert refused.returncode == 1
    assert "The backup did not restore" in refused.stderr
    assert not site.sql("SELECT datname FROM pg_database WHERE datname LIKE 'backup_check_%'")


def test_the_embedded_default_backup_is_a_copy_of_its_sqlite_file(tmp_path):
    database = tmp_path / "db.sqlite3"
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "the embedded default's backup",
        "BROKER_DIR": str(tmp_path / "broker"),
        "AUDIT_CHECKPOINT_LOG": str(tmp_path / "none.log"),
    }
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 300}
    assert subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], **run).returncode == 0
    with sqlite3.connect(database) as live, sqlite3.connect(tmp_path / "backup.sqlite3") as copy:
        live.backup(copy)  # what `sqlite3 db.sqlite3 ".backup backup.sqlite3"` does
    checked = subprocess.run(
        [sys.executable, "manage.py", "backup_check", str(tmp_path / "backup.sqlite3")], **run
    )
    assert checked.returncode == 0, checked.stderr
    assert "Records restored: 0 (sqlite)." in checked.stdout
