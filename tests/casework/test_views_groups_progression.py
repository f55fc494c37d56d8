"""The case progression board: a team's open children as tiles across six stages,
moved forwards, back or past a stage, each move kept in order with who and when."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from casework.models import Child, GroupSession, ProgressionMove, ProgressionStage
from supervision.models.audit import AuditAction, AuditEvent
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = DAY


class Person:
    def __init__(self, user):
        self.client = Client()
        self.user = user

    def get(self, url, at=DAY, **kw):
        with time_machine.travel(at, tick=False):
            if self.user is not None:
                self.client.force_login(self.user)
            return self.client.get(url, **kw)

    def post(self, url, data=None, at=DAY, **kw):
        with time_machine.travel(at, tick=False):
            if self.user is not None:
                self.client.force_login(self.user)
            return self.client.post(url, data or {}, **kw)


def as_(world, role) -> Person:
    return Person(None if role == "anonymous" else world.people[role])


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def board_url(world) -> str:
    return reverse("progression-board", args=[world.units["team"].pk])


def move(world, to_stage, role="supervisor", at=DAY, person=None, **extra):
    return (person or as_(world, role)).post(
        reverse("progression-move", args=[world.child.pk]), {"to_stage": to_stage, **extra}, at=at
    )


def column(page: str, stage: int) -> str:
    """The HTML of one stage's column on the board."""
    match = re.search(rf'aria-labelledby="stage-{stage}">(.*?)</section>', page)
    assert match, f"no column for stage {stage}"
    return match.group(1)


def test_the_board_shows_the_team_open_children_in_six_stages(world):
    Child.objects.filter(pk=world.child.pk).update(name="Alice Example")
    page = text(as_(world, "supervisor").get(board_url(world)))
    for stage in ProgressionStage:
        assert f"{stage.value}. {stage.label}" in page
    tile = column(page, 1)
    assert "NS100001 (AB)" in tile
    assert "Supervisee" in tile  # the worker
    assert "Amber" in tile
    assert "31 days" in tile  # allocated on 2 February
    assert "since 2 February 2026" in tile
    # Never a name, and never another team's child.
    assert "Alice" not in page
    assert "NS200002" not in page
    # Counts first, each linking to its stage, so a long board is read from its top.
    counts = page[
        page.index("Children in each stage") : page.index(
            "</ul>", page.index("Children in each stage")
        )
    ]
    assert f'href="#stage-1">1. {ProgressionStage(1).label}</a>: <strong>1</strong>' in counts
    assert f'href="#stage-2">2. {ProgressionStage(2).label}</a>: <strong>0</strong>' in counts


def test_closed_children_are_not_on_the_board(world):
    Child.objects.filter(pk=world.child.pk).update(closed_on=datetime(2026, 3, 4).date())
    assert "NS100001" not in text(as_(world, "supervisor").get(board_url(world)))


def test_moves_forwards_back_and_past_a_stage_are_kept_in_order(world):
    first = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    times = [first, first + timedelta(hours=1), first + timedelta(days=1, hours=2)]
    response = move(world, 2, at=times[0], note="Plan agreed with mum")
    assert response.status_code == 302
    assert response.url == f"{board_url(world)}#tile-{world.child.pk}"
    move(world, 4, role="senior_manager", at=times[1])  # skips building the desire to change
    move(world, 3, at=times[2], note="Stepped back after a missed visit")  # backwards
    moves = list(ProgressionMove.objects.filter(child=world.child))
    assert [(m.from_stage, m.to_stage) for m in moves] == [(1, 2), (2, 4), (4, 3)]
    assert [m.moved_by for m in moves] == [world.supervisor, world.senior_manager, world.supervisor]
    assert [m.moved_at for m in moves] == times
    assert moves[0].note == "Plan agreed with mum"
    world.child.refresh_from_db()
    assert world.child.progression_stage == ProgressionStage.DESIRE_TO_CHANGE
    # The board, the next day: the tile sits in stage 3 since the last move.
    page = text(as_(world, "supervisor").get(board_url(world), at=times[2] + timedelta(days=1)))
    assert "NS100001 (AB)" in column(page, 3)
    assert "NS100001" not in column(page, 1)
    assert "since 6 March 2026" in column(page, 3)
    recent = page[page.index("Recent moves") :]
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", recent)[1:]
    assert len(rows) == 3
    assert "Making change" in rows[0] and "Building the desire to change" in rows[0]
    assert "Stepped back after a missed visit" in rows[0]
    assert "6 March 2026 at 11:00am" in rows[0]
    assert "Senior Manager" in rows[1]
    assert "Plan agreed with mum" in rows[2]


def test_moving_to_the_same_stage_is_refused(world):
    supervisor = as_(world, "supervisor")
    response = move(world, 1, person=supervisor)
    assert response.status_code == 302
    assert not ProgressionMove.objects.exists()
    page = text(supervisor.get(board_url(world)))
    assert "NS100001 was not moved. NS100001 is already in assessment: choose another stage" in page


@pytest.mark.parametrize("stage", ["", "0", "7", "assessment"])
def test_a_stage_off_the_board_is_refused(world, stage):
    supervisor = as_(world, "supervisor")
    move(world, stage, person=supervisor)
    assert not ProgressionMove.objects.exists()
    page = text(supervisor.get(board_url(world)))
    assert "Choose the stage to move the child to" in page


def test_each_tile_offers_the_other_stages(world):
    page = text(as_(world, "supervisor").get(board_url(world)))
    select = re.search(rf'<select[^>]*id="to-stage-{world.child.pk}".*?</select>', page).group(0)
    assert 'value="1"' not in select
    for stage in range(2, 7):
        assert f'value="{stage}"' in select


def test_the_allocated_worker_cannot_move_their_child(world):
    assert move(world, 2, role="supervisee").status_code == 403
    assert not ProgressionMove.objects.exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.DENIED, object_type="child", actor=world.supervisee
    ).exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("supervisor", 302),
        ("senior_manager", 302),
        ("supervisee", 403),
        ("other_supervisee", 404),
        ("other_team_supervisor", 404),
        ("other_senior_manager", 404),
        ("auditor_with_grant", 404),
        ("auditor_without_grant", 404),
        ("admin", 404),
    ],
)
def test_who_may_move_a_tile(world, role, status):
    assert move(world, 2, role=role).status_code == status
    moved = ProgressionMove.objects.exists()
    assert moved == (role in ("supervisor", "senior_manager"))


def test_a_move_is_a_post(world):
    url = reverse("progression-move", args=[world.child.pk])
    assert as_(world, "supervisor").get(url).status_code == 405


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("supervisor", 200),
        ("senior_manager", 200),
        ("supervisee", 404),
        ("other_supervisee", 404),
        ("other_team_supervisor", 404),
        ("other_senior_manager", 404),
        ("auditor_with_grant", 404),
        ("auditor_without_grant", 404),
        ("admin", 404),
    ],
)
def test_the_board_is_for_those_who_lead_the_team(world, role, status):
    assert as_(world, role).get(board_url(world)).status_code == status


def test_reading_the_board_is_audited(world):
    as_(world, "supervisor").get(board_url(world))
    assert AuditEvent.objects.filter(
        action=AuditAction.READ,
        object_type="progression_board",
        object_id=str(world.units["team"].pk),
    ).exists()


def test_moves_can_belong_to_a_case_progression_session(world):
    session = world.group_session
    page = text(as_(world, "supervisor").get(f"{board_url(world)}?group={session.pk}"))
    assert "recorded as part of the case progression session of 3 March 2026" in page
    assert f'name="group" value="{session.pk}"' in page
    response = move(world, 2, group=session.pk)
    assert response.url == f"{board_url(world)}?group={session.pk}#tile-{world.child.pk}"
    assert ProgressionMove.objects.get().group_session == session


def test_a_move_cannot_belong_to_another_kind_of_session(world):
    meeting = GroupSession.objects.create(
        unit=world.units["team"],
        format=GroupSession.Format.TEAM_MEETING,
        held_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
        facilitator=world.supervisor,
        created_by=world.supervisor,
        summary="Minutes",
    )
    supervisor = as_(world, "supervisor")
    move(world, 2, person=supervisor, group=meeting.pk)
    assert not ProgressionMove.objects.exists()
    page = text(supervisor.get(board_url(world)))
    assert "Choose a case progression session of this team" in page


def grow_board(world, count):
    """`count` more open children in the team, some of them already moved on the board."""
    team, worker = world.units["team"], world.supervisee
    start = Child.objects.count()
    children = Child.objects.bulk_create(
        Child(
            reference=f"NS9{start + n:05d}",
            initials="XY",
            unit=team,
            allocated_worker=worker,
            allocated_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
            rag_rating=["red", "amber", "green"][n % 3],
            progression_stage=n % 6 + 1,
        )
        for n in range(count)
    )
    ProgressionMove.objects.bulk_create(
        ProgressionMove(
            child=child,
            from_stage=1,
            to_stage=child.progression_stage,
            moved_by=world.supervisor,
            moved_at=datetime(2026, 2, 20, 9, tzinfo=UTC),
        )
        for child in children
        if child.progression_stage != 1
    )


def test_the_board_runs_the_same_queries_at_30_and_300_tiles(world, django_assert_num_queries):
    person = as_(world, "supervisor")
    for target in (30, 300):
        grow_board(world, target - Child.objects.filter(unit=world.units["team"]).count())
        assert Child.objects.filter(unit=world.units["team"], closed_on__isnull=True).count() == (
            target
        )
        person.get(board_url(world))  # the first request after sign-in also writes the session
        # The navigation's roles are one statement (issue 21: three before).
        with time_machine.travel(DAY, tick=False), django_assert_num_queries(11):
            # Justify any query added to this page.
            page = person.client.get(board_url(world))
        assert page.status_code == 200
        assert text(page).count('class="app-tile"') == target


# Committed data, so the two movers' connections see the tile. The serialized rollback puts
# back what the data migrations made (templates, the audit chain head, content types) and keeps
# the flush from re-creating content types that the next serialized test restores itself.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_moving_one_tile_at_once_make_one_move(postgres_only):
    """Both see the tile in assessment and both move it on: the second waits for the first,
    then finds it already moved, rather than recording a second move from a stage it has left."""
    import threading
    import time

    from django.db import connection, transaction

    from casework import group_services

    with time_machine.travel(DAY, tick=False):
        world = build_world()
    outcomes = []

    def move_on(person):
        try:
            group_services.progression_move(Child.objects.get(pk=world.child.pk), 2, person)
            outcomes.append("moved")
        except Exception as error:  # noqa: BLE001 - the refusal is what is counted
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    people = [world.supervisor, world.senior_manager]
    threads = [threading.Thread(target=move_on, args=(person,)) for person in people]
    with transaction.atomic():
        # Hold the tile so both movers are waiting on it at the same moment.
        Child.objects.select_for_update().get(pk=world.child.pk)
        for thread in threads:
            thread.start()
        time.sleep(0.5)
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(outcomes) == ["ValidationError", "moved"]
    assert ProgressionMove.objects.filter(child=world.child).count() == 1


def test_the_board_is_only_read(world):
    assert as_(world, "supervisor").post(board_url(world)).status_code == 405
