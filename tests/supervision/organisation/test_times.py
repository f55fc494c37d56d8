"""Times are shown in London time: 15 July is British Summer Time, so a
session stored as 09:00 UTC began at 10:00 for the people in it, and every page and PDF that
shows it says 10:00, never the 09:00 they would not recognise."""

import subprocess
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from agreements.models import SupervisionAgreement
from agreements.pdf import render_agreement_pdf
from agreements.services import agreement_sign
from supervision.models import SupervisionRecord, SupervisionSession
from supervision.records.pdf import render_record_pdf
from tests.factories import SUPERVISEE_PASSWORD
from tests.world import build_world

pytestmark = pytest.mark.django_db

# 10:00 to 11:00 in London on 15 July 2026.
STARTS = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)
ENDS = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)


def flat_text(data: bytes) -> str:
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(text.split())


def flat_page(response) -> str:
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


@pytest.fixture
def world():
    with time_machine.travel(datetime(2026, 3, 5, 12, 0, tzinfo=UTC), tick=False):
        world = build_world()
    SupervisionSession.objects.filter(pk=world.session.pk).update(starts_at=STARTS, ends_at=ENDS)
    # Both sign the agreement at the session's start, 09:00 UTC.
    with time_machine.travel(STARTS, tick=False):
        for person in (world.supervisee, world.supervisor):
            agreement_sign(agreement=world.agreement, password=SUPERVISEE_PASSWORD, by=person)
    return world


def test_the_session_page_shows_the_london_time(client, world):
    with time_machine.travel(datetime(2026, 7, 15, 12, 0, tzinfo=UTC), tick=False):
        client.force_login(world.supervisor)
        page = flat_page(client.get(reverse("session", args=[world.session.pk])))
    assert "15 July 2026, 10:00 to 11:00" in page
    assert "09:00" not in page


def test_the_agreement_page_and_pdf_show_signing_in_london_time(client, world):
    agreement = SupervisionAgreement.objects.get(pk=world.agreement.pk)
    assert agreement.status == SupervisionAgreement.Status.ACTIVE
    with time_machine.travel(datetime(2026, 7, 15, 12, 0, tzinfo=UTC), tick=False):
        client.force_login(world.supervisee)
        page = flat_page(client.get(reverse("agreement", args=[agreement.pk])))
        text = flat_text(render_agreement_pdf(agreement))
    assert page.count("signed on 15 July 2026 at 10:00") == 2
    assert "09:00" not in page
    assert text.count("signed at 10:00 on 15 July 2026 (UK time)") == 2
    assert "09:00" not in text


def test_the_record_pdf_shows_the_session_in_london_time(world):
    with time_machine.travel(datetime(2026, 7, 15, 12, 0, tzinfo=UTC), tick=False):
        record = SupervisionRecord.objects.get(pk=world.record.pk)
        text = flat_text(render_record_pdf(record, preview=True))
    assert "15 July 2026" in text
    assert "10:00 to 11:00" in text
    assert "09:00" not in text


def test_the_calendar_email_says_the_london_time_and_the_invitation_carries_utc(world, mailoutbox):
    from oversight.notices.outbox import send_due
    from supervision.sessions.calendar import send_session_invitations

    session = SupervisionSession.objects.get(pk=world.session.pk)
    send_session_invitations(session)
    send_due()  # the outbox job, which sends what the invitation wrote
    email = mailoutbox[0]
    assert email.subject == "Supervision on 15 July 2026 at 10:00"
    assert "15 July 2026, 10:00 to 11:00" in email.body
    # The .ics file names the moment itself; the person's calendar shows it in their zone.
    invitation = email.attachments[0][1]
    invitation = invitation.decode() if isinstance(invitation, bytes) else invitation
    assert "DTSTART:20260715T090000Z" in invitation


def test_a_case_note_just_after_midnight_in_summer_is_named_by_the_london_day(world):
    from casework.models import CaseNote

    # 00:30 on 16 July in London is 23:30 on 15 July in UTC.
    CaseNote.objects.filter(pk=world.case_note.pk).update(
        discussed_at=datetime(2026, 7, 15, 23, 30, tzinfo=UTC)
    )
    assert str(CaseNote.objects.get(pk=world.case_note.pk)).endswith("on 16 July 2026")
