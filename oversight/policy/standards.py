"""The standards the councils set beside the supervision interval, as due items: the monthly
hour of support (F6), dates agreed months ahead (S3), a wellbeing plan (Q5), a team's group
supervision (C6, Kent's formats) and joint supervision before a transfer (C5). Plain functions
of facts and dates, like `due`, which calls them; each number comes from the pack, and a pack
without the setting has no such rule.

Each item is shaped so that it changes only when a fact takes effect or a due date passes, the
two moments the flag sweep looks at (oversight.flags.sync._walk):
- F6's item for a short month stays overdue until the next month's minutes are held, or until
  that month ends short itself (its own item falling overdue then replaces it).
- S3's item falls due on the last day the planned dates still reach far enough ahead.
- C5's item ends with the transfer day, which is one of the child's facts' moments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from oversight.policy.packs import PolicyPack, add_months_clamped, end_of_month, last_day

SUPPORT_TIME_SHORT = "support_time_short"
SESSIONS_NOT_PLANNED_AHEAD = "sessions_not_planned_ahead"
WELLBEING_PLAN_DUE = "wellbeing_plan_due"
GROUP_SUPERVISION_OVERDUE = "group_supervision_overdue"
TRANSFER_NOT_PREPARED = "transfer_not_prepared"
PERSON_KINDS = (
    SUPPORT_TIME_SHORT,
    SESSIONS_NOT_PLANNED_AHEAD,
    WELLBEING_PLAN_DUE,
    GROUP_SUPERVISION_OVERDUE,
)
CHILD_KINDS = (TRANSFER_NOT_PREPARED,)


@dataclass(frozen=True)
class PlannedSession:
    """A session on the calendar: the day it is for, the day it was put there, and the day it
    was cancelled, if it was."""

    on: date
    planned_on: date
    cancelled_on: date | None = None


@dataclass(frozen=True)
class WellbeingPlanFacts:
    agreed_on: date
    review_on: date


@dataclass(frozen=True)
class TeamGroups:
    """The group supervision a team has held, for the team's manager: (format, day) pairs."""

    unit: str
    unit_id: int
    held: tuple[tuple[str, date], ...] = ()


FORMAT_NAMES = {
    "team_meeting": "Team meeting",
    "appreciative_inquiry": "Appreciative inquiry",
    "case_progression": "Case progression",
    "case_formulation": "Case formulation",
    "family_safeguarding": "Family safeguarding group",
}


@dataclass(frozen=True)
class TransferFacts:
    """A planned move of a child (C5); `ended_on` when it was completed or called off."""

    planned_for: date
    recorded_on: date
    ended_on: date | None = None
    about: str = ""


def when(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _month(day: date) -> date:
    return day.replace(day=1)


def _supervised_whole_month(facts, month: date) -> bool:
    start = facts.relationship_start
    return start is not None and start <= month and facts.start_date <= month


def support_minutes(pack: PolicyPack, facts, month: date, today: date) -> int:
    """F6: minutes of formal supervision held in the calendar month of `month`, up to today."""
    # Held in `month` (its first day): the day's month and year, without making a date.
    return sum(
        session.minutes
        for session in facts.sessions
        if session.held_on.month == month.month
        and session.held_on.year == month.year
        and session.held_on <= today
        and pack.counts_as_formal(session.session_type)
    )


def add_support_time_items(pack: PolicyPack, facts, today: date, *, add: Callable) -> None:
    rule = pack.support_time
    if rule is None or facts.schedule_category not in rule.categories:
        return
    needed = rule.minutes_per_month
    this_month = _month(today)
    last_month = _month(this_month - timedelta(days=1))
    held_now = support_minutes(pack, facts, this_month, today)
    short_now = held_now < needed
    if short_now and _supervised_whole_month(facts, this_month):
        add(
            SUPPORT_TIME_SHORT,
            end_of_month(this_month),
            f"{held_now} of {needed} minutes of supervision held in {this_month:%B %Y}",
            "F6",
            f"{this_month:%Y-%m}",
        )
    held_before = support_minutes(pack, facts, last_month, today)
    if short_now and held_before < needed and _supervised_whole_month(facts, last_month):
        add(
            SUPPORT_TIME_SHORT,
            end_of_month(last_month),
            f"{held_before} of {needed} minutes of supervision held in {last_month:%B %Y}",
            "F6",
            f"{last_month:%Y-%m}",
        )


def planned_reach_ends(last_planned: date, months: int) -> date:
    """S3: the last day on which a calendar planned up to `last_planned` still reaches
    `months` ahead (month ends clamped, as everywhere)."""
    day = add_months_clamped(last_planned, -months)
    while add_months_clamped(day + timedelta(days=1), months) <= last_planned:
        day += timedelta(days=1)
    while add_months_clamped(day, months) > last_planned:
        day -= timedelta(days=1)
    return day


def add_planned_ahead_items(pack: PolicyPack, facts, today: date, *, add: Callable) -> None:
    months = pack.planned_ahead_months
    start = facts.relationship_start
    if months is None or start is None or start > today:
        return
    planned = [
        p.on
        for p in facts.planned
        if p.planned_on <= today and (p.cancelled_on is None or p.cancelled_on > today)
    ]
    first_due = start + timedelta(days=pack.agreement.draw_up_days)
    last = max(planned, default=None)
    if last is None:
        due, detail = first_due, "No supervision dates agreed ahead"
    else:
        due = max(first_due, planned_reach_ends(last, months))
        detail = f"Supervision dates agreed up to {when(last)}"
    add(
        SESSIONS_NOT_PLANNED_AHEAD,
        due,
        f"{detail}; agree them at least {months} months ahead",
        "S3",
    )


def add_wellbeing_plan_items(pack: PolicyPack, facts, today: date, *, add: Callable) -> None:
    rule = pack.wellbeing_plan
    if rule is None or facts.schedule_category not in rule.categories:
        return
    agreed = [plan for plan in facts.wellbeing_plans if plan.agreed_on <= today]
    if not agreed:
        add(
            WELLBEING_PLAN_DUE,
            facts.start_date + timedelta(days=rule.within_days),
            "No wellbeing plan agreed",
            "Q5",
        )
        return
    latest = max(agreed, key=lambda plan: plan.agreed_on)
    add(
        WELLBEING_PLAN_DUE,
        latest.review_on,
        f"Wellbeing plan of {when(latest.agreed_on)} to review",
        "Q5",
    )


def add_group_supervision_items(pack: PolicyPack, facts, today: date, *, add: Callable) -> None:
    """C6, Kent's formats: each team its manager runs holds each format at the pack's pace.
    Team meetings are due from the manager's start; the other formats once the team has held
    its first, since a team need not use every format."""
    if not pack.group_formats:
        return
    for team in facts.team_groups:
        for name, interval in pack.group_formats.items():
            held = [day for kind, day in team.held if kind == name and day <= today]
            if not held and name != "team_meeting":
                continue
            last = max(held, default=None)
            due_on = last_day(last or facts.start_date, interval, pack.monthly_counting)
            since = f"last held {when(last)}" if last else "none held yet"
            add(
                GROUP_SUPERVISION_OVERDUE,
                due_on,
                f"{FORMAT_NAMES.get(name, name)} of {team.unit} {interval.describe()}; {since}",
                "C6",
                f"unit {team.unit_id} {name}",
            )


def transfer_window(pack: PolicyPack, transfer_on: date) -> tuple[date, date]:
    """C5: the days in which to hold joint supervision before a transfer, inclusive."""
    latest, earliest = pack.cases.transfer_window_weeks
    return transfer_on - timedelta(weeks=earliest), transfer_on - timedelta(weeks=latest)


def add_transfer_items(
    pack: PolicyPack, transfers, joint_days, today: date, *, add: Callable
) -> None:
    """C5: a transfer with no joint supervision in its window is flagged from the window's
    last day until a joint supervision is held, or the transfer is made or called off, or its
    day passes. Counted in days: a transfer made at 10:00 ends the item from that day's start,
    so the old worker does not carry it past the moment the child moved."""
    for transfer in transfers:
        if transfer.recorded_on > today or transfer.planned_for < today:
            continue
        if transfer.ended_on is not None and transfer.ended_on <= today:
            continue
        earliest, latest = transfer_window(pack, transfer.planned_for)
        if any(earliest <= day <= min(today, transfer.planned_for) for day in joint_days):
            continue
        add(
            TRANSFER_NOT_PREPARED,
            latest,
            f"Transfer on {when(transfer.planned_for)}: joint supervision due between "
            f"{when(earliest)} and {when(latest)}",
            "C5",
            transfer.about or transfer.planned_for.isoformat(),
        )


@dataclass(frozen=True)
class KeptUntil:
    day: date
    why: str


def case_notes_kept_until(
    pack: PolicyPack, date_of_birth: date | None, been_in_care: bool
) -> KeptUntil | None:
    """How long a child's case notes are kept: they are the child's record, not the worker's
    file, so they outlive any member of staff's (oversight.records_management.retention keeps
    them when a file is destroyed). None without a date of birth, or a pack without the rule."""
    rule = pack.case_note_retention
    if rule is None or date_of_birth is None:
        return None
    if been_in_care:
        day = add_months_clamped(date_of_birth, 12 * rule.in_care_years)
        return KeptUntil(day, f"{rule.in_care_years} years from the date of birth of a child "
                         "who has been looked after")  # fmt: skip
    day = add_months_clamped(date_of_birth, 12 * rule.until_age)
    return KeptUntil(day, f"the child's {_ordinal(rule.until_age)} birthday")


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def session_too_long(pack: PolicyPack, category: str, minutes: int) -> int | None:
    """F6: the longest a session of someone in `category` runs under the pack, when this one
    runs longer; None when it does not, or the pack sets no limit for them."""
    longest = (pack.session_max_minutes or {}).get(category)
    return longest if longest is not None and minutes > longest else None
