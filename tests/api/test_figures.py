"""The compliance report through the API is the command's, row for row, for the same moment;
the dashboard's figures are the dashboard's."""

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from oversight.reports import dashboard
from tests.api.helpers import bearer, service_account, token_for
from tests.factories import UserFactory
from tests.oversight.flags.small_org import at, build_org, local


@pytest.fixture
def org(db):
    """As tests/oversight/flags/test_compliance.py: p1 in Team A held a session on 2 March; p2
    in Team B was given a child late on 4 March."""
    with at(local(2026, 2, 1, 9)):
        org = build_org()
        org.p1 = org.person("p1", date(2025, 6, 2))
        org.p2 = org.person("p2", date(2025, 6, 2), unit=org.other_team)
        org.admin = UserFactory(is_staff=True)
    with at(local(2026, 3, 2, 11)):
        org.held(org.p1, local(2026, 3, 2, 10))
    with at(local(2026, 3, 4, 23)):
        org.child("NS500001", org.p2, local(2026, 3, 4, 23), unit=org.other_team)
    return org


def command_rows(*args) -> list[dict]:
    out = io.StringIO()
    call_command("compliance", *args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def caller_over(org, *units) -> Client:
    account = service_account(org.admin, units, scopes=["read_figures"])
    return Client(**bearer(token_for(account, org.admin)))


@pytest.mark.parametrize("as_of", ["2026-03-05", "2026-03-04T12:00", "2026-04-30T09:00+01:00"])
def test_the_compliance_report_is_the_commands_for_the_same_moment(org, as_of):
    whole = caller_over(org, org.team.parent)
    with at(local(2026, 5, 1, 9)):
        answer = whole.get("/api/v1/compliance/", {"as_of": as_of})
        expected = command_rows("--as-of", as_of)
        team = whole.get("/api/v1/compliance/", {"as_of": as_of, "unit": org.team.pk})
        expected_team = command_rows("--as-of", as_of, "--unit", org.team.code)
    assert answer.status_code == 200
    assert expected, "the moment has overdue items"
    assert answer.json()["rows"] == expected
    assert team.json()["rows"] == expected_team


def test_the_compliance_report_keeps_to_the_tokens_units(org):
    team_only = caller_over(org, org.team)
    with at(local(2026, 5, 1, 9)):
        rows = team_only.get("/api/v1/compliance/", {"as_of": "2026-03-05"}).json()["rows"]
        expected = command_rows("--as-of", "2026-03-05", "--unit", org.team.code)
        outside = team_only.get("/api/v1/compliance/", {"unit": org.other_team.pk})
    assert rows == expected
    assert all(row["staff"] != "p2@example.org" for row in rows)
    assert outside.status_code == 404


def test_the_dashboard_figures_are_the_dashboards(org):
    whole = caller_over(org, org.team.parent)
    with at(local(2026, 3, 5, 12)):
        body = whole.get("/api/v1/figures/", {"as_of": "2026-03-05"}).json()
        board = dashboard.build(
            dashboard.Scope(unit=org.team.parent),
            dashboard.moment_for(date(2026, 3, 5), local(2026, 3, 5, 12)),
            is_now=True,
        )
    (unit,) = body["units"]
    assert unit["unit"] == org.team.parent.pk
    assert unit["totals"]["staff"] == board.totals.get("staff") == 3
    assert unit["totals"]["allocation_not_discussed"] == board.totals.get(
        "allocation_not_discussed"
    )
    assert [m["month"] for m in unit["months"]][-1] == "2026-03"
    assert len(unit["months"]) == dashboard.TREND_MONTHS
    assert {row["unit"] for row in unit["below"]} == {org.team.pk, org.other_team.pk}
    assert {m["key"] for m in body["measures"]} == set(unit["totals"])


def _queries_of(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/api/v1/compliance/", "/api/v1/figures/"])
def test_a_report_costs_the_same_queries_however_many_people_and_sessions(org, url):
    """The compliance report and the figures are one evaluation each: more staff, sessions
    and children in the token's units add rows, never queries."""
    whole = caller_over(org, org.team.parent)
    params = {"as_of": "2026-03-05"}
    with at(local(2026, 3, 5, 12)):
        before = _queries_of(whole, url, params)
    with at(local(2026, 2, 1, 9)):
        for n in range(3, 9):
            person = org.person(f"p{n}", date(2025, 6, 2))
            org.held(person, local(2026, 2, 2, 10))
    with at(local(2026, 3, 4, 23)):
        org.child("NS500009", org.p1, local(2026, 3, 4, 23))
    with at(local(2026, 3, 5, 12)):
        after = _queries_of(whole, url, params)
    assert after == before, (url, before, after)
