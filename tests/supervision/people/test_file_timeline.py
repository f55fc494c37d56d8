"""The supervision file: everything about one member of staff, in time order."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from supervision.models import Action, RecordTemplate, SupervisionRecord, SupervisionSession
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    with time_machine.travel(TODAY, tick=False):
        yield build_world(development=True)


def fill_file(world, sessions: int):
    """`sessions` past sessions, each with a record and an action: two items each."""
    template = RecordTemplate.objects.get(session_type="individual", is_current=True, audience="")
    start = datetime(2024, 1, 1, 10, tzinfo=UTC)
    made = SupervisionSession.objects.bulk_create(
        SupervisionSession(
            supervisee=world.supervisee,
            supervisor=world.supervisor,
            session_type="individual",
            starts_at=start + timedelta(days=3 * i),
            ends_at=start + timedelta(days=3 * i, hours=1),
            status="cancelled" if i % 7 == 0 else "held",
            cancellation_reason="Sickness" if i % 7 == 0 else "",
            created_by=world.supervisor,
        )
        for i in range(sessions)
    )
    records = SupervisionRecord.objects.bulk_create(
        SupervisionRecord(session=s, template=template) for s in made if s.status == "held"
    )
    Action.objects.bulk_create(
        Action(
            record=r,
            supervisee=world.supervisee,
            description=f"Action {r.pk}",
            owner="supervisee",
            due_date=date(2024, 2, 1) + timedelta(days=i),
        )
        for i, r in enumerate(records)
    )


def get_file(client, user, world, query=""):
    with time_machine.travel(TODAY, tick=False):
        client.force_login(user)
        return client.get(f"/people/{world.supervisee.pk}/{query}")


def test_the_file_shows_everything_newest_first_and_filters_by_kind_and_year(client, world):
    fill_file(world, 20)
    html = get_file(client, world.supervisor, world).content.decode()
    assert "Supervision agreement with" in html and "Cancelled" in html and "Action " in html
    assert "Practice observation by" in html and "Development plan for 2026" in html
    table = html.split("Items on the file")[1]
    assert table.index("4 March 2026") < table.index("2024"), "newest first"
    only_actions = get_file(client, world.supervisor, world, "?kind=action").content.decode()
    only_actions = only_actions.split("Items on the file")[1]
    assert "Action " in only_actions and "Supervision agreement with" not in only_actions
    in_2026 = get_file(client, world.supervisor, world, "?year=2026").content.decode()
    table = in_2026.split("Items on the file")[1]
    assert "2024" not in table and "4 March 2026" in table


def test_the_file_page_runs_a_fixed_number_of_queries_at_500_items(
    client, world, django_assert_num_queries
):
    fill_file(world, 10)
    get_file(client, world.supervisor, world)
    with time_machine.travel(TODAY, tick=False), django_assert_num_queries(FILE_PAGE_QUERIES):
        small = client.get(f"/people/{world.supervisee.pk}/")
    fill_file(world, 270)  # with the first ten, over 500 items
    with time_machine.travel(TODAY, tick=False), django_assert_num_queries(FILE_PAGE_QUERIES):
        large = client.get(f"/people/{world.supervisee.pk}/")
    assert large.content.decode().count('<tr class="govuk-table__row">') > 500
    assert len(large.content) > len(small.content)


# Justify any query added here: one per kind of item, not per item; three decide whether
# the viewer may open the caseload (a grant over the file does not reach the children); two
# for the person's flags (the open ones, and the newest resolved ones for the history); one
# for the link to the person's absences (S5): whether they line supervise anyone and whether
# the viewer manages a unit above them.
# Issue 21: an audit entry is one statement (three before): two fewer in a test's savepoint;
# the units the viewer manages are read once, not for each question of reach. Session 12: the
# navigation's roles in one statement (three before): two fewer.
FILE_PAGE_QUERIES = 21
