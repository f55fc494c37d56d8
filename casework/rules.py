"""When a child must next be discussed, and whether the case rules were met: plain Python,
fed dates, no database.

The rules themselves live in `oversight.policy.due`, with the numbers of a policy pack; these
are the casework pages' names for them. Each takes the pack to apply, always: the caller
passes the organisation's, `oversight.policy.choice.pack_on(day)`, so a page and the flags
agree, and there is no default pack to fall back on.
"""

from datetime import date, datetime

from oversight.policy import due
from oversight.policy.packs import PolicyPack

AllocationCheck = due.AllocationCheck


def cycle_days(
    service: str, serious_harm: str = "", safety_wellbeing: str = "", *, pack: PolicyPack
) -> int:
    """Days allowed between formal case discussions of one child (C1, C2)."""
    return due.cycle_days(pack, service, serious_harm, safety_wellbeing)


def discussion_due_on(
    *,
    allocated_on: date,
    last_discussed_on: date | None,
    service: str,
    serious_harm: str = "",
    safety_wellbeing: str = "",
    pack: PolicyPack,
) -> date:
    """The day by which the child must next be discussed in formal case supervision.

    A child never discussed counts from allocation: the cycle starts when the worker takes the
    case, not from an earlier worker's discussion in another team.
    """
    return due.discussion_due_on(
        pack,
        allocated_on=allocated_on,
        last_discussed_on=last_discussed_on,
        service=service,
        serious_harm=serious_harm,
        safety_wellbeing=safety_wellbeing,
    )


def allocation_check(
    allocated_at: datetime, first_discussed_at: datetime | None, *, pack: PolicyPack
) -> AllocationCheck:
    """C3 for one allocation: whether, or by when, it is discussed."""
    return due.allocation_check(pack, allocated_at, first_discussed_at)


def transfer_supervision_window(transfer_on: date, *, pack: PolicyPack) -> tuple[date, date]:
    """The days in which to hold joint supervision before a transfer (C5), inclusive."""
    return due.transfer_supervision_window(pack, transfer_on)


def held_in_transfer_window(
    transfer_on: date, discussed_on: list[date], *, pack: PolicyPack
) -> date | None:
    """The latest discussion inside the C5 window, if there was one."""
    return due.held_in_transfer_window(pack, transfer_on, discussed_on)


def supervised_in_service(service_since: date, formal_discussions_in_service: list[date]) -> bool:
    """C4: whether the closing service held formal case supervision since the child arrived."""
    return due.supervised_in_service(service_since, formal_discussions_in_service)
