"""The flags the job would hold for the standards' items (oversight.policy.standards), walked
from a batch of people's histories in one pass, for the synthetic organisation
(demo/synthetic.py): it copies the other rules in its own generator, fast, and takes these
from the rules themselves rather than copy a fifth set. The flags are as `sync` makes them when
it first evaluates a history from `start` (a spell held at `start` is dated from its due date).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from oversight.flags.asked import StandardsReads
from oversight.flags.sync import _flag_from, _turns_overdue, _walk
from oversight.models import Flag
from oversight.policy import due
from oversight.policy.choice import pack_on


class _StandardsAsked:
    """`due.standard_items` for one person through a walk, asked again only when something
    the standards read has changed since the moment asked before.

    The standards read, on a day: the pack, the month (F6), whether the person has started,
    the relationship in force, and of the sessions, planned dates (and their cancellations),
    wellbeing plans and team group sessions only those dated on or before the day. Each of
    those sets only grows with the day, so its size names it. Between two moments with the
    same of all these, the items are the same, due dates, details and order, and only their
    states move with the clock: those are worked out again (`due.state_of`). A walk over ten
    years asks at every fact of a person's (records, actions, cancellations...), most of
    which the standards never read."""

    def __init__(self, history):
        self.history = history
        self.read_on = StandardsReads(history).on
        self.last = None  # (pack, what the standards read, their items)

    def events(self) -> list[datetime]:
        """The history's moments at which what the standards read changes: of a run of
        moments reading the same (and the person on the staff or not alike), only the first.
        Asked at a later one, the rules would give the items already asked for, whose states
        move only at their own due dates, which the walk asks at anyway, as it does at each
        pack version: the timeline is the one walked over every moment, in a fraction of the
        asks (most of a person's facts, records and actions, the standards never read)."""
        history, kept, before = self.history, [], None
        for moment in history.events():
            read = (self.read_on(due.local_date(moment)), history.on_staff(moment))
            if read != before:
                kept.append(moment)
                before = read
        return kept

    def items_at(self, versions, at: datetime) -> list[due.DueItem]:
        history = self.history
        if not history.on_staff(at):
            return []
        day = due.local_date(at)
        pack = pack_on(day, versions)
        read = self.read_on(day)
        if self.last is not None and self.last[0] is pack and self.last[1] == read:
            soon = pack.due_soon_days
            items = []
            for item in self.last[2]:
                state = due.state_of(item.due, at, soon)
                items.append(item if item.state == state else replace(item, state=state))
        else:
            items = due.standard_items(pack, history.standards_facts_at(pack, at), at)
        self.last = (pack, read, items)
        return items


def standard_flags(histories, versions, start: datetime, now: datetime) -> list[Flag]:
    flags = []
    for history in histories:
        asked = _StandardsAsked(history)
        timeline = _walk(asked, versions, start, now, items_at=asked.items_at)
        spells = list(timeline.ended_spells())
        if timeline.keys:
            spells += [(key, timeline.last_began(key), None) for key in timeline.keys[-1]]
        for key, began, ended in spells:
            item = timeline.items[key]
            flag = _flag_from(item, now, history.flag_subject(began))
            if began > timeline.moments[0] and began > _turns_overdue(item.due):
                flag.overdue_since = began  # not overdue when its due date passed
            flag.raised_at = flag.overdue_since
            flag.resolved_at = flag.noticed_resolved_at = ended
            flags.append(flag)
    return flags
