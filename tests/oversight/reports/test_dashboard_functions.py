"""The balance of the four functions of supervision (R3) on the senior managers' dashboard: of
the records finalised in the last quarter that say which functions the session covered, how
many covered each, by team and by person, as numbers with their share."""

import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oversight.policy.due import LONDON
from oversight.reports import dashboard
from supervision.models import RecordTemplate, SupervisionRecord, SupervisionSession
from tests.factories import JobRoleFactory, StaffProfileFactory, UnitFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=LONDON)
WORLD_AT = NOW
# The quarter to 31 March 2026: records finalised after 30 December 2025, 12:00.
M, D, S, ME = "management", "development", "support", "mediation"
# Queries of a service's page, whatever the number of its teams and records (see
# test_dashboard_queries.py for what they are); the functions add none, the concerns' counts
# one (tests/oversight/reports/test_dashboard_concerns.py).
# Issue 21: the audit entry one statement (two fewer), the closed months' summaries one read;
# the unit's own people counted in the by-row queries (three fewer); the navigation's roles in
# one statement (three fewer); the breadcrumb not read for a unit just below the top (one fewer).
SERVICE_PAGE_QUERIES = 18


def finalise(supervisee, supervisor, day: date, covered=None):
    """A record finalised on `day`; `covered` None for a record made before the question."""
    starts = datetime(day.year, day.month, day.day, 10, 0, tzinfo=LONDON)
    session = SupervisionSession.objects.create(
        supervisee=supervisee,
        supervisor=supervisor,
        session_type="individual",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        status=SupervisionSession.Status.HELD,
        created_by=supervisor,
    )
    answers = (
        {} if covered is None else {f"covers_{code}": code in covered for code in (M, D, S, ME)}
    )
    return SupervisionRecord.objects.create(
        session=session,
        template=RecordTemplate.objects.get(code="individual-staff-supervision", is_current=True),
        status=SupervisionRecord.Status.FINALISED,
        finalised_at=starts + timedelta(hours=6),
        content_hash="0" * 64,
        **answers,
    )


@pytest.fixture
def quarter(world):
    with time_machine.travel(NOW, tick=False):
        finalise(world.supervisee, world.supervisor, date(2026, 2, 10), {M, S})
        finalise(world.supervisee, world.supervisor, date(2026, 2, 24), {M, D})
        finalise(world.supervisee, world.supervisor, date(2026, 3, 10), {M, S})
        # Finalised in the quarter before the record asked: counted as finalised, not here.
        finalise(world.supervisee, world.supervisor, date(2026, 1, 6))
        # Before the quarter: not counted at all.
        finalise(world.supervisee, world.supervisor, date(2025, 12, 10), {M, D, S, ME})
    return world


def table_rows(html: str, table_id: str) -> dict[str, list[str]]:
    """Each row of a dashboard table: its label and the text of its cells."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    rows = {}
    for row in re.findall(r"<tr class=\"govuk-table__row[^\"]*\">(.*?)</tr>", table, re.S):
        cells = [
            " ".join(
                re.sub(r'<span class="govuk-visually-hidden">.*?</span>|<[^>]+>', "", c).split()
            )
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        if cells and cells[0] not in ("Team or person", "Person"):
            rows[cells[0]] = cells[1:]
    return rows


def page(client, user, name, **kwargs):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200
    return response.content.decode()


BALANCE = ["3", "3 (100%)", "1 (33%)", "2 (67%)", "0 (0%)"]


def test_the_service_page_shows_each_teams_balance_over_the_quarter(quarter, client):
    html = page(
        client, quarter.senior_manager, "dashboard-unit", unit_id=quarter.units["service"].pk
    )
    assert "Functions of supervision covered in the last quarter" in html
    assert "A session need not cover all four" in html
    rows = table_rows(html, "functions")
    assert rows["Team A"] == BALANCE
    assert rows["All of Service A"] == BALANCE
    # The records finalised in the quarter count the one from before the question too.
    assert table_rows(html, "quality")["Team A"][0] == "4"


def test_the_team_page_shows_each_persons_balance(quarter, client):
    html = page(client, quarter.senior_manager, "dashboard-unit", unit_id=quarter.units["team"].pk)
    rows = table_rows(html, "functions")
    assert rows["Supervisee"] == BALANCE
    assert rows["Supervisor"] == ["0", "0", "0", "0", "0"]


def test_each_function_figure_lists_the_records_behind_it(quarter, client):
    service = quarter.units["service"].pk
    for measure, expected in (("covers_management", 3), ("covers_mediation", 0)):
        html = page(
            client, quarter.senior_manager, "dashboard-items", unit_id=service, measure=measure
        )
        listed = re.search(r'<tbody class="govuk-table__body">(.*?)</tbody>', html, re.S)
        count = listed.group(1).count('<tr class="govuk-table__row">') if listed else 0
        assert count == expected, measure


def test_the_figures_come_from_the_records_query_already_made(quarter):
    at = NOW
    board = dashboard.build(dashboard.Scope(unit=quarter.units["service"]), at, is_now=True)
    got = {
        key: board.totals.get(key)
        for key in (dashboard.FUNCTIONS_RECORDED, *dashboard.FUNCTION_KEYS)
    }
    assert got == {
        "functions_recorded": 3,
        "covers_management": 3,
        "covers_development": 1,
        "covers_support": 2,
        "covers_mediation": 0,
    }
    assert board.totals.share("covers_support") == 67
    # The month of February: two records, one covering development.
    february = [m.label for m in board.months].index("February 2026")
    assert board.trends["covers_development"][february] == 1
    assert board.trends[dashboard.FUNCTIONS_RECORDED][february] == 2


def service_page_queries(client, world) -> int:
    client.force_login(world.senior_manager)
    url = reverse("dashboard-unit", kwargs={"unit_id": world.units["service"].pk})
    with time_machine.travel(NOW, tick=False):
        client.get(url)  # the first request of a session reads more (the session)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
    return len(queries)


def test_the_service_page_runs_the_same_queries_whatever_its_teams_and_records(quarter, client):
    before = service_page_queries(client, quarter)
    role = JobRoleFactory(code="sw-extra", name="Extra Social Worker", category="practitioner")
    with time_machine.travel(NOW, tick=False):
        for n in range(4):
            team = UnitFactory(name=f"Team {n}", parent=quarter.units["service"])
            for k in range(3):
                person = StaffProfileFactory(
                    user__email=f"t{n}p{k}@example.org", unit=team, job_role=role
                ).user
                for week in range(5):
                    finalise(
                        person, quarter.supervisor, date(2026, 1, 5) + timedelta(weeks=week), {M}
                    )
    assert service_page_queries(client, quarter) == before == SERVICE_PAGE_QUERIES
