"""The import's files given as rows (lists of objects, as the API's JSON gives them) rather than
CSV: read into the same tables and checked and written by the same code, so the same rows give
the same outcome, and the same problems naming the same file, row and column."""

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core import serializers

from oversight.records_management import importing
from oversight.records_management.importing.checks_reach import OUTSIDE
from supervision.models import StaffProfile, Unit, User

pytestmark = pytest.mark.django_db

EXAMPLE = Path(settings.BASE_DIR) / "examples" / "import"
NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
# Not data: the audit, sessions, and the notes of writes kept pages are checked against (on
# SQLite a row trigger notes a statement that rewrote a row with the values it had).
NOT_DATA = {
    "supervision.AuditEvent",
    "supervision.AuditChainHead",
    "sessions.Session",
    "oversight.HomeChange",
}


@pytest.fixture(autouse=True)
def fixed_time():
    with time_machine.travel(NOW, tick=False):
        yield


def csv_files() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(EXAMPLE.iterdir())}


def as_rows(data: bytes) -> list[dict]:
    """A CSV file as the API's JSON gives it: one object a row, keyed by the header."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def rows_files() -> dict[str, list]:
    return {name: as_rows(data) for name, data in csv_files().items()}


def set_cell(files: dict, name: str, row: int, column: str, value: str) -> None:
    """Set one cell in both forms; `row` as in the spreadsheet (the header is row 1)."""
    data = files[name]
    if isinstance(data, list):
        data[row - 2][column] = value
        return
    records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    records[row - 1][records[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(records)
    files[name] = out.getvalue().encode("utf-8")


def snapshot() -> dict[str, str]:
    return {
        model._meta.label: serializers.serialize("json", model.objects.order_by("pk"))
        for model in apps.get_models()
        if model._meta.label not in NOT_DATA
    }


def counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def problems_of(files, **kwargs) -> list[importing.Problem]:
    with pytest.raises(importing.ImportRefused) as refused:
        importing.import_files(files, **kwargs)
    return refused.value.problems


def test_rows_and_csv_plan_the_same_outcome():
    from_csv = importing.import_files(csv_files(), dry_run=True)
    from_rows = importing.import_files(rows_files(), dry_run=True)

    assert from_rows.counts() == from_csv.counts()
    assert from_rows.counts()["staff.csv"] == {"create": 8, "update": 0, "unchanged": 0}
    assert sorted(from_rows.new_job_roles) == sorted(from_csv.new_job_roles)


def test_rows_import_what_the_csv_would_so_the_csv_then_changes_nothing():
    importing.import_files(rows_files())
    after_rows = snapshot()

    again = importing.import_files(csv_files())

    assert snapshot() == after_rows
    assert all(c["create"] == c["update"] == 0 for c in again.counts().values())


def test_a_dry_run_of_rows_writes_nothing():
    before = counts()

    plan = importing.import_files(rows_files(), dry_run=True)

    assert counts() == before
    assert plan.counts()["units.csv"]["create"] == 2


@pytest.mark.parametrize(
    ("name", "row", "column", "value"),
    [
        ("case_supervisions.csv", 9, "discussed_at", "2026-02-30 15:00"),
        ("staff.csv", 7, "start_date", "31/02/2026"),
        ("sessions.csv", 13, "status", "happened"),
        ("cases.csv", 6, "plan", "early_help"),
        ("relationships.csv", 3, "supervisor_email", "nobody@westmoor.example"),
        ("units.csv", 3, "parent_code", "no-such-unit"),
    ],
)
def test_rows_and_csv_are_refused_with_the_same_problems(name, row, column, value):
    as_csv, as_json = csv_files(), rows_files()
    set_cell(as_csv, name, row, column, value)
    set_cell(as_json, name, row, column, value)
    before = counts()

    from_csv = problems_of(as_csv)
    from_rows = problems_of(as_json)

    assert from_rows == from_csv
    assert any(p.file == name and p.row == row and p.column == column for p in from_rows)
    assert counts() == before


def test_a_bad_row_in_the_last_file_leaves_nothing_of_the_others():
    files = rows_files()
    files["case_supervisions.csv"][-1]["decision"] = ""
    before = snapshot()

    problems = problems_of(files)

    assert [str(p) for p in problems] == [
        f"case_supervisions.csv, row {len(files['case_supervisions.csv']) + 1}, column "
        "decision: Enter the decision"
    ]
    assert snapshot() == before


def test_json_values_may_be_numbers_true_false_and_null():
    files = rows_files()
    for row in files["staff.csv"]:
        row["is_student"] = row["is_student"] == "yes"
        row["leaving_date"] = None
    for row in files["sessions.csv"]:
        row["duration_minutes"] = int(row["duration_minutes"])

    plan = importing.import_files(files)

    assert plan.counts()["sessions.csv"]["create"] == 12
    assert StaffProfile.objects.filter(leaving_date__isnull=True).count() == 8


def test_an_unknown_key_or_a_missing_required_one_is_refused_as_a_header_would_be():
    files = {"units.csv": [{"code": "north", "name": "North", "colour": "red"}]}

    problems = {str(p) for p in problems_of(files)}

    assert problems == {
        "units.csv, row 1, column colour: Unknown column. The columns of this file are: "
        "code, name, kind, parent_code, manager_email",
        "units.csv, row 1, column kind: This column is missing: add it to the header row.",
    }


def test_a_row_that_is_not_an_object_or_a_value_that_is_a_list_names_its_row():
    files = rows_files()
    files["units.csv"][1]["name"] = ["Westmoor", "Assessment"]
    files["staff.csv"].insert(0, "grace.holloway@westmoor.example")

    problems = [str(p) for p in problems_of(files)]

    assert (
        "units.csv, row 3, column name: Give this value as text, a number, true or false, or null."
        in problems
    )
    assert "staff.csv, row 2: Give each row as an object of column names and values." in problems
    assert Unit.objects.count() == 0


def test_files_are_named_with_or_without_csv_and_an_unknown_one_is_refused():
    files, problems = importing.read_rows({"Units": [], "staff.csv": [], "payroll": []})

    assert sorted(files) == ["staff.csv", "units.csv"]
    assert [p.file for p in problems] == ["payroll"]
    _, problems = importing.read_rows({"units": {"code": "x"}})
    assert [str(p) for p in problems] == ["units.csv: Give this file's rows as a list of objects."]


# --- An import limited to some units ---------------------------------------------------------


def within(code: str):
    path = Unit.objects.get(code=code).path
    return lambda unit_path: unit_path.startswith(path)


def test_a_limited_import_may_change_rows_within_its_units():
    importing.import_files(rows_files())
    files = {
        "staff.csv": [r for r in rows_files()["staff.csv"] if r["unit_code"] != "westmoor-csc"]
    }
    files["staff.csv"][0]["full_name"] = "Owen Price-Jones"

    plan = importing.import_files(files, reach=within("westmoor-assessment"))

    assert plan.counts()["staff.csv"]["update"] == 1
    assert User.objects.get(email="owen.price@westmoor.example").full_name == "Owen Price-Jones"


def test_a_limited_import_refuses_a_row_outside_its_units_and_writes_nothing():
    importing.import_files(rows_files())
    before = snapshot()
    files = {"staff.csv": rows_files()["staff.csv"]}
    files["staff.csv"][1]["full_name"] = "Owen Price-Jones"  # within
    files["staff.csv"][0]["full_name"] = "Grace Holloway-Smith"  # the service, above the team

    problems = problems_of(files, reach=within("westmoor-assessment"))

    assert [str(p) for p in problems] == [
        f"staff.csv, row 2, column unit_code: {OUTSIDE}: the unit is not one of them. "
        '(found "westmoor-csc")'
    ]
    assert snapshot() == before


def test_a_limited_import_may_not_move_someone_in_from_elsewhere_or_name_them():
    importing.import_files(rows_files())
    staff = rows_files()["staff.csv"]
    grace = next(r for r in staff if r["unit_code"] == "westmoor-csc")
    grace["unit_code"] = "westmoor-assessment"
    relationships = [
        r for r in rows_files()["relationships.csv"] if r["supervisor_email"] == grace["email"]
    ]

    problems = problems_of(
        {"staff.csv": [grace], "relationships.csv": relationships},
        reach=within("westmoor-assessment"),
    )

    assert {(p.file, p.column) for p in problems} == {
        ("staff.csv", "email"),
        ("relationships.csv", "supervisor_email"),
    }


def test_a_new_unit_lies_where_its_parent_does():
    importing.import_files(rows_files())
    new_team = {"code": "westmoor-ft", "name": "Family Time", "kind": "team"}

    refused = problems_of(
        {"units.csv": [{**new_team, "parent_code": ""}]}, reach=within("westmoor-assessment")
    )
    plan = importing.import_files(
        {"units.csv": [{**new_team, "parent_code": "westmoor-assessment"}]},
        reach=within("westmoor-assessment"),
    )

    assert [p.column for p in refused] == ["code"]
    assert plan.counts()["units.csv"]["create"] == 1
