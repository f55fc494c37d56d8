"""Reading one value of a row: dates, moments, choices, numbers, emails and codes, each with a
problem that names the column when it cannot be read."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from oversight.records_management.importing.files import DEFAULT_TIME, END_OF_WORKING_DAY, LONDON
from oversight.records_management.importing.outcomes import Problem

if TYPE_CHECKING:
    # Only named in a type: the check imports this module.
    from oversight.records_management.importing.checking import _Check

# --- Values ---------------------------------------------------------------------------------

ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
UK_MOMENT = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


def parse_date(text: str) -> date:
    """2026-03-05 or 05/03/2026 (UK order: day, month, year)."""
    text = text.strip()
    if match := ISO_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := UK_DATE.match(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise ValueError(text)
    return date(year, month, day)


def parse_moment(text: str) -> datetime:
    """A date and time; without an offset it is UK time. A date alone means 9am."""
    text = text.strip()
    try:
        return datetime.combine(parse_date(text), DEFAULT_TIME, tzinfo=LONDON)
    except ValueError:
        pass
    if match := UK_MOMENT.match(text):
        day, month, year, hour, minute = (int(g) for g in match.groups()[:5])
        second = int(match.group(6) or 0)
        moment = datetime(year, month, day, hour, minute, second)
    else:
        if not re.match(r"^\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}", text):
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return moment


def _key(text: str) -> str:
    return re.sub(r"[\s-]+", "_", text.strip().lower())


def match_choice(text: str, choices) -> str | None:
    """A choice by its value or its label, whatever the case: "Did not take place" works."""
    wanted = _key(text)
    for value, label in choices:
        if wanted in (_key(str(value)), _key(str(label))):
            return value
    return None


def local_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _moment_on(day: date, not_before: datetime | None = None) -> datetime:
    moment = datetime.combine(day, END_OF_WORKING_DAY, tzinfo=LONDON)
    if not_before is not None and moment < not_before:
        return not_before
    return moment


class _Row:
    """One row's cells, read column by column; every bad value becomes a problem that names
    the file, the row and the column."""

    def __init__(self, check: _Check, file: str, number: int, cells: dict[str, str]):
        self.check = check
        self.file = file
        self.number = number
        self.cells = cells
        self.ok = True

    def has(self, column: str) -> bool:
        return column in self.cells

    def raw(self, column: str) -> str:
        return self.cells.get(column, "")

    def error(self, column: str, message: str, *, show_value: bool = False) -> None:
        self.ok = False
        self.check.problems.append(
            Problem(
                self.file,
                message,
                row=self.number,
                column=column,
                value=self.raw(column) if show_value else "",
            )
        )

    def _missing(self, column: str, required: bool) -> bool:
        if self.raw(column):
            return False
        if required:
            self.error(column, f"Enter the {column.replace('_', ' ')}")
        return True

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self.raw(column)
        if self._missing(column, required):
            return ""
        if max_length and len(value) > max_length:
            self.error(column, f"Enter at most {max_length} characters")
        return value

    def date(self, column: str, *, required: bool = False) -> date | None:
        if self._missing(column, required):
            return None
        try:
            return parse_date(self.raw(column))
        except ValueError:
            self.error(column, "Enter a date such as 2026-03-05", show_value=True)
            return None

    def moment(self, column: str, *, required: bool = False) -> datetime | None:
        if self._missing(column, required):
            return None
        try:
            return parse_moment(self.raw(column))
        except ValueError:
            self.error(column, "Enter a date and time such as 2026-03-05 14:30", show_value=True)
            return None

    def choice(self, column: str, choices, *, required: bool = False, default=None):
        if self._missing(column, required):
            return default
        value = match_choice(self.raw(column), choices)
        if value is None:
            self.error(
                column, "Choose one of: " + ", ".join(str(v) for v, _ in choices), show_value=True
            )
        return value

    def boolean(self, column: str) -> bool:
        value = self.raw(column).lower()
        if value in YES:
            return True
        if value not in NO:
            self.error(column, "Enter yes or no", show_value=True)
        return False

    def integer(self, column: str, low: int, high: int, *, required: bool = False, default=None):
        if self._missing(column, required):
            return default
        try:
            value = int(self.raw(column))
        except ValueError:
            self.error(column, f"Enter a whole number from {low} to {high}", show_value=True)
            return None
        if not low <= value <= high:
            self.error(column, f"Enter a whole number from {low} to {high}", show_value=True)
            return None
        return value

    def email(self, column: str, *, required: bool = True) -> str | None:
        if self._missing(column, required):
            return None
        value = self.raw(column).lower()
        try:
            validate_email(value)
        except ValidationError:
            self.error(column, "Enter an email address such as name@example.org", show_value=True)
            return None
        return value

    def code(self, column: str, *, required: bool = True) -> str | None:
        if self._missing(column, required):
            return None
        value = self.raw(column).lower()
        if not SLUG.match(value):
            self.error(
                column,
                "Enter a code of up to 50 letters, numbers, hyphens or underscores",
                show_value=True,
            )
            return None
        return value
