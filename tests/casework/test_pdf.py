"""A case note as a PDF, and the per-child extract of final notes for the child's file in the
council's case-management system, read back as a person would read them."""

import re
import subprocess
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from casework import services
from casework.models import CaseNote, Child
from supervision.models.audit import AuditAction, AuditEvent
from tests.factories import SUPERVISEE_PASSWORD

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)  # 2:30pm in London (GMT)
DECISION = "I decided that you should stay with your gran while your mum gets help."
SCRIPT = "<script>alert('gran')</script> & <b>not bold</b>"


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = DAY


def get(user, address, **kw):
    client = Client()
    with time_machine.travel(DAY, tick=False):
        client.force_login(user)
        return client.get(address, **kw)


def pdf_text(data: bytes, raw: bool = False) -> str:
    options = ["-raw"] if raw else []
    result = subprocess.run(
        ["pdftotext", *options, "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()


def flat(text: str) -> str:
    """The PDF's line breaks undone, for phrases a line may wrap."""
    return " ".join(text.split())


def watermarked(data: bytes) -> bool:
    # The diagonal watermark comes out one letter a line in drawing order.
    return "DRAFT" in "".join(pdf_text(data, raw=True).split())


def write(
    world, *, kind="case_supervision", discussed_at, decision=DECISION, final=True, child=None
):
    with time_machine.travel(DAY, tick=False):
        note = services.case_note_create(
            child=child or world.child, kind=kind, by=world.supervisor, discussed_at=discussed_at
        )
        note = services.case_note_update(
            note=note,
            version=note.version,
            by=world.supervisor,
            current_situation="You are settled at school.",
            worries="Your mum is not well enough to look after you yet.",
            decision=decision,
            reasons="Because you told us you feel safe there.",
            next_review_on=date(2026, 4, 2),
        )
        services.case_note_action_add(
            note=note,
            description=f"Visit you at gran's ({decision[:12]})",
            due_on=date(2026, 3, 20),
            owner=world.supervisee,
            by=world.supervisor,
        )
        if final:
            note = services.case_note_finalise(
                note=note, password=SUPERVISEE_PASSWORD, by=world.supervisor
            )
    return CaseNote.objects.get(pk=note.pk)


def note_pdf(world, note, user=None):
    return get(user or world.supervisor, reverse("case-note-pdf", args=[note.child_id, note.pk]))


# One note


def test_the_pdf_of_a_final_note_reads_back_with_the_decision_and_the_signature(world):
    note = write(world, discussed_at=datetime(2026, 3, 4, 14, tzinfo=UTC))
    response = note_pdf(world, note)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="case-note-NS100001-2026-03-04.pdf"' in response["Content-Disposition"]
    data = response.content
    text = flat(pdf_text(data))
    assert "Case supervision: NS100001 (AB)" in text
    assert DECISION in text
    assert "Decision and direction" in text and "Reasons for the decision" in text
    assert "4 March 2026 at 2:00pm" in text
    assert "Finalised by Supervisor on 5 March 2026 at 2:30pm" in text
    assert note.content_hash in pdf_text(data).replace("\n", "")
    assert "Visit you at gran's" in text and "20 March 2026" in text
    assert not watermarked(data) and "DRAFT" not in text


def test_a_draft_pdf_says_draft_prominently(world):
    response = note_pdf(world, world.case_note)
    assert 'filename="case-note-NS100001-2026-03-04-draft.pdf"' in response["Content-Disposition"]
    data = response.content
    assert watermarked(data)
    text = flat(pdf_text(data))
    assert "DRAFT – not finalised. This note is not signed and may still change." in text
    assert "You are settled at school." in text


def test_text_in_a_note_is_printed_as_written_never_as_markup(world):
    Child.objects.filter(pk=world.child.pk).update(name="Alice Brown")
    note = write(world, discussed_at=datetime(2026, 3, 4, 14, tzinfo=UTC), decision=SCRIPT)
    text = flat(pdf_text(note_pdf(world, note).content))
    # Escaped, the markup is text on the page; unescaped, the script would vanish and the
    # bold tag would be swallowed.
    assert SCRIPT in text
    assert "Alice" not in text  # the child is named by reference and initials only


def test_the_allocated_worker_downloads_and_others_cannot(world):
    note = write(world, discussed_at=datetime(2026, 3, 4, 14, tzinfo=UTC))
    assert note_pdf(world, note, world.supervisee).status_code == 200
    for role in ("other_team_supervisor", "auditor_with_grant", "admin"):
        assert note_pdf(world, note, world.people[role]).status_code == 404
    event = AuditEvent.objects.filter(action=AuditAction.DOWNLOAD, object_type="case_note").first()
    assert event.actor == world.supervisee and event.object_id == str(note.pk)
    assert event.detail["copy"] == "final"
    assert DECISION not in str(event.detail)


# The extract for the child's file


def extract(world, user=None, **query):
    address = reverse("child-extract-download", args=[world.child.pk])
    return get(user or world.supervisor, address, data=query)


def test_the_plain_text_extract_holds_only_final_notes_in_the_order_discussed(world):
    later = write(
        world, discussed_at=datetime(2026, 2, 20, 10, tzinfo=UTC), decision="Second decision."
    )
    earlier = write(
        world,
        kind="allocation",
        discussed_at=datetime(2026, 2, 2, 11, tzinfo=UTC),
        decision="First decision.",
    )
    write(world, discussed_at=datetime(2026, 3, 1, 10, tzinfo=UTC), decision="Draft.", final=False)

    response = extract(world, format="txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert 'filename="case-notes-NS100001-2026-03-05.txt"' in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert "Child: NS100001 (AB)" in text
    assert "Notes: 2" in text
    assert text.index("First decision.") < text.index("Second decision.")
    assert "Draft." not in text  # drafts are left out
    assert "Allocation, 2 February 2026 at 11:00am" in text
    assert "Case supervision, 20 February 2026 at 10:00am" in text
    assert "\nDecision\nFirst decision.\n" in text  # an oversight entry's headings
    assert "\nDecision and direction\nSecond decision.\n" in text
    assert "\nWorries and risks\n" in text and "\nNext review date\n2 April 2026\n" in text
    assert "(who: Supervisee; by 20 March 2026; open)" in text
    for note in (earlier, later):
        assert (
            f"Finalised by Supervisor on 5 March 2026 at 2:30pm, hash {note.content_hash}" in text
        )


def test_the_extract_can_be_limited_to_dates(world):
    write(world, discussed_at=datetime(2026, 1, 15, 10, tzinfo=UTC), decision="January.")
    write(world, discussed_at=datetime(2026, 2, 20, 10, tzinfo=UTC), decision="February.")
    write(world, discussed_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC), decision="March.")

    text = extract(world, format="txt", **{"from": "2026-02-01", "to": "2026-03-02"}).content
    text = text.decode()
    assert "February." in text and "March." in text and "January." not in text
    assert "Notes discussed from 1 February 2026 to 2 March 2026" in text
    text = extract(world, format="txt", to="2026-03-01").content.decode()
    assert "January." in text and "February." in text and "March." not in text


def test_the_pdf_extract_holds_every_final_note(world):
    write(world, discussed_at=datetime(2026, 2, 2, 11, tzinfo=UTC), decision="First decision.")
    write(world, discussed_at=datetime(2026, 2, 20, 10, tzinfo=UTC), decision=SCRIPT)
    response = extract(world, format="pdf")
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="case-notes-NS100001-2026-03-05.pdf"' in response["Content-Disposition"]
    text = flat(pdf_text(response.content))
    assert text.index("First decision.") < text.index(SCRIPT)
    assert (
        "Current situation You are settled at school. What is working well Nothing recorded. "
        "Worries and risks" in text
    )
    assert "Notes: 2" in text
    assert not watermarked(response.content)


def test_the_extract_page_sends_the_choice_on_and_names_bad_dates(world):
    page = reverse("child-extract", args=[world.child.pk])
    response = get(world.supervisor, page)
    assert response.status_code == 200
    assert "Download NS100001's case notes for the child's file" in response.content.decode()

    response = get(
        world.supervisor,
        page,
        data={
            "format": "txt",
            "start_0": "1",
            "start_1": "2",
            "start_2": "2026",
            "end_0": "",
            "end_1": "",
            "end_2": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("child-extract-download", args=[world.child.pk]) + "?format=txt&from=2026-02-01"
    )

    response = get(
        world.supervisor,
        page,
        data={"format": "pdf", "start_0": "31", "start_1": "2", "start_2": "2026"},
    )
    body = " ".join(response.content.decode().split())
    assert "Enter the start date as a real date" in body and 'href="#id_start_0"' in body
    response = get(
        world.supervisor,
        page,
        data={
            "format": "pdf",
            **{"start_0": "5", "start_1": "3", "start_2": "2026"},
            **{"end_0": "1", "end_1": "3", "end_2": "2026"},
        },
    )
    assert "Enter an end date on or after the start date" in response.content.decode()

    response = extract(world, format="txt", **{"from": "2026-02-31"})
    assert response.status_code == 400
    assert "Enter the start date as a real date" in response.content.decode()
    response = extract(world, format="doc", to="soon")
    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose PDF or plain text" in body and "Enter the end date as a real date" in body
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_extract_is_audited_as_an_export_and_kept_within_reach(world):
    write(world, discussed_at=datetime(2026, 2, 2, 11, tzinfo=UTC))
    assert extract(world, world.supervisee, format="txt").status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.actor == world.supervisee
    assert (event.object_type, event.object_id) == ("child", str(world.child.pk))
    assert event.detail["format"] == "txt" and event.detail["notes"] == 1
    assert DECISION not in str(event.detail)
    for role in ("other_team_supervisor", "auditor_with_grant", "admin"):
        assert extract(world, world.people[role], format="txt").status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == 1


def test_the_note_page_links_to_the_pdf_and_the_extract(world):
    page = get(
        world.supervisee, reverse("case-note", args=[world.child.pk, world.case_note.pk])
    ).content.decode()
    assert reverse("case-note-pdf", args=[world.child.pk, world.case_note.pk]) in page
    assert reverse("child-extract", args=[world.child.pk]) in page
    assert re.search(r"Download PDF\s*\(draft\)", page)
