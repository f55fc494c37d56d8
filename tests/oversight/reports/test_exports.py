"""Every table downloads as CSV and as XLSX; large ones are built by a Celery task behind a
progress page; every export and download is in the audit log."""

import csv
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.template import Context, Template
from django.urls import reverse
from openpyxl import load_workbook

from access.roles import roles_for
from access.units import units_overseen_by
from oversight.models import Export
from oversight.reports import exports
from oversight.reports.exports import export_build_task as export_build
from supervision.models import StaffProfile, StoredFile
from supervision.models.audit import AuditEvent
from tests.factories import StaffProfileFactory
from tests.world import ROLES, build_world

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 10, 30, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent.parent.parent


# --- A table for these tests only: the staff in a unit the senior manager oversees ----------


@exports.register("test-unit-staff", title="Staff in a unit")
def unit_staff(user, params: dict) -> exports.Table:
    if not roles_for(user).senior_manager:
        raise PermissionDenied("Only senior managers download this table.")
    unit_id = exports.param_int(params, "unit")
    started_by = exports.param_date(params, "date")
    unit = units_overseen_by(user).filter(pk=unit_id).first()
    if unit is None:
        raise Http404("No such unit.")
    profiles = StaffProfile.objects.filter(unit__path__startswith=unit.path)
    if started_by:
        profiles = profiles.filter(start_date__lte=started_by)
    profiles = profiles.select_related("user", "job_role", "unit").order_by("user__full_name")
    return exports.Table(
        name="test-unit-staff",
        title=f"Staff in {unit.name}",
        columns=[
            exports.Column("name", "Name"),
            exports.Column("role", "Job role"),
            exports.Column("unit", "Unit"),
            exports.Column("start", "Start date"),
            exports.Column("student", "Student"),
        ],
        rows=(
            [p.user.full_name, p.job_role.name, p.unit.name, p.start_date, p.is_student]
            for p in profiles.iterator()
        ),
        count=profiles.count(),
    )


@exports.register("test-broken")
def broken(user, params: dict) -> exports.Table:
    raise RuntimeError("/srv/app/secret.py line 12: connection refused")


# --- Fixtures and helpers -----------------------------------------------------------------------

TRICKY = ['=HYPERLINK("http://x")', "+Plus", "-Minus", "@At", "\tTab", "\rReturn"]


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        world = build_world()
        team = world.units["team"]
        world.zoe = StaffProfileFactory(
            user__full_name="Zoë Brontë-Smith", user__email="zoe@example.org", unit=team
        ).user
        world.formula = StaffProfileFactory(
            user__full_name='=HYPERLINK("http://evil.example","Click")',
            user__email="formula@example.org",
            unit=team,
            start_date=date(2025, 11, 3),
        ).user
        yield world


def url(table="test-unit-staff", file_format="csv", **params) -> str:
    path = reverse("export-table", kwargs={"table": table, "file_format": file_format})
    return path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "a byte-order mark, so Excel reads UTF-8"
    return list(csv.reader(io.StringIO(content[3:].decode("utf-8"))))


def only_event(**filters) -> AuditEvent:
    return AuditEvent.objects.get(**filters)


def names_in(detail) -> bool:
    text = str(detail)
    return any(name in text for name in ("Zoë", "HYPERLINK", "Supervisee", "Team A"))


def queue_export(client, world, settings, file_format="xlsx") -> Export:
    settings.EXPORT_INLINE_ROWS = 3
    client.force_login(world.senior_manager)
    response = client.get(url(file_format=file_format, unit=world.units["team"].pk))
    export = Export.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("export-status", kwargs={"export_id": export.pk})
    return export


# --- Small tables come back at once ---------------------------------------------------------------


def test_a_senior_manager_downloads_a_small_table_as_csv(client, world):
    client.force_login(world.senior_manager)
    with time_machine.travel(NOW, tick=False):
        response = client.get(url(unit=world.units["team"].pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="staff-in-team-a-5-march-2026.csv"'
    )
    rows = csv_rows(response.content)
    assert rows[0] == ["Name", "Job role", "Unit", "Start date", "Student"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Zoë Brontë-Smith"] == [
        "Zoë Brontë-Smith",
        "Social Worker",
        "Team A",
        "2024-01-08",
        "No",
    ]
    assert set(by_name) == {
        "Zoë Brontë-Smith",
        "Supervisor",
        "Supervisee",
        "'" + world.formula.full_name,
    }

    event = only_event(action="export")
    assert (event.actor, event.object_type, event.object_id) == (
        world.senior_manager,
        "table_export",
        "test-unit-staff",
    )
    assert event.detail == {
        "table": "test-unit-staff",
        "format": "csv",
        "params": {"unit": str(world.units["team"].pk)},
        "rows": 4,
        "delivery": "inline",
    }
    assert not names_in(event.detail), "nothing from the table is in the audit log"


def test_the_xlsx_has_a_bold_heading_real_dates_and_a_clean_sheet_name(client, world):
    client.force_login(world.senior_manager)
    with time_machine.travel(NOW, tick=False):
        response = client.get(url(file_format="xlsx", unit=world.units["team"].pk, date=""))
    assert response.status_code == 200
    assert response["Content-Type"] == exports.FORMATS["xlsx"]
    assert response["Content-Disposition"].endswith('filename="staff-in-team-a-5-march-2026.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Staff in Team A"
    assert [cell.value for cell in sheet[1]] == [
        "Name",
        "Job role",
        "Unit",
        "Start date",
        "Student",
    ]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    start = rows["'" + world.formula.full_name][3]
    assert start.is_date and start.value == datetime(2025, 11, 3)
    assert start.number_format == "d mmmm yyyy"
    assert rows["Zoë Brontë-Smith"][4].value == "No"
    assert sheet.column_dimensions["A"].width >= 14
    assert only_event(action="export").detail["format"] == "xlsx"


def test_a_date_parameter_narrows_the_table(client, world):
    client.force_login(world.senior_manager)
    with time_machine.travel(NOW, tick=False):
        response = client.get(url(unit=world.units["team"].pk, date="2025-06-30"))
    names = [row[0] for row in csv_rows(response.content)[1:]]
    assert names == ["Supervisee", "Supervisor", "Zoë Brontë-Smith"], "started by then, by name"


# --- Formula injection --------------------------------------------------------------------------


def injection_table() -> exports.Table:
    return exports.Table(
        name="t",
        title="Injection",
        columns=[exports.Column("v", "Value"), exports.Column("n", "Number")],
        rows=[[text, -5] for text in TRICKY] + [["Plain", Decimal("-1.50")]],
        count=len(TRICKY) + 1,
    )


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_neutralised_in_csv():
    buffer = io.BytesIO()
    exports.write_csv(injection_table(), buffer)
    rows = csv_rows(buffer.getvalue())[1:]
    assert [row[0] for row in rows] == ["'" + text for text in TRICKY] + ["Plain"]
    assert [row[1] for row in rows] == ["-5"] * len(TRICKY) + ["-1.50"], "numbers stay numbers"


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_neutralised_in_xlsx():
    buffer = io.BytesIO()
    exports.write_xlsx(injection_table(), buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # ElementTree reads a carriage return back as a line feed, lxml (when installed, as pyHanko
    # has it) as itself; what matters is the apostrophe first.
    wanted = ["'" + text.replace("\r", "\n") for text in TRICKY] + ["Plain"]
    assert [cell.value.replace("\r", "\n") for cell in cells] == wanted
    assert {cell.data_type for cell in cells} == {"s"}, "text, never a formula"
    assert [row[1].value for row in sheet.iter_rows(min_row=2)][0] == -5


def test_the_downloaded_files_carry_no_formula(client, world):
    client.force_login(world.senior_manager)
    unit = world.units["team"].pk
    csv_names = [row[0] for row in csv_rows(client.get(url(unit=unit)).content)]
    sheet = load_workbook(io.BytesIO(client.get(url(file_format="xlsx", unit=unit)).content))
    xlsx_cells = [row[0] for row in sheet.active.iter_rows(min_row=2)]
    assert not any(name.startswith("=") for name in csv_names)
    assert all(cell.data_type == "s" and not cell.value.startswith("=") for cell in xlsx_cells)


def test_sheet_titles_follow_excels_rules():
    assert (
        exports.sheet_title("Supervision: compliance [by team] / March?*")
        == ("Supervision compliance by team ").strip()
    )
    assert len(exports.sheet_title("A" * 40)) == 31
    assert exports.sheet_title("'[]'") == "Export"


def test_progress_is_reported_in_batches_not_every_row():
    calls = []
    table = exports.Table("t", "T", [exports.Column("n", "N")], [[n] for n in range(5)], 5)
    exports.write_csv(table, io.BytesIO(), progress=calls.append, every=2)
    assert calls == [2, 4, 5]
    calls.clear()
    table.rows = [[n] for n in range(5)]
    exports.write_xlsx(table, io.BytesIO(), progress=calls.append, every=2)
    assert calls == [2, 4, 5]


# --- Refusals and bad links ---------------------------------------------------------------------


def test_an_unknown_table_or_format_is_not_found(client, world):
    client.force_login(world.senior_manager)
    unit = world.units["team"].pk
    assert client.get(url(table="no-such-table", unit=unit)).status_code == 404
    assert client.get(url(file_format="pdf", unit=unit)).status_code == 404
    assert client.get(url(file_format="CSV", unit=unit)).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize(
    ("query", "problem"),
    [({}, "unit</code>: missing"), ({"unit": "abc"}, "unit</code>: not a whole number")],
)
def test_a_bad_parameter_is_a_400_naming_it(client, world, query, problem):
    client.force_login(world.senior_manager)
    response = client.get(url(**query))
    assert response.status_code == 400
    assert problem in response.content.decode()
    response = client.get(url(unit=world.units["team"].pk, date="5 March"))
    assert response.status_code == 400
    assert "date</code>: not a date written like 2026-03-05" in response.content.decode()


def test_a_unit_outside_reach_is_not_found_and_the_refusal_audited(client, world):
    client.force_login(world.other_senior_manager)
    assert client.get(url(unit=world.units["team"].pk)).status_code == 404
    event = only_event(action="denied")
    assert (event.actor, event.object_type, event.object_id, event.detail) == (
        world.other_senior_manager,
        "table_export",
        "test-unit-staff",
        {"wanted": "export", "answer": 404},
    )
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_role_without_access_is_refused(client, world):
    client.force_login(world.supervisor)
    assert client.get(url(unit=world.units["team"].pk)).status_code == 403
    assert only_event(action="denied").detail == {"wanted": "export", "answer": 403}


# --- Large tables: queued, built by the task, polled, downloaded ----------------------------


def test_a_large_table_is_queued_audited_and_sent_to_the_worker_after_commit(
    client, world, settings, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        export = queue_export(client, world, settings)
    assert len(callbacks) == 1, "the task is queued once the export row is committed"
    assert (export.status, export.rows_total, export.rows_done) == ("queued", 4, 0)
    assert (export.requested_by, export.table, export.file_format, export.title) == (
        world.senior_manager,
        "test-unit-staff",
        "xlsx",
        "Staff in Team A",
    )
    assert export.params == {"unit": str(world.units["team"].pk)}
    assert export.created_at == NOW
    event = only_event(action="export")
    assert (event.actor, event.object_type, event.object_id) == (
        world.senior_manager,
        "table_export",
        str(export.pk),
    )
    assert event.detail["delivery"] == "queued" and event.detail["rows"] == 4
    assert not names_in(event.detail)


def test_the_status_page_shows_progress_and_works_without_javascript(client, world, settings):
    with time_machine.travel(NOW, tick=False):
        export = queue_export(client, world, settings)
        Export.objects.filter(pk=export.pk).update(
            status="running", rows_done=1200, rows_total=25000
        )
        response = client.get(reverse("export-status", kwargs={"export_id": export.pk}))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l" data-export-heading>Your download is being prepared' in page
    assert 'role="status"' in page and 'aria-live="polite"' in page
    assert '<progress class="app-export-progress" max="25000" value="1200"' in page
    assert "1,200 of 25,000 rows" in page
    status_url = reverse("export-status", kwargs={"export_id": export.pk})
    assert f'href="{status_url}">Refresh</a>' in page
    assert 'src="/static/js/table-export.mjs"' in page
    assert "<script>" not in page, "no inline script: the CSP forbids it"
    assert f'data-progress-url="/exports/{export.pk}/progress/"' in page


def test_the_task_builds_the_file_and_the_owner_downloads_it(client, world, settings):
    with time_machine.travel(NOW, tick=False):
        export = queue_export(client, world, settings)
        progress_url = reverse("export-progress", kwargs={"export_id": export.pk})
        assert client.get(progress_url).json() == {
            "status": "queued",
            "rows_done": 0,
            "rows_total": 4,
            "percent": 0,
            "download_url": None,
        }
        assert export_build(export.pk) == "ready"
        assert export_build(export.pk) == "ready", "a second delivery changes nothing"

    export.refresh_from_db()
    assert (export.status, export.rows_done, export.finished_at) == ("ready", 4, NOW)
    assert export.file_name.startswith("exports/") and export.file_name.endswith(".xlsx")
    files = StoredFile.objects.filter(name__startswith="exports/").values_list("name", flat=True)
    assert list(files) == [export.file_name], "one file, built once"
    download_url = reverse("export-download", kwargs={"export_id": export.pk})
    assert client.get(progress_url).json() == {
        "status": "ready",
        "rows_done": 4,
        "rows_total": 4,
        "percent": 100,
        "download_url": download_url,
    }
    page = client.get(reverse("export-status", kwargs={"export_id": export.pk})).content.decode()
    assert "Your download is ready" in page
    assert (
        f'<a class="govuk-link" href="{download_url}">Download Staff in Team A (XLSX)</a>' in page
    )

    response = client.get(download_url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="staff-in-team-a-5-march-2026.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row == 5
    event = only_event(action="download")
    assert (event.actor, event.object_type, event.object_id, event.detail) == (
        world.senior_manager,
        "table_export",
        str(export.pk),
        {"table": "test-unit-staff", "format": "xlsx", "rows": 4},
    )


def test_nobody_else_sees_or_downloads_an_export(client, world, settings):
    with time_machine.travel(NOW, tick=False):
        export = queue_export(client, world, settings)
        export_build(export.pk)
        for person in ("other_senior_manager", "supervisee", "admin"):
            client.force_login(getattr(world, person))
            for name in ("export-status", "export-progress", "export-download"):
                response = client.get(reverse(name, kwargs={"export_id": export.pk}))
                assert response.status_code == 404, (person, name)
    refusals = AuditEvent.objects.filter(action="denied", object_type="table_export")
    assert refusals.count() == 9
    assert set(refusals.values_list("object_id", flat=True)) == {str(export.pk)}
    assert not AuditEvent.objects.filter(action="download").exists()


def test_a_failed_build_is_tried_again_then_says_what_to_do_and_shows_no_trace(client, world):
    with time_machine.travel(NOW, tick=False):
        export = Export.objects.create(
            requested_by=world.senior_manager,
            table="test-broken",
            params={"unit": "7"},
            file_format="csv",
            title="Broken",
            rows_total=10,
            created_at=NOW,
        )
        assert export_build(export.pk) == "queued", "one failure is tried again by itself"
        client.force_login(world.senior_manager)
        status_url = reverse("export-status", kwargs={"export_id": export.pk})
        page = client.get(status_url).content.decode()
    assert "Your download is being prepared" in page
    assert "It will be tried again by itself from 10:31." in page  # a minute on, London time
    for attempt in range(2, 6):
        with time_machine.travel(NOW + timedelta(hours=attempt), tick=False):
            assert export_build(export.pk) == ("queued" if attempt < 5 else "failed")
    export.refresh_from_db()
    assert export.attempts == 5
    try_again = reverse("export-try-again", kwargs={"export_id": export.pk})
    with time_machine.travel(NOW + timedelta(hours=6), tick=False):
        client.force_login(world.senior_manager)
        page = client.get(status_url).content.decode()
        download = client.get(reverse("export-download", kwargs={"export_id": export.pk}))
        assert client.post(try_again).url == status_url
        assert client.post(try_again).url == status_url, "a second click changes nothing"
    assert "Your download could not be made" in page
    assert "Something went wrong while the file was being made." in page
    assert ">Try again</button>" in page
    assert 'href="/exports/test-broken.csv?unit=7">ask for the download afresh</a>' in page
    assert "secret.py" not in page and "connection refused" not in page
    assert download.status_code == 404
    export.refresh_from_db()
    assert (export.status, export.attempts, export.error) == ("queued", 0, "")
    tried = AuditEvent.objects.filter(object_type="export", detail__event="tried again")
    assert [(e.actor, e.object_id) for e in tried] == [(world.senior_manager, str(export.pk))]


def test_reach_is_checked_again_when_the_file_is_built(world):
    with time_machine.travel(NOW, tick=False):
        export = Export.objects.create(
            requested_by=world.other_senior_manager,
            table="test-unit-staff",
            params={"unit": str(world.units["team"].pk)},
            file_format="csv",
            title="Staff in Team A",
            created_at=NOW,
        )
        assert export_build(export.pk) == "failed"
    export.refresh_from_db()
    assert export.error == "You no longer have access to this table, so the file was not made."
    assert export.file_name == ""
    event = only_event(action="denied")
    assert (event.actor, event.object_id, event.detail["when"]) == (
        world.other_senior_manager,
        str(export.pk),
        "building",
    )


def test_exports_older_than_a_week_go_with_their_files(world):
    def made_on(day) -> Export:
        name = default_storage.save(f"exports/{day.isoformat()}.csv", ContentFile(b"a,b\n"))
        return Export.objects.create(
            requested_by=world.senior_manager,
            table="test-unit-staff",
            file_format="csv",
            title="Staff",
            status="ready",
            file_name=name,
            created_at=day,
        )

    old, recent = made_on(NOW - timedelta(days=8)), made_on(NOW - timedelta(days=5))
    with time_machine.travel(NOW, tick=False):
        assert exports.remove_old_exports(NOW) == 1
    assert list(Export.objects.all()) == [recent]
    assert not default_storage.exists(old.file_name)
    assert default_storage.exists(recent.file_name)

    queued = Export.objects.create(
        requested_by=world.senior_manager,
        table="test-unit-staff",
        params={"unit": str(world.units["team"].pk)},
        file_format="csv",
        title="Staff",
        created_at=NOW + timedelta(days=1),
    )
    with time_machine.travel(NOW + timedelta(days=1, hours=1), tick=False):
        export_build(queued.pk)
    assert set(Export.objects.all()) == {queued, recent}, "building one clears the old ones"
    with time_machine.travel(NOW + timedelta(days=7), tick=False):
        export_build(queued.pk)
    assert set(Export.objects.all()) == {queued}
    assert not default_storage.exists(recent.file_name)


# --- Links under a table ------------------------------------------------------------------------


def test_the_export_links_tag_renders_both_links_with_the_query(world):
    template = Template(
        '{% load exports %}{% export_links "test-unit-staff" unit=unit date=day missing=None %}'
    )
    html = template.render(Context({"unit": world.units["team"], "day": date(2026, 3, 5)}))
    query = f"?unit={world.units['team'].pk}&amp;date=2026-03-05"
    assert (
        f'<a class="govuk-link" href="/exports/test-unit-staff.csv{query}">Download as CSV'
        '<span class="govuk-visually-hidden"> (Staff in a unit)</span></a>'
    ) in html
    assert (
        f'<a class="govuk-link" href="/exports/test-unit-staff.xlsx{query}">'
        "Download as spreadsheet (XLSX)"
        '<span class="govuk-visually-hidden"> (Staff in a unit)</span></a>'
    ) in html
    bare = Template('{% load exports %}{% export_links "test-broken" %}').render(Context())
    assert 'href="/exports/test-broken.csv"' in bare and "(Test broken)" in bare
    with pytest.raises(LookupError):
        Template('{% load exports %}{% export_links "nope" %}').render(Context())


# --- Who gets what ------------------------------------------------------------------------------

TABLE_STATUS = {
    "anonymous": 302,
    "supervisee": 403,
    "other_supervisee": 403,
    "supervisor": 403,
    "other_team_supervisor": 403,
    "senior_manager": 200,
    "other_senior_manager": 404,
    "auditor_with_grant": 403,
    "auditor_without_grant": 403,
    "admin": 403,
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, world, settings, role):
    """The export-table row uses this module's test table; the lead's real tables say their own.
    Every export here was asked for by the senior manager."""
    with time_machine.travel(NOW, tick=False):
        export = Export.objects.create(
            requested_by=world.senior_manager,
            table="test-unit-staff",
            params={"unit": str(world.units["team"].pk)},
            file_format="csv",
            title="Staff in Team A",
            rows_total=4,
            created_at=NOW,
        )
        export_build(export.pk)
        if role != "anonymous":
            client.force_login(getattr(world, role))
        assert client.get(url(unit=world.units["team"].pk)).status_code == TABLE_STATUS[role]
        owner = {"anonymous": 302, "senior_manager": 200}.get(role, 404)
        for name in ("export-status", "export-progress", "export-download"):
            response = client.get(reverse(name, kwargs={"export_id": export.pk}))
            assert response.status_code == owner, name
            response = client.post(reverse(name, kwargs={"export_id": export.pk}))
            assert response.status_code == (302 if role == "anonymous" else 405), name


# --- A real Celery worker ------------------------------------------------------------------------


def _test_database_url() -> str:
    from django.db import connection

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def worker(settings):
    """As tests/project/test_celery_worker.py starts one, but on the test database and media folder,
    with this module imported so the worker knows the test table."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
            "--include=tests.oversight.reports.test_exports",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": _test_database_url(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield queue
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.mark.postgres
@pytest.mark.services
# Committed data, so the worker's connection sees it; the serialized rollback puts back what
# the data migrations made.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_builds_a_large_export(postgres_only, worker, client, settings, monkeypatch):
    # Background work goes to the queue this test's worker listens on.
    settings.BACKGROUND_WORK_QUEUE = worker
    world = build_world()
    StaffProfileFactory.create_batch(3, unit=world.units["team"])
    export = queue_export(client, world, settings, file_format="csv")

    progress_url = reverse("export-progress", kwargs={"export_id": export.pk})
    deadline = time.monotonic() + 60
    while (state := client.get(progress_url).json())["status"] not in {"ready", "failed"}:
        assert time.monotonic() < deadline, f"the worker did not finish: {state}"
        time.sleep(0.25)
    assert state["status"] == "ready" and state["rows_done"] == 5
    response = client.get(state["download_url"])
    assert response.status_code == 200
    assert len(csv_rows(b"".join(response.streaming_content))) == 6
