"""List pages run the same number of queries however much there is to list."""

from datetime import date

import pytest
import time_machine

from supervision.models import SupervisoryRelationship
from supervision.organisation import audit
from tests.factories import StaffProfileFactory
from tests.world import TODAY

pytestmark = pytest.mark.django_db


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = TODAY


def grow_team(world, count):
    for _ in range(count):
        person = StaffProfileFactory(unit=world.units["team"]).user
        SupervisoryRelationship.objects.create(
            supervisor=world.supervisor,
            supervisee=person,
            kind="line",
            starts_on=date(2025, 1, 1),
        )
        audit.record(
            audit.AuditAction.READ,
            actor=world.senior_manager,
            object_type="staff_file",
            object_id=person.pk,
            subject=person,
        )


@pytest.mark.parametrize(
    ("role", "url", "queries"),
    [
        # The navigation's roles are one statement (issue 21: three or four before).
        ("supervisor", "/team/", 10),
        ("admin", "/organisation/", 8),
        ("senior_manager", "/audit/", 8),
    ],
)
def test_list_pages_do_not_grow_with_the_data(
    client, world, django_assert_num_queries, role, url, queries
):
    for size in (3, 120):
        grow_team(world, size)
        with time_machine.travel(TODAY, tick=False):
            client.force_login(world.people[role])
            client.get(url)  # the first request after sign-in also creates the session row
            # Justify any query added to these pages.
            with django_assert_num_queries(queries):
                assert client.get(url).status_code == 200
