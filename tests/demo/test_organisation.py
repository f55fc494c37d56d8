"""The demo organisation as `load_demo` builds it without its year of history: its units,
staff, relationships, agreements, children and sign-ins. Built once for the module; each test
runs in a savepoint, so what one test writes is gone before the next."""

from datetime import date

import pytest
from django.db.models import Count

from access.roles import roles_for
from casework.models import Child
from demo.organisation import DEMO_ACCOUNTS, DEMO_PASSWORD, email_of, load_demo
from supervision.accounts.policy import two_factor_required
from supervision.models import (
    JobRole,
    StaffProfile,
    SupervisoryRelationship,
    Unit,
    User,
)
from tests.two_factor import give_second_factor, sign_in
from tests.world import kept_for_the_module

TODAY = date(2026, 3, 5)


pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def kept_demo(django_db_setup, django_db_blocker):
    with kept_for_the_module(django_db_blocker):
        yield load_demo(TODAY, history=False)


@pytest.fixture
def demo(kept_demo, db):
    return kept_demo


def test_it_builds_a_directorate_of_three_services_and_six_teams(demo):
    directorate = Unit.objects.get(kind="directorate")
    services = Unit.objects.filter(parent=directorate, kind="service")
    assert sorted(services.values_list("name", flat=True)) == [
        "Children's Social Work",
        "Early Help",
        "Youth Justice",
    ]
    assert Unit.objects.filter(kind="team", parent__in=services).count() == 6
    assert not Unit.objects.filter(manager__isnull=True).exists(), "every unit has a manager"


def test_it_has_about_forty_staff_in_every_role_of_the_domain(demo):
    assert 38 <= StaffProfile.objects.count() <= 45
    in_use = set(StaffProfile.objects.values_list("job_role__code", flat=True))
    for role in [
        "social-worker",
        "asye-social-worker",
        "social-work-student",
        "family-support-worker",
        "early-help-practitioner",
        "personal-adviser",
        "youth-justice-worker",
        "iro",
        "cp-chair",
        "lado",
        "practice-manager",
        "team-manager",
        "service-manager",
        "head-of-service",
    ]:
        assert role in in_use, role
    categories = set(JobRole.objects.values_list("category", flat=True))
    assert set(JobRole.Category.values) - {"support"} <= categories
    assert StaffProfile.objects.filter(employment_type="agency").exists()
    assert StaffProfile.objects.filter(employment_type="part_time").exists()


def test_it_gives_every_practitioner_a_line_supervisor_and_the_student_a_practice_educator(demo):
    without = StaffProfile.objects.exclude(
        user__supervised_by__kind="line", user__supervised_by__ends_on__isnull=True
    ).values_list("user__full_name", flat=True)
    assert list(without) == ["Margaret Osei"], "only the director is supervised outside the system"
    student = User.objects.get(profile__job_role__code="social-work-student")
    assert student.supervised_by.filter(kind="practice_educator").exists()
    assert SupervisoryRelationship.objects.filter(kind="line", ends_on__isnull=False).exists(), (
        "someone changed supervisor, so the demo shows a file that moved"
    )


def test_it_has_about_two_hundred_children_spread_across_caseloads(demo):
    assert Child.objects.count() == 200
    assert not Child.objects.filter(allocated_worker__isnull=True).exists()
    per_worker = Child.objects.values("allocated_worker").annotate(n=Count("id"))
    assert len(per_worker) >= 20
    assert Child.objects.filter(closed_on__isnull=False).exists()


@pytest.mark.parametrize(("role", "name"), DEMO_ACCOUNTS)
def test_every_demo_account_signs_in_to_its_home_page(client, role, name, demo):
    person = User.objects.get(email=email_of(name))
    response = client.post("/sign-in/", {"login": email_of(name), "password": DEMO_PASSWORD})
    assert response.status_code == 302, role
    if two_factor_required(person):
        # Those who must use a second factor set one up first, at their first sign-in.
        assert client.get("/")["Location"].startswith("/account/two-factor/")
        give_second_factor(person)
        client.post("/sign-out/")
        assert sign_in(client, email_of(name), DEMO_PASSWORD).status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert User.objects.get(email=email_of(name)).full_name in home.content.decode()


def test_demo_accounts_have_the_roles_they_are_listed_for(demo):
    roles = {
        role: roles_for(User.objects.get(email=email_of(name)), TODAY)
        for role, name in DEMO_ACCOUNTS
    }
    assert roles["Supervisor (team manager)"].supervisor
    assert roles["Senior manager (head of service)"].senior_manager
    assert roles["Quality assurance auditor"].auditor
    assert roles["System administrator"].system_admin
    admin = roles["System administrator"]
    assert not (admin.supervisee or admin.supervisor or admin.senior_manager)
    assert roles["Supervisee (social worker)"].supervisee
    assert not roles["Supervisee (social worker)"].supervisor


def test_most_relationships_have_a_signed_agreement_and_some_do_not(demo):
    from agreements.models import SupervisionAgreement
    from agreements.services import agreement_hash

    statuses = list(SupervisionAgreement.objects.values_list("status", flat=True))
    assert statuses.count("active") > 25
    assert {"active", "draft", "superseded"} <= set(statuses)
    lines = SupervisoryRelationship.objects.filter(kind="line", ends_on__isnull=True)
    assert lines.exclude(agreements__isnull=False).exists(), "some have none yet"
    for agreement in SupervisionAgreement.objects.filter(status="active")[:10]:
        assert agreement.content_hash == agreement_hash(agreement)
