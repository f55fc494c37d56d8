"""Query parameters read and checked in one place: a bad value is a 400 naming the parameter,
never a 500 or a silently empty list."""

import re
from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.exceptions import ValidationError

# Dates far outside any data (year 1, year 9999) are refused rather than carried into date
# arithmetic that would overflow.
FIRST_YEAR, LAST_YEAR = 1900, 2999
ID = re.compile(r"[1-9][0-9]{0,18}")


def in_range(name: str, value):
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError({name: [f"Enter a date from {FIRST_YEAR} to {LAST_YEAR}."]})
    return value


def moment(request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        day = _day(raw)
        if day is None:
            raise ValidationError(
                {name: ["Enter a date and time in ISO 8601, such as 2026-12-01T02:00:00Z."]}
            )
        value = datetime(day.year, day.month, day.day)
    in_range(name, value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _day(raw: str) -> date | None:
    try:
        return parse_date(raw)
    except ValueError:
        return None


def day(request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    value = _day(raw)
    if value is None:
        raise ValidationError({name: ["Enter a date in ISO 8601, such as 2026-12-01."]})
    return in_range(name, value)


def whole_number(request, name: str) -> int | None:
    """An id: a whole number from 1 to the largest the database holds."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not ID.fullmatch(raw) or int(raw) >= 2**63:
        raise ValidationError({name: ["Enter an id: a whole number from 1."]})
    return int(raw)


def choice(request, name: str, choices) -> str | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise ValidationError({name: [f"Choose one of: {', '.join(choices)}."]})
    return raw
