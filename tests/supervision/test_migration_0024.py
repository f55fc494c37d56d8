"""supervision 0024 brings an earlier version's files and lost PDFs along: files kept in
MEDIA_ROOT go into the database under the same names, and a finalised record with no PDF gets
its work row, so the janitor has it made."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps

from supervision.models import RecordPdfWork, StoredFile
from tests.supervision.records.test_pdf import write_record

pytestmark = pytest.mark.django_db

WORLD_AT = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
MIGRATION = importlib.import_module("supervision.migrations.0024_background_work_and_stored_files")


def test_files_kept_in_media_root_are_brought_into_the_database(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "records" / "2025" / "11").mkdir(parents=True)
    (tmp_path / "records" / "2025" / "11" / "record-7.pdf").write_bytes(b"%PDF signed")
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "abc.csv").write_bytes(b"a,b\n")
    (tmp_path / "exports" / ".partial-x").write_bytes(b"half")
    (tmp_path / "elsewhere.txt").write_bytes(b"not ours")

    MIGRATION.files_into_the_database(apps, None)
    MIGRATION.files_into_the_database(apps, None)  # run twice: nothing doubled

    kept = dict(StoredFile.objects.values_list("name", "content"))
    assert {name: bytes(content) for name, content in kept.items()} == {
        "records/2025/11/record-7.pdf": b"%PDF signed",
        "exports/abc.csv": b"a,b\n",
    }


def test_a_finalised_record_without_its_pdf_is_owed_one(world):
    record = write_record(world)
    draft = write_record(world, finalise=False)
    MIGRATION.pdfs_owed(apps, None)
    assert list(RecordPdfWork.objects.values_list("record_id", "status")) == [(record.pk, "queued")]
    assert not RecordPdfWork.objects.filter(record=draft).exists()
