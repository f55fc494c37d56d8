"""The files an import reads: their names and columns, and reading them from a folder, an
upload or a zip into tables of text."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from oversight.records_management.importing.outcomes import Problem
from supervision.organisation import plain_text

LONDON = ZoneInfo("Europe/London")
IMPORTED_SIGNATURE = "Signed outside this system (imported)"
# A date alone in a date-and-time column means this time of that day.
DEFAULT_TIME = time(9, 0)
# A record shared, signed or finalised "on" a day is taken to be at the end of its working day
# (or when the session ended, if that was later).
END_OF_WORKING_DAY = time(17, 0)
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ZIP_BYTES = 60 * 1024 * 1024


# --- The files and their columns ------------------------------------------------------------


# Each file's columns, and whether each must be in the header (README, "Importing your data",
# says what each holds). A required column must also have a value in every row.
COLUMNS: dict[str, dict[str, bool]] = {
    "units.csv": {
        "code": True,
        "name": True,
        "kind": True,
        "parent_code": False,
        "manager_email": False,
    },
    "staff.csv": {
        "email": True,
        "full_name": True,
        "job_role": True,
        "job_role_name": False,
        "job_role_category": False,
        "unit_code": True,
        "start_date": True,
        "employment_type": False,
        "qualified_date": False,
        "asye_start_date": False,
        "is_student": False,
        "probation_end_date": False,
        "leaving_date": False,
    },
    "relationships.csv": {
        "supervisor_email": True,
        "supervisee_email": True,
        "kind": False,
        "starts_on": True,
        "ends_on": False,
    },
    "agreements.csv": {
        "supervisor_email": True,
        "supervisee_email": True,
        "relationship_kind": False,
        "starts_on": True,
        "review_due_on": False,
        "frequency_value": True,
        "frequency_unit": True,
        "duration_minutes": False,
        "mode": False,
        "signed_on": False,
    },
    "sessions.csv": {
        "supervisee_email": True,
        "supervisor_email": True,
        "session_type": True,
        "starts_at": True,
        "duration_minutes": True,
        "status": True,
        "mode": False,
        "location": False,
        "cancellation_reason": False,
        "cancelled_by_email": False,
        "replaces_starts_at": False,
        "record_status": False,
        "record_shared_on": False,
        "record_signed_on": False,
        "record_finalised_on": False,
    },
    "cases.csv": {
        "reference": True,
        "initials": True,
        "service": True,
        "plan": True,
        "unit_code": True,
        "worker_email": True,
        "allocated_at": True,
        "rag_rating": False,
        "serious_harm_level": False,
        "safety_wellbeing_level": False,
        "chronic_neglect": False,
        "has_been_looked_after": False,
        "closed_on": False,
        "closure_reason": False,
        "closure_rationale": False,
    },
    "allocations.csv": {
        "reference": True,
        "worker_email": True,
        "unit_code": True,
        "allocated_at": True,
        "ended_at": False,
    },
    "risk_ratings.csv": {
        "reference": True,
        "scale": True,
        "level": True,
        "rated_on": True,
        "reason": False,
    },
    "case_supervisions.csv": {
        "reference": True,
        "discussed_at": True,
        "author_email": True,
        "kind": False,
        "current_situation": False,
        "working_well": False,
        "worries": False,
        "decision": True,
        "reasons": True,
        "next_review_on": False,
    },
}
# Other names a council's export may give a column: the issue that asked for it called who
# cancelled a session `cancelled_by`; the file's other people are named by `_email` columns.
COLUMN_ALIASES = {"sessions.csv": {"cancelled_by": "cancelled_by_email"}}
FILE_NAMES = tuple(COLUMNS)
# Columns of prose, which may run over several lines; every other value is one line.
MULTI_LINE_COLUMNS = frozenset(
    {
        "cancellation_reason",
        "closure_rationale",
        "current_situation",
        "working_well",
        "worries",
        "decision",
        "reasons",
        "reason",
    }
)
LABELS = {
    "units.csv": "units",
    "staff.csv": "staff",
    "relationships.csv": "supervision arrangements",
    "agreements.csv": "agreements",
    "sessions.csv": "sessions",
    "cases.csv": "children",
    "allocations.csv": "allocations",
    "risk_ratings.csv": "risk ratings",
    "case_supervisions.csv": "case notes",
}


# --- Reading the files ----------------------------------------------------------------------


def _unknown_file(name: str) -> Problem:
    return Problem(
        name,
        "This is not a file the import reads. Name each file one of: " + ", ".join(FILE_NAMES),
    )


def _ignored(name: str) -> bool:
    # Files a computer adds by itself: macOS resource forks, desktop settings, lock files.
    base = name.rsplit("/", 1)[-1]
    return not base or base.startswith((".", "~$")) or name.startswith("__MACOSX/")


def _collect(named: list[tuple[str, bytes]]) -> tuple[dict[str, bytes], list[Problem]]:
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    for name, data in named:
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        key = base.lower()
        if key not in COLUMNS:
            problems.append(_unknown_file(base))
        elif key in files:
            problems.append(Problem(key, "There is more than one file with this name."))
        elif len(data) > MAX_FILE_BYTES:
            problems.append(Problem(key, "The file is larger than 20 MB."))
        else:
            files[key] = data
    if not files and not problems:
        problems.append(
            Problem(
                "", "There are no files to import. Choose at least one of: " + ", ".join(FILE_NAMES)
            )
        )
    return files, problems


def read_folder(path) -> tuple[dict[str, bytes], list[Problem]]:
    """The CSV files in a folder (not its sub-folders), by lower-case name."""
    folder = Path(path)
    if not folder.is_dir():
        return {}, [Problem("", f"There is no folder at {folder}.")]
    named = [
        (entry.name, entry.read_bytes())
        for entry in sorted(folder.iterdir())
        if entry.is_file() and not _ignored(entry.name)
    ]
    return _collect(named)


def read_uploads(uploads: list[tuple[str, bytes]]) -> tuple[dict[str, bytes], list[Problem]]:
    """Uploaded files: the CSV files themselves, or one .zip holding them."""
    named: list[tuple[str, bytes]] = []
    problems: list[Problem] = []
    for name, data in uploads:
        if name.lower().endswith(".zip"):
            inner, zip_problems = _unzip(name, data)
            named += inner
            problems += zip_problems
        elif not _ignored(name):
            named.append((name, data))
    files, more = _collect(named)
    return files, problems + more


def _unzip(name: str, data: bytes) -> tuple[list[tuple[str, bytes]], list[Problem]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir() and not _ignored(m.filename)]
        # Sizes are checked before anything is unpacked: a small zip can hold gigabytes.
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            return [], [Problem(name, "The files in the zip come to more than 60 MB.")]
        return [(m.filename, archive.read(m)) for m in members], []
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError):
        return [], [Problem(name, "The zip file could not be opened.")]


def file_name(name: str) -> str | None:
    """A file's name as the import knows it, given as "staff.csv" or "staff" (any case)."""
    key = name.strip().lower()
    if key in COLUMNS:
        return key
    return key + ".csv" if key + ".csv" in COLUMNS else None


def read_rows(given: dict) -> tuple[dict[str, bytes | list], list[Problem]]:
    """Files given as rows rather than CSV (the API's JSON): each a list of objects whose keys
    are the file's column names. Checked and imported exactly as the CSV would be, by
    `parse_table`; see `rows_table`."""
    named = []
    problems: list[Problem] = []
    for name, rows in given.items():
        key = file_name(str(name))
        if key is None:
            problems.append(_unknown_file(str(name)))
        elif not isinstance(rows, list):
            problems.append(Problem(key, "Give this file's rows as a list of objects."))
        else:
            named.append((key, rows))
    if problems and not named:
        return {}, problems
    files, more = _collect(named)
    return files, problems + more


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]


def parse_table(name: str, data: bytes | list) -> tuple[Table | None, list[Problem]]:
    """UTF-8 with or without a byte order mark; lines ending \\n, \\r\\n or \\r. Or the
    file's rows given as a list of objects (`rows_table`)."""
    if isinstance(data, list):
        return rows_table(name, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [
            Problem(name, 'The file is not UTF-8 text. Save it as "CSV UTF-8" and try again.')
        ]
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        return None, [Problem(name, f"The file could not be read as CSV: {error}.")]
    if not records or not any(cell.strip() for cell in records[0]):
        return None, [Problem(name, "The file has no header row naming its columns.", row=1)]
    header = [cell.strip().lower() for cell in records[0]]
    aliases = COLUMN_ALIASES.get(name, {})
    header = [aliases.get(column, column) for column in header]
    body = records[1:]
    keep, problems = _columns_kept(name, header, body)
    rows, row_problems = _rows_read(name, header, body, keep=keep)
    return Table(name, [header[i] for i in keep], rows), problems + row_problems


def _cell(value) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def rows_table(name: str, objects: list) -> tuple[Table | None, list[Problem]]:
    """A file given as a list of objects, read as if it were the CSV file with the same rows.

    The objects' keys together are the header (row 1): an unknown key, or a required column
    that no object has, is refused as a header would be. Each object is the row the CSV would
    have for it, numbered as in the CSV (the first object is row 2), so a problem names the
    same row whichever way the file came; a key an object lacks is an empty cell. Values are
    text, numbers, true/false (yes/no) or null (empty)."""
    header: list[str] = []
    for item in objects:
        if isinstance(item, dict):
            header += [str(key) for key in item if str(key) not in header]
    body: list[list[str]] = []
    problems: list[Problem] = []
    for number, item in enumerate(objects, start=2):
        if not isinstance(item, dict):
            problems.append(
                Problem(name, "Give each row as an object of column names and values.", row=number)
            )
            body.append([])
            continue
        record = []
        for key in header:
            cell = _cell(item.get(key))
            if cell is None:
                problems.append(
                    Problem(
                        name,
                        "Give this value as text, a number, true or false, or null.",
                        row=number,
                        column=key.strip().lower(),
                    )
                )
                cell = ""
            record.append(cell)
        body.append(record)
    if not header:
        return Table(name, [], []), problems
    aliases = COLUMN_ALIASES.get(name, {})
    header = [aliases.get(k.strip().lower(), k.strip().lower()) for k in header]
    keep, more = _columns_kept(name, header, body)
    rows, row_problems = _rows_read(name, header, body, keep=keep)
    bad = {p.row for p in problems}
    return Table(name, [header[i] for i in keep], [r for r in rows if r[0] not in bad]), (
        problems + more + row_problems
    )


def _columns_kept(
    name: str, header: list[str], body: list[list[str]]
) -> tuple[list[int], list[Problem]]:
    problems: list[Problem] = []
    known = COLUMNS[name]
    # Spreadsheets often save empty columns after the last one: ignore those, unless they
    # hold something.
    keep = []
    for index, column in enumerate(header):
        if column:
            keep.append(index)
        elif any(index < len(r) and r[index].strip() for r in body):
            problems.append(
                Problem(
                    name, f"Column {index + 1} has values but no name in the header row.", row=1
                )
            )
    seen = set()
    for index in keep:
        column = header[index]
        if column in seen:
            problems.append(Problem(name, "This column appears twice.", row=1, column=column))
        elif column not in known:
            problems.append(
                Problem(
                    name,
                    "Unknown column. The columns of this file are: " + ", ".join(COLUMNS[name]),
                    row=1,
                    column=column,
                )
            )
        seen.add(column)
    for column, required in COLUMNS[name].items():
        if required and column not in seen:
            problems.append(
                Problem(
                    name,
                    "This column is missing: add it to the header row.",
                    row=1,
                    column=column,
                )
            )
    return keep, problems


def _rows_read(
    name: str, header: list[str], body: list[list[str]], *, keep: list[int]
) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    problems: list[Problem] = []
    rows = []
    for number, record in enumerate(body, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
            problems.append(
                Problem(
                    name,
                    f"This row has more values than the header has columns ({len(header)}).",
                    row=number,
                )
            )
            continue
        cells = {header[i]: (record[i].strip() if i < len(record) else "") for i in keep}
        hidden = [
            Problem(name, plain_text.message(kind, "This value"), row=number, column=column)
            for column, value in cells.items()
            if (kind := plain_text.problem(value, one_line=column not in MULTI_LINE_COLUMNS))
        ]
        if hidden:
            # Left out of the checks that follow: PostgreSQL cannot even look up a NUL.
            problems += hidden
            continue
        rows.append((number, cells))
    return rows, problems
