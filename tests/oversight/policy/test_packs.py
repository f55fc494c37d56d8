"""Policy packs as data: the three shipped packs, the choices the seeds leave
open, and a broken pack refused with the path of each problem. No database."""

import copy
import json
from datetime import date

import pytest

from oversight.policy import packs
from oversight.policy.packs import (
    Interval,
    PackError,
    agreement_interval_problem,
    at_least_as_frequent,
    interval_bounds,
    interval_from_agreement,
    load_pack,
    pack_in_force,
    pack_to_dict,
    shipped_packs,
)

SHIPPED = shipped_packs()
KENT, SURREY, P002 = SHIPPED["kent"], SHIPPED["surrey"], SHIPPED["policy-002"]


def kent_data():
    return copy.deepcopy(pack_to_dict(KENT))


def errors_of(data) -> list[str]:
    with pytest.raises(PackError) as caught:
        load_pack(data)
    return caught.value.errors


# The shipped packs


def test_three_packs_ship_from_the_seeds_001_002_004():
    assert set(SHIPPED) == {"kent", "surrey", "policy-002"}
    assert sorted(p.name for p in packs.PACKS_DIR.glob("*.json")) == [
        "kent.json",
        "surrey.json",
        "unnamed_002.json",
    ]


@pytest.mark.parametrize("code", ["kent", "surrey", "policy-002"])
def test_shipped_pack_round_trips_through_its_dictionary(code):
    pack = SHIPPED[code]
    assert load_pack(pack_to_dict(pack)) == pack
    assert load_pack(json.loads(json.dumps(pack_to_dict(pack)))) == pack


@pytest.mark.parametrize("code", ["kent", "surrey", "policy-002"])
def test_shipped_pack_never_counts_ad_hoc_as_formal_s6(code):
    assert "ad_hoc" not in SHIPPED[code].formal_session_types
    assert not SHIPPED[code].counts_as_formal("ad_hoc")


@pytest.mark.parametrize("code", ["kent", "surrey", "policy-002"])
def test_every_note_cites_a_seed(code):
    pack = SHIPPED[code]
    assert pack.notes
    for key, text in pack.notes.items():
        assert any(seed in text for seed in ("001", "002", "003", "004", "Seeds silent")), key


def test_kent_is_seed_004_issued_january_2024():
    assert KENT.effective_from == date(2024, 1, 1)
    assert "004" in KENT.source


def test_mirrored_choices_match_the_models():
    """packs.py never imports a model; its copies of the choices must not drift."""
    from casework.models import RiskLevel, Service
    from supervision.models import JobRole, SessionType

    assert set(packs.JOB_ROLE_CATEGORIES) == set(JobRole.Category.values)
    assert set(packs.SESSION_TYPES) == set(SessionType.values)
    assert set(packs.SERVICES) == set(Service.values)
    assert set(packs.RISK_LEVELS) == set(RiskLevel.values)


def _phases(pack, category):
    return [
        (p.interval.every, p.interval.unit, p.until_weeks, p.until_months, p.until_agreed)
        for p in pack.intervals[category].phases
    ]


# Each choice the seeds leave open: its value, and a note saying why.
CHOICES = [
    # F2 (002 §General 7, 004 timescales): the two seeds disagree on the second phase.
    (
        "kent",
        "intervals.asye",
        lambda p: _phases(p, "asye"),
        [
            (1, "weeks", 6, None, False),
            (2, "weeks", None, 6, False),
            (1, "months", None, None, False),
        ],
    ),
    (
        "policy-002",
        "intervals.asye",
        lambda p: _phases(p, "asye"),
        [
            (1, "weeks", 6, None, False),
            (2, "weeks", None, 12, False),
            (1, "months", None, None, False),
        ],
    ),
    ("surrey", "intervals.asye", lambda p: _phases(p, "asye"), [(1, "months", None, None, False)]),
    # F3 (004): fortnightly from an agreed point.
    (
        "kent",
        "intervals.student",
        lambda p: _phases(p, "student"),
        [(1, "weeks", None, None, True), (2, "weeks", None, None, False)],
    ),
    (
        "surrey",
        "intervals.student",
        lambda p: p.intervals["student"].settled,
        Interval(1, "months"),
    ),
    (
        "policy-002",
        "intervals.student",
        lambda p: p.intervals["student"].settled,
        Interval(1, "months"),
    ),
    # F4 (001 §3.1.3), F5 (001 §3.1.4: 4-6 weeks -> overdue after 6).
    (
        "surrey",
        "intervals.independent",
        lambda p: p.intervals["independent"].settled,
        Interval(4, "weeks"),
    ),
    (
        "kent",
        "intervals.independent",
        lambda p: p.intervals["independent"].settled,
        Interval(1, "months"),
    ),
    ("surrey", "intervals.manager", lambda p: p.intervals["manager"].settled, Interval(6, "weeks")),
    (
        "surrey",
        "intervals.senior_manager",
        lambda p: p.intervals["senior_manager"].settled,
        Interval(6, "weeks"),
    ),
    (
        "policy-002",
        "intervals.manager",
        lambda p: p.intervals["manager"].settled,
        Interval(1, "months"),
    ),
    ("kent", "intervals.manager", lambda p: p.intervals["manager"].settled, Interval(1, "months")),
    ("kent", "intervals.support", lambda p: p.intervals["support"].settled, Interval(1, "months")),
    # Monthly: rolling or calendar.
    ("kent", "monthly_counting", lambda p: p.monthly_counting, "rolling"),
    ("surrey", "monthly_counting", lambda p: p.monthly_counting, "calendar"),
    ("policy-002", "monthly_counting", lambda p: p.monthly_counting, "rolling"),
    # S6 and which types count.
    ("kent", "formal_session_types", lambda p: "case" in p.formal_session_types, False),
    ("surrey", "formal_session_types", lambda p: "case" in p.formal_session_types, False),
    ("policy-002", "formal_session_types", lambda p: "case" in p.formal_session_types, True),
    # R6 (001 §4.1) adopted where silent; R7/R8 sign-off chosen.
    ("kent", "record_working_days", lambda p: p.record_working_days, 2),
    ("policy-002", "record_working_days", lambda p: p.record_working_days, 2),
    ("kent", "signoff_working_days", lambda p: p.signoff_working_days, 5),
    ("surrey", "signoff_working_days", lambda p: p.signoff_working_days, 10),
    ("policy-002", "signoff_working_days", lambda p: p.signoff_working_days, 10),
    # Reminders before things fall due: the seeds are silent, the product's default.
    *(
        (
            code,
            "reminder_working_days",
            lambda p: dict(p.reminder_working_days),
            {"session": 3, "record": 1, "signoff": 1},
        )
        for code in ("kent", "surrey", "policy-002")
    ),
    # A1, A2, F7.
    ("kent", "agreement.at_first_session", lambda p: p.agreement.at_first_session, True),
    ("surrey", "agreement.at_first_session", lambda p: p.agreement.at_first_session, False),
    ("surrey", "agreement.draw_up_days", lambda p: p.agreement.draw_up_days, 28),
    ("policy-002", "agreement.review_months", lambda p: p.agreement.review_months, 12),
    ("kent", "agreement.less_frequent_allowed", lambda p: p.agreement.less_frequent_allowed, False),
    # S4 (001 §5.5) adopted where silent; S5: 001's own two numbers.
    ("kent", "cancellation_reschedule_days", lambda p: p.cancellation_reschedule_days, 14),
    ("surrey", "cover_after_days", lambda p: p.cover_after_days, 14),
    ("kent", "cover_after_days", lambda p: p.cover_after_days, 28),
    # C1-C6.
    ("surrey", "cases.review", lambda p: p.cases.review["social_work"], Interval(3, "months")),
    ("kent", "cases.review", lambda p: p.cases.review["social_work"], Interval(90, "days")),
    ("policy-002", "cases.review", lambda p: p.cases.review["early_help"], Interval(90, "days")),
    (
        "kent",
        "cases.risk_review.youth_justice",
        lambda p: p.cases.risk_review["youth_justice"].unrated,
        "high",
    ),
    ("surrey", "cases.allocation_hours", lambda p: p.cases.allocation_hours, None),
    ("surrey", "cases.closure_rule", lambda p: p.cases.closure_rule, False),
    ("surrey", "cases.group", lambda p: p.cases.group, Interval(1, "months")),
    ("kent", "cases.group", lambda p: p.cases.group, None),
    (
        "policy-002",
        "cases.group_counts_as_case_supervision",
        lambda p: p.cases.group_counts_as_case_supervision,
        False,
    ),
    (
        "kent",
        "cases.group_counts_as_case_supervision",
        lambda p: p.cases.group_counts_as_case_supervision,
        True,
    ),
    # Q1-Q3.
    (
        "kent",
        "observations",
        lambda p: (p.observations.per_year, p.observations.categories),
        (2, ("practitioner", "asye")),
    ),
    ("surrey", "observations", lambda p: p.observations, None),
    ("surrey", "development_conversations", lambda p: p.development_conversations.per_year, 4),
    ("policy-002", "development_conversations", lambda p: p.development_conversations, None),
    ("kent", "probation_review_months", lambda p: p.probation_review_months, (1, 4, 5)),
    ("surrey", "probation_review_months", lambda p: p.probation_review_months, ()),
    ("kent", "effective_from", lambda p: p.effective_from, date(2024, 1, 1)),
    ("surrey", "effective_from", lambda p: p.effective_from, date(2020, 1, 1)),
]


@pytest.mark.parametrize(("code", "note", "value", "expected"), CHOICES)
def test_choice_left_open_by_the_seeds_is_made_and_noted(code, note, value, expected):
    pack = SHIPPED[code]
    assert value(pack) == expected
    assert note in pack.notes, f"{code} does not explain {note}"


# A broken pack is refused, naming the field


def test_phase_out_of_order_names_the_field():
    data = kent_data()
    data["intervals"]["asye"]["phases"] = [
        {"every": 1, "unit": "weeks", "until_weeks": 6},
        {"every": 2, "unit": "weeks", "until_weeks": 4},
        {"every": 1, "unit": "months"},
    ]
    assert errors_of(data) == [
        "intervals.asye.phases[1].until_weeks: must be after the previous phase"
    ]


def test_phase_in_months_before_a_phase_in_weeks_is_out_of_order():
    """1 month can be 31 days: a phase ending at 4 weeks does not come after it."""
    data = kent_data()
    data["intervals"]["asye"]["phases"] = [
        {"every": 1, "unit": "weeks", "until_months": 1},
        {"every": 2, "unit": "weeks", "until_weeks": 4},
        {"every": 1, "unit": "months"},
    ]
    assert errors_of(data) == [
        "intervals.asye.phases[1].until_weeks: must be after the previous phase"
    ]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            lambda d: d["formal_session_types"].append("coffee"),
            "formal_session_types[5]: unknown session type 'coffee'",
        ),
        (
            lambda d: d["formal_session_types"].append("ad_hoc"),
            "formal_session_types[5]: ad hoc supervision never counts as formal (S6)",
        ),
        (lambda d: d.update(record_working_days=-1), "record_working_days: must be 0 or more"),
        (
            lambda d: d["reminder_working_days"].update(session=-1),
            "reminder_working_days.session: must be 0 or more",
        ),
        (
            lambda d: d["reminder_working_days"].update(record="one"),
            "reminder_working_days.record: must be a whole number",
        ),
        (
            lambda d: d["reminder_working_days"].update(signoff=True),
            "reminder_working_days.signoff: must be a whole number",
        ),
        (
            lambda d: d["reminder_working_days"].pop("signoff"),
            "reminder_working_days.signoff: missing",
        ),
        (
            lambda d: d["reminder_working_days"].update(agreement=2),
            "reminder_working_days.agreement: unknown setting",
        ),
        (
            lambda d: d.update(reminder_working_days=None),
            "reminder_working_days: must be an object",
        ),
        (lambda d: d.pop("reminder_working_days"), "reminder_working_days: missing"),
        (
            lambda d: d.update(cancellation_reschedule_days=-14),
            "cancellation_reschedule_days: must be 1 or more",
        ),
        (
            lambda d: d.update(cover_after_days="four weeks"),
            "cover_after_days: must be a whole number",
        ),
        (
            lambda d: d["cases"]["risk_review"]["youth_justice"]["levels"].update(high=-30),
            "cases.risk_review.youth_justice.levels.high: must be 1 or more",
        ),
        (
            lambda d: d["cases"]["review"]["social_work"].update(every=0),
            "cases.review.social_work.every: must be 1 or more",
        ),
        (
            lambda d: d["intervals"]["manager"]["phases"][0].update(unit="fortnights"),
            "intervals.manager.phases[0].unit: must be one of days, weeks, months",
        ),
        (lambda d: d["intervals"].pop("support"), "intervals.support: missing"),
        (lambda d: d.update(colour="blue"), "colour: unknown setting"),
        (
            lambda d: d["intervals"]["practitioner"]["phases"][0].update(until_weeks=6),
            "intervals.practitioner.phases[0].until_weeks: the last phase runs on: it must not end",
        ),
        (
            lambda d: d["intervals"]["student"]["phases"].insert(
                1, {"every": 2, "unit": "weeks", "until_weeks": 12}
            ),
            "intervals.student.phases[1].until_weeks: cannot follow a phase that ends on an "
            "agreed date: only the last phase may",
        ),
        (
            lambda d: d["intervals"]["asye"]["phases"][0].pop("until_weeks"),
            "intervals.asye.phases[0]: must end with exactly one of until_weeks, until_months or "
            "until_agreed",
        ),
        (
            lambda d: d["agreement"].update(less_frequent_allowed=True),
            "agreement.floor: say how infrequent an agreement may go",
        ),
        (
            lambda d: d["agreement"].update(floor={"every": 6, "unit": "weeks"}),
            "agreement.floor: only set a floor when less_frequent_allowed is true",
        ),
        (
            lambda d: d["cases"]["risk_review"]["youth_justice"].update(unrated="unknown"),
            "cases.risk_review.youth_justice.unrated: must be one of the levels above",
        ),
        (
            lambda d: d["cases"]["risk_review"]["youth_justice"]["levels"].update(severe=10),
            "cases.risk_review.youth_justice.levels.severe: unknown risk level",
        ),
        (
            lambda d: d["observations"].update(per_year=5),
            "observations.per_year: must divide the year into whole months (1-4, 6, 12)",
        ),
        (
            lambda d: d["observations"].update(categories=["practitioner", "volunteer"]),
            "observations.categories[1]: unknown job-role category 'volunteer'",
        ),
        (
            lambda d: d.update(probation_review_months=[1, 5, 4]),
            "probation_review_months[2]: must be after the previous review",
        ),
        (lambda d: d.update(effective_from="January 2024"), "effective_from: must be a date"),
        (lambda d: d.update(code="Kent County"), "code: must be lower-case letters"),
        (
            lambda d: d["notes"].update({"intervals.volunteer": "No such role."}),
            "notes.intervals.volunteer: names no setting of this pack",
        ),
        (
            lambda d: d["cases"].update(transfer_window_weeks=[4, 2]),
            "cases.transfer_window_weeks: the latest (first) must not be more weeks",
        ),
    ],
)
def test_broken_pack_is_refused_naming_the_field(change, error):
    data = kent_data()
    change(data)
    errors = errors_of(data)
    assert any(message.startswith(error) for message in errors), errors


def test_every_problem_is_reported_at_once():
    data = kent_data()
    data["record_working_days"] = -2
    data["formal_session_types"] = ["individual", "ad_hoc"]
    data["intervals"]["asye"]["phases"][1]["until_months"] = 1
    errors = errors_of(data)
    assert errors == [
        "intervals.asye.phases[1].until_months: must be after the previous phase",
        "formal_session_types[1]: ad hoc supervision never counts as formal (S6)",
        "record_working_days: must be 0 or more",
    ]
    assert str(PackError(errors)).count(";") == 2


def test_effective_from_may_be_a_date():
    data = kent_data()
    data["effective_from"] = date(2024, 1, 1)
    assert load_pack(data) == KENT


def test_not_a_pack_at_all_is_refused():
    assert errors_of([]) == ["pack: must be an object"]


def test_broken_json_file_is_refused_by_name(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(PackError, match="broken.json: not valid JSON"):
        packs.load_pack_file(path)
    data = kent_data()
    data["due_soon_days"] = -1
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PackError, match="broken.json: due_soon_days: must be 0 or more"):
        packs.load_pack_file(path)


def test_two_shipped_packs_with_one_code_are_refused(tmp_path, monkeypatch):
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(kent_data()), encoding="utf-8")
    monkeypatch.setattr(packs, "PACKS_DIR", tmp_path)
    with pytest.raises(PackError, match="b.json: code 'kent' is used by another pack"):
        shipped_packs()


# Versions


def test_the_version_in_force_on_a_day_is_the_latest_effective_by_then():
    data = kent_data()
    data.update(version=2, effective_from="2026-04-01", record_working_days=3)
    v2 = load_pack(data)
    assert pack_in_force([KENT, v2], date(2026, 3, 31)) is KENT
    assert pack_in_force([KENT, v2], date(2026, 4, 1)) is v2
    assert pack_in_force([KENT, v2], date(2023, 12, 31)) is None


# Intervals and agreements (F7)


@pytest.mark.parametrize(
    ("interval", "bounds"),
    [
        (Interval(90, "days"), (90, 90)),
        (Interval(2, "weeks"), (14, 14)),
        (Interval(1, "months"), (28, 31)),
        (Interval(3, "months"), (89, 92)),
        (Interval(12, "months"), (365, 366)),
    ],
)
def test_interval_bounds(interval, bounds):
    assert interval_bounds(interval) == bounds


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (Interval(2, "weeks"), Interval(1, "months"), True),
        (Interval(4, "weeks"), Interval(1, "months"), True),  # 28 days is the shortest month
        (Interval(5, "weeks"), Interval(1, "months"), False),
        (Interval(1, "months"), Interval(4, "weeks"), False),  # a month can be 31 days
        (Interval(1, "months"), Interval(1, "months"), True),
        (Interval(2, "months"), Interval(1, "months"), False),
        (Interval(30, "days"), Interval(1, "months"), False),
    ],
)
def test_at_least_as_frequent(a, b, expected):
    assert at_least_as_frequent(a, b) is expected


@pytest.mark.parametrize(
    ("a", "b", "rolling", "calendar"),
    [
        # A month by the calendar runs to the end of the next month: from 1 January, 28
        # February, when 6 weeks is 12 February (F7; Surrey counts by the calendar).
        (Interval(1, "months"), Interval(6, "weeks"), True, False),
        (Interval(4, "weeks"), Interval(1, "months"), True, True),
        # From 31 January 5 weeks is 7 March, after the end of February.
        (Interval(5, "weeks"), Interval(1, "months"), False, False),
        (Interval(6, "weeks"), Interval(2, "months"), True, True),
        (Interval(9, "weeks"), Interval(2, "months"), False, False),
        (Interval(1, "months"), Interval(5, "weeks"), True, False),
    ],
)
def test_at_least_as_frequent_on_the_actual_due_dates_as_the_pack_counts(a, b, rolling, calendar):
    assert at_least_as_frequent(a, b, "rolling") is rolling
    assert at_least_as_frequent(a, b, "calendar") is calendar


@pytest.mark.parametrize(
    ("code", "category", "interval", "refused"),
    [
        ("kent", "practitioner", Interval(2, "weeks"), None),
        ("kent", "practitioner", Interval(1, "months"), None),
        ("kent", "practitioner", Interval(6, "weeks"), "less often than Kent County Council's"),
        ("kent", "asye", Interval(1, "months"), None),  # compared with the settled phase
        ("surrey", "independent", Interval(1, "months"), "less often"),  # F4: 4 weeks, Surrey
        ("surrey", "manager", Interval(6, "weeks"), None),  # F5: 4-6 weeks, Surrey's policy
        ("policy-002", "manager", Interval(6, "weeks"), "more frequent supervision, not less"),
    ],
)
def test_f7_agreement_more_frequent_accepted_less_frequent_refused(
    code, category, interval, refused
):
    problem = agreement_interval_problem(SHIPPED[code], category, interval)
    if refused is None:
        assert problem is None
    else:
        assert refused in problem


@pytest.mark.parametrize(
    ("interval", "refused"),
    [
        (Interval(6, "weeks"), None),
        (Interval(2, "months"), "less often than Kent (allowing) allows any agreement to set"),
        (Interval(10, "weeks"), "(every 8 weeks)"),
    ],
)
def test_f7_less_frequent_agreement_allowed_down_to_the_floor(interval, refused):
    data = kent_data()
    data["name"] = "Kent (allowing)"
    data["agreement"].update(less_frequent_allowed=True, floor={"every": 8, "unit": "weeks"})
    pack = load_pack(data)
    problem = agreement_interval_problem(pack, "practitioner", interval)
    if refused is None:
        assert problem is None
    else:
        assert refused in problem


def test_interval_from_agreement_fields():
    assert interval_from_agreement(2, "weeks") == Interval(2, "weeks")
    assert interval_from_agreement(1, "months") == Interval(1, "months")
    assert interval_from_agreement(None, "months") is None
    with pytest.raises(ValueError):
        interval_from_agreement(1, "fortnights")


@pytest.mark.parametrize(
    ("interval", "text"),
    [
        (Interval(1, "months"), "every month"),
        (Interval(2, "weeks"), "every 2 weeks"),
        (Interval(90, "days"), "every 90 days"),
    ],
)
def test_interval_describe(interval, text):
    assert interval.describe() == text


def test_no_reminder_at_all_is_a_valid_choice():
    data = kent_data()
    data["reminder_working_days"] = {"session": 0, "record": 0, "signoff": 0}
    assert dict(load_pack(data).reminder_working_days) == {"session": 0, "record": 0, "signoff": 0}
