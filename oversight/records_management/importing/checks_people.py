"""Checking units.csv and staff.csv: the tree of units, their managers, people and their posts."""

from __future__ import annotations

from datetime import date

from oversight.records_management.importing.outcomes import CREATE, UNCHANGED, UPDATE, Item, Problem
from oversight.records_management.importing.values import _Row
from supervision.models import (
    JobRole,
    StaffProfile,
    Unit,
)
from supervision.organisation.job_roles import STANDARD_JOB_ROLES


class _UnitAndStaffChecks:
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

    def job_role_category_of(self, email: str) -> str | None:
        """The category of the job role a member of staff will hold after the import: the one
        staff.csv gives (recorded, created by the import, or standard), else the recorded one."""
        code = (self.staff.get(email) or {}).get("job_role")
        if code:
            if code in self.db_roles:
                return self.db_roles[code].category
            if code in self.plan.new_job_roles:
                return self.plan.new_job_roles[code]["category"]
            return None
        profile = getattr(self.db_users.get(email), "profile", None)
        return profile.job_role.category if profile is not None else None

    def leaving_date_of(self, email: str) -> date | None:
        data = self.staff.get(email)
        if data is not None and "leaving_date" in data:
            return data["leaving_date"]
        user = self.db_users.get(email)
        profile = getattr(user, "profile", None) if user is not None else None
        return profile.leaving_date if profile is not None else None

    # relationships.csv -----------------------------------------------------------------------
