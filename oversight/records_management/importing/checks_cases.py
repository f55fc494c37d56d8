"""Checking cases.csv and case_supervisions.csv: children, their allocations, and case notes."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError

from casework.models import (
    CaseNote,
    Child,
    RiskLevel,
    Service,
)
from casework.models import (
    Plan as ChildPlan,
)
from casework.services import INITIALS_PATTERN, normalise_reference, reference_errors
from oversight.records_management.importing.outcomes import CREATE, UNCHANGED, UPDATE, Item
from oversight.records_management.importing.values import _long, _Row, local_day


class _CaseChecks:
    def check_cases(self) -> None:
        seen: dict[str, int] = {}
        self.children: dict[str, dict] = {}
        for row in self.rows("cases.csv"):
            data = self._case_from_row(row)
            reference = data["reference"]
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
            self._check_allocation_and_closure(row, data)
            self._check_plan_and_levels(row, data)
            if not row.ok:
                continue
            data["row"] = row.number
            self.children[reference] = data
            self._plan_child(row, data)

    def _case_from_row(self, row: _Row) -> dict:
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
        return {
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
            # Care the source system knows of and this product would not see from the plan.
            "has_been_looked_after": row.boolean("has_been_looked_after"),
            "closed_on": row.date("closed_on"),
            "closure_reason": row.choice("closure_reason", Child.ClosureReason.choices, default=""),
            "closure_rationale": row.text("closure_rationale"),
        }

    def _check_allocation_and_closure(self, row: _Row, data: dict) -> None:
        allocated = data["allocated_at"]
        if allocated > self.now:
            row.error("allocated_at", "Enter a date and time in the past", show_value=True)
        closed = data["closed_on"]
        if closed is not None:
            if closed > self.today:
                row.error("closed_on", "Enter a closure date today or in the past", show_value=True)
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

    def _check_plan_and_levels(self, row: _Row, data: dict) -> None:
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
        if data["reference"] in self.spelled_children:
            # allocations.csv gives the history, transfers included: checked against it there.
            fixed = {"service": existing.service}
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
        # Recorded once and never unset: "no" for a child recorded as looked after changes nothing.
        if data["has_been_looked_after"] and not existing.has_been_looked_after:
            changes["has_been_looked_after"] = True
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
        spells = getattr(self, "spells", {}).get(reference)
        if spells:
            held = [s for s in spells if s.starts_at <= moment]
            if not held:
                return None
            spell = held[-1]
            service = data["service"] if data else child.service
            return spell.worker, spell.unit, service, spell.db
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


def _levels(scale: str):
    values = ["red", "amber", "green"] if scale == "rag" else ["very_high", "high", "medium", "low"]
    return [(v, RiskLevel(v).label) for v in values]
