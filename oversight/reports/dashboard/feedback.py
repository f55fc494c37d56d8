"""Supervisees' answers about their supervision, by unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Avg,
    Count,
)

from oversight.models import FeedbackResponse
from oversight.policy.due import local_date
from oversight.quality import feedback as rules
from oversight.reports.dashboard.scope import (
    Scope,
)
from supervision.models import (
    Unit,
)

# --- Supervisee feedback ------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackRow:
    unit: object
    cell: object  # feedback.ReportCell: figures only for five answers or more


def feedback(scope: Scope, at: datetime) -> tuple[str, list[FeedbackRow]]:
    """Supervisees' answers about their supervision in the last quarter ended by the date,
    one row for each unit's own staff (never a unit with the units below it, so no figure is
    the difference of two others: see oversight/quality/feedback.py), shown only for five answers or
    more. Two queries. None for a person: one person's answers are never shown."""

    if scope.unit is None:
        return "", []
    period = rules.recent_quarters(local_date(at), 2)[1]
    totals = {
        row["unit_id"]: row
        for row in FeedbackResponse.objects.filter(
            unit__path__startswith=scope.unit.path, period=period
        )
        .values("unit_id")
        .annotate(responses=Count("pk"), **{f: Avg(f) for f in rules.FIELDS})
        .order_by()
    }
    # Only the units answered for, not every unit below (no unit has the id 0: an empty IN ()
    # would be no query at all, and the page's queries are the same whatever was answered).
    units = Unit.objects.filter(pk__in=list(totals) or [0]).order_by("path")
    rows = []
    for unit in units:
        row = totals[unit.pk]
        cell = rules.report_cell(
            row["responses"], [row[f] for f in rules.FIELDS], quarter_is_open=False
        )
        rows.append(FeedbackRow(unit, cell))
    return rules.quarter_label(period), rows
