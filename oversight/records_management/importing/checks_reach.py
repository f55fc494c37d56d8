"""An import limited to some units (through an API token that holds only those): every row
must lie within them, or it is refused with a problem on the row, naming the column.

Whether a unit is within is decided by `access` (the `reach` given to the import, a test of a
unit's path); what this module does is find the units each row touches: the units it names,
the units of the people it names (as the files leave them and as they are recorded), and the
units of the children it names. A new unit in units.csv lies where its parent does."""

from __future__ import annotations

from oversight.records_management.importing.values import _Row

OUTSIDE = "This is outside the units this import may change"

# The columns of each file that name a unit, a member of staff or a child.
UNIT_COLUMNS = {
    "units.csv": ("code", "parent_code"),
    "staff.csv": ("unit_code",),
    "cases.csv": ("unit_code",),
    "allocations.csv": ("unit_code",),
}
PERSON_COLUMNS = {
    "units.csv": ("manager_email",),
    "staff.csv": ("email",),
    "relationships.csv": ("supervisor_email", "supervisee_email"),
    "agreements.csv": ("supervisor_email", "supervisee_email"),
    "sessions.csv": ("supervisee_email", "supervisor_email", "cancelled_by_email"),
    "cases.csv": ("worker_email",),
    "allocations.csv": ("worker_email",),
    "case_supervisions.csv": ("author_email",),
}
CHILD_FILES = ("cases.csv", "allocations.csv", "risk_ratings.csv", "case_supervisions.csv")


class _ReachChecks:
    reach = None  # a test of a unit's path, from access; None: the whole organisation

    def check_reach(self) -> None:
        if self.reach is None:
            return
        self._reached: dict[str, bool] = {}
        self._new_parents = {
            cells.get("code", "").strip().lower(): cells.get("parent_code", "").strip().lower()
            for _, cells in self.tables.get("units.csv", _NO_TABLE).rows
        }
        self._file_units = {
            cells.get("email", "").strip().lower(): cells.get("unit_code", "").strip().lower()
            for _, cells in self.tables.get("staff.csv", _NO_TABLE).rows
        }
        self._case_units = {
            cells.get("reference", "").strip().upper(): cells.get("unit_code", "").strip().lower()
            for _, cells in self.tables.get("cases.csv", _NO_TABLE).rows
        }
        for name in self.plan.files:
            for row in self.rows(name):
                self._row_within(row)

    def _row_within(self, row: _Row) -> None:
        for column in UNIT_COLUMNS.get(row.file, ()):
            if not self._unit_within(row.raw(column).lower()):
                row.error(column, OUTSIDE + ": the unit is not one of them.", show_value=True)
                return
        for column in PERSON_COLUMNS.get(row.file, ()):
            if not self._person_within(row.raw(column).lower()):
                row.error(column, OUTSIDE + ": this person works elsewhere.", show_value=True)
                return
        if row.file in CHILD_FILES and not self._child_within(row.raw("reference").upper()):
            row.error("reference", OUTSIDE + ": this child is in another unit.", show_value=True)

    def _unit_within(self, code: str, seen: frozenset = frozenset()) -> bool:
        if not code:
            return True
        if code not in self._reached:
            unit = self.db_units.get(code)
            if unit is not None:
                self._reached[code] = self.reach(unit.path)
            elif code in self._new_parents and code not in seen:
                # A new unit lies where its parent does; a new top-level unit lies outside.
                parent = self._new_parents[code]
                self._reached[code] = bool(parent) and self._unit_within(parent, seen | {code})
            else:
                # Unknown: the checks have said so on the row already.
                return True
        return self._reached[code]

    def _person_within(self, email: str) -> bool:
        if not email:
            return True
        if email in self._file_units and not self._unit_within(self._file_units[email]):
            return False
        user = self.db_users.get(email)
        profile = getattr(user, "profile", None) if user is not None else None
        return profile is None or self.reach(profile.unit.path)

    def _child_within(self, reference: str) -> bool:
        if not reference:
            return True
        if reference in self._case_units and not self._unit_within(self._case_units[reference]):
            return False
        child = self.db_children.get(reference)
        return child is None or self.reach(child.unit.path)


class _NoTable:
    rows: tuple = ()


_NO_TABLE = _NoTable()
