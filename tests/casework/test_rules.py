"""The case rules as tables of dates: no database, no clock."""

from datetime import UTC, date, datetime

import pytest

from casework import rules
from oversight.policy.packs import shipped_packs

# These tables are Kent's numbers; every caller names the pack it applies.
KENT = shipped_packs()["kent"]


@pytest.mark.parametrize(
    ("service", "serious_harm", "safety_wellbeing", "days"),
    [
        ("social_work", "", "", 90),  # C1
        ("early_help", "", "", 90),
        # C2: the higher of the two youth justice levels sets the cycle.
        ("youth_justice", "very_high", "low", 30),
        ("youth_justice", "high", "", 30),
        ("youth_justice", "medium", "low", 60),
        ("youth_justice", "low", "medium", 60),
        ("youth_justice", "low", "low", 90),
        # Unrated youth justice risk is treated as high until someone rates it.
        ("youth_justice", "", "", 30),
        # A youth justice level on a social work child does not shorten its cycle.
        ("social_work", "very_high", "", 90),
    ],
)
def test_cycle_days(service, serious_harm, safety_wellbeing, days):
    assert rules.cycle_days(service, serious_harm, safety_wellbeing, pack=KENT) == days


@pytest.mark.parametrize(
    ("allocated_on", "last_discussed_on", "service", "level", "due"),
    [
        (date(2026, 1, 5), None, "social_work", "", date(2026, 4, 5)),
        (date(2026, 1, 5), date(2026, 2, 10), "social_work", "", date(2026, 5, 11)),
        # A discussion before this allocation (another worker's) does not count.
        (date(2026, 2, 1), date(2026, 1, 10), "early_help", "", date(2026, 5, 2)),
        (date(2026, 1, 5), date(2026, 2, 27), "youth_justice", "high", date(2026, 3, 29)),
        (date(2026, 1, 5), date(2026, 2, 27), "youth_justice", "medium", date(2026, 4, 28)),
        # Leap year: 90 days from 1 December 2027 is 29 February 2028.
        (date(2027, 12, 1), None, "social_work", "", date(2028, 2, 29)),
    ],
)
def test_discussion_due_on(allocated_on, last_discussed_on, service, level, due):
    assert (
        rules.discussion_due_on(
            allocated_on=allocated_on,
            last_discussed_on=last_discussed_on,
            service=service,
            serious_harm=level,
            pack=KENT,
        )
        == due
    )


ALLOCATED = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("discussed_at", "now", "in_time", "overdue"),
    [
        (datetime(2026, 3, 5, 16, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC), True, False),
        # Exactly 24 hours is within the 24 hours.
        (datetime(2026, 3, 6, 14, 30, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC), True, False),
        (datetime(2026, 3, 6, 14, 31, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC), False, True),
        # Not discussed yet: overdue only once the 24 hours have passed.
        (None, datetime(2026, 3, 6, 9, tzinfo=UTC), False, False),
        (None, datetime(2026, 3, 6, 15, tzinfo=UTC), False, True),
    ],
)
def test_allocation_discussed_within_24_hours(discussed_at, now, in_time, overdue):
    check = rules.allocation_check(ALLOCATED, discussed_at, pack=KENT)
    assert check.due_by == datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
    assert check.discussed_in_time is in_time
    assert check.overdue(now) is overdue


def test_transfer_window_is_two_to_four_weeks_before():
    assert rules.transfer_supervision_window(date(2026, 4, 5), pack=KENT) == (
        date(2026, 3, 8),
        date(2026, 3, 22),
    )


@pytest.mark.parametrize(
    ("discussed", "held"),
    [
        ([date(2026, 3, 8)], date(2026, 3, 8)),
        ([date(2026, 3, 22), date(2026, 3, 10)], date(2026, 3, 22)),
        ([date(2026, 3, 7)], None),  # more than four weeks before
        ([date(2026, 3, 23), date(2026, 4, 4)], None),  # less than two weeks before
        ([], None),
    ],
)
def test_held_in_transfer_window(discussed, held):
    assert rules.held_in_transfer_window(date(2026, 4, 5), discussed, pack=KENT) == held


@pytest.mark.parametrize(
    ("since", "discussions", "held"),
    [
        (date(2026, 1, 10), [date(2026, 2, 1)], True),
        (date(2026, 1, 10), [date(2026, 1, 10)], True),
        # Supervised in the service before the child left and came back: not this time.
        (date(2026, 1, 10), [date(2025, 11, 3)], False),
        (date(2026, 1, 10), [], False),
    ],
)
def test_supervised_in_service_before_closure(since, discussions, held):
    assert rules.supervised_in_service(since, discussions) is held
