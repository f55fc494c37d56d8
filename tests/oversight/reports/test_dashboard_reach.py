"""The dashboard's reach: a senior manager sees the units below them and nothing else, and a
unit's feedback counts its own staff only. Its own module, since the figures' tests share one
demo organisation that a second organisation would collide with."""

import re
from datetime import datetime

import pytest
import time_machine
from django.urls import reverse

from oversight.policy.due import LONDON
from supervision.models.audit import AuditEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=LONDON)


@pytest.fixture
def world():
    from tests.world import build_world

    with time_machine.travel(NOW, tick=False):
        return build_world()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("senior_manager", 200),
        ("other_senior_manager", 404),
        ("supervisor", 403),
        ("supervisee", 403),
        ("auditor_with_grant", 403),
        ("admin", 403),
    ],
)
def test_a_unit_outside_a_managers_reach_is_not_found_and_others_are_refused(
    world, client, role, status
):
    client.force_login(world.people[role])
    service = world.units["service"]
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("dashboard-unit", kwargs={"unit_id": service.pk}))
        person = client.get(reverse("dashboard-person", kwargs={"person_id": world.supervisee.pk}))
    assert response.status_code == status
    assert person.status_code == status
    if status == 404:
        assert AuditEvent.objects.filter(
            actor=world.people[role], action="denied", object_type="dashboard_unit"
        ).exists()


def test_a_person_above_the_managers_unit_is_not_in_reach(world, client):
    client.force_login(world.senior_manager)
    with time_machine.travel(NOW, tick=False):
        above = client.get(
            reverse("dashboard-person", kwargs={"person_id": world.auditor_with_grant.pk})
        )
        unknown = client.get(reverse("dashboard-items", kwargs={"unit_id": 9999, "measure": "x"}))
        bad_measure = client.get(
            reverse(
                "dashboard-items",
                kwargs={"unit_id": world.units["service"].pk, "measure": "no-such-figure"},
            )
        )
    assert (above.status_code, unknown.status_code, bad_measure.status_code) == (404, 404, 404)


# --- Exports ------------------------------------------------------------------------------------


def test_feedback_shows_each_units_own_staff_only_from_five_answers(world, client):
    """Q4 (001 §6; 002): feedback in aggregate on the dashboard, never for fewer than five
    people, each unit's own staff on its own row (oversight/quality/feedback.py)."""
    from oversight.models import FeedbackResponse
    from tests.factories import UserFactory

    team, service = world.units["team"], world.units["service"]

    def answers(unit, count, value):
        for _ in range(count):
            FeedbackResponse.objects.create(
                respondent=UserFactory(),
                supervisor=world.supervisor,
                unit=unit,
                period="2025-Q4",
                happens_when_planned=value,
                time_to_reflect=value,
                wellbeing_support=value,
                decisions_explained=value,
                records_accurate_and_shared=value,
                created_at=NOW,
            )

    answers(team, 5, 4)
    answers(service, 4, 2)
    client.force_login(world.senior_manager)
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("dashboard-unit", kwargs={"unit_id": service.pk})).content
    section = html.decode().split('id="feedback"')[1]
    assert "October to December 2025" in section
    team_row = re.search(r"Team A</th>(.*?)</tr>", section, re.S).group(1)
    assert team_row.count(">4.0<") == 5 and ">5<" in team_row
    service_row = re.search(r"Service A</th>(.*?)</tr>", section, re.S).group(1)
    assert "Fewer than five answers" in service_row and "2.0" not in service_row
