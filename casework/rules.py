"""When a child must next be discussed, and whether the case rules were met: plain Python,
fed dates, no database. Policy packs (issue 7) will supply the numbers; these are the
defaults the seed policies give.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

CASE_CYCLE_DAYS = 90  # C1
# C2: youth justice cycle by the higher of the serious-harm and safety-and-wellbeing levels.
YOUTH_JUSTICE_CYCLE_DAYS = {"very_high": 30, "high": 30, "medium": 60, "low": 90}
GROUP_CYCLE_DAYS = 31  # C6: each family monthly in family-safeguarding group supervision
NEW_ALLOCATION_HOURS = 24  # C3
# C5: joint supervision ideally 2 to 4 weeks before the transfer.
TRANSFER_SUPERVISION_EARLIEST = timedelta(weeks=4)
TRANSFER_SUPERVISION_LATEST = timedelta(weeks=2)
LEVEL_ORDER = ["low", "medium", "high", "very_high"]


def cycle_days(service: str, serious_harm: str = "", safety_wellbeing: str = "") -> int:
    """Days allowed between formal case discussions of one child (C1, C2)."""
    if service != "youth_justice":
        return CASE_CYCLE_DAYS
    levels = [level for level in (serious_harm, safety_wellbeing) if level in LEVEL_ORDER]
    if not levels:
        # Unassessed youth justice risk is treated as high until someone rates it.
        return YOUTH_JUSTICE_CYCLE_DAYS["high"]
    highest = max(levels, key=LEVEL_ORDER.index)
    return YOUTH_JUSTICE_CYCLE_DAYS[highest]


def discussion_due_on(
    *,
    allocated_on: date,
    last_discussed_on: date | None,
    service: str,
    serious_harm: str = "",
    safety_wellbeing: str = "",
) -> date:
    """The day by which the child must next be discussed in formal case supervision.

    A child never discussed counts from allocation: the cycle starts when the worker takes the
    case, not from an earlier worker's discussion in another team.
    """
    since = max(d for d in (allocated_on, last_discussed_on) if d is not None)
    return since + timedelta(days=cycle_days(service, serious_harm, safety_wellbeing))


@dataclass(frozen=True)
class AllocationCheck:
    """C3 for one allocation: whether, or by when, it is discussed."""

    due_by: datetime
    discussed_at: datetime | None

    @property
    def discussed_in_time(self) -> bool:
        return self.discussed_at is not None and self.discussed_at <= self.due_by

    def overdue(self, now: datetime) -> bool:
        return not self.discussed_in_time and (self.discussed_at or now) > self.due_by


def allocation_check(
    allocated_at: datetime, first_discussed_at: datetime | None
) -> AllocationCheck:
    return AllocationCheck(
        due_by=allocated_at + timedelta(hours=NEW_ALLOCATION_HOURS),
        discussed_at=first_discussed_at,
    )


def transfer_supervision_window(transfer_on: date) -> tuple[date, date]:
    """The days in which to hold joint supervision before a transfer (C5), inclusive."""
    return (
        transfer_on - TRANSFER_SUPERVISION_EARLIEST,
        transfer_on - TRANSFER_SUPERVISION_LATEST,
    )


def held_in_transfer_window(transfer_on: date, discussed_on: list[date]) -> date | None:
    """The latest discussion inside the C5 window, if there was one."""
    earliest, latest = transfer_supervision_window(transfer_on)
    inside = [d for d in discussed_on if earliest <= d <= latest]
    return max(inside) if inside else None


def supervised_in_service(service_since: date, formal_discussions_in_service: list[date]) -> bool:
    """C4: whether the closing service held formal case supervision since the child arrived."""
    return any(d >= service_since for d in formal_discussions_in_service)
