"""An agreement may set more frequent supervision than its policy pack, and less frequent only
where the pack allows it, never below its floor (rule F7). Kent's pack
(Kent's policy Supervision timescales: "a minimum of 1 hour per month") allows no less."""

import copy
import html
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from agreements import services
from agreements.models import SupervisionAgreement
from oversight.models import PolicyPackVersion
from oversight.policy.services import organisation_pack_choose, pack_version_create
from supervision.models import JobRole, SupervisoryRelationship
from tests.factories import SUPERVISEE_PASSWORD, JobRoleFactory, StaffProfileFactory

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
KENT_MONTHLY = (
    "Kent County Council's policy asks for supervision at least monthly for practitioners: "
    "choose a frequency of 4 weeks or more often"
)


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = DAY


def post(user, url, data):
    client = Client()
    with time_machine.travel(DAY, tick=False):
        client.force_login(user)
        return client.post(url, data)


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def frequency_error(response) -> str:
    found = re.findall(
        r'<span id="id_frequency_value_\d+_error" class="govuk-error-message"> '
        r'<span class="govuk-visually-hidden">Error:</span>(.*?)</span>',
        text(response),
    )
    assert found, "no error beside the frequency"
    return " ".join(message.strip() for message in found)


def form_data(frequency, unit="weeks", **overrides):
    data = {
        "starts_on_0": "5",
        "starts_on_1": "3",
        "starts_on_2": "2026",
        "review_due_on_0": "5",
        "review_due_on_1": "3",
        "review_due_on_2": "2027",
        "frequency_value": str(frequency),
        "frequency_unit": unit,
        "duration_minutes": "90",
        "mode": "in_person",
        **services.DEFAULT_TEXT,
        "specific_provisions": "",
    }
    data.update(overrides)
    return data


def new_relationship(world, role=None):
    profile = StaffProfileFactory(unit=world.units["team"], **({"job_role": role} if role else {}))
    relationship = SupervisoryRelationship.objects.create(
        supervisor=world.supervisor,
        supervisee=profile.user,
        kind="line",
        starts_on=date(2026, 3, 1),
    )
    return relationship


def draw_up(world, relationship, frequency, unit="weeks"):
    return post(
        world.supervisor,
        f"/relationships/{relationship.pk}/agreements/new/",
        form_data(frequency, unit),
    )


def kent_version(world, effective_from, *, allowed, floor=None):
    """A new version of Kent's pack, saying whether agreements may be less frequent."""
    data = copy.deepcopy(PolicyPackVersion.objects.filter(code="kent").latest("version").data)
    data["agreement"]["less_frequent_allowed"] = allowed
    data["agreement"]["floor"] = floor
    return pack_version_create("kent", data, effective_from, world.admin)


def test_six_weekly_supervision_for_a_practitioner_is_refused_under_kent(world):
    relationship = new_relationship(world)
    response = draw_up(world, relationship, 6)
    assert response.status_code == 200
    assert frequency_error(response) == KENT_MONTHLY
    assert f'href="#id_frequency_value">{KENT_MONTHLY}' in text(response)
    assert not SupervisionAgreement.objects.filter(relationship=relationship).exists()


def test_two_monthly_is_refused_with_a_suggestion_in_months(world):
    relationship = new_relationship(world)
    response = draw_up(world, relationship, 2, "months")
    assert frequency_error(response) == (
        "Kent County Council's policy asks for supervision at least monthly for practitioners: "
        "choose a frequency of 1 month or more often"
    )
    assert not SupervisionAgreement.objects.filter(relationship=relationship).exists()


@pytest.mark.parametrize(("frequency", "unit"), [(2, "weeks"), (4, "weeks"), (1, "months")])
def test_as_often_or_more_often_than_the_pack_is_accepted(world, frequency, unit):
    relationship = new_relationship(world)
    assert draw_up(world, relationship, frequency, unit).status_code == 302
    agreement = SupervisionAgreement.objects.get(relationship=relationship)
    assert (agreement.frequency_value, agreement.frequency_unit) == (frequency, unit)


def test_five_weeks_is_not_monthly(world):
    """At least monthly means never a longer gap than a month: 35 days is longer than any."""
    relationship = new_relationship(world)
    assert frequency_error(draw_up(world, relationship, 5)) == KENT_MONTHLY


def test_a_student_is_held_to_their_settled_fortnightly_interval(world):
    """004 F3: students are supervised weekly, then fortnightly."""
    student = JobRoleFactory(code="sw-student", name="Social Work Student", category="student")
    relationship = new_relationship(world, student)
    assert frequency_error(draw_up(world, relationship, 4)) == (
        "Kent County Council's policy asks for supervision at least fortnightly for students: "
        "choose a frequency of 2 weeks or more often"
    )
    assert draw_up(world, relationship, 2).status_code == 302


def test_changing_the_draft_to_less_often_is_refused_and_the_draft_kept(world):
    response = post(world.supervisor, f"/agreements/{world.agreement.pk}/edit/", form_data(6))
    assert response.status_code == 200
    assert frequency_error(response) == KENT_MONTHLY
    world.agreement.refresh_from_db()
    assert (world.agreement.frequency_value, world.agreement.frequency_unit) == (4, "weeks")


def test_the_service_names_the_frequency_with_the_models_own_problems(world):
    relationship = new_relationship(world)
    with pytest.raises(ValidationError) as caught:
        services.agreement_draft(
            relationship=relationship,
            by=world.supervisor,
            frequency_value=6,
            frequency_unit="weeks",
            starts_on=date(2026, 3, 5),
            review_due_on=date(2026, 3, 1),
        )
    assert caught.value.message_dict == {
        "frequency_value": [KENT_MONTHLY],
        "review_due_on": ["Enter a review date after the start date"],
    }


def test_a_pack_that_allows_less_frequent_agreements_accepts_them_down_to_its_floor(world):
    kent_version(world, date(2026, 3, 5), allowed=True, floor={"every": 6, "unit": "weeks"})
    relationship = new_relationship(world)
    response = draw_up(world, relationship, 8)
    assert frequency_error(response) == (
        "Kent County Council's policy lets an agreement set supervision no less often than "
        "every 6 weeks for practitioners: choose a frequency of 6 weeks or more often"
    )
    assert draw_up(world, relationship, 6).status_code == 302
    assert SupervisionAgreement.objects.get(relationship=relationship).frequency_value == 6


def test_a_version_already_scheduled_is_held_to_as_well(world):
    """An agreement runs until its review: a stricter version starting before then counts."""
    kent_version(world, date(2026, 3, 5), allowed=True, floor={"every": 6, "unit": "weeks"})
    kent_version(world, date(2026, 6, 1), allowed=False)
    relationship = new_relationship(world)
    assert frequency_error(draw_up(world, relationship, 6)) == f"From 1 June 2026, {KENT_MONTHLY}"
    assert not SupervisionAgreement.objects.filter(relationship=relationship).exists()


def test_a_draft_that_the_pack_no_longer_allows_cannot_be_signed(world):
    kent_version(world, date(2026, 3, 5), allowed=True, floor={"every": 6, "unit": "weeks"})
    relationship = new_relationship(world)
    assert draw_up(world, relationship, 6).status_code == 302
    agreement = SupervisionAgreement.objects.get(relationship=relationship)
    with time_machine.travel(DAY, tick=False):
        organisation_pack_choose("surrey", world.admin)
    response = post(
        world.supervisor, f"/agreements/{agreement.pk}/sign/", {"password": SUPERVISEE_PASSWORD}
    )
    assert response.status_code == 200
    assert (
        "Change the draft before signing it. Surrey County Council's policy asks for "
        "supervision at least monthly for practitioners: choose a frequency of 4 weeks or more "
        "often"
    ) in text(response)
    assert not agreement.signatures.exists()


def test_the_world_agreement_of_four_weeks_stands_under_every_shipped_pack(world):
    for code in ("kent", "surrey", "policy-002"):
        with time_machine.travel(DAY, tick=False):
            organisation_pack_choose(code, world.admin)
        assert services.agreement_frequency_problem(world.agreement) is None, code
    assert JobRole.objects.get(pk=world.supervisee.profile.job_role_id).category == "practitioner"
