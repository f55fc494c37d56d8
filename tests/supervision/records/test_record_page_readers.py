"""The record page read the quick way (a finalised record's rendering kept) is byte for byte
the page read the plain way (rendered afresh, nothing kept), for
every kind of reader, of a record with everything on it: headings and decisions holding
untrusted HTML, an action, a disagreement, an attachment, two signatures and an addendum.
Every read is audited, kept or not; what changes after finalisation never shows stale."""

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from oversight.reports import home_kept
from supervision.models import (
    Disagreement,
    RecordAttachment,
    StaffProfile,
    SupervisionRecord,
    SupervisoryRelationship,
    User,
)
from supervision.models.audit import AuditEvent
from supervision.records import services
from supervision.web import record_kept
from tests.factories import SUPERVISEE_PASSWORD
from tests.records import held_session
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)  # the action is overdue by then
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
UNTRUSTED = '<script>alert("x")</script> Tom & Jerry\'s <b>plan</b>'


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    with time_machine.travel(DAY, tick=False):
        world = build_world()
        session = held_session(world)
        record = services.record_start(session=session, by=world.supervisor)
        for key in ("check-in", "reflection"):
            record = services.record_section_save(
                record=record,
                section_key=key,
                text=f"{key}: {UNTRUSTED}\nA second line",
                completed=True,
                expected_version=record.version,
                by=world.supervisor,
            )
        services.decision_add(
            record=record, decision=UNTRUSTED, reasons=f"Because {UNTRUSTED}", by=world.supervisor
        )
        services.action_add(
            record=record,
            description=f"Read {UNTRUSTED}",
            owner="supervisee",
            owner_name="",
            due_date=date(2026, 3, 20),
            by=world.supervisor,
        )
        RecordAttachment.objects.create(
            record=record,
            file="records/scan.pdf",
            name=f"scan {UNTRUSTED}.pdf",
            size=1234,
            sha256="0" * 64,
            content_type="application/pdf",
            uploaded_by=world.supervisor,
            uploaded_at=DAY,
            scanned_by="ClamAV",
        )
        services.record_share(record=record, by=world.supervisor)
        disagreement = services.disagreement_add(
            record=record, subject=UNTRUSTED, view=f"Mine: {UNTRUSTED}", by=world.supervisee
        )
        Disagreement.objects.filter(pk=disagreement.pk).update(
            supervisor_view=f"Theirs: {UNTRUSTED}",
            supervisor_signed_at=DAY,
            supervisee_signed_at=DAY,
        )
        services.record_sign(record=record, password=SUPERVISEE_PASSWORD, by=world.supervisee)
        record = services.record_finalise(
            record=record, password=SUPERVISEE_PASSWORD, by=world.supervisor
        )
        services.addendum_add(
            record=record,
            text=f"Corrected: {UNTRUSTED}",
            password=SUPERVISEE_PASSWORD,
            by=world.supervisor,
        )
    world.record = SupervisionRecord.objects.get(pk=record.pk)
    cache.clear()
    yield world
    cache.clear()


def page(user, record) -> str:
    """The record page as `user` reads it, the CSRF token (new each time) left out."""
    client = Client()
    client.force_login(user)
    with time_machine.travel(LATER, tick=False):
        response = client.get(f"/sessions/{record.session_id}/record/")
    assert response.status_code == 200
    return TOKEN.sub("", response.content.decode())


def plain(user, record, monkeypatch) -> str:
    """The page rendered afresh: nothing kept is read, and nothing is kept."""
    with monkeypatch.context() as patch:
        patch.setattr(record_kept, "kept", lambda record, show_personal: None)
        patch.setattr(record_kept, "keep", lambda record, show_personal: None)
        # Nor the page as a whole (oversight.reports.home_kept).
        patch.setattr(home_kept, "kept", lambda key, seen, now: None)
        patch.setattr(home_kept, "keep", lambda key, seen, html, now: None)
        return page(user, record)


def kept_copy(record) -> bool:
    """Whether a rendering of `record` is kept (read on the day of the pages: kept copies
    expire, and the real clock is months after it)."""
    with time_machine.travel(LATER, tick=False):
        return any(cache.get(record_kept.key(record, way)) for way in (False, True))


def quick(user, record) -> str:
    """The page read twice, the second time from what the first kept."""
    page(user, record)
    return page(user, record)


def change_of_supervisor(world) -> User:
    """The supervisee moves to another supervisor: the one who held the session still reads
    the record they signed; the new one reads it by their reach over the file."""
    SupervisoryRelationship.objects.filter(supervisee=world.supervisee).update(
        ends_on=date(2026, 3, 10)
    )
    SupervisoryRelationship.objects.create(
        supervisor=world.other_team_supervisor,
        supervisee=world.supervisee,
        kind=SupervisoryRelationship.Kind.LINE,
        starts_on=date(2026, 3, 11),
    )
    return world.other_team_supervisor


def supervisee_left(world) -> User:
    StaffProfile.objects.filter(user=world.supervisee).update(leaving_date=date(2026, 3, 13))
    return world.supervisor


READERS = {
    "supervisee": lambda world: world.supervisee,
    "supervisor": lambda world: world.supervisor,
    "senior manager": lambda world: world.senior_manager,
    "auditor with a grant": lambda world: world.auditor_with_grant,
    "the new supervisor": change_of_supervisor,
    "the supervisor who held it, after the change": lambda world: (
        change_of_supervisor(world) and world.supervisor
    ),
    "the supervisor, once the supervisee has left": supervisee_left,
}


@pytest.mark.parametrize("reader", READERS)
def test_the_quick_page_is_the_plain_page_for_every_reader(world, reader, monkeypatch):
    with time_machine.travel(DAY, tick=False):
        user = READERS[reader](world)
    fresh = plain(user, world.record, monkeypatch)
    assert not kept_copy(world.record)
    assert quick(user, world.record) == fresh
    assert kept_copy(world.record)
    assert "<script>" not in fresh and "&lt;script&gt;alert(" in fresh
    assert "Corrected: " in fresh and "Overdue" in fresh and "Theirs: " in fresh
    assert "scan &lt;script&gt;" in fresh


def test_every_read_is_audited_kept_or_not(world):
    reads = AuditEvent.objects.filter(
        action="read", object_type="supervision_record", object_id=str(world.record.session_id)
    )
    before = reads.count()
    for expected in (1, 2, 3):
        page(world.supervisee, world.record)
        assert reads.count() == before + expected
    assert kept_copy(world.record)


def test_what_changes_after_finalisation_never_shows_stale(world, monkeypatch):
    quick(world.supervisee, world.record)
    with time_machine.travel(LATER, tick=False):
        services.addendum_add(
            record=world.record,
            text="A second addendum",
            password=SUPERVISEE_PASSWORD,
            by=world.supervisor,
        )
    User.objects.filter(pk=world.supervisor.pk).update(full_name="Renamed Supervisor")
    shown = page(world.supervisee, world.record)
    assert "A second addendum" in shown and "Renamed Supervisor" in shown
    assert shown == plain(world.supervisee, world.record, monkeypatch)


def test_the_page_kept_whole_is_made_afresh_after_each_write_it_shows(world, monkeypatch):
    """The finalised record's page kept whole (oversight.reports.home_kept): after each write
    that shows on it, by whatever path, each reader is served the page made afresh."""
    from supervision.models import Action

    readers = [world.supervisee, world.supervisor]
    writes = [
        lambda: Action.objects.filter(record=world.record).update(status=Action.Status.DONE),
        lambda: User.objects.filter(pk=world.supervisee.pk).update(full_name="Renamed Supervisee"),
    ]
    for write in writes:
        before = [quick(reader, world.record) for reader in readers]
        write()
        after = [page(reader, world.record) for reader in readers]
        assert after != before
        assert after == [plain(reader, world.record, monkeypatch) for reader in readers]


def test_the_readers_navigation_follows_their_roles(world, monkeypatch):
    """The page is kept whole, navigation included: a reader who becomes a supervisor is
    served the page made afresh, with their team in the menu."""
    before = quick(world.supervisee, world.record)
    SupervisoryRelationship.objects.create(
        supervisor=world.supervisee,
        supervisee=world.other_supervisee,
        kind=SupervisoryRelationship.Kind.PRACTICE_EDUCATOR,
        starts_on=date(2026, 3, 20),
    )
    after = page(world.supervisee, world.record)
    assert "My team" in after and "My team" not in before
    assert after == plain(world.supervisee, world.record, monkeypatch)


def test_a_message_is_shown_once_even_where_the_page_is_kept(world, monkeypatch):
    """A message (here, after an addendum) is the request's own: the page kept whole is not
    served in its place, and the page that shows it is not kept. The notes are held still,
    so that only the message stands between the reader and the kept page."""
    monkeypatch.setattr(home_kept, "notes_about", lambda people: (1, 1))
    client = Client()
    client.force_login(world.supervisor)
    url = f"/sessions/{world.record.session_id}/record/"
    with time_machine.travel(LATER, tick=False):
        kept_page = TOKEN.sub("", client.get(url).content.decode())
        assert TOKEN.sub("", client.get(url).content.decode()) == kept_page  # served as kept
        response = client.post(
            f"{url}addenda/add/",
            {"text": "A third addendum", "password": SUPERVISEE_PASSWORD},
            follow=True,
        )
        assert response.redirect_chain == [(url, 302)]
        shown = response.content.decode()
        again = client.get(url).content.decode()
    assert "Addendum signed and added to the record" not in kept_page
    assert "Addendum signed and added to the record" in shown and "A third addendum" in shown
    assert "Addendum signed and added to the record" not in again
