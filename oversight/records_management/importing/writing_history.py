"""Writing a child's dated history from allocations.csv and risk_ratings.csv: its spells of
allocation, the transfers between them, and its risk levels from the day each was set."""

from __future__ import annotations

from collections import defaultdict

from casework.models import SCALE_FIELDS, Allocation, CaseNote, RiskRating, Transfer
from oversight.policy.due import day_start
from oversight.records_management.importing.outcomes import CREATE
from oversight.records_management.importing.values import local_day

IMPORTED_TRANSFER = "Transferred before this system was used (imported)"


class _HistoryWriter:
    def write_spells(self, child) -> None:
        """The child's allocations as allocations.csv and the record make them. A spell that
        starts as the one before ends is a transfer, as completing one in the product makes
        it (C5 reads its date); one after a gap is a new allocation."""
        reference = child.reference
        spells = self.check.spells.get(reference)
        if not spells or reference in self.spelled:
            return
        self.spelled.add(reference)
        previous, previous_new = None, False
        for spell in spells:
            transfer = previous is not None and previous.ends_at == spell.starts_at
            reason = Allocation.Reason.TRANSFER if transfer else Allocation.Reason.NEW
            by = self.responsible(spell.unit, spell.worker)
            new = spell.db is None
            if new:
                spell.db = Allocation.objects.create(
                    child=child,
                    worker=self.users[spell.worker],
                    unit=self.units[spell.unit],
                    service=child.service,
                    reason=reason,
                    starts_at=spell.starts_at,
                    ends_at=spell.ends_at,
                    allocated_by=by,
                )
            elif spell.db.ends_at != spell.ends_at or spell.db.reason != reason:
                spell.db.ends_at, spell.db.reason = spell.ends_at, reason
                spell.db.save(update_fields=["ends_at", "reason"])
            if transfer and (new or previous_new):
                Transfer.objects.create(
                    child=child,
                    from_worker=previous.db.worker,
                    from_unit=previous.db.unit,
                    from_service=previous.db.service,
                    to_worker=spell.db.worker,
                    to_unit=spell.db.unit,
                    to_service=spell.db.service,
                    planned_for=local_day(spell.starts_at),
                    reason=IMPORTED_TRANSFER,
                    status=Transfer.Status.COMPLETED,
                    completed_at=spell.starts_at,
                    created_by=by,
                )
            previous, previous_new = spell, new
        last = spells[-1]
        child.allocated_worker = self.users[last.worker]
        child.unit = self.units[last.unit]
        child.allocated_at = last.starts_at
        first_day = local_day(spells[0].starts_at)
        if child.service_since is None or first_day < child.service_since:
            child.service_since = first_day
        child.save(update_fields=["allocated_worker", "unit", "allocated_at", "service_since"])

    def write_allocations(self) -> None:
        """Children of allocations.csv not in cases.csv: recorded ones, given their history."""
        for reference in self.check.spells:
            self.write_spells(self.children[reference])

    def write_risk_ratings(self) -> None:
        changed = defaultdict(list)
        for item in self.items("risk_ratings.csv"):
            if item.outcome != CREATE:
                continue
            data = item.data
            child = self.children[data["reference"]]
            # From the start of its day, as the rules read it (C2), but never before the child
            # was first allocated.
            first = self.check.first_allocated(data["reference"])
            set_at = day_start(data["day"])
            if first is not None and set_at < first:
                set_at = first
            RiskRating.objects.create(
                child=child,
                scale=data["scale"],
                level=data["level"],
                previous_level=self.check.previous_levels[
                    (data["reference"], data["scale"], item.row)
                ],
                reason=data["reason"],
                set_by=self.responsible(
                    child.unit.code.lower(), child.allocated_worker.email.lower()
                ),
                set_at=set_at,
            )
            changed[data["reference"]].append(data["scale"])
        for reference, scales in changed.items():
            child = self.children[reference]
            fields = []
            for scale in set(scales):
                name = SCALE_FIELDS[scale]
                level = self.check.latest_levels[(reference, scale)]
                if getattr(child, name) != level:
                    setattr(child, name, level)
                    fields.append(name)
            if fields:
                child.save(update_fields=fields)

    def mark_spells_discussed(self) -> None:
        """C3 for spells added to a child with notes already recorded: the first discussion
        after each allocation."""
        ids = [self.children[r].pk for r in self.spelled]
        if not ids:
            return
        notes, allocations = defaultdict(list), defaultdict(list)
        for note in CaseNote.objects.filter(child_id__in=ids, status=CaseNote.Status.FINAL):
            notes[note.child_id].append(note)
        for allocation in Allocation.objects.filter(child_id__in=ids):
            allocations[allocation.child_id].append(allocation)
        for child_id in ids:
            mark_first_discussions(allocations[child_id], notes[child_id])

    def rated_by_file(self, reference: str, scale: str) -> bool:
        return (reference, scale) in self.check.latest_levels


def mark_first_discussions(allocations: list[Allocation], notes: list[CaseNote]) -> None:
    # C3: the first discussion after each allocation.
    for allocation in allocations:
        during = [
            n.discussed_at
            for n in notes
            if n.discussed_at >= allocation.starts_at
            and (allocation.ends_at is None or n.discussed_at < allocation.ends_at)
        ]
        if during and (
            allocation.first_discussed_at is None or min(during) < allocation.first_discussed_at
        ):
            allocation.first_discussed_at = min(during)
            allocation.save(update_fields=["first_discussed_at"])
