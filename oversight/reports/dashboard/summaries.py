"""Closed months of a unit's trends, kept (DashboardSummary), so a page counts only the open
month and the date.

A month is closed once the current London month has begun. What a unit's page shows for a
closed month is a recount of the unit and everything below it at the month's end, and that
recount is all a summary is: made by the same queries as the page (`figures.count_trends`)
the first time a page asks for the month, stored, and read after that. Every write that can
change a closed month deletes the summaries it changes, in its own transaction
(`oversight.models.forget_summaries`: the flag job's writes, records finalised and sessions
cancelled with a moment in a closed month, a member of staff moving unit or their dates
changing, a unit moving), and the next page counts them again. `manage.py
check_dashboard_summaries` recounts every stored summary and names any that differs.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone

from oversight.models import DashboardSummary, hold_summaries
from oversight.policy.due import LONDON, local_date
from oversight.reports.dashboard.scope import Month, end_of_day, trend_months


def month_key(month: Month) -> date:
    """The first day of a trend month: the summaries' key."""
    return local_date(month.start)


def open_month_start(now: datetime) -> datetime:
    """The first moment of the current London month: months ending before it are closed."""
    return datetime.combine(local_date(now).replace(day=1), time(), tzinfo=LONDON)


def closed_count(months: list[Month], now: datetime) -> int:
    """How many of the trend months, from the oldest, are closed and so read from summaries.
    Never the last: it runs to the page's date, whose rows are counted live with it."""
    start = open_month_start(now)
    return sum(1 for month in months[:-1] if month.at < start)


def kept(unit, months: list[Month], count) -> list[dict]:
    """The figures of each of these closed months for the unit's page: the stored summaries,
    and for those missing, one recount of them all (`count(unit, months)`, a figure dict by
    month key), stored for the next page."""
    if not months:
        return []
    keys = [month_key(m) for m in months]
    found = dict(
        DashboardSummary.objects.filter(unit=unit, month__in=keys).values_list("month", "figures")
    )
    missing = [m for m, key in zip(months, keys, strict=True) if key not in found]
    if missing:
        with transaction.atomic():
            # Counted and stored with no write deleting summaries in between (`hold_summaries`).
            hold_summaries(shared=False)
            counted = count(unit, missing)
            now = timezone.now()
            DashboardSummary.objects.bulk_create(
                [
                    DashboardSummary(unit=unit, month=key, figures=figures, counted_at=now)
                    for key, figures in counted.items()
                ],
                ignore_conflicts=True,  # another page stored them first
            )
        found.update(counted)
    return [found[key] for key in keys]


def closed_month(first: date) -> Month:
    """The trend month starting on `first`, whole."""
    last = first.replace(day=monthrange(first.year, first.month)[1])
    return trend_months(end_of_day(last))[-1]


def same_figures(a: dict, b: dict) -> bool:
    """Two months' figures are the same: a figure missing is a nought."""
    return {k: v for k, v in a.items() if v} == {k: v for k, v in b.items() if v}
