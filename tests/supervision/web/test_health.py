"""`/healthz/` names the database, the broker and the scheduler, each on its own line, and
answers 503 when any of them is down (issue 19)."""

import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
WORLD_AT = NOW


def beat_last_sent(ago: timedelta) -> None:
    PeriodicTask.objects.filter(task="oversight.tasks.notifications_send").update(
        last_run_at=NOW - ago
    )


def get_health(client):
    with time_machine.travel(NOW, tick=False):
        return client.get("/healthz/")


def test_all_three_up(client):
    beat_last_sent(timedelta(minutes=4))
    response = get_health(client)
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0] == "database: ok (answers)"
    assert lines[1].startswith("broker: ok")
    assert lines[2] == "scheduler: ok (last sent a job 240 seconds ago)"
    assert lines[3] == "workers: ok (0 waiting, 0 failed)"


def test_a_silent_scheduler_is_named_and_answers_503(client):
    beat_last_sent(timedelta(minutes=31))
    response = get_health(client)
    assert response.status_code == 503
    assert "scheduler: down (last sent a job 31 minutes ago)" in response.content.decode()
    assert "database: ok" in response.content.decode()


def test_a_scheduler_that_never_ran_is_down(client):
    PeriodicTask.objects.update(last_run_at=None)
    assert "scheduler: down (has never sent a job)" in get_health(client).content.decode()


def test_a_frozen_broker_is_named_within_two_seconds(client, settings):
    beat_last_sent(timedelta(minutes=1))
    with socket.socket() as frozen:
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(8)
        settings.REDIS_URL = f"redis://127.0.0.1:{frozen.getsockname()[1]}/0"
        started = datetime.now(UTC)
        response = get_health(client)
        took = datetime.now(UTC) - started
    assert response.status_code == 503
    assert "broker: down (TimeoutError)" in response.content.decode()
    assert took < timedelta(seconds=2)


def test_the_command_fails_for_the_part_asked_for(capsys):
    beat_last_sent(timedelta(minutes=45))
    with time_machine.travel(NOW, tick=False):
        call_command("health", "--only", "database")
        with pytest.raises(CommandError, match="Down: scheduler"):
            call_command("health", "--only", "scheduler")
    assert "scheduler: down (last sent a job 45 minutes ago)" in capsys.readouterr().out


def test_every_scheduled_job_expires_before_its_next_run_would_repeat_it():
    jobs = PeriodicTask.objects.exclude(task="celery.backend_cleanup")
    assert jobs.count() >= 6
    for job in jobs:
        assert job.expire_seconds, f"{job.task} never expires"
        if job.interval_id:
            assert job.expire_seconds <= job.interval.every * 60, job.task


def test_work_nobody_takes_names_the_workers_and_answers_503(client, world):
    from oversight.models import Export

    beat_last_sent(timedelta(minutes=1))
    common = {"requested_by": world.senior_manager, "table": "t", "file_format": "csv"}
    Export.objects.create(**common, title="Waited", created_at=NOW - timedelta(minutes=31))
    # Backing off after a failed attempt is not waiting for a worker, however old.
    Export.objects.create(
        **common,
        title="Backing off",
        created_at=NOW - timedelta(hours=2),
        not_before=NOW + timedelta(minutes=4),
    )
    Export.objects.create(**common, title="Gave up", created_at=NOW, status="failed")
    response = get_health(client)
    assert response.status_code == 503
    assert (
        "workers: down (1 waiting, 1 failed; the oldest has waited 31 minutes: no worker is "
        "taking work)"
    ) in response.content.decode()

    Export.objects.filter(title="Waited").update(status="running")
    response = get_health(client)
    assert response.status_code == 200
    assert "workers: ok (0 waiting, 1 failed)" in response.content.decode()
