"""A real Celery worker process takes a task from the broker (Redis in CI) and runs it."""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from oversight.tasks import worker_ping

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def worker():
    queue = f"test-{uuid.uuid4().hex[:12]}"  # its own queue, so no other worker can take the task
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.base"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield queue
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_real_worker_runs_a_queued_task(worker):
    result = worker_ping.apply_async(queue=worker)
    outcome = result.get(timeout=60)
    assert outcome["pid"] != os.getpid(), "the task ran in the worker, not in the test"
    assert outcome["database"] in {"postgresql", "sqlite"}


def test_it_uses_redis_when_redis_url_is_set():
    if os.environ.get("REDIS_URL"):
        assert os.environ["REDIS_URL"] == settings.CELERY_BROKER_URL
        assert os.environ["REDIS_URL"] == settings.CELERY_RESULT_BACKEND
    else:
        assert settings.CELERY_BROKER_URL == "filesystem://"
