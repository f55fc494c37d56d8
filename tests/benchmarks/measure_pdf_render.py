"""Median render time of a three-page finalised record over 7 runs (run by hand).

Run: .venv/bin/pytest -q -s -p no:logging tests/benchmarks/measure_pdf_render.py

"""

import statistics
import subprocess
import time

import pytest
import time_machine

from supervision.records.pdf import render_record_pdf
from tests.supervision.records.test_pdf import write_record
from tests.world import TODAY, build_world


@pytest.mark.django_db
def test_measure():
    with time_machine.travel(TODAY, tick=False):
        record = write_record(build_world())
    render_record_pdf(record, preview=False)  # warm up fonts and imports, as a worker would be
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        data = render_record_pdf(record, preview=False)
        timings.append(time.perf_counter() - started)
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    pages = next(ln for ln in info.stdout.decode().splitlines() if ln.startswith("Pages:"))
    print(f"\n{pages}; bytes={len(data)}; runs={[round(t, 3) for t in timings]}")
    print(f"median={statistics.median(timings):.3f}s")
