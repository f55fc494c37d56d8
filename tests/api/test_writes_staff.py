"""A leaver and a change of line supervisor through the API: the same services as the
administrators' pages, so the same state follows; idempotent; only within the token's units."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision.models import StaffProfile, SupervisoryRelationship, User
from supervision.models.audit import AuditEvent
from tests.api.writes import leaving_url, post_json, supervisor_url, writer
from tests.world import TODAY

WORLD_AT = TODAY
# Pinned: the token (2), its account's units, the person (and the new supervisor and the open
# supervision), then the page's own service: its validation, writes and audit entries; the
# call's audit entry. A repeat reads only, and writes its call's audit entry. Saving the profile
# reads its row as it was, to know which dashboard summaries the new dates change (issue 21).
# Issue 21: each audit entry is one statement (three before): two fewer an entry in a test's
# savepoint (two entries a write and its call, one a repeat).
LEAVING_QUERIES = 21
LEAVING_AGAIN_QUERIES = 7
SUPERVISOR_QUERIES = 43


def leave_by_page(client, world, person, day: date):
    client.force_login(world.admin)
    response = client.post(
        f"/organisation/people/{person.pk}/leaving/",
        {"leaving_date_0": day.day, "leaving_date_1": day.month, "leaving_date_2": day.year},
    )
    assert response.status_code == 302
    client.logout()


def leave_by_api(client, world, person, day: date):
    response = post_json(writer(world), {"leaving_date": day.isoformat()}, leaving_url(person))
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "person": person.pk,
        "leaving_date": day.isoformat(),
        "changed": True,
    }


def change_by_page(client, world, person, supervisor, day: date):
    client.force_login(world.admin)
    response = client.post(
        f"/organisation/people/{person.pk}/change-supervisor/",
        {"new_supervisor": supervisor.pk, "on_0": day.day, "on_1": day.month, "on_2": day.year},
    )
    assert response.status_code == 302
    client.logout()


def change_by_api(client, world, person, supervisor, day: date):
    response = post_json(
        writer(world),
        {"supervisor": supervisor.pk, "starts_on": day.isoformat()},
        supervisor_url(person),
    )
    assert response.status_code == 200, response.json()
    assert response.json()["changed"] is True


def relationships_of(person) -> list[tuple]:
    return list(
        SupervisoryRelationship.objects.filter(supervisee=person)
        .order_by("starts_on")
        .values_list("supervisor_id", "kind", "starts_on", "ends_on")
    )


# --- A leaver ---------------------------------------------------------------------------------


@pytest.mark.parametrize("way", [leave_by_page, leave_by_api], ids=["page", "api"])
def test_a_leaver_recorded_ahead_ends_their_supervision_on_the_day(client, world, way):
    person = world.supervisee
    way(client, world, person, date(2026, 3, 31))

    profile = StaffProfile.objects.get(user=person)
    assert profile.leaving_date == date(2026, 3, 31) and profile.is_active is False
    assert User.objects.get(pk=person.pk).is_active  # closed by the daily job, not yet
    assert [r[3] for r in relationships_of(person)] == [date(2026, 3, 31)]
    assert AuditEvent.objects.filter(
        object_type="staff_file", object_id=str(person.pk), detail__event="marked as left"
    ).exists()


@pytest.mark.parametrize("way", [leave_by_page, leave_by_api], ids=["page", "api"])
def test_a_leaving_date_already_past_closes_the_account_at_once(client, world, way):
    person = world.supervisee
    way(client, world, person, date(2026, 3, 2))

    assert User.objects.get(pk=person.pk).is_active is False
    assert [r[3] for r in relationships_of(person)] == [date(2026, 3, 2)]


def test_the_same_leaving_date_again_is_a_200_that_changes_nothing(world):
    token = writer(world)
    url = leaving_url(world.supervisee)
    post_json(token, {"leaving_date": "2026-03-31"}, url)
    marked = AuditEvent.objects.filter(object_type="staff_file").count()

    again = post_json(token, {"leaving_date": "2026-03-31"}, url)

    assert again.status_code == 200
    assert again.json()["changed"] is False
    assert AuditEvent.objects.filter(object_type="staff_file").count() == marked


def test_a_different_date_corrects_the_one_recorded(world):
    token = writer(world)
    url = leaving_url(world.supervisee)
    post_json(token, {"leaving_date": "2026-03-31"}, url)

    response = post_json(token, {"leaving_date": "2026-04-30"}, url)

    assert response.json()["changed"] is True
    assert StaffProfile.objects.get(user=world.supervisee).leaving_date == date(2026, 4, 30)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "leaving_date", "This field is required."),
        ({"leaving_date": "31/03/2026"}, "leaving_date", "Date has wrong format"),
        (
            {"leaving_date": "2020-01-01"},
            "leaving_date",
            "Enter a leaving date on or after the start date.",
        ),
    ],
)
def test_a_bad_leaving_date_is_a_400_naming_the_field(world, body, field, message):
    response = post_json(writer(world), body, leaving_url(world.supervisee))

    assert response.status_code == 400
    assert response.json()["errors"][field][0].startswith(message)
    assert StaffProfile.objects.get(user=world.supervisee).leaving_date is None


def test_someone_outside_the_tokens_units_is_not_found(world):
    token = writer(world, units=("team",))

    for person in (world.other_supervisee, world.senior_manager, world.admin):
        response = post_json(token, {"leaving_date": "2026-03-31"}, leaving_url(person))
        assert response.status_code == 404
    assert not StaffProfile.objects.filter(leaving_date__isnull=False).exists()


def test_the_call_is_audited_with_no_content(world):
    post_json(writer(world), {"leaving_date": "2026-03-31"}, leaving_url(world.supervisee))

    call = AuditEvent.objects.get(object_type="api_call")
    assert call.object_id == "api-v1-staff-leaving"
    assert call.detail["rows"] == 1 and call.detail["method"] == "POST"
    assert "2026-03-31" not in str(call.detail)


# --- A change of line supervisor -------------------------------------------------------------


@pytest.mark.parametrize("way", [change_by_page, change_by_api], ids=["page", "api"])
def test_a_change_of_supervisor_hands_over_on_the_day(client, world, way):
    person = world.supervisee
    old = SupervisoryRelationship.objects.get(supervisee=person)

    way(client, world, person, world.senior_manager, date(2026, 3, 10))

    assert relationships_of(person) == [
        (world.supervisor.pk, "line", old.starts_on, date(2026, 3, 9)),
        (world.senior_manager.pk, "line", date(2026, 3, 10), None),
    ]
    assert AuditEvent.objects.filter(
        object_type="supervisory_relationship", detail__change="line supervisor changed"
    ).exists()


def test_the_same_change_again_is_a_200_that_changes_nothing(world):
    token = writer(world)
    url = supervisor_url(world.supervisee)
    body = {"supervisor": world.senior_manager.pk, "starts_on": "2026-03-10"}
    first = post_json(token, body, url).json()
    after = relationships_of(world.supervisee)

    again = post_json(token, body, url)

    assert again.status_code == 200
    assert again.json() == {**first, "changed": False}
    assert first["previous_supervisor"] == world.supervisor.pk
    assert relationships_of(world.supervisee) == after


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"starts_on": "2026-03-10"}, "supervisor", "This field is required."),
        ({"supervisor": "x", "starts_on": "2026-03-10"}, "supervisor", "A valid integer"),
        (
            {"supervisor": 0, "starts_on": "2026-03-10"},
            "supervisor",
            "Ensure this value is greater",
        ),
        ({"supervisor": 999999, "starts_on": "2026-03-10"}, "supervisor", "Choose a member"),
        ("same", "supervisor", "Choose a member of staff who is still working"),
        ("current", "supervisor", "Supervisor already supervises"),
        ("elsewhere", "supervisor", "Choose a member of staff who is still working"),
        ("early", "starts_on", "Enter a date after the current supervision began"),
    ],
)
def test_a_bad_change_is_a_400_naming_the_field(world, body, field, message):
    who = {
        "same": world.supervisee,
        "current": world.supervisor,
        "elsewhere": world.other_team_supervisor,
        "early": world.senior_manager,
    }
    if isinstance(body, str):
        day = "2020-01-01" if body == "early" else "2026-03-10"
        body = {"supervisor": who[body].pk, "starts_on": day}
    before = relationships_of(world.supervisee)

    response = post_json(writer(world), body, supervisor_url(world.supervisee))

    assert response.status_code == 400
    assert response.json()["errors"][field][0].startswith(message), response.json()
    assert relationships_of(world.supervisee) == before


def test_ids_past_what_the_database_holds_are_refused_not_overflowed(world):
    token = writer(world)
    huge = 2**63

    class Nobody:
        pk = huge

    assert post_json(token, {"leaving_date": "2026-03-31"}, leaving_url(Nobody)).status_code == 404
    body = {"supervisor": huge, "starts_on": "2026-03-10"}
    refused = post_json(token, body, supervisor_url(world.supervisee))
    assert refused.status_code == 400 and "supervisor" in refused.json()["errors"]


def test_a_supervisee_outside_the_tokens_units_is_not_found(world):
    body = {"supervisor": world.supervisor.pk, "starts_on": "2026-03-10"}

    response = post_json(writer(world), body, supervisor_url(world.other_supervisee))

    assert response.status_code == 404


# --- Queries ----------------------------------------------------------------------------------


def test_each_write_costs_a_fixed_number_of_queries(world):
    token = writer(world)
    leaving = {"leaving_date": "2026-03-31"}
    change = {"supervisor": world.senior_manager.pk, "starts_on": "2026-03-10"}
    calls = [
        (change, supervisor_url(world.supervisee)),
        (leaving, leaving_url(world.supervisee)),
        (leaving, leaving_url(world.supervisee)),
    ]

    counted = []
    for body, url in calls:
        with CaptureQueriesContext(connection) as queries:
            assert post_json(token, body, url).status_code == 200
        counted.append(len(queries))

    assert counted == [SUPERVISOR_QUERIES, LEAVING_QUERIES, LEAVING_AGAIN_QUERIES]
