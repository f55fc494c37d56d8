"""Reminders before things fall due: which of a person's due items people are told of now.

Pure functions of a pack, due items (`due.person_items`) and a moment; no database, no clock.

An item comes into its reminder at the start of the day that is the pack's number of working
days before its due day (`reminder_working_days`, by kind; weekends and bank holidays in
England skipped, as for every working-day rule), and stays in it until it is done (it is then
no longer among the items) or overdue (from the start of the day after its due day). A
setting of 0 sends no reminder of that kind. Whether a reminder was already sent is the
caller's to know: these functions only say which items are in their reminder now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from oversight.policy import due
from oversight.policy.packs import REMINDER_KINDS, PolicyPack
from supervision.organisation.working_days import subtract_working_days

SESSION, RECORD, SIGNOFF = REMINDER_KINDS

# The due items people are reminded of, by the kind of reminder.
REMINDED = {
    due.SESSION_OVERDUE: SESSION,
    due.RECORD_OVERDUE: RECORD,
    due.SIGNOFF_OVERDUE: SIGNOFF,
}


@dataclass(frozen=True)
class DueReminder:
    kind: str  # one of REMINDER_KINDS
    due: date
    about: str  # which one: DueItem.about (a record's session), empty for the next session
    reminded_from: date  # the first day of the reminder
    detail: str = ""


def reminder_from(pack: PolicyPack, kind: str, due_on: date) -> date | None:
    """The first day people are told of an item of this kind due on `due_on`, or None when
    the pack sends no reminder of this kind."""
    days = pack.reminder_working_days[kind]
    if days == 0:
        return None
    return subtract_working_days(due_on, days)


def reminders_due(pack: PolicyPack, items: Iterable[due.DueItem], at: datetime) -> list:
    """The items in their reminder at moment `at`, soonest due first. `items` are one
    person's due items at `at` (done items are not among them); kinds with no reminder, and
    items due at a moment rather than on a day, are passed over."""
    today = due.local_date(at)
    found = []
    for item in items:
        kind = REMINDED.get(item.kind)
        if kind is None or isinstance(item.due, datetime):
            continue
        starts = reminder_from(pack, kind, item.due)
        if starts is not None and starts <= today <= item.due:
            found.append(
                DueReminder(
                    kind=kind,
                    due=item.due,
                    about=item.about,
                    reminded_from=starts,
                    detail=item.detail,
                )
            )
    return sorted(found, key=lambda r: (r.due, REMINDER_KINDS.index(r.kind), r.about))
