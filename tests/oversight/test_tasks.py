"""The beat job's task: what a worker reports after a tick."""

from datetime import UTC, datetime

import pytest
import time_machine

from oversight.models import Flag
from oversight.tasks import flags_tick
from tests.world import build_world

pytestmark = pytest.mark.django_db


def test_the_task_ticks_and_reports_every_count():
    with time_machine.travel(datetime(2026, 3, 5, 9, tzinfo=UTC), tick=False):
        build_world()
    # Three weeks on, the world's record of 4 March is long overdue for write-up (R6).
    with time_machine.travel(datetime(2026, 3, 25, 9, tzinfo=UTC), tick=False):
        first = flags_tick.apply().get()
        again = flags_tick.apply().get()
    assert set(first) == {"people", "children", "raised", "resolved", "recorded"}
    assert (
        first["people"] > 0
        and first["raised"] == Flag.objects.filter(resolved_at__isnull=True).count()
    )
    assert Flag.objects.filter(kind="record_overdue", resolved_at__isnull=True).exists()
    # Nothing has changed since: the second tick looks at nobody.
    assert again == {"people": 0, "children": 0, "raised": 0, "resolved": 0, "recorded": 0}
