"""`due.person_items` for one member of staff through the flag job's walks, each family of
rules (`due.PERSON_RULES`) asked again only when something it reads has changed.

A walk asks at every moment a fact took effect; each of those moments changes what one family
or two read (a record shared moves only the records' items), and a walk over months asked every
rule at each. A family's items are a function of the pack, the person's facts in force at the
moment (their relationship and agreement: `facts_at`, one object per state) and, of the dated
facts, only whether each is on or before the day. Those last only grow with the day, so the
number of a family's dates on or before it names them. Between two moments where all three are
the same for a family, its items are the same, due dates, details and order, and only their
states move with the clock: worked out again (`due.state_of`). The answer is the same list as
asking `person_items` afresh (tests/oversight/flags/test_asked.py, at three moments of every
day of random histories under every shipped pack).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace
from datetime import date, datetime, timedelta

from oversight.policy import due
from oversight.policy.choice import pack_on


def _days(days) -> list[date]:
    return sorted(day for day in days if day is not None)


def _with(facts: due.PersonFacts, fields: dict) -> due.PersonFacts:
    """`dataclasses.replace(facts, **fields)` without running the initialiser of two dozen
    frozen fields again, at every moment a walk asks about (PersonFacts checks nothing)."""
    copy = object.__new__(due.PersonFacts)
    copy.__dict__.update(facts.__dict__)
    copy.__dict__.update(fields)
    return copy


class StandardsReads:
    """What the standards (F6, S3, Q5, C6) read on a day, beside the pack and the facts in
    force: the month (F6), whether the person has started, the relationship in force, and of
    the sessions, planned dates (and their cancellations), wellbeing plans and team group
    sessions, how many are dated on or before the day."""

    def __init__(self, history):
        base = history.base
        self.history = history
        self.sessions = _days(s.held_on for s in base.sessions)
        self.planned = _days(p.planned_on for p in base.planned)
        self.called_off = _days(p.cancelled_on for p in base.planned)
        self.plans = _days(p.agreed_on for p in base.wellbeing_plans)
        self.team_held = _days(day for team in base.team_groups for _, day in team.held)

    def on(self, day: date) -> tuple:
        history = self.history
        return (
            day.replace(day=1),
            history.base.start_date <= day,
            history.relationship_start_on(day),
            bisect_right(self.sessions, day),
            bisect_right(self.planned, day),
            bisect_right(self.called_off, day),
            bisect_right(self.plans, day),
            bisect_right(self.team_held, day),
        )


# The fields of a person's facts each family reads that are cut for the day
# (CurrentFacts.cut); what a family reads that is not cut it reads whole.
READ_CUT = {
    "sessions": ("sessions",),
    "records": ("records",),
    "agreement": ("sessions",),
    "cancellations": ("sessions", "cancellations"),
    "cover": (),
    "actions": ("actions",),
    "development": ("observations", "development_conversations"),
    "support_time": ("sessions",),
    "planned_ahead": ("planned",),
    "wellbeing_plan": (),
    "group_supervision": ("team_groups",),
}


class RulesAsked:
    """A person's items at moments of walks (`items_at`), as `due.person_items` gives them
    from the facts cut for the day (PersonHistory.rules_facts_at)."""

    def __init__(self, history):
        base = history.base
        self.history = history
        self.records = _days(
            day
            for r in base.records
            for day in (r.session_on, r.shared_on, r.supervisee_signed_on, r.finalised_on)
        )
        self.cancelled = _days(c.cancelled_on for c in base.cancellations)
        self.absences = _days(
            day
            for a in base.absences
            for day in (
                a.starts_on,
                a.cover_from,
                a.ends_on + timedelta(days=1) if a.ends_on is not None else None,
            )
        )
        self.done = _days(a.done_on for a in base.actions)
        self.development = _days(
            [
                *base.observations,
                *base.development_conversations,
                *(r.held_on for r in base.probation_reviews),
            ]
        )
        self.standards = standards = StandardsReads(history)
        self.formal = {}  # id(pack) -> the days of the sessions the pack counts as formal
        # What each family reads on a day under a pack and the facts in force, beside those
        # facts themselves. Keyed by
        # the families' names: a family added to the rules must say what it reads here.
        self.reads = {
            # F1-F5: formal sessions held; the agreement's interval from its first day.
            "sessions": self._formal_and_agreement,
            # R6-R8: each record's session, sharing, signature and finalising.
            "records": lambda pack, day, facts: bisect_right(self.records, day),
            # A1, A2: the agreement from its first day; a first formal session (A1).
            "agreement": self._formal_and_agreement,
            # S4: cancellations, and the formal sessions held since.
            "cancellations": lambda pack, day, facts: (
                bisect_right(self.cancelled, day),
                self._formal_held(pack, day),
            ),
            # S5: each absence's start, cover and return.
            "cover": lambda pack, day, facts: bisect_right(self.absences, day),
            # R4: actions done.
            "actions": lambda pack, day, facts: bisect_right(self.done, day),
            # Q1-Q3: observations, development conversations, probation reviews held.
            "development": lambda pack, day, facts: bisect_right(self.development, day),
            # F6: the month, and the sessions held in it and the month before.
            "support_time": lambda pack, day, facts: (
                day.month,
                day.year,
                bisect_right(standards.sessions, day),
            ),
            # S3: dates planned, and their cancellations.
            "planned_ahead": lambda pack, day, facts: (
                bisect_right(standards.planned, day),
                bisect_right(standards.called_off, day),
            ),
            # Q5: wellbeing plans agreed.
            "wellbeing_plan": lambda pack, day, facts: bisect_right(standards.plans, day),
            # C6: the group sessions held by the teams the person manages.
            "group_supervision": lambda pack, day, facts: bisect_right(standards.team_held, day),
        }
        self.families = [(name, family, self.reads[name]) for name, family in due.PERSON_RULES]
        # family -> (pack, facts in force, what it read, its items, their copies by state)
        self.last = {}
        # kind -> the family that last gave an item of it (`family_items_at`)
        self.family_of = {}

    def _formal_held(self, pack, day: date) -> int:
        key = id(pack)
        if key not in self.formal:
            self.formal[key] = _days(
                s.held_on
                for s in self.history.base.sessions
                if pack.counts_as_formal(s.session_type)
            )
        return bisect_right(self.formal[key], day)

    def _formal_and_agreement(self, pack, day: date, facts: due.PersonFacts) -> tuple:
        agreement = facts.agreement
        return (
            self._formal_held(pack, day),
            agreement is not None and agreement.starts_on <= day,
        )

    def items_at(self, versions, at: datetime) -> list[due.DueItem]:
        history = self.history
        if not history.on_staff(at):
            return []
        day = due.local_date(at)
        if history.base.start_date > day:
            return []
        pack = pack_on(day, versions)
        facts = history.facts_at(at)
        soon = pack.due_soon_days
        items, last, again = [], self.last, []
        for name, family, reads in self.families:
            read = reads(pack, day, facts)
            kept = last.get(name)
            if kept is not None and kept[0] is pack and kept[1] is facts and kept[2] == read:
                states = kept[4]
                for index, item in enumerate(kept[3]):
                    state = due.state_of(item.due, at, soon)
                    if item.state != state:
                        # An item's state moves at most twice: each copy made once.
                        if (index, state) not in states:
                            states[index, state] = replace(item, state=state)
                        item = states[index, state]
                    items.append(item)
            else:
                again.append((name, family, read))
        if again:
            # Only the facts the families asked again read are cut for the day.
            wanted = {field for name, _, _ in again for field in READ_CUT[name]}
            cut = _with(facts, history.current().cut(facts, pack, day, wanted))
            for name, family, read in again:
                fresh = family(pack, cut, at)
                last[name] = (pack, facts, read, fresh, {})
                for item in fresh:
                    self.family_of[item.kind] = name
                items += fresh
        return due.in_order(items)

    def family_items_at(self, versions, at: datetime, kind: str) -> list[due.DueItem] | None:
        """The items at `at` of the one family that last gave an item of `kind` (None: none
        has yet): those `items_at(at)` holds from that family, as it would give them. Enough
        to find that an item was overdue then, at the cost of one family, not eleven; an item
        not found there may yet come from another family, so only a find is an answer."""
        name = self.family_of.get(kind)
        history = self.history
        if name is None or not history.on_staff(at):
            return None
        day = due.local_date(at)
        if history.base.start_date > day:
            return None
        pack = pack_on(day, versions)
        facts = history.facts_at(at)
        family, reads = next((f, r) for n, f, r in self.families if n == name)
        read = reads(pack, day, facts)
        kept = self.last.get(name)
        if kept is not None and kept[0] is pack and kept[1] is facts and kept[2] == read:
            soon = pack.due_soon_days
            return [replace(i, state=due.state_of(i.due, at, soon)) for i in kept[3]]
        # What the family reads cut for the day, and no more: it reads no other cut field.
        cut = _with(facts, history.current().cut(facts, pack, day, set(READ_CUT[name])))
        fresh = family(pack, cut, at)
        self.last[name] = (pack, facts, read, fresh, {})
        return fresh
