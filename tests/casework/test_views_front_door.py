"""Front-door supervision through the pages (rule C7, Kent's policy "Front Door supervision"): at
least two families a session, each by the child's unique reference, never by name."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from casework import services
from casework.models import Child, Family, FrontDoorDiscussion, FrontDoorSession
from supervision.models.audit import AuditAction, AuditEvent
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def world():
    with time_machine.travel(DAY, tick=False):
        built = build_world()
        # Kept on the child's own record only; the front door must never write it.
        Child.objects.filter(pk=built.child.pk).update(name="Alice Example")
        yield built


class Person:
    def __init__(self, user):
        self.client = Client()
        self.user = user

    def get(self, url, **kw):
        with time_machine.travel(DAY, tick=False):
            if self.user is not None:
                self.client.force_login(self.user)
            return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        with time_machine.travel(DAY, tick=False):
            if self.user is not None:
                self.client.force_login(self.user)
            return self.client.post(url, data or {}, **kw)


def as_(world, role) -> Person:
    return Person(None if role == "anonymous" else world.people[role])


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def error_summary(response) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', text(response))
    assert match, "no error summary on the page"
    return match.group(0)


def family(number, reference, criterion="advice", discussion="Advice given by phone", **more):
    return {
        f"reference_{number}": reference,
        f"criterion_{number}": criterion,
        f"discussion_{number}": discussion,
        f"learning_{number}": more.get("learning", ""),
    }


def form(*families, **fields) -> dict:
    data = {
        "held_on_0": "4",
        "held_on_1": "3",
        "held_on_2": "2026",
        "held_time": "10:30",
        "families": str(max(2, len(families))),
        "reflections": "Thresholds were applied consistently.",
    }
    for each in families:
        data.update(each)
    data.update(fields)
    return data


def new_url(world) -> str:
    return reverse("front-door-new", args=[world.supervisee.pk])


def record(world, data, role="supervisor"):
    return as_(world, role).post(new_url(world), data)


def counts():
    return FrontDoorSession.objects.count(), FrontDoorDiscussion.objects.count()


def test_two_families_are_recorded_by_reference(world):
    before = counts()
    response = record(
        world,
        form(
            family(1, "ns100001", "strategy", "Strategy discussion held the same day"),
            family(2, "NS200002", "early_help", "Stepped across to early help", learning="Ok"),
        ),
    )
    session = FrontDoorSession.objects.exclude(pk=world.front_door.pk).get()
    assert response.status_code == 302
    assert response.url == reverse("front-door-session", args=[session.pk])
    assert counts() == (before[0] + 1, before[1] + 2)
    assert session.supervisor == world.supervisor
    assert session.supervisee == world.supervisee
    assert session.held_at == datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
    assert [(d.child, d.criterion) for d in session.discussions.all()] == [
        (world.child, "strategy"),
        # Another team's child: front-door children are any known child.
        (world.other_child, "early_help"),
    ]
    page = text(as_(world, "supervisee").get(response.url))
    assert "NS100001" in page and "NS200002" in page
    assert "Subject of a strategy discussion" in page
    assert "Alice" not in page


def test_one_family_is_refused(world):
    before = counts()
    response = record(world, form(family(1, "NS100001")))
    assert response.status_code == 200
    summary = error_summary(response)
    assert "Discuss at least two families in a front-door session" in summary
    assert 'href="#id_reference_2"' in summary  # where the second family goes
    assert counts() == before


def test_two_children_of_one_family_count_as_one(world):
    sibling = services.child_create(
        reference="NS100009",
        initials="GH",
        service="social_work",
        plan="child_in_need",
        unit=world.units["team"],
        worker=world.supervisee,
        allocated_at=datetime(2026, 2, 2, 9, tzinfo=UTC),
        by=world.supervisor,
    )
    household = Family.objects.create(reference="FAM-1")
    Child.objects.filter(pk__in=[world.child.pk, sibling.pk]).update(family=household)
    before = counts()
    response = record(world, form(family(1, "NS100001"), family(2, "NS100009")))
    summary = error_summary(response)
    assert "Discuss at least two families in a front-door session" in summary
    assert "NS100001 and NS100009 are in the same family" in summary
    assert 'href="#id_reference_2"' in summary
    assert counts() == before


def test_a_name_where_a_reference_belongs_is_refused(world):
    response = record(world, form(family(1, "Alice Example"), family(2, "NS200002")))
    summary = error_summary(response)
    assert "not their name" in summary
    assert 'href="#id_reference_1"' in summary


def test_an_unknown_reference_is_refused_naming_its_row(world):
    before = counts()
    response = record(world, form(family(1, "NS100001"), family(2, "NS999999")))
    summary = error_summary(response)
    assert "There is no child with the reference NS999999 (family 2)" in summary
    assert 'href="#id_reference_2"' in summary
    # The row says what is wrong; the count of families waits until every child is known.
    assert "Discuss at least two families" not in summary
    assert counts() == before


@pytest.mark.parametrize(
    ("field", "written"),
    [
        ("discussion_1", "Spoke about alice and her school"),
        ("learning_2", "Check on ALICE EXAMPLE next week"),
        ("reflections", "Alice's case showed the threshold working"),
    ],
)
def test_a_discussed_child_s_name_in_the_text_is_refused(world, field, written):
    before = counts()
    data = form(family(1, "NS100001"), family(2, "NS200002", learning="Follow up"))
    data[field] = written
    response = record(world, data)
    summary = error_summary(response)
    assert "Remove the child&#x27;s name: front-door records use the unique reference only" in (
        summary
    )
    assert f'href="#id_{field}"' in summary
    assert counts() == before


def test_a_name_inside_another_word_is_not_a_name(world):
    data = form(family(1, "NS100001", discussion="Malice was not suspected"), family(2, "NS200002"))
    assert record(world, data).status_code == 302


def test_nothing_is_saved_when_anything_is_wrong(world):
    before = counts()
    data = form(
        family(1, "NS100001"),
        family(2, "NS200002", criterion="", discussion=""),
    )
    response = record(world, data)
    summary = error_summary(response)
    assert "Choose why family 2 was discussed" in summary
    assert "Enter the discussion of family 2" in summary
    assert counts() == before
    # The first family was fine, and is still there to correct the rest.
    assert 'value="NS100001"' in text(response)


def test_a_session_is_recorded_once_held(world):
    response = record(world, form(family(1, "NS100001"), family(2, "NS200002"), held_on_0="6"))
    summary = error_summary(response)
    assert "Enter a date and time in the past" in summary
    assert 'href="#id_held_on' in summary


def test_the_form_starts_with_two_families_and_adds_another(world):
    page = text(as_(world, "supervisor").get(new_url(world)))
    assert 'name="reference_2"' in page
    assert 'name="reference_3"' not in page
    assert "Add another family" in page
    data = form(family(1, "NS100001"), family(2, "NS200002"), add_family="")
    before = counts()
    response = record(world, data)
    page = text(response)
    assert response.status_code == 200
    assert 'name="reference_3"' in page
    assert 'name="families" value="3"' in page
    assert 'value="NS200002"' in page  # what was typed is kept
    assert "govuk-error-summary" not in page  # adding a row is not submitting
    assert counts() == before


def test_a_third_family_is_saved_and_a_blank_row_ignored(world):
    third = services.child_create(
        reference="NS300003",
        initials="JK",
        service="early_help",
        plan="early_help",
        unit=world.units["team"],
        worker=world.supervisee,
        allocated_at=datetime(2026, 2, 2, 9, tzinfo=UTC),
        by=world.supervisor,
    )
    data = form(
        family(1, "NS100001"),
        family(2, "", criterion="", discussion=""),
        family(3, third.reference, "sw_assessment"),
        family(4, "NS200002"),
        families="4",
    )
    assert record(world, data).status_code == 302
    session = FrontDoorSession.objects.exclude(pk=world.front_door.pk).get()
    assert [d.child.reference for d in session.discussions.all()] == [
        "NS100001",
        "NS300003",
        "NS200002",
    ]


def test_the_same_child_twice_is_refused(world):
    response = record(world, form(family(1, "NS100001"), family(2, "NS100001")))
    assert "NS100001 is already discussed as family 1" in error_summary(response)


def test_reading_a_session_is_audited_against_the_supervisee(world):
    as_(world, "auditor_with_grant").get(reverse("front-door-session", args=[world.front_door.pk]))
    assert AuditEvent.objects.filter(
        action=AuditAction.READ,
        actor=world.auditor_with_grant,
        object_type="front_door_session",
        object_id=str(world.front_door.pk),
        subject=world.supervisee,
    ).exists()


def test_the_list_shows_each_session(world):
    page = text(
        as_(world, "supervisee").get(reverse("front-door-sessions", args=[world.supervisee.pk]))
    )
    assert "3 March 2026" in page
    assert reverse("front-door-session", args=[world.front_door.pk]) in page
    assert "Record a front-door session" not in page  # the supervisee reads, never writes


READERS = [
    ("anonymous", 302),
    ("supervisee", 200),
    ("supervisor", 200),
    ("senior_manager", 200),
    ("auditor_with_grant", 200),
    ("other_supervisee", 404),
    ("other_team_supervisor", 404),
    ("other_senior_manager", 404),
    ("auditor_without_grant", 404),
    ("admin", 404),
]


@pytest.mark.parametrize(("role", "status"), READERS)
def test_the_session_and_list_are_read_with_the_staff_file(world, role, status):
    person = as_(world, role)
    assert person.get(reverse("front-door-session", args=[world.front_door.pk])).status_code == (
        status
    )
    assert person.get(reverse("front-door-sessions", args=[world.supervisee.pk])).status_code == (
        status
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("supervisor", 200),
        ("supervisee", 403),
        ("senior_manager", 403),
        ("auditor_with_grant", 403),
        ("other_supervisee", 404),
        ("other_team_supervisor", 404),
        ("other_senior_manager", 404),
        ("auditor_without_grant", 404),
        ("admin", 404),
    ],
)
def test_only_the_supervisor_records_a_session(world, role, status):
    person = as_(world, role)
    assert person.get(new_url(world)).status_code == status
    data = form(family(1, "NS100001"), family(2, "NS200002"))
    assert person.post(new_url(world), data).status_code == (302 if status == 200 else status)
