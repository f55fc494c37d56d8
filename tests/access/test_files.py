from datetime import date

import pytest
import time_machine
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from access.files import Action, get_file_for_user, may_read_personal_sections
from supervision.models import SupervisoryRelationship
from supervision.models.audit import AuditEvent
from supervision.people.services import relationship_change_line_supervisor
from tests.factories import RelationshipFactory, StaffProfileFactory, UserFactory
from tests.two_factor import give_second_factor
from tests.world import TODAY

pytestmark = pytest.mark.django_db


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = TODAY


def get_as(client, user, url, day=TODAY):
    """Sign in and visit on one day: sessions end after 30 idle minutes."""
    with time_machine.travel(day, tick=False):
        client.force_login(user)
        return client.get(url)


def request_as(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_the_file_moves_with_the_supervisee_on_a_change_of_supervisor(client, world):
    new_supervisor = StaffProfileFactory(unit=world.units["team"], user__full_name="Nell New").user
    with time_machine.travel(date(2026, 3, 10), tick=False):
        client.force_login(world.admin)
        response = client.post(
            f"/organisation/people/{world.supervisee.pk}/change-supervisor/",
            {"new_supervisor": new_supervisor.pk, "on_0": "10", "on_1": "3", "on_2": "2026"},
        )
        assert response.status_code == 302
        client.force_login(new_supervisor)
        page = client.get(f"/people/{world.supervisee.pk}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert world.supervisor.full_name in html, "the earlier supervisor's part of the history"
        assert "9 March 2026" in html, "the old relationship ended the day before"
        client.force_login(world.supervisor)
        assert client.get(f"/people/{world.supervisee.pk}/").status_code == 404
    lines = SupervisoryRelationship.objects.filter(supervisee=world.supervisee, kind="line")
    assert lines.filter(ends_on__isnull=True).get().supervisor == new_supervisor


def test_a_change_to_the_same_supervisor_changes_nothing(client, world):
    with time_machine.travel(date(2026, 3, 10), tick=False):
        client.force_login(world.admin)
        response = client.post(
            f"/organisation/people/{world.supervisee.pk}/change-supervisor/",
            {"new_supervisor": world.supervisor.pk, "on_0": "10", "on_1": "3", "on_2": "2026"},
        )
    assert response.status_code == 200
    assert "already supervises" in response.content.decode()
    assert not SupervisoryRelationship.objects.filter(ends_on__isnull=False).exists()


def test_a_change_dated_before_the_current_supervision_is_refused_whole(world):
    other = StaffProfileFactory(unit=world.units["team"]).user
    with pytest.raises(ValidationError) as error:
        relationship_change_line_supervisor(
            supervisee=world.supervisee, new_supervisor=other, on=date(2023, 1, 1), by=world.admin
        )
    assert "on" in error.value.message_dict
    assert SupervisoryRelationship.objects.filter(supervisor=other).count() == 0
    assert (
        SupervisoryRelationship.objects.get(supervisee=world.supervisee, kind="line").ends_on
        is None
    )


def test_the_change_of_supervisor_form_names_missing_fields(client, world):
    client.force_login(world.admin)
    response = client.post(f"/organisation/people/{world.supervisee.pk}/change-supervisor/", {})
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Choose the new line supervisor" in html
    assert "Enter the day, month and year" in html


def test_cover_gives_reach_for_the_cover_period_only(client, world):
    cover = StaffProfileFactory(unit=world.units["team"], user__full_name="Cora Cover").user
    RelationshipFactory(
        supervisor=cover,
        supervisee=world.supervisee,
        kind="temporary_cover",
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 20),
    )
    url = f"/people/{world.supervisee.pk}/"
    for day, status in [
        (date(2026, 3, 1), 404),
        (date(2026, 3, 2), 200),
        (date(2026, 3, 20), 200),
        (date(2026, 3, 21), 404),
    ]:
        assert get_as(client, cover, url, day).status_code == status, day
    with time_machine.travel(date(2026, 3, 10), tick=False):
        person, may_edit = get_file_for_user(request_as(cover), world.supervisee.pk, Action.EDIT)
        assert may_edit


def test_an_auditor_grant_ends_on_its_end_date(client, world):
    url = f"/people/{world.supervisee.pk}/"
    assert get_as(client, world.auditor_with_grant, url, date(2026, 3, 31)).status_code == 200
    assert get_as(client, world.auditor_with_grant, url, date(2026, 4, 1)).status_code == 404


def test_an_auditor_does_not_see_personal_sections_without_saying_so(world):
    with time_machine.travel(TODAY, tick=False):
        assert not may_read_personal_sections(world.auditor_with_grant, world.supervisee)
        assert may_read_personal_sections(world.supervisor, world.supervisee)
        assert may_read_personal_sections(world.senior_manager, world.supervisee)
        assert may_read_personal_sections(world.supervisee, world.supervisee)
        assert not may_read_personal_sections(world.admin, world.supervisee)


def test_a_senior_manager_reads_but_may_not_write(world):
    with time_machine.travel(TODAY, tick=False):
        person, may_edit = get_file_for_user(request_as(world.senior_manager), world.supervisee.pk)
        assert person == world.supervisee and not may_edit
        with pytest.raises(PermissionDenied):
            get_file_for_user(request_as(world.senior_manager), world.supervisee.pk, Action.EDIT)
        _, may_edit = get_file_for_user(request_as(world.supervisor), world.supervisee.pk)
        assert may_edit


def test_a_supervisee_may_read_but_not_write_their_own_file(world):
    with time_machine.travel(TODAY, tick=False), pytest.raises(PermissionDenied):
        get_file_for_user(request_as(world.supervisee), world.supervisee.pk, Action.EDIT)


def test_an_administrator_reads_no_file_even_as_a_supervisor(client, world):
    world.supervisor.is_staff = True
    world.supervisor.save()
    give_second_factor(world.supervisor)
    client.force_login(world.supervisor)
    with time_machine.travel(TODAY, tick=False):
        assert client.get(f"/people/{world.supervisee.pk}/").status_code == 404


def test_django_admin_holds_no_record_content(client, world):
    allowed = {
        "auth.group",
        "supervision.user",
        "supervision.unit",
        "supervision.jobrole",
        "supervision.staffprofile",
        "supervision.supervisoryrelationship",
        "supervision.accessgrant",
        "django_celery_beat.clockedschedule",
        "django_celery_beat.crontabschedule",
        "django_celery_beat.intervalschedule",
        "django_celery_beat.periodictask",
        "django_celery_beat.solarschedule",
    }
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered <= allowed, registered - allowed
    client.force_login(world.admin)
    for url in ["/admin/casework/child/", "/admin/supervision/auditevent/"]:
        assert client.get(url).status_code == 404


def test_every_denied_access_is_audited(client, world):
    client.force_login(world.other_supervisee)
    with time_machine.travel(TODAY, tick=False):
        client.get(f"/people/{world.supervisee.pk}/")
        client.get("/organisation/")
    denied = AuditEvent.objects.filter(action="denied", actor=world.other_supervisee)
    assert denied.count() == 2
    file_denial = denied.get(object_type="staff_file")
    assert file_denial.object_id == str(world.supervisee.pk)
    assert file_denial.detail["answer"] == 404
    assert file_denial.ip_address == "127.0.0.1"
    assert denied.get(object_type="page").object_id == "organisation"


def test_a_read_of_a_file_is_audited_with_who_what_when_and_where(client, world):
    client.force_login(world.senior_manager)
    with time_machine.travel(TODAY, tick=False):
        client.get(f"/people/{world.supervisee.pk}/")
    read = AuditEvent.objects.get(action="read", object_type="staff_file")
    assert read.actor == world.senior_manager
    assert read.subject == world.supervisee
    assert read.occurred_at.date() == TODAY
    assert read.path == f"/people/{world.supervisee.pk}/"
    client.force_login(world.auditor_with_grant)
    with time_machine.travel(TODAY, tick=False):
        log = client.get(f"/people/{world.supervisee.pk}/access/").content.decode()
    assert "Senior Manager" in log


def test_sign_ins_and_failures_are_audited(client, world):
    from tests.factories import SUPERVISEE_PASSWORD

    client.post("/sign-in/", {"login": world.supervisee.email, "password": "wrong"})
    client.post("/sign-in/", {"login": world.supervisee.email, "password": SUPERVISEE_PASSWORD})
    failed = AuditEvent.objects.get(action="sign_in_failed")
    assert failed.detail["email"] == world.supervisee.email and failed.actor is None
    assert AuditEvent.objects.get(action="sign_in").actor == world.supervisee


def test_the_database_allows_one_open_line_supervisor(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        SupervisoryRelationship.objects.create(
            supervisor=world.senior_manager,
            supervisee=world.supervisee,
            kind="line",
            starts_on=date(2026, 2, 1),
        )


def test_overlapping_line_supervision_is_explained_to_people(world):
    relationship = SupervisoryRelationship(
        supervisor=world.senior_manager,
        supervisee=world.supervisee,
        kind="line",
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 2, 1),
    )
    with pytest.raises(ValidationError) as error:
        relationship.full_clean()
    assert "already has a line supervisor" in str(error.value)


def test_postgres_refuses_overlapping_closed_line_relationships(world, postgres_only):
    with pytest.raises(IntegrityError), transaction.atomic():
        SupervisoryRelationship.objects.create(
            supervisor=world.senior_manager,
            supervisee=world.supervisee,
            kind="line",
            starts_on=date(2025, 1, 1),
            ends_on=date(2025, 2, 1),
        )


def test_my_team_lists_supervisees_with_all_their_supervisors(client, world):
    educator = UserFactory(full_name="Pat Educator")
    StaffProfileFactory(user=educator, unit=world.units["team"])
    RelationshipFactory(supervisor=educator, supervisee=world.supervisee, kind="practice_educator")
    client.force_login(world.supervisor)
    with time_machine.travel(TODAY, tick=False):
        html = client.get("/team/").content.decode()
    assert world.supervisee.full_name in html
    assert "Pat Educator" in html and "practice educator" in html


@pytest.mark.parametrize(
    ("who", "url", "answer"),
    [
        ("senior_manager", "/sessions/{session}/record/sign/", 403),
        ("supervisor", "/sessions/{session}/record/ask-for-changes/", 403),
        ("supervisor", "/sessions/{session}/record/actions/999999/review/", 404),
        ("senior_manager", "/sessions/{session}/record/disagreements/add/", 403),
    ],
)
def test_refusals_inside_views_are_audited_once(client, world, who, url, answer):
    url = url.format(session=world.session.pk)
    client.force_login(world.people[who])
    with time_machine.travel(TODAY, tick=False):
        response = client.post(url, {"outcome": "done"}) if "review" in url else client.get(url)
    assert response.status_code == answer
    denied = AuditEvent.objects.filter(action="denied", actor=world.people[who])
    assert denied.count() == 1
    assert denied.get().detail["answer"] == answer
