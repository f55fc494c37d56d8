"""Reminders before things fall due (`oversight.policy.reminders`): which items are in their
reminder at a moment, under each shipped pack, with dates around every boundary. No database.
"""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from oversight.policy import due
from oversight.policy.packs import shipped_packs
from oversight.policy.reminders import reminder_from, reminders_due

SHIPPED = shipped_packs()
LONDON = due.LONDON
KIND_OF = {
    "session": due.SESSION_OVERDUE,
    "record": due.RECORD_OVERDUE,
    "signoff": due.SIGNOFF_OVERDUE,
}


def item(kind: str, due_on, about: str = "") -> due.DueItem:
    return due.DueItem(
        kind=KIND_OF.get(kind, kind),
        due=due_on,
        state=due.NOT_YET_DUE,
        subject="person",
        reference="sam@example.org",
        detail="",
        about=about,
    )


def london(day: date, at: time = time(7, 0)) -> datetime:
    return datetime.combine(day, at, tzinfo=LONDON)


def reminded(pack, kind, due_on, moment) -> bool:
    found = reminders_due(pack, [item(kind, due_on)], moment)
    assert len(found) <= 1
    return bool(found)


# (kind, due day, first day of the reminder) under a pack of 3 working days for sessions and 1
# for write-ups and sign-offs: every shipped pack today.
FIRST_DAYS = [
    # Exactly 3 working days before a Wednesday: the Friday before, over the weekend.
    ("session", date(2026, 12, 9), date(2026, 12, 4)),
    # Due on a Monday, 1 working day: the Friday.
    ("record", date(2026, 12, 7), date(2026, 12, 4)),
    # Due on a Sunday: counted back from it, the weekend not counted.
    ("session", date(2026, 12, 13), date(2026, 12, 9)),
    ("signoff", date(2026, 12, 13), date(2026, 12, 11)),
    # Christmas 2026: Friday 25 December and Monday 28 December (Boxing Day observed) skipped.
    ("session", date(2026, 12, 29), date(2026, 12, 22)),
    ("record", date(2026, 12, 29), date(2026, 12, 24)),
    ("signoff", date(2026, 12, 30), date(2026, 12, 29)),
    # Due on the bank holiday itself.
    ("record", date(2026, 12, 28), date(2026, 12, 24)),
    # Easter 2027: Good Friday 26 March and Easter Monday 29 March skipped.
    ("signoff", date(2027, 3, 30), date(2027, 3, 25)),
    ("session", date(2027, 3, 30), date(2027, 3, 23)),
    ("record", date(2027, 3, 29), date(2027, 3, 25)),
    # New Year's Day 2027 is a Friday.
    ("session", date(2027, 1, 5), date(2026, 12, 30)),
]


@pytest.mark.parametrize("code", sorted(SHIPPED))
@pytest.mark.parametrize(("kind", "due_on", "first"), FIRST_DAYS)
def test_an_item_comes_into_its_reminder_on_the_first_day_and_not_before(code, kind, due_on, first):
    pack = SHIPPED[code]
    assert reminder_from(pack, kind, due_on) == first
    starts = london(first, time(0))
    assert not reminded(pack, kind, due_on, starts - timedelta(microseconds=1))
    assert reminded(pack, kind, due_on, starts)
    assert reminded(pack, kind, due_on, london(due_on, time(23, 59)))
    # Overdue from the start of the day after: no reminder then.
    assert not reminded(pack, kind, due_on, due.overdue_from(due_on))


@pytest.mark.parametrize("code", sorted(SHIPPED))
def test_a_session_due_wednesday_9_december_2026_is_reminded_from_friday_4_december(code):
    pack = SHIPPED[code]
    due_on = date(2026, 12, 9)
    days = {
        date(2026, 12, 3): False,  # Thursday: 4 working days before
        date(2026, 12, 4): True,  # Friday: 3
        date(2026, 12, 5): True,  # the weekend
        date(2026, 12, 7): True,
        date(2026, 12, 9): True,  # the due day
        date(2026, 12, 10): False,  # overdue
    }
    assert {day: reminded(pack, "session", due_on, london(day)) for day in days} == days


def test_london_days_not_utc_days_in_summer_time():
    # Due Wednesday 8 July 2026: the reminder starts at midnight British Summer Time on
    # Friday 3 July, an hour before midnight UTC.
    pack = SHIPPED["kent"]
    due_on = date(2026, 7, 8)
    assert not reminded(pack, "session", due_on, datetime(2026, 7, 2, 22, 59, tzinfo=UTC))
    assert reminded(pack, "session", due_on, datetime(2026, 7, 2, 23, 0, tzinfo=UTC))


def test_the_number_of_days_is_the_packs():
    pack = replace(SHIPPED["kent"], reminder_working_days={"session": 5, "record": 2, "signoff": 0})
    assert reminder_from(pack, "session", date(2026, 12, 9)) == date(2026, 12, 2)
    assert reminder_from(pack, "record", date(2026, 12, 9)) == date(2026, 12, 7)
    # 0: no reminder of that kind, even on the due day.
    assert reminder_from(pack, "signoff", date(2026, 12, 9)) is None
    assert not reminded(pack, "signoff", date(2026, 12, 9), london(date(2026, 12, 9)))


def test_only_sessions_write_ups_and_sign_offs_are_reminded():
    pack = SHIPPED["kent"]
    moment = london(date(2026, 12, 8))
    others = [
        item(due.ACTION_OVERDUE, date(2026, 12, 9)),
        item(due.AGREEMENT_REVIEW_OVERDUE, date(2026, 12, 9)),
        item(due.OBSERVATION_DUE, date(2026, 12, 9)),
    ]
    assert reminders_due(pack, others, moment) == []


def test_several_items_soonest_first_with_what_they_are_about():
    pack = SHIPPED["kent"]
    items = [
        item("session", date(2026, 12, 10)),
        item("signoff", date(2026, 12, 9), about="session 7"),
        item("record", date(2026, 12, 9), about="session 8"),
        item("record", date(2026, 12, 20), about="session 9"),  # not yet
    ]
    found = reminders_due(pack, items, london(date(2026, 12, 8)))
    assert [(r.kind, r.due, r.about) for r in found] == [
        ("record", date(2026, 12, 9), "session 8"),
        ("signoff", date(2026, 12, 9), "session 7"),
        ("session", date(2026, 12, 10), ""),
    ]


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="aware"):
        reminders_due(SHIPPED["kent"], [item("session", date(2026, 12, 9))], datetime(2026, 12, 8))


# From a person's facts, as the job asks: done items are not reminded.

MONDAY_7_DECEMBER = london(date(2026, 12, 7), time(7, 0))


def facts(**extra) -> due.PersonFacts:
    return due.PersonFacts(
        category="practitioner",
        start_date=date(2025, 1, 1),
        person="sam@example.org",
        sessions=(due.HeldSession(date(2026, 11, 9), "individual"),),  # next due 9 December
        **extra,
    )


# Rolling months: the next session is due 9 December (Surrey counts calendar months).
@pytest.mark.parametrize("code", ["kent", "policy-002"])
def test_from_a_persons_items_the_session_and_an_unwritten_record(code):
    pack = SHIPPED[code]
    record = due.RecordFacts(session_on=date(2026, 12, 4), about="session 1")
    items = due.person_items(pack, facts(records=(record,)), MONDAY_7_DECEMBER)
    found = reminders_due(pack, items, MONDAY_7_DECEMBER)
    # Written up within 2 working days of Friday 4 December: due Tuesday 8, reminded Monday 7.
    assert [(r.kind, r.due) for r in found] == [
        ("record", date(2026, 12, 8)),
        ("session", date(2026, 12, 9)),
    ]


def test_a_record_shared_is_no_longer_reminded_for_writing_up_but_for_signing():
    pack = SHIPPED["kent"]
    record = due.RecordFacts(
        session_on=date(2026, 12, 4), shared_on=date(2026, 12, 4), about="session 1"
    )
    # Kent: signed off within 5 working days of sharing, by Friday 11 December; reminded
    # from Thursday 10 December.
    at = london(date(2026, 12, 10))
    items = due.person_items(pack, facts(records=(record,)), at)
    found = [r for r in reminders_due(pack, items, at) if r.kind != "session"]
    assert [(r.kind, r.due, r.about) for r in found] == [
        ("signoff", date(2026, 12, 11), "session 1")
    ]
    finalised = replace(
        record, supervisee_signed_on=date(2026, 12, 7), finalised_on=date(2026, 12, 8)
    )
    items = due.person_items(pack, facts(records=(finalised,)), at)
    assert [r.kind for r in reminders_due(pack, items, at)] == []  # the session is overdue
