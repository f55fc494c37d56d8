"""Importing an organisation's data from CSV files through the system administrator's upload
page: files or a zip, checked first and listed, imported after confirmation, nothing kept when
anything is wrong. The command and what an import writes are in test_importing.py."""

import io
import shutil
import zipfile

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import SupervisionAgreement
from casework.models import Allocation, CaseNote, Child
from supervision.models import (
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
    Unit,
)
from supervision.models.audit import AuditEvent
from tests.oversight.records_management.test_importing import (
    EXAMPLE,
    EXAMPLE_COUNTS,
    NOW,
    append,
    counts,
    edit,
)
from tests.world import ROLES, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "import"
    shutil.copytree(EXAMPLE, target)
    return target


# --- The upload page ---------------------------------------------------------------------------


@pytest.fixture
def world():
    return build_world()


def uploads(folder):
    return [
        SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")
        for path in sorted(folder.iterdir())
    ]


def zipped(folder):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.writestr(f"export/{path.name}", path.read_bytes())
    return SimpleUploadedFile("westmoor.zip", buffer.getvalue(), content_type="application/zip")


def test_the_page_checks_first_and_writes_nothing(client, world, folder):
    client.force_login(world.admin)
    before = counts()

    response = client.post(reverse("import-upload"), {"files": uploads(folder)})

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "Ready to import: 2 units, 8 staff, 9 supervision arrangements, 7 agreements, "
        "12 sessions, 5 children, 2 allocations, 4 risk ratings, 8 case notes." in page
    )
    assert "Nothing has been written yet" in page
    assert counts() == before
    assert not AuditEvent.objects.filter(object_type="data_import").exists()


def test_the_page_imports_after_confirmation(client, world, folder, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(world.admin)
    client.post(reverse("import-upload"), {"files": uploads(folder)})
    kept = list((tmp_path / "media" / "imports").iterdir())
    assert len(kept) == 1

    response = client.post(reverse("import-confirm"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("import-upload")
    assert "Imported. units.csv: 2 created" in response.content.decode()
    for model, expected in EXAMPLE_COUNTS.items():
        if model in (Unit, StaffProfile, SupervisoryRelationship):
            continue  # the world has its own
        assert model.objects.filter(**_westmoor(model)).count() == expected, model
    event = AuditEvent.objects.get(object_type="data_import")
    assert event.actor == world.admin
    # The uploaded files are gone once imported, and cannot be imported twice by replay.
    assert not any((tmp_path / "media" / "imports").iterdir())
    again = client.post(reverse("import-confirm"), follow=True)
    assert "Upload the files again" in again.content.decode()
    assert AuditEvent.objects.filter(object_type="data_import").count() == 1


def _westmoor(model) -> dict:
    return {
        SupervisionAgreement: {"relationship__supervisee__email__endswith": "westmoor.example"},
        SupervisionSession: {"supervisee__email__endswith": "westmoor.example"},
        SupervisionRecord: {"session__supervisee__email__endswith": "westmoor.example"},
        Child: {"reference__startswith": "WM"},
        Allocation: {"child__reference__startswith": "WM"},
        CaseNote: {"child__reference__startswith": "WM"},
    }[model]


def test_a_zip_of_the_files_is_read_like_the_files(client, world, folder):
    client.force_login(world.admin)

    response = client.post(reverse("import-upload"), {"files": [zipped(folder)]})

    assert "Ready to import: 2 units, 8 staff" in response.content.decode()


def test_the_page_lists_every_problem_and_keeps_nothing(client, world, folder, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    edit(folder, "staff.csv", 7, "start_date", "31/02/2026")
    client.force_login(world.admin)
    before = counts()

    response = client.post(reverse("import-upload"), {"files": uploads(folder)})

    page = response.content.decode()
    assert "govuk-error-summary" in page and "Nothing was imported: 1 problem in the files" in page
    assert "staff.csv, row 7, column start_date: Enter a date such as 2026-03-05" in page
    assert "<title>Error: " in page
    assert counts() == before
    assert not (tmp_path / "media" / "imports").exists() or not any(
        (tmp_path / "media" / "imports").iterdir()
    )
    # Nothing was kept to confirm.
    client.post(reverse("import-confirm"))
    assert counts() == before


def test_confirming_checks_again_against_the_database_as_it_is_then(client, world, folder):
    client.force_login(world.admin)
    client.post(reverse("import-upload"), {"files": uploads(folder)})
    # Meanwhile someone records a child with the same reference.
    Child.objects.create(
        reference="WM100002", initials="ZZ", unit=world.units["team"], service="social_work"
    )
    before = counts()

    response = client.post(reverse("import-confirm"))

    assert response.status_code == 200
    assert (
        "cases.csv, row 3, column unit_code: WM100002 is recorded with a different allocation"
    ) in response.content.decode()
    assert counts() == before


def test_a_zip_holding_an_unknown_file_is_refused(client, world, folder):
    (folder / "payroll.xlsx").write_bytes(b"PK")
    client.force_login(world.admin)

    response = client.post(reverse("import-upload"), {"files": [zipped(folder)]})

    assert "payroll.xlsx: This is not a file the import reads." in response.content.decode()


def test_an_upload_without_files_is_refused_by_the_form(client, world):
    client.force_login(world.admin)

    response = client.post(reverse("import-upload"), {})

    assert "Choose the CSV files to import, or a .zip file holding them" in (
        response.content.decode()
    )


@pytest.mark.parametrize("who", [r for r in ROLES if r not in ("anonymous", "admin")])
def test_only_system_administrators_import(client, world, folder, who):
    client.force_login(world.people[who])
    before = counts()

    assert client.get(reverse("import-upload")).status_code == 403
    assert client.post(reverse("import-upload"), {"files": uploads(folder)}).status_code == 403
    assert client.post(reverse("import-confirm")).status_code == 403
    assert counts()["supervision.Unit"] == before["supervision.Unit"]


def test_anonymous_people_are_sent_to_sign_in(client, world):
    for name in ("import-upload", "import-confirm"):
        response = (
            client.post(reverse(name)) if name == "import-confirm" else client.get(reverse(name))
        )
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("sign-in"))


def test_the_admin_sees_the_upload_page(client, world):
    client.force_login(world.admin)

    response = client.get(reverse("import-upload"))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1") == 1 and 'type="file"' in page and "multiple" in page


def test_the_check_runs_the_same_queries_however_many_rows(client, world, folder, tmp_path):
    """The dry run reads what is recorded in a fixed number of queries, not one a row."""
    client.force_login(world.admin)
    small = uploads(folder)
    for n in range(40):
        append(
            folder,
            "staff.csv",
            f"extra{n}@westmoor.example,Extra {n},social-worker,,,"
            "westmoor-assessment,2025-01-06,,,,,,",
        )
        append(
            folder,
            "relationships.csv",
            f"owen.price@westmoor.example,extra{n}@westmoor.example,line,2025-01-06,",
        )
        append(
            folder,
            "cases.csv",
            f"WM2{n:05d},AB,social_work,child_in_need,westmoor-assessment"
            f",extra{n}@westmoor.example,2025-11-03 09:30,amber,,,no,,,",
        )
    large = uploads(folder)

    with CaptureQueriesContext(connection) as few:
        assert client.post(reverse("import-upload"), {"files": small}).status_code == 200
    with CaptureQueriesContext(connection) as many:
        response = client.post(reverse("import-upload"), {"files": large})
    assert "48 staff" in response.content.decode()
    assert len(many) == len(few)


def test_the_page_lists_each_files_columns_from_the_importer_itself(client, world):
    from oversight.records_management.importing import COLUMNS

    client.force_login(world.admin)
    page = client.get(reverse("import-upload")).content.decode()
    assert "README" not in page
    for name, columns in COLUMNS.items():
        assert f"Columns of {name}" in page
        for column in columns:
            assert f"<code>{column}</code>" in page
    assert "sent an email with a link to set their own" in page
