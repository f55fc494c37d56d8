"""Importing an organisation's people, supervision history and cases from CSV files:
councils arrive with spreadsheets and HR exports.

Three steps, so that a mistake anywhere leaves the database exactly as it was:

1. `read_folder` / `read_uploads` collect the files' bytes by name (a .zip is opened);
   `read_rows` takes the files as lists of objects instead (the API's JSON), which are read
   into the same tables as the CSV and go through everything below unchanged;
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

The steps live in modules of their own: `files` (names, columns, reading), `values` (one
cell at a time), `checking` and the `checks_*` modules (one per file, or a pair:
`checks_history` for allocations.csv and risk_ratings.csv), `writing` and `writing_history`;
what a caller needs is named here.
"""

from oversight.records_management.importing.checking import check
from oversight.records_management.importing.files import (
    COLUMNS,
    FILE_NAMES,
    IMPORTED_SIGNATURE,
    LABELS,
    MAX_FILE_BYTES,
    MAX_ZIP_BYTES,
    MULTI_LINE_COLUMNS,
    file_name,
    parse_table,
    read_folder,
    read_rows,
    read_uploads,
    rows_table,
)
from oversight.records_management.importing.outcomes import (
    CREATE,
    UNCHANGED,
    UPDATE,
    ImportRefused,
    Item,
    Plan,
    Problem,
    summary_lines,
)
from oversight.records_management.importing.values import parse_date, parse_moment
from oversight.records_management.importing.writing import import_files

__all__ = [
    "CREATE",
    "UNCHANGED",
    "UPDATE",
    "COLUMNS",
    "FILE_NAMES",
    "IMPORTED_SIGNATURE",
    "ImportRefused",
    "Item",
    "LABELS",
    "MAX_FILE_BYTES",
    "MAX_ZIP_BYTES",
    "MULTI_LINE_COLUMNS",
    "Plan",
    "Problem",
    "check",
    "import_files",
    "parse_date",
    "parse_moment",
    "parse_table",
    "read_folder",
    "read_rows",
    "read_uploads",
    "rows_table",
    "file_name",
    "summary_lines",
]
