"""Checking the files: every row of every file against the others and against what is already
recorded, reads only, in a fixed number of queries; the checks of each file are in the
modules named after them."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import datetime

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from agreements.models import SupervisionAgreement
from casework.models import (
    CaseNote,
    Child,
)
from casework.services import normalise_reference
from oversight.policy.choice import NoPolicyPack, pack_versions
from oversight.records_management.importing.checks_cases import _CaseChecks
from oversight.records_management.importing.checks_history import _HistoryChecks
from oversight.records_management.importing.checks_people import _UnitAndStaffChecks
from oversight.records_management.importing.checks_reach import _ReachChecks
from oversight.records_management.importing.checks_relationships import _RelationshipChecks
from oversight.records_management.importing.checks_sessions import _SessionChecks
from oversight.records_management.importing.files import FILE_NAMES, Table, parse_table
from oversight.records_management.importing.outcomes import Item, Plan
from oversight.records_management.importing.values import _Row, local_day, parse_moment
from supervision.models import (
    JobRole,
    RecordTemplate,
    SupervisionSession,
    SupervisoryRelationship,
    Unit,
    User,
)

# --- Checking -------------------------------------------------------------------------------


def check(files: dict[str, bytes | list], *, now: datetime | None = None, reach=None) -> Plan:
    """Every row of every file checked; what each would do. Reads only.

    A file is its CSV bytes or its rows as a list of objects (the API's JSON): both are read
    into the same table and checked by the same code. `reach`, a test of a unit's path from
    `access`, limits the rows to the units it passes (checks_reach); None: no limit."""
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
    _Check(plan, tables, reach=reach).run()
    return plan


class _Check(
    _UnitAndStaffChecks,
    _RelationshipChecks,
    _SessionChecks,
    _CaseChecks,
    _HistoryChecks,
    _ReachChecks,
):
    def __init__(self, plan: Plan, tables: dict[str, Table], *, reach=None):
        self.plan = plan
        self.reach = reach
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
        try:
            # The organisation's pack timeline, for the agreements' frequencies (F7).
            self.pack_versions = pack_versions()
        except NoPolicyPack:
            self.pack_versions = []
        emails = (
            self._cells("units.csv", "manager_email")
            | self._cells("staff.csv", "email")
            | self._cells("relationships.csv", "supervisor_email", "supervisee_email")
            | self._cells("agreements.csv", "supervisor_email", "supervisee_email")
            | self._cells(
                "sessions.csv", "supervisor_email", "supervisee_email", "cancelled_by_email"
            )
            | self._cells("cases.csv", "worker_email")
            | self._cells("allocations.csv", "worker_email")
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
            ).select_related("record", "supervisor", "cancelled_by"):
                key = (self.email_by_id[session.supervisee_id], session.starts_at)
                self.db_sessions[key] = session
        self.templates = {
            t.session_type: t
            for t in RecordTemplate.objects.filter(is_current=True, audience="").prefetch_related(
                "sections"
            )
        }
        self.load_children()

    def load_children(self) -> None:
        references = {
            r.upper()
            for r in self._cells("cases.csv", "reference")
            | self._cells("case_supervisions.csv", "reference")
            | self._cells("allocations.csv", "reference")
            | self._cells("risk_ratings.csv", "reference")
        }
        children = Child.objects.filter(reference__in=references).select_related(
            "unit", "allocated_worker"
        )
        children = children.prefetch_related("allocations__worker", "allocations__unit")
        # A child's recorded ratings, which a dated rating in the file must agree with: one
        # query more, only when there is such a file.
        self.reads_ratings = "risk_ratings.csv" in self.tables
        if self.reads_ratings:
            children = children.prefetch_related("risk_ratings")
        self.db_children = {c.reference: c for c in children}
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
        self.spelled_children = {
            normalise_reference(r) for r in self._cells("allocations.csv", "reference")
        }
        self.previous_levels: dict[tuple, str] = {}
        self.doubtful: set[tuple] = set()
        self.check_units()
        self.check_staff()
        self.check_unit_managers()
        self.check_relationships()
        self.check_agreements()
        self.check_sessions()
        self.check_cases()
        self.check_allocations()
        self.check_risk_ratings()
        self.check_case_notes()
        self.check_reach()
        self.plan.state = self

    # units.csv -------------------------------------------------------------------------------
