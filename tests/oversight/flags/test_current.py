"""The facts cut for the rules on a day (oversight.flags.current) give the rules' own answer:
every item, in the same order, as the whole history gives, on every day of random histories
under every shipped pack, asked in a walk's order and out of it. No database."""

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from oversight.flags.facts import PersonHistory, _AgreementSpell
from oversight.flags.spells import _StandardsAsked
from oversight.policy import due, standards
from oversight.policy.choice import pack_on
from oversight.policy.packs import Interval, shipped_packs

PACKS = shipped_packs()
START = date(2024, 1, 8)
TYPES = ("individual", "case", "group", "ad_hoc", "management")


def _day(rng, within=700):
    return START + timedelta(days=rng.randrange(within))


def _maybe(rng, day, chance=0.8, most=20):
    return day + timedelta(days=rng.randrange(most)) if rng.random() < chance else None


def history(seed: int) -> PersonHistory:
    rng = random.Random(seed)
    sessions = sorted(
        (
            due.HeldSession(
                held_on=_day(rng), session_type=rng.choice(TYPES), minutes=rng.choice((30, 60, 90))
            )
            for _ in range(rng.randrange(10, 40))
        ),
        key=lambda s: s.held_on,
    )
    records = []
    for n, session in enumerate(sessions):
        shared = _maybe(rng, session.held_on)
        finalised = _maybe(rng, shared) if shared else _maybe(rng, session.held_on, 0.1)
        signed = _maybe(rng, shared, 0.5) if shared else None
        records.append(
            due.RecordFacts(session.held_on, shared, signed, finalised, about=f"session {n}")
        )
    planned = []
    for _ in range(rng.randrange(5, 40)):
        on = _day(rng, 800)
        planned_on = on - timedelta(days=rng.randrange(200))
        cancelled = _maybe(rng, planned_on, 0.2, 100)
        planned.append(
            standards.PlannedSession(on=on, planned_on=planned_on, cancelled_on=cancelled)
        )
    teams = tuple(
        standards.TeamGroups(
            f"Team {t}",
            t,
            tuple(
                sorted(
                    (
                        (rng.choice(("team_meeting", "case_progression")), _day(rng))
                        for _ in range(12)
                    ),
                    key=lambda h: h[1],
                )
            ),
        )
        for t in range(rng.randrange(3))
    )
    relationship_start = START + timedelta(days=rng.randrange(60))
    base = due.PersonFacts(
        category=rng.choice(("practitioner", "asye", "manager", "student")),
        start_date=START,
        person=f"p{seed}@example.org",
        sessions=tuple(sessions),
        cancellations=tuple(
            due.Cancellation(cancelled_on=_day(rng), about=f"cancelled {n}")
            for n in range(rng.randrange(8))
        ),
        records=tuple(records),
        observations=tuple(sorted(_day(rng) for _ in range(rng.randrange(5)))),
        development_conversations=tuple(_day(rng) for _ in range(rng.randrange(5))),
        actions=tuple(
            due.ActionFacts(
                due_on=_day(rng), done_on=_maybe(rng, _day(rng), 0.7, 60), about=f"a {n}"
            )
            for n in range(rng.randrange(15))
        ),
        planned=tuple(planned),
        wellbeing_plans=(
            standards.WellbeingPlanFacts(START + timedelta(days=20), date(2025, 1, 1)),
        ),
        team_groups=teams,
    )
    agreements = []
    if seed % 2:
        signed = datetime.combine(relationship_start + timedelta(days=30), datetime.min.time(), UTC)
        agreements.append(
            _AgreementSpell(
                starts=signed,
                ends=None,
                facts=due.AgreementFacts(
                    starts_on=relationship_start, interval=Interval(2, "weeks")
                ),
                order=(relationship_start, 1, 1),
            )
        )
    return PersonHistory(
        profile_id=seed,
        user_id=seed,
        email=base.person,
        unit_path="0001",
        start_date=START,
        leaving_date=None,
        base=base,
        relationships=[(relationship_start, None)],
        agreements=agreements,
    )


def moments(seed: int):
    days = [START + timedelta(days=n) for n in range(-3, 760)]
    rng = random.Random(seed)
    # A walk's order, then out of order now and again (a walk from an earlier start).
    return days + rng.sample(days, 40)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("code", sorted(PACKS))
def test_the_rules_answer_the_same_from_the_facts_cut_for_the_day(seed, code):
    pack, person = PACKS[code], history(seed)
    for day in moments(seed):
        at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
        whole = person.facts_at(at)
        cut = person.rules_facts_at(pack, at)
        # person_items has standard_items among its own.
        assert due.person_items(pack, cut, at) == due.person_items(pack, whole, at), day
        standards_cut = person.standards_facts_at(pack, at)
        assert due.standard_items(pack, standards_cut, at) == due.standard_items(pack, whole, at)


def test_the_cut_leaves_out_what_the_day_cannot_read():
    """The point of the cut: late in a long history the rules read a handful of facts."""
    person, pack = history(3), PACKS["kent"]
    at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    whole, cut = person.facts_at(at), person.rules_facts_at(pack, at)
    assert len(cut.sessions) < len(whole.sessions)
    assert len(cut.planned) <= 1 < len(whole.planned)
    assert len(cut.observations) <= 1


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("code", sorted(PACKS))
def test_the_standards_asked_again_only_on_a_change_answer_as_the_rules(seed, code):
    """The generator's walk (spells.standard_flags) reuses the standards' items while nothing
    they read changes, working out only their states: the same items as asking afresh, at
    three moments of every day (states turn within a day too), through a change of pack."""
    other = PACKS[sorted(PACKS)[(sorted(PACKS).index(code) + 1) % len(PACKS)]]
    versions = [PACKS[code], replace(other, effective_from=START + timedelta(days=300))]
    person = history(seed)
    asked = _StandardsAsked(person)
    reused = 0
    for day in [START + timedelta(days=n) for n in range(-3, 760)]:
        for hour, minute in ((0, 0), (9, 0), (23, 59)):
            at = datetime.combine(day, time(hour, minute), UTC)
            fresh = due.standard_items(pack_on(day, versions), person.facts_at(at), at)
            reused += asked.last is not None and asked.last[1] == asked.read_on(day)
            assert asked.items_at(versions, at) == fresh, at
    assert reused > 1000  # most moments read nothing new
