"""The cycle collector is held off while a tick judges a batch (oversight.flags.scheduled
._collector_paused) and runs again after it: after a batch that raised, after one that failed,
and never switched on by a tick in a process that had switched it off."""

import gc

import pytest

from oversight.flags import scheduled
from tests.oversight.flags.small_org import at, build_org, local, ticked


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    gc.enable() if was else gc.disable()


def test_the_collector_runs_again_after_a_batch_whether_it_ended_well_or_not(collector_on):
    with scheduled._collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()

    with pytest.raises(RuntimeError), scheduled._collector_paused():
        raise RuntimeError("a batch that failed")
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off(collector_on):
    gc.disable()
    with scheduled._collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


@pytest.mark.django_db
def test_a_tick_judges_its_batches_with_the_collector_held_and_leaves_it_running(
    collector_on, monkeypatch
):
    with at(local(2026, 2, 1, 9)):
        build_org()
    seen, sync = [], scheduled._sync

    def judged(*args, **kwargs):
        seen.append(gc.isenabled())
        return sync(*args, **kwargs)

    monkeypatch.setattr(scheduled, "_sync", judged)
    result = ticked(local(2026, 3, 3, 9, 15))
    assert seen and not any(seen)  # every batch judged with the collector held
    assert gc.isenabled()
    assert result.people
