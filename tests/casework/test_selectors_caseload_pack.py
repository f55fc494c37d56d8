"""The caseload and child page show the due dates of the organisation's own policy pack, the
same numbers the flags use."""

from datetime import UTC, datetime

import pytest
import time_machine

from casework import services
from oversight.models import OrganisationPolicy
from tests.world import build_world

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 5, 9, tzinfo=UTC)


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        world = build_world()
        # Youth justice, high risk of serious harm, allocated a month ago, never discussed.
        services.child_create(
            reference="YJ300003",
            initials="EF",
            service="youth_justice",
            plan="youth_justice_order",
            unit=world.units["team"],
            worker=world.supervisee,
            allocated_at=datetime(2026, 2, 1, 10, tzinfo=UTC),
            rag_rating="red",
            serious_harm_level="high",
            safety_wellbeing_level="medium",
            by=world.supervisor,
        )
        yield world


def caseload(client, world):
    client.force_login(world.supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/caseload/{world.supervisee.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_kent_reviews_high_risk_youth_justice_every_30_days(client, world):
    html = caseload(client, world)
    # 1 February + 30 days = 3 March: two days overdue on 5 March.
    assert "3 March 2026" in html and "2 days overdue" in html


def test_surrey_reviews_every_three_months_and_sets_no_allocation_window(client, world):
    OrganisationPolicy.objects.update(pack_code="surrey")
    html = caseload(client, world)
    # Surrey's case cycle is 3 months whatever the risk (001 §3.1): due 1 May.
    assert "1 May 2026" in html and "2 days overdue" not in html
