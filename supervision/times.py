"""Times as people type them into a form: one reading for every form that asks for one."""

import re
from datetime import time

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
