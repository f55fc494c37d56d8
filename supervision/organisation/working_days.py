"""Working days in England and Wales: Monday to Friday, less bank holidays. Plain dates only."""

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # The `holidays` package ships its calendars, so this works offline.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


# Asked for every record at every moment the flag job's walks look at: remembered.
@lru_cache(maxsize=1 << 14)
def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def subtract_working_days(end: date, days: int) -> date:
    """The date `days` working days before `end` (end itself not counted): 3 working days
    before Wednesday 9 December 2026 is Friday 4 December."""
    current = end
    remaining = days
    while remaining > 0:
        current -= timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current
