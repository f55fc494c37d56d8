"""A finalised record's headings and decisions are rendered once and kept
(supervision.web.record_kept): the page read from what is kept is the page read afresh, for
each reader, and what may still change after finalisation (the actions' status, addenda)
shows at once."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from oversight.reports import home_kept
from supervision.models import Action, SupervisionRecord
from supervision.records import services
from supervision.web import record_kept
from tests.factories import SUPERVISEE_PASSWORD
from tests.records import finalise_with_an_action, held_session
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def finalised(django_capture_on_commit_callbacks):
    with time_machine.travel(DAY, tick=False):
        world = build_world()
        session = held_session(world)
        record = services.record_start(session=session, by=world.supervisor)
        for key, text in (("check-in", "Tired after the court week"), ("reflection", "Said")):
            record = services.record_section_save(
                record=record,
                section_key=key,
                text=text,
                completed=True,
                expected_version=record.version,
                by=world.supervisor,
            )
        services.decision_add(
            record=record, decision="Step down to CIN", reasons="Risk reduced", by=world.supervisor
        )
        record = finalise_with_an_action(world, record)
    cache.clear()
    yield world, SupervisionRecord.objects.get(pk=record.pk)
    cache.clear()


def page(user, record) -> tuple[str, list[str]]:
    """The record page as `user` reads it (the CSRF token, new each time, left out), and the
    statements it ran."""
    client = Client()
    client.force_login(user)
    with time_machine.travel(LATER, tick=False), CaptureQueriesContext(connection) as queries:
        response = client.get(f"/sessions/{record.session_id}/record/")
    assert response.status_code == 200
    return TOKEN.sub("", response.content.decode()), [q["sql"] for q in queries]


@pytest.mark.parametrize("reader", ["supervisee", "supervisor", "senior_manager"])
def test_the_kept_page_is_the_page_read_afresh(finalised, reader):
    world, record = finalised
    fresh, fresh_queries = page(world.people[reader], record)
    kept, kept_queries = page(world.people[reader], record)
    assert kept == fresh
    assert "Tired after the court week" in kept and "Step down to CIN" in kept
    # The headings and decisions are not read again, nor the empty disagreements.
    assert any("supervision_recordsection" in sql for sql in fresh_queries)
    assert not any("supervision_recordsection" in sql for sql in kept_queries)
    assert not any("supervision_decision" in sql for sql in kept_queries)
    assert not any("supervision_disagreement" in sql for sql in kept_queries)
    assert len(kept_queries) < len(fresh_queries)


def test_a_reader_without_the_personal_sections_never_gets_them_from_what_was_kept(finalised):
    world, record = finalised
    page(world.supervisee, record)  # kept with the personal sections
    shown, _ = page(world.auditor_with_grant, record)
    assert "Tired after the court week" not in shown
    assert "Personal section: not shown to you." in shown
    again, _ = page(world.supervisee, record)
    assert "Tired after the court week" in again


def test_what_changes_after_finalisation_shows_at_once(finalised):
    world, record = finalised
    before, _ = page(world.supervisee, record)
    assert "Open</strong>" in before and "Addendum by" not in before
    Action.objects.filter(record=record).update(status=Action.Status.DONE)
    with time_machine.travel(LATER, tick=False):
        services.addendum_add(
            record=record,
            text="The visit was on 2 March.",
            password=SUPERVISEE_PASSWORD,
            by=world.supervisor,
        )
    after, _ = page(world.supervisee, record)
    assert "Done</strong>" in after and "Open</strong>" not in after
    assert "Addendum by Supervisor" in after and "The visit was on 2 March." in after
    cache.clear()
    assert page(world.supervisee, record)[0] == after


def test_a_record_not_yet_finalised_is_never_kept(finalised):
    world, _ = finalised
    with time_machine.travel(DAY, tick=False):
        session = held_session(
            world,
            starts_at=datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
            ends_at=datetime(2026, 3, 3, 11, 0, tzinfo=UTC),
        )
        draft = services.record_start(session=session, by=world.supervisor)
    page(world.supervisor, draft)
    _, queries = page(world.supervisor, draft)
    assert any("supervision_recordsection" in sql for sql in queries)


def test_a_cache_that_fails_costs_the_kept_rendering_never_the_page(finalised, monkeypatch):
    world, record = finalised
    fresh, _ = page(world.supervisee, record)

    class Down:
        def get(self, *args):
            raise ConnectionError("Redis is down")

        set = get

    monkeypatch.setattr(record_kept, "cache", Down())
    monkeypatch.setattr(home_kept, "cache", Down())  # the page kept whole, too
    shown, queries = page(world.supervisee, record)
    assert shown == fresh
    assert any("supervision_recordsection" in sql for sql in queries)
