"""The home page's queries compiled once for each shape (oversight/reports/home_queries.py):
the page read through Django, as the first page of a shape is, and the page read from the
compiled SQL are the same, for a varied team and for each person in it."""

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client

from oversight.reports import home_queries
from supervision.models import (
    AgendaItem,
    DevelopmentConversation,
    PracticeObservation,
    SupervisionRecord,
    SupervisionSession,
)
from tests.oversight.reports.test_home import (
    TUESDAY,
    actions_for,
    add_supervisee,
    busy_supervisee,
    planned_session,
    record_in,
)
from tests.world import TODAY

pytestmark = pytest.mark.django_db

WORLD_AT = TODAY


def varied_team(world):
    """Busy people, a quiet one, one supervised by someone else too, and the world's own."""
    busy = [busy_supervisee(world, index) for index in range(3)]
    quiet = add_supervisee(world, "Quiet Person", start=date(2025, 6, 2))
    session = planned_session(world, world.supervisee, datetime(2026, 3, 12, 10, tzinfo=UTC))
    AgendaItem.objects.create(session=session, added_by=world.supervisee, text="<b>First</b>")
    AgendaItem.objects.create(session=session, added_by=world.supervisor, text="Second")
    record_in(world, world.supervisee, date(2026, 2, 17), SupervisionRecord.Status.SHARED)
    actions_for(world, world.supervisee, [date(2026, 3, 1), date(2026, 4, 1)], status="shared")
    PracticeObservation.objects.create(
        practitioner=busy[0],
        practitioner_role="Social worker",
        observer=world.supervisor,
        observer_role="Line manager",
        created_by=world.supervisor,
        observed_on=date(2026, 3, 2),
        venue="Family home",
        permission_gained=True,
        permission_details="Asked at the door",
    )
    DevelopmentConversation.objects.create(
        person=busy[1],
        kind=DevelopmentConversation.Kind.PLAN,
        year=2026,
        held_on=date(2026, 1, 5),
        goals="g",
        agreed_by=world.supervisor,
    )
    return [world.supervisor, world.supervisee, quiet, *busy]


def home(client, person, url="/") -> str:
    """The page, without what differs on every answer (the form token, masked anew)."""
    with time_machine.travel(TUESDAY, tick=False):
        client.force_login(person)
        response = client.get(url)
    assert response.status_code == 200
    return re.sub(
        r'(csrfmiddlewaretoken" value|csrf-token" content)="[^"]+"', "", response.content.decode()
    )


def test_each_home_page_is_the_same_read_through_django_and_from_the_compiled_queries(world):
    people = varied_team(world)
    client = Client()
    for person in people:
        for url in ("/", "/?sort=-records"):
            home_queries.forget()
            through_django = home(client, person, url)
            kept = home(client, person, url)
            assert kept == through_django, (person.full_name, url)
    assert "Your supervisees (" in home(client, world.supervisor)
    if connection.vendor == "postgresql":
        # Every shape of the supervisor's page kept (SQLite turns dates into text while
        # compiling, so some of its shapes are read through Django each time).
        assert all(home_queries._KEPT.values()), home_queries._KEPT
        assert len(home_queries._KEPT) >= 12


def sessions_of(values):
    return (
        SupervisionSession.objects.filter(supervisee_id__in=values["ids"])
        .order_by("starts_at", "pk")
        .values_list("pk", "supervisee_id", "starts_at")
    )


def test_a_shape_is_read_through_django_once_then_from_its_sql_with_each_pages_values(world):
    other = add_supervisee(world, "Other Person")
    planned_session(world, other, datetime(2026, 3, 20, 10, tzinfo=UTC))
    home_queries.forget()
    pairs = ([world.supervisee.pk, other.pk], [other.pk, world.supervisee.pk])
    for ids in pairs:
        assert home_queries.tuples("sessions", sessions_of, {"ids": ids}) == list(
            sessions_of({"ids": ids})
        )
    # Ids only: kept on SQLite as on PostgreSQL.
    assert list(home_queries._KEPT.values()) != [None]
    one = [other.pk]
    assert home_queries.tuples("sessions", sessions_of, {"ids": one}) == list(
        sessions_of({"ids": one})
    )
    assert len(home_queries._KEPT) == 2  # another length, another shape


def test_a_list_holding_an_id_twice_is_always_read_through_django(world):
    home_queries.forget()
    twice = {"ids": [world.supervisee.pk, world.supervisee.pk]}
    for _ in range(2):
        assert home_queries.tuples("sessions", sessions_of, twice) == list(sessions_of(twice))
    assert home_queries._KEPT == {}
