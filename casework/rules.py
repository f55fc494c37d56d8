"""When a child must next be discussed, and whether the case rules were met: plain Python,
fed dates, no database.

The rules themselves live in `oversight.policy.due`, with the numbers of a policy pack (issue 7);
these are the casework pages' names for them. Each takes the pack to apply. Left out, it is
the shipped Kent pack (seed 004), whose numbers these pages were built on: 90 days (C1), youth
justice by risk, unrated as high (C2), 24 hours (C3), 2 to 4 weeks before a transfer (C5). A
caller that knows the organisation's pack passes `oversight.policy.choice.pack_on(day)`, so the page
and the flags agree.
"""

from datetime import date, datetime
from functools import lru_cache

from oversight.policy import due
from oversight.policy.packs import PolicyPack, shipped_packs

AllocationCheck = due.AllocationCheck


@lru_cache(maxsize=1)
def default_pack() -> PolicyPack:
    return shipped_packs()["kent"]


def cycle_days(
    service: str, serious_harm: str = "", safety_wellbeing: str = "", *, pack=None
) -> int:
    """Days allowed between formal case discussions of one child (C1, C2)."""
    return due.cycle_days(pack or default_pack(), service, serious_harm, safety_wellbeing)


def discussion_due_on(
    *,
    allocated_on: date,
    last_discussed_on: date | None,
    service: str,
    serious_harm: str = "",
    safety_wellbeing: str = "",
    pack=None,
) -> date:
    """The day by which the child must next be discussed in formal case supervision.

    A child never discussed counts from allocation: the cycle starts when the worker takes the
    case, not from an earlier worker's discussion in another team.
    """
    return due.discussion_due_on(
        pack or default_pack(),
        allocated_on=allocated_on,
        last_discussed_on=last_discussed_on,
        service=service,
        serious_harm=serious_harm,
        safety_wellbeing=safety_wellbeing,
    )


def allocation_check(
    allocated_at: datetime, first_discussed_at: datetime | None, *, pack=None
) -> AllocationCheck:
    """C3 for one allocation: whether, or by when, it is discussed."""
    return due.allocation_check(pack or default_pack(), allocated_at, first_discussed_at)


def transfer_supervision_window(transfer_on: date, *, pack=None) -> tuple[date, date]:
    """The days in which to hold joint supervision before a transfer (C5), inclusive."""
    return due.transfer_supervision_window(pack or default_pack(), transfer_on)


def held_in_transfer_window(
    transfer_on: date, discussed_on: list[date], *, pack=None
) -> date | None:
    """The latest discussion inside the C5 window, if there was one."""
    return due.held_in_transfer_window(pack or default_pack(), transfer_on, discussed_on)


def supervised_in_service(service_since: date, formal_discussions_in_service: list[date]) -> bool:
    """C4: whether the closing service held formal case supervision since the child arrived."""
    return due.supervised_in_service(service_since, formal_discussions_in_service)
