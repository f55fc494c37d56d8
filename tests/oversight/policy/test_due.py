"""The rules as tables of dates: a pack and plain facts in, due items out.
No database, no clock: every moment is a parameter. Each test cites its DOMAIN rule and seed."""

from datetime import UTC, date, datetime

import pytest

from oversight.policy import due
from oversight.policy.due import (
    Absence,
    ActionFacts,
    AgreementFacts,
    Cancellation,
    HeldSession,
    ProbationReviewHeld,
    RecordFacts,
)
from oversight.policy.packs import Interval
from tests.oversight.policy.tables import (
    KENT,
    P002,
    SURREY,
    at,
    items_of,
    one,
    person,
    sessions,
    variant,
)


def test_kinds_are_the_fourteen_of_issue_7_and_the_four_standards_of_issue_20():
    assert due.KINDS == (
        "session_overdue",
        "record_overdue",
        "signoff_overdue",
        "agreement_missing",
        "agreement_review_overdue",
        "cancellation_not_rescheduled",
        "cover_needed",
        "case_review_overdue",
        "allocation_not_discussed",
        "closure_without_supervision",
        "action_overdue",
        "observation_due",
        "development_plan_due",
        "probation_review_due",
        "support_time_short",
        "sessions_not_planned_ahead",
        "wellbeing_plan_due",
        "group_supervision_overdue",
        "transfer_not_prepared",
    )


# Dates: month ends and leap years


@pytest.mark.parametrize(
    ("day", "months", "result"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), 1, date(2028, 3, 29)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 15), 0, date(2026, 1, 15)),
    ],
)
def test_add_months_clamped(day, months, result):
    assert due.add_months_clamped(day, months) == result


@pytest.mark.parametrize(
    ("last", "counting", "result"),
    [
        (date(2026, 1, 1), "rolling", date(2026, 2, 1)),
        (date(2026, 1, 31), "rolling", date(2026, 2, 28)),
        (date(2028, 1, 31), "rolling", date(2028, 2, 29)),
        (date(2026, 12, 15), "rolling", date(2027, 1, 15)),
        (date(2026, 1, 1), "calendar", date(2026, 2, 28)),
        (date(2026, 1, 31), "calendar", date(2026, 2, 28)),
        (date(2028, 1, 1), "calendar", date(2028, 2, 29)),
        (date(2026, 12, 15), "calendar", date(2027, 1, 31)),
    ],
)
def test_step_one_month_rolling_or_calendar(last, counting, result):
    assert due.step(last, Interval(1, "months"), counting) == result


# F1 and monthly counting


@pytest.mark.parametrize(
    ("pack", "last", "result"),
    [
        # Rolling (004, 002): no more than a calendar month between sessions, month ends clamped.
        (KENT, date(2026, 1, 1), date(2026, 2, 1)),
        (KENT, date(2026, 1, 31), date(2026, 2, 28)),
        (KENT, date(2028, 1, 31), date(2028, 2, 29)),
        (KENT, date(2028, 2, 29), date(2028, 3, 29)),
        (KENT, date(2026, 3, 31), date(2026, 4, 30)),
        (P002, date(2026, 1, 31), date(2026, 2, 28)),
        # Calendar (001 §3.1 "that month"): one in each calendar month.
        (SURREY, date(2026, 1, 1), date(2026, 2, 28)),
        (SURREY, date(2026, 1, 31), date(2026, 2, 28)),
        (SURREY, date(2028, 1, 1), date(2028, 2, 29)),
        (SURREY, date(2026, 3, 31), date(2026, 4, 30)),
        (SURREY, date(2026, 12, 15), date(2027, 1, 31)),
    ],
)
def test_f1_monthly_rolling_seed_004_002_or_calendar_seed_001(pack, last, result):
    assert due.next_session_due(pack, person(sessions=sessions(last))) == result


def test_f1_first_session_counts_from_the_start_date_seed_001():
    assert due.next_session_due(KENT, person(start=date(2026, 3, 9))) == date(2026, 4, 9)
    assert due.next_session_due(SURREY, person(start=date(2026, 3, 9))) == date(2026, 4, 30)


# F2: newly qualified staff


ASYE_START = date(2026, 1, 5)  # a Monday: six weeks end on 15 February, six months on 4 July


@pytest.mark.parametrize(
    ("last", "result"),
    [
        (None, date(2026, 1, 12)),  # weekly from the ASYE start
        (date(2026, 1, 5), date(2026, 1, 12)),
        (date(2026, 2, 2), date(2026, 2, 9)),  # week 5: weekly
        (date(2026, 2, 8), date(2026, 2, 15)),  # due on day 41: still inside the six weeks
        # Boundary: a week on (16 February) is in the fortnightly phase, so a fortnight applies.
        (date(2026, 2, 9), date(2026, 2, 23)),
        (date(2026, 2, 16), date(2026, 3, 2)),  # fortnightly
        (date(2026, 6, 20), date(2026, 7, 4)),  # still inside the six months
        # Boundary: a fortnight on (5 July) is the first monthly day, so a month applies.
        (date(2026, 6, 21), date(2026, 7, 21)),
        (date(2026, 6, 29), date(2026, 7, 29)),
        (date(2026, 7, 5), date(2026, 8, 5)),  # at least monthly thereafter
        (date(2026, 8, 31), date(2026, 9, 30)),
    ],
)
def test_f2_asye_weekly_six_weeks_fortnightly_to_six_months_then_monthly_seed_004(last, result):
    facts = person(
        "asye", ASYE_START, asye_start=ASYE_START, sessions=sessions(last) if last else ()
    )
    assert due.next_session_due(KENT, facts) == result


@pytest.mark.parametrize(
    ("last", "result"),
    [
        (date(2026, 2, 8), date(2026, 2, 15)),
        (date(2026, 2, 9), date(2026, 2, 23)),
        (date(2026, 6, 21), date(2026, 7, 5)),  # fortnightly for the whole first 12 months
        (date(2026, 12, 21), date(2027, 1, 4)),
        (date(2026, 12, 22), date(2027, 1, 22)),  # a fortnight on is past the 12 months
        (date(2027, 1, 5), date(2027, 2, 5)),
    ],
)
def test_f2_newly_qualified_fortnightly_for_the_first_12_months_seed_002(last, result):
    facts = person("asye", ASYE_START, asye_start=ASYE_START, sessions=sessions(last))
    assert due.next_session_due(P002, facts) == result


def test_f2_phase_boundary_uses_the_interval_in_force_on_the_due_day_seed_004():
    """The choice the seeds leave open: after the last weekly session (Monday 9 February, week
    6), the next is due a fortnight later, not a week: by 16 February the fortnightly phase has
    begun. Documented in the pack's notes for intervals.asye."""
    facts = person("asye", ASYE_START, asye_start=ASYE_START, sessions=sessions(date(2026, 2, 9)))
    assert "falls due" in KENT.notes["intervals.asye"]
    assert due.next_session_due(KENT, facts) == date(2026, 2, 23)
    items = due.person_items(KENT, facts, at(2026, 2, 17))
    session = one("session_overdue", items)
    assert session.state == "due_soon"
    assert session.detail.startswith("Formal supervision every 2 weeks")


def test_f2_phases_count_from_the_asye_start_not_the_job_start_seed_004():
    early_start = person(
        "asye", date(2025, 9, 1), asye_start=ASYE_START, sessions=sessions(date(2026, 2, 2))
    )
    assert due.next_session_due(KENT, early_start) == date(2026, 2, 9)
    no_asye_date = person("asye", date(2025, 9, 1), sessions=sessions(date(2026, 2, 2)))
    assert due.next_session_due(KENT, no_asye_date) == date(2026, 2, 16)


def test_f2_moving_into_a_stricter_phase_makes_a_session_due_on_its_first_day():
    """Not in any seed, but a pack may do it: monthly for 4 weeks, then weekly."""
    pack = variant(
        KENT,
        intervals__support__phases=[
            {"every": 1, "unit": "months", "until_weeks": 4},
            {"every": 1, "unit": "weeks"},
        ],
    )
    facts = person("support", date(2026, 3, 2), sessions=sessions(date(2026, 3, 20)))
    assert due.next_session_due(pack, facts) == date(2026, 3, 30)


def test_f2_surrey_leaves_new_staff_frequency_to_the_agreement_seed_001():
    facts = person("asye", ASYE_START, asye_start=ASYE_START, sessions=sessions(date(2026, 1, 12)))
    assert due.next_session_due(SURREY, facts) == date(2026, 2, 28)
    weekly = AgreementFacts(date(2026, 1, 5), interval=Interval(1, "weeks"))
    agreed = person(
        "asye",
        ASYE_START,
        asye_start=ASYE_START,
        sessions=sessions(date(2026, 1, 12)),
        agreement=weekly,
    )
    assert due.next_session_due(SURREY, agreed) == date(2026, 1, 19)


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        # Surrey counts months by the calendar: a monthly agreement from 5 January would make
        # the next due by 28 February, weeks after the pack's 6 weeks (16 February).
        (date(2026, 1, 5), date(2026, 2, 16)),
        # From 30 January the agreement's month ends first (28 February, not 13 March): the
        # agreement still makes supervision more frequent where it does.
        (date(2026, 1, 30), date(2026, 2, 28)),
    ],
)
def test_f7_an_agreement_never_makes_supervision_less_frequent_than_the_pack_seed_002(
    last, expected
):
    monthly = AgreementFacts(date(2025, 12, 1), interval=Interval(1, "months"))
    manager = person("manager", date(2020, 1, 6), sessions=sessions(last), agreement=monthly)
    assert due.next_session_due(SURREY, manager) == expected
    assert due.next_session_due(SURREY, manager) <= due.step(last, Interval(6, "weeks"))


def test_f7_a_monthly_agreement_for_a_surrey_manager_is_refused_naming_the_minimum():
    from oversight.policy.packs import agreement_interval_problem

    problem = agreement_interval_problem(SURREY, "manager", Interval(1, "months"))
    assert problem is not None and "less often than" in problem


# F3: students


STUDENT_START = date(2026, 9, 7)


@pytest.mark.parametrize(
    ("agreed_on", "last", "result"),
    [
        (None, date(2026, 9, 7), date(2026, 9, 14)),
        (None, date(2027, 3, 1), date(2027, 3, 8)),  # no point agreed yet: weekly runs on
        (date(2026, 11, 2), date(2026, 10, 25), date(2026, 11, 1)),
        (date(2026, 11, 2), date(2026, 10, 26), date(2026, 11, 9)),  # a week on is fortnightly
        (date(2026, 11, 2), date(2026, 11, 2), date(2026, 11, 16)),
    ],
)
def test_f3_student_weekly_then_fortnightly_from_the_agreed_point_seed_004(agreed_on, last, result):
    facts = person("student", STUDENT_START, phase_agreed_on=agreed_on, sessions=sessions(last))
    assert due.next_session_due(KENT, facts) == result


def test_f3_student_flag_applies_the_student_schedule_whatever_the_role_seed_004():
    facts = person("support", STUDENT_START, student=True, sessions=sessions(date(2026, 9, 7)))
    assert due.next_session_due(KENT, facts) == date(2026, 9, 14)


# F4, F5


@pytest.mark.parametrize(
    ("pack", "category", "last", "result"),
    [
        (SURREY, "independent", date(2026, 3, 3), date(2026, 3, 31)),  # F4: every 4 weeks, 001
        (KENT, "independent", date(2026, 3, 3), date(2026, 4, 3)),  # 004 silent: monthly
        (SURREY, "manager", date(2026, 2, 2), date(2026, 3, 16)),  # F5: 4-6 weeks, 001
        (SURREY, "senior_manager", date(2026, 2, 2), date(2026, 3, 16)),
        (P002, "manager", date(2026, 2, 2), date(2026, 3, 2)),  # F5: monthly, 002
        (P002, "senior_manager", date(2026, 1, 31), date(2026, 2, 28)),
        (KENT, "manager", date(2026, 2, 2), date(2026, 3, 2)),
    ],
)
def test_f4_iro_every_four_weeks_seed_001_and_f5_managers_seed_001_002(
    pack, category, last, result
):
    facts = person(category, sessions=sessions(last, kind="management"))
    if category == "independent":
        facts = person(category, sessions=sessions(last, kind="iro_cp_chair"))
    assert due.next_session_due(pack, facts) == result


# F7: the agreement


@pytest.mark.parametrize(
    ("pack", "category", "agreed", "last", "result"),
    [
        # More frequent than the pack: the agreement applies (002 §General 8, 001 §4.2).
        (KENT, "practitioner", Interval(2, "weeks"), date(2026, 3, 2), date(2026, 3, 16)),
        (SURREY, "practitioner", Interval(4, "weeks"), date(2026, 3, 2), date(2026, 3, 30)),
        # Less frequent and not allowed: the pack applies.
        (KENT, "practitioner", Interval(6, "weeks"), date(2026, 3, 2), date(2026, 4, 2)),
        (SURREY, "independent", Interval(1, "months"), date(2026, 3, 3), date(2026, 3, 31)),
        # In a new-staff phase the phase stays a minimum.
        (KENT, "asye", Interval(2, "weeks"), date(2026, 1, 12), date(2026, 1, 19)),
    ],
)
def test_f7_agreement_more_frequent_than_the_pack_applies_less_frequent_does_not(
    pack, category, agreed, last, result
):
    facts = person(
        category,
        ASYE_START,
        asye_start=ASYE_START,
        sessions=sessions(last),
        agreement=AgreementFacts(date(2026, 1, 5), interval=agreed),
    )
    assert due.next_session_due(pack, facts) == result


ALLOWING = variant(
    KENT, agreement__less_frequent_allowed=True, agreement__floor={"every": 8, "unit": "weeks"}
)


@pytest.mark.parametrize(
    ("category", "agreed", "result"),
    [
        ("practitioner", Interval(6, "weeks"), date(2026, 4, 13)),
        ("practitioner", Interval(12, "weeks"), date(2026, 4, 27)),  # never past the floor
        ("asye", Interval(6, "weeks"), date(2026, 3, 16)),  # the fortnightly phase stays
    ],
)
def test_f7_less_frequent_agreement_where_the_pack_allows_it(category, agreed, result):
    facts = person(
        category,
        date(2026, 1, 5),
        asye_start=date(2026, 1, 5),
        sessions=sessions(date(2026, 3, 2)),
        agreement=AgreementFacts(date(2026, 1, 5), interval=agreed),
    )
    assert due.next_session_due(ALLOWING, facts) == result


def test_f7_agreement_not_yet_in_force_or_draft_is_ignored():
    later = AgreementFacts(date(2026, 3, 10), interval=Interval(1, "weeks"))
    draft = AgreementFacts(date(2026, 1, 5), in_force=False, interval=Interval(1, "weeks"))
    base = {"sessions": sessions(date(2026, 3, 2))}
    assert due.next_session_due(KENT, person(agreement=later, **base), date(2026, 3, 5)) == date(
        2026, 4, 2
    )
    assert due.next_session_due(KENT, person(agreement=later, **base), date(2026, 3, 10)) == date(
        2026, 3, 9
    )
    assert due.next_session_due(KENT, person(agreement=draft, **base)) == date(2026, 4, 2)


# Change of supervisor; S6


def test_change_of_supervisor_the_interval_runs_on_from_the_last_session_seed_001_s1():
    """001 §4.3: the file passes to the new supervisor. The clock does not restart when the
    relationship changes: it runs from the last formal session, whoever held it."""
    held = (
        HeldSession(date(2026, 2, 2), "individual", supervisor="alex@example.org"),
        HeldSession(date(2026, 3, 2), "individual", supervisor="alex@example.org"),
    )
    changed = person(
        sessions=held,
        relationship_start=date(2026, 3, 16),
        agreement=AgreementFacts(date(2026, 3, 16)),
    )
    assert due.next_session_due(KENT, changed) == date(2026, 4, 2)
    new_supervisor = changed.sessions + (
        HeldSession(date(2026, 3, 30), "individual", supervisor="jo@example.org"),
    )
    assert due.next_session_due(
        KENT, person(sessions=new_supervisor, relationship_start=date(2026, 3, 16))
    ) == date(2026, 4, 30)


@pytest.mark.parametrize(
    ("pack", "held", "result"),
    [
        # S6 (003, 004): ad hoc never replaces formal supervision.
        (
            KENT,
            sessions(date(2026, 3, 2)) + sessions(date(2026, 3, 20), kind="ad_hoc"),
            date(2026, 4, 2),
        ),
        (
            SURREY,
            sessions(date(2026, 2, 2)) + sessions(date(2026, 3, 20), kind="ad_hoc"),
            date(2026, 3, 31),
        ),
        # Case supervision counts for the person under 002 (one 1:1 event), not 004 or 001.
        (
            KENT,
            sessions(date(2026, 3, 2)) + sessions(date(2026, 3, 20), kind="case"),
            date(2026, 4, 2),
        ),
        (
            P002,
            sessions(date(2026, 3, 2)) + sessions(date(2026, 3, 20), kind="case"),
            date(2026, 4, 20),
        ),
        (KENT, sessions(date(2026, 3, 20), kind="personal_support"), date(2026, 4, 20)),
    ],
)
def test_s6_ad_hoc_does_not_count_as_formal_supervision_seed_004(pack, held, result):
    assert due.next_session_due(pack, person(sessions=held)) == result


def test_facts_after_the_moment_are_ignored():
    """The compliance report evaluates as of a moment: a session held later does not count."""
    facts = person(sessions=sessions(date(2026, 2, 2), date(2026, 3, 5)))
    assert one("session_overdue", due.person_items(KENT, facts, at(2026, 3, 4))).due == date(
        2026, 3, 2
    )
    assert one("session_overdue", due.person_items(KENT, facts, at(2026, 3, 5))).due == date(
        2026, 4, 5
    )


# State: due on D, overdue from the start of D+1 in Europe/London


@pytest.mark.parametrize(
    ("moment", "state"),
    [
        (at(2026, 2, 20), "not_yet_due"),
        (at(2026, 2, 21, 0, 0), "due_soon"),  # 7 days before
        (at(2026, 2, 28, 23, 59), "due_soon"),
        (at(2026, 3, 1, 0, 0), "overdue"),
        (datetime(2026, 2, 28, 23, 59, tzinfo=UTC), "due_soon"),  # GMT: London = UTC
        (datetime(2026, 3, 1, 0, 0, tzinfo=UTC), "overdue"),
    ],
)
def test_session_overdue_from_the_start_of_the_next_day_in_london_seed_001(moment, state):
    facts = person(sessions=sessions(date(2026, 1, 31)))
    assert one("session_overdue", due.person_items(KENT, facts, moment)).state == state


@pytest.mark.parametrize(
    ("moment", "state"),
    [
        (datetime(2026, 4, 8, 22, 59, tzinfo=UTC), "due_soon"),  # 23:59 BST on 8 April
        (datetime(2026, 4, 8, 23, 0, tzinfo=UTC), "overdue"),  # midnight BST: 9 April
    ],
)
def test_overdue_boundary_in_summer_time_is_london_midnight_seed_001_r6(moment, state):
    facts = person(records=(RecordFacts(date(2026, 4, 2)),))
    item = one("record_overdue", due.person_items(KENT, facts, moment))
    assert item.due == date(2026, 4, 8)
    assert item.state == state
    assert item.overdue_from == datetime(2026, 4, 8, 23, 0, tzinfo=UTC)


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="aware"):
        due.person_items(KENT, person(), datetime(2026, 3, 1, 12, 0))


def test_nobody_is_due_anything_before_they_start():
    assert due.person_items(KENT, person(start=date(2026, 5, 1)), at(2026, 4, 30)) == []


# R6: the record within 2 working days, around Easter and Christmas


@pytest.mark.parametrize(
    ("session_on", "record_due"),
    [
        (date(2026, 3, 26), date(2026, 3, 30)),  # Thursday -> Monday
        (date(2026, 3, 27), date(2026, 3, 31)),  # Friday -> Tuesday
        # Good Friday 3 April and Easter Monday 6 April 2026 are bank holidays.
        (date(2026, 4, 1), date(2026, 4, 7)),
        (date(2026, 4, 2), date(2026, 4, 8)),
        (date(2026, 4, 4), date(2026, 4, 8)),  # a Saturday session
        # Christmas Day is a Friday; Boxing Day a Saturday, so Monday 28 December is off.
        (date(2026, 12, 23), date(2026, 12, 29)),
        (date(2026, 12, 24), date(2026, 12, 30)),
        (date(2026, 12, 31), date(2027, 1, 5)),  # New Year's Day, a Friday
    ],
)
def test_r6_record_written_within_two_working_days_seed_001(session_on, record_due):
    assert due.record_due(KENT, session_on) == record_due
    assert due.record_due(SURREY, session_on) == record_due


@pytest.mark.parametrize(
    ("shared_on", "moment", "expected"),
    [
        (None, at(2026, 4, 7), "due_soon"),
        (None, at(2026, 4, 8, 23, 59), "due_soon"),
        (None, at(2026, 4, 9, 0, 0), "overdue"),
        (date(2026, 4, 8), at(2026, 4, 9), None),  # shared on the due day
        (date(2026, 4, 14), at(2026, 4, 13), "overdue"),  # shared later than the moment
        (date(2026, 4, 14), at(2026, 4, 14), None),  # late, but written now: resolved
    ],
)
def test_r6_record_overdue_item_seed_001(shared_on, moment, expected):
    facts = person(records=(RecordFacts(date(2026, 4, 2), shared_on=shared_on),))
    found = items_of("record_overdue", due.person_items(SURREY, facts, moment))
    assert [i.state for i in found] == ([expected] if expected else [])


# R7, R8: sign-off


@pytest.mark.parametrize(
    ("pack", "shared_on", "signoff_due"),
    [
        (KENT, date(2026, 4, 2), date(2026, 4, 13)),  # 5 working days, over Easter
        (SURREY, date(2026, 4, 2), date(2026, 4, 20)),  # 10 working days
        (P002, date(2026, 12, 22), date(2027, 1, 8)),  # 10 working days, over Christmas
    ],
)
def test_r7_r8_signoff_due_in_working_days_after_sharing_seed_001_004(pack, shared_on, signoff_due):
    assert due.signoff_due(pack, shared_on) == signoff_due


@pytest.mark.parametrize(
    ("record", "moment", "expected"),
    [
        # Not shared: it is the record that is overdue, not the sign-off.
        (RecordFacts(date(2026, 4, 2)), at(2026, 4, 14), None),
        (
            RecordFacts(date(2026, 4, 2), shared_on=date(2026, 4, 2)),
            at(2026, 4, 13, 23, 59),
            ("due_soon", "waiting for the supervisee to sign"),
        ),
        (
            RecordFacts(date(2026, 4, 2), shared_on=date(2026, 4, 2)),
            at(2026, 4, 14, 0, 0),
            ("overdue", "waiting for the supervisee to sign"),
        ),
        (
            RecordFacts(
                date(2026, 4, 2), shared_on=date(2026, 4, 2), supervisee_signed_on=date(2026, 4, 7)
            ),
            at(2026, 4, 14),
            ("overdue", "waiting for the supervisor to finalise"),
        ),
        (
            RecordFacts(
                date(2026, 4, 2),
                shared_on=date(2026, 4, 2),
                supervisee_signed_on=date(2026, 4, 7),
                finalised_on=date(2026, 4, 8),
            ),
            at(2026, 4, 14),
            None,
        ),
    ],
)
def test_r7_r8_signoff_overdue_item_seed_001_004(record, moment, expected):
    found = items_of("signoff_overdue", due.person_items(KENT, person(records=(record,)), moment))
    if expected is None:
        assert found == []
    else:
        state, waiting = expected
        assert [i.state for i in found] == [state]
        assert found[0].detail.endswith(waiting)
        assert found[0].about == "2026-04-02"


# A1, A2: the agreement


@pytest.mark.parametrize(
    ("agreement", "relationship_start", "review_due"),
    [
        (AgreementFacts(date(2025, 3, 1)), None, date(2026, 3, 1)),  # annually, 001 §4.2
        (AgreementFacts(date(2024, 2, 29)), None, date(2025, 2, 28)),  # leap day, clamped
        (
            AgreementFacts(date(2025, 3, 1), review_due_on=date(2026, 1, 10)),
            None,
            date(2026, 1, 10),
        ),
        # At every change of supervisor (A2): within the draw-up days of the change.
        (AgreementFacts(date(2025, 3, 1)), date(2026, 1, 5), date(2026, 2, 2)),
        (AgreementFacts(date(2026, 1, 5)), date(2026, 1, 5), date(2027, 1, 5)),
    ],
)
def test_a2_agreement_review_due_seed_001_004(agreement, relationship_start, review_due):
    assert due.agreement_review_due(KENT, agreement, relationship_start) == review_due


@pytest.mark.parametrize(
    ("moment", "state"),
    [
        (at(2026, 2, 21), "not_yet_due"),
        (at(2026, 2, 22), "due_soon"),  # 7 days before
        (at(2026, 3, 1), "due_soon"),
        (at(2026, 3, 2), "overdue"),
    ],
)
def test_a2_agreement_review_overdue_item_seed_004(moment, state):
    facts = person(relationship_start=date(2025, 3, 1), agreement=AgreementFacts(date(2025, 3, 1)))
    item = one("agreement_review_overdue", due.person_items(KENT, facts, moment))
    assert (item.due, item.state) == (date(2026, 3, 1), state)
    assert items_of("agreement_missing", due.person_items(KENT, facts, moment)) == []


def test_a2_agreement_reviewed_at_a_change_of_supervisor_seed_001():
    facts = person(relationship_start=date(2026, 1, 5), agreement=AgreementFacts(date(2025, 3, 1)))
    item = one("agreement_review_overdue", due.person_items(SURREY, facts, at(2026, 2, 3)))
    assert (item.due, item.state) == (date(2026, 2, 2), "overdue")
    assert "change of supervisor" in item.detail


@pytest.mark.parametrize(
    ("pack", "agreement", "held", "moment", "expected"),
    [
        # 001: no timescale; chosen 28 days from the start of the relationship.
        (SURREY, None, (), at(2026, 3, 30), (date(2026, 3, 30), "due_soon")),
        (SURREY, None, (), at(2026, 3, 31), (date(2026, 3, 30), "overdue")),
        (
            SURREY,
            None,
            sessions(date(2026, 3, 10)),
            at(2026, 3, 12),
            (date(2026, 3, 30), "not_yet_due"),
        ),
        # 004: drawn up at the first supervision meeting.
        (KENT, None, sessions(date(2026, 3, 10)), at(2026, 3, 11), (date(2026, 3, 10), "overdue")),
        (
            KENT,
            None,
            sessions(date(2026, 2, 20)),
            at(2026, 3, 11),
            (date(2026, 3, 30), "not_yet_due"),
        ),
        # A draft is not in force.
        (
            KENT,
            AgreementFacts(date(2026, 3, 2), in_force=False),
            (),
            at(2026, 4, 1),
            (date(2026, 3, 30), "overdue"),
        ),
        (KENT, AgreementFacts(date(2026, 3, 20)), (), at(2026, 4, 1), None),
        (
            KENT,
            AgreementFacts(date(2026, 4, 2)),
            (),
            at(2026, 4, 1),
            (date(2026, 3, 30), "overdue"),
        ),
    ],
)
def test_a1_agreement_missing_seed_001_002_004(pack, agreement, held, moment, expected):
    facts = person(relationship_start=date(2026, 3, 2), agreement=agreement, sessions=held)
    found = items_of("agreement_missing", due.person_items(pack, facts, moment))
    assert [(i.due, i.state) for i in found] == ([expected] if expected else [])


def test_a1_no_supervisor_no_agreement_item():
    assert items_of("agreement_missing", due.person_items(KENT, person(), at(2026, 3, 1))) == []


# S4: a cancellation followed, or not, by a session within 14 days


@pytest.mark.parametrize(
    ("held", "rescheduled_to", "moment", "expected"),
    [
        (sessions(date(2026, 3, 20)), date(2026, 3, 20), at(2026, 3, 25), None),
        (sessions(date(2026, 3, 10)), None, at(2026, 3, 25), None),  # same day counts
        ((), None, at(2026, 3, 16), ("not_yet_due", "no new date set")),
        ((), None, at(2026, 3, 17), ("due_soon", "no new date set")),
        ((), date(2026, 3, 20), at(2026, 3, 18), ("due_soon", "moved to 20 March 2026")),
        ((), None, at(2026, 3, 24, 23, 59), ("due_soon", "no new date set")),
        ((), None, at(2026, 3, 25, 0, 0), ("overdue", "no new date set")),
        ((), date(2026, 4, 1), at(2026, 3, 25), ("overdue", "after the window")),
        # Held late: resolved once it is held; the flag keeps the history.
        (sessions(date(2026, 3, 30)), date(2026, 3, 30), at(2026, 3, 29), ("overdue", "")),
        (sessions(date(2026, 3, 30)), date(2026, 3, 30), at(2026, 3, 30), None),
        # Ad hoc (S6) does not make up for it; a session before the cancellation neither.
        (sessions(date(2026, 3, 12), kind="ad_hoc"), None, at(2026, 3, 25), ("overdue", "")),
        (sessions(date(2026, 3, 9)), None, at(2026, 3, 25), ("overdue", "")),
    ],
)
def test_s4_cancelled_session_held_again_within_two_weeks_seed_001(
    held, rescheduled_to, moment, expected
):
    cancellation = Cancellation(date(2026, 3, 10), rescheduled_to=rescheduled_to)
    facts = person(sessions=held, cancellations=(cancellation,))
    found = items_of("cancellation_not_rescheduled", due.person_items(SURREY, facts, moment))
    if expected is None:
        assert found == []
    else:
        state, words = expected
        assert [(i.due, i.state) for i in found] == [(date(2026, 3, 24), state)]
        assert words in found[0].detail


# S5: cover when the supervisor is away


@pytest.mark.parametrize(
    ("pack", "absence", "moment", "expected"),
    [
        # 001 §5.5: more than 2 weeks. Away from Monday 1 June: from 15 June it is more.
        (SURREY, Absence(date(2026, 6, 1)), at(2026, 6, 10), ("due_soon", date(2026, 6, 15))),
        (SURREY, Absence(date(2026, 6, 1)), at(2026, 6, 15), ("due_soon", date(2026, 6, 15))),
        (SURREY, Absence(date(2026, 6, 1)), at(2026, 6, 16), ("overdue", date(2026, 6, 15))),
        (SURREY, Absence(date(2026, 6, 1), cover_from=date(2026, 6, 12)), at(2026, 6, 16), None),
        (SURREY, Absence(date(2026, 6, 1), ends_on=date(2026, 6, 14)), at(2026, 6, 10), None),
        (
            SURREY,
            Absence(date(2026, 6, 1), ends_on=date(2026, 6, 19)),
            at(2026, 6, 16),
            ("overdue", date(2026, 6, 15)),
        ),
        (SURREY, Absence(date(2026, 6, 1), ends_on=date(2026, 6, 19)), at(2026, 6, 20), None),
        (SURREY, Absence(date(2026, 7, 1)), at(2026, 6, 20), None),
        # 001 §3's four weeks, adopted by 004's pack.
        (KENT, Absence(date(2026, 6, 1)), at(2026, 6, 16), ("not_yet_due", date(2026, 6, 29))),
        (KENT, Absence(date(2026, 6, 1)), at(2026, 6, 30), ("overdue", date(2026, 6, 29))),
    ],
)
def test_s5_cover_after_the_supervisor_is_away_seed_001(pack, absence, moment, expected):
    found = items_of("cover_needed", due.person_items(pack, person(absences=(absence,)), moment))
    assert [(i.state, i.due) for i in found] == ([expected] if expected else [])


# R4: actions with a timescale


@pytest.mark.parametrize(
    ("action", "moment", "state"),
    [
        (ActionFacts(date(2026, 3, 10), about="17"), at(2026, 3, 10), "due_soon"),
        (ActionFacts(date(2026, 3, 10), about="17"), at(2026, 3, 11), "overdue"),
        (
            ActionFacts(date(2026, 3, 10), done_on=date(2026, 3, 9), about="17"),
            at(2026, 3, 11),
            None,
        ),
        (
            ActionFacts(date(2026, 3, 10), done_on=date(2026, 3, 12), about="17"),
            at(2026, 3, 11),
            "overdue",
        ),
    ],
)
def test_r4_action_overdue_after_its_timescale_seed_001(action, moment, state):
    found = items_of("action_overdue", due.person_items(KENT, person(actions=(action,)), moment))
    assert [i.state for i in found] == ([state] if state else [])
    assert all(i.about == "17" for i in found)
    # A link text that says which action, never its words (they go by email in digests).
    assert all(i.detail == "Action due 10 March 2026 not done" for i in found)


# Q1, Q2, Q3


@pytest.mark.parametrize(
    ("pack", "category", "held", "expected"),
    [
        (KENT, "practitioner", (), date(2025, 7, 6)),  # six months from the start
        (KENT, "practitioner", (date(2025, 3, 10),), date(2025, 9, 10)),
        (KENT, "asye", (date(2025, 8, 31), date(2025, 3, 1)), date(2026, 2, 28)),
        (KENT, "manager", (), None),  # frontline practitioners only
        (SURREY, "practitioner", (), None),  # 001 §6: no number, no flag
    ],
)
def test_q1_two_practice_observations_a_year_seed_004(pack, category, held, expected):
    facts = person(category, date(2025, 1, 6), observations=held)
    found = items_of("observation_due", due.person_items(pack, facts, at(2025, 9, 20)))
    assert [i.due for i in found] == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("pack", "category", "held", "expected"),
    [
        (KENT, "practitioner", (date(2025, 8, 31),), date(2026, 2, 28)),  # twice a year, 004
        (KENT, "manager", (), date(2025, 7, 6)),
        (KENT, "student", (), None),
        (SURREY, "practitioner", (date(2025, 11, 30),), date(2026, 2, 28)),  # quarterly, 001
        (P002, "practitioner", (), None),
    ],
)
def test_q2_development_plan_conversations_seed_004_001(pack, category, held, expected):
    facts = person(category, date(2025, 1, 6), development_conversations=held)
    found = items_of("development_plan_due", due.person_items(pack, facts, at(2025, 12, 1)))
    assert [i.due for i in found] == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("probation_end", "held", "expected"),
    [
        (
            date(2026, 7, 31),
            (),
            [
                ("month 1", date(2026, 2, 28)),
                ("month 4", date(2026, 5, 31)),
                ("month 5", date(2026, 6, 30)),
            ],
        ),
        (
            date(2026, 7, 31),
            (ProbationReviewHeld(1, date(2026, 2, 9)),),
            [("month 4", date(2026, 5, 31)), ("month 5", date(2026, 6, 30))],
        ),
        (date(2026, 6, 15), (), [("month 1", date(2026, 2, 28)), ("month 4", date(2026, 5, 31))]),
        (None, (), []),
    ],
)
def test_q3_probation_reviews_at_the_end_of_months_1_4_5_seed_004(probation_end, held, expected):
    facts = person(start=date(2026, 1, 31), probation_end=probation_end, probation_reviews=held)
    found = items_of("probation_review_due", due.person_items(KENT, facts, at(2026, 2, 10)))
    assert [(i.about, i.due) for i in found] == expected
    assert items_of("probation_review_due", due.person_items(SURREY, facts, at(2026, 2, 10))) == []


def test_q3_dates_match_the_development_services_seed_004():
    from supervision.development.services import probation_review_dates

    for start, end in [
        (date(2026, 1, 31), date(2026, 7, 31)),
        (date(2027, 11, 30), date(2028, 5, 1)),
    ]:
        assert due.probation_review_dates(KENT, start, end) == probation_review_dates(start, end)


def test_person_items_soonest_first_one_of_each_kind():
    facts = person(
        relationship_start=date(2025, 1, 6),
        sessions=sessions(date(2026, 3, 2)),
        records=(RecordFacts(date(2026, 3, 2)),),
        cancellations=(Cancellation(date(2026, 3, 5)),),
        actions=(ActionFacts(date(2026, 3, 20), about="a1"),),
    )
    items = due.person_items(KENT, facts, at(2026, 3, 12))
    assert [i.kind for i in items] == [
        "agreement_missing",
        "sessions_not_planned_ahead",
        "wellbeing_plan_due",
        "observation_due",
        "development_plan_due",
        "support_time_short",  # February
        "record_overdue",
        "cancellation_not_rescheduled",
        "action_overdue",
        "support_time_short",  # March, not yet due
        "session_overdue",
    ]
    assert {i.subject for i in items} == {"person"}
    assert {i.reference for i in items} == {"sam@example.org"}
