"""The standards beside the interval (issue 20), as tables of dates under each shipped pack:
F6 the monthly supervision time, S3 dates agreed ahead, Q5 the wellbeing plan, C5 joint
supervision before a transfer. No database: the rules are fed plain facts."""

from datetime import UTC, date, datetime

import pytest

from oversight.policy import due, standards
from oversight.policy.due import ChildFacts, HeldSession, PersonFacts
from oversight.policy.packs import shipped_packs
from oversight.policy.standards import PlannedSession, TransferFacts, WellbeingPlanFacts

PACKS = shipped_packs()
KENT, SURREY, P002 = PACKS["kent"], PACKS["surrey"], PACKS["policy-002"]


def at(y, m, d, hour=12):
    return datetime(y, m, d, hour, tzinfo=UTC)


def person(category="practitioner", start=date(2025, 1, 6), **facts):
    facts.setdefault("relationship_start", start)
    return PersonFacts(category=category, start_date=start, person="sam@example.org", **facts)


def held(day, minutes, kind="individual"):
    return HeldSession(held_on=day, session_type=kind, minutes=minutes)


def items(pack, facts, moment, kind):
    return [i for i in due.person_items(pack, facts, moment) if i.kind == kind]


# --- F6: at least an hour of supervision each calendar month (004 Supervision timescales) ---


@pytest.mark.parametrize(
    ("sessions", "moment", "expected"),
    [
        # March under way, nothing held: March's item, not yet due; February's, overdue.
        ((), at(2026, 3, 12), [("2026-02", date(2026, 2, 28), "overdue"), ("2026-03", None, "")]),
        # February had its hour: only March's item.
        ((held(date(2026, 2, 9), 60),), at(2026, 3, 12), [("2026-03", date(2026, 3, 31), "")]),
        # Two half hours make the hour.
        (
            (held(date(2026, 2, 2), 30), held(date(2026, 2, 27), 30)),
            at(2026, 3, 2),
            [("2026-03", date(2026, 3, 31), "")],
        ),
        # 59 minutes is short.
        (
            (held(date(2026, 2, 9), 59),),
            at(2026, 3, 2),
            [("2026-02", date(2026, 2, 28), "overdue"), ("2026-03", None, "")],
        ),
        # March's hour, once held, ends February's spell too: it was made up.
        ((held(date(2026, 3, 10), 60),), at(2026, 3, 12), []),
        # A long session in February does not count for March; a session later in March does
        # not count before it is held.
        (
            (held(date(2026, 2, 27), 120), held(date(2026, 3, 20), 60)),
            at(2026, 3, 12),
            [("2026-03", date(2026, 3, 31), "")],
        ),
        # Ad hoc and case sessions are not supervision of the person (S6 under Kent).
        (
            (held(date(2026, 2, 9), 90, "ad_hoc"), held(date(2026, 2, 10), 90, "case")),
            at(2026, 3, 12),
            [("2026-02", date(2026, 2, 28), "overdue"), ("2026-03", None, "")],
        ),
        # Leap year: February 2028 ends on the 29th.
        ((), at(2028, 3, 1), [("2028-02", date(2028, 2, 29), "overdue"), ("2028-03", None, "")]),
    ],
)
def test_f6_an_hour_of_supervision_each_month_under_kent_seed_004(sessions, moment, expected):
    found = items(KENT, person(sessions=sessions), moment, standards.SUPPORT_TIME_SHORT)
    assert [i.about for i in found] == [about for about, _, _ in expected]
    for item, (_, due_on, state) in zip(found, expected, strict=True):
        if due_on:
            assert item.due == due_on
        assert (item.state == due.OVERDUE) == (state == "overdue")
        assert item.rule == "F6"


def test_f6_counts_only_whole_months_with_a_supervisor_and_not_students():
    # Started 10 February: February is not a whole month of theirs.
    newcomer = person(start=date(2026, 2, 10))
    found = items(KENT, newcomer, at(2026, 3, 12), standards.SUPPORT_TIME_SHORT)
    assert [i.about for i in found] == ["2026-03"]
    # A supervisor from 1 March: March counts, February does not.
    moved = person(relationship_start=date(2026, 3, 1))
    found = items(KENT, moved, at(2026, 3, 12), standards.SUPPORT_TIME_SHORT)
    assert [i.about for i in found] == ["2026-03"]
    # No supervisor: no item at all.
    alone = person(relationship_start=None)
    assert items(KENT, alone, at(2026, 3, 12), standards.SUPPORT_TIME_SHORT) == []
    student = person(student=True)
    assert items(KENT, student, at(2026, 3, 12), standards.SUPPORT_TIME_SHORT) == []


@pytest.mark.parametrize("pack", [SURREY, P002])
def test_f6_is_not_a_rule_of_packs_whose_policy_sets_no_time(pack):
    assert items(pack, person(), at(2026, 3, 12), standards.SUPPORT_TIME_SHORT) == []


def test_f6_detail_names_the_minutes_held_and_the_month():
    facts = person(sessions=(held(date(2026, 2, 9), 45),))
    (february, _) = items(KENT, facts, at(2026, 3, 2), standards.SUPPORT_TIME_SHORT)
    assert february.detail == "45 of 60 minutes of supervision held in February 2026"


# --- S3: dates agreed at least six months ahead (001 §5.5) ----------------------------------


@pytest.mark.parametrize(
    ("last_planned", "reach_ends"),
    [
        (date(2026, 9, 5), date(2026, 3, 5)),
        # Six months from 31 August is 28 February (month ends clamped), so a calendar planned
        # to 28 February 2027 reaches far enough until 31 August 2026.
        (date(2027, 2, 28), date(2026, 8, 31)),
        (date(2027, 2, 27), date(2026, 8, 27)),
        # Leap year: six months from 29 February 2028 is 29 August 2028.
        (date(2028, 8, 29), date(2028, 2, 29)),
        (date(2028, 8, 31), date(2028, 2, 29)),
    ],
)
def test_s3_the_last_day_a_calendar_reaches_six_months_ahead(last_planned, reach_ends):
    assert standards.planned_reach_ends(last_planned, 6) == reach_ends


@pytest.mark.parametrize("pack", [KENT, SURREY, P002])
@pytest.mark.parametrize(
    ("planned", "moment", "due_on", "overdue"),
    [
        # Nothing planned: due when the agreement is (28 days from the relationship's start).
        ((), at(2025, 2, 3), date(2025, 2, 3), False),
        ((), at(2025, 2, 4), date(2025, 2, 3), True),
        # Planned to 5 September 2026: far enough until 5 March 2026.
        (
            (PlannedSession(date(2026, 9, 5), date(2026, 1, 2)),),
            at(2026, 3, 5),
            date(2026, 3, 5),
            False,
        ),
        (
            (PlannedSession(date(2026, 9, 5), date(2026, 1, 2)),),
            at(2026, 3, 6),
            date(2026, 3, 5),
            True,
        ),
        # A date put on the calendar after the moment asked about does not count then.
        (
            (PlannedSession(date(2026, 12, 1), date(2026, 3, 10)),),
            at(2026, 3, 6),
            date(2025, 2, 3),
            True,
        ),
        # A cancelled date stops counting the day it was cancelled.
        (
            (
                PlannedSession(date(2026, 9, 5), date(2026, 1, 2)),
                PlannedSession(date(2026, 12, 1), date(2026, 1, 2), cancelled_on=date(2026, 3, 1)),
            ),
            at(2026, 3, 6),
            date(2026, 3, 5),
            True,
        ),
    ],
)
def test_s3_dates_agreed_six_months_ahead_seed_001_5_5(pack, planned, moment, due_on, overdue):
    (item,) = items(pack, person(planned=planned), moment, standards.SESSIONS_NOT_PLANNED_AHEAD)
    assert item.due == due_on
    assert (item.state == due.OVERDUE) is overdue
    assert item.rule == "S3"


def test_s3_needs_a_supervisor():
    alone = person(relationship_start=None)
    assert items(KENT, alone, at(2026, 3, 6), standards.SESSIONS_NOT_PLANNED_AHEAD) == []


# --- Q5: a wellbeing plan for each frontline practitioner (004 Appendix E) --------------------


@pytest.mark.parametrize(
    ("category", "plans", "moment", "due_on", "overdue"),
    [
        # Started 6 January 2025: a plan within 28 days, by 3 February.
        ("practitioner", (), at(2025, 2, 3), date(2025, 2, 3), False),
        ("practitioner", (), at(2025, 2, 4), date(2025, 2, 3), True),
        ("asye", (), at(2025, 2, 4), date(2025, 2, 3), True),
        # Then by the plan's own review date.
        (
            "practitioner",
            (WellbeingPlanFacts(date(2025, 1, 20), date(2025, 7, 20)),),
            at(2025, 7, 20),
            date(2025, 7, 20),
            False,
        ),
        (
            "practitioner",
            (WellbeingPlanFacts(date(2025, 1, 20), date(2025, 7, 20)),),
            at(2025, 7, 21),
            date(2025, 7, 20),
            True,
        ),
        # Reviewed: the newest plan's review date.
        (
            "practitioner",
            (
                WellbeingPlanFacts(date(2025, 1, 20), date(2025, 7, 20)),
                WellbeingPlanFacts(date(2025, 7, 15), date(2026, 1, 15)),
            ),
            at(2025, 7, 21),
            date(2026, 1, 15),
            False,
        ),
        # A plan agreed after the moment asked about does not count then.
        (
            "practitioner",
            (WellbeingPlanFacts(date(2025, 3, 1), date(2025, 9, 1)),),
            at(2025, 2, 20),
            date(2025, 2, 3),
            True,
        ),
    ],
)
def test_q5_a_wellbeing_plan_within_28_days_then_by_its_review_under_kent(
    category, plans, moment, due_on, overdue
):
    facts = person(category, wellbeing_plans=plans)
    (item,) = items(KENT, facts, moment, standards.WELLBEING_PLAN_DUE)
    assert item.due == due_on
    assert (item.state == due.OVERDUE) is overdue
    assert item.rule == "Q5"


@pytest.mark.parametrize("category", ["manager", "support", "independent"])
def test_q5_is_for_frontline_practitioners(category):
    assert items(KENT, person(category), at(2026, 3, 1), standards.WELLBEING_PLAN_DUE) == []


@pytest.mark.parametrize("pack", [SURREY, P002])
def test_q5_is_not_a_rule_of_packs_whose_policy_has_no_wellbeing_plan(pack):
    assert items(pack, person(), at(2026, 3, 1), standards.WELLBEING_PLAN_DUE) == []


# --- C5: joint supervision 2-4 weeks before a transfer (004 Transitions) ----------------------


def child(**facts):
    allocated = datetime(2026, 1, 5, 10, tzinfo=UTC)
    return ChildFacts(reference="C-1001", service="social_work", allocated_at=allocated, **facts)


def transfer_items(pack, facts, moment):
    return [
        i for i in due.child_items(pack, facts, moment) if i.kind == standards.TRANSFER_NOT_PREPARED
    ]


MOVE = TransferFacts(planned_for=date(2026, 3, 30), recorded_on=date(2026, 2, 1), about="t1")


@pytest.mark.parametrize("pack", [KENT, SURREY, P002])
@pytest.mark.parametrize(
    ("transfer", "joint_days", "moment", "expected"),
    [
        # Window 2 to 16 March: due by the 16th, overdue from the 17th.
        (MOVE, (), at(2026, 3, 16), "due"),
        (MOVE, (), at(2026, 3, 17), "overdue"),
        # Held in the window: nothing.
        (MOVE, (date(2026, 3, 2),), at(2026, 3, 17), None),
        (MOVE, (date(2026, 3, 16),), at(2026, 3, 17), None),
        # Held before the window: it is not the joint supervision before this transfer.
        (MOVE, (date(2026, 3, 1),), at(2026, 3, 17), "overdue"),
        # Held late, before the transfer: the spell ends then.
        (MOVE, (date(2026, 3, 20),), at(2026, 3, 20), None),
        (MOVE, (date(2026, 3, 20),), at(2026, 3, 19), "overdue"),
        # Still flagged on the transfer day; gone the day after.
        (MOVE, (), at(2026, 3, 30), "overdue"),
        (MOVE, (), at(2026, 3, 31), None),
        # Made or called off: gone from that day.
        (
            TransferFacts(date(2026, 3, 30), date(2026, 2, 1), ended_on=date(2026, 3, 25)),
            (),
            at(2026, 3, 25),
            None,
        ),
        # Not yet recorded: nothing to prepare for.
        (TransferFacts(date(2026, 3, 30), date(2026, 3, 20)), (), at(2026, 3, 19), None),
        # Recorded after its window: overdue at once, a prompt to meet before the day.
        (TransferFacts(date(2026, 3, 30), date(2026, 3, 20)), (), at(2026, 3, 20), "overdue"),
    ],
)
def test_c5_joint_supervision_two_to_four_weeks_before_a_transfer_seed_004(
    pack, transfer, joint_days, moment, expected
):
    found = transfer_items(pack, child(transfers=(transfer,), joint_days=joint_days), moment)
    if expected is None:
        assert found == []
        return
    (item,) = found
    assert item.due == date(2026, 3, 16)
    assert (item.state == due.OVERDUE) is (expected == "overdue")
    assert item.rule == "C5"
    assert "Transfer on 30 March 2026" in item.detail


def test_c5_uses_the_window_of_the_pack_in_force():
    wider = SURREY.__class__(
        **{
            **SURREY.__dict__,
            "cases": SURREY.cases.__class__(
                **{**SURREY.cases.__dict__, "transfer_window_weeks": (1, 6)}
            ),
        }
    )
    (item,) = transfer_items(wider, child(transfers=(MOVE,)), at(2026, 3, 24))
    assert item.due == date(2026, 3, 23)
    assert standards.transfer_window(wider, date(2026, 3, 30)) == (
        date(2026, 2, 16),
        date(2026, 3, 23),
    )


# --- C6, Kent's group formats: each team's group supervision at the pack's pace --------------


def team(*held):
    return standards.TeamGroups("Team A", 7, tuple(held))


def group_items(pack, facts, moment):
    found = items(pack, facts, moment, standards.GROUP_SUPERVISION_OVERDUE)
    return {i.about: (i.due, i.state == due.OVERDUE) for i in found}


@pytest.mark.parametrize(
    ("held", "moment", "expected"),
    [
        # A manager since 6 January 2025 with no team meeting: due a month on, 6 February.
        ((), at(2025, 2, 6), {"unit 7 team_meeting": (date(2025, 2, 6), False)}),
        ((), at(2025, 2, 7), {"unit 7 team_meeting": (date(2025, 2, 6), True)}),
        # Monthly from the last one, month ends clamped (Kent counts rolling months).
        (
            (("team_meeting", date(2026, 1, 31)),),
            at(2026, 3, 1),
            {"unit 7 team_meeting": (date(2026, 2, 28), True)},
        ),
        # Case progression only once the team uses it; then fortnightly.
        (
            (("team_meeting", date(2026, 3, 2)), ("case_progression", date(2026, 3, 3))),
            at(2026, 3, 17),
            {
                "unit 7 team_meeting": (date(2026, 4, 2), False),
                "unit 7 case_progression": (date(2026, 3, 17), False),
            },
        ),
        (
            (("team_meeting", date(2026, 3, 2)), ("case_formulation", date(2026, 3, 3))),
            at(2026, 3, 18),
            {
                "unit 7 team_meeting": (date(2026, 4, 2), False),
                "unit 7 case_formulation": (date(2026, 3, 17), True),
            },
        ),
        # Appreciative inquiry is 'when required': no cycle.
        (
            (("team_meeting", date(2026, 3, 2)), ("appreciative_inquiry", date(2025, 1, 3))),
            at(2026, 3, 18),
            {"unit 7 team_meeting": (date(2026, 4, 2), False)},
        ),
        # A meeting held after the moment asked about does not count then.
        (
            (("team_meeting", date(2026, 3, 20)),),
            at(2026, 3, 18),
            {"unit 7 team_meeting": (date(2025, 2, 6), True)},
        ),
    ],
)
def test_c6_a_teams_group_supervision_at_kents_timescales_seed_004(held, moment, expected):
    facts = person("manager", team_groups=(team(*held),))
    assert group_items(KENT, facts, moment) == expected


@pytest.mark.parametrize("pack", [SURREY, P002])
def test_c6_group_formats_are_not_a_rule_of_the_other_packs(pack):
    facts = person("manager", team_groups=(team(),))
    assert group_items(pack, facts, at(2026, 3, 18)) == {}


def test_c6_names_the_team_and_the_format():
    facts = person("manager", team_groups=(team(("case_progression", date(2026, 3, 3))),))
    (item,) = [
        i
        for i in items(KENT, facts, at(2026, 3, 18), standards.GROUP_SUPERVISION_OVERDUE)
        if i.about.endswith("case_progression")
    ]
    assert item.detail == "Case progression of Team A every 2 weeks; last held 3 March 2026"
    assert item.rule == "C6"


def test_the_packs_group_formats_are_the_products():
    from casework.models import GroupSession
    from oversight.policy.packs import GROUP_FORMATS

    assert set(GROUP_FORMATS) == set(GroupSession.Format.values)
    assert set(standards.FORMAT_NAMES) == set(GROUP_FORMATS)


# --- How long a child's case notes are kept (the child's record, not the worker's file) ------


@pytest.mark.parametrize("pack", [KENT, SURREY, P002])
@pytest.mark.parametrize(
    ("born", "in_care", "kept_until", "why"),
    [
        (date(2015, 6, 3), False, date(2040, 6, 3), "the child's 25th birthday"),
        # Born on 29 February: the 25th birthday in a year without one is the 28th.
        (date(2016, 2, 29), False, date(2041, 2, 28), "the child's 25th birthday"),
        (
            date(2015, 6, 3),
            True,
            date(2090, 6, 3),
            "75 years from the date of birth of a child who has been looked after",
        ),
        (date(2015, 6, 3), None, None, None),
    ],
)
def test_case_notes_kept_until_the_25th_birthday_or_75_years_for_a_child_in_care(
    pack, born, in_care, kept_until, why
):
    found = standards.case_notes_kept_until(pack, born if in_care is not None else None, in_care)
    if kept_until is None:
        assert found is None
    else:
        assert (found.day, found.why) == (kept_until, why)


def test_case_note_retention_is_a_pack_setting():
    from dataclasses import replace

    from oversight.policy.packs import CaseNoteRetention

    longer = replace(KENT, case_note_retention=CaseNoteRetention(until_age=30, in_care_years=100))
    found = standards.case_notes_kept_until(longer, date(2015, 6, 3), False)
    assert (found.day, found.why) == (date(2045, 6, 3), "the child's 30th birthday")
    found = standards.case_notes_kept_until(longer, date(2015, 6, 3), True)
    assert found.day == date(2115, 6, 3)
    none = replace(KENT, case_note_retention=None)
    assert standards.case_notes_kept_until(none, date(2015, 6, 3), True) is None


@pytest.mark.parametrize(
    ("pack", "category", "minutes", "limit"),
    [
        (KENT, "asye", 90, None),
        (KENT, "asye", 91, 90),
        (KENT, "asye", 120, 90),
        (KENT, "practitioner", 120, None),  # 004 sets it for ASYEs' regular supervision
        (SURREY, "asye", 120, None),
        (P002, "asye", 120, None),
    ],
)
def test_f6_asye_sessions_up_to_an_hour_and_a_half_seed_004(pack, category, minutes, limit):
    assert standards.session_too_long(pack, category, minutes) == limit
