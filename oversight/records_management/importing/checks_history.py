"""Checking allocations.csv and risk_ratings.csv: a child's history, dated as it happened, so
the rules judge each day by who held the case and at what level then (C1, C2, C3, C5)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from casework.models import (
    LEVELS_BY_SCALE,
    SCALE_FIELDS,
    SCALES_BY_SERVICE,
    RiskLevel,
    RiskScale,
)
from casework.services import normalise_reference
from oversight.records_management.importing.outcomes import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Item,
    Problem,
)
from oversight.records_management.importing.values import _long, _Row, local_day

# What councils' systems call the youth justice scale of serious harm.
SCALE_CHOICES = [*RiskScale.choices, (RiskScale.SERIOUS_HARM, "rosh")]


@dataclass
class _Spell:
    """One spell of a child's allocation, recorded or from allocations.csv, as it will be."""

    worker: str
    unit: str
    starts_at: datetime
    ends_at: datetime | None
    row: int | None = None
    db: object = None
    changes: dict = field(default_factory=dict)

    def overlaps(self, other: _Spell) -> bool:
        self_end = self.ends_at or datetime.max.replace(tzinfo=self.starts_at.tzinfo)
        other_end = other.ends_at or datetime.max.replace(tzinfo=other.starts_at.tzinfo)
        return self.starts_at < other_end and other.starts_at < self_end


class _HistoryChecks:
    def _child_known(self, row: _Row, reference: str) -> bool:
        if not reference:
            row.error("reference", "Enter the child's reference")
            return False
        if reference not in self.named_children and reference not in self.db_children:
            row.error(
                "reference",
                f"There is no child with the reference {reference}: add them to cases.csv",
                show_value=True,
            )
            return False
        # A child whose own row has a problem: reported there, not again here.
        return reference not in self.named_children or reference in self.children

    # allocations.csv -------------------------------------------------------------------------

    def check_allocations(self) -> None:
        self.spells: dict[str, list[_Spell]] = {}
        from_file: dict[str, list[tuple[_Row, _Spell]]] = defaultdict(list)
        for row in self.rows("allocations.csv"):
            reference = normalise_reference(row.raw("reference"))
            known = self._child_known(row, reference)
            spell = self._spell_from_row(row)
            if known and row.ok:
                from_file[reference].append((row, spell))
        for reference, rows in from_file.items():
            self._check_spells(reference, rows)

    def _spell_from_row(self, row: _Row) -> _Spell:
        worker = row.email("worker_email")
        unit = row.code("unit_code")
        starts = row.moment("allocated_at", required=True)
        ends = row.moment("ended_at")
        self.need_staff(row, "worker_email", worker)
        if unit and not self.unit_known(unit):
            row.error("unit_code", f"There is no unit with the code {unit}: add it to units.csv")
        if starts and starts > self.now:
            row.error("allocated_at", "Enter a date and time in the past", show_value=True)
        if starts and ends and ends <= starts:
            row.error("ended_at", "Enter an end after the allocation", show_value=True)
        elif ends and ends > self.now:
            row.error("ended_at", "Enter a date and time in the past", show_value=True)
        left = self.leaving_date_of(worker) if worker else None
        if starts and left and local_day(starts) > left:
            row.error(
                "worker_email",
                f"{worker} left on {_long(left)}, before this allocation",
                show_value=True,
            )
        return _Spell(worker, unit, starts, ends, row=row.number)

    def _recorded_spells(self, reference: str) -> dict[datetime, _Spell]:
        child = self.db_children.get(reference)
        if child is None:
            return {}
        return {
            a.starts_at: _Spell(
                a.worker.email.lower(), a.unit.code.lower(), a.starts_at, a.ends_at, db=a
            )
            for a in child.allocations.all()
        }

    def _check_spells(self, reference: str, rows: list[tuple[_Row, _Spell]]) -> None:
        recorded = self._recorded_spells(reference)
        merged = dict(recorded)
        seen: dict[datetime, int] = {}
        for row, spell in rows:
            if spell.starts_at in seen:
                row.error(
                    "allocated_at",
                    f"{reference} already has an allocation at this time on row "
                    f"{seen[spell.starts_at]}",
                )
                continue
            seen[spell.starts_at] = row.number
            before = recorded.get(spell.starts_at)
            if before is None:
                merged[spell.starts_at] = spell
                self.add("allocations.csv", Item(row.number, CREATE, {"spell": spell}))
            elif self._same_spell(row, before, spell):
                outcome = UPDATE if before.changes else UNCHANGED
                self.add("allocations.csv", Item(row.number, outcome, {"spell": before}, before.db))
        spells = sorted(merged.values(), key=lambda s: s.starts_at)
        rows_by_number = {row.number: row for row, _ in rows}
        for index, spell in enumerate(spells):
            row = rows_by_number.get(spell.row)
            if row is None:
                continue
            for other in spells[:index]:
                if other.overlaps(spell):
                    where = f"row {other.row}" if other.row else "already recorded"
                    row.error(
                        "allocated_at",
                        f"This allocation overlaps {reference}'s allocation to {other.worker} "
                        f"from {_long(local_day(other.starts_at))} ({where})",
                    )
                    break
        open_spells = [s for s in spells if s.ends_at is None]
        for extra in open_spells[1:]:
            if extra.row in rows_by_number:
                rows_by_number[extra.row].error(
                    "ended_at",
                    f"{reference} has another allocation with no end: only the current one "
                    "may be left open",
                )
        self.spells[reference] = spells
        self._check_closure_and_case_row(reference, spells, rows_by_number)

    def _same_spell(self, row: _Row, before: _Spell, spell: _Spell) -> bool:
        """A row naming a recorded spell: the same worker and team; it may end an open one."""
        for name, column in (("worker", "worker_email"), ("unit", "unit_code")):
            if getattr(before, name) != getattr(spell, name):
                row.error(
                    column,
                    f"This allocation is recorded with {getattr(before, name)}: a recorded "
                    "allocation is not changed by import",
                    show_value=True,
                )
                return False
        if before.ends_at is None and spell.ends_at is not None:
            before.changes["ends_at"] = spell.ends_at
            before.ends_at = spell.ends_at
        elif row.has("ended_at") and before.ends_at != spell.ends_at:
            row.error(
                "ended_at",
                "This allocation is recorded as ended "
                f"{_long(local_day(before.ends_at))}: an ended allocation is not changed by "
                "import",
                show_value=True,
            )
            return False
        before.row = row.number
        return True

    def _check_closure_and_case_row(
        self, reference: str, spells: list[_Spell], rows: dict[int, _Row]
    ) -> None:
        closed = self._closed_on(reference)
        for spell in spells:
            if not closed or spell.row not in rows:
                continue
            if local_day(spell.starts_at) > closed:
                rows[spell.row].error(
                    "allocated_at", f"{reference}'s case closed on {_long(closed)}", show_value=True
                )
            elif spell.ends_at and local_day(spell.ends_at) > closed:
                rows[spell.row].error(
                    "ended_at",
                    f"{reference}'s case closed on {_long(closed)}: end the allocation by then, "
                    "or leave it empty for the closure to end it",
                    show_value=True,
                )
        data = self.children.get(reference)
        if data is None or not spells:
            return
        # cases.csv names the allocation the child has now: the last of its history.
        last = spells[-1]
        for name, column in (
            ("worker", "worker_email"),
            ("unit", "unit_code"),
            ("allocated_at", "allocated_at"),
        ):
            value = last.starts_at if name == "allocated_at" else getattr(last, name)
            if data[name] != value:
                where = f"row {last.row}" if last.row else "as recorded"
                self.problems.append(
                    Problem(
                        "cases.csv",
                        f"{reference}'s latest allocation in allocations.csv ({where}) has a "
                        f"different {column}: give the same one here",
                        row=data["row"],
                        column=column,
                    )
                )
                return

    def first_allocated(self, reference: str) -> datetime | None:
        spells = self.spells.get(reference)
        if spells:
            return spells[0].starts_at
        child = self.db_children.get(reference)
        if child is not None:
            starts = [a.starts_at for a in child.allocations.all()]
            return min(starts) if starts else child.allocated_at
        data = self.children.get(reference)
        return data["allocated_at"] if data else None

    def service_of(self, reference: str) -> str:
        if reference in self.children:
            return self.children[reference]["service"]
        return self.db_children[reference].service

    # risk_ratings.csv ------------------------------------------------------------------------

    def check_risk_ratings(self) -> None:
        seen: dict[tuple, int] = {}
        # (reference, scale): every rating, recorded and from the file, as (day, level, row).
        self.ratings: dict[tuple, list[tuple]] = defaultdict(list)
        for reference, child in self.db_children.items():
            for rating in child.risk_ratings.all() if self.reads_ratings else ():
                key = (reference, rating.scale)
                self.ratings[key].append((local_day(rating.set_at), rating.level, None))
        for row in self.rows("risk_ratings.csv"):
            reference = normalise_reference(row.raw("reference"))
            known = self._child_known(row, reference)
            scale = row.choice("scale", SCALE_CHOICES, required=True)
            level = row.choice(
                "level", [(v, RiskLevel(v).label) for v in RiskLevel.values], required=True
            )
            day = row.date("rated_on", required=True)
            reason = row.text("reason")
            if not (known and row.ok):
                continue
            self._check_rating(row, reference, scale, level, day)
            key = (reference, scale, day)
            if row.ok and key in seen:
                row.error(
                    "rated_on",
                    f"{reference} already has a {RiskScale(scale).label.lower()} rating on "
                    f"this day on row {seen[key]}",
                    show_value=True,
                )
            if not row.ok:
                continue
            seen[key] = row.number
            self._plan_rating(row, reference, scale, level, day, reason)
        self._check_current_levels()

    def _check_rating(self, row: _Row, reference: str, scale: str, level: str, day: date):
        service = self.service_of(reference)
        if scale not in SCALES_BY_SERVICE[service]:
            row.error(
                "scale",
                f"{reference} is in {service.replace('_', ' ')}, which does not use this scale",
                show_value=True,
            )
        elif level not in LEVELS_BY_SCALE[scale]:
            row.error(
                "level",
                "Choose one of: " + ", ".join(LEVELS_BY_SCALE[scale]),
                show_value=True,
            )
        if day > self.today:
            row.error("rated_on", "Enter a date today or in the past", show_value=True)
        first = self.first_allocated(reference)
        if first is not None and day < local_day(first):
            row.error(
                "rated_on",
                f"Enter a date on or after {reference}'s allocation, {_long(local_day(first))}",
                show_value=True,
            )
        closed = self._closed_on(reference)
        if closed and day > closed:
            row.error("rated_on", f"{reference}'s case closed on {_long(closed)}", show_value=True)

    def _plan_rating(self, row, reference, scale, level, day, reason) -> None:
        history = self.ratings[(reference, scale)]
        recorded = [lv for d, lv, number in history if d == day and number is None]
        if recorded and level in recorded:
            self.add("risk_ratings.csv", Item(row.number, UNCHANGED, {}))
            return
        if recorded:
            row.error(
                "level",
                f"{reference}'s {RiskScale(scale).label.lower()} on this day is recorded as "
                f"{RiskLevel(recorded[-1]).label.lower()}: a recorded rating is not changed by "
                "import",
                show_value=True,
            )
            return
        history.append((day, level, row.number))
        data = {
            "reference": reference,
            "scale": scale,
            "level": level,
            "day": day,
            "reason": reason or "Imported from the council's records",
        }
        self.add("risk_ratings.csv", Item(row.number, CREATE, data))

    def _check_current_levels(self) -> None:
        """A child's level now is the latest in its history: cases.csv, if it gives one, must
        say the same."""
        self.latest_levels: dict[tuple, str] = {}
        for (reference, scale), history in self.ratings.items():
            if all(number is None for _, _, number in history):
                continue
            ordered = sorted(history, key=lambda h: (h[0], h[2] is not None))
            self.latest_levels[(reference, scale)] = ordered[-1][1]
            for index, (_, _, number) in enumerate(ordered):
                if number is not None:
                    previous = ordered[index - 1][1] if index else ""
                    self.previous_levels[(reference, scale, number)] = previous
            data = self.children.get(reference)
            column = SCALE_FIELDS[scale]
            if data is None or not data[column] or data[column] == ordered[-1][1]:
                continue
            self.problems.append(
                Problem(
                    "cases.csv",
                    f"{reference}'s latest {RiskScale(scale).label.lower()} in "
                    f"risk_ratings.csv is {RiskLevel(ordered[-1][1]).label.lower()}: give the "
                    "same level here, or leave it empty",
                    row=data["row"],
                    column=column,
                )
            )
