"""What a check or an import says: its problems, each naming the file, the row and the column,
and what each row would do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# --- Problems and outcomes ------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where a person can find it: the file, the spreadsheet row (the header
    is row 1) and the column."""

    file: str
    message: str
    row: int | None = None
    column: str = ""
    value: str = ""

    def __str__(self) -> str:
        where = [part for part in (self.file,) if part]
        if self.row:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        if self.value:
            text += f' (found "{self.value}")'
        return text


class ImportRefused(Exception):
    """The files have problems: nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) found; nothing was imported.")
        self.problems = problems


CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass
class Item:
    """What one row will do."""

    row: int
    outcome: str
    data: dict
    existing: object = None
    changes: dict = field(default_factory=dict)


@dataclass
class Plan:
    files: list[str]
    problems: list[Problem]
    now: datetime
    items: dict[str, list[Item]] = field(default_factory=dict)
    new_job_roles: dict[str, dict] = field(default_factory=dict)
    state: object = None
    pack: tuple | None = None  # (code, day) of the pack chosen with the import

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, dict[str, int]]:
        counts = {}
        # `files` is in the order of FILE_NAMES, the order the files are written in.
        for name in self.files:
            tally = {CREATE: 0, UPDATE: 0, UNCHANGED: 0}
            for item in self.items.get(name, []):
                tally[item.outcome] += 1
            counts[name] = tally
        return counts


def summary_lines(counts: dict[str, dict[str, int]], *, done: bool) -> list[str]:
    verbs = ("created", "updated", "unchanged") if done else ("to create", "to update", "unchanged")
    return [
        f"{name}: {c[CREATE]} {verbs[0]}, {c[UPDATE]} {verbs[1]}, {c[UNCHANGED]} {verbs[2]}"
        for name, c in counts.items()
    ]
