"""Casework is reachable from where people already are: My team, the file, the session."""

from datetime import UTC, datetime

import pytest
import time_machine

from supervision.models import SupervisionSession

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 5, 9, tzinfo=UTC)


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = NOW


def page(client, user, url):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_my_team_links_to_the_team_board_group_supervision_and_caseloads(client, world):
    team = world.units["team"]
    html = page(client, world.supervisor, "/team/")
    assert f'href="/teams/{team.pk}/case-progression/"' in html
    assert f'href="/teams/{team.pk}/group-supervision/"' in html
    assert f'href="/caseload/{world.supervisee.pk}/"' in html


def test_the_file_links_to_the_caseload_only_for_those_who_reach_the_children(client, world):
    caseload = f'href="/caseload/{world.supervisee.pk}/"'
    assert caseload in page(client, world.supervisor, f"/people/{world.supervisee.pk}/")
    # The auditor reads the staff file under a grant, but not the children on the caseload.
    auditor_view = page(client, world.auditor_with_grant, f"/people/{world.supervisee.pk}/")
    assert caseload not in auditor_view
    assert f'href="/people/{world.supervisee.pk}/front-door/"' in auditor_view


def test_a_case_session_links_to_its_children_and_an_individual_session_does_not(client, world):
    case = SupervisionSession.objects.create(
        supervisee=world.supervisee,
        supervisor=world.supervisor,
        session_type="case",
        starts_at=datetime(2026, 3, 3, 10, tzinfo=UTC),
        ends_at=datetime(2026, 3, 3, 11, tzinfo=UTC),
        created_by=world.supervisor,
    )
    assert f"/sessions/{case.pk}/children/" in page(
        client, world.supervisor, f"/sessions/{case.pk}/"
    )
    individual = page(client, world.supervisor, f"/sessions/{world.session.pk}/")
    assert f"/sessions/{world.session.pk}/children/" not in individual
