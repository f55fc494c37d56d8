"""Times as people type them into a form: one reading for every form that asks for one."""

import re
from datetime import datetime, time

from django.utils import timezone

TIME_PATTERN = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$", re.IGNORECASE)


def parse_time(text: str) -> time | None:
    """09:30, 9.30, 14:00, 2pm and 2:30pm all read as people write them."""
    match = TIME_PATTERN.match((text or "").strip())
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif match[2] is None:
        return None  # a bare "9" could be morning or evening
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def read_start(form, data: dict, *, date_field: str, time_field: str, into: str, message: str):
    """In a form's clean(): the typed date and time as one London moment in `data[into]`, or
    `message` beside the time field when the time cannot be read."""
    if time_field not in data:
        return
    at = parse_time(data[time_field])
    if at is None:
        form.add_error(time_field, message)
    elif data.get(date_field):
        data[into] = datetime.combine(data[date_field], at, tzinfo=timezone.get_current_timezone())
