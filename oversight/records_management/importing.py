"""Importing an organisation's people, supervision history and cases from CSV files:
councils arrive with spreadsheets and HR exports.

Three steps, so that a mistake anywhere leaves the database exactly as it was:

1. `read_folder` / `read_uploads` collect the files' bytes by name (a .zip is opened);
2. `check` parses every row of every file, checks each against the others and against what is
   already recorded (reads only, a fixed number of queries whatever the size), and says what
   each row would do: create, update or leave unchanged;
3. `import_files` runs the check and then writes everything in one transaction. Any problem,
   or any exception while writing, rolls the whole import back.

Rows are matched to what is already recorded by natural keys, so importing the same files
again changes nothing. A row that differs from what is recorded updates it where that is safe
(names, units, managers, dates of staff) and is refused where the record is locked (a signed
agreement, a finalised supervision record, a final case note).

Imported agreements, records and case notes are historic facts: they are written as they
stood (signed, shared, finalised) on the dates in the files, with "Signed outside this system
(imported)" as the way they were signed, since nobody signed them here.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from agreements.models import AgreementSignature, SupervisionAgreement
from agreements.services import DEFAULT_TEXT, agreement_hash
from casework import rules
from casework.models import (
    SCALE_FIELDS,
    Allocation,
    CaseNote,
    Child,
    RiskLevel,
    RiskRating,
    Service,
)
from casework.models import (
    Plan as ChildPlan,
)
from casework.services import INITIALS_PATTERN, normalise_reference, note_content, reference_errors
from supervision.models import (
    JobRole,
    RecordSection,
    RecordTemplate,
    SessionType,
    Signature,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
    Unit,
    User,
)
from supervision.organisation import audit, plain_text
from supervision.organisation.job_roles import STANDARD_JOB_ROLES
from supervision.people.passwords import Why, set_password_link_queue
from supervision.records.canonical import content_hash, load_record_for_content, record_hash

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
        "closed_on": False,
        "closure_reason": False,
        "closure_rationale": False,
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
    }
)
LABELS = {
    "units.csv": "units",
    "staff.csv": "staff",
    "relationships.csv": "supervision arrangements",
    "agreements.csv": "agreements",
    "sessions.csv": "sessions",
    "cases.csv": "children",
    "case_supervisions.csv": "case notes",
}


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

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, dict[str, int]]:
        counts = {}
        for name in FILE_NAMES:
            if name not in self.files:
                continue
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


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]


def parse_table(name: str, data: bytes) -> tuple[Table | None, list[Problem]]:
    """UTF-8 with or without a byte order mark; lines ending \\n, \\r\\n or \\r."""
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
    body = records[1:]
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
    return Table(name, [header[i] for i in keep], rows), problems


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


def day_starts(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON)


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


# --- Checking -------------------------------------------------------------------------------


def check(files: dict[str, bytes], *, now: datetime | None = None) -> Plan:
    """Every row of every file checked; what each would do. Reads only."""
    now = now or timezone.now()
    plan = Plan(files=[n for n in FILE_NAMES if n in files], problems=[], now=now)
    tables = {}
    for name in plan.files:
        table, problems = parse_table(name, files[name])
        plan.problems += problems
        if table is not None:
            tables[name] = table
    if plan.problems:
        # A wrong header makes every row of that file, and every reference to it, doubtful:
        # the header problems come first, then the rows.
        return plan
    _Check(plan, tables).run()
    return plan


@dataclass
class _Rel:
    """A supervision arrangement, already recorded or from relationships.csv, as it will be."""

    key: tuple
    starts_on: date
    ends_on: date | None
    db: object = None
    row: int | None = None

    @property
    def supervisee(self) -> str:
        return self.key[0]

    @property
    def supervisor(self) -> str:
        return self.key[1]

    @property
    def kind(self) -> str:
        return self.key[2]

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class _Check:
    def __init__(self, plan: Plan, tables: dict[str, Table]):
        self.plan = plan
        self.tables = tables
        self.problems = plan.problems
        self.now = plan.now
        self.today = local_day(plan.now)

    # Loading what is already recorded, in a fixed number of queries -------------------------

    def _cells(self, name: str, *columns: str) -> set[str]:
        table = self.tables.get(name)
        if table is None:
            return set()
        return {
            cells[c].strip().lower() for _, cells in table.rows for c in columns if cells.get(c)
        }

    def load(self) -> None:

        self.db_units = {u.code.lower(): u for u in Unit.objects.select_related("manager")}
        self.db_unit_by_id = {u.pk: u for u in self.db_units.values()}
        self.db_roles = {r.code.lower(): r for r in JobRole.objects.all()}
        emails = (
            self._cells("units.csv", "manager_email")
            | self._cells("staff.csv", "email")
            | self._cells("relationships.csv", "supervisor_email", "supervisee_email")
            | self._cells("agreements.csv", "supervisor_email", "supervisee_email")
            | self._cells("sessions.csv", "supervisor_email", "supervisee_email")
            | self._cells("cases.csv", "worker_email")
            | self._cells("case_supervisions.csv", "author_email")
        )
        users = (
            User.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=emails)
            .select_related("profile__job_role", "profile__unit")
        )
        self.db_users = {u.email_lower: u for u in users}
        self.email_by_id = {u.pk: e for e, u in self.db_users.items()}
        user_ids = [u.pk for u in self.db_users.values()]
        self.db_relationships = list(
            SupervisoryRelationship.objects.filter(
                Q(supervisee_id__in=user_ids) | Q(supervisor_id__in=user_ids)
            ).select_related("supervisor", "supervisee")
        )
        # Relationships with someone outside the files are known by id only.
        for r in self.db_relationships:
            for person in (r.supervisor, r.supervisee):
                self.email_by_id.setdefault(person.pk, person.email.lower())
        self.db_agreements = defaultdict(list)
        for agreement in SupervisionAgreement.objects.filter(
            relationship__in=[r.pk for r in self.db_relationships]
        ).prefetch_related("signatures"):
            self.db_agreements[agreement.relationship_id].append(agreement)
        moments = set()
        for _, cells in self.tables.get("sessions.csv", Table("", [], [])).rows:
            for column in ("starts_at", "replaces_starts_at"):
                with contextlib.suppress(ValueError):
                    moments.add(parse_moment(cells.get(column, "")))
        self.db_sessions = {}
        if moments and user_ids:
            # A range, not a list of every moment: a year of sessions is thousands of them.
            for session in SupervisionSession.objects.filter(
                supervisee_id__in=user_ids,
                starts_at__gte=min(moments),
                starts_at__lte=max(moments),
            ).select_related("record", "supervisor"):
                key = (self.email_by_id[session.supervisee_id], session.starts_at)
                self.db_sessions[key] = session
        self.templates = {
            t.session_type: t
            for t in RecordTemplate.objects.filter(is_current=True, audience="").prefetch_related(
                "sections"
            )
        }
        references = {
            r.upper()
            for r in self._cells("cases.csv", "reference")
            | self._cells("case_supervisions.csv", "reference")
        }
        self.db_children = {
            c.reference: c
            for c in Child.objects.filter(reference__in=references)
            .select_related("unit", "allocated_worker")
            .prefetch_related("allocations__worker", "allocations__unit")
        }
        self.db_notes = defaultdict(list)
        for note in CaseNote.objects.filter(
            child_id__in=[c.pk for c in self.db_children.values()]
        ).select_related("author"):
            self.db_notes[note.child_id].append(note)

    # Helpers ---------------------------------------------------------------------------------

    def rows(self, name: str):
        table = self.tables.get(name)
        if table is None:
            return
        for number, cells in table.rows:
            yield _Row(self, name, number, cells)

    def add(self, name: str, item: Item) -> None:
        self.plan.items.setdefault(name, []).append(item)

    def is_person(self, email: str) -> bool:
        return email in self.named_staff or email in self.db_users

    def is_staff(self, email: str) -> bool:
        # Someone named in staff.csv counts even if their row has a problem: that problem is
        # reported once, on their row, not again on every row that names them.
        if email in self.named_staff:
            return True
        user = self.db_users.get(email)
        return user is not None and hasattr(user, "profile")

    def need_staff(self, row: _Row, column: str, email: str | None) -> bool:
        if email is None:
            return False
        if not self.is_staff(email):
            row.error(
                column,
                f"There is no member of staff with the email {email}: add them to staff.csv",
            )
            return False
        return True

    def unit_known(self, code: str) -> bool:
        return code in self._pre_units or code in self.db_units

    # The run ---------------------------------------------------------------------------------

    def run(self) -> None:
        self.load()
        self.units: dict[str, dict] = {}
        self.staff: dict[str, dict] = {}
        # What each file names, whether or not its row turns out to be right: references to
        # it from other rows are not reported again.
        self._pre_units = self._cells("units.csv", "code")
        self.named_staff = self._cells("staff.csv", "email")
        self.named_children = {r.upper() for r in self._cells("cases.csv", "reference")}
        self.doubtful: set[tuple] = set()
        self.check_units()
        self.check_staff()
        self.check_unit_managers()
        self.check_relationships()
        self.check_agreements()
        self.check_sessions()
        self.check_cases()
        self.check_case_notes()
        self.plan.state = self

    # units.csv -------------------------------------------------------------------------------

    def check_units(self) -> None:

        seen: dict[str, int] = {}
        self.unit_items: dict[str, Item] = {}
        for row in self.rows("units.csv"):
            code = row.code("code")
            name = row.text("name", required=True, max_length=200)
            kind = row.choice("kind", Unit.Kind.choices, required=True)
            parent = row.code("parent_code", required=False)
            manager = row.email("manager_email", required=False)
            if code and code in seen:
                row.error("code", f"This code is already used on row {seen[code]}", show_value=True)
                continue
            if code:
                seen[code] = row.number
            if parent and parent == code:
                row.error("parent_code", "A unit cannot sit inside itself")
            elif parent and parent not in self._pre_units and parent not in self.db_units:
                row.error(
                    "parent_code",
                    f"There is no unit with the code {parent}: add it to units.csv",
                )
            # The manager is checked once staff.csv is read (check_unit_managers).
            if not row.ok or code is None:
                continue
            data = {"code": code, "name": name, "kind": kind}
            if row.has("parent_code"):
                data["parent"] = parent
            if row.has("manager_email"):
                data["manager"] = manager
            self.units[code] = data
            existing = self.db_units.get(code)
            item = Item(row.number, CREATE, data, existing)
            if existing is not None:
                current = {
                    "name": existing.name,
                    "kind": existing.kind,
                    "parent": self.db_unit_by_id[existing.parent_id].code.lower()
                    if existing.parent_id
                    else None,
                    "manager": existing.manager.email.lower() if existing.manager else None,
                }
                item.changes = {k: v for k, v in data.items() if k != "code" and current[k] != v}
                item.outcome = UPDATE if item.changes else UNCHANGED
            self.unit_items[code] = item
            self.add("units.csv", item)
        # The tree as it will be: no unit may end up inside itself.
        for code, item in self.unit_items.items():
            seen_codes = {code}
            parent = self.parent_of(code)
            while parent is not None:
                if parent in seen_codes:
                    self.problems.append(
                        Problem(
                            "units.csv",
                            "This would put the unit inside itself",
                            row=item.row,
                            column="parent_code",
                        )
                    )
                    break
                seen_codes.add(parent)
                parent = self.parent_of(parent)

    def parent_of(self, code: str) -> str | None:
        data = self.units.get(code)
        if data is not None and "parent" in data:
            return data["parent"]
        unit = self.db_units.get(code)
        if unit is None or unit.parent_id is None:
            return None
        return self.db_unit_by_id[unit.parent_id].code.lower()

    def unit_depth(self, code: str) -> int:
        depth, parent, guard = 0, self.parent_of(code), 0
        while parent is not None and guard < 100:
            depth, parent, guard = depth + 1, self.parent_of(parent), guard + 1
        return depth

    def check_unit_managers(self) -> None:
        for row in self.rows("units.csv"):
            email = row.raw("manager_email").lower()
            if email and not self.is_person(email):
                row.error(
                    "manager_email",
                    f"There is no member of staff with the email {email}: add them to staff.csv",
                )

    # staff.csv -------------------------------------------------------------------------------

    STAFF_FIELDS = {
        "email": "email",
        "full_name": "full_name",
        "job_role": "job_role",
        "unit": "unit_code",
        "start_date": "start_date",
        "employment_type": "employment_type",
        "qualified_date": "qualified_date",
        "asye_start_date": "asye_start_date",
        "is_student": "is_student",
        "probation_end_date": "probation_end_date",
        "leaving_date": "leaving_date",
    }

    def check_staff(self) -> None:

        seen: dict[str, int] = {}
        for row in self.rows("staff.csv"):
            email = row.email("email")
            data = {
                "email": email,
                "full_name": row.text("full_name", required=True, max_length=200),
                "job_role": row.code("job_role"),
                "unit": row.code("unit_code"),
                "start_date": row.date("start_date", required=True),
                "employment_type": row.choice(
                    "employment_type",
                    StaffProfile.EmploymentType.choices,
                    default=StaffProfile.EmploymentType.PERMANENT,
                ),
                "qualified_date": row.date("qualified_date"),
                "asye_start_date": row.date("asye_start_date"),
                "is_student": row.boolean("is_student"),
                "probation_end_date": row.date("probation_end_date"),
                "leaving_date": row.date("leaving_date"),
            }
            if email and email in seen:
                row.error("email", f"This person is already on row {seen[email]}", show_value=True)
                continue
            if email:
                seen[email] = row.number
            if data["unit"] and not self.unit_known(data["unit"]):
                row.error(
                    "unit_code",
                    f"There is no unit with the code {data['unit']}: add it to units.csv",
                )
            start, left = data["start_date"], data["leaving_date"]
            if start and left and left < start:
                row.error("leaving_date", "Enter a leaving date on or after the start date")
            if data["job_role"]:
                self._job_role(row, data["job_role"])
            if not row.ok:
                continue
            # A column left out keeps what is recorded; an empty cell clears it.
            data = {k: v for k, v in data.items() if row.has(self.STAFF_FIELDS[k])}
            self.staff[email] = data
            user = self.db_users.get(email)
            profile = getattr(user, "profile", None) if user is not None else None
            item = Item(row.number, CREATE, data, user)
            if profile is not None:
                current = {
                    "full_name": user.full_name,
                    "job_role": profile.job_role.code.lower(),
                    "unit": profile.unit.code.lower(),
                    "start_date": profile.start_date,
                    "employment_type": profile.employment_type,
                    "qualified_date": profile.qualified_date,
                    "asye_start_date": profile.asye_start_date,
                    "is_student": profile.is_student,
                    "probation_end_date": profile.probation_end_date,
                    "leaving_date": profile.leaving_date,
                }
                item.changes = {k: v for k, v in data.items() if k != "email" and current[k] != v}
                item.outcome = UPDATE if item.changes else UNCHANGED
            self.add("staff.csv", item)

    def _job_role(self, row: _Row, code: str) -> None:
        """A recorded job role; or a new one, named in the row or one of the standard ones."""

        if code in self.db_roles:
            return
        name = row.text("job_role_name", max_length=200)
        category = row.choice("job_role_category", JobRole.Category.choices)
        planned = self.plan.new_job_roles.get(code)
        wanted = None
        if name or category:
            if not (name and category):
                column = "job_role_category" if name else "job_role_name"
                row.error(
                    column,
                    f"Enter both job_role_name and job_role_category to create the job role {code}",
                )
                return
            wanted = {"name": name, "category": category}
        elif planned is None:
            standard = {c: (n, cat) for c, n, cat, _ in STANDARD_JOB_ROLES}
            if code not in standard:
                row.error(
                    "job_role",
                    f"There is no job role with the code {code}. Use a recorded or standard "
                    "code, or add job_role_name and job_role_category to create it",
                    show_value=True,
                )
                return
            wanted = {"name": standard[code][0], "category": standard[code][1]}
        if wanted is None:
            return
        if planned is not None:
            if (planned["name"], planned["category"]) != (wanted["name"], wanted["category"]):
                row.error(
                    "job_role_name",
                    f"Row {planned['row']} creates the job role {code} "
                    "with a different name or category",
                )
            return
        taken = {r.name.lower() for r in self.db_roles.values()} | {
            r["name"].lower() for r in self.plan.new_job_roles.values()
        }
        if wanted["name"].lower() in taken:
            row.error("job_role_name", f"Another job role is already called {wanted['name']}")
            return
        self.plan.new_job_roles[code] = {**wanted, "row": row.number}

    def leaving_date_of(self, email: str) -> date | None:
        data = self.staff.get(email)
        if data is not None and "leaving_date" in data:
            return data["leaving_date"]
        user = self.db_users.get(email)
        profile = getattr(user, "profile", None) if user is not None else None
        return profile.leaving_date if profile is not None else None

    # relationships.csv -----------------------------------------------------------------------

    def check_relationships(self) -> None:

        # Every arrangement as it will be, recorded ones first, then the file's on top.
        self.relationships: dict[tuple, _Rel] = {}
        for r in self.db_relationships:
            key = (r.supervisee.email.lower(), r.supervisor.email.lower(), r.kind, r.starts_on)
            self.relationships[key] = _Rel(key, r.starts_on, r.ends_on, db=r)
        seen: dict[tuple, int] = {}
        checked: list[tuple[_Row, _Rel]] = []
        for row in self.rows("relationships.csv"):
            supervisor = row.email("supervisor_email")
            supervisee = row.email("supervisee_email")
            kind = row.choice(
                "kind",
                SupervisoryRelationship.Kind.choices,
                default=SupervisoryRelationship.Kind.LINE,
            )
            starts_on = row.date("starts_on", required=True)
            ends_on = row.date("ends_on")
            self.need_staff(row, "supervisor_email", supervisor)
            self.need_staff(row, "supervisee_email", supervisee)
            if supervisor and supervisor == supervisee:
                row.error("supervisor_email", "A person cannot supervise themselves")
            if starts_on and ends_on and ends_on < starts_on:
                row.error("ends_on", "Enter an end date on or after the start date")
            if not row.ok:
                self.doubtful.add(("relationship", supervisee, supervisor))
                continue
            key = (supervisee, supervisor, kind, starts_on)
            if key in seen:
                row.error("starts_on", f"This arrangement is already on row {seen[key]}")
                continue
            seen[key] = row.number
            existing = self.relationships.get(key)
            data = {"key": key}
            item = Item(row.number, CREATE, data, existing.db if existing else None)
            if existing is not None:
                if row.has("ends_on") and existing.ends_on != ends_on:
                    item.outcome = UPDATE
                    item.changes = {"ends_on": ends_on}
                    existing.ends_on = ends_on
                else:
                    item.outcome = UNCHANGED
                rel = existing
                rel.row = row.number
            else:
                rel = _Rel(key, starts_on, ends_on, row=row.number)
                self.relationships[key] = rel
            data["rel"] = rel
            checked.append((row, rel))
            self.add("relationships.csv", item)
        # One line supervisor at a time, counting what is recorded and what the file adds.
        lines = defaultdict(list)
        for rel in self.relationships.values():
            if rel.kind == SupervisoryRelationship.Kind.LINE:
                lines[rel.supervisee].append(rel)
        for row, rel in checked:
            if rel.kind == SupervisoryRelationship.Kind.LINE:
                for other in lines[rel.supervisee]:
                    if other is rel:
                        continue
                    if _overlap(rel, other):
                        row.error(
                            "starts_on",
                            f"{rel.supervisee} already has a line supervisor on these dates: "
                            f"{other.supervisor} from {_long(other.starts_on)}"
                            + (f" to {_long(other.ends_on)}" if other.ends_on else ""),
                        )
                        break
            for person in (rel.supervisee, rel.supervisor):
                left = self.leaving_date_of(person)
                if left and rel.starts_on > left:
                    row.error(
                        "starts_on",
                        f"{person} left on {_long(left)}, before this arrangement starts",
                    )
                    break
                if left and (rel.ends_on is None or rel.ends_on > left):
                    row.error(
                        "ends_on",
                        f"{person} leaves on {_long(left)}: end the arrangement by then",
                    )
                    break
        # A leaving date set by staff.csv must not leave recorded arrangements running on.
        for row in self.rows("staff.csv"):
            email = row.raw("email").lower()
            left = self.staff.get(email, {}).get("leaving_date")
            if not left:
                continue
            for rel in self.relationships.values():
                if (
                    rel.row is None
                    and email in (rel.supervisee, rel.supervisor)
                    and (rel.ends_on is None or rel.ends_on > left)
                ):
                    row.error(
                        "leaving_date",
                        f"The arrangement of {rel.supervisor} supervising {rel.supervisee} "
                        f"from {_long(rel.starts_on)} runs past this date: end it in "
                        "relationships.csv",
                    )
                    break

    def find_relationship(self, supervisee: str, supervisor: str, kind: str, day: date):
        found = [
            rel
            for rel in self.relationships.values()
            if rel.key[:3] == (supervisee, supervisor, kind) and rel.covers(day)
        ]
        return max(found, key=lambda r: r.starts_on) if found else None

    # agreements.csv --------------------------------------------------------------------------

    def check_agreements(self) -> None:

        by_relationship: dict[tuple, list[dict]] = defaultdict(list)
        seen: dict[tuple, int] = {}
        for row in self.rows("agreements.csv"):
            supervisor = row.email("supervisor_email")
            supervisee = row.email("supervisee_email")
            kind = row.choice(
                "relationship_kind",
                SupervisoryRelationship.Kind.choices,
                default=SupervisoryRelationship.Kind.LINE,
            )
            starts_on = row.date("starts_on", required=True)
            review = row.date("review_due_on")
            data = {
                "starts_on": starts_on,
                "review_due_on": review,
                "frequency_value": row.integer("frequency_value", 1, 52, required=True),
                "frequency_unit": row.choice(
                    "frequency_unit", SupervisionAgreement.FrequencyUnit.choices, required=True
                ),
                "duration_minutes": row.integer("duration_minutes", 15, 240, default=90),
                "mode": row.choice(
                    "mode",
                    SupervisionAgreement.Mode.choices,
                    default=SupervisionAgreement.Mode.IN_PERSON,
                ),
                "signed_on": row.date("signed_on"),
            }
            data["absent"] = {
                c
                for c in ("review_due_on", "duration_minutes", "mode", "signed_on")
                if not row.has(c)
            }
            self.need_staff(row, "supervisor_email", supervisor)
            self.need_staff(row, "supervisee_email", supervisee)
            if not row.ok:
                continue
            if review is None:
                data["review_due_on"] = starts_on + relativedelta(years=1)
            elif review <= starts_on:
                row.error("review_due_on", "Enter a review date after the start date")
            signed = data["signed_on"]
            if signed and signed > self.today:
                row.error("signed_on", "Enter a date today or in the past", show_value=True)
            rel = self.find_relationship(supervisee, supervisor, kind, starts_on)
            if rel is None and ("relationship", supervisee, supervisor) in self.doubtful:
                continue
            if rel is None:
                row.error(
                    "starts_on",
                    f"No supervision arrangement of {supervisee} by {supervisor} "
                    f"({kind.replace('_', ' ')}) runs on {_long(starts_on)}: add it to "
                    "relationships.csv",
                )
            if not row.ok:
                continue
            key = (rel.key, starts_on)
            if key in seen:
                row.error("starts_on", f"This agreement is already on row {seen[key]}")
                continue
            seen[key] = row.number
            data.update(rel=rel, row=row.number)
            by_relationship[rel.key].append(data)
        for rel_key, new in by_relationship.items():
            self._plan_agreements(self.relationships[rel_key], new)

    def _plan_agreements(self, rel: _Rel, rows: list[dict]) -> None:
        """Versions, and which is in force: the latest signed one, unless the arrangement
        has ended (then it is superseded, as a change of supervisor does in the product)."""

        recorded = sorted(
            self.db_agreements.get(rel.db.pk, []) if rel.db else [], key=lambda a: a.version
        )
        by_start = {a.starts_on: a for a in recorded}
        new = []
        for data in sorted(rows, key=lambda d: d["starts_on"]):
            existing = by_start.get(data["starts_on"])
            if existing is None:
                new.append(data)
                continue
            self._match_agreement(data, existing)
        latest_recorded = max((a.starts_on for a in recorded), default=None)
        draft = next((a for a in recorded if a.status == SupervisionAgreement.Status.DRAFT), None)
        version = max((a.version for a in recorded), default=0)
        for index, data in enumerate(new):
            if latest_recorded and data["starts_on"] < latest_recorded:
                self._agreement_error(
                    data,
                    "starts_on",
                    f"An agreement from {_long(latest_recorded)} is already recorded for this "
                    "arrangement: an imported agreement must start after it",
                )
                continue
            if draft is not None and draft.starts_on not in {d["starts_on"] for d in rows}:
                self._agreement_error(
                    data,
                    "starts_on",
                    "This arrangement has an unsigned agreement in the product: sign or "
                    "delete it there first",
                )
                continue
            if data["signed_on"] is None and index < len(new) - 1:
                self._agreement_error(
                    data,
                    "signed_on",
                    "Only the latest agreement of an arrangement can be unsigned",
                )
                continue
            version += 1
            data["version"] = version
            self.add("agreements.csv", Item(data["row"], CREATE, data))

    def _match_agreement(self, data: dict, existing) -> None:

        signatures = list(existing.signatures.all())
        signed_on = (
            local_day(max(s.signed_at for s in signatures))
            if existing.status != SupervisionAgreement.Status.DRAFT and signatures
            else None
        )
        fields = ("review_due_on", "frequency_value", "frequency_unit", "duration_minutes", "mode")
        # A column left out keeps what is recorded.
        for name in data["absent"]:
            data[name] = signed_on if name == "signed_on" else getattr(existing, name)
        changes = {f: data[f] for f in fields if getattr(existing, f) != data[f]}
        if existing.status == SupervisionAgreement.Status.DRAFT:
            if data["signed_on"]:
                changes["signed_on"] = data["signed_on"]
            data["version"] = existing.version
            outcome = UPDATE if changes else UNCHANGED
            self.add("agreements.csv", Item(data["row"], outcome, data, existing, changes))
            return
        if data["signed_on"] != signed_on:
            changes["signed_on"] = data["signed_on"]
        if changes:
            self._agreement_error(
                data,
                sorted(changes)[0],
                f"This agreement was signed on {_long(signed_on) if signed_on else 'a date'} "
                "and is locked: review it in the product instead",
            )
            return
        self.add("agreements.csv", Item(data["row"], UNCHANGED, data, existing))

    def _agreement_error(self, data: dict, column: str, message: str) -> None:
        self.problems.append(Problem("agreements.csv", message, row=data["row"], column=column))

    # sessions.csv ----------------------------------------------------------------------------

    RECORD_RANK = {
        "none": 0,
        "draft": 1,
        "shared": 2,
        "amendment_requested": 2,
        "supervisee_signed": 3,
        "finalised": 4,
    }
    RECORD_CHOICES = [
        ("none", "No record"),
        ("draft", "Draft"),
        ("shared", "Shared"),
        ("supervisee_signed", "Signed by supervisee"),
        ("finalised", "Finalised"),
    ]

    def check_sessions(self) -> None:

        Status = SupervisionSession.Status
        seen: dict[tuple, int] = {}
        self.sessions: dict[tuple, dict] = {}
        pending_replaces = []
        for row in self.rows("sessions.csv"):
            supervisee = row.email("supervisee_email")
            supervisor = row.email("supervisor_email")
            data = {
                "supervisee": supervisee,
                "supervisor": supervisor,
                "session_type": row.choice("session_type", SessionType.choices, required=True),
                "starts_at": row.moment("starts_at", required=True),
                "duration": row.integer("duration_minutes", 15, 480, required=True),
                "status": row.choice("status", Status.choices, required=True),
                "mode": row.choice(
                    "mode",
                    SupervisionSession.Mode.choices,
                    default=SupervisionSession.Mode.IN_PERSON,
                ),
                "location": row.text("location", max_length=200),
                "cancellation_reason": row.text("cancellation_reason"),
                "replaces": row.moment("replaces_starts_at"),
                "record_status": row.choice("record_status", self.RECORD_CHOICES, default="none"),
                "shared_on": row.date("record_shared_on"),
                "signed_on": row.date("record_signed_on"),
                "finalised_on": row.date("record_finalised_on"),
            }
            self.need_staff(row, "supervisee_email", supervisee)
            self.need_staff(row, "supervisor_email", supervisor)
            if supervisor and supervisor == supervisee:
                row.error("supervisor_email", "A person cannot supervise themselves")
            if not row.ok:
                self.doubtful.add(("session", supervisee, data["starts_at"]))
                continue
            starts, status = data["starts_at"], data["status"]
            if status != Status.PLANNED and starts > self.now:
                row.error("status", "A session in the future can only be planned", show_value=True)
            recorded = self.db_sessions.get((supervisee, starts))
            if (
                status == Status.CANCELLED
                and not data["cancellation_reason"]
                and (row.has("cancellation_reason") or recorded is None)
            ):
                row.error("cancellation_reason", "Enter why the session was cancelled")
            if status != Status.CANCELLED and data["cancellation_reason"]:
                row.error("cancellation_reason", "Leave this empty: the session was not cancelled")
            self._check_record(row, data)
            key = (supervisee, starts)
            if not row.ok:
                self.doubtful.add(("session", *key))
            if key in seen:
                row.error(
                    "starts_at",
                    f"{supervisee} already has a session at this time on row {seen[key]}",
                )
            if not row.ok:
                continue
            seen[key] = row.number
            data["ends_at"] = starts + timedelta(minutes=data["duration"])
            data["row"] = row.number
            self.sessions[key] = data
            if data["replaces"] is not None:
                pending_replaces.append((row, data))
            self._plan_session(row, data)
        for row, data in pending_replaces:
            target = (data["supervisee"], data["replaces"])
            if ("session", *target) in self.doubtful:
                continue
            status = None
            if target in self.sessions:
                status = self.sessions[target]["status"]
            elif target in self.db_sessions:
                status = self.db_sessions[target].status
            if status is None:
                row.error(
                    "replaces_starts_at",
                    f"{data['supervisee']} has no session at this "
                    "time in sessions.csv or already recorded",
                    show_value=True,
                )
            elif status != Status.CANCELLED:
                row.error(
                    "replaces_starts_at",
                    "The session it replaces must be cancelled",
                    show_value=True,
                )
            elif data["replaces"] >= data["starts_at"]:
                row.error(
                    "replaces_starts_at",
                    "The session it replaces must start earlier",
                    show_value=True,
                )

    def _check_record(self, row: _Row, data: dict) -> None:

        status = data["record_status"]
        rank = self.RECORD_RANK[status]
        if rank and data["status"] != SupervisionSession.Status.HELD:
            row.error("record_status", "Only a held session has a record", show_value=True)
            return
        if rank and data["session_type"] not in self.templates:
            row.error("session_type", "There is no record template for this kind of session")
            return
        session_day = local_day(data["starts_at"])
        dates = [
            ("record_shared_on", "shared_on", 2),
            ("record_signed_on", "signed_on", 3),
            ("record_finalised_on", "finalised_on", 4),
        ]
        previous = session_day
        for column, key, needed_from in dates:
            value = data[key]
            if rank < needed_from:
                if value is not None:
                    row.error(column, f"Leave this empty for a record that is {status}")
                continue
            if value is None:
                if key == "signed_on" and status == "finalised":
                    data["signed_on"] = data["finalised_on"]
                    continue
                row.error(column, f"Enter the date: the record is {status.replace('_', ' ')}")
                continue
            if value > self.today:
                row.error(column, "Enter a date today or in the past", show_value=True)
            elif value < previous:
                row.error(column, f"Enter a date on or after {_long(previous)}", show_value=True)
            previous = value
        if (
            status == "finalised"
            and data["signed_on"]
            and data["finalised_on"]
            and data["signed_on"] > data["finalised_on"]
        ):
            row.error("record_signed_on", "The supervisee signs before the record is finalised")

    def _plan_session(self, row: _Row, data: dict) -> None:

        existing = self.db_sessions.get((data["supervisee"], data["starts_at"]))
        if existing is None:
            self.add("sessions.csv", Item(row.number, CREATE, data))
            return
        record = getattr(existing, "record", None)
        replaces = self.replaced_moment(existing)
        current = {
            "supervisor": existing.supervisor.email.lower(),
            "session_type": existing.session_type,
            "ends_at": existing.ends_at,
            "status": existing.status,
            "mode": existing.mode,
            "location": existing.location,
            "cancellation_reason": existing.cancellation_reason,
            "replaces": replaces,
        }
        wanted = {k: data[k] for k in current}
        optional = {
            "mode": "mode",
            "location": "location",
            "replaces": "replaces_starts_at",
            "cancellation_reason": "cancellation_reason",
        }
        for name, column in optional.items():
            if not row.has(column):
                wanted[name] = current[name]  # a column left out keeps what is recorded
        changes = {k: v for k, v in wanted.items() if current[k] != v}
        recorded = record.status if record is not None else "none"
        finalised = recorded == SupervisionRecord.Status.FINALISED
        want_rank, have_rank = (self.RECORD_RANK[data["record_status"]], self.RECORD_RANK[recorded])
        if not row.has("record_status"):
            want_rank = have_rank
        elif want_rank > have_rank:
            changes["record_status"] = data["record_status"]
        elif want_rank < have_rank:
            row.error(
                "record_status",
                f"The record is already {recorded.replace('_', ' ')} "
                "in the product and cannot go back",
                show_value=True,
            )
            return
        if finalised and (changes or self._record_dates_differ(record, data)):
            row.error(
                "starts_at",
                "This session's record is finalised and cannot be changed: "
                "add an addendum in the product instead",
            )
            return
        if record is not None and changes.get("status"):
            row.error("status", "This session has a record, so it was held", show_value=True)
            return
        outcome = UPDATE if changes else UNCHANGED
        self.add("sessions.csv", Item(row.number, outcome, data, existing, changes))

    def _record_dates_differ(self, record, data: dict) -> bool:
        if (
            record.shared_at
            and data["shared_on"]
            and local_day(record.shared_at) != data["shared_on"]
        ):
            return True
        return bool(
            record.finalised_at
            and data["finalised_on"]
            and local_day(record.finalised_at) != data["finalised_on"]
        )

    def replaced_moment(self, session) -> datetime | None:
        if session.replaces_id is None:
            return None
        for s in self.db_sessions.values():
            if s.pk == session.replaces_id:
                return s.starts_at
        return "recorded"  # a cancelled session outside the file: never equal to a file value

    # cases.csv -------------------------------------------------------------------------------

    def check_cases(self) -> None:

        seen: dict[str, int] = {}
        self.children: dict[str, dict] = {}
        for row in self.rows("cases.csv"):
            problems = reference_errors(row.raw("reference"))
            reference = normalise_reference(row.raw("reference"))
            if problems:
                # Not echoed: what is in the cell may be a child's name.
                row.error("reference", problems["reference"])
            initials = row.raw("initials").upper().replace(".", "").replace(" ", "")
            if not initials:
                row.error("initials", "Enter the child's initials")
            elif not INITIALS_PATTERN.match(initials):
                row.error(
                    "initials",
                    "Enter the child's initials, 1 to 4 letters, such as JS",
                    show_value=True,
                )
            data = {
                "reference": reference,
                "initials": initials,
                "service": row.choice("service", Service.choices, required=True),
                "plan": row.choice("plan", ChildPlan.choices, required=True),
                "unit": row.code("unit_code"),
                "worker": row.email("worker_email"),
                "allocated_at": row.moment("allocated_at", required=True),
                "rag_rating": row.choice("rag_rating", _levels("rag"), default=""),
                "serious_harm_level": row.choice("serious_harm_level", _levels("yj"), default=""),
                "safety_wellbeing_level": row.choice(
                    "safety_wellbeing_level", _levels("yj"), default=""
                ),
                "chronic_neglect": row.boolean("chronic_neglect"),
                "closed_on": row.date("closed_on"),
                "closure_reason": row.choice(
                    "closure_reason", Child.ClosureReason.choices, default=""
                ),
                "closure_rationale": row.text("closure_rationale"),
            }
            if data["unit"] and not self.unit_known(data["unit"]):
                row.error(
                    "unit_code",
                    f"There is no unit with the code {data['unit']}: add it to units.csv",
                )
            self.need_staff(row, "worker_email", data["worker"])
            if reference and reference in seen:
                row.error(
                    "reference", f"This child is already on row {seen[reference]}", show_value=True
                )
                continue
            if reference:
                seen[reference] = row.number
            if not row.ok:
                continue
            allocated = data["allocated_at"]
            if allocated > self.now:
                row.error("allocated_at", "Enter a date and time in the past", show_value=True)
            closed = data["closed_on"]
            if closed is not None:
                if closed > self.today:
                    row.error(
                        "closed_on", "Enter a closure date today or in the past", show_value=True
                    )
                elif closed < local_day(allocated):
                    row.error(
                        "closed_on",
                        "Enter a closure date on or after the allocation, "
                        f"{_long(local_day(allocated))}",
                        show_value=True,
                    )
                if not data["closure_reason"]:
                    row.error("closure_reason", "Choose why the case closed")
            elif data["closure_reason"] or data["closure_rationale"]:
                column = "closure_reason" if data["closure_reason"] else "closure_rationale"
                row.error(column, "Leave this empty: the case is open (closed_on is empty)")
            child = Child(
                service=data["service"],
                plan=data["plan"],
                chronic_neglect=data["chronic_neglect"],
                rag_rating=data["rag_rating"],
                serious_harm_level=data["serious_harm_level"],
                safety_wellbeing_level=data["safety_wellbeing_level"],
            )
            try:
                child.clean()
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    row.error(name if row.has(name) else "plan", messages[0], show_value=True)
            if not row.ok:
                continue
            data["row"] = row.number
            self.children[reference] = data
            self._plan_child(row, data)

    def _plan_child(self, row: _Row, data: dict) -> None:
        existing = self.db_children.get(data["reference"])
        if existing is None:
            self.add("cases.csv", Item(row.number, CREATE, data))
            return
        fixed = {
            "service": existing.service,
            "unit": existing.unit.code.lower(),
            "worker": existing.allocated_worker.email.lower()
            if existing.allocated_worker
            else None,
            "allocated_at": existing.allocated_at,
        }
        columns = {"unit": "unit_code", "worker": "worker_email"}
        for name, value in fixed.items():
            if data[name] != value:
                row.error(
                    columns.get(name, name),
                    f"{data['reference']} is recorded with a different allocation "
                    f"({name.replace('_', ' ')}): transfer the case in the product, not by "
                    "import",
                    show_value=True,
                )
                return
        changes = {}
        for name in (
            "initials",
            "plan",
            "chronic_neglect",
            "rag_rating",
            "serious_harm_level",
            "safety_wellbeing_level",
        ):
            if (row.has(name) or name in ("initials", "plan")) and getattr(existing, name) != data[
                name
            ]:
                changes[name] = data[name]
        if not row.has("closed_on"):
            pass  # a column left out keeps what is recorded
        elif existing.closed_on is None and data["closed_on"] is not None:
            changes.update(closed_on=data["closed_on"])
        elif existing.closed_on is not None and (
            data["closed_on"] != existing.closed_on
            or data["closure_reason"] != existing.closure_reason
        ):
            row.error(
                "closed_on",
                f"{data['reference']} was closed on {_long(existing.closed_on)}: a closed "
                "case is not reopened or changed by import",
            )
            return
        outcome = UPDATE if changes else UNCHANGED
        self.add("cases.csv", Item(row.number, outcome, data, existing, changes))

    def allocation_on(self, reference: str, moment: datetime):
        """(worker email, unit code, service, allocation or None) of whoever held the case at
        that moment, or None if nobody did yet."""
        data = self.children.get(reference)
        child = self.db_children.get(reference)
        if child is not None:
            held = [a for a in child.allocations.all() if a.starts_at <= moment]
            if not held:
                return None
            allocation = max(held, key=lambda a: a.starts_at)
            return (
                allocation.worker.email.lower(),
                allocation.unit.code.lower(),
                allocation.service,
                allocation,
            )
        if data is None or data["allocated_at"] > moment:
            return None
        return data["worker"], data["unit"], data["service"], None

    # case_supervisions.csv -------------------------------------------------------------------

    def check_case_notes(self) -> None:

        seen: dict[tuple, int] = {}
        for row in self.rows("case_supervisions.csv"):
            reference = normalise_reference(row.raw("reference"))
            if not reference:
                row.error("reference", "Enter the child's reference")
            elif reference not in self.named_children and reference not in self.db_children:
                row.error(
                    "reference",
                    f"There is no child with the reference {reference}: add them to cases.csv",
                    show_value=True,
                )
            data = {
                "reference": reference,
                "discussed_at": row.moment("discussed_at", required=True),
                "author": row.email("author_email"),
                "kind": row.choice(
                    "kind", CaseNote.Kind.choices, default=CaseNote.Kind.CASE_SUPERVISION
                ),
                "current_situation": row.text("current_situation"),
                "working_well": row.text("working_well"),
                "worries": row.text("worries"),
                "decision": row.text("decision", required=True),
                "reasons": row.text("reasons", required=True),
                "next_review_on": row.date("next_review_on"),
            }
            author = data["author"]
            if reference in self.named_children and reference not in self.children:
                continue  # the child's own row has a problem, reported there
            if author and not self.is_person(author):
                row.error(
                    "author_email",
                    f"There is no member of staff with the email {author}: add them to staff.csv",
                )
            if not row.ok:
                continue
            discussed = data["discussed_at"]
            day = local_day(discussed)
            if discussed > self.now:
                row.error("discussed_at", "Enter a date and time in the past", show_value=True)
            if (
                data["kind"] in CaseNote.FORMAL_SUPERVISION
                and data["next_review_on"] is None
                and (row.has("next_review_on") or self._recorded_note(data) is None)
            ):
                row.error("next_review_on", "Enter the date of the next review")
            elif data["next_review_on"] and data["next_review_on"] < day:
                row.error(
                    "next_review_on",
                    "Enter a next review date on or after the discussion",
                    show_value=True,
                )
            held = self.allocation_on(reference, discussed)
            if held is None:
                row.error(
                    "discussed_at", f"{reference} was not yet allocated then", show_value=True
                )
            closed = self._closed_on(reference)
            if closed and day > closed:
                row.error(
                    "discussed_at", f"{reference}'s case closed on {_long(closed)}", show_value=True
                )
            key = (reference, discussed, data["kind"])
            if key in seen:
                row.error("discussed_at", f"This note is already on row {seen[key]}")
            if not row.ok:
                continue
            seen[key] = row.number
            data["worker"], data["unit"], data["service"], data["allocation"] = held
            data["row"] = row.number
            self._plan_note(row, data)

    def _closed_on(self, reference: str) -> date | None:
        if reference in self.children:
            return self.children[reference]["closed_on"]
        return self.db_children[reference].closed_on

    def _recorded_note(self, data: dict):
        child = self.db_children.get(data["reference"])
        if child is None:
            return None
        return next(
            (
                n
                for n in self.db_notes[child.pk]
                if n.discussed_at == data["discussed_at"] and n.kind == data["kind"]
            ),
            None,
        )

    def _plan_note(self, row: _Row, data: dict) -> None:

        existing = self._recorded_note(data)
        if existing is None:
            self.add("case_supervisions.csv", Item(row.number, CREATE, data))
            return
        if existing.status != CaseNote.Status.FINAL:
            row.error(
                "discussed_at",
                "A draft note for this discussion is being written in the product: finish it there",
            )
            return
        fields = [
            f
            for f in ("current_situation", "working_well", "worries", "next_review_on")
            if row.has(f)  # a column left out keeps what is recorded
        ]
        differs = [f for f in ["decision", "reasons", *fields] if getattr(existing, f) != data[f]]
        if existing.author.email.lower() != data["author"]:
            differs.insert(0, "author_email")
        if differs:
            row.error(differs[0], "This note is final and cannot be changed")
            return
        self.add("case_supervisions.csv", Item(row.number, UNCHANGED, data, existing))


def _overlap(a: _Rel, b: _Rel) -> bool:
    a_end = a.ends_on or date.max
    b_end = b.ends_on or date.max
    return a.starts_on <= b_end and b.starts_on <= a_end


def _levels(scale: str):

    values = ["red", "amber", "green"] if scale == "rag" else ["very_high", "high", "medium", "low"]
    return [(v, RiskLevel(v).label) for v in values]


# --- Writing --------------------------------------------------------------------------------


def import_files(files: dict[str, bytes], *, by=None, request=None, dry_run: bool = False) -> Plan:
    """Check, then (unless a dry run) write everything in one transaction. Raises
    ImportRefused with every problem found, having written nothing."""
    with transaction.atomic():
        plan = check(files)
        if not plan.ok:
            raise ImportRefused(plan.problems)
        if dry_run:
            return plan
        _Writer(plan, by, request).run()

        counts = plan.counts()
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="data_import",
            detail={
                "change": "data imported",
                "files": plan.files,
                "created": {n: c[CREATE] for n, c in counts.items()},
                "updated": {n: c[UPDATE] for n, c in counts.items()},
                "unchanged": {n: c[UNCHANGED] for n, c in counts.items()},
                "job_roles_created": len(plan.new_job_roles),
            },
        )
    return plan


class _Writer:
    def __init__(self, plan: Plan, by, request=None):
        self.plan = plan
        self.request = request
        self.check: _Check = plan.state
        self.by = by
        self.now = plan.now
        self.today = local_day(plan.now)
        self.users = dict(self.check.db_users)
        self.units = dict(self.check.db_units)
        self.roles = dict(self.check.db_roles)
        self.relationships = {}
        self.children = dict(self.check.db_children)

    def items(self, name: str) -> list[Item]:
        return self.plan.items.get(name, [])

    def run(self) -> None:
        self.job_roles()
        self.write_units()
        self.write_staff()
        self.write_unit_managers()
        self.write_relationships()
        self.write_agreements()
        self.write_sessions()
        self.write_cases()
        self.write_case_notes()

    def job_roles(self) -> None:

        holds_cases = {"practitioner", "asye", "student"}
        for code, role in self.plan.new_job_roles.items():
            self.roles[code] = JobRole.objects.create(
                code=code,
                name=role["name"],
                category=role["category"],
                holds_cases=role["category"] in holds_cases,
            )

    def write_units(self) -> None:

        items = sorted(self.items("units.csv"), key=lambda i: self.check.unit_depth(i.data["code"]))
        for item in items:
            data = item.data
            if item.outcome == UNCHANGED:
                continue
            unit = item.existing or Unit(code=data["code"])
            unit.name = data["name"]
            unit.kind = data["kind"]
            if "parent" in data:
                unit.parent = self.units[data["parent"]] if data["parent"] else None
            unit.save()
            self.units[data["code"]] = unit

    def write_staff(self) -> None:

        for item in self.items("staff.csv"):
            data = item.data
            if item.outcome == UNCHANGED:
                continue
            user = item.existing
            created = user is None
            if created:
                user = User(email=data["email"], full_name=data["full_name"])
                # Nobody knows a password for them: they set their own with an emailed link.
                user.set_unusable_password()
                user.save()
                self.users[data["email"]] = user
            elif user.full_name != data["full_name"]:
                user.full_name = data["full_name"]
                user.save(update_fields=["full_name"])
            profile = getattr(user, "profile", None) if item.existing is not None else None
            if profile is None:
                profile = StaffProfile(user=user)
            profile.job_role = self.roles[data["job_role"]]
            profile.unit = self.units[data["unit"]]
            for name in (
                "start_date",
                "employment_type",
                "qualified_date",
                "asye_start_date",
                "is_student",
                "probation_end_date",
                "leaving_date",
            ):
                if name in data:
                    setattr(profile, name, data[name])
            # As marking someone as left does: their file is archived from then on.
            profile.is_active = profile.leaving_date is None
            profile.save()
            if created:
                # Written to the outbox in this transaction, so it is sent if and only if the
                # import is; not to someone who has already left.
                set_password_link_queue(
                    user, why=Why.IMPORT, by=self.by, request=self.request, now=self.now
                )

    def write_unit_managers(self) -> None:
        for item in self.items("units.csv"):
            data = item.data
            if item.outcome == UNCHANGED or "manager" not in data:
                continue
            unit = self.units[data["code"]]
            manager = self.users[data["manager"]] if data["manager"] else None
            if unit.manager_id != (manager.pk if manager else None):
                unit.manager = manager
                unit.save()

    def write_relationships(self) -> None:

        for rel in self.check.relationships.values():
            if rel.db is not None:
                self.relationships[rel.key] = rel.db
        items = self.items("relationships.csv")
        # Ends first, so a new line supervisor never overlaps the one before in the database.
        for item in items:
            if item.outcome != UPDATE:
                continue
            relationship = item.existing
            relationship.ends_on = item.changes["ends_on"]
            relationship.save(update_fields=["ends_on"])
            if relationship.ends_on is not None:
                # As a change of supervisor does: the agreement stops being in force.
                SupervisionAgreement.objects.filter(
                    relationship=relationship,
                    status__in=[
                        SupervisionAgreement.Status.ACTIVE,
                        SupervisionAgreement.Status.DRAFT,
                    ],
                ).update(
                    status=SupervisionAgreement.Status.SUPERSEDED,
                    superseded_at=min(self.now, _moment_on(relationship.ends_on)),
                    superseded_reason="arrangement ended",
                )
        for item in items:
            if item.outcome != CREATE:
                continue
            rel = item.data["rel"]
            supervisee, supervisor, kind, starts_on = rel.key
            self.relationships[rel.key] = SupervisoryRelationship.objects.create(
                supervisee=self.users[supervisee],
                supervisor=self.users[supervisor],
                kind=kind,
                starts_on=starts_on,
                ends_on=rel.ends_on,
            )

    def write_agreements(self) -> None:

        Status = SupervisionAgreement.Status
        by_relationship = defaultdict(list)
        for item in self.items("agreements.csv"):
            if item.outcome != UNCHANGED:
                by_relationship[item.data["rel"].key].append(item)
        for key, items in by_relationship.items():
            relationship = self.relationships[key]
            rel = self.check.relationships[key]
            items.sort(key=lambda i: i.data["starts_on"])
            signed = [i for i in items if i.data["signed_on"]]
            latest_signed = signed[-1] if signed else None
            for item in items:
                data = item.data
                agreement = item.existing
                fields = {
                    "starts_on": data["starts_on"],
                    "review_due_on": data["review_due_on"],
                    "frequency_value": data["frequency_value"],
                    "frequency_unit": data["frequency_unit"],
                    "duration_minutes": data["duration_minutes"],
                    "mode": data["mode"],
                }
                if agreement is None:
                    previous = (
                        SupervisionAgreement.objects.filter(relationship=relationship)
                        .order_by("-version")
                        .first()
                    )
                    agreement = SupervisionAgreement(
                        relationship=relationship,
                        version=data["version"],
                        previous=previous,
                        created_by=relationship.supervisor,
                        **fields,
                        **DEFAULT_TEXT,
                    )
                else:
                    for name, value in fields.items():
                        setattr(agreement, name, value)
                agreement.full_clean(exclude=["previous"])
                agreement.save()
                if data["signed_on"]:
                    self._sign_agreement(agreement, relationship, data["signed_on"])
                    if item is latest_signed and rel.ends_on is None:
                        self._supersede_in_force(relationship, agreement, data)
                        status, reason, when = Status.ACTIVE, "", None
                    elif item is latest_signed:
                        status, reason = Status.SUPERSEDED, "arrangement ended"
                        when = min(self.now, _moment_on(rel.ends_on))
                    else:
                        status = Status.SUPERSEDED
                        reason = f"reviewed: replaced by version {agreement.version + 1}"
                        when = _moment_on(signed[signed.index(item) + 1].data["signed_on"])
                    SupervisionAgreement.objects.filter(pk=agreement.pk).update(
                        status=status,
                        content_hash=agreement.content_hash,
                        superseded_at=when,
                        superseded_reason=reason,
                    )
                elif rel.ends_on is not None:
                    SupervisionAgreement.objects.filter(pk=agreement.pk).update(
                        status=Status.SUPERSEDED,
                        superseded_at=min(self.now, _moment_on(rel.ends_on)),
                        superseded_reason="arrangement ended",
                    )

    def _sign_agreement(self, agreement, relationship, signed_on: date) -> None:

        agreement.content_hash = agreement_hash(agreement)
        when = _moment_on(signed_on)
        for role, signer in (
            (AgreementSignature.Role.SUPERVISEE, relationship.supervisee),
            (AgreementSignature.Role.SUPERVISOR, relationship.supervisor),
        ):
            AgreementSignature.objects.create(
                agreement=agreement,
                signer=signer,
                role=role,
                signed_at=when,
                method=IMPORTED_SIGNATURE,
                content_hash=agreement.content_hash,
            )

    def _supersede_in_force(self, relationship, agreement, data: dict) -> None:

        SupervisionAgreement.objects.filter(
            relationship=relationship, status=SupervisionAgreement.Status.ACTIVE
        ).exclude(pk=agreement.pk).update(
            status=SupervisionAgreement.Status.SUPERSEDED,
            superseded_at=_moment_on(data["signed_on"]),
            superseded_reason=f"reviewed: replaced by version {agreement.version}",
        )

    def write_sessions(self) -> None:

        sessions = dict(self.check.db_sessions.items())
        items = sorted(self.items("sessions.csv"), key=lambda i: i.data["starts_at"])
        for item in items:
            data = item.data
            if item.outcome == UNCHANGED:
                continue
            session = item.existing
            replaces = (
                sessions.get((data["supervisee"], data["replaces"])) if data["replaces"] else None
            )
            fields = {
                "supervisor": self.users[data["supervisor"]],
                "session_type": data["session_type"],
                "ends_at": data["ends_at"],
                "status": data["status"],
                "cancellation_reason": data["cancellation_reason"],
                "mode": data["mode"],
                "location": data["location"],
                "replaces": replaces,
            }
            if session is None:
                session = SupervisionSession(
                    supervisee=self.users[data["supervisee"]],
                    starts_at=data["starts_at"],
                    created_by=self.users[data["supervisor"]],
                    **fields,
                )
                session.save()
            elif set(item.changes) - {"record_status"}:
                # Only what differs: a column left out of the file is not in the changes.
                for name in set(item.changes) & set(fields):
                    setattr(session, name, fields[name])
                session.save()
            sessions[(data["supervisee"], data["starts_at"])] = session
            self._record(session, data)

    def _record(self, session, data: dict) -> None:
        """Brings the session's record up to the status in the file, as the product would have:
        started, shared (names and roles captured), signed by the supervisee, finalised. Both
        signatures cover the same content, since nothing is written between them."""

        Status = SupervisionRecord.Status
        wanted = _Check.RECORD_RANK[data["record_status"]]
        if not wanted:
            return
        record = SupervisionRecord.objects.filter(session=session).first()
        if record is None:
            template = self.check.templates[session.session_type]
            record = SupervisionRecord(session=session, template=template)
            if wanted >= 2:
                self._snapshot(record, session)
            record.save()
            RecordSection.objects.bulk_create(
                RecordSection(record=record, template_section=section)
                for section in template.sections.all()
            )
        elif wanted >= 2 and _Check.RECORD_RANK[record.status] < 2:
            # Saved first: the signatures' hash is of the record as stored.
            self._snapshot(record, session)
            record.save()
        rank = _Check.RECORD_RANK[record.status]
        if wanted <= rank:
            return
        if rank < 2:
            record.status = Status.SHARED
            record.shared_at = _moment_on(data["shared_on"], session.ends_at)
        content_hash = None
        if wanted >= 3:
            content_hash = record_hash(load_record_for_content(record.pk))
        if wanted >= 3 and rank < 3:
            Signature.objects.create(
                record=record,
                signer=session.supervisee,
                role=Signature.Role.SUPERVISEE,
                signed_at=_moment_on(data["signed_on"], record.shared_at),
                method=IMPORTED_SIGNATURE,
                content_hash=content_hash,
            )
            record.status = Status.SUPERVISEE_SIGNED
        if wanted >= 4:
            finalised_at = _moment_on(data["finalised_on"], record.shared_at)
            Signature.objects.create(
                record=record,
                signer=session.supervisor,
                role=Signature.Role.SUPERVISOR,
                signed_at=finalised_at,
                method=IMPORTED_SIGNATURE,
                content_hash=content_hash,
            )
            record.status = Status.FINALISED
            record.finalised_at = finalised_at
            record.content_hash = content_hash
        record.version += 1
        record.save()

    def _snapshot(self, record, session) -> None:

        record.organisation_name = settings.ORGANISATION_NAME
        for side in ("supervisee", "supervisor"):
            person = getattr(session, side)
            profile = getattr(person, "profile", None)
            setattr(record, f"{side}_name", person.full_name)
            setattr(record, f"{side}_role", profile.job_role.name if profile else "")

    def responsible(self, unit_code: str, worker: str) -> object:
        """Who allocated, rated or closed a case, when the file does not say: the manager of
        its team, or of the nearest unit above with one; the worker if none has."""
        code, guard = unit_code, 0
        while code is not None and guard < 100:
            manager = self.units[code].manager
            if manager is not None:
                return manager
            code, guard = self.check.parent_of(code), guard + 1
        return self.users[worker]

    def write_cases(self) -> None:

        self.closed_now: set[str] = set()
        for item in self.items("cases.csv"):
            data = item.data
            if item.outcome == UNCHANGED:
                continue
            by = self.responsible(data["unit"], data["worker"])
            levels = {f: data[f] for f in SCALE_FIELDS.values()}
            child = item.existing
            if child is None:
                allocated = data["allocated_at"]
                child = Child(
                    reference=data["reference"],
                    initials=data["initials"],
                    service=data["service"],
                    service_since=local_day(allocated),
                    plan=data["plan"],
                    chronic_neglect=data["chronic_neglect"],
                    unit=self.units[data["unit"]],
                    allocated_worker=self.users[data["worker"]],
                    allocated_at=allocated,
                    **levels,
                )
                child.save()
                Allocation.objects.create(
                    child=child,
                    worker=child.allocated_worker,
                    unit=child.unit,
                    service=child.service,
                    starts_at=allocated,
                    allocated_by=by,
                )
                for scale, name in SCALE_FIELDS.items():
                    if levels[name]:
                        RiskRating.objects.create(
                            child=child,
                            scale=scale,
                            level=levels[name],
                            reason="Rated at allocation",
                            set_by=by,
                            set_at=allocated,
                        )
            else:
                for name in ("initials", "plan", "chronic_neglect"):
                    if name in item.changes:
                        setattr(child, name, item.changes[name])
                for scale, name in SCALE_FIELDS.items():
                    if name in item.changes:
                        RiskRating.objects.create(
                            child=child,
                            scale=scale,
                            level=item.changes[name],
                            previous_level=getattr(child, name),
                            reason="Changed by import",
                            set_by=by,
                            set_at=self.now,
                        )
                        setattr(child, name, item.changes[name])
                child.save()
            if data["closed_on"] is not None and child.closed_on is None:
                self._close(child, data, by)
            self.children[data["reference"]] = child

    def _close(self, child, data: dict, by) -> None:

        closed_on = data["closed_on"]
        # As closing in the product does: closed today, now; on an earlier day, its end.
        ends = self.now if closed_on >= self.today else day_starts(closed_on + timedelta(days=1))
        for allocation in Allocation.objects.filter(child=child, ends_at__isnull=True):
            allocation.ends_at = ends
            allocation.save(update_fields=["ends_at"])
        child.closed_on = closed_on
        child.closure_reason = data["closure_reason"]
        child.closure_rationale = data["closure_rationale"]
        child.closed_by = by
        child.discuss_next_marked_at = None
        child.discuss_next_marked_by = None
        child.discuss_next_reason = ""
        child.save()
        self.closed_now.add(child.reference)

    def write_case_notes(self) -> None:

        written = defaultdict(list)
        for item in self.items("case_supervisions.csv"):
            data = item.data
            if item.outcome == UNCHANGED:
                continue
            child = self.children[data["reference"]]
            author = self.users[data["author"]]
            allocation = data["allocation"]
            note = CaseNote.objects.create(
                child=child,
                kind=data["kind"],
                author=author,
                # The worker and team as they stood on the day (C1, C4).
                worker=allocation.worker if allocation else self.users[data["worker"]],
                unit=allocation.unit if allocation else self.units[data["unit"]],
                service=data["service"],
                discussed_at=data["discussed_at"],
                current_situation=data["current_situation"],
                working_well=data["working_well"],
                worries=data["worries"],
                decision=data["decision"],
                reasons=data["reasons"],
                next_review_on=data["next_review_on"],
            )
            # Final once saved, with the hash of what it says: the order the services take,
            # and on PostgreSQL the only one the locking trigger allows.
            note.content_hash = content_hash(note_content(note))
            note.status = CaseNote.Status.FINAL
            note.finalised_at = data["discussed_at"]
            note.finalised_by = author
            note.version += 1
            note.save()
            written[child.pk].append(note)
        children = Child.objects.in_bulk(list(written))
        allocations = defaultdict(list)
        for allocation in Allocation.objects.filter(child_id__in=list(written)):
            allocations[allocation.child_id].append(allocation)
        for child_id, notes in written.items():
            child = children[child_id]
            last, review = child.last_discussed_at, child.next_review_on
            # What finalising each note would have done, in the order they were discussed.
            for note in sorted(notes, key=lambda n: n.discussed_at):
                if note.is_formal_supervision and (last is None or note.discussed_at > last):
                    last = note.discussed_at
                    review = note.next_review_on or review
                elif note.next_review_on and not note.is_formal_supervision:
                    review = note.next_review_on
            if (last, review) != (child.last_discussed_at, child.next_review_on):
                Child.objects.filter(pk=child_id).update(
                    last_discussed_at=last, next_review_on=review
                )
            # C3: the first discussion after each allocation.
            for allocation in allocations[child_id]:
                during = [
                    n.discussed_at
                    for n in notes
                    if n.discussed_at >= allocation.starts_at
                    and (allocation.ends_at is None or n.discussed_at < allocation.ends_at)
                ]
                if during and (
                    allocation.first_discussed_at is None
                    or min(during) < allocation.first_discussed_at
                ):
                    allocation.first_discussed_at = min(during)
                    allocation.save(update_fields=["first_discussed_at"])
        # C4 for the cases this import closed: whether their service held formal case
        # supervision since the child arrived in it.
        for reference in getattr(self, "closed_now", set()):
            child = self.children[reference]
            days = [
                local_day(moment)
                for moment in CaseNote.objects.filter(
                    child=child,
                    status=CaseNote.Status.FINAL,
                    kind__in=CaseNote.FORMAL_SUPERVISION,
                    service=child.service,
                    discussed_at__lt=day_starts(child.closed_on + timedelta(days=1)),
                ).values_list("discussed_at", flat=True)
            ]
            Child.objects.filter(pk=child.pk).update(
                closure_supervision_held=rules.supervised_in_service(
                    child.service_since or date.min, days
                )
            )
