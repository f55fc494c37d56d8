"""Moments, the flags held at one, what a page covers, and the figures of its rows."""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Case,
    CharField,
    F,
    IntegerField,
    Q,
    When,
)

from oversight.models import Flag
from oversight.policy.due import LONDON, local_date
from oversight.reports.dashboard.measures import (
    REFLECTION,
    SHARE_OF,
    STAFF,
    STAFF_ON_TIME,
    TREND_MONTHS,
    WELLBEING,
)
from supervision.models import (
    StaffProfile,
    Unit,
)

# --- Moments -----------------------------------------------------------------------------------


def end_of_day(day: date) -> datetime:
    """The last moment of a day in London: a report "as at 5 March" includes all of 5 March."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=LONDON) - timedelta(
        microseconds=1
    )


def moment_for(day: date | None, now: datetime) -> datetime:
    """Now for today (or no date), the end of the day for a past date."""
    if day is None or day >= local_date(now):
        return now
    return end_of_day(day)


@dataclass(frozen=True)
class Month:
    label: str  # "March 2026"
    short: str  # "Mar 26"
    start: datetime  # first moment of the month, or of its part before `at`
    at: datetime  # its last moment (or `at` for the month of the date)


def trend_months(at: datetime) -> list[Month]:
    """The last TREND_MONTHS calendar months to `at`, oldest first; the month of `at` runs to
    `at`."""
    day = local_date(at)
    months = []
    year, month = day.year, day.month
    for _ in range(TREND_MONTHS):
        first = date(year, month, 1)
        last = date(year, month, monthrange(year, month)[1])
        start = datetime.combine(first, time(), tzinfo=LONDON)
        end = at if not months else end_of_day(last)
        months.append(Month(first.strftime("%B %Y"), first.strftime("%b %y"), start, end))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


# --- The flags held, as the rules had them -------------------------------------------------------


def held(at: datetime) -> Q:
    """A flag held at `at`, as `oversight.flags.compliance.flags_held_at` has it: a due moment
    (C3) is in time exactly on the moment, so it is overdue only after it."""
    started = Q(due_at__isnull=True, overdue_since__lte=at) | Q(
        due_at__isnull=False, overdue_since__lt=at
    )
    return started & (Q(resolved_at__isnull=True) | Q(resolved_at__gt=at))


def in_post(at: datetime, prefix: str = "") -> Q:
    day = local_date(at)
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}leaving_date__isnull": True}) | Q(**{f"{prefix}leaving_date__gt": day})
    )


def _flag_unit_path():
    return Case(
        When(child__isnull=True, then=F("person__profile__unit__path")),
        default=F("unit__path"),
        output_field=CharField(),
    )


def flags_with_unit():
    """Flags with `unit_ref`: the id of the unit they count in (see the module's docstring):
    a member of staff's unit now, or the unit the flag job recorded on a child's flag."""
    return Flag.objects.annotate(
        unit_ref=Case(
            When(child__isnull=True, then=F("person__profile__unit_id")),
            default=F("unit_id"),
            output_field=IntegerField(),
        )
    )


def _between(flags, start: datetime, end: datetime):
    """Flags that may be held at some moment from `start` to `end`: a cheap range on the
    indexes before the exact conditions."""
    return flags.filter(overdue_since__lte=end).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=start)
    )


# --- Scopes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a dashboard page covers: a unit and everything below it, or one person."""

    unit: object = None
    person: object = None

    def flags(self, flags):
        if self.person is not None:
            return flags.filter(person=self.person)
        # The same as `unit_ref__in`, but as two conditions on indexed columns (a member of
        # staff's flags by person, a child's by the unit on the flag), so a team's page reads
        # its own flags rather than every flag of the organisation with its unit worked out.
        units = self.units()
        staff = StaffProfile.objects.filter(unit__in=units).values("user_id")
        return flags.filter(
            Q(child__isnull=True, person__in=staff) | Q(child__isnull=False, unit__in=units)
        )

    def profiles(self, profiles):
        if self.person is not None:
            return profiles.filter(user=self.person)
        return profiles.filter(unit__in=self.units())

    def supervisee_q(self, prefix: str) -> Q:
        if self.person is not None:
            return Q(**{f"{prefix}": self.person})
        return Q(**{f"{prefix}__profile__unit__in": self.units()})

    def units(self):
        """The unit and every unit below it, as a subquery."""

        return Unit.objects.filter(path__startswith=self.unit.path).values("pk")


# --- Figures --------------------------------------------------------------------------------


@dataclass
class Figures:
    """The measures for one row of a table (a unit, a person) or for the whole scope."""

    counts: dict = field(default_factory=lambda: defaultdict(int))

    # Not __getitem__: templates look names up as keys first, and every name would be a 0.
    def get(self, key) -> int:
        return self.counts.get(key, 0)

    def add(self, key, value: int) -> None:
        self.counts[key] += value

    def share(self, key) -> int | None:
        """The figure as a percentage of the one it is a share of (SHARE_OF); None if it is no
        share, or of nothing."""
        return percent(self.get(key), self.get(SHARE_OF[key])) if key in SHARE_OF else None

    @property
    def on_time_percent(self) -> int | None:
        return percent(self.get(STAFF_ON_TIME), self.get(STAFF))

    @property
    def reflection_percent(self) -> int | None:
        return percent(self.get(REFLECTION), self.get("reflection_of"))

    @property
    def wellbeing_percent(self) -> int | None:
        return percent(self.get(WELLBEING), self.get("wellbeing_of"))


def percent(part: int, whole: int) -> int | None:
    if not whole:
        return None
    return round(100 * part / whole)


@dataclass
class Row:
    key: str  # "u<unit id>" or "p<person id>"
    label: str
    unit: object = None
    person: object = None
    figures: Figures = field(default_factory=Figures)


@dataclass
class Dashboard:
    scope: Scope
    at: datetime
    is_now: bool
    totals: Figures
    rows: list[Row]
    by_role: list[tuple[str, int, int]]  # (role, staff, on time)
    signoff_ages: list[tuple[str, str, int]]
    case_risks: list[tuple[str, str, int]]
    months: list[Month]
    trends: dict[str, list]  # measure key → a value per month
    window_start: datetime

    def trend(self, key) -> list[tuple[Month, object]]:
        return list(zip(self.months, self.trends[key], strict=True))
