"""Files attached to a supervision record: scanned by the real ClamAV daemon before they are
stored, refused with the GOV.UK file upload's messages, never served inline, frozen with the
record, downloaded only within the record's reach, each download audited."""

import hashlib
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.test import Client

from supervision.models import RecordAttachment, StoredFile, SupervisionRecord
from supervision.models.audit import AuditAction, AuditEvent
from supervision.records import attachments, services
from supervision.records.canonical import load_record_for_content, record_hash
from supervision.records.pdf import render_record_pdf
from tests.attachments import eicar, upload
from tests.records import finalise_with_an_action, held_session
from tests.supervision.records.test_pdf import pdf_text

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
WORLD_AT = DAY
CLEAN = b"%PDF-1.4\nA scanned handwritten record of supervision.\n"


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def record(world):
    session = held_session(world)
    return services.record_start(session=session, by=world.supervisor)


def page(record) -> str:
    return f"/sessions/{record.session_id}/record/attachments/"


def post_file(client, record, data, name="scan.pdf"):
    return client.post(page(record), {"file": upload(data, name=name)})


def nothing_stored():
    return not RecordAttachment.objects.exists() and not StoredFile.objects.exists()


def error_of(response) -> str:
    """The message beside the file field, as the error summary also shows it."""
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert 'href="#id_file"' in html
    return html


def test_the_eicar_test_file_is_refused_and_nothing_is_stored(clamd, world, record):
    response = post_file(as_user(world.supervisor), record, eicar(), name="eicar.com")
    assert response.status_code == 200
    assert "The selected file contains a virus" in error_of(response)
    assert nothing_stored()


def test_a_clean_file_is_stored_and_downloaded_never_inline(clamd, world, record):
    supervisor = as_user(world.supervisor)
    response = post_file(supervisor, record, CLEAN, name="Handwritten record.pdf")
    assert response.status_code == 302
    attachment = RecordAttachment.objects.get()
    assert attachment.name == "Handwritten record.pdf"
    assert attachment.size == len(CLEAN)
    assert attachment.sha256 == hashlib.sha256(CLEAN).hexdigest()
    assert attachment.content_type == "application/pdf"
    assert attachment.uploaded_by == world.supervisor
    assert attachment.scanned_by.startswith("ClamAV ")
    assert StoredFile.objects.get(name=attachment.file.name).sha256 == attachment.sha256

    listed = supervisor.get(f"/sessions/{record.session_id}/record/").content.decode()
    download = f"/sessions/{record.session_id}/record/attachments/{attachment.pk}/"
    assert download in listed and attachment.sha256 in listed

    response = as_user(world.supervisee).get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CLEAN
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="Handwritten record.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_file_too_large_is_refused(clamd, world, record, settings):
    settings.ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    response = post_file(as_user(world.supervisor), record, b"x" * (10 * 1024 * 1024 + 1))
    assert "The selected file must be smaller than 10MB" in error_of(response)
    assert nothing_stored()


def test_an_empty_file_is_refused(clamd, world, record):
    response = post_file(as_user(world.supervisor), record, b"")
    assert "The selected file is empty" in error_of(response)
    assert nothing_stored()


def test_no_file_chosen_is_refused(world, record):
    response = as_user(world.supervisor).post(page(record), {})
    assert "Select a file" in error_of(response)
    assert nothing_stored()


def test_nothing_is_stored_when_the_daemon_cannot_be_reached(world, record, settings, tmp_path):
    settings.CLAMD_SOCKET = str(tmp_path / "nobody-listens.sock")
    response = post_file(as_user(world.supervisor), record, CLEAN)
    assert "The selected file could not be checked for viruses. Try again later." in error_of(
        response
    )
    assert nothing_stored()


def test_a_name_that_is_markup_is_shown_as_text(clamd, world, record):
    supervisor = as_user(world.supervisor)
    post_file(supervisor, record, CLEAN, name="<img src=x onerror=alert(1)>.pdf")
    html = supervisor.get(page(record)).content.decode()
    assert "<img src=x" not in html
    assert "_img src_x onerror_alert(1)_.pdf" in html


def test_only_the_records_writer_adds_and_the_supervisee_is_refused(clamd, world, record):
    response = post_file(as_user(world.supervisee), record, CLEAN)
    assert response.status_code == 403
    assert nothing_stored()


def test_someone_without_reach_gets_the_same_refusal_as_for_the_record(clamd, world, record):
    attachment = attachments.record_attachment_add(
        record=record, upload=upload(CLEAN), by=world.supervisor
    )
    outsider = as_user(world.other_team_supervisor)
    base = f"/sessions/{record.session_id}/record/"
    assert outsider.get(base).status_code == 404
    assert outsider.get(f"{base}attachments/{attachment.pk}/").status_code == 404
    assert outsider.get(f"{base}attachments/").status_code == 404
    assert outsider.post(f"{base}attachments/{attachment.pk}/remove/").status_code == 404
    assert RecordAttachment.objects.filter(pk=attachment.pk).exists()
    refusals = AuditEvent.objects.filter(actor=world.other_team_supervisor, action="denied")
    assert refusals.count() == 4


def test_an_attachment_of_another_record_is_not_found(clamd, world, record):
    other = services.record_start(
        session=held_session(world, starts_at=datetime(2026, 2, 4, 10, tzinfo=UTC)),
        by=world.supervisor,
    )
    attachment = attachments.record_attachment_add(
        record=other, upload=upload(CLEAN), by=world.supervisor
    )
    response = as_user(world.supervisor).get(
        f"/sessions/{record.session_id}/record/attachments/{attachment.pk}/"
    )
    assert response.status_code == 404


def test_the_download_is_audited_as_a_read_of_the_record(clamd, world, record):
    attachment = attachments.record_attachment_add(
        record=record, upload=upload(CLEAN), by=world.supervisor
    )
    as_user(world.senior_manager).get(
        f"/sessions/{record.session_id}/record/attachments/{attachment.pk}/"
    )
    event = AuditEvent.objects.get(action=AuditAction.DOWNLOAD)
    assert event.actor == world.senior_manager
    assert (event.object_type, event.object_id) == ("supervision_record", str(record.session_id))
    assert event.subject == world.supervisee
    assert event.detail["attachment"] == attachment.pk
    assert event.detail["sha256"] == attachment.sha256


def _share_sign_finalise(world, record):
    services.record_section_save(
        record=record,
        section_key="reflection",
        text="What we said",
        completed=True,
        expected_version=SupervisionRecord.objects.get(pk=record.pk).version,
        by=world.supervisor,
    )
    return finalise_with_an_action(world, record)


def test_no_attachment_is_added_or_removed_once_the_record_is_shared(clamd, world, record):
    kept = attachments.record_attachment_add(
        record=record, upload=upload(CLEAN), by=world.supervisor
    )
    with time_machine.travel(DAY, tick=False):
        finalised = _share_sign_finalise(world, record)
    supervisor = as_user(world.supervisor)
    response = post_file(supervisor, finalised, CLEAN, name="late.pdf")
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{record.session_id}/record/"
    message = supervisor.get(response["Location"]).content.decode()
    assert "its attachments cannot be changed now" in message
    response = supervisor.post(
        f"/sessions/{record.session_id}/record/attachments/{kept.pk}/remove/"
    )
    assert response.status_code == 302
    assert list(RecordAttachment.objects.values_list("name", flat=True)) == ["scan.pdf"]
    assert StoredFile.objects.filter(name=kept.file.name).exists()

    with pytest.raises(ValidationError, match="finalised"):
        attachments.record_attachment_add(
            record=finalised, upload=upload(CLEAN), by=world.supervisor
        )
    # The database refuses too, whoever asks.
    with pytest.raises(DatabaseError, match="finalised"), transaction.atomic():
        RecordAttachment.objects.filter(pk=kept.pk).update(name="changed.pdf")
    with pytest.raises(DatabaseError, match="finalised"), transaction.atomic():
        RecordAttachment.objects.filter(pk=kept.pk).delete()
    # Downloading it is still a read within reach.
    download = f"/sessions/{record.session_id}/record/attachments/{kept.pk}/"
    assert as_user(world.supervisee).get(download).status_code == 200


def test_the_signature_covers_the_attachments_and_the_pdf_lists_them(clamd, world, record):
    without = record_hash(load_record_for_content(record.pk))
    attachment = attachments.record_attachment_add(
        record=record, upload=upload(CLEAN, name="Appreciative <inquiry>.pdf"), by=world.supervisor
    )
    assert record_hash(load_record_for_content(record.pk)) != without
    pdf = render_record_pdf(SupervisionRecord.objects.get(pk=record.pk), preview=True)
    text = pdf_text(pdf, raw=True)
    assert attachment.sha256 in text.replace("\n", "")
    assert "Appreciative _inquiry_.pdf" in text


def test_removing_an_attachment_removes_its_stored_file(
    clamd, world, record, django_capture_on_commit_callbacks
):
    attachment = attachments.record_attachment_add(
        record=record, upload=upload(CLEAN), by=world.supervisor
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(world.supervisor).post(
            f"/sessions/{record.session_id}/record/attachments/{attachment.pk}/remove/"
        )
    assert response.status_code == 302
    assert nothing_stored()
