"""Signing after a change of supervisor (access.records): the supervisor who held the session
signs and finalises its record while they are in post, wherever they are now; once they have
left, the supervisee's line supervisor does, and the signed copy says so."""

import subprocess
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client

from access.records import may_finalise, record_signatory, records_to_finalise_by
from supervision.models import StaffProfile, SupervisionRecord, User
from supervision.models.audit import AuditEvent
from supervision.people.services import relationship_change_line_supervisor
from supervision.records import services
from tests.factories import SUPERVISEE_PASSWORD, StaffProfileFactory
from tests.records import held_session
from tests.support.outbox import forget_emails
from tests.world import build_world

pytestmark = pytest.mark.django_db

SHARED = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
CHANGE_ON = date(2026, 3, 9)  # the new line supervisor from this day
SIGNED = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # after the change
LEAVES_ON = date(2026, 3, 13)  # the old supervisor's last day
AFTER_LEAVING = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def pdf_text(data: bytes) -> str:
    found = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(found.stdout.decode().split())


class Person:
    """A browser for one person on a given moment."""

    def __init__(self, user):
        self.client = Client()
        self.user = user

    def get(self, url, at):
        with time_machine.travel(at, tick=False):
            self.client.force_login(self.user)
            return self.client.get(url)

    def post(self, url, at, data=None):
        with time_machine.travel(at, tick=False):
            self.client.force_login(self.user)
            return self.client.post(url, data or {})


@pytest.fixture
def world():
    with time_machine.travel(SHARED, tick=False):
        world = build_world()
        User.objects.filter(pk=world.supervisor.pk).update(full_name="Rachel Turner")
        world.supervisor.refresh_from_db()
        profile = StaffProfileFactory(
            user__email="joanne.fletcher@example.org",
            user__full_name="Joanne Fletcher",
            unit=world.units["team"],
            job_role=world.supervisor.profile.job_role,
        )
        world.people["new_supervisor"] = profile.user
        yield world


@pytest.fixture
def shared(world):
    """A record of a session Rachel Turner held, shared with the supervisee before the change
    of supervisor."""
    with time_machine.travel(SHARED, tick=False):
        session = held_session(world)
        record = services.record_start(session=session, by=world.supervisor)
        record = services.record_section_save(
            record=record,
            section_key="reflection",
            text="We talked about the Ahmed family.",
            completed=True,
            expected_version=record.version,
            by=world.supervisor,
        )
        services.record_share(record=record, by=world.supervisor)
        relationship_change_line_supervisor(
            supervisee=world.supervisee,
            new_supervisor=world.new_supervisor,
            on=CHANGE_ON,
            by=world.senior_manager,
        )
    return session


def sign_as_supervisee(world, session, at, capture):
    supervisee = Person(world.supervisee)
    forget_emails()
    with time_machine.travel(at, tick=False), capture(execute=True):
        response = supervisee.post(
            f"/sessions/{session.pk}/record/sign/", at, {"password": SUPERVISEE_PASSWORD}
        )
    assert response.status_code == 302
    return supervisee.get(response["Location"], at).content.decode()


def pdf_of(person, session, at) -> str:
    response = person.get(f"/sessions/{session.pk}/record.pdf", at)
    assert response.status_code == 200, response.status_code
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return pdf_text(data)


def test_the_old_supervisor_signs_and_finalises_after_a_change_of_supervisor(
    world, shared, django_capture_on_commit_callbacks
):
    session = shared
    base = f"/sessions/{session.pk}/record"
    old, new = Person(world.supervisor), Person(world.new_supervisor)

    page = sign_as_supervisee(world, session, SIGNED, django_capture_on_commit_callbacks)
    assert "You signed the record. Rachel Turner will now finalise it" in page
    assert "Joanne Fletcher will now finalise" not in page
    assert mail.outbox[-1].to == [world.supervisor.email], "the person who will act is told"
    assert "signed a supervision record" in mail.outbox[-1].subject

    with time_machine.travel(SIGNED, tick=False):
        assert record_signatory(session).user == world.supervisor
        assert record_signatory(session).how == "held the session"
        assert not may_finalise(world.new_supervisor, session)
        assert list(records_to_finalise_by(world.new_supervisor)) == []

    # The home page of the person who will act lists it; the new supervisor's does not.
    assert "Records to finalise (1)" in old.get("/", SIGNED).content.decode()
    assert "Records to finalise" not in new.get("/", SIGNED).content.decode()

    # The new supervisor reads the record (they supervise the supervisee now) but may not
    # finalise it: 403, audited, and the page names who will.
    page = new.get(f"{base}/", SIGNED).content.decode()
    assert "Rachel Turner signs and finalises this record" in page
    assert "Sign and finalise" not in page
    assert new.get(f"{base}/finalise/", SIGNED).status_code == 403
    assert new.get(f"{base}/disagreements/add/", SIGNED).status_code == 403
    refused = new.post(f"{base}/finalise/", SIGNED, {"password": SUPERVISEE_PASSWORD})
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(
        action="denied", actor=world.new_supervisor, detail__answer=403
    ).exists()
    assert SupervisionRecord.objects.get(session=session).status == "supervisee_signed"

    # The old supervisor reaches this record and nothing else of the file.
    page = old.get(f"{base}/", SIGNED).content.decode()
    assert "Sign and finalise" in page
    assert "We talked about the Ahmed family." in page
    assert old.get(f"{base}/finalise/", SIGNED).status_code == 200
    with time_machine.travel(SIGNED, tick=False):
        theirs = held_session(
            world,
            supervisor=world.new_supervisor,
            starts_at=datetime(2026, 3, 9, 10, tzinfo=UTC),
            ends_at=datetime(2026, 3, 9, 11, tzinfo=UTC),
        )
        services.record_start(session=theirs, by=world.new_supervisor)
    assert old.get(f"/sessions/{theirs.pk}/record/", SIGNED).status_code == 404
    assert old.get(f"/sessions/{theirs.pk}/record.pdf", SIGNED).status_code == 404
    assert old.get(f"{base}/sections/reflection/", SIGNED).status_code == 404
    assert old.get(f"/people/{world.supervisee.pk}/", SIGNED).status_code == 404

    forget_emails()
    with time_machine.travel(SIGNED, tick=False), django_capture_on_commit_callbacks(execute=True):
        done = old.post(f"{base}/finalise/", SIGNED, {"password": SUPERVISEE_PASSWORD})
    assert done.status_code == 302
    record = SupervisionRecord.objects.get(session=session)
    assert record.status == "finalised"
    assert record.signatures.get(role="supervisor").signer == world.supervisor
    finalised = [m for m in mail.outbox if "finalised" in m.subject]
    # One email each, so neither sees the other's address.
    assert sorted(m.to[0] for m in finalised) == sorted(
        [world.supervisee.email, world.supervisor.email]
    )
    assert all(len(m.to) == 1 for m in finalised)
    assert "is signed by both and finalised" in finalised[0].body

    # Both keep a signed copy (R9): the PDF names the old supervisor as the supervisor.
    text = pdf_of(old, session, SIGNED)
    assert "Rachel Turner" in text and "Joanne Fletcher" not in text
    assert "Finalised by" not in text
    assert "Rachel Turner" in pdf_of(Person(world.supervisee), session, SIGNED)
    assert "Records to finalise" not in old.get("/", SIGNED).content.decode()


def test_after_the_old_supervisor_has_left_the_line_supervisor_finalises(
    world, shared, django_capture_on_commit_callbacks
):
    session = shared
    base = f"/sessions/{session.pk}/record"
    StaffProfile.objects.filter(user=world.supervisor).update(leaving_date=LEAVES_ON)
    world.supervisor.refresh_from_db()
    leaver, new = Person(world.supervisor), Person(world.new_supervisor)

    page = sign_as_supervisee(world, session, AFTER_LEAVING, django_capture_on_commit_callbacks)
    assert "You signed the record. Joanne Fletcher will now finalise it" in page
    assert "Rachel Turner will now finalise" not in page
    told = mail.outbox[-1]
    assert told.to == [world.new_supervisor.email]
    assert "line supervisor from 9 March 2026" in told.body

    with time_machine.travel(AFTER_LEAVING, tick=False):
        signatory = record_signatory(session)
        assert signatory.user == world.new_supervisor
        assert signatory.how == "line supervisor from 9 March 2026"
        assert list(records_to_finalise_by(world.supervisor)) == []

    home = new.get("/", AFTER_LEAVING).content.decode()
    assert "Records to finalise (1)" in home and "session held by Rachel Turner" in home

    # The leaver gets nothing: not the record, not its copy, not the finalise page.
    for url in (f"{base}/", f"{base}/finalise/", f"/sessions/{session.pk}/record.pdf"):
        assert leaver.get(url, AFTER_LEAVING).status_code in (302, 403, 404), url
    assert leaver.post(
        f"{base}/finalise/", AFTER_LEAVING, {"password": SUPERVISEE_PASSWORD}
    ).status_code in (302, 403, 404)
    assert SupervisionRecord.objects.get(session=session).status == "supervisee_signed"
    with time_machine.travel(AFTER_LEAVING, tick=False), pytest.raises(Exception) as refused:
        services.record_finalise(
            record=session.record, password=SUPERVISEE_PASSWORD, by=world.supervisor
        )
    assert "Joanne Fletcher signs and finalises this record" in str(refused.value)

    page = new.get(f"{base}/", AFTER_LEAVING).content.decode()
    assert "You sign and finalise this record as" in page and "Sign and finalise" in page
    forget_emails()
    with (
        time_machine.travel(AFTER_LEAVING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        done = new.post(f"{base}/finalise/", AFTER_LEAVING, {"password": SUPERVISEE_PASSWORD})
    assert done.status_code == 302
    record = SupervisionRecord.objects.get(session=session)
    assert record.status == "finalised"
    assert record.signatures.get(role="supervisor").signer == world.new_supervisor
    finalised = [m for m in mail.outbox if "finalised" in m.subject]
    assert sorted(m.to[0] for m in finalised) == sorted(
        [world.supervisee.email, world.new_supervisor.email]
    )
    assert "by Joanne Fletcher, line supervisor from 9 March 2026" in finalised[0].body

    text = pdf_of(new, session, AFTER_LEAVING)
    assert (
        "Finalised by Joanne Fletcher, line supervisor from 9 March 2026, "
        "for the session held by Rachel Turner"
    ) in text
    page = new.get(f"{base}/", AFTER_LEAVING).content.decode()
    assert "line supervisor from 9 March 2026, for the session held by Rachel Turner" in page


def test_the_service_refuses_the_new_supervisor_while_the_old_one_is_in_post(world, shared):
    session = shared
    with time_machine.travel(SIGNED, tick=False):
        services.record_sign(
            record=session.record, password=SUPERVISEE_PASSWORD, by=world.supervisee
        )
        with pytest.raises(Exception) as refused:
            services.record_finalise(
                record=session.record, password=SUPERVISEE_PASSWORD, by=world.new_supervisor
            )
    assert "Rachel Turner signs and finalises this record" in str(refused.value)
    assert SupervisionRecord.objects.get(session=session).status == "supervisee_signed"
