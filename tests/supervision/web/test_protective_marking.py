"""The protective marking: "OFFICIAL-SENSITIVE" by default, or what
the organisation sets, on every printed page and at the top and bottom of every PDF page;
empty, none. Read back from the PDFs with pdftotext."""

import subprocess
from datetime import UTC, datetime

import pytest
import time_machine

from agreements.models import SupervisionAgreement
from agreements.pdf import render_agreement_pdf
from casework.pdf import render_note_pdf
from supervision.models import SupervisionRecord
from supervision.records.pdf import render_record_pdf

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = NOW


def text_of(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def pdfs(world) -> dict[str, bytes]:
    with time_machine.travel(NOW, tick=False):
        return {
            "record": render_record_pdf(
                SupervisionRecord.objects.get(pk=world.record.pk), preview=True
            ),
            "agreement": render_agreement_pdf(
                SupervisionAgreement.objects.get(pk=world.agreement.pk)
            ),
            "case note": render_note_pdf(world.case_note),
        }


def test_every_pdf_page_carries_the_marking_at_top_and_bottom(world):
    for name, data in pdfs(world).items():
        pages = text_of(data).split("\f")
        pages = [page for page in pages if page.strip()]
        for number, page in enumerate(pages, start=1):
            lines = [line.strip() for line in page.splitlines() if line.strip()]
            assert "OFFICIAL-SENSITIVE" in lines[0], (name, number, lines[0])
            assert "OFFICIAL-SENSITIVE" in lines[-1], (name, number, lines[-1])


def test_the_organisation_sets_its_own_marking_or_none(world, settings, client):
    settings.PROTECTIVE_MARKING = "OFFICIAL"
    assert all(
        "OFFICIAL\n" in text_of(data) or "OFFICIAL " in text_of(data)
        for data in pdfs(world).values()
    )
    assert not any("OFFICIAL-SENSITIVE" in text_of(data) for data in pdfs(world).values())
    settings.PROTECTIVE_MARKING = ""
    assert not any("OFFICIAL" in text_of(data) for data in pdfs(world).values())


def test_pages_carry_the_marking_for_print_only(world, client):
    client.force_login(world.supervisee)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/").content.decode()
    assert page.count('class="app-protective-marking') == 2
    assert 'aria-hidden="true">OFFICIAL-SENSITIVE</p>' in page


def test_a_marking_cannot_break_out_of_the_pdf_styles(world, settings):
    settings.PROTECTIVE_MARKING = 'OFFICIAL"; } body { display: none } x { content: "'
    text = " ".join(text_of(pdfs(world)["record"]).split())
    assert "body display none x content" in text  # drawn as words: quotes and braces gone
    assert "Supervision record" in text  # the page still drawn
