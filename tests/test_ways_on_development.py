"""Practice observations and development conversations have a way on for each party after a
change of supervisor, and say the truth when the person who had to sign first has left."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client

from supervision.leaving import staff_mark_left
from supervision.models import DevelopmentConversation, PracticeObservation
from supervision.services import relationship_change_line_supervisor
from tests.factories import SUPERVISEE_PASSWORD, StaffProfileFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
CHANGED = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)
LEFT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
PASSWORD = {"password": SUPERVISEE_PASSWORD}


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        world = build_world(development=True)
        PracticeObservation.objects.filter(pk=world.observation.pk).update(
            observer_feedback="Warm and clear with the family."
        )
        world.new = StaffProfileFactory(
            user__email="joanne.fletcher@example.org",
            user__full_name="Joanne Fletcher",
            unit=world.units["team"],
            job_role=world.supervisor.profile.job_role,
        ).user
    return world


def change_supervisor(world):
    with time_machine.travel(NOW, tick=False):
        relationship_change_line_supervisor(
            supervisee=world.supervisee,
            new_supervisor=world.new,
            on=date(2026, 3, 9),
            by=world.senior_manager,
        )


def as_(person, at):
    client = Client()
    with time_machine.travel(at, tick=False):
        client.force_login(person)
    return client


def get(client, url, at):
    with time_machine.travel(at, tick=False):
        return client.get(url)


def post(client, url, at, data=None):
    with time_machine.travel(at, tick=False):
        return client.post(url, data or {})


def urls(world):
    person = world.supervisee.pk
    return {
        "observation": f"/people/{person}/observations/{world.observation.pk}/",
        "conversation": f"/people/{person}/development/{world.development_conversation.pk}/",
    }


@pytest.mark.parametrize("what", ["observation", "conversation"])
def test_after_a_change_of_supervisor_the_old_one_still_signs_what_she_wrote(world, what):
    change_supervisor(world)
    page_url = urls(world)[what]
    sign_url = page_url + ("sign/" if what == "observation" else "sign/")
    old = as_(world.supervisor, CHANGED)
    # Her reach over the file has ended...
    assert get(old, f"/people/{world.supervisee.pk}/", CHANGED).status_code == 404
    # ...but what she wrote and has not signed is on her home page, and she signs it.
    home = get(old, "/", CHANGED).content.decode()
    assert "Observations and development plans to sign (2)" in home
    assert f'href="{page_url}"' in home
    page = get(old, page_url, CHANGED)
    assert page.status_code == 200
    assert f'href="{sign_url}"' in page.content.decode()
    assert 'href="/" class="govuk-back-link"' in page.content.decode()
    assert post(old, sign_url, CHANGED, PASSWORD).status_code == 302
    # Then the person signs their part.
    supervisee = as_(world.supervisee, CHANGED)
    if what == "observation":
        assert PracticeObservation.objects.get().status == "observer_signed"
        respond = page_url + "respond/"
        assert f'href="{respond}"' in get(supervisee, page_url, CHANGED).content.decode()
        response = post(supervisee, respond, CHANGED, {"comments": "Fair", **PASSWORD})
        assert response.status_code == 302
        assert PracticeObservation.objects.get().status == "signed"
    else:
        assert DevelopmentConversation.objects.get().status == "supervisor_signed"
        assert f'href="{sign_url}"' in get(supervisee, page_url, CHANGED).content.decode()
        assert post(supervisee, sign_url, CHANGED, PASSWORD).status_code == 302
        assert DevelopmentConversation.objects.get().status == "signed"
    # Nothing else of the file opens to her, and the new supervisor cannot sign for her.
    assert get(old, f"/people/{world.supervisee.pk}/observations/", CHANGED).status_code == 404


@pytest.mark.parametrize("what", ["observation", "conversation"])
def test_the_new_supervisor_cannot_sign_what_someone_else_wrote(world, what):
    change_supervisor(world)
    new = as_(world.new, CHANGED)
    page = get(new, urls(world)[what], CHANGED).content.decode()
    assert f'href="{urls(world)[what]}sign/"' not in page


@pytest.mark.parametrize("what", ["observation", "conversation"])
def test_when_the_first_signer_has_left_every_page_says_it_cannot_be_signed(world, what):
    change_supervisor(world)
    with time_machine.travel(NOW, tick=False):
        staff_mark_left(person=world.supervisor, leaving_date=date(2026, 3, 13), by=world.admin)
    supervisee = as_(world.supervisee, LEFT)
    page = get(supervisee, urls(world)[what], LEFT).content.decode()
    assert "Supervisor left without signing" in page
    assert "records a new" in page
    follow = urls(world)[what] + ("respond/" if what == "observation" else "sign/")
    assert "Supervisor left without signing" in get(supervisee, follow, LEFT).content.decode()
    new_page = get(as_(world.new, LEFT), urls(world)[what], LEFT).content.decode()
    assert "Supervisor left without signing" in new_page
