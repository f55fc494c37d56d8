"""Who may export everything held about a person: the person, and information governance with
a reason; never a system administrator, whatever else they are (access/subject_access.py)."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.urls import reverse

from oversight.models import SubjectAccessExport
from supervision.models.audit import AuditEvent
from supervision.organisation.roles import INFORMATION_GOVERNANCE_GROUP
from tests.factories import UserFactory
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_time():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture(autouse=True)
def no_worker(monkeypatch):
    """The zip is built by a Celery task; these tests are about who may ask and download."""
    from oversight import tasks

    monkeypatch.setattr(tasks.subject_access_export_build_task, "delay", lambda *args: None)


@pytest.fixture
def world():
    world = build_world()
    governance = Group.objects.create(name=INFORMATION_GOVERNANCE_GROUP)
    world.people["ig_officer"] = UserFactory(email="ian.gordon@example.org", full_name="Ian Gordon")
    governance.user_set.add(world.people["ig_officer"])
    # An administrator who is in the information governance group too: still refused.
    world.people["ig_admin"] = UserFactory(
        email="ig.admin@example.org", full_name="Ig Admin", is_staff=True
    )
    governance.user_set.add(world.people["ig_admin"])
    export = SubjectAccessExport(
        person=world.supervisee,
        requested_by=world.supervisee,
        requested_at=datetime(2026, 3, 5, 9, tzinfo=UTC),
        status="done",
        progress=100,
    )
    export.file.save("export.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18), save=False)
    export.save()
    world.export = export
    return world


def urls(world):
    person = world.supervisee.pk
    return {
        "page": reverse("subject-access", kwargs={"person_id": person}),
        "progress": reverse(
            "subject-access-progress", kwargs={"person_id": person, "export_id": world.export.pk}
        ),
        "download": reverse(
            "subject-access-download", kwargs={"person_id": person, "export_id": world.export.pk}
        ),
    }


# Status by role for (page, progress, download, post with a reason).
EXPECTED = {
    "supervisee": (200, 200, 200, 302),
    "ig_officer": (200, 200, 200, 302),
    "admin": (403, 403, 403, 403),
    "ig_admin": (403, 403, 403, 403),
    "supervisor": (403, 403, 403, 403),
    "senior_manager": (403, 403, 403, 403),
    "auditor_with_grant": (403, 403, 403, 403),
    "other_supervisee": (404, 404, 404, 404),
    "auditor_without_grant": (404, 404, 404, 404),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_who_may_export_and_download(client, world, role):
    client.force_login(world.people[role])
    addresses = urls(world)
    got = (
        client.get(addresses["page"]).status_code,
        client.get(addresses["progress"]).status_code,
        client.get(addresses["download"]).status_code,
        client.post(addresses["page"], {"reason": "Request IG-2026-041"}).status_code,
    )
    assert got == EXPECTED[role], role
    refusals = AuditEvent.objects.filter(
        action="denied", actor=world.people[role], object_type="subject_access_export"
    )
    if EXPECTED[role][0] in (403, 404):
        assert refusals.count() == 4
        assert set(refusals.values_list("subject", flat=True)) == {world.supervisee.pk}
        assert not SubjectAccessExport.objects.filter(requested_by=world.people[role]).exists()
    else:
        assert not refusals.exists()


def test_an_administrator_is_refused_with_the_reason_said(client, world):
    client.force_login(world.admin)
    response = client.get(urls(world)["download"])
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="download").exists()


def test_information_governance_must_give_a_reason(client, world):
    client.force_login(world.ig_officer)
    page = client.get(urls(world)["page"]).content.decode()
    assert 'name="reason"' in page

    response = client.post(urls(world)["page"], {"reason": "   "})
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert 'href="#id_reason"' in page
    assert "Enter the reason for this export" in page
    assert not SubjectAccessExport.objects.filter(requested_by=world.ig_officer).exists()


def test_the_person_needs_no_reason(client, world):
    client.force_login(world.supervisee)
    assert 'name="reason"' not in client.get(urls(world)["page"]).content.decode()
    assert client.post(urls(world)["page"], {}).status_code == 302
    export = SubjectAccessExport.objects.filter(requested_by=world.supervisee).latest("pk")
    assert export.reason == ""


def test_the_reason_is_kept_audited_and_shown_on_the_persons_access_log(client, world):
    reason = "Subject access request received 2 March 2026, reference IG-2026-041"
    client.force_login(world.ig_officer)
    response = client.post(urls(world)["page"], {"reason": reason})
    assert response.status_code == 302
    export = SubjectAccessExport.objects.get(requested_by=world.ig_officer)
    assert export.person == world.supervisee
    assert export.reason == reason
    entry = AuditEvent.objects.get(
        action="export", actor=world.ig_officer, object_type="subject_access_export"
    )
    assert entry.subject == world.supervisee
    assert entry.detail["reason"] == reason

    # The person sees it beside the export.
    client.force_login(world.supervisee)
    assert reason in client.get(urls(world)["page"]).content.decode()

    # And it is on their file's access log.
    client.force_login(world.senior_manager)
    log = client.get(reverse("file-access-log", kwargs={"person_id": world.supervisee.pk}))
    assert log.status_code == 200
    assert reason in log.content.decode()


def test_information_governance_downloads_with_an_audit_entry(client, world):
    client.force_login(world.ig_officer)
    response = client.get(urls(world)["download"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert AuditEvent.objects.filter(
        action="download", actor=world.ig_officer, subject=world.supervisee
    ).exists()


def test_information_governance_reaches_only_people_with_a_staff_profile(client, world):
    client.force_login(world.ig_officer)
    nobody = reverse("subject-access", kwargs={"person_id": world.admin.pk})
    assert client.get(nobody).status_code == 404
    assert client.get(reverse("subject-access", kwargs={"person_id": 999999})).status_code == 404


def test_an_administrator_may_still_export_their_own_data(client, world):
    client.force_login(world.admin)
    own = reverse("subject-access", kwargs={"person_id": world.admin.pk})
    assert client.get(own).status_code == 200


# --- Finding the person a request is about ---------------------------------------------------

SEARCH = "/subject-access/"


@pytest.mark.parametrize(
    "role,status",
    [
        ("ig_officer", 200),
        ("ig_admin", 403),
        ("admin", 403),
        ("supervisor", 403),
        ("senior_manager", 403),
        ("supervisee", 403),
        ("auditor_with_grant", 403),
    ],
)
def test_only_information_governance_may_search_for_a_person(client, world, role, status):
    client.force_login(world.people[role])
    assert client.get(SEARCH, {"q": "Supervisee"}).status_code == status


def test_information_governance_finds_a_person_and_their_export_page(client, world):
    client.force_login(world.ig_officer)
    home = client.get("/").content.decode()
    assert f'href="{SEARCH}"' in home  # in the navigation
    page = client.get(SEARCH, {"q": "other super"}).content.decode()
    assert "Other Supervisee" in page
    assert reverse("subject-access", kwargs={"person_id": world.other_supervisee.pk}) in page
    assert "Senior Manager" not in page
    entry = AuditEvent.objects.filter(object_type="list", object_id="subject access search").get()
    assert entry.actor == world.ig_officer
    assert entry.detail == {"count": 1}  # the words searched for are not kept: they are a name


def test_a_search_of_one_letter_names_the_field(client, world):
    client.force_login(world.ig_officer)
    page = client.get(SEARCH, {"q": " a "}).content.decode()
    assert "Error: Subject access requests" in page
    assert 'href="#q">Enter at least 2 letters of the person' in page


def test_a_search_shows_leavers_and_escapes_what_was_typed(client, world):
    from supervision.people.leaving import staff_mark_left

    staff_mark_left(person=world.other_supervisee, leaving_date=TODAY, by=world.admin)
    client.force_login(world.ig_officer)
    page = client.get(SEARCH, {"q": "Supervisee"}).content.decode()
    assert "5 March 2026" in page
    page = client.get(SEARCH, {"q": "<script>x"}).content.decode()
    assert "<script>x" not in page
    assert "containing “&lt;script&gt;x”" in page


def test_the_search_runs_the_same_queries_for_1_or_30_people_found(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supervision.models import Unit
    from tests.factories import StaffProfileFactory

    team = Unit.objects.get(name="Team A")
    client.force_login(world.ig_officer)
    counts = []
    for extra in (1, 29):
        for n in range(extra):
            StaffProfileFactory(
                user__email=f"extra{len(counts)}.{n}@example.org",
                user__full_name="Extra Person",
                unit=team,
            )
        with CaptureQueriesContext(connection) as queries:
            page = client.get(SEARCH, {"q": "extra person"}).content.decode()
        counts.append(len(queries))
        assert page.count("Extra Person") == (1 if extra == 1 else 30)
    # Issue 21: the audit entry is one statement (three before); the roles one (four before).
    assert counts == [6, 6]
