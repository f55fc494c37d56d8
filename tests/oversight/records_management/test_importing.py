"""Importing an organisation's data from CSV files: `import_data DIR` and the
administrator's upload page. Everything is checked first; either all of it is imported or
nothing is; importing the same files again changes nothing."""

import csv
import io
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import CommandError, call_command

from agreements.models import SupervisionAgreement
from casework.models import Allocation, CaseNote, Child, RiskRating
from oversight.records_management import importing
from oversight.records_management.importing import writing
from supervision.models import (
    JobRole,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
    Unit,
    User,
)
from supervision.models.audit import AuditEvent
from supervision.records.canonical import content_hash, load_record_for_content, record_hash

pytestmark = pytest.mark.django_db

EXAMPLE = Path(settings.BASE_DIR) / "examples" / "import"
NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
# What the example folder holds, by model.
EXAMPLE_COUNTS = {
    Unit: 2,
    StaffProfile: 8,
    SupervisoryRelationship: 9,
    SupervisionAgreement: 7,
    SupervisionSession: 12,
    SupervisionRecord: 7,
    Child: 5,
    Allocation: 6,
    CaseNote: 8,
}
# Tables nobody's data lives in, or that record the import itself.
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


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "import"
    shutil.copytree(EXAMPLE, target)
    return target


def run(folder, *args) -> str:
    out = io.StringIO()
    call_command("import_data", str(folder), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(folder, *args) -> list[str]:
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_data", str(folder), *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue().splitlines()


def counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def snapshot() -> dict[str, str]:
    """Every row of every table with people's data, as JSON: any save shows (updated_at)."""
    return {
        model._meta.label: serializers.serialize("json", model.objects.order_by("pk"))
        for model in apps.get_models()
        if model._meta.label not in NOT_DATA
    }


def edit(folder, name, row, column, value) -> None:
    """Set one cell; `row` as in the spreadsheet (the header is row 1)."""
    path = folder / name
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    if column not in header:
        header.append(column)
        for other in rows[1:]:
            other.append("")
    rows[row - 1][header.index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def append(folder, name, line: str) -> None:
    with (folder / name).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def files_of(folder) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


# --- The command ------------------------------------------------------------------------------


def test_the_example_folder_imports_cleanly(folder):
    output = run(folder)

    for model, expected in EXAMPLE_COUNTS.items():
        assert model.objects.count() == expected, model
    assert "staff.csv: 8 created, 0 updated, 0 unchanged" in output
    assert "case_supervisions.csv: 8 created, 0 updated, 0 unchanged" in output
    assert "job roles created: " in output and "locum-social-worker" in output
    # Standard codes get their standard names; a new one the name the file gives it.
    assert JobRole.objects.get(code="team-manager").name == "Team Manager"
    assert JobRole.objects.get(code="locum-social-worker").category == "practitioner"
    grace = User.objects.get(email="grace.holloway@westmoor.example")
    assert Unit.objects.get(code="westmoor-csc").manager == grace
    team = Unit.objects.get(code="westmoor-assessment")
    assert team.parent.code == "westmoor-csc" and team.path.startswith(team.parent.path)


def test_a_second_import_changes_nothing(folder):
    run(folder)
    before = snapshot()

    output = run(folder)

    assert snapshot() == before
    for name in importing.FILE_NAMES:
        assert f"{name}: 0 created, 0 updated" in output


def test_dry_run_says_what_would_change_and_writes_nothing(folder):
    before = counts()

    output = run(folder, "--dry-run")

    assert counts() == before
    assert "units.csv: 2 to create, 0 to update, 0 unchanged" in output


@pytest.mark.parametrize(
    ("name", "row", "column", "value", "expected"),
    [
        (
            "case_supervisions.csv",
            9,
            "discussed_at",
            "2026-02-30 15:00",
            "case_supervisions.csv, row 9, column discussed_at: Enter a date and time such as "
            '2026-03-05 14:30 (found "2026-02-30 15:00")',
        ),
        (
            "staff.csv",
            7,
            "start_date",
            "31/02/2026",
            "staff.csv, row 7, column start_date: Enter a date such as 2026-03-05 "
            '(found "31/02/2026")',
        ),
        (
            "sessions.csv",
            13,
            "status",
            "happened",
            "sessions.csv, row 13, column status: Choose one of: planned, held, cancelled, "
            'did_not_take_place (found "happened")',
        ),
        (
            "cases.csv",
            6,
            "plan",
            "early_help",
            "cases.csv, row 6, column plan: Early help plan is not a plan in children's "
            "social work.",
        ),
    ],
)
def test_one_bad_row_anywhere_refuses_everything(folder, name, row, column, value, expected):
    edit(folder, name, row, column, value)
    before = counts()

    problems = refused(folder)

    assert any(problem.startswith(expected) for problem in problems), problems
    assert counts() == before


def test_a_failure_while_writing_rolls_back_what_was_written_before_it(folder, monkeypatch):
    def fail(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(writing._Writer, "write_case_notes", fail)
    before = counts()

    with pytest.raises(RuntimeError):
        run(folder)

    assert counts() == before


def test_every_problem_is_reported_at_once(folder):
    edit(folder, "staff.csv", 3, "start_date", "yesterday")
    edit(folder, "sessions.csv", 2, "duration_minutes", "0")
    edit(folder, "cases.csv", 2, "initials", "A.B.C.D.E")

    problems = refused(folder)

    assert len(problems) == 3
    assert [p.split(",")[0] for p in problems] == ["staff.csv", "sessions.csv", "cases.csv"]


@pytest.mark.parametrize(
    ("bom", "ending"), [(True, "\n"), (False, "\r\n"), (False, "\r"), (True, "\r\n")]
)
def test_byte_order_marks_and_any_line_endings_are_read(folder, bom, ending):
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8").replace("\n", ending)
        path.write_bytes(text.encode("utf-8-sig" if bom else "utf-8"))

    run(folder)

    for model, expected in EXAMPLE_COUNTS.items():
        assert model.objects.count() == expected, model


def test_uk_dates_are_day_first(folder):
    run(folder)

    grace = StaffProfile.objects.get(user__email="grace.holloway@westmoor.example")
    assert grace.start_date == date(2023, 4, 3)  # 03/04/2023 in staff.csv
    session = SupervisionSession.objects.get(supervisee__email="jamie.cole@westmoor.example")
    assert session.starts_at == datetime(2026, 2, 24, 15, 0, tzinfo=UTC)  # 24/02/2026 15:00


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-05", date(2026, 3, 5)),
        ("05/03/2026", date(2026, 3, 5)),
        ("5/3/2026", date(2026, 3, 5)),
        ("29/02/2024", date(2024, 2, 29)),
    ],
)
def test_parse_date(text, expected):
    assert importing.parse_date(text) == expected


@pytest.mark.parametrize("text", ["03-05-2026", "2026/03/05", "29/02/2026", "5 March 2026", ""])
def test_parse_date_refuses(text):
    with pytest.raises(ValueError):
        importing.parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Without an offset, UK time: summer time in July.
        ("2026-07-01 10:00", datetime(2026, 7, 1, 9, 0, tzinfo=UTC)),
        ("01/07/2026 10:00", datetime(2026, 7, 1, 9, 0, tzinfo=UTC)),
        ("2026-07-01T10:00:00+00:00", datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),
        ("2026-01-10 10:00Z", datetime(2026, 1, 10, 10, 0, tzinfo=UTC)),
        ("2026-01-10", datetime(2026, 1, 10, 9, 0, tzinfo=UTC)),  # a date alone: 9am
    ],
)
def test_parse_moment(text, expected):
    assert importing.parse_moment(text) == expected


def test_an_unknown_column_is_refused_naming_the_file_and_column(folder):
    edit(folder, "staff.csv", 1, "nickname", "nickname")

    problems = refused(folder)

    assert problems[0].startswith("staff.csv, row 1, column nickname: Unknown column.")
    assert not Unit.objects.exists()


def test_a_missing_column_is_refused_naming_it(folder):
    path = folder / "relationships.csv"
    rows = [line.split(",") for line in path.read_text().splitlines()]
    path.write_text("\n".join(",".join(row[:3] + row[4:]) for row in rows) + "\n")

    problems = refused(folder)

    assert problems == [
        "relationships.csv, row 1, column starts_on: This column is missing: add it to the "
        "header row."
    ]


def test_an_unknown_file_is_refused(folder):
    (folder / "notes.txt").write_text("hello")

    problems = refused(folder)

    assert problems[0].startswith("notes.txt: This is not a file the import reads.")
    assert not Unit.objects.exists()


def test_any_subset_of_the_files_imports(folder):
    for path in folder.iterdir():
        if path.name not in ("units.csv", "staff.csv"):
            path.unlink()

    output = run(folder)

    assert Unit.objects.count() == 2 and StaffProfile.objects.count() == 8
    assert "relationships.csv" not in output


def test_a_reference_to_nobody_in_staff_csv_or_the_database_is_an_error(folder):
    edit(folder, "relationships.csv", 4, "supervisor_email", "nobody@westmoor.example")
    edit(folder, "cases.csv", 3, "worker_email", "ghost@westmoor.example")
    edit(folder, "case_supervisions.csv", 2, "reference", "WM999999")

    problems = refused(folder)

    assert (
        "relationships.csv, row 4, column supervisor_email: There is no member of staff with "
        "the email nobody@westmoor.example: add them to staff.csv"
    ) in problems
    assert any(p.startswith("cases.csv, row 3, column worker_email:") for p in problems)
    assert any(
        p.startswith("case_supervisions.csv, row 2, column reference: There is no child")
        for p in problems
    )


def test_someone_already_recorded_may_be_named_without_being_in_staff_csv(folder):
    run(folder)
    for path in folder.iterdir():
        if path.name != "relationships.csv":
            path.unlink()
    append(
        folder,
        "relationships.csv",
        "grace.holloway@westmoor.example,ruth.adeyemi@westmoor.example,designated,2026-02-02,",
    )

    output = run(folder)

    assert "relationships.csv: 1 created, 0 updated, 9 unchanged" in output


def test_cross_file_rules_one_line_supervisor_at_a_time(folder):
    append(
        folder,
        "relationships.csv",
        "grace.holloway@westmoor.example,nadia.khan@westmoor.example,line,2025-01-06,",
    )

    problems = refused(folder)

    assert any(
        p.startswith(
            "relationships.csv, row 11, column starts_on: nadia.khan@westmoor.example "
            "already has a line supervisor on these dates"
        )
        for p in problems
    )


def test_an_arrangement_must_end_by_the_leaving_date(folder):
    edit(folder, "relationships.csv", 10, "ends_on", "")

    problems = refused(folder)

    assert problems == [
        "relationships.csv, row 10, column ends_on: peter.lindqvist@westmoor.example leaves on "
        "30 January 2026: end the arrangement by then"
    ]


def test_an_agreement_needs_an_arrangement_running_on_its_start(folder):
    edit(folder, "agreements.csv", 4, "starts_on", "2023-01-01")

    problems = refused(folder)

    assert problems[0].startswith(
        "agreements.csv, row 4, column starts_on: No supervision arrangement of "
        "leo.fraser@westmoor.example by owen.price@westmoor.example (line) runs on "
        "1 January 2023"
    )


def test_only_a_planned_session_may_be_in_the_future(folder):
    edit(folder, "sessions.csv", 5, "status", "held")  # 17 March 2026

    assert refused(folder) == [
        "sessions.csv, row 5, column status: A session in the future can only be planned "
        '(found "held")'
    ]


# --- What is written ---------------------------------------------------------------------------


def test_people_created_by_an_import_have_no_password_yet(folder):
    run(folder)

    assert not any(u.has_usable_password() for u in User.objects.all())


def test_imported_agreements_are_signed_and_the_latest_is_in_force(folder):
    run(folder)

    nadia = SupervisionAgreement.objects.filter(
        relationship__supervisee__email="nadia.khan@westmoor.example"
    ).order_by("version")
    first, second = nadia
    assert (first.status, second.status) == ("superseded", "active")
    assert second.previous == first and first.superseded_reason == "reviewed: replaced by version 2"
    assert second.signatures.count() == 2
    signature = second.signatures.first()
    assert signature.method == importing.IMPORTED_SIGNATURE
    assert signature.content_hash == second.content_hash
    from agreements.services import agreement_hash

    assert second.content_hash == agreement_hash(second)
    # The arrangement ended with a change of supervisor: its agreement stopped being in force.
    ended = SupervisionAgreement.objects.get(
        relationship__supervisee__email="mia.doyle@westmoor.example",
        relationship__supervisor__email="owen.price@westmoor.example",
    )
    assert ended.status == "superseded" and ended.superseded_reason == "arrangement ended"
    # No signed_on: a draft, for the two of them to sign here.
    draft = SupervisionAgreement.objects.get(
        relationship__supervisee__email="jamie.cole@westmoor.example", relationship__kind="line"
    )
    assert draft.status == "draft" and not draft.signatures.exists()


def test_imported_records_stand_as_they_did_with_their_hashes(folder):
    run(folder)

    record = SupervisionRecord.objects.get(
        session__supervisee__email="leo.fraser@westmoor.example",
        session__starts_at=datetime(2026, 2, 20, 14, 0, tzinfo=UTC),
    )
    assert record.status == "finalised"
    assert record.content_hash == record_hash(load_record_for_content(record.pk))
    assert record.finalised_at == datetime(2026, 2, 25, 17, 0, tzinfo=UTC)
    signed = {s.role: s.signed_at.date() for s in record.signatures.all()}
    assert signed == {"supervisee": date(2026, 2, 24), "supervisor": date(2026, 2, 25)}
    assert record.supervisee_name == "Leo Fraser"
    assert record.supervisee_role == "Newly Qualified Social Worker (ASYE)"
    signed_only = SupervisionRecord.objects.get(
        session__starts_at=datetime(2026, 2, 27, 14, 0, tzinfo=UTC)
    )
    assert signed_only.status == "supervisee_signed" and signed_only.signatures.count() == 1
    rearranged = SupervisionSession.objects.get(starts_at=datetime(2026, 1, 20, 10, 0, tzinfo=UTC))
    assert rearranged.replaces.status == "cancelled"


def test_imported_case_notes_are_final_and_keep_the_case_up_to_date(folder):
    run(folder)

    note = CaseNote.objects.get(child__reference="WM100001", kind="case_supervision")
    assert note.status == "final" and note.finalised_by == note.author
    assert note.finalised_at == note.discussed_at
    from casework.services import note_content

    assert note.content_hash == content_hash(note_content(note))
    child = Child.objects.get(reference="WM100001")
    assert child.last_discussed_at == note.discussed_at
    assert child.next_review_on == date(2026, 5, 10)
    # C3: the allocation note, the same afternoon, was the first discussion.
    assert child.allocations.get().first_discussed_at == datetime(2025, 11, 3, 15, 0, tzinfo=UTC)
    # Its rating as risk_ratings.csv dates it: amber, red from 5 January, amber again.
    assert [(r.level, r.previous_level) for r in RiskRating.objects.filter(child=child)] == [
        ("amber", "red"),
        ("red", "amber"),
        ("amber", ""),
    ]
    assert child.rag_rating == "amber"
    closed = Child.objects.get(reference="WM100005")
    assert closed.closed_on == date(2026, 1, 28) and closed.closure_supervision_held is True
    assert closed.allocations.get().ends_at == datetime(2026, 1, 29, 0, 0, tzinfo=UTC)


def test_a_leaver_is_archived_like_marking_them_as_left(folder):
    run(folder)

    profile = StaffProfile.objects.get(user__email="peter.lindqvist@westmoor.example")
    assert profile.leaving_date == date(2026, 1, 30) and not profile.is_active


def test_a_changed_name_and_unit_update_the_person(folder):
    run(folder)
    edit(folder, "units.csv", 3, "name", "Assessment and Intervention")
    edit(folder, "staff.csv", 4, "full_name", "Nadia Khan-Ellis")
    edit(folder, "staff.csv", 4, "unit_code", "westmoor-csc")

    output = run(folder)

    assert "units.csv: 0 created, 1 updated, 1 unchanged" in output
    assert "staff.csv: 0 created, 1 updated, 7 unchanged" in output
    profile = StaffProfile.objects.get(user__email="nadia.khan@westmoor.example")
    assert profile.user.full_name == "Nadia Khan-Ellis" and profile.unit.code == "westmoor-csc"


def test_a_column_left_out_keeps_what_is_recorded(folder):
    run(folder)
    path = folder / "staff.csv"
    rows = list(csv.reader(path.open(newline="")))
    keep = [i for i, c in enumerate(rows[0]) if c != "probation_end_date"]
    path.write_text("\n".join(",".join(row[i] for i in keep) for row in rows) + "\n")

    output = run(folder)

    assert "staff.csv: 0 created, 0 updated, 8 unchanged" in output
    profile = StaffProfile.objects.get(user__email="leo.fraser@westmoor.example")
    assert profile.probation_end_date == date(2026, 3, 1)


def test_files_with_only_their_required_columns_change_nothing_recorded(folder):
    run(folder)
    before = snapshot()
    keys = {"kind", "relationship_kind"}  # part of what identifies a row
    for path in folder.iterdir():
        rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
        columns = importing.COLUMNS[path.name]
        keep = [i for i, c in enumerate(rows[0]) if columns[c] or c in keys]
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([[row[i] for i in keep] for row in rows])

    output = run(folder)

    assert snapshot() == before
    for name in importing.FILE_NAMES:
        assert f"{name}: 0 created, 0 updated" in output


def test_a_finalised_record_is_refused_if_the_file_says_otherwise(folder):
    run(folder)
    edit(folder, "sessions.csv", 6, "record_finalised_on", "2026-02-26")
    before = snapshot()

    problems = refused(folder)

    assert problems == [
        "sessions.csv, row 6, column starts_at: This session's record is finalised and cannot "
        "be changed: add an addendum in the product instead"
    ]
    assert snapshot() == before


def test_a_final_case_note_is_refused_if_the_file_says_otherwise(folder):
    run(folder)
    edit(folder, "case_supervisions.csv", 3, "decision", "Close the case.")

    assert refused(folder) == [
        "case_supervisions.csv, row 3, column decision: This note is final and cannot be changed"
    ]


def test_a_signed_agreement_is_refused_if_the_file_says_otherwise(folder):
    run(folder)
    edit(folder, "agreements.csv", 3, "frequency_value", "2")

    problems = refused(folder)

    assert problems[0].startswith(
        "agreements.csv, row 3, column frequency_value: This agreement was signed on "
        "16 September 2025 and is locked"
    )


def test_a_record_moves_on_by_a_later_import(folder):
    run(folder)
    edit(folder, "sessions.csv", 7, "record_status", "finalised")
    edit(folder, "sessions.csv", 7, "record_finalised_on", "2026-03-04")

    output = run(folder)

    assert "sessions.csv: 0 created, 1 updated, 11 unchanged" in output
    record = SupervisionRecord.objects.get(
        session__starts_at=datetime(2026, 2, 27, 14, 0, tzinfo=UTC)
    )
    assert record.status == "finalised"
    assert set(record.signatures.values_list("role", flat=True)) == {"supervisee", "supervisor"}


def test_a_case_closed_by_a_later_import(folder):
    run(folder)
    edit(folder, "cases.csv", 2, "closed_on", "2026-03-02")
    edit(folder, "cases.csv", 2, "closure_reason", "stepped_down")

    output = run(folder)

    assert "cases.csv: 0 created, 1 updated, 4 unchanged" in output
    child = Child.objects.get(reference="WM100001")
    assert child.closed_on == date(2026, 3, 2) and child.closure_reason == "stepped_down"
    assert child.allocations.get().ends_at is not None


def test_a_reallocation_is_refused_with_a_pointer_to_the_product(folder):
    run(folder)
    edit(folder, "cases.csv", 2, "worker_email", "leo.fraser@westmoor.example")

    problems = refused(folder)

    assert problems[0].startswith(
        "cases.csv, row 2, column worker_email: WM100001 is recorded with a different allocation"
    )


def test_the_import_is_audited_with_counts_and_never_what_the_rows_say(folder):
    admin = User.objects.create_user("admin@example.org", "x", full_name="Admin", is_staff=True)

    run(folder, "--by", "admin@example.org")

    event = AuditEvent.objects.get(object_type="data_import")
    assert event.action == "write" and event.actor == admin
    assert event.detail["created"]["staff.csv"] == 8
    text = str(event.detail)
    assert "westmoor.example" not in text and "WM100001" not in text and "Nadia" not in text


def test_a_later_review_supersedes_the_recorded_agreement(folder):
    run(folder)
    append(
        folder,
        "agreements.csv",
        "owen.price@westmoor.example,leo.fraser@westmoor.example,line,2026-03-02,2027-03-02,"
        "2,weeks,60,in_person,2026-03-03",
    )

    output = run(folder)

    assert "agreements.csv: 1 created, 0 updated, 7 unchanged" in output
    first, second = SupervisionAgreement.objects.filter(
        relationship__supervisee__email="leo.fraser@westmoor.example"
    ).order_by("version")
    assert (first.status, second.status) == ("superseded", "active")
    assert second.previous == first and second.version == 2
    assert first.superseded_reason == "reviewed: replaced by version 2"


def test_a_draft_agreement_is_signed_by_a_later_import(folder):
    run(folder)
    edit(folder, "agreements.csv", 8, "signed_on", "2026-03-04")

    output = run(folder)

    assert "agreements.csv: 0 created, 1 updated, 6 unchanged" in output
    agreement = SupervisionAgreement.objects.get(
        relationship__supervisee__email="jamie.cole@westmoor.example", relationship__kind="line"
    )
    assert agreement.status == "active" and agreement.signatures.count() == 2


def test_a_change_of_line_supervisor_by_a_later_import(folder):
    run(folder)
    edit(folder, "relationships.csv", 3, "ends_on", "2026-02-28")
    append(
        folder,
        "relationships.csv",
        "ruth.adeyemi@westmoor.example,nadia.khan@westmoor.example,line,2026-03-01,",
    )

    output = run(folder)

    assert "relationships.csv: 1 created, 1 updated, 8 unchanged" in output
    old = SupervisoryRelationship.objects.get(
        supervisee__email="nadia.khan@westmoor.example",
        supervisor__email="owen.price@westmoor.example",
    )
    assert old.ends_on == date(2026, 2, 28)
    # As a change of supervisor does in the product: the agreement stops being in force.
    assert not SupervisionAgreement.objects.filter(relationship=old, status="active").exists()
    assert (
        SupervisoryRelationship.objects.get(
            supervisee__email="nadia.khan@westmoor.example", ends_on__isnull=True
        ).supervisor.email
        == "ruth.adeyemi@westmoor.example"
    )


def test_an_unknown_job_role_needs_a_name_and_category(folder):
    edit(folder, "staff.csv", 3, "job_role", "chief-cook")
    edit(folder, "staff.csv", 4, "job_role", "bottle-washer")
    edit(folder, "staff.csv", 4, "job_role_name", "Bottle Washer")

    problems = refused(folder)

    assert problems[0].startswith(
        "staff.csv, row 3, column job_role: There is no job role with the code chief-cook."
    )
    assert problems[1] == (
        "staff.csv, row 4, column job_role_category: Enter both job_role_name and "
        "job_role_category to create the job role bottle-washer"
    )


def test_a_duplicate_row_is_refused_naming_the_first(folder):
    append(
        folder,
        "cases.csv",
        "WM100002,CD,social_work,child_protection,westmoor-assessment,"
        "nadia.khan@westmoor.example,2025-12-01 11:00,red,,,yes,,,",
    )

    assert refused(folder) == [
        'cases.csv, row 7, column reference: This child is already on row 3 (found "WM100002")'
    ]


def test_a_name_is_never_taken_for_a_reference(folder):
    edit(folder, "cases.csv", 2, "reference", "Jo Smith")

    problems = refused(folder)

    assert problems[0] == (
        "cases.csv, row 2, column reference: Enter the child's unique reference, such as "
        "NS104231, not their name"
    )


def test_the_check_reads_the_database_in_a_fixed_number_of_queries(
    folder, django_assert_num_queries
):
    run(folder)
    # 16: the organisation's pack timeline (its choices and their versions) for F7; 17 with
    # risk_ratings.csv, whose dated ratings are checked against the children's recorded ones.
    with django_assert_num_queries(17):
        assert importing.check(files_of(folder)).ok
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
            f"WM2{n:05d},AB,social_work,child_in_need,westmoor-"
            f"assessment,extra{n}@westmoor.example,2025-11-03 09:30,amber,,,no,,,",
        )
        append(
            folder,
            "case_supervisions.csv",
            f"WM2{n:05d},2026-01-05 10:00,owen.price@"
            "westmoor.example,case_supervision,,,,Continue,Settled,2026-04-05",
        )

    with django_assert_num_queries(17):
        plan = importing.check(files_of(folder))

    assert plan.ok and plan.counts()["case_supervisions.csv"]["create"] == 40


# --- PostgreSQL --------------------------------------------------------------------------------


def test_the_command_on_postgresql(postgres_only, folder):
    """With PostgreSQL's triggers on final notes, signed agreements and finalised records, and
    its exclusion constraint on line supervisors."""
    run(folder)
    before = snapshot()
    run(folder)
    assert snapshot() == before

    edit(folder, "case_supervisions.csv", 9, "next_review_on", "2026-06-01")
    append(
        folder,
        "case_supervisions.csv",
        "WM100003,2026-03-02 10:00,owen.price@westmoor"
        ".example,case_supervision,Settled,Contact,Placement,Continue,Settled,2026-06-02",
    )
    problems = refused(folder)
    assert problems == [
        "case_supervisions.csv, row 9, column next_review_on: This note is final and cannot be "
        "changed"
    ]
    assert snapshot() == before


def test_an_agreement_less_frequent_than_the_pack_is_refused_naming_the_minimum(folder):
    # F7: a signed agreement every 8 weeks for a practitioner under Kent (monthly) would
    # otherwise import as "in force" while the product quietly applied the pack's frequency.
    edit(folder, "agreements.csv", 3, "frequency_value", "8")
    edit(folder, "agreements.csv", 3, "frequency_unit", "weeks")

    problems = refused(folder)

    assert problems == [
        "agreements.csv, row 3, column frequency_value: Kent County Council's policy asks for "
        "supervision at least monthly for practitioners: choose a frequency of 4 weeks or "
        "more often"
    ]
    assert not SupervisionAgreement.objects.exists()


def test_a_child_imported_looked_after_stays_so_when_a_later_import_changes_the_plan(folder):
    run(folder)
    assert Child.objects.get(reference="WM100003").has_been_looked_after
    assert not Child.objects.get(reference="WM100001").has_been_looked_after

    edit(folder, "cases.csv", 4, "plan", "child_in_need")
    edit(folder, "cases.csv", 4, "has_been_looked_after", "no")
    edit(folder, "cases.csv", 2, "plan", "care_leaver")
    # Care the source system knows of, before this product: recorded without a plan of care.
    edit(folder, "cases.csv", 5, "has_been_looked_after", "yes")
    output = run(folder)

    assert "cases.csv: 0 created, 3 updated, 2 unchanged" in output
    home = Child.objects.get(reference="WM100003")
    assert (home.plan, home.has_been_looked_after) == ("child_in_need", True)
    assert Child.objects.get(reference="WM100001").has_been_looked_after
    earlier = Child.objects.get(reference="WM100004")
    assert (earlier.plan, earlier.has_been_looked_after) == ("early_help", True)
    assert "cases.csv: 0 created, 0 updated, 5 unchanged" in run(folder)
