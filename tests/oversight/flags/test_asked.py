"""The flag job's walks ask each family of a person's rules again only when what it reads has
changed (oversight.flags.asked): the same items as asking all the rules afresh, at three
moments of every day of random histories with supervisor changes (and gaps between them),
agreements superseded, absences with and without cover, leavers and a change of pack; and so
the same flags from the job, raised, resolved and recorded, dated the same. No database."""

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from oversight.flags import sync
from oversight.flags.asked import RulesAsked
from oversight.flags.facts import PersonHistory, _AgreementSpell
from oversight.policy import due
from oversight.policy.choice import pack_on
from oversight.policy.packs import Interval, shipped_packs
from tests.oversight.flags.test_current import START, _day, _maybe
from tests.oversight.flags.test_current import history as plain_history

PACKS = shipped_packs()
DAYS = [START + timedelta(days=n) for n in range(-3, 800)]


def _moment(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


def eventful_history(seed: int) -> PersonHistory:
    """test_current's random person, with more of what moves their rules: two or three
    supervisors (a gap between some), agreements coming into force, superseded and reviewed,
    the supervisor away (covered or not), probation reviews, and for some seeds a leaving
    date or a student's or newly qualified worker's phases."""
    rng = random.Random(seed * 7919)
    person = plain_history(seed)
    relationships, starts = [], START + timedelta(days=rng.randrange(30))
    for _ in range(rng.randrange(2, 4)):
        ends = starts + timedelta(days=rng.randrange(60, 300))
        relationships.append((starts, ends))
        starts = ends + timedelta(days=rng.choice((0, 1, 1, 20)))
    relationships[-1] = (relationships[-1][0], None)
    agreements = []
    for n, (starts_on, _) in enumerate(relationships):
        if rng.random() < 0.8:
            signed = _moment(starts_on + timedelta(days=rng.randrange(45)), 14, 30)
            agreements.append(
                _AgreementSpell(
                    starts=signed,
                    ends=None,
                    facts=due.AgreementFacts(
                        starts_on=starts_on + timedelta(days=rng.randrange(10)),
                        in_force=rng.random() < 0.9,
                        interval=rng.choice((Interval(2, "weeks"), Interval(2, "months"), None)),
                        review_due_on=_maybe(rng, starts_on + timedelta(days=90), 0.3, 60),
                    ),
                    order=(starts_on, n, 1),
                )
            )
    for earlier, later in zip(agreements, agreements[1:], strict=False):
        earlier.ends = later.starts  # superseded
    absences = []
    for _ in range(rng.randrange(4)):
        starts_on = _day(rng)
        absences.append(
            due.Absence(
                starts_on=starts_on,
                ends_on=_maybe(rng, starts_on + timedelta(days=rng.choice((5, 30))), 0.8, 40),
                cover_from=_maybe(rng, starts_on + timedelta(days=10), 0.5, 20),
            )
        )
    category = rng.choice(("practitioner", "asye", "manager", "student"))
    base = replace(
        person.base,
        category=category,
        asye_start=START + timedelta(days=10) if category == "asye" else None,
        student=category == "student",
        phase_agreed_on=START + timedelta(days=150) if category == "student" else None,
        absences=tuple(absences),
        probation_end=START + timedelta(days=180),
        probation_reviews=tuple(
            due.ProbationReviewHeld(month, START + timedelta(days=30 * month + rng.randrange(20)))
            for month in (1, 4)
            if rng.random() < 0.7
        ),
    )
    leaving = START + timedelta(days=rng.randrange(400, 700)) if seed % 3 == 0 else None
    return _new(
        person,
        base=base,
        leaving_date=leaving,
        relationships=relationships,
        agreements=agreements,
    )


def _new(person: PersonHistory, cls=PersonHistory, **changes) -> PersonHistory:
    """`person` with `changes`, as the job reads it: nothing yet asked or remembered."""
    fields = {
        name: getattr(person, name)
        for name in PersonHistory.__dataclass_fields__
        if not name.startswith("_")
    }
    return cls(**(fields | changes))


class _AskedAfresh(PersonHistory):
    """Every rule asked afresh at every moment, as the job asked before."""

    def _items_at(self, versions, at):
        if not self.on_staff(at):
            return []
        pack = pack_on(due.local_date(at), versions)
        return due.person_items(pack, self.rules_facts_at(pack, at), at)


def afresh(person: PersonHistory) -> _AskedAfresh:
    return _new(person, _AskedAfresh)


def versions_for(code: str) -> list:
    """The pack, then the next shipped one from day 300 (its own numbers and rules)."""
    codes = sorted(PACKS)
    other = PACKS[codes[(codes.index(code) + 1) % len(codes)]]
    return [PACKS[code], replace(other, effective_from=START + timedelta(days=300))]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("code", sorted(PACKS))
def test_the_families_asked_again_only_on_a_change_answer_as_all_the_rules(seed, code):
    versions, person = versions_for(code), eventful_history(seed)
    asked, fresh = RulesAsked(person), afresh(person)
    reused = 0
    moments = [_moment(day, h, m) for day in DAYS for h, m in ((0, 0), (9, 0), (23, 59))]
    # A walk's order, then back to earlier moments now and again (a walk from further back).
    moments += random.Random(seed).sample(moments, 60)
    for at in moments:
        before = dict(asked.last)
        items = asked.items_at(versions, at)
        reused += sum(before.get(name) is kept for name, kept in asked.last.items())
        assert items == fresh._items_at(versions, at), at
        if person.on_staff(at) and due.local_date(at) >= person.start_date:
            whole = due.person_items(pack_on(due.local_date(at), versions), person.facts_at(at), at)
            assert items == whole, at
    assert reused > 5 * len(moments)  # most families, at most moments, read nothing new


def _judged(history, open_flags, now, marked, monkeypatch):
    monkeypatch.setattr(sync, "_earlier_flags", lambda looks, marked: {})
    outcome = sync._judge([history], open_flags, versions_for("kent"), now, marked)
    return {
        "raised": sorted((sync._flag_key(f), f.overdue_since, f.detail) for f in outcome.raised),
        "resolved": sorted((sync._flag_key(f), f.resolved_at) for f in outcome.resolved),
        "recorded": sorted(
            (sync._flag_key(f), f.overdue_since, f.resolved_at, f.detail) for f in outcome.recorded
        ),
        "next_check": outcome.next_check,
        "session_due": outcome.session_due,
    }


@pytest.mark.parametrize("seed", range(8))
def test_the_job_raises_resolves_and_records_the_same_flags(seed, monkeypatch):
    """A first evaluation (the person marked: walked back, spells recorded, each new flag dated
    from when its spell began), then a later look resolving some of its flags and raising
    others: the same flags, the same dates, as asking every rule afresh."""
    person = eventful_history(seed)
    first, later = _moment(START + timedelta(days=380), 12), _moment(START + timedelta(days=520), 9)
    found = {}
    for name, history in (("asked", person), ("afresh", afresh(person))):
        judged = _judged(history, {}, first, {history.profile_id}, monkeypatch)
        held = [
            sync._flag_from(item, first, history.flag_subject(first))
            for item in history.items_at(versions_for("kent"), first)
            if item.state == due.OVERDUE
        ]
        again = _judged(history, {history.user_id: held}, later, set(), monkeypatch)
        marked_again = _judged(
            history, {history.user_id: held}, later, {history.profile_id}, monkeypatch
        )
        found[name] = (judged, again, marked_again)
    assert found["asked"] == found["afresh"]
    judged, again, _ = found["asked"]
    assert judged["raised"] and judged["recorded"]  # there was something to date
    assert again["resolved"]


def test_a_spell_that_begins_and_ends_is_dated_the_same_across_a_supervisor_change(monkeypatch):
    """A table of dates: S3 (dates planned ahead) for someone whose supervisor changes with a
    gap, so the item stops (no relationship), begins again with the new supervisor, and is
    answered by dates planned late; and an absence without cover meanwhile."""
    person = plain_history(0)
    planned = (
        due.standards.PlannedSession(on=date(2024, 9, 2), planned_on=date(2024, 3, 1)),
        due.standards.PlannedSession(on=date(2025, 2, 3), planned_on=date(2024, 8, 12)),
        due.standards.PlannedSession(
            on=date(2025, 6, 2), planned_on=date(2024, 9, 1), cancelled_on=date(2024, 10, 7)
        ),
        due.standards.PlannedSession(on=date(2025, 9, 1), planned_on=date(2025, 3, 17)),
    )
    base = replace(
        person.base,
        planned=planned,
        absences=(due.Absence(date(2024, 11, 4), date(2024, 12, 20), None),),
    )
    person = _new(
        person,
        base=base,
        relationships=[(date(2024, 1, 15), date(2024, 10, 31)), (date(2024, 11, 20), None)],
        agreements=[],
    )
    now = _moment(date(2025, 4, 1), 12)
    asked = _judged(person, {}, now, {person.profile_id}, monkeypatch)
    fresh = _judged(afresh(person), {}, now, {person.profile_id}, monkeypatch)
    assert asked == fresh
    spells = [
        r for r in asked["recorded"] + asked["raised"] if r[0][0] == "sessions_not_planned_ahead"
    ]
    assert spells  # the rule S3 was walked through


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("code", sorted(PACKS))
def test_whether_an_item_was_overdue_is_answered_as_by_all_the_rules(seed, code):
    """`_spell_began` asks whether an item was overdue when its due date passed: a person's
    history asks the one family that gives the item's kind first (PersonHistory.overdue_at,
    RulesAsked.family_items_at). Asked of every item seen, overdue or not, at moments out of
    order (earlier than the last, as those questions come), after a walk and before one: the
    same answer as all the rules asked afresh, and the family's items are all the rules'."""
    versions, person = versions_for(code), eventful_history(seed)
    fresh = afresh(person)
    rng = random.Random(seed)
    moments = [_moment(day, h) for day in DAYS[::7] for h in (0, 13)]
    keys = set()
    for at in moments:
        keys.update(sync._item_key(i) for i in fresh._items_at(versions, at))
    keys = sorted(keys, key=repr)
    checked = found = 0
    for at in rng.sample(moments, 40) + moments[-5:]:
        if rng.random() < 0.5:
            person.items_at(versions, rng.choice(moments))  # the families' state moved on
        whole = fresh._items_at(versions, at)
        overdue = sync._overdue_keys(whole)
        for key in rng.sample(keys, min(12, len(keys))):
            if person._asked is not None:
                some = person._asked.family_items_at(versions, at, key[0])
                assert some is None or all(item in whole for item in some), at
                found += some is not None and key in sync._overdue_keys(some)
            assert person.overdue_at(versions, at, key, sync._overdue_keys) == (key in overdue)
            checked += 1
    assert checked > 200 and found > 10  # the family answered, and often
