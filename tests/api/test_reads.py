"""The read routes: each sees only its token's units (and those below), carries no personal
section or written text, filters as documented, and costs the same at any page size."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from oversight.flags.scheduled import tick
from supervision.models import (
    StaffProfile,
    SupervisionSession,
    SupervisoryRelationship,
    Unit,
    User,
)
from tests.api.helpers import bearer, service_account, token_for
from tests.world import TODAY

WORLD_AT = TODAY
LISTS = [
    "/api/v1/units/",
    "/api/v1/staff/",
    "/api/v1/relationships/",
    "/api/v1/agreements/",
    "/api/v1/sessions/",
    "/api/v1/flags/",
]


@pytest.fixture
def caller(world):
    """A token over Service A (Team A below it); Service B and Team B are outside."""
    tick(datetime(2026, 3, 5, 12, tzinfo=UTC))
    account = service_account(world.admin, [world.units["service"]])
    client = Client(**bearer(token_for(account, world.admin)))
    client.world = world
    return client


def everything(client, url) -> list[dict]:
    joiner = "&" if "?" in url else "?"
    rows, page = [], client.get(f"{url}{joiner}page_size=2").json()
    while True:
        rows += page["results"]
        if not page["next"]:
            return rows
        page = client.get(page["next"]).json()


def in_service_a(world) -> set[int]:
    return set(
        StaffProfile.objects.filter(unit__path__startswith=world.units["service"].path).values_list(
            "user_id", flat=True
        )
    )


def test_units_are_the_tokens_and_those_below(caller):
    world = caller.world
    ids = {row["id"] for row in everything(caller, "/api/v1/units/")}
    assert ids == {world.units["service"].pk, world.units["team"].pk}
    team = caller.get(f"/api/v1/units/{world.units['team'].pk}/").json()
    assert team["within"] == [world.units["directorate"].pk, world.units["service"].pk]
    outside = Unit.objects.get(name="Team B")
    assert caller.get(f"/api/v1/units/{outside.pk}/").status_code == 404


def test_staff_are_those_in_reach_with_no_personal_details(caller):
    world = caller.world
    rows = everything(caller, "/api/v1/staff/")
    assert {row["id"] for row in rows} == in_service_a(world)
    assert world.other_supervisee.pk not in {row["id"] for row in rows}
    supervisee = next(row for row in rows if row["id"] == world.supervisee.pk)
    assert set(supervisee) == {
        "id", "name", "email", "job_role", "job_role_name", "job_role_category", "unit",
        "employment_type", "start_date", "leaving_date", "is_active", "line_supervisor",
        "updated_at",
    }  # fmt: skip
    assert supervisee["line_supervisor"] == world.supervisor.pk
    assert supervisee["unit"] == world.units["team"].pk


def test_people_lists_hold_only_supervisees_in_reach(caller):
    world = caller.world
    inside = in_service_a(world)
    for url in ("/api/v1/relationships/", "/api/v1/agreements/", "/api/v1/sessions/"):
        rows = everything(caller, url)
        assert rows, url
        assert {row["supervisee"] for row in rows} <= inside, url


def test_sessions_carry_dates_and_states_never_text(caller):
    world = caller.world
    SupervisionSession.objects.filter(pk=world.session.pk).update(
        location="The family's address", lateness_notes="Late because of a child protection visit"
    )
    response = caller.get("/api/v1/sessions/")
    body = response.content.decode()
    assert "family" not in body and "child protection" not in body
    row = next(r for r in response.json()["results"] if r["id"] == world.session.pk)
    assert row["status"] == "held" and row["record_status"] == "draft"
    assert caller.get("/api/v1/sessions/", {"status": "cancelled"}).json()["results"] == []
    assert caller.get("/api/v1/sessions/", {"starts_from": "2026-03-05"}).json()["results"] == []


def test_agreements_carry_status_never_their_text(caller):
    body = caller.get("/api/v1/agreements/").content.decode()
    assert '"status":"draft"' in body
    assert "purpose" not in body and "confidentiality" not in body


def test_flags_filter_by_state_kind_unit_and_date(caller):
    world = caller.world
    flags = everything(caller, "/api/v1/flags/")
    assert flags, "the world's tick raises some flags"
    inside = in_service_a(world)
    assert all(f["person"] in inside or f["unit"] is not None for f in flags)
    kind = flags[0]["kind"]
    of_kind = caller.get("/api/v1/flags/", {"kind": kind, "page_size": 1000}).json()["results"]
    assert of_kind and {f["kind"] for f in of_kind} == {kind}
    resolved = everything(caller, "/api/v1/flags/?state=resolved")
    still_open = everything(caller, "/api/v1/flags/?state=open")
    assert all(f["resolved_at"] and f["state"] == "resolved" for f in resolved)
    assert all(f["resolved_at"] is None and f["state"] == "open" for f in still_open)
    assert len(resolved) + len(still_open) == len(flags)
    team = caller.get("/api/v1/flags/", {"unit": world.units["team"].pk, "page_size": 1000})
    team_people = set(
        StaffProfile.objects.filter(unit=world.units["team"]).values_list("user_id", flat=True)
    )
    assert {f["person"] for f in team.json()["results"]} <= team_people
    outside = Unit.objects.get(name="Team B").pk
    assert caller.get("/api/v1/flags/", {"unit": outside}).json()["results"] == []
    assert caller.get("/api/v1/flags/", {"overdue_from": "2030-01-01"}).json()["results"] == []
    later = caller.get("/api/v1/flags/", {"updated_since": "2026-03-06T00:00:00Z"})
    assert later.json()["results"] == []


def test_updated_since_gives_only_what_changed(caller):
    world = caller.world
    assert caller.get("/api/v1/staff/", {"updated_since": "2026-03-06"}).json()["results"] == []
    with time_machine.travel(datetime(2026, 3, 7, 9, tzinfo=UTC), tick=False):
        profile = StaffProfile.objects.get(user=world.supervisee)
        profile.employment_type = "agency"
        profile.save(update_fields=["employment_type"])
        rows = caller.get("/api/v1/staff/", {"updated_since": "2026-03-06"}).json()["results"]
    assert [row["id"] for row in rows] == [world.supervisee.pk]


def test_a_new_name_or_line_supervisor_is_a_change_and_a_sign_in_is_not(caller):
    """The staff row shows the name, email and line supervisor: a change to any of them comes
    back in an incremental refresh; signing in or a new password does not."""
    world = caller.world

    def changed_since_6_march():
        rows = caller.get("/api/v1/staff/", {"updated_since": "2026-03-06"}).json()["results"]
        return {row["id"]: row for row in rows}

    with time_machine.travel(datetime(2026, 3, 7, 9, tzinfo=UTC), tick=False):
        world.supervisee.last_login = datetime(2026, 3, 7, 9, tzinfo=UTC)
        world.supervisee.save(update_fields=["last_login"])
        world.supervisee.set_password("a new long password 2026")
        world.supervisee.save()
        assert changed_since_6_march() == {}

        world.supervisee.full_name = "Renamed Person"
        world.supervisee.save(update_fields=["full_name"])
        changed = changed_since_6_march()
        assert list(changed) == [world.supervisee.pk]
        assert changed[world.supervisee.pk]["name"] == "Renamed Person"
        assert changed[world.supervisee.pk]["updated_at"].startswith("2026-03-07T09:00")

    with time_machine.travel(datetime(2026, 3, 7, 10, tzinfo=UTC), tick=False):
        # Loaded without the details, which are then read (a lazy load) and saved unchanged.
        partial = User.objects.only("id", "is_active").get(pk=world.supervisor.pk)
        assert partial.full_name and partial.email
        partial.save()
        assert list(changed_since_6_march()) == [world.supervisee.pk]

    with time_machine.travel(datetime(2026, 3, 8, 9, tzinfo=UTC), tick=False):
        line = SupervisoryRelationship.objects.filter(supervisee=world.supervisee).first()
        line.ends_on = date(2026, 3, 8)
        line.save(update_fields=["ends_on"])
        rows = caller.get("/api/v1/staff/", {"updated_since": "2026-03-08"}).json()["results"]
    assert [row["id"] for row in rows] == [world.supervisee.pk]


def test_bad_parameters_are_a_400_naming_them(caller):
    for url, params, name in [
        ("/api/v1/staff/", {"updated_since": "yesterday"}, "updated_since"),
        ("/api/v1/flags/", {"kind": "nonsense"}, "kind"),
        ("/api/v1/sessions/", {"starts_from": "5 March"}, "starts_from"),
        ("/api/v1/units/", {"page_size": "0"}, "page_size"),
        ("/api/v1/compliance/", {"as_of": "soon"}, "as_of"),
        ("/api/v1/staff/", {"unit": "x"}, "unit"),
    ]:
        response = caller.get(url, params)
        assert response.status_code == 400, (url, params)
        assert response["Content-Type"] == "application/problem+json"
        assert list(response.json()["errors"]) == [name]


@pytest.mark.parametrize("url", LISTS)
def test_a_list_costs_the_same_queries_at_any_page_size(caller, url):
    counts = []
    for size in (1, 50):
        with CaptureQueriesContext(connection) as queries:
            assert caller.get(url, {"page_size": size}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], url
    assert counts[0] == PINNED[url], (counts, [q["sql"][:90] for q in queries.captured_queries])


# Per call, whatever the page size: the token with its account (1), its last use (1), the
# reach (1), the page (1), and the audit entry (one statement reads the chain's head, writes
# the row and moves the head: 1, inside the savepoint its transaction makes within the test's
# own: 2). Down from 9: the entry took three statements.
PINNED = dict.fromkeys(LISTS, 7)
