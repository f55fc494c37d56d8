"""The children's rules (C1-C6) as tables of dates: a pack and plain facts in, due items out.
No database, no clock: every moment is a parameter. Each test cites its DOMAIN rule and seed.
The staff's rules are in test_due.py."""

from datetime import UTC, date, datetime, timedelta

import pytest

from casework import rules as case_rules
from oversight.policy import due
from oversight.policy.due import ChildFacts, RiskChange
from oversight.policy.packs import Interval
from tests.oversight.policy.tables import KENT, P002, SURREY, at, items_of

# Children: C1-C6


ALLOCATED = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def child(service="social_work", **facts):
    return ChildFacts(reference="C-1001", service=service, allocated_at=ALLOCATED, **facts)


def case_item(pack, facts, moment, about="cycle"):
    found = [i for i in due.child_items(pack, facts, moment) if i.about == about]
    return found[0] if found else None


@pytest.mark.parametrize(
    ("pack", "discussed", "expected"),
    [
        (KENT, (), date(2026, 4, 5)),  # C1: 90 days from allocation, 004
        (KENT, (datetime(2026, 2, 10, 9, tzinfo=UTC),), date(2026, 5, 11)),
        (KENT, (datetime(2025, 12, 1, 9, tzinfo=UTC),), date(2026, 4, 5)),  # before allocation
        (SURREY, (), date(2026, 4, 5)),  # C1: 3 months, 001 Figure 2
        (SURREY, (datetime(2026, 1, 31, 9, tzinfo=UTC),), date(2026, 4, 30)),
        (P002, (datetime(2026, 2, 10, 9, tzinfo=UTC),), date(2026, 5, 11)),
    ],
)
def test_c1_every_child_discussed_every_90_days_seed_004_or_3_months_seed_001(
    pack, discussed, expected
):
    item = case_item(pack, child(discussions=discussed), at(2026, 3, 1))
    assert item.kind == "case_review_overdue"
    assert item.due == expected
    assert item.subject == "child" and item.reference == "C-1001"


@pytest.mark.parametrize(
    ("pack", "allocated", "expected"),
    [
        (SURREY, datetime(2025, 11, 30, 9, tzinfo=UTC), date(2026, 2, 28)),
        (SURREY, datetime(2027, 11, 30, 9, tzinfo=UTC), date(2028, 2, 29)),
        (KENT, datetime(2027, 12, 1, 9, tzinfo=UTC), date(2028, 2, 29)),
    ],
)
def test_c1_month_ends_and_leap_years_seed_001_004(pack, allocated, expected):
    facts = ChildFacts(reference="C-1", service="early_help", allocated_at=allocated)
    assert due.case_review_due(pack, facts, at(2028, 1, 1)) == expected


@pytest.mark.parametrize(
    ("moment", "state"), [(at(2026, 4, 5, 23, 59), "due_soon"), (at(2026, 4, 6, 0, 0), "overdue")]
)
def test_c1_case_review_overdue_from_the_next_day_seed_004(moment, state):
    assert case_item(KENT, child(), moment).state == state


# The same answers as casework/rules.py under Kent's pack, so it can delegate.
CASEWORK_ROWS = [
    (date(2026, 1, 5), None, "social_work", "", ""),
    (date(2026, 1, 5), date(2026, 2, 10), "social_work", "", ""),
    (date(2026, 2, 1), date(2026, 1, 10), "early_help", "", ""),
    (date(2026, 1, 5), date(2026, 2, 27), "youth_justice", "high", ""),
    (date(2026, 1, 5), date(2026, 2, 27), "youth_justice", "medium", "low"),
    (date(2026, 1, 5), date(2026, 2, 27), "youth_justice", "low", "very_high"),
    (date(2026, 1, 5), date(2026, 2, 27), "youth_justice", "low", "low"),
    (date(2026, 1, 5), date(2026, 2, 27), "youth_justice", "", ""),
    (date(2026, 1, 5), None, "social_work", "very_high", ""),
    (date(2027, 12, 1), None, "social_work", "", ""),
]


@pytest.mark.parametrize(("allocated_on", "last", "service", "harm", "wellbeing"), CASEWORK_ROWS)
def test_c1_c2_kent_pack_agrees_with_casework_rules_seed_004(
    allocated_on, last, service, harm, wellbeing
):
    assert due.cycle_days(KENT, service, harm, wellbeing) == case_rules.cycle_days(
        service, harm, wellbeing, pack=KENT
    )
    kwargs = {
        "allocated_on": allocated_on,
        "last_discussed_on": last,
        "service": service,
        "serious_harm": harm,
        "safety_wellbeing": wellbeing,
    }
    assert due.discussion_due_on(KENT, **kwargs) == case_rules.discussion_due_on(
        **kwargs, pack=KENT
    )


def test_c1_cycle_in_months_has_no_day_count_seed_001():
    with pytest.raises(ValueError, match="months"):
        due.cycle_days(SURREY, "social_work")
    assert due.case_cycle(SURREY, "social_work") == Interval(3, "months")


def test_c3_c5_kent_pack_agrees_with_casework_rules_seed_004():
    allocated = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
    for discussed, now in [
        (datetime(2026, 3, 6, 14, 30, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)),
        (datetime(2026, 3, 6, 14, 31, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)),
        (None, datetime(2026, 3, 6, 9, tzinfo=UTC)),
        (None, datetime(2026, 3, 6, 15, tzinfo=UTC)),
    ]:
        ours = due.allocation_check(KENT, allocated, discussed)
        theirs = case_rules.allocation_check(allocated, discussed, pack=KENT)
        assert ours.due_by == theirs.due_by
        assert ours.discussed_in_time is theirs.discussed_in_time
        assert ours.overdue(now) is theirs.overdue(now)
    transfer = date(2026, 4, 5)
    assert due.transfer_supervision_window(KENT, transfer) == (
        case_rules.transfer_supervision_window(transfer, pack=KENT)
    )
    for discussed in (
        [date(2026, 3, 8)],
        [date(2026, 3, 22), date(2026, 3, 10)],
        [date(2026, 3, 7)],
    ):
        assert due.held_in_transfer_window(KENT, transfer, discussed) == (
            case_rules.held_in_transfer_window(transfer, discussed, pack=KENT)
        )


# C2: risk changes (youth justice, 004)

LAST = (datetime(2026, 2, 1, 11, tzinfo=UTC),)
LOW = RiskChange(date(2026, 1, 5), "serious_harm", "low")


@pytest.mark.parametrize(
    ("levels", "moment", "expected"),
    [
        ((LOW,), at(2026, 3, 25), date(2026, 5, 2)),  # low: 90 days from 1 February
        # A rise from low to high shortens the next due date: 30 days from the last discussion...
        (
            (LOW, RiskChange(date(2026, 2, 20), "serious_harm", "high")),
            at(2026, 3, 1),
            date(2026, 3, 3),
        ),
        # ...but never earlier than the day of the rise.
        (
            (LOW, RiskChange(date(2026, 3, 20), "serious_harm", "high")),
            at(2026, 3, 25),
            date(2026, 3, 20),
        ),
        (
            (LOW, RiskChange(date(2026, 2, 20), "serious_harm", "medium")),
            at(2026, 3, 1),
            date(2026, 4, 2),
        ),
        # The higher of the two scales sets it.
        (
            (LOW, RiskChange(date(2026, 2, 20), "safety_wellbeing", "very_high")),
            at(2026, 3, 1),
            date(2026, 3, 3),
        ),
        # Back down: the longer cycle from the last discussion.
        (
            (
                LOW,
                RiskChange(date(2026, 2, 20), "serious_harm", "high"),
                RiskChange(date(2026, 3, 1), "serious_harm", "low"),
            ),
            at(2026, 3, 25),
            date(2026, 5, 2),
        ),
        # A rise after the moment is not yet known.
        (
            (LOW, RiskChange(date(2026, 3, 20), "serious_harm", "high")),
            at(2026, 3, 19),
            date(2026, 5, 2),
        ),
        # Unrated youth justice counts as high until rated.
        ((), at(2026, 2, 10), date(2026, 3, 3)),
        # A RAG rating does not grade the youth justice cycle.
        ((LOW, RiskChange(date(2026, 2, 20), "rag", "red")), at(2026, 3, 1), date(2026, 5, 2)),
    ],
)
def test_c2_rise_in_risk_shortens_the_next_due_date_seed_004(levels, moment, expected):
    facts = child("youth_justice", levels=levels, discussions=LAST)
    assert due.case_review_due(KENT, facts, moment) == expected


def test_c2_rise_in_risk_is_overdue_the_day_after_the_rise_seed_004():
    facts = child(
        "youth_justice",
        levels=(LOW, RiskChange(date(2026, 3, 20), "serious_harm", "high")),
        discussions=LAST,
    )
    assert case_item(KENT, facts, at(2026, 3, 20)).state == "due_soon"
    assert case_item(KENT, facts, at(2026, 3, 21)).state == "overdue"


def test_c2_levels_do_not_grade_other_services_seed_004():
    facts = child(
        "social_work", levels=(RiskChange(date(2026, 2, 20), "serious_harm", "very_high"),)
    )
    assert due.case_review_due(KENT, facts, at(2026, 3, 1)) == date(2026, 4, 5)


# C3: new allocations within 24 hours, at the exact moment


ALLOCATED_AT = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
DUE_BY = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("facts", "moment", "expected"),
    [
        ({}, datetime(2026, 3, 6, 9, tzinfo=UTC), "due_soon"),
        ({}, DUE_BY, "due_soon"),  # exactly 24 hours is in time
        ({}, DUE_BY + timedelta(minutes=1), "overdue"),
        (
            {"allocation_discussed_at": datetime(2026, 3, 5, 16, tzinfo=UTC)},
            DUE_BY + timedelta(days=1),
            None,
        ),
        (
            {"discussions": (datetime(2026, 3, 6, 10, tzinfo=UTC),)},
            DUE_BY + timedelta(days=1),
            None,
        ),
        # Discussed late: overdue until then, resolved after.
        (
            {"discussions": (datetime(2026, 3, 6, 16, tzinfo=UTC),)},
            DUE_BY + timedelta(minutes=1),
            "overdue",
        ),
        (
            {"discussions": (datetime(2026, 3, 6, 16, tzinfo=UTC),)},
            datetime(2026, 3, 6, 16, tzinfo=UTC),
            None,
        ),
        # A discussion before this allocation is not about it.
        (
            {"discussions": (datetime(2026, 3, 1, 10, tzinfo=UTC),)},
            DUE_BY + timedelta(minutes=1),
            "overdue",
        ),
    ],
)
def test_c3_new_allocation_discussed_within_24_hours_seed_004(facts, moment, expected):
    child_facts = ChildFacts("C-7", "social_work", allocated_at=ALLOCATED_AT, **facts)
    found = items_of("allocation_not_discussed", due.child_items(KENT, child_facts, moment))
    assert [i.state for i in found] == ([expected] if expected else [])
    for item in found:
        assert item.due == DUE_BY
        assert item.overdue_from == DUE_BY


def test_c3_not_a_rule_of_surrey_seed_001():
    facts = ChildFacts("C-7", "social_work", allocated_at=ALLOCATED_AT)
    moment = DUE_BY + timedelta(days=2)
    assert items_of("allocation_not_discussed", due.child_items(SURREY, facts, moment)) == []


# C4: supervision before closure


@pytest.mark.parametrize(
    ("pack", "discussions", "groups", "moment", "expected"),
    [
        (KENT, (datetime(2026, 3, 10, 9, tzinfo=UTC),), (), at(2026, 3, 21), None),
        (KENT, (datetime(2026, 3, 20, 9, tzinfo=UTC),), (), at(2026, 3, 21), None),  # closing day
        (KENT, (), (), at(2026, 3, 20), "due_soon"),
        (KENT, (), (), at(2026, 3, 21), "overdue"),
        # Only the closing service's discussions count: this one was in the earlier service.
        (KENT, (datetime(2026, 1, 15, 9, tzinfo=UTC),), (), at(2026, 3, 21), "overdue"),
        # After closure is too late.
        (KENT, (datetime(2026, 3, 23, 9, tzinfo=UTC),), (), at(2026, 3, 24), "overdue"),
        # Group case supervision is formal supervision under 004.
        (KENT, (), (datetime(2026, 3, 2, 9, tzinfo=UTC),), at(2026, 3, 21), None),
        (SURREY, (), (), at(2026, 3, 21), None),  # not a rule of 001
    ],
)
def test_c4_formal_supervision_before_closure_seed_004(pack, discussions, groups, moment, expected):
    facts = child(
        service_since=date(2026, 2, 1),
        discussions=discussions,
        group_discussions=groups,
        closed_on=date(2026, 3, 20),
    )
    items = due.child_items(pack, facts, moment)
    assert [i.state for i in items_of("closure_without_supervision", items)] == (
        [expected] if expected else []
    )
    assert items_of("case_review_overdue", items) == []  # a closed child has no cycle


def test_c4_child_closing_later_still_has_its_cycle_seed_004():
    facts = child(service_since=date(2026, 2, 1), closed_on=date(2026, 3, 20))
    kinds = [i.kind for i in due.child_items(KENT, facts, at(2026, 3, 19))]
    assert "case_review_overdue" in kinds
    assert "closure_without_supervision" not in kinds


# C6: group case supervision


@pytest.mark.parametrize(
    ("groups", "one_to_one", "moment", "expected"),
    [
        ((), (), at(2026, 1, 20), (date(2026, 2, 28), "not_yet_due")),
        (
            (datetime(2026, 1, 15, 10, tzinfo=UTC),),
            (),
            at(2026, 2, 28),
            (date(2026, 2, 28), "due_soon"),
        ),
        (
            (datetime(2026, 1, 15, 10, tzinfo=UTC),),
            (),
            at(2026, 3, 1),
            (date(2026, 2, 28), "overdue"),
        ),
        # Discussed in February: March is the next calendar month that needs one.
        (
            (datetime(2026, 1, 15, 10, tzinfo=UTC), datetime(2026, 2, 26, 10, tzinfo=UTC)),
            (),
            at(2026, 3, 1),
            (date(2026, 3, 31), "not_yet_due"),
        ),
        # A 1:1 case discussion that month meets it as well.
        (
            (datetime(2026, 1, 15, 10, tzinfo=UTC),),
            (datetime(2026, 2, 3, 10, tzinfo=UTC),),
            at(2026, 3, 1),
            (date(2026, 3, 31), "not_yet_due"),
        ),
    ],
)
def test_c6_each_family_in_group_supervision_monthly_seed_001(groups, one_to_one, moment, expected):
    facts = child(in_group_supervision=True, group_discussions=groups, discussions=one_to_one)
    item = case_item(SURREY, facts, moment, about="group")
    assert (item.due, item.state) == expected
    assert item.kind == "case_review_overdue" and item.rule == "C6"


def test_c6_group_discussion_counts_for_the_case_cycle_seed_001_not_seed_002():
    """001 §3.1: a child discussed in group supervision that month is not also discussed 1:1.
    002 §General 2: group supervision must not replace one-to-one supervision."""
    facts = child(
        in_group_supervision=True,
        group_discussions=(
            datetime(2026, 1, 15, 10, tzinfo=UTC),
            datetime(2026, 2, 12, 10, tzinfo=UTC),
        ),
    )
    assert case_item(SURREY, facts, at(2026, 3, 1)).due == date(2026, 5, 12)
    assert case_item(P002, facts, at(2026, 3, 1)).due == date(2026, 4, 5)


def test_c6_no_group_cycle_outside_group_supervision_or_under_kent_seed_001_004():
    assert case_item(SURREY, child(), at(2026, 3, 1), about="group") is None
    assert case_item(KENT, child(in_group_supervision=True), at(2026, 3, 1), about="group") is None


def test_child_without_allocation_or_service_date_has_no_cycle():
    assert due.child_items(KENT, ChildFacts("C-9", "early_help"), at(2026, 3, 1)) == []


def test_child_allocated_after_the_moment_has_nothing_due_yet():
    facts = child(in_group_supervision=True)
    assert due.child_items(KENT, facts, at(2026, 1, 4)) == []
    assert due.child_items(SURREY, facts, at(2026, 1, 4)) == []


def test_unknown_service_is_refused():
    with pytest.raises(ValueError, match="Unknown service"):
        due.child_items(KENT, child("adult_social_care"), at(2026, 3, 1))
