"""Prove a backup restores: restore it into a scratch database, check the audit chain and every
signed PDF there, and drop the scratch database (README, "Backup and restore").

A PostgreSQL backup is a `pg_dump --format=custom` file; the embedded default's is a copy of
the SQLite file made with `sqlite3 db.sqlite3 ".backup backup.sqlite3"`. Files are in the
database by default (FILE_STORAGE=database), so the one file holds the records and their
signed PDFs together.
"""

import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from oversight.models import SubjectAccessExport
from supervision.models import RecordPdf, SupervisionRecord
from supervision.models.audit import AuditChainHead
from supervision.organisation import checkpoints
from supervision.organisation.audit_verification import verify_audit_trail
from supervision.records.pdf import read_stored_pdf, record_matches_signatures
from supervision.records.pdf_signature_check import check_signature

SQLITE_MAGIC = b"SQLite format 3\x00"
MANAGE = Path(settings.BASE_DIR) / "manage.py"


class Command(BaseCommand):
    help = (
        "Restore a backup into a scratch database and check there that the audit chain is "
        "intact and every signed PDF is present, matches its SHA-256 and carries an intact "
        "signature. Exits non-zero and names every problem. The scratch database is dropped."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", nargs="?", type=Path, help="The backup file.")
        parser.add_argument(
            "--checkpoint-log",
            type=Path,
            help="The audit checkpoint log (default: AUDIT_CHECKPOINT_LOG). Checkpoints newer "
            "than the backup are left aside: the backup was taken before them.",
        )
        parser.add_argument(
            "--admin-url",
            help="A PostgreSQL role that may create databases, as a URL (default: "
            "MIGRATE_DATABASE_URL, else DATABASE_URL).",
        )
        # Run by the command itself, in a process whose DATABASE_URL is the scratch database.
        parser.add_argument("--check-this-database", action="store_true", help="(internal)")

    def handle(self, *args, backup=None, checkpoint_log=None, admin_url=None, **options):
        checkpoint_log = checkpoint_log or settings.AUDIT_CHECKPOINT_LOG
        if options["check_this_database"]:
            return self._check(Path(checkpoint_log))
        if backup is None or not backup.is_file():
            raise CommandError(f"No backup file at {backup}")
        with open(backup, "rb") as handle:
            is_sqlite = handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
        with tempfile.TemporaryDirectory(prefix="backup-check-") as scratch_folder:
            if is_sqlite:
                copy = Path(scratch_folder) / "restored.sqlite3"
                shutil.copyfile(backup, copy)
                self._check_in(f"sqlite:///{copy}", checkpoint_log)
                return
            admin = urllib.parse.urlsplit(admin_url or _admin_url())
            name = f"backup_check_{secrets.token_hex(6)}"
            scratch = urllib.parse.urlunsplit(admin._replace(path=f"/{name}"))
            _admin_sql(admin, f'CREATE DATABASE "{name}"')
            try:
                self.stdout.write(f"Restoring {backup.name} into the scratch database {name}…")
                restored = subprocess.run(
                    [
                        "pg_restore",
                        "--no-owner",
                        "--no-privileges",
                        "--exit-on-error",
                        f"--dbname={scratch}",
                        str(backup),
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if restored.returncode != 0:
                    raise CommandError(f"The backup did not restore:\n{restored.stderr[-3000:]}")
                self._check_in(scratch, checkpoint_log)
            finally:
                _admin_sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _check_in(self, database_url: str, checkpoint_log) -> None:
        env = {k: v for k, v in os.environ.items() if k != "MIGRATE_DATABASE_URL"}
        result = subprocess.run(
            [
                sys.executable,
                str(MANAGE),
                "backup_check",
                "--check-this-database",
                f"--checkpoint-log={checkpoint_log}",
            ],
            env=env | {"DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            check=False,
        )
        self.stdout.write(result.stdout.rstrip())
        if result.returncode != 0:
            raise CommandError(result.stderr.strip().removeprefix("CommandError: "))

    def _check(self, checkpoint_log: Path) -> None:
        problems = []
        head = AuditChainHead.objects.filter(pk=1).first()
        head_sequence = head.sequence if head else 0
        with tempfile.TemporaryDirectory() as folder:
            held, newer = _checkpoints_up_to(checkpoint_log, head_sequence, Path(folder))
            report = verify_audit_trail(held)
        problems += [f"Audit trail, {f.kind}: {f.message}" for f in report.findings]
        line = f"Audit trail: {report.checked} entries"
        if report.latest_checkpoint is not None:
            line += f", checked against {report.checkpoints_held} signed checkpoints"
        if newer:
            line += f" ({newer} checkpoints are newer than the backup, as expected)"
        self.stdout.write(line + ("; intact." if report.ok else "; NOT intact."))

        checked = 0
        for pdf in RecordPdf.objects.select_related("record").order_by("record_id").iterator():
            checked += 1
            problems += _pdf_problems(pdf)
        self.stdout.write(f"Signed PDFs: {checked} checked.")

        zips = 0
        for export in SubjectAccessExport.objects.exclude(file="").iterator():
            zips += 1
            try:
                with export.file.open("rb") as handle:
                    data = handle.read()
            except FileNotFoundError:
                problems.append(f"Subject access export {export.pk}: its zip is missing.")
                continue
            if hashlib.sha256(data).hexdigest() != export.sha256:
                problems.append(f"Subject access export {export.pk}: its zip has changed.")
        self.stdout.write(f"Subject access zips: {zips} checked.")
        records = SupervisionRecord.objects.count()
        self.stdout.write(f"Records restored: {records} ({connection.vendor}).")
        if problems:
            raise CommandError(
                f"The backup restores with {len(problems)} problem(s):\n"
                + "\n".join(f"- {p}" for p in problems)
            )
        self.stdout.write("The backup restores, and everything checked is intact.")


def _pdf_problems(pdf: RecordPdf) -> list[str]:
    record = pdf.record
    matches = record_matches_signatures(record)
    data = read_stored_pdf(pdf)
    problems = []
    if not matches:
        problems.append(
            f"Record {record.pk}: the record no longer hashes to the content both people signed."
        )
    if data is None:
        mend = (
            " It is made again, and audited, when someone next downloads it: the record still "
            "matches what was signed."
            if matches
            else ""
        )
        problems.append(
            f"Record {record.pk}: the signed PDF is missing or does not match its SHA-256.{mend}"
        )
        return problems
    signature = check_signature(data)
    if not (signature.signed and signature.intact and signature.whole_file):
        problems.append(f"Record {record.pk}: the signed PDF's digital signature does not hold.")
    return problems


def _checkpoints_up_to(log: Path, head_sequence: int, folder: Path) -> tuple[Path, int]:
    """The checkpoints up to the backup's last audit entry, in a log of their own, and how
    many were newer: those the backup cannot hold."""
    held = folder / "checkpoints.log"
    if not log.exists():
        return held, 0
    found, _unreadable = checkpoints.read_checkpoints(log)
    kept = [c for c in found if c.sequence <= head_sequence]
    held.write_text("".join(c.as_line() + "\n" for c in kept))
    return held, len(found) - len(kept)


def _admin_url() -> str:
    if settings.MIGRATE_DATABASE_URL:
        return settings.MIGRATE_DATABASE_URL
    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgresql"):
        raise CommandError(
            "A pg_dump backup is restored into PostgreSQL: set DATABASE_URL or --admin-url."
        )
    user = urllib.parse.quote(database.get("USER") or "")
    password = urllib.parse.quote(database.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{database['NAME']}"


def _admin_sql(admin: urllib.parse.SplitResult, statement: str) -> None:
    maintenance = urllib.parse.urlunsplit(admin._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(statement)
