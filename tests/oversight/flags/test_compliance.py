"""`manage.py compliance --as-of`: every item overdue at a moment, from facts
dated up to then, with the pack version then in force."""

import csv
import io
import json
from copy import deepcopy
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from oversight.flags.compliance import held_rows
from oversight.flags.scheduled import tick
from oversight.models import PolicyPackVersion
from tests.oversight.flags.small_org import at, build_org, local

HEADER = "kind,staff,case,due,since"


def report(*args) -> str:
    out = io.StringIO()
    call_command("compliance", *args, stdout=out)
    return out.getvalue()


def rows(*args) -> list[dict]:
    return list(csv.DictReader(io.StringIO(report(*args))))


def of(found, **match) -> list[dict]:
    return [row for row in found if all(row[k] == v for k, v in match.items())]


@pytest.fixture
def org(db):
    """p1 in Team A, held a session on 2 March; p2 in Team B, given a child late on 4 March."""
    with at(local(2026, 2, 1, 9)):
        org = build_org()
        org.p1 = org.person("p1", date(2025, 6, 2))
        org.p2 = org.person("p2", date(2025, 6, 2), unit=org.other_team)
    with at(local(2026, 3, 2, 11)):
        org.held(org.p1, local(2026, 3, 2, 10))
    with at(local(2026, 3, 4, 23)):
        org.child("NS500001", org.p2, local(2026, 3, 4, 23), unit=org.other_team)
    return org


def test_csv_has_a_header_and_one_row_per_overdue_item(org):
    text = report("--as-of", "2026-03-05")
    assert text.splitlines()[0] == HEADER
    found = list(csv.DictReader(io.StringIO(text)))
    # C3 (004 Management Oversight): allocated at 11pm on 4 March, not discussed in 24 hours.
    assert of(found, kind="allocation_not_discussed") == [
        {
            "kind": "allocation_not_discussed",
            "staff": "p2@example.org",
            "case": "NS500001",
            "due": "2026-03-05T23:00:00+00:00",
            "since": "2026-03-05T23:00:00+00:00",
        }
    ]
    # F1: p1's session on 2 March makes the next due 2 April.
    assert of(found, kind="session_overdue", staff="p1@example.org") == []
    assert of(found, kind="session_overdue", staff="manager@example.org")  # never supervised


def test_a_date_means_the_end_of_that_day_in_london_and_a_time_is_exact(org):
    def allocation(as_of):
        return of(rows("--as-of", as_of), kind="allocation_not_discussed")

    assert allocation("2026-03-05")  # 23:59:59.999999 on 5 March
    assert not allocation("2026-03-04")
    assert not allocation("2026-03-05T22:59")
    assert not allocation("2026-03-05T23:00")  # exactly 24 hours is in time
    assert allocation("2026-03-05T23:01")
    assert allocation("2026-03-05T23:30+00:00")
    assert not allocation("2026-03-05T23:30+02:00")  # 21:30 in London


def test_json_gives_the_same_rows_as_csv(org):
    as_json = json.loads(report("--as-of", "2026-03-06T12:00", "--format", "json"))
    assert as_json == rows("--as-of", "2026-03-06T12:00")
    assert as_json and set(as_json[0]) == {"kind", "staff", "case", "due", "since"}


def test_a_unit_means_it_and_every_unit_below(org):
    team_b = rows("--as-of", "2026-03-06", "--unit", "team-b")
    assert {row["staff"] for row in team_b} == {"p2@example.org"}
    assert "NS500001" in {row["case"] for row in team_b}
    team_a = rows("--as-of", "2026-03-06", "--unit", "team-a")
    assert {row["staff"] for row in team_a} == {"manager@example.org", "p1@example.org"}
    everyone = rows("--as-of", "2026-03-06", "--unit", "dir")
    assert sorted(map(str, everyone)) == sorted(map(str, team_a + team_b))
    assert everyone == rows("--as-of", "2026-03-06")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--as-of", "5 March 2026"], "--as-of"),
        (["--as-of", "2026-02-30"], "--as-of"),
        (["--as-of", "2026-03-05T25:00"], "--as-of"),
        (["--as-of", "2026-03-05", "--unit", "no-such-team"], "--unit"),
    ],
)
def test_bad_input_is_refused_naming_the_option(org, args, option):
    with pytest.raises(CommandError, match=option):
        report(*args)


def test_a_report_before_a_new_version_uses_the_version_then_in_force(org):
    """Kent version 2, from 20 March 2026, asks for a session every 2 weeks. p1's session on
    2 March is next due on 2 April under version 1 and on 16 March under version 2."""
    first = PolicyPackVersion.objects.get(code="kent", version=1)
    data = deepcopy(first.data)
    data.update(version=2, effective_from="2026-03-20")
    data["intervals"]["practitioner"] = {"phases": [{"every": 2, "unit": "weeks"}]}
    PolicyPackVersion.objects.create(
        code="kent", version=2, name=first.name, effective_from=date(2026, 3, 20), data=data
    )

    def sessions(as_of):
        return of(rows("--as-of", as_of), kind="session_overdue", staff="p1@example.org")

    assert sessions("2026-03-19") == []  # version 1: due 2 April
    assert sessions("2026-03-25") == [
        {
            "kind": "session_overdue",
            "staff": "p1@example.org",
            "case": "",
            "due": "2026-03-16",
            "since": "2026-03-17T00:00:00+00:00",
        }
    ]
    assert sessions("2026-04-05")[0]["since"] == "2026-03-17T00:00:00+00:00"


def test_the_report_equals_the_flags_when_the_job_has_been_running(org):
    moment = local(2026, 3, 1, 0, 5)
    while moment < local(2026, 3, 8):
        with at(moment):
            tick(moment)
        moment += timedelta(hours=6)
    for as_of, at_moment in (
        ("2026-03-05", local(2026, 3, 5, 23, 59, 59, 999999)),
        ("2026-03-05T23:30", local(2026, 3, 5, 23, 30)),
        ("2026-03-07T12:00", local(2026, 3, 7, 12)),
    ):
        printed = json.loads(report("--as-of", as_of, "--format", "json"))
        assert printed == [row.as_dict() for row in held_rows(at_moment)]
        assert printed == rows("--as-of", as_of)
