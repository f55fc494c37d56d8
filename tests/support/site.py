"""A site of the product's own, for the fault tests (tests/project/test_faults.py): its own
PostgreSQL database, its own redis-server on a spare port, and the product's processes
(gunicorn, Celery workers) started as production starts them, each of which a test may kill,
freeze or restart. Nothing here is shared with the test database or the machine's Redis."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.parse
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
SUPERUSER_URL = os.environ.get(
    "DATABASE_SUPERUSER_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
# What the processes inherit from the test run that would point them at its services.
NOT_INHERITED = (
    "DATABASE_URL",
    "MIGRATE_DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_CURRENT_TEST",
)
# Run before a snippet in the site: Django set up on the site's settings.
PRELUDE = """
import json, django
django.setup()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


def wait_until(check, timeout: float, what: str, every: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"{what}: not within {timeout} s")


class Site:
    def __init__(self, folder: Path, *, work_seconds: int = 60):
        self.folder = folder
        self.database = f"faults_{uuid.uuid4().hex[:12]}"
        self.redis_port = free_port()
        self.redis: subprocess.Popen | None = None
        self.processes: list[subprocess.Popen] = []
        superuser = urllib.parse.urlsplit(SUPERUSER_URL)
        self.database_url = urllib.parse.urlunsplit(superuser._replace(path=f"/{self.database}"))
        self.env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        self.env |= {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "SECRET_KEY": "a key for the fault tests' own site, used nowhere else",
            "MEDIA_ROOT": str(folder / "media"),
            "RECORD_SIGNING_CERTIFICATE": str(folder / "signing" / "organisation.p12"),
            "RECORD_SIGNING_PASSPHRASE": "fault tests",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(free_port()),
            "BACKGROUND_WORK_SECONDS": str(work_seconds),
            "PYTHONUNBUFFERED": "1",
        }

    # --- The database -------------------------------------------------------------------

    def create(self) -> "Site":
        with psycopg.connect(SUPERUSER_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.database}"')
        self.manage("migrate", "--no-input", "-v0")
        self.manage("make_signing_certificate")
        return self

    def copy(self, folder: Path) -> "Site":
        """A site of its own on a copy of this one's database, as migrated: copying a
        database takes a second, migrating one ten."""
        site = Site(folder, work_seconds=int(self.env["BACKGROUND_WORK_SECONDS"]))
        site.env["RECORD_SIGNING_CERTIFICATE"] = self.env["RECORD_SIGNING_CERTIFICATE"]
        with psycopg.connect(SUPERUSER_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{site.database}" TEMPLATE "{self.database}"')
        return site

    def drop(self) -> None:
        self.stop_all()
        with psycopg.connect(SUPERUSER_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def sql(self, statement: str, params=None) -> list[tuple]:
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            cursor = (
                connection.execute(statement, params) if params else connection.execute(statement)
            )
            return cursor.fetchall() if cursor.description else []

    # --- Running the product's code in the site -----------------------------------------

    def manage(self, *args, timeout: float = 180) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)}: {result.stderr[-3000:]}"
        return result.stdout

    def run(self, code: str, timeout: float = 180, **extra_env):
        """Run `code` in a fresh process of the site; it prints its answer as JSON last."""
        result = subprocess.run(
            [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
            cwd=ROOT,
            env=self.env | extra_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, result.stderr[-5000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    # --- Redis ----------------------------------------------------------------------------

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.redis_port)

    def kill_redis(self) -> None:
        """As a crash: SIGKILL, and everything it held (the queue) is gone with it."""
        self.redis.kill()
        self.redis.wait()

    def freeze_redis(self) -> None:
        """Stopped, not dead: its port still takes connections and nothing answers."""
        self.redis.send_signal(signal.SIGSTOP)

    def thaw_redis(self) -> None:
        self.redis.send_signal(signal.SIGCONT)

    # --- The product's processes ----------------------------------------------------------

    def _start(self, args, log_name: str) -> subprocess.Popen:
        log = open(self.folder / log_name, "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        process.log_path = self.folder / log_name
        self.processes.append(process)
        return process

    def start_worker(self, name: str = "worker", concurrency: int = 1) -> subprocess.Popen:
        """A Celery worker as in docker-compose: the prefork pool, so a child killed mid-task
        is noticed by its parent, as when the out-of-memory killer picks it."""
        worker = self._start(
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                f"--concurrency={concurrency}",
                # As docker compose runs them (its comment says why).
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                "-n",
                f"{name}-{uuid.uuid4().hex[:6]}@%h",
            ],
            f"{name}.log",
        )
        wait_until(
            lambda: "ready." in worker.log_path.read_text(errors="replace"), 60, f"{name} ready"
        )
        return worker

    def start_web(self, name: str = "web") -> tuple[subprocess.Popen, int]:
        port = free_port()
        web = self._start(
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "60",
            ],
            f"{name}.log",
        )
        wait_for_port(port, timeout=60)
        return web, port

    def wait_until(self, check, timeout: float, what: str, every: float = 0.25):
        """As wait_until, with the site's processes' logs in the failure."""
        try:
            return wait_until(check, timeout, what, every)
        except TimeoutError as error:
            raise TimeoutError(f"{error}\n{self.logs()}") from None

    def wait_for_idle_queue(self, timeout: float = 120) -> None:
        """Until the workers have taken and acknowledged everything queued so far. Redis lost
        within milliseconds of a worker's start can crash it ("Unrecoverable error" in kombu,
        while it restores what it had just received); docker compose restarts a worker that
        exits, these tests do not, so they break Redis only once the worker has settled."""
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.redis_port)
        try:
            self.wait_until(
                lambda: client.llen("celery") == 0 and client.hlen("unacked") == 0,
                timeout,
                "the workers idle",
            )
        finally:
            client.close()

    def logs(self) -> str:
        """Each process's warnings and errors, then the end of its log."""
        parts = []
        for process in self.processes:
            text = process.log_path.read_text(errors="replace")
            notable = [
                line
                for line in text.splitlines()
                if any(level in line for level in ("WARNING/", "ERROR/", "CRITICAL/"))
            ]
            parts.append(
                f"--- {process.log_path.name}: warnings and errors\n"
                + "\n".join(notable[-40:])
                + f"\n--- {process.log_path.name}: the end\n{text[-3000:]}"
            )
        return "\n".join(parts)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
        if self.redis is not None and self.redis.poll() is None:
            self.thaw_redis()
            self.redis.kill()
            self.redis.wait()
