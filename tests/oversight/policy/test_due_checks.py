"""The rules of docs/rules.md that are checks rather than due dates, as tables: no database.

Each test names its rule. The due-date rules are in tests/oversight/policy/test_due.py;
S1 (the file passes with the person) is an access rule, tested in tests/access/test_files.py;
Q4 and Q5 are pages (feedback report, wellbeing plans) tested in
tests/oversight/quality/test_feedback.py and
tests/supervision/development/test_services.py; A3 (what an agreement records) is the
agreement form's required fields, tested in tests/agreements/test_services.py. F6's monthly
hour, S3, Q5's plan and C5 are due items, tested in tests/oversight/policy/test_standards.py.
"""

from datetime import date

import pytest

from oversight.policy import due
from oversight.records_management.retention import destruction_due_on


@pytest.mark.parametrize(
    ("leaving", "years", "destroy_on"),
    [
        (date(2019, 3, 4), 7, date(2026, 3, 4)),
        # A leaver of 29 February is due on 28 February when the year has no 29th.
        (date(2020, 2, 29), 7, date(2027, 2, 28)),
    ],
)
def test_s2_files_kept_seven_years_after_leaving_seed_001_4_3(leaving, years, destroy_on):
    assert destruction_due_on(leaving, years) == destroy_on


@pytest.mark.parametrize(
    ("families", "enough"),
    [
        (["F-NS1", "child 7"], True),
        # Two brothers of one family are one family.
        (["F-NS1", "F-NS1"], False),
        (["child 7"], False),
    ],
)
def test_c7_front_door_at_least_two_families_seed_004(families, enough):
    assert due.front_door_families_enough(families) is enough


@pytest.mark.parametrize(
    ("plan", "neglect", "review"),
    [
        ("child_protection", True, True),
        ("child_protection", False, False),
        ("child_in_need", True, False),
    ],
)
def test_c8_chronic_neglect_on_a_cp_plan_asks_for_independent_review_seed_001_2_5(
    plan, neglect, review
):
    assert due.needs_neglect_review(plan, neglect) is review
