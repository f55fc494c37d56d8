"""A supervisee's actions on their home page: theirs to do, each with "Mark
as done" once the record is finalised; the supervisor's own actions listed apart; nothing from
a draft the supervisee has not been shown."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from supervision.models import Action
from supervision.models.audit import AuditEvent
from supervision.records import services
from tests.factories import SUPERVISEE_PASSWORD
from tests.records import held_session
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def _action(record, description, owner, by):
    return services.action_add(
        record=record,
        description=description,
        owner=owner,
        owner_name="Ann Other" if owner == "other" else "",
        due_date=date(2026, 3, 20),
        by=by,
    )


@pytest.fixture
def world():
    with time_machine.travel(DAY, tick=False):
        world = build_world()
        session = held_session(world)
        record = services.record_start(session=session, by=world.supervisor)
        world.mine = _action(record, "Read the guidance", "supervisee", world.supervisor)
        world.theirs = _action(record, "Book the training place", "supervisor", world.supervisor)
        _action(record, "Send the referral", "other", world.supervisor)
        services.record_share(record=record, by=world.supervisor)
        services.record_sign(record=record, password=SUPERVISEE_PASSWORD, by=world.supervisee)
        world.finalised = services.record_finalise(
            record=record, password=SUPERVISEE_PASSWORD, by=world.supervisor
        )
        yield world


def home(client, world, who="supervisee"):
    client.force_login(world.people[who])
    return client.get("/").content.decode()


def section(page, start, end="</ul>"):
    return page[page.index(start) : page.index(end, page.index(start))]


def test_the_supervisee_sees_their_own_actions_apart_from_the_supervisors(client, world):
    with time_machine.travel(DAY, tick=False):
        page = home(client, world)
    mine = section(page, "Your open actions (1)")
    assert "Read the guidance" in mine and "Book the training place" not in mine
    others = section(page, "Actions others agreed to take for you (2)")
    assert "Book the training place" in others and "(your supervisor)" in others
    assert "Send the referral" in others and "(Ann Other)" in others


def test_the_supervisee_marks_their_action_done_and_it_leaves_the_list(client, world):
    with time_machine.travel(DAY, tick=False):
        page = home(client, world)
        assert f'action="/actions/{world.mine.pk}/done/"' in page
        response = client.post(f"/actions/{world.mine.pk}/done/")
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
    assert "Action marked as done: Read the guidance" in page
    assert "Your open actions (0)" in page
    action = Action.objects.get(pk=world.mine.pk)
    assert action.status == Action.Status.DONE and action.status_changed_at == DAY
    entry = AuditEvent.objects.filter(detail__change="action marked done").get()
    assert (entry.actor, entry.subject) == (world.supervisee, world.supervisee)


@pytest.mark.parametrize("who", ["supervisor", "other_supervisee", "senior_manager", "admin"])
def test_nobody_else_marks_the_supervisees_action_done(client, world, who):
    client.force_login(world.people[who])
    with time_machine.travel(DAY, tick=False):
        assert client.post(f"/actions/{world.mine.pk}/done/").status_code == 404
    assert Action.objects.get(pk=world.mine.pk).status == Action.Status.OPEN
    refusal = AuditEvent.objects.filter(action="denied").latest("pk")
    assert refusal.subject == world.supervisee  # the supervisee's access log shows the try


def test_the_supervisee_cannot_mark_the_supervisors_action_done(client, world):
    client.force_login(world.supervisee)
    with time_machine.travel(DAY, tick=False):
        assert client.post(f"/actions/{world.theirs.pk}/done/").status_code == 404
        assert client.get(f"/actions/{world.mine.pk}/done/").status_code == 405


def test_an_action_of_a_record_not_yet_finalised_waits_and_a_draft_shows_nothing(client, world):
    with time_machine.travel(DAY, tick=False):
        later = held_session(
            world,
            starts_at=datetime(2026, 3, 5, 7, tzinfo=UTC),
            ends_at=datetime(2026, 3, 5, 8, tzinfo=UTC),
        )
        record = services.record_start(session=later, by=world.supervisor)
        draft = _action(record, "Draft thought", "supervisee", world.supervisor)
        assert "Draft thought" not in home(client, world)
        for earlier in services.open_actions_of(world.supervisee, before=later.starts_at):
            services.action_review(
                record=record, action=earlier, outcome="open", note="", by=world.supervisor
            )
        services.record_share(record=record, by=world.supervisor)
        page = home(client, world)
        assert "Draft thought" in page
        assert "You can mark it done once the record is finalised" in page
        response = client.post(f"/actions/{draft.pk}/done/", follow=True)
    assert "once the record it was agreed in is finalised" in response.content.decode()
    assert Action.objects.get(pk=draft.pk).status == Action.Status.OPEN


def test_marking_done_twice_says_it_is_already_done(client, world):
    client.force_login(world.supervisee)
    with time_machine.travel(DAY, tick=False):
        client.post(f"/actions/{world.mine.pk}/done/")
        page = client.post(f"/actions/{world.mine.pk}/done/", follow=True).content.decode()
    assert "This action is already done." in page
