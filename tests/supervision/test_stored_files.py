"""Files that must outlive a request (supervision/models/files.py, issue 19): in the database by
default, so one PostgreSQL backup restores them with the records; in a folder or an S3 bucket
if the organisation chooses. Either way a failed write leaves nothing behind, and a PDF whose
write failed is made again, once."""

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from supervision.models import RecordPdf, RecordPdfWork, StoredFile
from supervision.models.files import DatabaseStorage
from supervision.records.pdf import record_pdf_generate
from tests.supervision.records.test_pdf import write_record
from tests.support.site import ROOT

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
WORLD_AT = TODAY


def test_the_database_is_where_files_are_kept_by_default(settings):
    assert settings.STORAGES["default"] == {"BACKEND": "supervision.models.files.DatabaseStorage"}
    name = default_storage.save("records/2026/03/record-1.pdf", ContentFile(b"%PDF-1.7 signed"))
    stored = StoredFile.objects.get(name=name)
    assert bytes(stored.content) == b"%PDF-1.7 signed"
    assert (stored.size, stored.sha256) == (15, hashlib.sha256(b"%PDF-1.7 signed").hexdigest())
    assert default_storage.exists(name) and default_storage.size(name) == 15
    with default_storage.open(name) as handle:
        assert handle.read() == b"%PDF-1.7 signed"

    second = default_storage.save("records/2026/03/record-1.pdf", ContentFile(b"other"))
    assert second != name, "a name taken is never overwritten"
    assert default_storage.listdir("records/2026") == (["03"], [])
    assert sorted(default_storage.listdir("records/2026/03")[1]) == sorted(
        [name.rsplit("/", 1)[1], second.rsplit("/", 1)[1]]
    )
    with pytest.raises(NotImplementedError):
        default_storage.url(name)  # every file is handed out by a view that checks and audits

    default_storage.delete(name)
    assert not default_storage.exists(name)
    with pytest.raises(FileNotFoundError):
        default_storage.open(name)


class BreaksHalfWay(ContentFile):
    def chunks(self, chunk_size=None):
        yield b"the first half"
        raise OSError(28, "No space left on device")


def test_a_write_that_fails_half_way_leaves_nothing_in_the_database():
    with pytest.raises(OSError):
        DatabaseStorage().save("exports/half.csv", BreaksHalfWay(b""))
    assert not StoredFile.objects.exists()


@pytest.fixture
def tiny_disk(tmp_path):
    """A real file system that fills up: a tmpfs of 16 KB (this kind of machine runs the
    tests as root, so it can mount one), grown to 8 MB when the test says the disk was
    cleared."""
    mount = tmp_path / "media"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)], check=True)

    def grow():
        subprocess.run(["mount", "-o", "remount,size=8m", str(mount)], check=True)

    yield mount, grow
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_during_a_pdf_leaves_no_partial_file_and_the_pdf_is_made_later(
    world, settings, tiny_disk
):
    mount, grow = tiny_disk
    settings.MEDIA_ROOT = mount
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "supervision.models.files.WholeFileSystemStorage"},
    }
    record = write_record(world)
    owed = RecordPdfWork.objects.create(record=record, created_at=TODAY)

    with time_machine.travel(TODAY, tick=False):
        assert record_pdf_generate.apply(args=[owed.pk]).get() == "queued", "to be tried again"
    owed.refresh_from_db()
    assert (owed.attempts, owed.not_before) == (1, TODAY + timedelta(minutes=1))
    assert not RecordPdf.objects.exists()
    left = [path for path in mount.rglob("*") if path.is_file()]
    assert left == [], f"no partial or empty file: {left}"

    grow()  # the disk is cleared
    with time_machine.travel(TODAY + timedelta(minutes=2), tick=False):
        assert record_pdf_generate.apply(args=[owed.pk]).get() == "done"
    pdf = RecordPdf.objects.get(record=record)
    files = [path for path in mount.rglob("*") if path.is_file()]
    assert [path.relative_to(mount).as_posix() for path in files] == [pdf.file.name]
    assert hashlib.sha256(files[0].read_bytes()).hexdigest() == pdf.sha256


def test_a_download_on_a_full_disk_says_the_copy_is_not_ready_on_a_page_of_the_service(
    client, world, settings, tiny_disk
):
    mount, _grow = tiny_disk
    settings.MEDIA_ROOT = mount
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "supervision.models.files.WholeFileSystemStorage"},
    }
    record = write_record(world)
    with time_machine.travel(TODAY, tick=False):
        client.force_login(world.supervisee)
        response = client.get(reverse("record-pdf", args=[record.session_id]))
    assert response.status_code == 503
    page = response.content.decode()
    assert (
        '<h1 class="govuk-heading-l">The signed copy of this record is not ready yet</h1>' in page
    )
    assert "Try again in a few minutes." in page
    assert not RecordPdf.objects.exists()
    assert [path for path in mount.rglob("*") if path.is_file()] == []


SETTINGS = """
import json
from django.conf import settings
print(json.dumps(settings.STORAGES["default"]))
"""


@pytest.mark.parametrize(
    ("choice", "backend"),
    [
        ("database", "supervision.models.files.DatabaseStorage"),
        ("folder", "supervision.models.files.WholeFileSystemStorage"),
        ("s3", "storages.backends.s3.S3Storage"),
    ],
)
def test_an_organisation_chooses_where_files_are_kept(choice, backend):
    answer = _settings_with(FILE_STORAGE=choice, AWS_STORAGE_BUCKET_NAME="supervision-files")
    assert answer.returncode == 0, answer.stderr
    chosen = json.loads(answer.stdout)
    assert chosen["BACKEND"] == backend
    if choice == "s3":
        assert chosen["OPTIONS"]["bucket_name"] == "supervision-files"
        assert chosen["OPTIONS"]["default_acl"] == "private"
        assert chosen["OPTIONS"]["file_overwrite"] is False


def test_a_storage_that_does_not_exist_is_refused_at_start():
    answer = _settings_with(FILE_STORAGE="dropbox")
    assert answer.returncode != 0
    assert "FILE_STORAGE must be one of database, s3, folder, not 'dropbox'" in answer.stderr


def _settings_with(**env):
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + SETTINGS],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "SECRET_KEY": "storage choice",
            "DATABASE_URL": "sqlite:///:memory:",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
