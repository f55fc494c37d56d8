"""Issue 8, point 6: the dashboard runs a fixed number of queries whatever the size of the
organisation: the same at 50 and at 2,000 staff, every level pinned."""

from datetime import date, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.synthetic import generate_org
from oversight.policy.due import LONDON
from supervision.models import StaffProfile, Unit

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 5)
NOW = datetime(2026, 3, 5, 12, tzinfo=LONDON)
# Each level's queries, whatever the size. A unit: 7 for the figures (the units below it and
# its own people; flags, staff, records finalised (what each contributed when finalised), and
# cancellations, each once by row for the date and the 12 months together, the unit's own
# people by person in the same query; the two breakdowns), 2 for supervisee
# feedback (the units, the answers added up), 1 for the open concerns and escalated
# disagreements counted by unit, the rest for the
# session, the viewer's units and roles, the unit, the breadcrumb, the audit entry and the
# navigation.
# Issue 21: the audit entry is one statement (three before), two fewer each; a unit's own
# people counted in the by-row queries, three fewer; the navigation's roles one statement (three
# before), three fewer. The breadcrumb read only for the units between the top and the page's
# (none for the top and a unit just below it): one fewer on those.
PINNED = {
    "organisation": 18,
    "service": 18,
    "team": 19,
    "person": 14,
    "items": 8,
    "person items": 9,
}


def level_urls(top: Unit) -> dict[str, str]:
    service = max(Unit.objects.filter(parent=top), key=lambda u: u.children.count())
    team = max(Unit.objects.filter(parent=service), key=lambda u: u.staff.count())
    person = StaffProfile.objects.filter(unit=team, leaving_date__isnull=True).first().user
    return {
        "organisation": reverse("dashboard-unit", kwargs={"unit_id": top.pk}),
        "service": reverse("dashboard-unit", kwargs={"unit_id": service.pk}),
        "team": reverse("dashboard-unit", kwargs={"unit_id": team.pk}),
        "person": reverse("dashboard-person", kwargs={"person_id": person.pk}),
        "items": reverse(
            "dashboard-items", kwargs={"unit_id": top.pk, "measure": "case_review_overdue"}
        ),
        "person items": reverse(
            "dashboard-person-items", kwargs={"person_id": person.pk, "measure": "action_overdue"}
        ),
    }


def queries_per_level(client, top: Unit, query: str = "") -> dict[str, int]:
    client.force_login(top.manager)
    counts = {}
    for level, url in level_urls(top).items():
        client.get(url + query)  # the first request of a session reads more (the session)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url + query)
        assert response.status_code == 200, (level, url)
        counts[level] = len(queries)
    return counts


def test_the_dashboard_runs_the_same_queries_at_50_and_at_2000_staff(client):
    with time_machine.travel(NOW, tick=False):
        small = generate_org(staff=50, years=1, children=200, today=TODAY, prefix="small")
        large = generate_org(staff=2000, years=1, children=2000, today=TODAY, prefix="large")
        under = large["directorate"].path
        assert StaffProfile.objects.filter(unit__path__startswith=under).count() >= 2000
        for query in ("", "?date=2025-12-10"):
            at_50 = queries_per_level(client, small["directorate"], query)
            at_2000 = queries_per_level(client, large["directorate"], query)
            assert at_50 == at_2000, query
            assert at_50 == PINNED, query
