"""Milliseconds a request, in process: the record page and the two home pages beside the hello
view with a session, as measure_pages.py picks them (the same organisation, people and
settings), without a server. Run by hand:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sup_bench \\
        .venv/bin/python tests/benchmarks/time_pages_in_process.py --requests 50

Printed for each page: its queries and the median over --requests of the wall time and of the
process's CPU time (the Python a worker spends; the wall time adds the database's and, on a
busy machine, waiting for a core).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure_pages  # noqa: E402 - sets the settings module and the path first


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="per page (default 50)")
    options = parser.parse_args()
    pages, about = measure_pages.prepare()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    print(about)
    for name, path, cookie in pages:
        if name == "hello, no session":
            continue
        client = Client(HTTP_HOST="127.0.0.1")
        key, value = cookie.split("=", 1)
        client.cookies[key] = value
        for _ in range(3):  # warm: templates compiled, the record's rendering kept
            assert client.get(path).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        # Counted now: a new connection (CONN_MAX_AGE) empties the log they are read from.
        count = len(queries)
        walls, cpus = [], []
        for _ in range(options.requests):
            wall, cpu = time.perf_counter(), time.process_time()
            client.get(path)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        print(
            f"{name:<16} {count:>3} queries   wall {statistics.median(walls):7.2f} ms"
            f"   CPU {statistics.median(cpus):7.2f} ms   (median of {options.requests})"
        )


if __name__ == "__main__":
    main()
