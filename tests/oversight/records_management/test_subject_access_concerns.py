"""Subject access: concerns about supervision, escalated disagreements and the files attached to
records, read back from the zip the person downloads."""

import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.models import CaseNoteAttachment
from supervision.concerns import services as concerns
from supervision.models import RecordAttachment, SupervisionSession
from supervision.models.files import StoredFile
from supervision.organisation.uploads import CheckedUpload, safe_name
from supervision.people.leaving import leavers_close, staff_mark_left
from supervision.records import services as record_services
from tests.factories import RelationshipFactory, StaffProfileFactory
from tests.oversight.records_management.test_subject_access import export_now, unzip
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db

# Untrusted text: markup, quotes and a JSON-breaking sequence, read back exactly as typed.
CONCERN_TEXT = 'Sessions are cancelled <script>alert("x")</script> every month"}, {"'
ANSWER = "I have agreed a fixed monthly slot with your supervisor."
ESCALATION = "We could not agree on the <b>caseload</b> figure"
OTHERS_CONCERN = "Team B supervision has stopped altogether"
HOSTILE_NAME = "../../<b>evil</b> notes.pdf"
SCAN = b"%PDF-1.4 a scanned handwritten record \x00\xff"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def at(hour: int) -> datetime:
    return datetime(TODAY.year, TODAY.month, TODAY.day, hour, tzinfo=UTC)


@pytest.fixture
def world():
    with time_machine.travel(at(9), tick=False):
        world = build_world()
    with time_machine.travel(at(10), tick=False):
        world.concern = concerns.concern_raise(supervisee=world.supervisee, text=CONCERN_TEXT)
    with time_machine.travel(at(11), tick=False):
        concerns.concern_answer(
            concern=world.concern, text=ANSWER, resolve=False, by=world.senior_manager
        )
    with time_machine.travel(at(12), tick=False):
        concerns.concern_add(concern=world.concern, text="Still cancelled", by=world.supervisee)
        world.escalation = concerns.disagreement_escalate(
            disagreement=world.disagreement, text=ESCALATION, by=world.supervisee
        )
        world.others = concerns.concern_raise(
            supervisee=world.other_supervisee, text=OTHERS_CONCERN
        )
    yield world


def attach(record, by, name="scan.pdf", data=SCAN, hour=13) -> RecordAttachment:
    """As the upload service leaves it once ClamAV has passed it (the scan is tested in
    tests/supervision/records/test_attachments.py)."""
    checked = CheckedUpload(
        upload=ContentFile(data, name=name),
        name=name,
        size=len(data),
        sha256="0" * 64,
        content_type="application/pdf",
        scanner="ClamAV test",
    )
    with time_machine.travel(at(hour), tick=False):
        return RecordAttachment.kept(checked, by=by, record=record)


def draft_record(supervisee, supervisor):
    session = SupervisionSession.objects.create(
        supervisee=supervisee,
        supervisor=supervisor,
        session_type="individual",
        starts_at=at(8) - timedelta(days=1),
        ends_at=at(9) - timedelta(days=1),
        created_by=supervisor,
        status=SupervisionSession.Status.HELD,
    )
    return record_services.record_start(session=session, by=supervisor)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "record.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdftotext", path, "-"], capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


def test_the_concerns_they_raised_are_in_full_with_every_entry_and_nobody_elses(world):
    manifest, entries = unzip(export_now(world.supervisee, world.supervisee))

    concern, escalation = manifest["concerns"]
    assert concern["kind"] == "Concern about supervision"
    assert concern["text"] == CONCERN_TEXT, "read back exactly, quotes and markup as typed"
    assert concern["raised_by"] == world.supervisee.full_name
    assert concern["raised_with"] == world.senior_manager.full_name
    assert concern["status"] == "Responded"
    assert [(e["kind"], e["author"], e["text"], e["created_at"]) for e in concern["entries"]] == [
        ("Response", world.senior_manager.full_name, ANSWER, "2026-03-05T11:00:00+00:00"),
        ("Added to it", world.supervisee.full_name, "Still cancelled", "2026-03-05T12:00:00+00:00"),
    ]
    assert escalation["kind"] == "Disagreement escalated"
    assert escalation["text"] == ESCALATION
    assert escalation["disagreement"] == {"record": world.record.pk, "subject": "Caseload"}
    assert manifest["concerns_about_others"] == []
    text = entries["manifest.json"].decode()
    assert OTHERS_CONCERN not in text
    # The whole manifest is still one valid document: the text could not break out of it.
    assert set(manifest) >= {"concerns", "records", "audit_entries"}

    other, _ = unzip(export_now(world.other_supervisee, world.other_supervisee))
    assert [c["text"] for c in other["concerns"]] == [OTHERS_CONCERN]
    assert CONCERN_TEXT not in str(other)


def test_the_manager_gets_an_outline_and_the_supervisor_never_learns_of_a_concern_about_them(
    world,
):
    manager, entries = unzip(export_now(world.senior_manager, world.senior_manager))
    assert manager["concerns"] == []
    assert [
        (c["kind"], c["about_the_supervision_of"], c["their_part"], c["status"])
        for c in manager["concerns_about_others"]
    ] == [
        ("Concern about supervision", world.supervisee.full_name, "Raised with them", "Responded"),
        ("Disagreement escalated", world.supervisee.full_name, "Raised with them", "Raised"),
    ]
    text = entries["manifest.json"].decode()
    for words in (CONCERN_TEXT[:20], ANSWER, ESCALATION, "Still cancelled"):
        assert words not in text, "the supervisee's file: never what was written"

    supervisor, entries = unzip(export_now(world.supervisor, world.supervisor))
    assert supervisor["concerns"] == []
    # The escalation is of a disagreement on a record they signed: outlined, as the record is.
    assert [(c["kind"], c["their_part"]) for c in supervisor["concerns_about_others"]] == [
        ("Disagreement escalated", "The supervisor in the disagreement")
    ]
    text = entries["manifest.json"].decode()
    assert "Concern about supervision" not in text, "it went past them: not even that it exists"
    assert CONCERN_TEXT[:20] not in text and ESCALATION not in text


def test_a_manager_who_answered_then_left_still_finds_it_outlined(world):
    with time_machine.travel(at(16), tick=False):
        director = StaffProfileFactory(unit=world.units["directorate"]).user
        RelationshipFactory(supervisor=director, supervisee=world.senior_manager)
        staff_mark_left(person=world.senior_manager, leaving_date=TODAY, by=world.admin)
    with time_machine.travel(at(23) + timedelta(hours=1, minutes=5), tick=False):
        assert leavers_close().concerns_passed_on == 2
    world.concern.refresh_from_db()
    assert world.concern.raised_with == director

    manifest, entries = unzip(export_now(world.senior_manager, world.senior_manager))
    assert [(c["kind"], c["their_part"]) for c in manifest["concerns_about_others"]] == [
        ("Concern about supervision", "Answered by them before it was passed on")
    ]
    assert ANSWER not in entries["manifest.json"].decode(), "not even their own reply"


def test_an_escalation_the_supervisor_raised_is_theirs_in_full(world):
    record = draft_record(world.supervisee, world.supervisor)
    disagreement = record_services.disagreement_add(
        record=record, subject="Leave", view="Refused", by=world.supervisor
    )
    with time_machine.travel(at(14), tick=False):
        concerns.disagreement_escalate(
            disagreement=disagreement, text="Escalated by me", by=world.supervisor
        )
    manifest, _ = unzip(export_now(world.supervisor, world.supervisor))
    assert [(c["text"], c["raised_by"]) for c in manifest["concerns"]] == [
        ("Escalated by me", world.supervisor.full_name)
    ]


@pytest.mark.parametrize("storage", ["DatabaseStorage", "WholeFileSystemStorage"])
def test_files_attached_to_their_records_are_in_the_zip_with_who_and_when(
    world, settings, storage, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"supervision.models.files.{storage}"},
    }
    scan = attach(world.record, world.supervisor, name="scan.pdf", data=SCAN)
    hostile = attach(world.record, world.supervisee, name=HOSTILE_NAME, data=b"second", hour=14)
    others = attach(
        draft_record(world.other_supervisee, world.other_team_supervisor),
        world.other_team_supervisor,
        name="others.pdf",
        data=b"not theirs",
    )
    CaseNoteAttachment.kept(
        CheckedUpload(
            ContentFile(b"the child's", name="n.pdf"), "case-note.pdf", 11, "0", "x", "t"
        ),
        by=world.supervisee,
        note=world.case_note,
    )

    manifest, entries = unzip(export_now(world.supervisee, world.supervisee))

    record = next(r for r in manifest["records"] if r["id"] == world.record.pk)
    listed = record["attachments"]
    assert [(a["name"], a["size"], a["uploaded_by"], a["uploaded_at"]) for a in listed] == [
        ("scan.pdf", len(SCAN), world.supervisor.full_name, "2026-03-05T13:00:00+00:00"),
        (HOSTILE_NAME, 6, world.supervisee.full_name, "2026-03-05T14:00:00+00:00"),
    ]
    folder = f"attachments/2026-03-04-record-{world.record.pk}"
    assert [a["file"] for a in listed] == [
        f"{folder}/{scan.pk}-scan.pdf",
        f"{folder}/{hostile.pk}-{safe_name(HOSTILE_NAME)}",
    ]
    assert "/" not in safe_name(HOSTILE_NAME) and "<" not in safe_name(HOSTILE_NAME)
    assert entries[listed[0]["file"]] == SCAN, "the very bytes uploaded"
    assert entries[listed[1]["file"]] == b"second"
    attached = sorted(name for name in entries if name.startswith("attachments/"))
    assert attached == sorted(a["file"] for a in listed)
    assert all(".." not in name and not name.startswith("/") for name in entries)
    assert not any(f"/{others.pk}-" in name for name in attached)
    assert b"not theirs" not in b"".join(entries.values())
    # Case notes are the child's record, not the worker's file (see the module's docstring).
    assert "case-note.pdf" not in entries["manifest.json"].decode()
    assert b"the child's" not in b"".join(entries.values())

    # The record's PDF lists the name as text: the markup is printed, not obeyed.
    printed = pdf_text(entries[record["pdf"]], tmp_path)
    assert "<b>evil</b> notes.pdf" in printed
    assert "scan.pdf" in printed


def test_an_attachment_whose_file_is_lost_is_named_and_the_export_still_made(world):
    lost = attach(world.record, world.supervisor)
    StoredFile.objects.filter(name=lost.file.name).delete()

    export = export_now(world.supervisee, world.supervisee)
    manifest, entries = unzip(export)

    assert export.status == "done"
    record = next(r for r in manifest["records"] if r["id"] == world.record.pk)
    assert [(a["name"], a["file"]) for a in record["attachments"]] == [("scan.pdf", None)]
    assert not any(name.startswith("attachments/") for name in entries)


def queries_to_export(person) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        export = export_now(person, person)
    return len(queries), unzip(export)[0]


def test_the_export_runs_the_same_queries_for_1_or_6_concerns_and_attachments(world):
    attach(world.record, world.supervisor)
    few, manifest = queries_to_export(world.supervisee)
    assert (len(manifest["concerns"]), len(manifest["records"][0]["attachments"])) == (2, 1)

    with time_machine.travel(at(15), tick=False):
        for n in range(5):
            more = concerns.concern_raise(supervisee=world.supervisee, text=f"Concern {n}")
            concerns.concern_answer(
                concern=more, text=f"Answer {n}", resolve=True, by=world.senior_manager
            )
    for n in range(5):
        attach(world.record, world.supervisee, name=f"form-{n}.pdf", data=b"form %d" % n)
    many, manifest = queries_to_export(world.supervisee)
    assert (len(manifest["concerns"]), len(manifest["records"][0]["attachments"])) == (7, 6)

    assert many == few
    assert few == 70  # issue 21: the audit entry one statement, two fewer
