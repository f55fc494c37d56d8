"""Supervision agreements (rules A1–A3): drawn up jointly, signed by both, locked, reviewed
into new versions, superseded by a change of supervisor."""

import subprocess
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.utils.html import escape

from agreements import services
from agreements.models import AgreementLockedError, SupervisionAgreement
from supervision.models import SupervisoryRelationship
from supervision.people.services import relationship_change_line_supervisor
from tests.factories import SUPERVISEE_PASSWORD, StaffProfileFactory

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = DAY


def visit(client, user, method, url, data=None):
    with time_machine.travel(DAY, tick=False):
        client.force_login(user)
        return getattr(client, method)(url, data or {})


def sign_both(client, world, agreement):
    for person in (world.supervisor, world.supervisee):
        response = visit(
            client,
            person,
            "post",
            f"/agreements/{agreement.pk}/sign/",
            {"password": SUPERVISEE_PASSWORD},
        )
        assert response.status_code == 302
    agreement.refresh_from_db()
    return agreement


def form_data(**overrides):
    data = {
        "starts_on_0": "5",
        "starts_on_1": "3",
        "starts_on_2": "2026",
        "review_due_on_0": "5",
        "review_due_on_1": "3",
        "review_due_on_2": "2027",
        "frequency_value": "4",
        "frequency_unit": "weeks",
        "duration_minutes": "90",
        "mode": "in_person",
        **services.DEFAULT_TEXT,
        "specific_provisions": "",
    }
    data.update(overrides)
    return data


def new_relationship(world):
    other = StaffProfileFactory(unit=world.units["team"]).user
    return SupervisoryRelationship.objects.create(
        supervisor=world.supervisor, supervisee=other, kind="line", starts_on=date(2026, 3, 1)
    ), other


def test_a_new_relationship_has_no_agreement_until_both_sign_one(client, world):
    relationship, person = new_relationship(world)
    page = visit(client, world.supervisor, "get", f"/relationships/{relationship.pk}/agreements/")
    assert "There is no agreement for this supervision yet" in page.content.decode()
    response = visit(
        client,
        world.supervisor,
        "post",
        f"/relationships/{relationship.pk}/agreements/new/",
        form_data(),
    )
    assert response.status_code == 302
    agreement = SupervisionAgreement.objects.get(relationship=relationship)
    assert agreement.status == "draft" and services.agreement_in_force(relationship) is None
    visit(
        client,
        world.supervisor,
        "post",
        f"/agreements/{agreement.pk}/sign/",
        {"password": SUPERVISEE_PASSWORD},
    )
    agreement.refresh_from_db()
    assert agreement.status == "draft", "one signature is not enough"
    visit(
        client,
        person,
        "post",
        f"/agreements/{agreement.pk}/sign/",
        {"password": SUPERVISEE_PASSWORD},
    )
    agreement.refresh_from_db()
    assert agreement.status == "active"
    assert services.agreement_in_force(relationship) == agreement
    signatures = list(agreement.signatures.all())
    assert {s.role for s in signatures} == {"supervisee", "supervisor"}
    assert {s.content_hash for s in signatures} == {agreement.content_hash}
    assert agreement.content_hash == services.agreement_hash(agreement)
    assert all(s.signed_at == DAY for s in signatures)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"frequency_value": ""}, "frequency_value", "Enter how often supervision will happen"),
        ({"frequency_value": "0"}, "frequency_value", "Enter a frequency of at least 1"),
        (
            {"review_due_on_0": "1", "review_due_on_1": "1", "review_due_on_2": "2026"},
            "review_due_on",
            "Enter a review date after the start date",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    client, world, overrides, field, message
):
    relationship, _ = new_relationship(world)
    response = visit(
        client,
        world.supervisor,
        "post",
        f"/relationships/{relationship.pk}/agreements/new/",
        form_data(**overrides),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html and message in html
    assert f'href="#id_{field}' in html, "the error summary links to the field"
    assert not SupervisionAgreement.objects.filter(relationship=relationship).exists()


def test_the_model_refuses_what_the_form_refuses(world):
    from django.core.exceptions import ValidationError

    relationship, _ = new_relationship(world)
    with pytest.raises(ValidationError) as error:
        services.agreement_draft(
            relationship=relationship,
            by=world.supervisor,
            frequency_value=0,
            starts_on=date(2026, 3, 5),
            review_due_on=date(2026, 3, 1),
        )
    assert set(error.value.message_dict) == {"frequency_value", "review_due_on"}
    assert not SupervisionAgreement.objects.filter(relationship=relationship).exists()


def test_a_signed_agreement_is_locked(client, world):
    agreement = sign_both(client, world, world.agreement)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.agreement_update(agreement=agreement, by=world.supervisor, frequency_value=8)
    agreement.frequency_value = 8
    with pytest.raises(AgreementLockedError):
        agreement.save()
    response = visit(
        client,
        world.supervisor,
        "post",
        f"/agreements/{agreement.pk}/edit/",
        form_data(frequency_value="8"),
    )
    assert "cannot be changed" in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.frequency_value == 4


def test_the_database_refuses_changes_to_a_signed_agreement(client, world):
    agreement = sign_both(client, world, world.agreement)
    with (
        pytest.raises(DatabaseError, match="signed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE agreements_supervisionagreement SET frequency_value = 8 WHERE id = %s",
            [agreement.pk],
        )


def test_a_review_keeps_the_earlier_signed_version(client, world):
    first = sign_both(client, world, world.agreement)
    signed_hash = first.content_hash
    response = visit(client, world.supervisee, "post", f"/agreements/{first.pk}/review/")
    review = SupervisionAgreement.objects.get(relationship=world.relationship, version=2)
    assert response["Location"] == f"/agreements/{review.pk}/"
    first.refresh_from_db()
    assert first.status == "active", "in force until both sign the new version"
    visit(
        client,
        world.supervisor,
        "post",
        f"/agreements/{review.pk}/edit/",
        form_data(frequency_value="2"),
    )
    review = sign_both(client, world, review)
    first.refresh_from_db()
    assert review.status == "active" and review.frequency_value == 2
    assert first.status == "superseded" and first.frequency_value == 4
    assert first.content_hash == signed_hash == services.agreement_hash(first)
    assert review.previous == first


def test_a_change_of_supervisor_supersedes_the_agreement(client, world):
    agreement = sign_both(client, world, world.agreement)
    newcomer = StaffProfileFactory(unit=world.units["team"]).user
    with time_machine.travel(DAY, tick=False):
        new = relationship_change_line_supervisor(
            supervisee=world.supervisee,
            new_supervisor=newcomer,
            on=date(2026, 3, 10),
            by=world.admin,
        )
    # In force until the handover on 10 March; the daily job supersedes it once it has passed.
    agreement.refresh_from_db()
    assert agreement.status == "active"
    from supervision.people.leaving import leavers_close

    with time_machine.travel(date(2026, 3, 10), tick=False):
        leavers_close()
    agreement.refresh_from_db()
    assert agreement.status == "superseded"
    assert agreement.superseded_reason == "the supervision ended"
    assert services.agreement_in_force(new) is None
    assert agreement.content_hash == services.agreement_hash(agreement)


def test_the_agreement_pdf_carries_both_signatures(client, world):
    agreement = sign_both(client, world, world.agreement)
    response = visit(client, world.supervisee, "get", f"/agreements/{agreement.pk}/agreement.pdf")
    assert response.status_code == 200
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert world.supervisee.full_name in text and world.supervisor.full_name in text
    assert agreement.content_hash in text.replace("\n", "")
    assert "How differences are resolved" in text and "DRAFT" not in text


def test_my_team_shows_who_has_no_agreement(client, world):
    relationship, person = new_relationship(world)
    html = visit(client, world.supervisor, "get", "/team/").content.decode()
    # Escaped as the page escapes it: the factory's names include "O'Sullivan".
    name = escape(person.full_name)
    assert f'None</strong><span class="govuk-visually-hidden"> for {name}' in html
    sign_both(client, world, world.agreement)
    html = visit(client, world.supervisor, "get", "/team/").content.decode()
    assert "In force" in html and "review by 1 March 2027" in html
