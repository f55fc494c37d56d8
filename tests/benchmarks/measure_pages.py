"""Page throughput under load, each page beside its floor, in one run. Run by hand:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sup_bench REDIS_URL=redis://127.0.0.1:6379/N \\
        .venv/bin/python tests/benchmarks/measure_pages.py --seconds 10

against a database holding an organisation built by generate_org (for instance
`manage.py generate_org --staff 500 --years 3 --children 3000`). It migrates the database,
runs the flag job until it is idle (the homes read what it keeps), signs in three people
(a supervisor with the most supervisees, a supervisee of theirs who supervises nobody, and
that supervisee for one of their records) and starts gunicorn, as the Dockerfile does, on a
free loopback port with tests/benchmarks/pages_settings.py (the project's settings, and a
hello view of the benchmark's own URLconf). Each page is then driven for --seconds by wrk
(--connections connections, two threads) if it is installed, else by a Python client with
the same number of connections, after a short warm-up, one page after the other; loopback
only. Every answer must be a 200, or the run stops.

Printed: requests a second for the hello view without a session, the hello view with a
session cookie (the floor of every page: what the middleware costs, reading the session and
the user), the record page, the supervisor's home and the supervisee's home, each beside its
floor and the ratio, and the target ratio where issue 21 sets one. The machine's load average
is printed too: on a shared machine the ratios mean more than the figures.
"""

import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SETTINGS = "tests.benchmarks.pages_settings"
os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS

# Issue 21's targets: a page's throughput as a share of the hello view's with a session.
TARGETS = {"record page": 0.25, "supervisor home": 0.15}


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="per page (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="at once (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--python-client", action="store_true", help="even if wrk is here")
    return parser.parse_args()


# --- The organisation and the people -----------------------------------------------------------


def prepare():
    """Migrate, bring the flag job up to date, and sign the three people in. Returns the
    pages to measure as (name, path, session cookie or None) and a line about the org."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Q
    from django.utils import timezone

    from oversight.flags.scheduled import tick
    from supervision.models import (
        StaffProfile,
        SupervisionRecord,
        SupervisionSession,
        SupervisoryRelationship,
    )

    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL must name PostgreSQL, with an organisation built by generate_org")
    call_command("migrate", verbosity=0)
    if not StaffProfile.objects.exists():
        sys.exit("No staff here: build an organisation first (manage.py generate_org)")
    started = time.monotonic()
    looked = 0
    while True:
        result = tick(timezone.now())
        looked += result.people + result.children
        if not (result.people or result.children):
            break
    print(
        f"Flag job brought up to date: {looked:,} looked at in {time.monotonic() - started:.1f} s"
    )

    today = timezone.localdate()
    current = Q(starts_on__lte=today) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    relationships = SupervisoryRelationship.objects.filter(current)
    supervising = relationships.values("supervisor_id")
    # The supervisor with the most supervisees among those who supervise someone who
    # supervises nobody (a team manager, rather than a director of managers).
    busiest = (
        relationships.filter(
            supervisor_id__in=relationships.exclude(supervisee_id__in=supervising).values(
                "supervisor_id"
            )
        )
        .values("supervisor_id")
        .annotate(n=Count("supervisee_id", distinct=True))
        .order_by("-n", "supervisor_id")
        .first()
    )
    supervisor_id = busiest["supervisor_id"]
    supervisees = relationships.filter(supervisor_id=supervisor_id)
    supervisee_id = (
        supervisees.exclude(supervisee_id__in=supervising)
        .annotate(records=Count("supervisee__sessions_as_supervisee__record"))
        .order_by("-records", "supervisee_id")
        .values_list("supervisee_id", flat=True)
        .first()
    )
    record = (
        SupervisionRecord.objects.filter(session__supervisee_id=supervisee_id)
        .order_by("-session__starts_at")
        .first()
    )
    sessions = SupervisionSession.objects.filter(
        supervisee_id__in=supervisees.values("supervisee_id")
    ).count()
    about = (
        f"{StaffProfile.objects.count():,} staff; the supervisor has {busiest['n']} supervisees "
        f"with {sessions:,} sessions between them"
    )
    cookies = {who: signed_in(who) for who in (supervisor_id, supervisee_id)}
    return [
        ("hello, no session", "/bench-hello/", None),
        ("hello, session", "/bench-hello/", cookies[supervisee_id]),
        ("record page", f"/sessions/{record.session_id}/record/", cookies[supervisee_id]),
        ("supervisor home", "/", cookies[supervisor_id]),
        ("supervisee home", "/", cookies[supervisee_id]),
    ], about


def signed_in(user_id) -> str:
    """A session signed in as the person, as signing in leaves it (no second factor asked
    for: the benchmark measures pages, not the setting up of one)."""
    from importlib import import_module

    from django.conf import settings
    from django.test import Client

    from supervision.accounts import policy
    from supervision.models import User

    client = Client()
    client.force_login(User.objects.get(pk=user_id))
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    store.pop(policy.SETUP_NEEDED, None)
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={key}"


# --- The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        return spare.getsockname()[1]


def serve(port: int, workers: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [str(gunicorn), "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench-hello/", timeout=5)
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    sys.exit("gunicorn did not answer within a minute")


def check(port: int, path: str, cookie: str | None) -> None:
    """Every page answers 200 to the cookie (not a redirect to sign in), before it is timed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"{path}: answered {response.status}, not 200")


# --- The load -------------------------------------------------------------------------------


def with_wrk(port, path, cookie, seconds, connections) -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    if bad or (errors and "timeout 0" not in errors.group(1)):
        sys.exit(f"{path}: not every answer was a 200\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def with_python(port, path, cookie, seconds, connections) -> float:
    """`connections` threads, each with its own connection, asking one after the other until
    the time is up."""
    deadline = time.monotonic() + seconds
    counts, failures = [0] * connections, []
    headers = {"Cookie": cookie} if cookie else {}

    def run(index):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < deadline:
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            if response.status != 200:
                failures.append(response.status)
                return
            counts[index] += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        sys.exit(f"{path}: answered {failures[0]}, not 200")
    return sum(counts) / (time.monotonic() - started)


# --- The run ------------------------------------------------------------------------------


def main():
    options = arguments()
    pages, about = prepare()
    wrk = shutil.which("wrk") if not options.python_client else None
    drive = with_wrk if wrk else with_python
    port = free_port()
    server = serve(port, options.workers)
    try:
        rates = {}
        for name, path, cookie in pages:
            check(port, path, cookie)
            drive(port, path, cookie, 2, options.connections)  # warm-up, not counted
            rates[name] = drive(port, path, cookie, options.seconds, options.connections)
    finally:
        server.terminate()
        server.wait(timeout=30)

    client = "wrk" if wrk else "a Python client"
    print(about)
    print(
        f"gunicorn, {options.workers} sync workers; {client}, {options.connections} connections, "
        f"{options.seconds} s a page; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    print()
    print(f"{'measure':<20} {'req/s':>8}   {'floor':<24} {'req/s':>8}   {'ratio':>6}   target")
    for name, _, _ in pages:
        floor = None if name.startswith("hello, no") else "hello, no session"
        if name not in ("hello, no session", "hello, session"):
            floor = "hello, session"
        if floor is None:
            print(f"{name:<20} {rates[name]:>8.1f}")
            continue
        ratio = rates[name] / rates[floor]
        target = TARGETS.get(name)
        verdict = (
            "" if target is None else f">= {target:.2f} {'met' if ratio >= target else 'NOT met'}"
        )
        print(
            f"{name:<20} {rates[name]:>8.1f}   {floor:<24} {rates[floor]:>8.1f}   "
            f"{ratio:>6.3f}   {verdict}"
        )


if __name__ == "__main__":
    main()
