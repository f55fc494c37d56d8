"""Query parameters read and checked in one place: a bad value is a 400 naming the parameter,
never a 500 or a silently empty list."""

from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.exceptions import ValidationError


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
    return value


def whole_number(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError({name: ["Enter a whole number."]})
    return int(raw)


def choice(request, name: str, choices) -> str | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise ValidationError({name: [f"Choose one of: {', '.join(choices)}."]})
    return raw
