"""People and units administered through the product's own pages, not the Django admin."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client

from oversight.models import Notification
from supervision.models import JobRole, StaffProfile, SupervisoryRelationship, Unit, User
from supervision.models.audit import AuditAction, AuditEvent
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_day():
    with time_machine.travel(DAY, tick=False):
        yield


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def admin(world):
    client = Client()
    client.force_login(world.admin)
    return client


def person_data(world, **changes):
    data = {
        "full_name": "Priya Shah",
        "email": "Priya.Shah@example.org",
        "job_role": world.supervisee.profile.job_role_id,
        "unit": world.units["team"].pk,
        "start_date_0": "9",
        "start_date_1": "3",
        "start_date_2": "2026",
        "employment_type": "permanent",
        "line_supervisor": world.supervisor.pk,
        "send_link": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_organisation_page_adds_people_and_units_without_the_django_admin(world, admin):
    page = admin.get("/organisation/").content.decode()
    assert 'href="/organisation/people/add/"' in page
    assert 'href="/organisation/units/add/"' in page
    assert f'href="/organisation/people/{world.supervisee.pk}/change/"' in page
    assert "Add or edit units, people and job roles" not in page


def test_adding_a_person_with_their_supervisor_and_a_link_to_set_a_password(world, admin):
    response = admin.post("/organisation/people/add/", person_data(world))
    assert response.status_code == 302
    person = User.objects.get(email="priya.shah@example.org")
    assert person.full_name == "Priya Shah"
    assert not person.has_usable_password()
    profile = StaffProfile.objects.get(user=person)
    assert profile.unit == world.units["team"] and profile.start_date == date(2026, 3, 9)
    assert profile.next_check_at is None, "the due-date job looks at them on its next tick"
    line = SupervisoryRelationship.objects.get(supervisee=person)
    assert (line.supervisor, line.kind, line.starts_on) == (
        world.supervisor,
        "line",
        date(2026, 3, 9),
    )
    email = Notification.objects.get(recipient=person)
    assert email.subject.startswith("Set your password")
    entry = AuditEvent.objects.filter(action=AuditAction.WRITE, object_type="staff").last()
    assert entry.detail["change"] == "person added" and entry.subject_id == person.pk
    follow = admin.get(response["Location"]).content.decode()
    assert "Priya Shah added and sent a link to set their password" in follow
    assert "Priya Shah" in follow


def test_an_email_already_in_use_is_named_and_nothing_is_added(world, admin):
    before = User.objects.count()
    response = admin.post(
        "/organisation/people/add/",
        person_data(world, email=world.supervisee.email.upper()),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{world.supervisee.full_name} already has the email address" in page
    assert 'href="#id_email"' in page
    assert User.objects.count() == before


def test_missing_details_are_each_named(world, admin):
    page = admin.post("/organisation/people/add/", {}).content.decode()
    for message in (
        "Enter their full name",
        "Enter their work email address",
        "Choose their job role",
        "Choose the team or unit they work in",
        "Enter their start date",
    ):
        assert message in page


def test_changing_someones_details(world, admin):
    manager_role = JobRole.objects.get(code="practice-manager")
    url = f"/organisation/people/{world.supervisee.pk}/change/"
    assert world.supervisee.full_name in admin.get(url).content.decode()
    data = person_data(
        world,
        full_name="Supervisee Jones",
        email=world.supervisee.email,
        job_role=manager_role.pk,
        unit=world.units["service"].pk,
        start_date_0=world.supervisee.profile.start_date.day,
        start_date_1=world.supervisee.profile.start_date.month,
        start_date_2=world.supervisee.profile.start_date.year,
        line_supervisor=None,
        send_link=None,
    )
    assert admin.post(url, data).status_code == 302
    world.supervisee.refresh_from_db()
    profile = StaffProfile.objects.get(user=world.supervisee)
    assert world.supervisee.full_name == "Supervisee Jones"
    assert profile.job_role == manager_role and profile.unit == world.units["service"]
    entry = AuditEvent.objects.filter(action=AuditAction.WRITE, object_type="staff").last()
    assert set(entry.detail["fields"]) == {"full_name", "job_role", "unit"}


def test_adding_a_unit_and_moving_a_team_to_another_service(world, admin):
    response = admin.post(
        "/organisation/units/add/",
        {
            "name": "Family Safeguarding South",
            "code": "fs-south",
            "kind": "team",
            "parent": world.units["service"].pk,
            "manager": world.supervisor.pk,
        },
    )
    assert response.status_code == 302
    south = Unit.objects.get(code="fs-south")
    assert south.path.startswith(world.units["service"].path)
    assert south.manager == world.supervisor
    # The team moves to the other service; everyone in it moves with it.
    other_service = Unit.objects.get(name="Service B")
    team = world.units["team"]
    response = admin.post(
        f"/organisation/units/{team.pk}/change/",
        {"name": team.name, "code": team.code, "kind": "team", "parent": other_service.pk},
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.path.startswith(other_service.path)
    assert team.manager is None, "the manager was taken off"


def test_a_unit_cannot_be_put_inside_itself_or_take_a_code_in_use(world, admin):
    service = world.units["service"]
    team = world.units["team"]
    page = admin.post(
        f"/organisation/units/{service.pk}/change/",
        {"name": service.name, "code": service.code, "kind": "service", "parent": team.pk},
    ).content.decode()
    assert "Select a valid choice" in page
    page = admin.post(
        "/organisation/units/add/",
        {"name": "Copy", "code": team.code, "kind": "team"},
    ).content.decode()
    assert "A unit with this code already exists" in page
    service.refresh_from_db()
    assert service.parent == world.units["directorate"]


def test_only_the_system_administrator_may_add_people(world):
    client = Client()
    client.force_login(world.senior_manager)
    assert client.post("/organisation/people/add/", person_data(world)).status_code == 403
    assert not User.objects.filter(email="priya.shah@example.org").exists()


def test_an_administrator_emails_someone_a_link_to_set_their_password(world, admin):
    url = f"/organisation/people/{world.supervisee.pk}/change/"
    assert "a link to set their password" in admin.get(url).content.decode()
    response = admin.post(f"/organisation/people/{world.supervisee.pk}/send-link/")
    assert response["Location"] == url
    assert Notification.objects.filter(recipient=world.supervisee, kind="set_password").exists()
    assert "is on its way to supervisee@example.org" in admin.get(url).content.decode()
