"""Files attached to a case note: scanned by the real ClamAV daemon before they are stored,
added and removed only while the note is a draft, downloaded within the note's reach and never
shown in the browser, each download audited as a read of the note."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.test import Client

from casework import note_attachments
from casework.models import CaseNote, CaseNoteAttachment
from casework.pdf import notes_for_document, render_note_pdf
from supervision.models import StoredFile
from supervision.models.audit import AuditAction, AuditEvent
from tests.attachments import eicar, upload
from tests.casework.test_pdf import pdf_text
from tests.casework.test_views_notes import DAY, complete, finalise

pytestmark = pytest.mark.django_db

WORLD_AT = DAY
FORM = b"Appreciative inquiry: what went well for the child this month.\n"


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def base(note) -> str:
    return f"/children/{note.child_id}/notes/{note.pk}/"


def post_file(client, note, data, name="inquiry.pdf"):
    return client.post(base(note) + "attachments/", {"file": upload(data, name=name)})


def nothing_stored():
    return not CaseNoteAttachment.objects.exists() and not StoredFile.objects.exists()


def test_the_eicar_test_file_is_refused_and_nothing_is_stored(clamd, world):
    response = post_file(as_user(world.supervisor), world.case_note, eicar(), name="eicar.txt")
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html and 'href="#id_file"' in html
    assert "The selected file contains a virus" in html
    assert nothing_stored()


def test_a_clean_file_is_stored_listed_and_downloaded_never_inline(clamd, world):
    note = world.case_note
    response = post_file(as_user(world.supervisor), note, FORM, name="inquiry form.pdf")
    assert response.status_code == 302
    attachment = CaseNoteAttachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(FORM).hexdigest()
    assert attachment.scanned_by.startswith("ClamAV ")

    # The allocated worker reads the note, and so its attachments.
    worker = as_user(world.supervisee)
    page = worker.get(base(note)).content.decode()
    download = base(note) + f"attachments/{attachment.pk}/"
    assert download in page and "inquiry form.pdf" in page
    response = worker.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == FORM
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="inquiry form.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"

    event = AuditEvent.objects.get(action=AuditAction.DOWNLOAD)
    assert (event.actor, event.object_type, event.object_id) == (
        world.supervisee,
        "case_note",
        str(note.pk),
    )
    assert event.detail["attachment"] == attachment.pk


def test_too_large_and_empty_files_are_refused(clamd, world, settings):
    settings.ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    manager = as_user(world.supervisor)
    too_large = post_file(manager, world.case_note, b"x" * (10 * 1024 * 1024 + 1))
    assert "The selected file must be smaller than 10MB" in too_large.content.decode()
    empty = post_file(manager, world.case_note, b"")
    assert "The selected file is empty" in empty.content.decode()
    assert nothing_stored()


def test_nothing_is_stored_when_the_daemon_cannot_be_reached(world, settings, tmp_path):
    settings.CLAMD_SOCKET = str(tmp_path / "nobody-listens.sock")
    response = post_file(as_user(world.supervisor), world.case_note, FORM)
    assert (
        "The selected file could not be checked for viruses. Try again later."
        in response.content.decode()
    )
    assert nothing_stored()


def test_the_worker_reads_but_does_not_add(clamd, world):
    assert post_file(as_user(world.supervisee), world.case_note, FORM).status_code == 403
    assert nothing_stored()


def test_someone_without_reach_gets_the_same_refusal_as_for_the_note(clamd, world):
    note = world.case_note
    attachment = note_attachments.case_note_attachment_add(
        note=note, upload=upload(FORM), by=world.supervisor
    )
    outsider = as_user(world.other_team_supervisor)
    assert outsider.get(base(note)).status_code == 404
    assert outsider.get(base(note) + f"attachments/{attachment.pk}/").status_code == 404
    assert outsider.post(base(note) + f"attachments/{attachment.pk}/remove/").status_code == 404
    assert CaseNoteAttachment.objects.filter(pk=attachment.pk).exists()


def test_a_final_note_keeps_its_attachments_for_good(clamd, world):
    note = world.case_note
    kept = note_attachments.case_note_attachment_add(
        note=note, upload=upload(FORM), by=world.supervisor
    )
    finalise(world, complete(world, note))
    manager = as_user(world.supervisor)
    response = post_file(manager, note, FORM, name="late.pdf")
    assert response.status_code == 302
    assert "its attachments cannot be changed" in manager.get(response["Location"]).content.decode()
    manager.post(base(note) + f"attachments/{kept.pk}/remove/")
    assert list(CaseNoteAttachment.objects.values_list("name", flat=True)) == ["scan.pdf"]
    final = CaseNote.objects.get(pk=note.pk)
    with pytest.raises(ValidationError, match="final"):
        note_attachments.case_note_attachment_add(
            note=final, upload=upload(FORM), by=world.supervisor
        )
    with pytest.raises(DatabaseError, match="final"), transaction.atomic():
        CaseNoteAttachment.objects.filter(pk=kept.pk).delete()
    # The note's PDF lists it.
    text = pdf_text(render_note_pdf(notes_for_document(CaseNote.objects.filter(pk=note.pk))[0]))
    assert kept.sha256 in text and "scan.pdf" in text


def test_removing_an_attachment_from_a_draft(clamd, world, django_capture_on_commit_callbacks):
    note = world.case_note
    attachment = note_attachments.case_note_attachment_add(
        note=note, upload=upload(FORM), by=world.supervisor
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(world.supervisor).post(
            base(note) + f"attachments/{attachment.pk}/remove/"
        )
    assert response.status_code == 302
    assert nothing_stored()
