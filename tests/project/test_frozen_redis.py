"""A Redis that is frozen (the process stopped: its port still takes connections, nothing
answers) costs the product a second or two, never a hung request: queuing work, asking the
outbox to send, and the cache each give up within 2 seconds (issue 19). Run in a process of
its own, whose REDIS_URL names such a port, as the settings read it once at start."""

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from redis import Redis

ROOT = Path(__file__).resolve().parent.parent.parent

PROBE = """
import json, time
import django
django.setup()
from django.core.cache import cache
from supervision.organisation import broker
from supervision.outbox import _send_soon

def timed(call):
    started = time.monotonic()
    try:
        call()
        outcome = "returned"
    except Exception as error:
        outcome = type(error).__name__
    return {"seconds": round(time.monotonic() - started, 2), "outcome": outcome}

PDF = "supervision.tasks.record_pdf_generate"
answers = {"queue a PDF": timed(lambda: broker.hand_over(PDF, args=[1]))}
broker.rest_over()
answers["ask the outbox to send"] = timed(_send_soon)
# Once it has failed (its socket timed out, a second later), the broker is let be for a
# while: the next hand-over costs nothing.
time.sleep(1.5)
answers["hand over again at once"] = timed(_send_soon)
answers["read the cache"] = timed(lambda: cache.get("anything"))
print(json.dumps(answers))
"""


def test_a_frozen_redis_costs_each_call_under_two_seconds(tmp_path):
    with socket.socket() as frozen:
        # Listening, never accepting: the kernel completes each connection, and nothing ever
        # answers, as with a Redis stopped by SIGSTOP.
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(64)
        port = frozen.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-c", PROBE],
            cwd=ROOT,
            env={
                "PATH": "/usr/bin:/bin",
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
                "REDIS_URL": f"redis://127.0.0.1:{port}/0",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                "SECRET_KEY": "frozen-redis-probe",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    timings = json.loads(result.stdout.strip().splitlines()[-1])
    for what, timing in timings.items():
        assert timing["seconds"] < 2, f"{what}: {timing}"
    # The outbox is asked and gives up quietly: the email waits in its row.
    assert timings["ask the outbox to send"]["outcome"] == "returned"
    assert timings["hand over again at once"]["seconds"] < 0.1, "no second timeout"
    # A caller waits half a second at most (supervision/organisation/broker.py).
    assert timings["queue a PDF"]["seconds"] < 0.8


SLOW_PROBE = """
import django
django.setup()
from supervision.organisation import broker

for pk in (1, 2, 3):
    broker.hand_over("supervision.tasks.record_pdf_generate", args=[pk], queue="{queue}")
"""


def test_a_slow_broker_still_gets_every_task_a_short_lived_process_handed_over(tmp_path):
    """A first connection slower than the caller's wait (a loaded machine): the process goes
    on, and exits, without losing what it handed over. The later tasks were left to the
    hand-over under way, which gives them to Redis before the process ends."""
    queue = f"slow-broker-{tmp_path.name}"
    with socket.socket() as slow:
        slow.bind(("127.0.0.1", 0))
        slow.listen(8)
        port = slow.getsockname()[1]

        def relay():
            while True:
                try:
                    client, _ = slow.accept()
                except OSError:
                    return
                time.sleep(0.8)  # slower than the caller waits, within the socket timeout
                server = socket.create_connection(("127.0.0.1", 6379))
                for source, sink in ((client, server), (server, client)):
                    threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()

        threading.Thread(target=relay, daemon=True).start()
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-c", SLOW_PROBE.format(queue=queue)],
            cwd=ROOT,
            env={
                "PATH": "/usr/bin:/bin",
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
                "REDIS_URL": f"redis://127.0.0.1:{port}/14",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                "SECRET_KEY": "slow-redis-probe",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    redis = Redis.from_url("redis://127.0.0.1:6379/14")
    try:
        delivered = [json.loads(message) for message in redis.lrange(queue, 0, -1)]
    finally:
        redis.delete(queue)
    handed = sorted(message["headers"]["argsrepr"] for message in delivered)
    assert handed == ["[1]", "[2]", "[3]"], result.stderr
    assert took < 30


def _pipe(source, sink):
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
