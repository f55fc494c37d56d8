"""Background work kept as rows (supervision/work.py, issue 19): written with what asks for it,
taken under a lease, done once however often it is delivered, backed off after a failure,
failed for good after the last attempt, and handed to the broker again by the janitor when a
worker died or the broker lost it. The real processes (a worker SIGKILLed mid-task, Redis
killed) are in tests/project/test_faults.py."""

import os
import socket
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery import current_app
from django.conf import settings as django_settings

from oversight.models import Export
from supervision import work
from supervision.models import RecordPdfWork, SupervisionRecord
from supervision.organisation import broker
from supervision.records import services
from tests.factories import SUPERVISEE_PASSWORD
from tests.records import held_session
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
WORLD_AT = DAY


@pytest.fixture
def handed_over(monkeypatch):
    """What was handed to the broker, by task and id, instead of a real publish: nothing here
    consumes the queue, and a test must see what would have reached a worker."""
    sent = []

    def send_task(name, args, **options):
        sent.append((name, args[0]))

    monkeypatch.setattr(current_app, "send_task", send_task)
    return sent


@pytest.fixture
def broker_down(monkeypatch):
    def send_task(name, args, **options):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(current_app, "send_task", send_task)


def finalise(world):
    session = held_session(world)
    record = services.record_start(session=session, by=world.supervisor)
    services.record_share(record=record, by=world.supervisor)
    services.record_sign(record=record, password=SUPERVISEE_PASSWORD, by=world.supervisee)
    record = SupervisionRecord.objects.get(pk=record.pk)
    return services.record_finalise(
        record=record, password=SUPERVISEE_PASSWORD, by=world.supervisor
    )


def an_export(world, **fields) -> Export:
    return Export.objects.create(
        requested_by=world.senior_manager,
        table="test-unit-staff",
        params={},
        file_format="csv",
        title="Staff",
        created_at=DAY,
        **fields,
    )


def test_finalising_writes_the_pdf_owed_and_hands_it_over_once_committed(
    handed_over, django_capture_on_commit_callbacks
):
    with time_machine.travel(DAY, tick=False):
        world = build_world()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            record = finalise(world)
        owed = RecordPdfWork.objects.get(record=record)
        assert (owed.status, owed.requested_by, owed.queued_at) == (
            "queued",
            world.supervisor,
            None,
        )
        assert handed_over == [], "nothing is handed over before the record is committed"
        for callback in callbacks:
            callback()
    assert handed_over == [("supervision.tasks.record_pdf_generate", owed.pk)]
    owed.refresh_from_db()
    assert owed.queued_at == DAY


def test_a_dead_broker_loses_nothing_the_janitor_hands_it_over_later(
    broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    with time_machine.travel(DAY, tick=False):
        world = build_world()
        with django_capture_on_commit_callbacks(execute=True):
            record = finalise(world)
    assert SupervisionRecord.objects.get(pk=record.pk).is_finalised, "finalised all the same"
    owed = RecordPdfWork.objects.get(record=record)
    assert (owed.status, owed.queued_at) == ("queued", None)

    with time_machine.travel(DAY + timedelta(minutes=1), tick=False):
        assert work.sweep().handed_again == 0, "still down: still waiting"
    # The broker is back, and the process has let it be for its 30 seconds.
    broker.rest_over()
    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args, **o: sent.append(args[0]))
    with time_machine.travel(DAY + timedelta(minutes=2), tick=False):
        assert work.sweep().handed_again == 1
        assert work.sweep().handed_again == 0, "handed over once, then left to its worker"
    assert sent == [owed.pk]


def test_a_delivery_while_another_worker_holds_the_lease_does_nothing(world, handed_over):
    export = an_export(world)
    with time_machine.travel(DAY, tick=False):
        first = work.claim(Export, export.pk)
        assert (first.status, first.attempts, first.lease_owner) == (
            "running",
            1,
            f"{socket.gethostname()}:{os.getpid()}",
        )
        assert first.lease_expires_at == DAY + timedelta(minutes=16, seconds=30)
        assert work.claim(Export, export.pk) is None
    with time_machine.travel(DAY + timedelta(minutes=17), tick=False):
        second = work.claim(Export, export.pk)
    assert second.attempts == 2, "a lease that ran out is taken, and counted"
    assert not work.finish(first), "the first worker, back from the dead, finishes nothing"
    assert work.finish(second)
    assert work.claim(Export, export.pk) is None, "done is done"


def test_work_held_by_a_dead_process_on_this_machine_is_taken_at_once(world):
    gone = subprocess.Popen(["true"])
    gone.wait()
    export = an_export(world)
    Export.objects.filter(pk=export.pk).update(
        status="running",
        attempts=1,
        lease_owner=f"{socket.gethostname()}:{gone.pid}",
        lease_expires_at=DAY + timedelta(hours=1),
    )
    with time_machine.travel(DAY, tick=False):
        taken = work.claim(Export, export.pk)
    assert taken is not None and taken.attempts == 2

    # A live process, or one on another machine, keeps its lease.
    for owner in (f"{socket.gethostname()}:1", "another-host:12345"):
        Export.objects.filter(pk=export.pk).update(lease_owner=owner)
        with time_machine.travel(DAY, tick=False):
            assert work.claim(Export, export.pk) is None, owner


def test_failed_attempts_back_off_then_fail_for_good(world, settings):
    export = an_export(world)
    waits = []
    for attempt in range(1, 6):
        moment = DAY + timedelta(hours=attempt)
        with time_machine.travel(moment, tick=False):
            taken = work.claim(Export, export.pk)
            status = work.attempt_failed(taken, OSError("No space left on device"))
        export.refresh_from_db()
        if status == "queued":
            waits.append(export.not_before - moment)
            with time_machine.travel(export.not_before - timedelta(seconds=1), tick=False):
                assert work.claim(Export, export.pk) is None, "not before its back-off ends"
    assert waits == [timedelta(minutes=n) for n in (1, 2, 4, 8)]
    assert (export.status, export.attempts, export.error) == (
        "failed",
        settings.BACKGROUND_WORK_ATTEMPTS,
        "Something went wrong while the file was being made.",
    )
    with time_machine.travel(DAY + timedelta(days=1), tick=False):
        assert work.claim(Export, export.pk) is None, "failed waits for a person's Try again"
        assert work.sweep().handed_again == 0


def test_a_permanent_failure_is_not_tried_again(world):
    export = an_export(world)
    taken = work.claim(Export, export.pk)
    message = "You no longer have access to this table, so the file was not made."
    assert work.attempt_failed(taken, work.PermanentFailure(message)) == "failed"
    export.refresh_from_db()
    assert (export.attempts, export.error) == (1, message)


def test_the_janitor_frees_work_whose_worker_died_and_fails_its_last_attempt(
    world, handed_over, settings
):
    dead = an_export(world)
    last = an_export(world)
    long_ago = DAY - timedelta(hours=1)
    for export, attempts in ((dead, 2), (last, settings.BACKGROUND_WORK_ATTEMPTS)):
        Export.objects.filter(pk=export.pk).update(
            status="running",
            attempts=attempts,
            lease_owner="another-host:1",
            lease_expires_at=DAY - timedelta(seconds=1),
            queued_at=long_ago,
        )
    fresh = an_export(world, queued_at=DAY - timedelta(seconds=30))
    forgotten = an_export(world, queued_at=DAY - timedelta(minutes=3))

    with time_machine.travel(DAY, tick=False):
        swept = work.sweep()
    assert (swept.freed, swept.failed, swept.handed_again) == (1, 1, 2)
    assert sorted(pk for _, pk in handed_over) == sorted([dead.pk, forgotten.pk])
    dead.refresh_from_db()
    last.refresh_from_db()
    fresh.refresh_from_db()
    assert (dead.status, dead.attempts) == ("queued", 2)
    assert (last.status, last.error) == ("failed", Export.GAVE_UP)
    assert fresh.status == "queued" and fresh.queued_at == DAY - timedelta(seconds=30)


def test_every_kind_of_work_has_time_limits_within_the_brokers_redelivery():
    # What a worker imports (config.celery's autodiscovery): the tasks modules.
    import oversight.tasks  # noqa: F401
    import supervision.tasks  # noqa: F401
    from config.celery import app as celery_app

    annotations = django_settings.CELERY_TASK_ANNOTATIONS
    visibility = 30 * 60  # config/settings/base.py, for Redis
    for label in work.KINDS:
        from django.apps import apps

        model = apps.get_model(label)
        soft, hard = work.time_limits(model)
        assert annotations[model.TASK_NAME] == {"soft_time_limit": soft, "time_limit": hard}
        assert soft < hard < visibility, label
        assert work.lease_length(model) > timedelta(seconds=hard)
        assert model.TASK_NAME in celery_app.tasks, "the worker knows the task by that name"


def test_the_janitor_runs_every_minute_and_expires_within_it():
    from django_celery_beat.models import PeriodicTask

    job = PeriodicTask.objects.get(task="supervision.tasks.background_work_sweep")
    assert (job.interval.every, job.interval.period, job.expire_seconds) == (1, "minutes", 60)
    assert job.enabled


def test_work_left_running_by_an_earlier_version_is_freed(world, handed_over):
    # "Being made, 92 %" for ever: running, with no lease, since before leases existed.
    stuck = an_export(world, status="running", rows_done=92)
    with time_machine.travel(DAY, tick=False):
        swept = work.sweep()
    assert (swept.freed, swept.handed_again) == (1, 1)
    assert handed_over == [("oversight.tasks.export_build", stuck.pk)]
    with time_machine.travel(DAY, tick=False):
        taken = work.claim(Export, stuck.pk)
    assert (taken.status, taken.attempts) == ("running", 1)
