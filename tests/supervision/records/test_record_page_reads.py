"""The record page's reads by SQL compiled once (supervision.organisation.kept_sql) give what
their querysets give, field by field, with their related rows and annotations: the session
with its people and reach (access.records), the record's actions, signatures and addenda, its
open flag (supervision.web.views_records) and the previous record (records.services), for a
varied record (an action, both signatures, an addendum, an open flag, a record before it), for
each person and on days on either side of the relationships."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from access import records as signing
from oversight.models import Flag
from supervision.records import services
from supervision.web import views_records
from tests.factories import SUPERVISEE_PASSWORD
from tests.records import finalise_with_an_action, held_session
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
DAYS = (date(2026, 3, 9), date(2019, 1, 1), date(2031, 7, 9))


@pytest.fixture
def world():
    with time_machine.travel(DAY, tick=False):
        world = build_world()
        earlier = held_session(world, starts_at=DAY - timedelta(days=28), ends_at=DAY)
        services.record_start(session=earlier, by=world.supervisor)
        session = held_session(world)
        record = services.record_start(session=session, by=world.supervisor)
        record = finalise_with_an_action(world, record)
        services.addendum_add(
            record=record,
            text="A date corrected",
            password=SUPERVISEE_PASSWORD,
            by=world.supervisor,
        )
        Flag.objects.create(
            kind="signoff_overdue",
            person=world.supervisee,
            about=f"session {session.pk}",
            due=date(2026, 3, 1),
            overdue_since=DAY,
            detail="Written as a row for the test",
            rule="R8",
            raised_at=DAY,
        )
    return world


def state(obj, within=()):
    """Everything an instance holds: its fields, its annotations and its related rows (a row
    met again on the way, as a profile's user, by its model and key)."""
    if obj is None or obj in within:
        return None if obj is None else (type(obj).__name__, obj.pk)
    found = {name: value for name, value in vars(obj).items() if name != "_state"}
    found["related"] = {
        name: state(rel, (*within, obj)) for name, rel in obj._state.fields_cache.items()
    }
    return found


def same(kept, **values):
    found = [state(obj) for obj in kept.instances(**values)]
    assert found == [state(obj) for obj in kept.build(**values)]
    return found


def test_the_session_with_its_people_and_reach(world):
    kept = signing._SESSION_TO_SIGN
    sessions = [s for person in world.people.values() for s in person.sessions_as_supervisee.all()]
    assert len(sessions) >= 2
    for person in world.people.values():
        for day in DAYS:
            for session in sessions:
                assert len(same(kept, user=person.pk, day=day, session=session.pk)) == 1
    assert same(kept, user=world.supervisor.pk, day=DAYS[0], session=0) == []
    # Kept where days are parameters (SQLite turns them into text, and builds it every time).
    assert kept._learnt[connection.vendor] is not None or connection.vendor == "sqlite"


def test_the_records_rows_and_its_flag(world):
    record = world.supervisee.sessions_as_supervisee.filter(record__status="finalised")
    record = record.get().record
    for name, kept in views_records._ALWAYS_READ:
        assert same(kept, record=record.pk), name
        assert kept._learnt[connection.vendor] is not None, name
    (flag,) = same(views_records._OPEN_FLAG, record=record.pk)
    assert flag["open_flag_kind"] == "signoff_overdue"
    assert views_records._OPEN_FLAG._learnt[connection.vendor] is not None


def test_the_previous_record(world):
    sessions = world.supervisee.sessions_as_supervisee.filter(record__isnull=False)
    shown = [
        same(services._PREVIOUS, supervisee=world.supervisee.pk, before=session.starts_at)
        for session in sessions
    ]
    assert [] in shown
    assert any(found and found[0]["supervisee_signed_at"] is None for found in shown)
    assert services._PREVIOUS._learnt[connection.vendor] is not None or (
        connection.vendor == "sqlite"
    )
