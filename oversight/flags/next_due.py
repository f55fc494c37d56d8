"""When each person's next supervision is due (F1-F7), as the flag job keeps it.

The job stores the date on the profile (`StaffProfile.session_due_on`) each time it evaluates
the person, with the moment of their next check (`next_check_at`). The stored date holds while
that moment is in the future: a write to the person's facts empties `next_check_at` at once,
and the date can move only at a moment the job has scheduled a check for. For a person whose
check has come (marked by a write, or the job behind), the rules' own item from their history,
as the job would find it. Pages read the date here rather than trust the column themselves."""

from __future__ import annotations

from datetime import date, datetime

from oversight.flags.facts import person_histories
from oversight.policy import due as rules


def supervision_due_dates(profiles, versions, now: datetime) -> dict[int, date]:
    """{user id: the date their next supervision is due} for `profiles` (StaffProfile rows
    with next_check_at and session_due_on), without those with none: no query when the job
    is up to date, the ten of `person_histories` for all the others together."""
    found: dict[int, date] = {}
    stale = []
    for profile in profiles:
        if profile.next_check_at is None or profile.next_check_at <= now:
            stale.append(profile)
        elif profile.session_due_on is not None:
            found[profile.user_id] = profile.session_due_on
    for history in person_histories(stale) if stale else ():
        item = next(
            (i for i in history.items_at(versions, now) if i.kind == rules.SESSION_OVERDUE), None
        )
        if item is not None:
            found[history.user_id] = item.due
    return found
