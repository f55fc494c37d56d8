"""The home page's records to act on, read in one query (access.records.records_waiting_on),
are the same lists, in the same order, as the three queries that each page of its own uses."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from access.records import (
    records_to_edit_by,
    records_to_finalise_by,
    records_waiting_for_view_by,
    records_waiting_on,
    waiting_lists,
)
from supervision.models import Disagreement, SupervisionRecord, User
from supervision.records import services
from tests.records import held_session
from tests.world import build_world

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def in_order(records):
    return list(records.order_by("session__starts_at", "pk"))


def test_one_query_lists_what_the_three_list():
    Status = SupervisionRecord.Status
    # Records in every state the lists tell apart, some with a disagreement whose supervisor's
    # view is given and some with it still to come.
    states = [
        (Status.DRAFT, None),
        (Status.AMENDMENT_REQUESTED, None),
        (Status.SHARED, True),
        (Status.SHARED, False),
        (Status.SHARED, None),
        (Status.SUPERVISEE_SIGNED, False),
        (Status.SUPERVISEE_SIGNED, True),
        (Status.SUPERVISEE_SIGNED, None),
        (Status.FINALISED, None),
    ]
    with time_machine.travel(NOW, tick=False):
        world = build_world()
        for days, (status, given) in enumerate(states, start=1):
            start = NOW - timedelta(days=days)
            session = held_session(world, starts_at=start, ends_at=start + timedelta(hours=1))
            record = services.record_start(session=session, by=world.supervisor)
            SupervisionRecord.objects.filter(pk=record.pk).update(status=status)
            if given is not None:
                Disagreement.objects.create(
                    record=record,
                    subject="The plan for the Ahmed family",
                    raised_by=world.supervisee,
                    supervisee_view="Not what we agreed.",
                    supervisor_signed_at=NOW if given else None,
                )
        found = {"to_write": 0, "to_finalise": 0, "to_give_view": 0}
        for user in User.objects.all():
            lists = waiting_lists(in_order(records_waiting_on(user)))
            assert lists == {
                "to_write": in_order(records_to_edit_by(user)),
                "to_finalise": in_order(records_to_finalise_by(user)),
                "to_give_view": in_order(records_waiting_for_view_by(user)),
            }, user
            for key, records in lists.items():
                found[key] += len(records)
    # Each list had something in it (the world may hold drafts of its own).
    assert found["to_write"] >= 2 and found["to_finalise"] == 3 and found["to_give_view"] == 2
