"""Practice observations and development conversations have a way on for each party after a
change of supervisor, and say the truth when the person who had to sign first has left."""

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client

from agreements import services as agreement_services
from agreements.models import SupervisionAgreement
from supervision.development import services as development_services
from supervision.models import (
    DevelopmentConversation,
    PracticeObservation,
    SupervisoryRelationship,
)
from supervision.people.leaving import staff_mark_left
from supervision.people.services import relationship_change_line_supervisor
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
    assert ("records a new" if what == "observation" else "takes it over") in page
    follow = urls(world)[what] + ("respond/" if what == "observation" else "sign/")
    assert "Supervisor left without signing" in get(supervisee, follow, LEFT).content.decode()
    new_page = get(as_(world.new, LEFT), urls(world)[what], LEFT).content.decode()
    assert "Supervisor left without signing" in new_page


# --- Every state of each workflow, for each party --------------------------
#
# Supervision agreements: draft -> signed by one -> in force; after a change of line supervisor
# and after either party has left. Practice observations and development conversations: draft
# -> first signer signed -> signed by both; after the first signer changes job or leaves, and
# after the person they are about leaves. Each test follows the pages the person would use.

AFTER_LEFT = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)


def text(response):
    return response.content.decode()


def agreement_form(**overrides):
    return {
        "starts_on_0": "12",
        "starts_on_1": "3",
        "starts_on_2": "2026",
        "review_due_on_0": "12",
        "review_due_on_1": "3",
        "review_due_on_2": "2027",
        "frequency_value": "4",
        "frequency_unit": "weeks",
        "duration_minutes": "90",
        "mode": "in_person",
        **agreement_services.DEFAULT_TEXT,
        "specific_provisions": "",
        **overrides,
    }


def sign_agreement(person, agreement, at=NOW):
    with time_machine.travel(at, tick=False):
        agreement_services.agreement_sign(
            agreement=agreement, password=SUPERVISEE_PASSWORD, by=person
        )


def agreement_link(page):
    """The supervision agreement row's link on a home page."""
    found = re.search(
        r'href="([^"]+)">[^<]*<span class="govuk-visually-hidden"> \(supervision '
        r"agreement\)",
        page,
    )
    return found and found.group(1)


def daily_job(at):
    """The job at 00:05 London, as it will have run by `at`."""
    from supervision.people.leaving import leavers_close

    with time_machine.travel(at, tick=False):
        leavers_close()


def mark_left(world, person, on):
    with time_machine.travel(NOW, tick=False):
        staff_mark_left(person=person, leaving_date=on, by=world.admin)


def sign_first(world, what):
    """The observer (or the manager who agreed the plan) signs her part."""
    with time_machine.travel(NOW, tick=False):
        if what == "observation":
            development_services.observation_sign_as_observer(
                observation=world.observation, password=SUPERVISEE_PASSWORD, by=world.supervisor
            )
        else:
            development_services.conversation_sign(
                conversation=world.development_conversation,
                password=SUPERVISEE_PASSWORD,
                by=world.supervisor,
            )


def second_sign(what, page_url):
    """Where the person it is about signs, and what they post."""
    if what == "observation":
        return page_url + "respond/", {"comments": "A fair account", **PASSWORD}
    return page_url + "sign/", PASSWORD


def item(what):
    model = PracticeObservation if what == "observation" else DevelopmentConversation
    return model.objects.get()


# Supervision agreements


def test_a_draft_agreement_shows_each_party_the_way_to_sign_and_comes_into_force(world):
    agreement = world.agreement
    page_url = f"/agreements/{agreement.pk}/"
    sign_url = f"{page_url}sign/"
    supervisee, supervisor = as_(world.supervisee, NOW), as_(world.supervisor, NOW)

    # Unsigned: the supervisee's home leads to it; the supervisor's team page does.
    home = text(get(supervisee, "/", NOW))
    assert "Waiting for your signature" in home
    assert agreement_link(home) == page_url
    team = text(get(supervisor, "/team/", NOW))
    relationship_url = f"/relationships/{world.relationship.pk}/agreements/"
    assert f'href="{relationship_url}"' in team
    assert f'href="{page_url}"' in text(get(supervisor, relationship_url, NOW))
    for client in (supervisee, supervisor):
        assert f'href="{sign_url}"' in text(get(client, page_url, NOW))

    # Signed by the supervisor: she may withdraw, not sign again; the supervisee signs.
    assert post(supervisor, sign_url, NOW, PASSWORD).status_code == 302
    page = text(get(supervisor, page_url, NOW))
    assert f'href="{sign_url}"' not in page
    assert "Withdraw my signature" in page
    home = text(get(supervisee, "/", NOW))
    assert "Waiting for your signature" in home and agreement_link(home) == page_url
    assert f'href="{sign_url}"' in text(get(supervisee, page_url, NOW))
    assert post(supervisee, sign_url, NOW, PASSWORD).status_code == 302

    # In force: either of them can start the review from the page.
    assert SupervisionAgreement.objects.get(pk=agreement.pk).status == "active"
    assert "Signed and in force" in text(get(supervisee, "/", NOW))
    page = text(get(supervisor, page_url, NOW))
    assert f'action="{page_url}review/"' in page
    assert post(supervisor, f"{page_url}review/", NOW).status_code == 302
    review = SupervisionAgreement.objects.get(relationship=world.relationship, status="draft")
    assert f'href="/agreements/{review.pk}/sign/"' in text(
        get(supervisee, f"/agreements/{review.pk}/", NOW)
    )


def test_an_agreement_signed_by_the_supervisee_waits_for_the_supervisor_who_can_find_it(world):
    agreement = world.agreement
    sign_agreement(world.supervisee, agreement)
    supervisee, supervisor = as_(world.supervisee, NOW), as_(world.supervisor, NOW)
    assert "Waiting for Supervisor to sign" in text(get(supervisee, "/", NOW))
    # Her way in: the team page's agreement column, the versions, the draft, its sign button.
    relationship_url = f"/relationships/{world.relationship.pk}/agreements/"
    assert f'href="{relationship_url}"' in text(get(supervisor, "/team/", NOW))
    assert f'href="/agreements/{agreement.pk}/"' in text(get(supervisor, relationship_url, NOW))
    sign_url = f"/agreements/{agreement.pk}/sign/"
    assert f'href="{sign_url}"' in text(get(supervisor, f"/agreements/{agreement.pk}/", NOW))
    assert post(supervisor, sign_url, NOW, PASSWORD).status_code == 302
    assert SupervisionAgreement.objects.get(pk=agreement.pk).status == "active"


def test_after_a_change_of_supervisor_the_supervisee_and_the_new_one_make_a_new_agreement(world):
    sign_agreement(world.supervisor, world.agreement)  # half-signed when the change came
    change_supervisor(world)
    new_relationship = SupervisoryRelationship.objects.get(supervisor=world.new)
    supervisee, new = as_(world.supervisee, CHANGED), as_(world.new, CHANGED)

    home = text(get(supervisee, "/", CHANGED))
    assert "Draw up your supervision agreement with Joanne Fletcher" in home
    draw_up = f"/relationships/{new_relationship.pk}/agreements/new/"
    assert agreement_link(home) == draw_up
    assert get(supervisee, draw_up, CHANGED).status_code == 200
    assert post(supervisee, draw_up, CHANGED, agreement_form()).status_code == 302
    agreement = SupervisionAgreement.objects.get(relationship=new_relationship)
    assert (
        post(supervisee, f"/agreements/{agreement.pk}/sign/", CHANGED, PASSWORD).status_code == 302
    )

    relationship_url = f"/relationships/{new_relationship.pk}/agreements/"
    assert f'href="{relationship_url}"' in text(get(new, "/team/", CHANGED))
    page = text(get(new, f"/agreements/{agreement.pk}/", CHANGED))
    assert f'href="/agreements/{agreement.pk}/sign/"' in page
    assert post(new, f"/agreements/{agreement.pk}/sign/", CHANGED, PASSWORD).status_code == 302
    assert SupervisionAgreement.objects.get(pk=agreement.pk).status == "active"


def test_the_old_draft_after_a_change_of_supervisor_says_it_was_superseded_not_signed(world):
    """The supervisee opens the sign link of the draft she was asked to sign (from an email, a
    bookmark, her history) after the change: it must not say both have signed it."""
    sign_agreement(world.supervisor, world.agreement)
    change_supervisor(world)
    daily_job(CHANGED)
    supervisee = as_(world.supervisee, CHANGED)
    page_url = f"/agreements/{world.agreement.pk}/"
    page = text(get(supervisee, page_url, CHANGED))
    assert "Superseded" in page and f'href="{page_url}sign/"' not in page
    response = post(supervisee, f"{page_url}sign/", CHANGED, PASSWORD)
    answer = text(response) if response.status_code == 200 else ""
    assert "already signed by both of you" not in answer
    assert response.status_code == 302 or "superseded" in answer.lower()


def test_after_the_supervisor_has_left_the_supervisee_is_told_whom_to_ask_then_draws_up_anew(
    world,
):
    sign_agreement(world.supervisee, world.agreement)
    mark_left(world, world.supervisor, date(2026, 3, 13))
    supervisee = as_(world.supervisee, LEFT)
    home = text(get(supervisee, "/", LEFT))
    assert "Ask your manager to record who supervises you" in home
    with time_machine.travel(LEFT, tick=False):
        relationship_change_line_supervisor(
            supervisee=world.supervisee,
            new_supervisor=world.new,
            on=date(2026, 3, 20),
            by=world.admin,
        )
    home = text(get(supervisee, "/", LEFT))
    new_relationship = SupervisoryRelationship.objects.get(supervisor=world.new)
    draw_up = f"/relationships/{new_relationship.pk}/agreements/new/"
    assert agreement_link(home) == draw_up
    assert post(supervisee, draw_up, LEFT, agreement_form()).status_code == 302
    agreement = SupervisionAgreement.objects.get(relationship=new_relationship)
    assert f'href="/agreements/{agreement.pk}/sign/"' in text(
        get(as_(world.new, LEFT), f"/agreements/{agreement.pk}/", LEFT)
    )


def test_after_the_supervisee_has_left_nothing_waits_for_the_supervisor(world):
    sign_agreement(world.supervisee, world.agreement)
    mark_left(world, world.supervisee, date(2026, 3, 13))
    daily_job(LEFT)
    supervisor = as_(world.supervisor, LEFT)
    assert "Supervisee" not in text(get(supervisor, "/team/", LEFT))
    assert SupervisionAgreement.objects.get(pk=world.agreement.pk).status == "superseded"
    home = text(get(supervisor, "/", LEFT))
    assert f'href="/agreements/{world.agreement.pk}/' not in home
    assert f'href="/relationships/{world.relationship.pk}/' not in home


# Practice observations and development conversations


@pytest.mark.parametrize("what", ["observation", "conversation"])
def test_each_state_shows_the_person_who_acts_next_the_way_on(world, what):
    page_url = urls(world)[what]
    sign_url, data = second_sign(what, page_url)
    first_sign = page_url + "sign/"
    supervisor, supervisee = as_(world.supervisor, NOW), as_(world.supervisee, NOW)

    # Draft: hers to sign, on her home page and the item's page; his page says he waits.
    home = text(get(supervisor, "/", NOW))
    assert f'href="{page_url}"' in home.split("Observations and development plans to sign")[1]
    assert f'href="{first_sign}"' in text(get(supervisor, page_url, NOW))
    page = text(get(supervisee, page_url, NOW))
    assert f'href="{sign_url}"' not in page
    assert "Supervisor" in text(get(supervisee, sign_url, NOW))  # "...signs first"
    assert post(supervisor, first_sign, NOW, PASSWORD).status_code == 302

    # First signed: his to sign, from his file's list and the item's page.
    listing = f"/people/{world.supervisee.pk}/" + (
        "observations/" if what == "observation" else "development/"
    )
    assert f'href="{page_url}"' in text(get(supervisee, listing, NOW))
    page = text(get(supervisee, page_url, NOW))
    assert "Waiting for you to sign" in page and f'href="{sign_url}"' in page
    page = text(get(supervisor, page_url, NOW))
    assert "Waiting for Supervisee to sign" in page and f'href="{first_sign}"' not in page
    assert post(supervisee, sign_url, NOW, data).status_code == 302

    # Signed by both: nothing left for anyone.
    assert item(what).status == "signed"
    for client in (supervisor, supervisee):
        page = text(get(client, page_url, NOW))
        assert f'href="{first_sign}"' not in page and f'href="{sign_url}"' not in page


@pytest.mark.parametrize("what", ["observation", "conversation"])
def test_signed_first_then_the_supervisor_changes_the_person_still_signs(world, what):
    sign_first(world, what)
    change_supervisor(world)
    supervisee = as_(world.supervisee, CHANGED)
    page_url = urls(world)[what]
    sign_url, data = second_sign(what, page_url)
    assert f'href="{sign_url}"' in text(get(supervisee, page_url, CHANGED))
    assert post(supervisee, sign_url, CHANGED, data).status_code == 302
    assert item(what).status == "signed"


@pytest.mark.parametrize("what", ["observation", "conversation"])
def test_signed_first_then_the_first_signer_leaves_the_person_still_signs(world, what):
    sign_first(world, what)
    mark_left(world, world.supervisor, date(2026, 3, 13))
    supervisee = as_(world.supervisee, LEFT)
    page_url = urls(world)[what]
    sign_url, data = second_sign(what, page_url)
    page = text(get(supervisee, page_url, LEFT))
    assert "left without signing" not in page
    assert f'href="{sign_url}"' in page
    assert post(supervisee, sign_url, LEFT, data).status_code == 302
    assert item(what).status == "signed"


def test_after_the_observer_left_unsigned_the_new_supervisor_records_a_new_observation(world):
    """The page tells the practitioner "your supervisor records a new observation": she can."""
    change_supervisor(world)
    mark_left(world, world.supervisor, date(2026, 3, 13))
    new = as_(world.new, LEFT)
    listing = f"/people/{world.supervisee.pk}/observations/"
    assert f'href="{listing}new/"' in text(get(new, listing, LEFT))
    response = post(
        new,
        f"{listing}new/",
        LEFT,
        {
            "observer_role": "Line manager",
            "observed_on_0": "19",
            "observed_on_1": "3",
            "observed_on_2": "2026",
            "venue": "Family home",
            "permission_gained": "on",
            "observer_feedback": "Calm and clear.",
        },
    )
    assert response.status_code == 302
    observation = PracticeObservation.objects.exclude(pk=world.observation.pk).get()
    page_url = f"{listing}{observation.pk}/"
    assert f'href="{page_url}sign/"' in text(get(new, page_url, LEFT))
    assert post(new, f"{page_url}sign/", LEFT, PASSWORD).status_code == 302
    supervisee = as_(world.supervisee, LEFT)
    assert (
        post(supervisee, f"{page_url}respond/", LEFT, {"comments": "", **PASSWORD}).status_code
        == 302
    )


def test_after_the_manager_left_an_unsigned_plan_the_new_supervisor_takes_it_over(world):
    """The year takes one plan, and the manager who agreed it left without signing: the
    supervisor now takes it over, and then it is signed by both as any plan is."""
    change_supervisor(world)
    mark_left(world, world.supervisor, date(2026, 3, 13))
    new = as_(world.new, LEFT)
    supervisee = as_(world.supervisee, LEFT)
    page_url = urls(world)["conversation"]
    assert "takes it over" in text(get(supervisee, page_url, LEFT))
    take_over = f"{page_url}take-over/"
    assert f'action="{take_over}"' not in text(get(supervisee, page_url, LEFT))
    assert f'action="{take_over}"' in text(get(new, page_url, LEFT))
    assert post(supervisee, take_over, LEFT).status_code == 403
    assert post(new, take_over, LEFT).status_code == 302
    conversation = DevelopmentConversation.objects.get(pk=world.development_conversation.pk)
    assert conversation.agreed_by == world.new
    assert "You now hold this development plan" in text(get(new, page_url, LEFT))
    assert post(new, f"{page_url}sign/", LEFT, PASSWORD).status_code == 302
    assert post(supervisee, f"{page_url}sign/", LEFT, PASSWORD).status_code == 302
    assert DevelopmentConversation.objects.get(pk=conversation.pk).status == "signed"


def test_a_plan_whose_manager_can_still_sign_cannot_be_taken_over(world):
    change_supervisor(world)
    page_url = urls(world)["conversation"]
    response = post(as_(world.new, CHANGED), f"{page_url}take-over/", CHANGED)
    assert response.status_code == 302
    assert DevelopmentConversation.objects.get().agreed_by == world.supervisor


@pytest.mark.parametrize("what", ["observation", "conversation"])
def test_after_the_person_left_unsigned_no_page_says_it_waits_for_them(world, what):
    """Signed by the observer (or manager); the person it is about then leaves without
    signing. Their archived file is still read (by the service manager): it must not say the
    item is waiting for someone who has gone and can never sign."""
    sign_first(world, what)
    mark_left(world, world.supervisee, date(2026, 3, 13))
    reader = as_(world.senior_manager, AFTER_LEFT)
    page_url = urls(world)[what]
    response = get(reader, page_url, AFTER_LEFT)
    assert response.status_code == 200
    page = text(response)
    assert "Waiting for Supervisee to sign" not in page
    assert "left without signing" in page


@pytest.mark.parametrize("what", ["observation", "conversation"])
def test_after_the_person_left_the_author_is_not_sent_to_sign_what_can_never_be_completed(
    world, what
):
    """Unsigned by both when the person it is about leaves. Her home page's "to sign" list
    must not send her to sign something that will then wait for ever for someone who has
    gone (or, if it does, the page must say he has left)."""
    mark_left(world, world.supervisee, date(2026, 3, 13))
    supervisor = as_(world.supervisor, AFTER_LEFT)
    page_url = urls(world)[what]
    home = text(get(supervisor, "/", AFTER_LEFT))
    if f'href="{page_url}"' in home:
        page = text(get(supervisor, page_url, AFTER_LEFT))
        assert "has left" in page or "left on" in page, (
            "Her home page lists it to sign; the page does not say the person has left"
        )


@pytest.mark.parametrize("event", ["change of supervisor", "leaving"])
def test_an_agreement_stays_in_force_until_the_supervision_it_belongs_to_ends(world, event):
    """Recorded on 5 March for 9 March (a change) or 13 March (the supervisor's last day):
    until then she is still supervised under the agreement both signed, and her home page says
    so; the daily job supersedes it once the day has passed, not before."""
    from supervision.people.leaving import leavers_close

    sign_agreement(world.supervisor, world.agreement)
    sign_agreement(world.supervisee, world.agreement)
    if event == "change of supervisor":
        change_supervisor(world)
        during, after = (
            datetime(2026, 3, 6, 12, tzinfo=UTC),
            datetime(2026, 3, 10, 0, 5, tzinfo=UTC),
        )
    else:
        mark_left(world, world.supervisor, date(2026, 3, 13))
        during, after = (
            datetime(2026, 3, 12, 12, tzinfo=UTC),
            datetime(2026, 3, 14, 0, 5, tzinfo=UTC),
        )
    assert SupervisionAgreement.objects.get(pk=world.agreement.pk).status == "active"
    home = text(get(as_(world.supervisee, during), "/", during))
    assert "Signed and in force" in home
    with time_machine.travel(during, tick=False):
        leavers_close()
    assert SupervisionAgreement.objects.get(pk=world.agreement.pk).status == "active"
    with time_machine.travel(after, tick=False):
        leavers_close()
        leavers_close()  # safe to run again
    agreement = SupervisionAgreement.objects.get(pk=world.agreement.pk)
    assert agreement.status == "superseded"
    assert agreement.superseded_reason == "the supervision ended"
