from datetime import date

import pytest
import time_machine
from django.urls import reverse

from supervision.models import StaffProfile
from tests.world import TODAY

pytestmark = pytest.mark.django_db


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = TODAY


def as_user(client, user, method, url, data=None):
    with time_machine.travel(TODAY, tick=False):
        client.force_login(user)
        return getattr(client, method)(url, data or {})


def test_an_administrator_marks_someone_as_left_and_the_file_becomes_read_only(client, world):
    url = f"/organisation/people/{world.supervisee.pk}/leaving/"
    response = as_user(
        client,
        world.admin,
        "post",
        url,
        {"leaving_date_0": "5", "leaving_date_1": "3", "leaving_date_2": "2026"},
    )
    assert response.status_code == 302
    profile = StaffProfile.objects.get(user=world.supervisee)
    assert not profile.is_active and profile.leaving_date == date(2026, 3, 5)
    # The file takes nothing new; the record of a session held before they left can still be
    # finished by the supervisor who held it, and finalised without their signature.
    new_observation = reverse("observation-new", args=[world.supervisee.pk])
    assert as_user(client, world.supervisor, "get", new_observation).status_code == 403
    record_edit = f"/sessions/{world.session.pk}/record/sections/reflection/"
    assert as_user(client, world.supervisor, "get", record_edit).status_code == 200
    assert as_user(
        client, world.supervisor, "get", f"/people/{world.supervisee.pk}/"
    ).status_code in (200, 404)
    organisation = as_user(client, world.admin, "get", "/organisation/").content.decode()
    assert "Left 5 March 2026" in organisation


def test_a_leaving_date_is_required_and_named(client, world):
    response = as_user(
        client, world.admin, "post", f"/organisation/people/{world.supervisee.pk}/leaving/", {}
    )
    assert "Enter the day, month and year" in response.content.decode()
    assert StaffProfile.objects.get(user=world.supervisee).is_active
