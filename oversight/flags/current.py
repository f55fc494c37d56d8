"""A member of staff's facts cut to those that can still move what the rules say on one day,
for the walks through a history (oversight.flags.sync._walk, spells.standard_flags).

The rules (oversight.policy.due, standards) read every session, record, action and planned
date a person ever had, at every moment a walk asks about: a walk over years asked at each of
hundreds of moments cost the square of the history. Each rule skips most of them on any given
day (a record shared and finalised by then, an action done, a session of a month long past
behind a later one), so the rules get only the others, found by bisection or by a sweep that
moves forward with the walk. The answer is the same by construction: only facts a rule would
skip on that day, or that another fact kept outranks (an earlier formal session behind the
last), are left out; tests/oversight/flags/test_current.py compares the two at every day.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import replace
from datetime import date, timedelta

from oversight.policy import due

_NEVER = None  # a fact in play from its first day on, for good
# The fields cut for the day; the others are read whole.
CUT = (
    "sessions",
    "cancellations",
    "records",
    "actions",
    "planned",
    "observations",
    "development_conversations",
    "team_groups",
)


class _Sweep:
    """Facts each in play from a first day (None: always) until a day it stops (None: never),
    asked about days mostly in increasing order, as a walk asks: the facts in play on a day,
    by their position in the history. With `rank`, only the fact of the greatest rank in play
    is wanted (S3: the furthest date planned), so facts in play for good outrank and drop the
    lower ones for good."""

    def __init__(self, spans, rank=None):
        self.spans = spans  # [(starts, stops)] by position
        self.rank = rank
        self.order = sorted(
            range(len(spans)), key=lambda i: (spans[i][0] is not None, spans[i][0] or date.min)
        )
        self._reset()

    def _reset(self):
        self.day, self.next, self.active = None, 0, {}
        self.best = None  # with `rank`: the highest-ranked fact in play for good

    def on(self, day: date) -> list[int]:
        if self.day is not None and day < self.day:
            self._reset()
        spans, order = self.spans, self.order
        while self.next < len(order):
            index = order[self.next]
            starts, stops = spans[index]
            if starts is not None and starts > day:
                break
            self.next += 1
            if stops is None or stops > day:
                self._add(index, stops)
        if self.day is None or day > self.day:
            gone = [i for i, stops in self.active.items() if stops is not None and stops <= day]
            for index in gone:
                del self.active[index]
        self.day = day
        if self.rank is None:
            return sorted(self.active)
        if not self.active:
            return []
        return [max(sorted(self.active), key=self.rank)]

    def _add(self, index: int, stops) -> None:
        rank = self.rank
        if rank is None:
            self.active[index] = stops
            return
        if self.best is not None and rank(index) <= rank(self.best):
            return  # outranked for good
        self.active[index] = stops
        if stops is None:
            self.best = index
            for other in [i for i in self.active if i != index and rank(i) <= rank(index)]:
                del self.active[other]


def _last_on_or_before(days: list, day: date) -> int | None:
    """Index in `days` (sorted) of the last on or before `day`."""
    found = bisect_right(days, day)
    return found - 1 if found else None


class CurrentFacts:
    """One person's facts (a PersonHistory's `base` and its facts at a moment), cut for the
    rules on one day under one pack."""

    def __init__(self, base: due.PersonFacts):
        self.base = base
        sessions = base.sessions
        self.session_order = sorted(range(len(sessions)), key=lambda i: sessions[i].held_on)
        self.session_days = [sessions[i].held_on for i in self.session_order]
        self.formal = {}  # id(pack) -> (days, positions) of the formal sessions, by day
        cancellations = base.cancellations
        self.cancel_order = sorted(
            range(len(cancellations)), key=lambda i: cancellations[i].cancelled_on
        )
        self.cancel_days = [cancellations[i].cancelled_on for i in self.cancel_order]
        self.records = _Sweep([(r.session_on, _settled_on(r)) for r in base.records])
        self.actions = _Sweep([(_NEVER, a.done_on) for a in base.actions])
        planned = base.planned
        self.planned = _Sweep(
            [(p.planned_on, p.cancelled_on) for p in planned], rank=lambda i: planned[i].on
        )
        self.observations = sorted(base.observations)
        self.conversations = sorted(base.development_conversations)
        self.team_days = [
            {
                name: sorted(day for kind, day in team.held if kind == name)
                for name in {kind for kind, _ in team.held}
            }
            for team in base.team_groups
        ]

    def _formal(self, pack):
        key = id(pack)
        if key not in self.formal:
            sessions = self.base.sessions
            positions = [
                i for i in self.session_order if pack.counts_as_formal(sessions[i].session_type)
            ]
            self.formal[key] = ([sessions[i].held_on for i in positions], positions)
        return self.formal[key]

    def on(self, facts: due.PersonFacts, pack, today: date) -> due.PersonFacts:
        """`facts` (this person's at a moment of `today`) with only what the rules can read
        on `today` under `pack`."""
        return replace(facts, **self.cut(facts, pack, today, CUT))

    def standards_on(self, facts: due.PersonFacts, pack, today: date) -> due.PersonFacts:
        """As `on`, for `due.standard_items` alone: only what the standards read is cut."""
        return replace(
            facts, **self.cut(facts, pack, today, ("sessions", "planned", "team_groups"))
        )

    def cut(self, facts: due.PersonFacts, pack, today: date, names) -> dict:
        """Of the fields `names` (of CUT), what the rules can read on `today` under `pack`;
        any field left whole gives the rules the same answer, only slower."""
        base, fields = self.base, {}
        if "sessions" in names or "cancellations" in names:
            sessions, last = self._sessions(facts, pack, today)
            fields["sessions"] = sessions
            if "cancellations" in names:
                # S4: a cancellation matters until a formal session is held on or after its day.
                cancel_from = 0 if last is None else bisect_right(self.cancel_days, last)
                cancel_to = bisect_right(self.cancel_days, today)
                fields["cancellations"] = tuple(
                    base.cancellations[i] for i in sorted(self.cancel_order[cancel_from:cancel_to])
                )
        if "records" in names:
            fields["records"] = tuple(base.records[i] for i in self.records.on(today))
        if "actions" in names:
            fields["actions"] = tuple(base.actions[i] for i in self.actions.on(today))
        if "planned" in names:
            fields["planned"] = tuple(base.planned[i] for i in self.planned.on(today))
        if "observations" in names:
            fields["observations"] = _latest(self.observations, today)
        if "development_conversations" in names:
            fields["development_conversations"] = _latest(self.conversations, today)
        if "team_groups" in names:
            fields["team_groups"] = self._team_groups(today)
        return fields

    def _team_groups(self, today: date) -> tuple:
        return tuple(
            replace(team, held=_latest_of_each(days_of, today))
            for team, days_of in zip(self.base.team_groups, self.team_days, strict=True)
        )

    def _sessions(self, facts: due.PersonFacts, pack, today: date) -> tuple[tuple, date | None]:
        """The sessions the rules read on `today`, and the day of the last formal one."""
        keep = set()
        # F1-F5, S4, A1: the last formal session held, and the first since the current
        # relationship began; F6: every session of this month and the last.
        days, positions = self._formal(pack)
        last = _last_on_or_before(days, today)
        if last is not None:
            keep.add(positions[last])
        if facts.relationship_start is not None:
            first = bisect_left(days, facts.relationship_start)
            if first < len(days) and days[first] <= today:
                keep.add(positions[first])
        last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        month_from = bisect_left(self.session_days, last_month)
        month_to = bisect_right(self.session_days, today)
        keep.update(self.session_order[month_from:month_to])
        sessions = tuple(self.base.sessions[i] for i in sorted(keep))
        return sessions, (days[last] if last is not None else None)


def _settled_on(record: due.RecordFacts) -> date | None:
    """R6-R8: the day from which a record asks nothing more (shared and finalised)."""
    if record.shared_on is None or record.finalised_on is None:
        return None
    return max(record.shared_on, record.finalised_on)


def _latest(days: list, today: date) -> tuple:
    last = _last_on_or_before(days, today)
    return () if last is None else (days[last],)


def _latest_of_each(days_of: dict, today: date) -> tuple:
    held = []
    for name, days in sorted(days_of.items()):
        last = _last_on_or_before(days, today)
        if last is not None:
            held.append((name, days[last]))
    return tuple(held)
