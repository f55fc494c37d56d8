"""Checking relationships.csv and agreements.csv: who supervises whom, when, and their
agreements."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from agreements.models import SupervisionAgreement
from agreements.services import frequency_problem
from oversight.policy.packs import Interval
from oversight.records_management.importing.outcomes import CREATE, UNCHANGED, UPDATE, Item, Problem
from oversight.records_management.importing.values import _long, _Row, local_day
from supervision.models import (
    SupervisoryRelationship,
)


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


def _overlap(a: _Rel, b: _Rel) -> bool:
    a_end = a.ends_on or date.max
    b_end = b.ends_on or date.max
    return a.starts_on <= b_end and b.starts_on <= a_end


class _RelationshipChecks:
    def check_relationships(self) -> None:

        # Every arrangement as it will be, recorded ones first, then the file's on top.
        self.relationships: dict[tuple, _Rel] = {}
        for r in self.db_relationships:
            key = (r.supervisee.email.lower(), r.supervisor.email.lower(), r.kind, r.starts_on)
            self.relationships[key] = _Rel(key, r.starts_on, r.ends_on, db=r)
        seen: dict[tuple, int] = {}
        checked: list[tuple[_Row, _Rel]] = []
        for row in self.rows("relationships.csv"):
            rel = self._check_relationship_row(row, seen=seen)
            if rel is not None:
                checked.append((row, rel))
        self._check_one_line_supervisor_and_leaving_dates(checked)
        self._check_recorded_arrangements_end_by_leaving()

    def _check_relationship_row(self, row: _Row, *, seen: dict[tuple, int]) -> _Rel | None:
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
            return None
        key = (supervisee, supervisor, kind, starts_on)
        if key in seen:
            row.error("starts_on", f"This arrangement is already on row {seen[key]}")
            return None
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
        self.add("relationships.csv", item)
        return rel

    def _check_one_line_supervisor_and_leaving_dates(
        self, checked: list[tuple[_Row, _Rel]]
    ) -> None:
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

    def _check_recorded_arrangements_end_by_leaving(self) -> None:
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
            if self._less_frequent_than_the_pack(row, rel, supervisee, data):
                continue
            seen[key] = row.number
            data.update(rel=rel, row=row.number)
            by_relationship[rel.key].append(data)
        for rel_key, new in by_relationship.items():
            self._plan_agreements(self.relationships[rel_key], new)

    def _less_frequent_than_the_pack(self, row: _Row, rel: _Rel, supervisee: str, data) -> bool:
        """The same test as the agreement form's (F7): a new agreement may only make
        supervision more frequent than the pack, never less, unless the pack allows. A recorded
        one is matched against the file instead (and locked once signed)."""
        starts_on = data["starts_on"]
        recorded = rel.db is not None and any(
            a.starts_on == starts_on for a in self.db_agreements.get(rel.db.pk, [])
        )
        category = self.job_role_category_of(supervisee)
        if category is None or recorded:
            return False
        problem = frequency_problem(
            category,
            Interval(data["frequency_value"], data["frequency_unit"]),
            starts_on=starts_on,
            review_due_on=data["review_due_on"],
            versions=self.pack_versions,
        )
        if problem:
            row.error("frequency_value", problem)
        return bool(problem)

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
