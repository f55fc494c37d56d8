"""Policy packs: each organisation's supervision rules as data (the F, C, R, A, S and Q rules).

A pack is plain, frozen data, loaded from a dictionary (a JSON file in `oversight/policy/packs/`, or
later a database row) by `load_pack`, which checks every field and names the path of each
problem, e.g. "intervals.asye.phases[1].until_weeks: must be after the previous phase".
Nothing here touches the database or the clock; `oversight.policy.due` applies a pack to facts.

Choices the councils' policies leave open are written in each pack's `notes`, keyed by the path of
the setting they explain.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

PACKS_DIR = Path(__file__).resolve().parent / "packs"

# Mirrors of the model choices, kept here so this module never imports a model; a test checks
# they still match supervision.models and casework.models.
JOB_ROLE_CATEGORIES = (
    "practitioner",
    "asye",
    "student",
    "independent",
    "manager",
    "senior_manager",
    "support",
)
SESSION_TYPES = (
    "individual",
    "personal_support",
    "case",
    "management",
    "iro_cp_chair",
    "lado",
    "ad_hoc",
    "transition",
    "joint_inter_service",
)
AD_HOC = "ad_hoc"
SERVICES = ("early_help", "social_work", "youth_justice")
# casework.models GroupSession.Format values (tests/oversight/policy/test_packs.py checks it).
GROUP_FORMATS = (
    "team_meeting",
    "appreciative_inquiry",
    "case_progression",
    "case_formulation",
    "family_safeguarding",
)
RISK_LEVELS = ("red", "amber", "green", "very_high", "high", "medium", "low")
UNITS = ("days", "weeks", "months")
MONTHLY_COUNTING = ("rolling", "calendar")
# What people are reminded of before it falls due: the next session (F1-F5), writing up a
# record (R6), signing it off (R7, R8).
REMINDER_KINDS = ("session", "record", "signoff")

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class PackError(ValueError):
    """A pack that cannot be used. `errors` lists every problem, each starting with its path."""

    def __init__(self, errors: Iterable[str]):
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))


# Dates


@lru_cache(maxsize=1 << 14)
def add_months_clamped(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it has no such day:
    31 January + 1 month is 28 February (29 in a leap year)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def end_of_month(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


# Settings


@dataclass(frozen=True)
class Interval:
    """ "Every 2 weeks", "every 1 months", "every 90 days"."""

    every: int
    unit: str  # days | weeks | months

    def describe(self) -> str:
        unit = self.unit[:-1] if self.every == 1 else self.unit
        return f"every {self.every} {unit}" if self.every != 1 else f"every {unit}"

    def to_dict(self) -> dict[str, Any]:
        return {"every": self.every, "unit": self.unit}


@lru_cache(maxsize=256)
def interval_bounds(interval: Interval) -> tuple[int, int]:
    """The fewest and most days the interval can span, whatever day it starts on."""
    if interval.unit == "days":
        return interval.every, interval.every
    if interval.unit == "weeks":
        return 7 * interval.every, 7 * interval.every
    # Four years hold every combination of month lengths and one leap day.
    spans = [
        (add_months_clamped(start, interval.every) - start).days
        for start in (date(2000, 1, 1) + timedelta(days=n) for n in range(1461))
    ]
    return min(spans), max(spans)


def last_day(day: date, interval: Interval, counting: str = "rolling") -> date:
    """The last day of an interval starting on `day`.

    Months are rolling (same day number, clamped: 31 January -> 28 February) or calendar (by
    the end of the calendar month `every` months on: a session in January makes the next due
    by the end of February).
    """
    if interval.unit == "days":
        return day + timedelta(days=interval.every)
    if interval.unit == "weeks":
        return day + timedelta(weeks=interval.every)
    if counting == "calendar":
        return end_of_month(add_months_clamped(day.replace(day=1), interval.every))
    return add_months_clamped(day, interval.every)


@lru_cache(maxsize=1024)
def at_least_as_frequent(a: Interval, b: Interval, counting: str = "rolling") -> bool:
    """Whether `a` never leaves a longer gap than `b`, wherever the gap starts, with months
    counted as the pack counts them (rule F7). Judged on the actual due dates from every day
    of four years (every combination of month lengths and a leap day), never on day counts:
    4 weeks is at least monthly on rolling months (a month is 28 days at fewest), 5 weeks is
    not; where months are counted by the calendar, a month is less frequent than 6 weeks (a
    session on 1 January makes the next due by 28 February, not 12 February)."""
    if a.unit == b.unit:
        return a.every <= b.every
    return all(
        last_day(start, a, counting) <= last_day(start, b, counting)
        for start in (date(2000, 1, 1) + timedelta(days=n) for n in range(1461))
    )


@dataclass(frozen=True)
class Phase:
    """One stretch of a role's schedule. Every phase but the last ends, counted from the
    person's anchor date (ASYE start for `asye`, start date otherwise), after `until_weeks`
    weeks or `until_months` months, or on a date agreed for the person (`until_agreed`, F3)."""

    interval: Interval
    until_weeks: int | None = None
    until_months: int | None = None
    until_agreed: bool = False

    @property
    def open_ended(self) -> bool:
        return self.until_weeks is None and self.until_months is None and not self.until_agreed

    def ends_on(self, anchor: date, agreed_on: date | None) -> date | None:
        """The first day after the phase, or None while it runs on."""
        if self.until_weeks is not None:
            return anchor + timedelta(weeks=self.until_weeks)
        if self.until_months is not None:
            return add_months_clamped(anchor, self.until_months)
        if self.until_agreed:
            return agreed_on
        return None

    def to_dict(self) -> dict[str, Any]:
        data = self.interval.to_dict()
        if self.until_weeks is not None:
            data["until_weeks"] = self.until_weeks
        if self.until_months is not None:
            data["until_months"] = self.until_months
        if self.until_agreed:
            data["until_agreed"] = True
        return data


@dataclass(frozen=True)
class RoleSchedule:
    phases: tuple[Phase, ...]

    @property
    def settled(self) -> Interval:
        """The interval of the last, open-ended phase: what applies once someone is settled."""
        return self.phases[-1].interval


@dataclass(frozen=True)
class AgreementRules:
    review_months: int  # A2
    draw_up_days: int  # A1: days from the start of a supervisory relationship
    at_first_session: bool  # A1 (Kent): drawn up at the first meeting, if that comes sooner
    less_frequent_allowed: bool  # F7: may an agreement set less frequent supervision?
    floor: Interval | None  # the least frequent an agreement may set, when allowed


@dataclass(frozen=True)
class RiskCycle:
    """C2: days between case discussions by risk level; the highest rated level sets it."""

    levels: Mapping[str, int]
    unrated: str  # the level assumed until someone rates the child


@dataclass(frozen=True)
class CaseRules:
    review: Mapping[str, Interval]  # C1, by service
    risk_review: Mapping[str, RiskCycle]  # C2, by service
    allocation_hours: int | None  # C3; None: not a rule of this pack
    closure_rule: bool  # C4
    group: Interval | None  # C6: each child in group supervision at least this often
    group_counts_as_case_supervision: bool  # C6: yes for Surrey, no for the unnamed authority
    transfer_window_weeks: tuple[int, int]  # C5: (latest, earliest) weeks before transfer


@dataclass(frozen=True)
class Schedule:
    """Q1, Q2: so many a year, for some job-role categories."""

    per_year: int
    categories: tuple[str, ...]

    @property
    def interval(self) -> Interval:
        return Interval(12 // self.per_year, "months")


@dataclass(frozen=True)
class SupportTime:
    """F6: so many minutes of formal supervision each calendar month, for some categories."""

    minutes_per_month: int
    categories: tuple[str, ...]


@dataclass(frozen=True)
class CaseNoteRetention:
    """How long a child's case notes are kept: until a birthday, or so many years from birth
    for a child who has been in care."""

    until_age: int
    in_care_years: int


@dataclass(frozen=True)
class WellbeingPlanRule:
    """Q5: a wellbeing plan within so many days of starting, then reviewed by its own date."""

    within_days: int
    categories: tuple[str, ...]


@dataclass(frozen=True)
class PolicyPack:
    code: str
    name: str
    version: int
    effective_from: date
    due_soon_days: int
    monthly_counting: str  # rolling | calendar
    intervals: Mapping[str, RoleSchedule]  # F1-F5, by job-role category
    formal_session_types: tuple[str, ...]  # S6
    record_working_days: int  # R6
    signoff_working_days: int  # R7, R8: from sharing to finalising
    # Working days before each kind of due date (REMINDER_KINDS) that people are told; 0: never.
    reminder_working_days: Mapping[str, int]
    agreement: AgreementRules  # A1, A2, F7
    cancellation_reschedule_days: int  # S4
    cover_after_days: int  # S5
    cases: CaseRules  # C1-C6
    observations: Schedule | None  # Q1
    development_conversations: Schedule | None  # Q2
    probation_review_months: tuple[int, ...]  # Q3
    notes: Mapping[str, str]
    source: str = ""
    # Optional settings: a pack saved before they existed has none, and the rule is off.
    support_time: SupportTime | None = None  # F6
    planned_ahead_months: int | None = None  # S3
    wellbeing_plan: WellbeingPlanRule | None = None  # Q5
    group_formats: Mapping[str, Interval] | None = None  # C6: how often a team holds each
    case_note_retention: CaseNoteRetention | None = None  # the child's record (R11)
    session_max_minutes: Mapping[str, int] | None = None  # F6: the longest session, by category

    def schedule_for(self, category: str) -> RoleSchedule:
        try:
            return self.intervals[category]
        except KeyError:
            raise ValueError(f"Unknown job-role category {category!r}") from None

    def counts_as_formal(self, session_type: str) -> bool:
        return session_type in self.formal_session_types


# Loading and checking


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def keys(
        self, data: Any, path: str, required: Iterable[str], optional: Iterable[str] = ()
    ) -> bool:
        if not isinstance(data, Mapping):
            self.error(path or "pack", "must be an object")
            return False
        required, optional = tuple(required), tuple(optional)
        for key in required:
            if key not in data:
                self.error(_join(path, key), "missing")
        for key in data:
            if key not in required and key not in optional:
                self.error(_join(path, str(key)), "unknown setting")
        return True

    def integer(self, data: Mapping, key: str, path: str, minimum: int) -> int | None:
        value = data.get(key)
        where = _join(path, key)
        if isinstance(value, bool) or not isinstance(value, int):
            if key in data:
                self.error(where, "must be a whole number")
            return None
        if value < minimum:
            self.error(where, f"must be {minimum} or more")
            return None
        return value

    def text(self, data: Mapping, key: str, path: str, *, slug: bool = False) -> str:
        value = data.get(key)
        where = _join(path, key)
        if not isinstance(value, str) or not value.strip():
            if key in data:
                self.error(where, "must be some text")
            return ""
        if slug and not _SLUG.match(value):
            self.error(where, "must be lower-case letters, digits, '-' or '_'")
        return value

    def boolean(self, data: Mapping, key: str, path: str) -> bool:
        value = data.get(key)
        if key in data and not isinstance(value, bool):
            self.error(_join(path, key), "must be true or false")
            return False
        return bool(value)

    def choice(self, data: Mapping, key: str, path: str, choices: Iterable[str]) -> str:
        choices = tuple(choices)
        value = data.get(key)
        if key in data and value not in choices:
            self.error(_join(path, key), f"must be one of {', '.join(choices)}")
            return ""
        return value or ""

    def interval(self, data: Any, path: str, extra: Iterable[str] = ()) -> Interval | None:
        if not self.keys(data, path, ("every", "unit"), extra):
            return None
        every = self.integer(data, "every", path, 1)
        unit = self.choice(data, "unit", path, UNITS)
        if every is None or not unit:
            return None
        return Interval(every, unit)

    def categories(self, data: Any, path: str) -> tuple[str, ...]:
        if not isinstance(data, list) or not data:
            self.error(path, "must be a list of job-role categories")
            return ()
        for index, value in enumerate(data):
            if value not in JOB_ROLE_CATEGORIES:
                self.error(
                    f"{path}[{index}]",
                    f"unknown job-role category {value!r}; use {', '.join(JOB_ROLE_CATEGORIES)}",
                )
        return tuple(data)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


TOP_REQUIRED = (
    "code",
    "name",
    "version",
    "effective_from",
    "due_soon_days",
    "monthly_counting",
    "intervals",
    "formal_session_types",
    "record_working_days",
    "signoff_working_days",
    "reminder_working_days",
    "agreement",
    "cancellation_reschedule_days",
    "cover_after_days",
    "cases",
    "observations",
    "development_conversations",
    "probation_review_months",
    "notes",
)
TOP_OPTIONAL = (
    "source",
    "support_time",
    "planned_ahead_months",
    "wellbeing_plan",
    "group_formats",
    "case_note_retention",
    "session_max_minutes",
)


def load_pack(data: Mapping[str, Any]) -> PolicyPack:
    """A checked pack from its dictionary form; PackError lists every problem by path."""
    check = _Checker()
    if not check.keys(data, "", TOP_REQUIRED, TOP_OPTIONAL):
        raise PackError(check.errors)

    code = check.text(data, "code", "", slug=True)
    name = check.text(data, "name", "")
    version = check.integer(data, "version", "", 1)
    effective_from = _date(check, data, "effective_from")
    due_soon_days = check.integer(data, "due_soon_days", "", 0)
    monthly_counting = check.choice(data, "monthly_counting", "", MONTHLY_COUNTING)
    intervals = _intervals(check, data.get("intervals"))
    formal = _formal_types(check, data.get("formal_session_types"))
    record_days = check.integer(data, "record_working_days", "", 0)
    signoff_days = check.integer(data, "signoff_working_days", "", 0)
    reminders = _reminders(check, data)
    agreement = _agreement(check, data.get("agreement"))
    reschedule_days = check.integer(data, "cancellation_reschedule_days", "", 1)
    cover_days = check.integer(data, "cover_after_days", "", 1)
    cases = _cases(check, data.get("cases"))
    observations = _schedule(check, data.get("observations"), "observations")
    development = _schedule(
        check, data.get("development_conversations"), "development_conversations"
    )
    probation = _probation(check, data.get("probation_review_months"))
    support_time = _support_time(check, data.get("support_time"))
    planned_ahead = (
        check.integer(data, "planned_ahead_months", "", 1)
        if data.get("planned_ahead_months") is not None
        else None
    )
    wellbeing_plan = _wellbeing_plan(check, data.get("wellbeing_plan"))
    group_formats = _group_formats(check, data.get("group_formats"))
    retention = _case_note_retention(check, data.get("case_note_retention"))
    longest = _session_max_minutes(check, data.get("session_max_minutes"))
    notes = _notes(check, data.get("notes"), data)
    source = data.get("source", "")
    if not isinstance(source, str):
        check.error("source", "must be some text")

    if check.errors:
        raise PackError(check.errors)
    return PolicyPack(
        code=code,
        name=name,
        version=version,
        effective_from=effective_from,
        due_soon_days=due_soon_days,
        monthly_counting=monthly_counting,
        intervals=MappingProxyType(intervals),
        formal_session_types=formal,
        record_working_days=record_days,
        signoff_working_days=signoff_days,
        reminder_working_days=MappingProxyType(reminders),
        agreement=agreement,
        cancellation_reschedule_days=reschedule_days,
        cover_after_days=cover_days,
        cases=cases,
        observations=observations,
        development_conversations=development,
        probation_review_months=probation,
        notes=MappingProxyType(notes),
        source=source,
        support_time=support_time,
        planned_ahead_months=planned_ahead,
        wellbeing_plan=wellbeing_plan,
        group_formats=group_formats,
        case_note_retention=retention,
        session_max_minutes=longest,
    )


def _date(check: _Checker, data: Mapping, key: str) -> date | None:
    value = data.get(key)
    if key not in data:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        check.error(key, "must be a date written YYYY-MM-DD")
        return None


def _reminders(check: _Checker, pack: Mapping) -> dict[str, int]:
    path = "reminder_working_days"
    data = pack.get(path)
    if path not in pack or not check.keys(data, path, REMINDER_KINDS):
        return {}  # a missing setting is already reported
    days = {kind: check.integer(data, kind, path, 0) for kind in REMINDER_KINDS}
    return {kind: value for kind, value in days.items() if value is not None}


def _intervals(check: _Checker, data: Any) -> dict[str, RoleSchedule]:
    if not check.keys(data, "intervals", JOB_ROLE_CATEGORIES):
        return {}
    schedules = {}
    for category in JOB_ROLE_CATEGORIES:
        path = f"intervals.{category}"
        if category in data and check.keys(data[category], path, ("phases",)):
            phases = _phases(check, data[category].get("phases"), f"{path}.phases")
            if phases:
                schedules[category] = RoleSchedule(phases)
    return schedules


def _phases(check: _Checker, data: Any, path: str) -> tuple[Phase, ...]:
    if not isinstance(data, list) or not data:
        if data is not None:
            check.error(path, "must be a list of at least one phase")
        return ()
    phases: list[Phase] = []
    previous_end: tuple[int, int] | None = None  # fewest, most days from the anchor
    after_agreed = False
    for index, raw in enumerate(data):
        where = f"{path}[{index}]"
        interval = check.interval(raw, where, ("until_weeks", "until_months", "until_agreed"))
        if not isinstance(raw, Mapping):
            continue
        last = index == len(data) - 1
        ends = [key for key in ("until_weeks", "until_months", "until_agreed") if key in raw]
        if last:
            for key in ends:
                check.error(f"{where}.{key}", "the last phase runs on: it must not end")
        elif len(ends) != 1:
            check.error(
                where, "must end with exactly one of until_weeks, until_months or until_agreed"
            )
        weeks = check.integer(raw, "until_weeks", where, 1) if "until_weeks" in raw else None
        months = check.integer(raw, "until_months", where, 1) if "until_months" in raw else None
        agreed = check.boolean(raw, "until_agreed", where)
        if "until_agreed" in raw and raw["until_agreed"] is False:
            check.error(f"{where}.until_agreed", "leave it out rather than set it to false")
        fixed_key = "until_weeks" if weeks is not None else "until_months"
        fixed = (
            interval_bounds(Interval(weeks, "weeks"))
            if weeks is not None
            else interval_bounds(Interval(months, "months"))
            if months is not None
            else None
        )
        if fixed is not None and not last:
            if after_agreed:
                check.error(
                    f"{where}.{fixed_key}",
                    "cannot follow a phase that ends on an agreed date: only the last phase may",
                )
            elif previous_end is not None and fixed[0] <= previous_end[1]:
                check.error(f"{where}.{fixed_key}", "must be after the previous phase")
            previous_end = fixed
        if agreed:
            after_agreed = True
        if interval is not None:
            phases.append(
                Phase(interval, until_weeks=weeks, until_months=months, until_agreed=agreed)
            )
    return tuple(phases) if len(phases) == len(data) else ()


def _formal_types(check: _Checker, data: Any) -> tuple[str, ...]:
    path = "formal_session_types"
    if not isinstance(data, list) or not data:
        if data is not None:
            check.error(path, "must be a list of at least one session type")
        return ()
    for index, value in enumerate(data):
        if value == AD_HOC:
            check.error(f"{path}[{index}]", "ad hoc supervision never counts as formal (S6)")
        elif value not in SESSION_TYPES:
            check.error(
                f"{path}[{index}]",
                f"unknown session type {value!r}; use {', '.join(SESSION_TYPES)}",
            )
    if len(set(data)) != len(data):
        check.error(path, "lists a session type twice")
    return tuple(data)


def _agreement(check: _Checker, data: Any) -> AgreementRules | None:
    path = "agreement"
    required = (
        "review_months",
        "draw_up_days",
        "at_first_session",
        "less_frequent_allowed",
        "floor",
    )
    if not check.keys(data, path, required):
        return None
    review = check.integer(data, "review_months", path, 1)
    draw_up = check.integer(data, "draw_up_days", path, 0)
    first = check.boolean(data, "at_first_session", path)
    allowed = check.boolean(data, "less_frequent_allowed", path)
    floor = None
    if data.get("floor") is not None:
        floor = check.interval(data["floor"], f"{path}.floor")
        if not allowed:
            check.error(f"{path}.floor", "only set a floor when less_frequent_allowed is true")
    elif allowed:
        check.error(f"{path}.floor", "say how infrequent an agreement may go")
    return AgreementRules(review, draw_up, first, allowed, floor)


def _cases(check: _Checker, data: Any) -> CaseRules | None:
    path = "cases"
    required = (
        "review",
        "risk_review",
        "allocation_hours",
        "closure_rule",
        "group",
        "group_counts_as_case_supervision",
        "transfer_window_weeks",
    )
    if not check.keys(data, path, required):
        return None
    review: dict[str, Interval] = {}
    if check.keys(data.get("review"), f"{path}.review", SERVICES):
        for service in SERVICES:
            if service in data["review"]:
                interval = check.interval(data["review"][service], f"{path}.review.{service}")
                if interval is not None:
                    review[service] = interval
    risk: dict[str, RiskCycle] = {}
    if check.keys(data.get("risk_review"), f"{path}.risk_review", (), SERVICES):
        for service, raw in data["risk_review"].items():
            where = f"{path}.risk_review.{service}"
            if service in SERVICES and check.keys(raw, where, ("levels", "unrated")):
                cycle = _risk_cycle(check, raw, where)
                if cycle is not None:
                    risk[service] = cycle
    hours = None
    if data.get("allocation_hours") is not None:
        hours = check.integer(data, "allocation_hours", path, 1)
    closure = check.boolean(data, "closure_rule", path)
    group = None
    if data.get("group") is not None:
        group = check.interval(data["group"], f"{path}.group")
    counts = check.boolean(data, "group_counts_as_case_supervision", path)
    window = data.get("transfer_window_weeks")
    where = f"{path}.transfer_window_weeks"
    if (
        not isinstance(window, list)
        or len(window) != 2
        or not all(isinstance(w, int) and not isinstance(w, bool) and w >= 0 for w in window)
    ):
        if "transfer_window_weeks" in data:
            check.error(where, "must be two whole numbers of weeks, [latest, earliest]")
        window = (0, 0)
    elif window[0] > window[1]:
        check.error(where, "the latest (first) must not be more weeks than the earliest")
    return CaseRules(
        review=MappingProxyType(review),
        risk_review=MappingProxyType(risk),
        allocation_hours=hours,
        closure_rule=closure,
        group=group,
        group_counts_as_case_supervision=counts,
        transfer_window_weeks=tuple(window),
    )


def _risk_cycle(check: _Checker, raw: Mapping, where: str) -> RiskCycle | None:
    levels = raw.get("levels")
    if not isinstance(levels, Mapping) or not levels:
        check.error(f"{where}.levels", "must map risk levels to days")
        return None
    ok = True
    for level in levels:
        if level not in RISK_LEVELS:
            check.error(f"{where}.levels.{level}", "unknown risk level")
            ok = False
        elif check.integer(levels, level, f"{where}.levels", 1) is None:
            ok = False
    unrated = raw.get("unrated")
    if unrated not in levels:
        check.error(f"{where}.unrated", "must be one of the levels above")
        ok = False
    return RiskCycle(MappingProxyType(dict(levels)), unrated) if ok else None


def _schedule(check: _Checker, data: Any, path: str) -> Schedule | None:
    if data is None:
        return None
    if not check.keys(data, path, ("per_year", "categories")):
        return None
    per_year = check.integer(data, "per_year", path, 1)
    if per_year is not None and 12 % per_year:
        check.error(f"{path}.per_year", "must divide the year into whole months (1-4, 6, 12)")
    categories = check.categories(data.get("categories"), f"{path}.categories")
    return Schedule(per_year or 1, categories)


def _support_time(check: _Checker, data: Any) -> SupportTime | None:
    path = "support_time"
    if data is None or not check.keys(data, path, ("minutes_per_month", "categories")):
        return None
    minutes = check.integer(data, "minutes_per_month", path, 1)
    categories = check.categories(data.get("categories"), f"{path}.categories")
    return SupportTime(minutes or 1, categories)


def _wellbeing_plan(check: _Checker, data: Any) -> WellbeingPlanRule | None:
    path = "wellbeing_plan"
    if data is None or not check.keys(data, path, ("within_days", "categories")):
        return None
    within = check.integer(data, "within_days", path, 0)
    categories = check.categories(data.get("categories"), f"{path}.categories")
    return WellbeingPlanRule(within or 0, categories)


def _session_max_minutes(check: _Checker, data: Any) -> Mapping[str, int] | None:
    path = "session_max_minutes"
    if data is None or not check.keys(data, path, (), JOB_ROLE_CATEGORIES):
        return None
    found = {}
    for category in data:
        minutes = check.integer(data, category, path, 15)
        if minutes is not None:
            found[category] = minutes
    return MappingProxyType(found)


def _case_note_retention(check: _Checker, data: Any) -> CaseNoteRetention | None:
    path = "case_note_retention"
    if data is None or not check.keys(data, path, ("until_age", "in_care_years")):
        return None
    until_age = check.integer(data, "until_age", path, 18)
    in_care = check.integer(data, "in_care_years", path, 18)
    return CaseNoteRetention(until_age or 18, in_care or 18)


def _group_formats(check: _Checker, data: Any) -> Mapping[str, Interval] | None:
    path = "group_formats"
    if data is None or not check.keys(data, path, (), GROUP_FORMATS):
        return None
    formats = {}
    for name, raw in data.items():
        interval = check.interval(raw, f"{path}.{name}")
        if interval is not None:
            formats[name] = interval
    return MappingProxyType(formats)


def _probation(check: _Checker, data: Any) -> tuple[int, ...]:
    path = "probation_review_months"
    if not isinstance(data, list):
        if data is not None:
            check.error(path, "must be a list of months (empty for none)")
        return ()
    previous = 0
    for index, value in enumerate(data):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            check.error(f"{path}[{index}]", "must be a whole number of months, 1 or more")
            return ()
        if value <= previous:
            check.error(f"{path}[{index}]", "must be after the previous review")
        previous = value
    return tuple(data)


def _notes(check: _Checker, data: Any, pack: Mapping) -> dict[str, str]:
    if not isinstance(data, Mapping):
        if data is not None:
            check.error("notes", "must map setting paths to text")
        return {}
    for key, text in data.items():
        if not isinstance(text, str) or not text.strip():
            check.error(f"notes.{key}", "must be some text")
        if not _resolves(pack, str(key)):
            check.error(f"notes.{key}", "names no setting of this pack")
    return dict(data)


def _resolves(data: Any, dotted: str) -> bool:
    for part in dotted.split("."):
        if not isinstance(data, Mapping) or part not in data or part == "notes":
            return False
        data = data[part]
    return True


# Writing and reading packs


def pack_to_dict(pack: PolicyPack) -> dict[str, Any]:
    """The dictionary `load_pack` reads: load_pack(pack_to_dict(p)) == p."""

    def schedule(value: Schedule | None):
        if value is None:
            return None
        return {"per_year": value.per_year, "categories": list(value.categories)}

    cases = pack.cases
    data = {
        "code": pack.code,
        "name": pack.name,
        "version": pack.version,
        "effective_from": pack.effective_from.isoformat(),
        "due_soon_days": pack.due_soon_days,
        "monthly_counting": pack.monthly_counting,
        "intervals": {
            category: {"phases": [phase.to_dict() for phase in schedule_.phases]}
            for category, schedule_ in pack.intervals.items()
        },
        "formal_session_types": list(pack.formal_session_types),
        "record_working_days": pack.record_working_days,
        "signoff_working_days": pack.signoff_working_days,
        "reminder_working_days": dict(pack.reminder_working_days),
        "agreement": {
            "review_months": pack.agreement.review_months,
            "draw_up_days": pack.agreement.draw_up_days,
            "at_first_session": pack.agreement.at_first_session,
            "less_frequent_allowed": pack.agreement.less_frequent_allowed,
            "floor": pack.agreement.floor.to_dict() if pack.agreement.floor else None,
        },
        "cancellation_reschedule_days": pack.cancellation_reschedule_days,
        "cover_after_days": pack.cover_after_days,
        "cases": {
            "review": {service: i.to_dict() for service, i in cases.review.items()},
            "risk_review": {
                service: {"levels": dict(cycle.levels), "unrated": cycle.unrated}
                for service, cycle in cases.risk_review.items()
            },
            "allocation_hours": cases.allocation_hours,
            "closure_rule": cases.closure_rule,
            "group": cases.group.to_dict() if cases.group else None,
            "group_counts_as_case_supervision": cases.group_counts_as_case_supervision,
            "transfer_window_weeks": list(cases.transfer_window_weeks),
        },
        "observations": schedule(pack.observations),
        "development_conversations": schedule(pack.development_conversations),
        "probation_review_months": list(pack.probation_review_months),
        "notes": dict(pack.notes),
    }
    if pack.source:
        data["source"] = pack.source
    if pack.support_time is not None:
        data["support_time"] = {
            "minutes_per_month": pack.support_time.minutes_per_month,
            "categories": list(pack.support_time.categories),
        }
    if pack.planned_ahead_months is not None:
        data["planned_ahead_months"] = pack.planned_ahead_months
    if pack.session_max_minutes is not None:
        data["session_max_minutes"] = dict(pack.session_max_minutes)
    if pack.case_note_retention is not None:
        data["case_note_retention"] = {
            "until_age": pack.case_note_retention.until_age,
            "in_care_years": pack.case_note_retention.in_care_years,
        }
    if pack.group_formats is not None:
        data["group_formats"] = {
            name: interval.to_dict() for name, interval in pack.group_formats.items()
        }
    if pack.wellbeing_plan is not None:
        data["wellbeing_plan"] = {
            "within_days": pack.wellbeing_plan.within_days,
            "categories": list(pack.wellbeing_plan.categories),
        }
    return data


def load_pack_file(path: Path) -> PolicyPack:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise PackError([f"{path.name}: not valid JSON ({error})"]) from error
    try:
        return load_pack(data)
    except PackError as error:
        raise PackError(f"{path.name}: {message}" for message in error.errors) from error


def shipped_packs() -> dict[str, PolicyPack]:
    """The packs in oversight/policy/packs/*.json, by code."""
    packs = {}
    for path in sorted(PACKS_DIR.glob("*.json")):
        pack = load_pack_file(path)
        if pack.code in packs:
            raise PackError([f"{path.name}: code {pack.code!r} is used by another pack"])
        packs[pack.code] = pack
    return packs


def pack_in_force(versions: Iterable[PolicyPack], on: date) -> PolicyPack | None:
    """Of one pack's versions, the one in force on a day: the latest effective by then."""
    in_force = [pack for pack in versions if pack.effective_from <= on]
    return max(in_force, key=lambda p: (p.effective_from, p.version), default=None)


# Agreements (F7)


def interval_from_agreement(frequency_value: int | None, frequency_unit: str) -> Interval | None:
    """An agreement's frequency (agreements.models: value + "weeks" | "months") as an Interval."""
    if not frequency_value:
        return None
    if frequency_unit not in UNITS:
        raise ValueError(f"Unknown frequency unit {frequency_unit!r}")
    return Interval(frequency_value, frequency_unit)


def agreement_interval_problem(pack: PolicyPack, category: str, interval: Interval) -> str | None:
    """Why an agreement may not set this frequency for this role, or None if it may.

    An agreement may always be more frequent than the pack (F7). It is compared with the
    role's settled interval (the last phase): the phases for new staff stay minimums whatever
    the agreement says. A less frequent agreement is refused unless the pack allows it, and
    then never below the pack's floor.
    """
    settled = pack.schedule_for(category).settled
    counting = pack.monthly_counting
    if at_least_as_frequent(interval, settled, counting):
        return None
    rules = pack.agreement
    if not rules.less_frequent_allowed:
        return (
            f"Supervision {interval.describe()} is less often than {pack.name}'s minimum for "
            f"this role ({settled.describe()}). An agreement may set more frequent supervision, "
            "not less."
        )
    if rules.floor is not None and not at_least_as_frequent(interval, rules.floor, counting):
        return (
            f"Supervision {interval.describe()} is less often than {pack.name} allows any "
            f"agreement to set ({rules.floor.describe()})."
        )
    return None
