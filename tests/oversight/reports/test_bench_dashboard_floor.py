"""Issue 21: `bench_dashboard --floor` prints each level's time beside the time of its SQL
alone, sent again straight to the database, and the ratio, in one table."""

from datetime import date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from demo.synthetic import generate_org
from oversight.policy.due import LONDON

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 5)
NOW = datetime(2026, 3, 5, 12, tzinfo=LONDON)


def test_each_level_is_timed_beside_its_sql_floor():
    with time_machine.travel(NOW, tick=False):
        generate_org(staff=30, years=1, children=60, today=TODAY)
        out = StringIO()
        call_command("bench_dashboard", "--repeat=2", "--floor", stdout=out)

    lines = out.getvalue().splitlines()
    header = next(line for line in lines if line.startswith("level"))
    assert header.split()[:9] == [
        "level", "p50", "ms", "p95", "ms", "floor", "p50", "floor", "p95",
    ]  # fmt: skip
    table = {}
    for line in lines:
        cells = line[14:].split()
        if cells and cells[0].replace(".", "").isdigit():
            table[line[:14].strip()] = cells[:7]
    assert list(table) == ["organisation", "service", "team", "person", "items", "person items"]
    for p50, p95, floor50, floor95, ratio50, ratio95, queries in table.values():
        assert 0 < float(p50) <= float(p95)
        assert 0 < float(floor50) <= float(floor95)
        # The ratio of the unrounded times: within the rounding of the times shown.
        assert float(ratio50.rstrip("×")) == pytest.approx(float(p50) / float(floor50), rel=0.1)
        assert float(ratio95.rstrip("×")) == pytest.approx(float(p95) / float(floor95), rel=0.1)
        assert int(queries) > 0
