"""The signed PDF of a supervision record (rules R8, R9) and checking a copy against it."""

import hashlib
import re
import subprocess
import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from supervision.models import (
    Action,
    ActionReview,
    Addendum,
    Decision,
    Disagreement,
    RecordPdf,
    RecordPdfWork,
    RecordSection,
    RecordTemplate,
    Signature,
    StoredFile,
    SupervisionRecord,
    SupervisionSession,
)
from supervision.models.audit import AuditEvent
from supervision.records.canonical import load_record_for_content, record_hash
from supervision.records.pdf import (
    RecordChangedSinceSigningError,
    record_pdf_generate,
    record_pdf_store,
    render_record_pdf,
)
from tests.support.database_roles import tamper as tamper_as_superuser
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
PERSONAL_TEXT = "Bereavement in the family; agreed two days of special leave."
ACTION_TEXT = "Book the child protection refresher course"
EARLIER_ACTION_TEXT = "Read the neglect toolkit"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = TODAY
# When the work rows these tests write were asked for (record_finalise writes them then).
FINALISED_AT = datetime(2026, 3, 5, 16, 0, tzinfo=UTC)


def pdf_text(data: bytes, page: int | None = None, raw: bool = False) -> str:
    options = ["-f", str(page), "-l", str(page)] if page else []
    options += ["-raw"] if raw else []
    result = subprocess.run(
        ["pdftotext", *options, "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()


def flat(text: str) -> str:
    """Text with the PDF's line breaks undone, for phrases a line may wrap."""
    return " ".join(text.split())


def watermarked(data: bytes, page: int | None = None) -> bool:
    # The watermark is drawn first and diagonally: in drawing order (-raw) its letters come
    # one per line before the page's text, where the layout order would scatter them.
    return "DRAFT" in "".join(pdf_text(data, page, raw=True).split())


def page_count(data: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    line = next(line for line in info.stdout.decode().splitlines() if line.startswith("Pages:"))
    return int(line.split()[1])


def new_session(world, day: date) -> SupervisionSession:
    starts = datetime(day.year, day.month, day.day, 10, 0, tzinfo=LONDON)
    return SupervisionSession.objects.create(
        supervisee=world.supervisee,
        supervisor=world.supervisor,
        session_type="individual",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=90),
        status=SupervisionSession.Status.HELD,
        location="Room 2, Civic Centre",
        created_by=world.supervisor,
    )


def write_record(world, *, texts: dict[str, str] | None = None, finalise=True):
    """A record as the services leave it: written, hashed, signed by both, then finalised."""
    texts = texts or {}
    template = RecordTemplate.objects.get(session_type="individual", is_current=True, audience="")
    earlier = SupervisionRecord.objects.create(
        session=new_session(world, date(2026, 2, 5)), template=template
    )
    earlier_action = Action.objects.create(
        record=earlier,
        supervisee=world.supervisee,
        description=EARLIER_ACTION_TEXT,
        owner=Action.Owner.SUPERVISEE,
        due_date=date(2026, 3, 1),
    )
    record = SupervisionRecord.objects.create(
        session=new_session(world, TODAY),
        template=template,
        # Names as they stood when shared: different from today's accounts on purpose.
        organisation_name="Northshire Children's Services",
        supervisee_name="Jo Smith",
        supervisee_role="Social Worker",
        supervisor_name="Sam Patel",
        supervisor_role="Practice Manager",
    )
    for section in template.sections.all():
        if section.key in texts:
            text = texts[section.key]
        elif section.is_personal:
            text = f"{PERSONAL_TEXT}\nSecond line of {section.key}."
        else:
            text = f"Notes under {section.heading}.\nSecond line of {section.key}."
        RecordSection.objects.create(record=record, template_section=section, text=text)
    Decision.objects.create(
        record=record,
        decision="Step the Ahmed family down to early help",
        reasons="Home conditions have improved for three months",
    )
    Action.objects.create(
        record=record,
        supervisee=world.supervisee,
        description=ACTION_TEXT,
        owner=Action.Owner.SUPERVISEE,
        due_date=date(2026, 3, 19),
    )
    ActionReview.objects.create(
        record=record, action=earlier_action, outcome="done", note="Finished early"
    )
    Disagreement.objects.create(
        record=record,
        subject="Caseload size",
        supervisor_view="Eighteen children is manageable with support",
        supervisee_view="Eighteen children is too many to visit well",
        raised_by=world.supervisee,
    )
    if not finalise:
        return record
    record.content_hash = record_hash(load_record_for_content(record.pk))
    record.save()
    for signer, role, at in [
        (world.supervisee, "supervisee", datetime(2026, 3, 5, 14, 5, tzinfo=UTC)),
        (world.supervisor, "supervisor", datetime(2026, 3, 5, 15, 30, tzinfo=UTC)),
    ]:
        Signature.objects.create(
            record=record, signer=signer, role=role, signed_at=at, content_hash=record.content_hash
        )
    record.status = SupervisionRecord.Status.FINALISED
    record.finalised_at = datetime(2026, 3, 5, 15, 30, tzinfo=UTC)
    record.save()
    return record


@pytest.fixture
def record(world):
    return write_record(world)


def tamper(sql, params):
    """Someone editing the database directly, triggers off (tests/support/database_roles.py):
    on PostgreSQL from a connection of their own, so the tests that use it commit their data."""
    tamper_as_superuser((sql, params))


# Committed data, for `tamper`; the serialized rollback puts back what the data migrations made.
committed = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def get_as(client, user, url):
    with time_machine.travel(TODAY, tick=False):
        client.force_login(user)
        return client.get(url)


def post_as(client, user, url, data):
    with time_machine.travel(TODAY, tick=False):
        client.force_login(user)
        return client.post(url, data)


def pdf_url(record):
    return reverse("record-pdf", kwargs={"session_id": record.session_id})


def verify_url(record):
    return reverse("record-verify", kwargs={"record_id": record.pk})


def test_the_signed_pdf_holds_the_whole_record_and_both_signatures(record):
    with time_machine.travel(TODAY, tick=False):
        stored = record_pdf_store(record)
    data = stored.file.read()
    text = pdf_text(data)
    flat_text = flat(text)

    for expected in [
        "Northshire Children's Services",
        "Jo Smith, Social Worker",
        "Sam Patel, Practice Manager",
        "5 March 2026",
        "10:00 to 11:30",
        "Individual staff supervision",
        "Staff supervision record, version 3",
        "Step the Ahmed family down to early help",
        "Home conditions have improved for three months",
        ACTION_TEXT,
        "19 March 2026",
        EARLIER_ACTION_TEXT,
        "Finished early",
        "Eighteen children is manageable with support",
        "Eighteen children is too many to visit well",
        "signed at 14:05 on 5 March 2026 (UK time)",
        "signed at 15:30 on 5 March 2026 (UK time)",
        "Password re-entered in the browser",
        f"Record content hash (SHA-256): {record.content_hash}",
        PERSONAL_TEXT,
        "Page 1 of",
    ]:
        assert expected.lower() in flat_text.lower(), expected
    for section in record.template.sections.all():
        assert section.heading in flat_text, section.heading
    assert "What Who By when" in flat_text, "the actions table has its three columns"
    assert "Second line of agreed-agenda." in text.splitlines(), "line breaks are kept"
    assert not watermarked(data)
    assert "Draft – not signed" not in text
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.file.name.endswith(f"record-{record.pk}.pdf")


def test_a_draft_preview_is_marked_draft_on_every_page(world):
    draft = write_record(world, texts={"reflection": "A long reflection. " * 600}, finalise=False)
    data = render_record_pdf(draft, preview=True)
    pages = page_count(data)
    assert pages >= 2
    for page in range(1, pages + 1):
        text = pdf_text(data, page)
        assert watermarked(data, page), page
        assert "Draft – not signed" in text, page
        assert f"Page {page} of {pages}" in text
    assert "Record content hash" not in pdf_text(data)


def test_hostile_and_huge_text_is_kept_whole_and_printed_as_written(world):
    huge = "".join(f"Visit {n:05d} went well. " for n in range(2200))[:50_000]
    texts = {
        "agreed-agenda": "<script>alert(1)</script> & <b>not bold</b>",
        "workload-performance": "Before \u202eabc def\u202c after",
        "learning-development": "Feeling great 😀👍🏽 about the course",
        "any-other-business": huge,
        "reflection": "x" * 3000,  # one unbroken word wider than the page
    }
    written = write_record(world, texts=texts)

    for key, text in texts.items():
        stored = RecordSection.objects.get(record=written, template_section__key=key).text
        assert stored == text, key
    assert len(texts["any-other-business"]) == 50_000
    with time_machine.travel(TODAY, tick=False):
        data = record_pdf_store(written).file.read()
    text = flat(pdf_text(data))
    assert "<script>alert(1)</script> & <b>not bold</b>" in text, "escaped, not interpreted"
    assert "Before" in text and "after" in text
    # The override reverses what follows it on the page, as it would in any viewer.
    assert "abc def" in text or "fed cba" in text
    assert "Feeling great 😀" in text, "DejaVu Sans has this one; others may print as boxes"
    assert "about the course" in text
    assert "Visit 00000 went well." in text
    assert "Visit 02172 went well." in text, "the last whole sentence of the 50,000"
    wrapped = re.findall(r"x{3,}", text)
    assert sum(map(len, wrapped)) == 3000, "the unbroken word wraps, none of it lost"


def test_the_task_stores_one_pdf_however_often_it_runs(record, world):
    # As record_finalise writes it (tests/supervision/test_background_work.py).
    owed = RecordPdfWork.objects.create(
        record=record, requested_by=world.supervisor, created_at=FINALISED_AT
    )
    with time_machine.travel(TODAY, tick=False):
        first = record_pdf_generate.apply(args=[owed.pk]).get()
        second = record_pdf_generate.apply(args=[owed.pk]).get()
    assert (first, second) == ("done", None), "a second delivery has nothing to do"
    stored = RecordPdf.objects.get(record=record)
    assert stored.render_seconds > 0
    assert stored.generated_at is not None
    assert stored.sha256 == hashlib.sha256(stored.file.read()).hexdigest()
    assert RecordPdf.objects.count() == 1
    names = list(
        StoredFile.objects.filter(name__startswith="records/").values_list("name", flat=True)
    )
    assert names == [stored.file.name] and names[0].endswith(f"record-{record.pk}.pdf")
    owed.refresh_from_db()
    assert (owed.status, owed.attempts, owed.lease_expires_at) == ("done", 1, None)

    draft = write_record(world, finalise=False)
    wrong = RecordPdfWork.objects.create(record=draft, created_at=FINALISED_AT)
    assert record_pdf_generate.apply(args=[wrong.pk]).get() == "failed", "not tried again"
    wrong.refresh_from_db()
    assert wrong.error == "The record is not finalised, so it has no signed copy."
    assert not RecordPdf.objects.filter(record=draft).exists()


def test_a_pdf_the_download_made_first_leaves_the_task_nothing_to_do(client, world, record):
    owed = RecordPdfWork.objects.create(
        record=record, requested_by=world.supervisor, created_at=FINALISED_AT
    )
    assert get_as(client, world.supervisee, pdf_url(record)).status_code == 200
    owed.refresh_from_db()
    assert owed.status == "done"
    assert record_pdf_generate.apply(args=[owed.pk]).get() is None
    assert StoredFile.objects.filter(name__startswith="records/").count() == 1


@pytest.mark.postgres
# Committed data, so two threads on two connections see the record; the serialized rollback
# puts back the templates and audit chain head that the data migrations made.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_at_once_store_one_pdf(postgres_only, settings):
    with time_machine.travel(TODAY, tick=False):
        record = write_record(build_world())
    start = threading.Barrier(2)
    stored, errors = [], []

    def worker():
        try:
            start.wait()
            stored.append(record_pdf_store(SupervisionRecord.objects.get(pk=record.pk)).pk)
        except Exception as error:  # reported below, from the test's own thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(stored) == 2 and len(set(stored)) == 1
    assert RecordPdf.objects.count() == 1
    assert StoredFile.objects.count() == 1, "the loser's file went with its transaction"


@committed
def test_no_signed_pdf_is_made_of_a_record_changed_since_signing(record):
    section = record.sections.first()
    tamper(
        "UPDATE supervision_recordsection SET text = %s WHERE id = %s",
        ["Rewritten afterwards", section.pk],
    )
    with pytest.raises(RecordChangedSinceSigningError):
        record_pdf_store(record)
    assert not RecordPdf.objects.exists()


@committed
def test_no_copy_of_a_tampered_record_is_handed_out_to_anyone(client, world, record):
    section = record.sections.first()
    tamper(
        "UPDATE supervision_recordsection SET text = %s WHERE id = %s",
        ["Rewritten afterwards", section.pk],
    )
    for reader in (world.supervisor, world.auditor_with_grant):
        response = get_as(client, reader, pdf_url(record))
        assert response.status_code == 500, reader
        assert "no longer matches what was signed" in response.content.decode()


def test_the_supervisor_downloads_the_stored_signed_copy_and_it_is_audited(client, world, record):
    response = get_as(client, world.supervisor, pdf_url(record))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="supervision-record-jo-smith-2026-03-05.pdf"'
    )
    stored = RecordPdf.objects.get(record=record)
    assert hashlib.sha256(response.content).hexdigest() == stored.sha256
    assert PERSONAL_TEXT in pdf_text(response.content)
    event = AuditEvent.objects.filter(action="download").get()
    assert (event.actor, event.object_type, event.object_id, event.subject) == (
        world.supervisor,
        "supervision_record",
        str(record.pk),
        world.supervisee,
    )


def test_an_addendum_signed_after_the_pdf_travels_with_it(client, world, record):
    with time_machine.travel(TODAY, tick=False):
        stored = record_pdf_store(record)
    Addendum.objects.create(
        record=record,
        author=world.supervisor,
        text="Correction: the course is on 26 March, not 19 March.",
        signed_at=datetime(2026, 3, 6, 9, 15, tzinfo=UTC),
        content_hash="0" * 64,
    )
    response = get_as(client, world.supervisee, pdf_url(record))
    text = flat(pdf_text(response.content))
    assert "Correction: the course is on 26 March, not 19 March." in text
    assert "signed at 09:15 on 6 March 2026 (UK time)" in text
    assert f"Record content hash (SHA-256): {record.content_hash}" in text
    assert hashlib.sha256(response.content).hexdigest() != stored.sha256
    assert "-with-addenda.pdf" in response["Content-Disposition"]
    assert not watermarked(response.content)


def test_a_stored_pdf_damaged_or_lost_is_made_again_while_the_record_matches(client, world, record):
    with time_machine.travel(TODAY, tick=False):
        stored = record_pdf_store(record)
    damaged = bytes(StoredFile.objects.get(name=stored.file.name).content)[:-20] + b"%% altered"
    StoredFile.objects.filter(name=stored.file.name).update(content=damaged)
    response = get_as(client, world.supervisee, pdf_url(record))
    assert response.status_code == 200
    mended = RecordPdf.objects.get(record=record)
    assert mended.sha256 != stored.sha256
    assert hashlib.sha256(response.content).hexdigest() == mended.sha256
    assert f"Record content hash (SHA-256): {record.content_hash}" in flat(
        pdf_text(response.content)
    )
    made_again = AuditEvent.objects.get(detail__event="signed PDF made again")
    assert made_again.detail == {
        "event": "signed PDF made again",
        "why": "did not match its SHA-256",
        "old_sha256": stored.sha256,
        "new_sha256": mended.sha256,
        "record_hash": record.content_hash,
    }
    assert made_again.actor == world.supervisee
    assert AuditEvent.objects.filter(action="download").count() == 1

    # Lost altogether, as a database restored without its files would have it.
    StoredFile.objects.all().delete()
    assert get_as(client, world.supervisor, pdf_url(record)).status_code == 200
    assert AuditEvent.objects.filter(detail__why="missing").count() == 1
    assert StoredFile.objects.count() == 1


@committed
def test_a_lost_pdf_of_a_record_changed_since_is_not_made_again(client, world, record):
    with time_machine.travel(TODAY, tick=False):
        record_pdf_store(record)
    StoredFile.objects.all().delete()
    tamper(
        "UPDATE supervision_recordsection SET text = %s WHERE id = %s",
        ["Rewritten afterwards", record.sections.first().pk],
    )
    response = get_as(client, world.supervisee, pdf_url(record))
    assert response.status_code == 500
    page = response.content.decode()
    assert "The signed copy of this record cannot be given out" in page
    assert "govuk-heading-l" in page, "a page of the service, not a bare error"
    assert not StoredFile.objects.exists()
    assert not AuditEvent.objects.filter(action="download").exists()
    assert not AuditEvent.objects.filter(detail__event="signed PDF made again").exists()


def test_a_reader_without_personal_rights_gets_a_copy_without_them(client, world, record):
    response = get_as(client, world.auditor_with_grant, pdf_url(record))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert PERSONAL_TEXT not in text
    # Check-in, support and self-care, and equality and identity.
    assert text.count("Personal section: not shown to you") == 3
    assert "Copy with personal sections removed" in text
    assert not watermarked(response.content)
    assert "Notes under Workload and performance." in flat(text)
    assert "personal-sections-removed" in response["Content-Disposition"]
    assert AuditEvent.objects.get(action="download").detail == {"copy": "personal sections removed"}


def test_an_unfinalised_record_downloads_as_a_draft_preview_and_is_not_stored(client, world):
    draft = write_record(world, finalise=False)
    response = get_as(client, world.supervisee, pdf_url(draft))
    assert response.status_code == 200
    assert watermarked(response.content)
    assert "-draft.pdf" in response["Content-Disposition"]
    assert not RecordPdf.objects.exists()


def test_a_session_without_a_record_has_no_pdf(client, world):
    session = new_session(world, TODAY)
    url = reverse("record-pdf", kwargs={"session_id": session.pk})
    assert get_as(client, world.supervisor, url).status_code == 404


@pytest.mark.parametrize(
    "role",
    [
        "other_supervisee",
        "other_team_supervisor",
        "other_senior_manager",
        "auditor_without_grant",
        "admin",
    ],
)
def test_outsiders_find_neither_the_pdf_nor_the_check(client, world, record, role):
    assert get_as(client, world.people[role], pdf_url(record)).status_code == 404
    assert get_as(client, world.people[role], verify_url(record)).status_code == 404
    assert not AuditEvent.objects.filter(action="download").exists()


def test_the_signed_in_only_see_either_page(client, record):
    for url in (pdf_url(record), verify_url(record)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/")


def test_an_unknown_record_is_not_found(client, world):
    url = reverse("record-verify", kwargs={"record_id": 999999})
    assert get_as(client, world.supervisor, url).status_code == 404


def test_the_check_page_says_an_untouched_record_matches(client, world, record):
    response = get_as(client, world.senior_manager, verify_url(record))
    html = response.content.decode()
    assert response.status_code == 200
    assert "The record has not changed since it was finalised" in html
    assert "no longer matches its signatures" not in html
    assert html.count(record.content_hash) == 2, "stored and recomputed, side by side"


@committed
def test_the_check_page_warns_when_the_database_was_changed_underneath(client, world, record):
    section = record.sections.get(template_section__key="reflection")
    tamper(
        "UPDATE supervision_recordsection SET text = %s WHERE id = %s",
        ["Something nobody signed", section.pk],
    )
    html = get_as(client, world.supervisor, verify_url(record)).content.decode()
    assert "The record in the database no longer matches its signatures" in html
    assert "govuk-warning-text" in html
    assert "has not changed since it was finalised" not in html
    assert record_hash(load_record_for_content(record.pk)) in html


def test_uploading_the_issued_pdf_says_it_is_the_exact_file(client, world, record):
    with time_machine.travel(datetime(2026, 3, 5, 16, 0, tzinfo=LONDON), tick=False):
        issued = record_pdf_store(record).file.read()
    upload = SimpleUploadedFile("copy.pdf", issued, content_type="application/pdf")
    response = post_as(client, world.supervisee, verify_url(record), {"pdf_file": upload})
    html = response.content.decode()
    assert "This is the exact file issued on 5 March 2026 at 16:00" in html
    assert "matches the hash stored when the record was finalised" in html
    assert "It matches the hash worked out now" in html


def test_a_copy_that_is_not_the_issued_file_is_told_apart(client, world, record):
    with time_machine.travel(TODAY, tick=False):
        record_pdf_store(record)
    redacted = render_record_pdf(record, preview=False, hide_personal=True)
    upload = SimpleUploadedFile("copy.pdf", redacted, content_type="application/pdf")
    html = post_as(client, world.supervisor, verify_url(record), {"pdf_file": upload})
    html = html.content.decode()
    assert "This is not the file issued on 5 March 2026" in html
    assert "exact file issued" not in html
    assert "matches the hash stored when the record was finalised" in html


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("notes.txt", b"just some notes", content_type="text/plain"),
            "The PDF copy of the record must be a PDF",
        ),
        (
            SimpleUploadedFile(
                "fake.pdf", b"<html>not a pdf</html>", content_type="application/pdf"
            ),
            "The PDF copy of the record must be a PDF",
        ),
        (
            SimpleUploadedFile("broken.pdf", b"%PDF-1.7 truncated", content_type="application/pdf"),
            "The PDF copy of the record could not be read",
        ),
        (
            SimpleUploadedFile(
                "huge.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), content_type="application/pdf"
            ),
            "The PDF copy of the record must be smaller than 10 MB",
        ),
        (None, "Select the PDF copy of the record to check"),
    ],
)
def test_an_unusable_upload_is_refused_naming_the_field(client, world, record, upload, message):
    data = {"pdf_file": upload} if upload else {}
    response = post_as(client, world.supervisor, verify_url(record), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert message in html
    assert 'href="#id_pdf_file"' in html
    assert "exact file issued" not in html


def test_the_upload_form_sends_files(client, world, record):
    html = get_as(client, world.supervisor, verify_url(record)).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html


def test_signing_times_are_uk_time_in_summer_too(world):
    """15 July is British Summer Time: a signature at 09:00 UTC was made at 10:00 in the UK,
    and the signed copy says 10:00, never a UTC time the signers would not recognise."""
    record = write_record(world, finalise=False)
    record.content_hash = record_hash(load_record_for_content(record.pk))
    record.save()
    Signature.objects.create(
        record=record,
        signer=world.supervisee,
        role="supervisee",
        signed_at=datetime(2026, 7, 15, 9, 0, tzinfo=UTC),
        content_hash=record.content_hash,
    )
    with time_machine.travel(datetime(2026, 7, 15, 12, 0, tzinfo=UTC), tick=False):
        text = flat(pdf_text(render_record_pdf(record, preview=True)))
    assert "Signed at 10:00 on 15 July 2026 (UK time)" in text
    assert "09:00" not in text and "UTC" not in text
