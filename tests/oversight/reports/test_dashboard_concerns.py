"""The dashboard counts open concerns and escalated disagreements by unit: counts only, no
names, no text, and one query whatever their number."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision.concerns import services
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def counts_table(html: str) -> str:
    return html[html.index('id="concerns"') :]


def unit_page_queries(client, world) -> int:
    url = reverse("dashboard-unit", kwargs={"unit_id": world.units["service"].pk})
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_counts_by_unit_without_names_or_words_in_a_bounded_number_of_queries(client, world):
    with time_machine.travel(DAY, tick=False):
        client.force_login(world.senior_manager)
        before = unit_page_queries(client, world)
        for text in ("Secret words one", "Secret words two"):
            services.concern_raise(supervisee=world.supervisee, text=text)
        services.disagreement_escalate(
            disagreement=world.disagreement, text="Secret escalation", by=world.supervisee
        )
        closed = services.concern_raise(supervisee=world.supervisee, text="Secret words three")
        services.concern_withdraw(concern=closed, by=world.supervisee)
        after = unit_page_queries(client, world)
        html = client.get(
            reverse("dashboard-unit", kwargs={"unit_id": world.units["service"].pk})
        ).content.decode()
    assert after == before  # the same queries whatever is counted
    table = counts_table(html)
    assert '<th scope="row" class="govuk-table__header">Team A</th>' in table
    team_row = table[table.index("Team A") : table.index("</tr>", table.index("Team A"))]
    assert ">2<" in team_row and ">1<" in team_row  # two concerns open, one escalation
    assert "Secret" not in html
    assert world.supervisee.full_name not in table


def test_a_past_date_counts_what_was_open_then(client, world):
    with time_machine.travel(DAY, tick=False):
        concern = services.concern_raise(supervisee=world.supervisee, text="Too short")
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        services.concern_answer(
            concern=concern, text="Agreed", resolve=True, by=world.senior_manager
        )
        client.force_login(world.senior_manager)
        url = reverse("dashboard-unit", kwargs={"unit_id": world.units["service"].pk})
        then = counts_table(client.get(url + "?date=2026-03-06").content.decode())
        now = counts_table(client.get(url).content.decode())
    total = (
        '<th scope="row" class="govuk-table__header">Total</th>'
        '<td class="govuk-table__cell govuk-table__cell--numeric">'
    )
    assert total + "1<" in then
    assert total + "0<" in now


@pytest.fixture
def world():
    with time_machine.travel(DAY, tick=False):
        yield build_world()
