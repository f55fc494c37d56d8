"""Refusals name whom they were about, and list pages are audited.

A person's access log is the audit entries whose subject is them: a refusal that names no
subject is invisible there, so who tried to open their file could not be seen.
"""

import pytest
import time_machine
from django.urls import reverse

from supervision.models.audit import AuditAction, AuditEvent
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    with time_machine.travel(TODAY, tick=False):
        return build_world()


def _get(client, user, url):
    client.force_login(user)
    with time_machine.travel(TODAY, tick=False):
        return client.get(url)


def _refusals_about(person):
    return AuditEvent.objects.filter(action=AuditAction.DENIED, subject=person)


@pytest.mark.parametrize(
    ("url_name", "kwargs_from"),
    [
        ("staff-file", lambda w: {"person_id": w.supervisee.pk}),
        ("record", lambda w: {"session_id": w.session.pk}),
        ("relationship-agreements", lambda w: {"relationship_id": w.relationship.pk}),
        ("caseload", lambda w: {"person_id": w.supervisee.pk}),
    ],
)
def test_a_refused_outsider_shows_on_the_persons_access_log(client, world, url_name, kwargs_from):
    url = reverse(url_name, kwargs=kwargs_from(world))
    assert _get(client, world.other_team_supervisor, url).status_code == 404
    refusal = _refusals_about(world.supervisee).get()
    assert refusal.actor == world.other_team_supervisor
    assert refusal.detail["answer"] == 404
    # The senior manager over the supervisee reads who tried.
    log = _get(client, world.senior_manager, reverse("file-access-log", args=[world.supervisee.pk]))
    assert world.other_team_supervisor.full_name in log.content.decode()


def test_a_refusal_of_a_child_names_the_child_and_the_worker(client, world):
    child = world.child
    response = _get(client, world.other_team_supervisor, reverse("child", args=[child.pk]))
    assert response.status_code == 404
    refusal = AuditEvent.objects.get(action=AuditAction.DENIED, object_type="child")
    assert refusal.detail["child"] == child.pk
    assert refusal.subject_id == child.allocated_worker_id


def test_a_refusal_by_role_names_the_person_in_the_address(client, world):
    """Pages refused for want of a role (not by an object getter) are audited by the
    middleware, which names the person the address points at."""
    url = reverse("change-supervisor", args=[world.supervisee.pk])
    assert _get(client, world.supervisor, url).status_code == 403
    assert _refusals_about(world.supervisee).get().actor == world.supervisor


def test_an_id_of_nobody_is_refused_without_a_subject(client, world):
    assert _get(client, world.supervisor, "/people/999999/").status_code == 404
    refusal = AuditEvent.objects.get(action=AuditAction.DENIED)
    assert refusal.subject is None and refusal.object_id == "999999"


@pytest.mark.parametrize(
    ("role", "url", "name"),
    [
        ("supervisee", "/", "home"),
        ("supervisor", "/team/", "my_team"),
        ("admin", "/organisation/", "organisation"),
        ("senior_manager", "/quality/", "quality_samples"),
    ],
)
def test_list_pages_write_one_audited_read_naming_the_list(client, world, role, url, name):
    assert _get(client, world.people[role], url).status_code == 200
    entry = AuditEvent.objects.get(action=AuditAction.READ, object_type="list")
    assert entry.object_id == name
    assert entry.actor == world.people[role]
