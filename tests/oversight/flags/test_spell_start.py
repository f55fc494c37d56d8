"""When an overdue spell began (sync.last_spell_began, sync._spell_began): tables of dates, each
answer beside the forward walk from the due date (sync._walk, _Timeline.last_began) that the
flag job used to take from the due date to now."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from oversight.flags import sync
from oversight.policy import due

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 5, 12, tzinfo=LONDON)


def day(year, month, dom) -> datetime:
    return due.day_start(date(year, month, dom))


class Table:
    """A history as a table: from each moment listed, the rules give these items (kind, due
    date or moment), each in the state its due date gives it at the moment asked. The moments
    are the history's events, as a person's or a child's facts taking effect."""

    def __init__(self, rows):
        self.rows = sorted(rows)
        self.asked = []

    def events(self) -> list[datetime]:
        return [moment for moment, _ in self.rows]

    def items_at(self, versions, at: datetime) -> list[due.DueItem]:
        self.asked.append(at)
        held = [items for moment, items in self.rows if moment <= at]
        if not held:
            return []
        return [
            due.DueItem(kind, when, due.state_of(when, at, 0), "person", "p", "", about=about)
            for kind, about, when in held[-1]
        ]

    def ask(self, at: datetime) -> list[due.DueItem]:
        return self.items_at([], at)


def began_by_walking(table: Table, key, start: datetime) -> datetime:
    """The old way: a walk from `start` to now, and the last spell's first moment."""
    return sync._walk(table, [], start, NOW).last_began(key)


def began_backwards(table: Table, key, start: datetime) -> datetime:
    changes = [m for m in table.events() if start < m <= NOW]
    return sync.last_spell_began(table.ask, key, start, changes, NOW)


SESSION = ("session_overdue", "", date(2022, 1, 10))
RECORD = ("record_overdue", "session 4", date(2024, 5, 1))
PLANNED = ("sessions_not_planned_ahead", "", date(2025, 9, 20))
ACTION = ("action_overdue", "action 9", date(2025, 10, 1))
VISIT = ("case_review_overdue", "", datetime(2025, 11, 3, 14, 30, tzinfo=LONDON))
# Other items come and go all the while: each change is a span the walk asks at.
BUSY = [
    (day(2022, 2, 1) + timedelta(days=9 * n), [RECORD[:2] + (date(2030, 1, 1),)]) for n in range(5)
]

CASES = {
    # Overdue since its due date passed four years ago, through many changes since.
    "began years before the window": (
        [(day(2021, 12, 1), [SESSION]), *[(m, [SESSION, *i]) for m, i in BUSY]],
        SESSION,
        day(2022, 1, 11),
    ),
    # Overdue from 2 May 2024, not from 3 June to 30 June (an agreement then), again since.
    "interrupted and resumed": (
        [
            (day(2024, 4, 2), [RECORD]),
            (day(2024, 6, 3), []),
            (day(2024, 7, 1), [RECORD]),
            (day(2025, 1, 6), [RECORD, SESSION]),
        ],
        RECORD,
        day(2024, 7, 1),
    ),
    # A pack version (or an agreement) from 1 October 2025 moves the due date back to 20
    # September: overdue from the day it took effect, not the day after its due date.
    "a pack change": (
        [
            (day(2025, 6, 1), [PLANNED[:2] + (date(2026, 1, 20),)]),
            (day(2025, 10, 1), [PLANNED]),
            (day(2026, 2, 2), [PLANNED, SESSION]),
        ],
        PLANNED,
        day(2025, 10, 1),
    ),
    # A due moment (C3) is overdue from the moment after it; a change since keeps it.
    "a due moment": (
        [(day(2025, 10, 1), [VISIT]), (day(2026, 1, 5), [VISIT, RECORD])],
        VISIT,
        VISIT[2] + timedelta(microseconds=1),
    ),
    # Gone and back twice: only the last spell counts.
    "interrupted twice": (
        [
            (day(2023, 1, 1), [SESSION]),
            (day(2023, 3, 1), []),
            (day(2023, 4, 1), [SESSION]),
            (day(2025, 12, 1), []),
            (day(2026, 2, 20), [SESSION]),
        ],
        SESSION,
        day(2026, 2, 20),
    ),
    # Looked for from before its due date (another item's, `_Look.walked_from`): the spell
    # began when the due date passed, between two changes.
    "due date passed between two changes": (
        [(day(2025, 6, 1), [ACTION]), (day(2026, 1, 5), [ACTION, RECORD])],
        ACTION,
        day(2025, 10, 2),
        day(2025, 6, 1),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_the_spell_began_when_a_walk_from_its_due_date_finds_it(name):
    rows, item, expected, *walked_from = CASES[name]
    key = sync._key(item[0], item[1], item[2])
    start = walked_from[0] if walked_from else sync._turns_overdue(item[2])
    table = Table(rows)
    assert began_backwards(table, key, start) == expected
    assert began_by_walking(Table(rows), key, start) == expected


def test_a_spell_that_began_last_month_asks_only_about_last_month():
    """Walked back from now, a spell is found in the spans since it began, however far back
    its due date passed and however many changes came between."""
    rows = [(day(2022, 1, 1), [])] + [
        (day(2022, 1, 3) + timedelta(days=7 * n), [SESSION] if n > 210 else []) for n in range(220)
    ]
    table = Table(rows)
    key = sync._key(*SESSION)
    began = began_backwards(table, key, sync._turns_overdue(SESSION[2]))
    assert began == day(2022, 1, 3) + timedelta(days=7 * 211)
    assert min(table.asked) == day(2022, 1, 3) + timedelta(days=7 * 210)


class Look:
    """A subject looked at now (sync._Look): its history, the window walked, its overdue items."""

    def __init__(self, table, timeline):
        self.history, self.timeline, self.walked_from = table, timeline, None
        self.overdue = sync._overdue_keys(table.items_at([], NOW))


IN_DOUBT = [
    (day(2025, 6, 1), []),
    (day(2025, 9, 1), [ACTION]),
    (day(2025, 10, 6), [PLANNED, ACTION]),  # dates planned after this item's due date passed
    (day(2025, 11, 10), [PLANNED]),  # the action done, then undone: a gap
    (day(2025, 11, 24), [PLANNED, ACTION]),
    (day(2026, 1, 12), [PLANNED, ACTION, RECORD]),
]
WINDOW = day(2025, 12, 1)


def test_an_item_not_overdue_when_its_due_date_passed_is_dated_from_when_it_became_so():
    table = Table(IN_DOUBT)
    look = Look(table, sync._walk(table, [], WINDOW, NOW))
    planned = sync._key(*PLANNED)
    assert sync._spell_began(look, planned, [], [], NOW) == day(2025, 10, 6)
    assert look.walked_from == sync._turns_overdue(PLANNED[2])
    assert began_by_walking(Table(IN_DOUBT), planned, look.walked_from) == day(2025, 10, 6)


def test_a_subjects_later_items_are_dated_as_from_the_walk_looked_for_first():
    """Once one item's start was looked for from its due date, the subject's other items are
    dated as a walk from there finds them: the action's gap in November is seen (the walk from
    the planned dates' due date, 21 September, went through it)."""
    table = Table(IN_DOUBT)
    look = Look(table, sync._walk(table, [], WINDOW, NOW))
    planned, action = sync._key(*PLANNED), sync._key(*ACTION)
    sync._spell_began(look, planned, [], [], NOW)
    assert sync._spell_began(look, action, [], [], NOW) == day(2025, 11, 24)
    walked = sync._walk(Table(IN_DOUBT), [], look.walked_from, NOW)
    assert walked.last_began(action) == day(2025, 11, 24)


def test_alone_an_item_overdue_when_its_due_date_passed_and_at_the_window_is_dated_from_it():
    """Not in doubt: held when its due date passed and when the window walked begins, it is
    dated from its due date, across the gap in November (oversight/flags/__init__.py: the open
    flag spans a gap made by facts entered later)."""
    table = Table(IN_DOUBT)
    look = Look(table, sync._walk(table, [], WINDOW, NOW))
    action = sync._key(*ACTION)
    assert sync._spell_began(look, action, [], [], NOW) == day(2025, 10, 2)
    assert look.walked_from is None


class Person(Table):
    """The table as a member of staff's history, for the job's judgement (sync._judge)."""

    subject, user_id, profile_id = "person", 1, 1

    def dormant(self, at: datetime) -> bool:
        return False

    def flag_subject(self, at: datetime) -> dict:
        return {"person_id": self.user_id}


SHORT = ("record_overdue", "session 5", date(2025, 9, 25))
LONG = ("record_overdue", "session 6", date(2025, 11, 20))


def recorded(rows) -> list:
    outcome = sync._judge([Person(rows)], {}, [], NOW, {1})
    return sorted((f.about, f.overdue_since, f.resolved_at) for f in outcome.recorded)


@pytest.mark.django_db
def test_a_first_evaluation_records_the_spells_the_window_walked_whatever_else_is_in_doubt():
    """Marked, a subject is walked back LATE_FACTS_WINDOW (from 3 December 2025) and the spells
    that ended within it are kept: the one from 21 November to 20 December, not the one that
    ended on 1 November, whether or not another item's start was looked for further back
    (the dates planned, overdue since 6 October though due on 20 September)."""
    rows = [
        (day(2025, 6, 1), []),
        (day(2025, 9, 1), [SHORT]),
        (day(2025, 11, 1), [LONG]),
        (day(2025, 12, 20), []),
    ]
    in_doubt = [
        (day(2025, 6, 1), []),
        (day(2025, 9, 1), [SHORT]),
        (day(2025, 10, 6), [SHORT, PLANNED]),
        (day(2025, 11, 1), [LONG, PLANNED]),
        (day(2025, 12, 20), [PLANNED]),
    ]
    kept = [("session 6", day(2025, 11, 21), day(2025, 12, 20))]
    assert recorded(rows) == kept
    assert recorded(in_doubt) == kept
