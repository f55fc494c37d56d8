"""Who reaches which child, and what the core note services keep up to date."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from access.children import CaseAction, restrict_children, staff_reach, team_case_reach
from casework import services
from casework.models import Allocation, CaseNote, Child
from supervision.models import SupervisoryRelationship
from tests.factories import SUPERVISEE_PASSWORD
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    with time_machine.travel(datetime(2026, 3, 5, 9, tzinfo=UTC), tick=False):
        yield build_world()


def reach(world, role, action=CaseAction.VIEW):
    return set(
        restrict_children(world.people[role], action, TODAY).values_list("reference", flat=True)
    )


@pytest.mark.parametrize(
    ("role", "view", "manage"),
    [
        ("supervisee", {"NS100001"}, set()),
        ("supervisor", {"NS100001"}, {"NS100001"}),
        ("senior_manager", {"NS100001"}, {"NS100001"}),
        ("other_supervisee", {"NS200002"}, set()),
        ("other_team_supervisor", {"NS200002"}, {"NS200002"}),
        ("other_senior_manager", {"NS200002"}, {"NS200002"}),
        # A grant over the worker's staff file is not a way into the children's cases.
        ("auditor_with_grant", set(), set()),
        ("auditor_without_grant", set(), set()),
        ("admin", set(), set()),
    ],
)
def test_reach_follows_the_worker_and_the_line(world, role, view, manage):
    assert reach(world, role) == view
    assert reach(world, role, CaseAction.MANAGE) == manage


def test_a_supervisor_loses_reach_when_the_relationship_ends(world):
    SupervisoryRelationship.objects.filter(supervisor=world.supervisor).update(
        ends_on=date(2026, 3, 4)
    )
    assert reach(world, "supervisor") == set()
    # The senior manager above the team still reaches the child through the team.
    assert reach(world, "senior_manager") == {"NS100001"}


def test_a_team_manager_reaches_the_children_of_the_team_whoever_holds_them(world):
    team = world.units["team"]
    team.manager = world.other_team_supervisor
    team.save()
    assert "NS100001" in reach(world, "other_team_supervisor", CaseAction.MANAGE)
    assert team_case_reach(world.other_team_supervisor, team, TODAY)


def test_caseloads_reachable(world):
    reachable = set(staff_reach(world.supervisor, TODAY).values_list("email", flat=True))
    assert reachable == {"supervisor@example.org", "supervisee@example.org"}
    assert not staff_reach(world.auditor_with_grant, TODAY).filter(pk=world.supervisee.pk)


def test_child_by_reference_refuses_names_and_unknown_references(world):
    with pytest.raises(ValidationError) as name:
        services.child_by_reference("Jo Smith")
    assert "not their name" in name.value.message_dict["reference"][0]
    with pytest.raises(ValidationError) as unknown:
        services.child_by_reference("NS999999")
    assert unknown.value.message_dict["reference"] == [
        "There is no child with the reference NS999999"
    ]
    assert services.child_by_reference(" ns100001 ").pk == world.child.pk


def test_first_discussion_after_allocation_is_kept_for_the_24_hour_rule(world):
    allocation = Allocation.objects.get(child=world.child)
    # world.case_note was drafted on 4 March, a month after the 2 February allocation.
    assert allocation.first_discussed_at == datetime(2026, 3, 4, 14, tzinfo=UTC)


def test_finalising_a_formal_note_updates_the_child_and_clears_the_mark(world):
    Child.objects.filter(pk=world.child.pk).update(
        discuss_next_marked_at=datetime(2026, 3, 1, tzinfo=UTC),
        discuss_next_marked_by=world.supervisor,
        discuss_next_reason="School exclusion",
    )
    note = world.case_note
    services.case_note_update(
        note=note,
        version=note.version,
        by=world.supervisor,
        worries="You missed two days of school.",
        decision="I decided your worker will visit every week.",
        reasons="Because you said you want help with school.",
        next_review_on=date(2026, 4, 1),
    )
    with time_machine.travel(datetime(2026, 3, 5, 9, tzinfo=UTC), tick=False):
        services.case_note_finalise(note=note, password=SUPERVISEE_PASSWORD, by=world.supervisor)
    child = Child.objects.get(pk=world.child.pk)
    assert child.last_discussed_at == datetime(2026, 3, 4, 14, tzinfo=UTC)
    assert child.next_review_on == date(2026, 4, 1)
    assert child.discuss_next_marked_at is None and child.discuss_next_reason == ""
    assert CaseNote.objects.get(pk=note.pk).content_hash


def test_finalise_names_each_missing_field(world):
    with pytest.raises(ValidationError) as error:
        services.case_note_finalise(
            note=world.case_note, password=SUPERVISEE_PASSWORD, by=world.supervisor
        )
    assert set(error.value.message_dict) == {"worries", "decision", "reasons", "next_review_on"}
    assert CaseNote.objects.get(pk=world.case_note.pk).status == CaseNote.Status.DRAFT
