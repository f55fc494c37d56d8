"""Checks that what the dashboard counts from kept figures equals a full recount from the
records themselves: `manage.py check_dashboard_summaries`, and the tests."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Exists, OuterRef

from oversight.models import DashboardSummary
from oversight.reports.dashboard import FUNCTION_KEYS, FUNCTIONS_ANSWERED, finalised_records
from oversight.reports.dashboard.figures import count_trends
from oversight.reports.dashboard.summaries import closed_month, same_figures
from supervision.models import FinalisedRecord, SupervisionRecord, SupervisionSession, Unit

FIGURES = FinalisedRecord.FIGURES


def recounted_finalised_records() -> dict[int, dict]:
    """Each finalised record's figures, worked out again from the record, its session and
    its sections, the way the dashboard counted them before they were kept."""
    records = finalised_records().annotate(functions_recorded=FUNCTIONS_ANSWERED)
    found = {}
    for row in records.values(
        "pk",
        "session__supervisee_id",
        "finalised_at",
        "asks_reflection",
        "reflection_done",
        "asks_wellbeing",
        "wellbeing_done",
        "functions_recorded",
        *FUNCTION_KEYS,
    ).order_by():
        figures = {key: bool(row[key]) for key in FIGURES}
        found[row["pk"]] = {
            "supervisee_id": row["session__supervisee_id"],
            "finalised_at": row["finalised_at"],
            **figures,
        }
    return found


def finalised_record_differences(limit: int = 20) -> list[str]:
    """What differs between the kept rows and the recount, a line each (at most `limit`)."""
    kept = {
        row.pop("record_id"): row
        for row in FinalisedRecord.objects.values(
            "record_id", "supervisee_id", "finalised_at", *FIGURES
        ).order_by()
    }
    recount = recounted_finalised_records()
    problems = []
    for pk in sorted(set(kept) | set(recount)):
        if pk not in kept:
            problems.append(f"record {pk}: finalised, but no FinalisedRecord row")
        elif pk not in recount:
            problems.append(f"record {pk}: a FinalisedRecord row, but the record is not final")
        elif kept[pk] != recount[pk]:
            differ = sorted(k for k in recount[pk] if kept[pk][k] != recount[pk][k])
            problems.append(f"record {pk}: {', '.join(differ)} differ from the record")
        if len(problems) >= limit:
            break
    return problems


def summary_differences(limit: int | None = 20) -> list[str]:
    """Each stored dashboard summary (a unit's closed month) that differs from a recount of
    that unit and month, a line each (at most `limit`): one recount a unit, of its stored
    months together."""
    stored = defaultdict(dict)
    for unit_id, month, figures in DashboardSummary.objects.values_list(
        "unit_id", "month", "figures"
    ).order_by("unit_id", "month"):
        stored[unit_id][month] = figures
    units = Unit.objects.in_bulk(list(stored))
    problems = []
    for unit_id, kept in stored.items():
        recount = count_trends(units[unit_id], [closed_month(month) for month in kept])
        for month, figures in kept.items():
            if not same_figures(figures, recount[month]):
                differ = sorted(
                    key
                    for key in {*figures, *recount[month]}
                    if figures.get(key, 0) != recount[month].get(key, 0)
                )
                problems.append(
                    f"unit {unit_id} ({units[unit_id].name}), {month:%B %Y}: "
                    f"{', '.join(differ)} differ from a recount"
                )
        if limit is not None and len(problems) >= limit:
            return problems[:limit]
    return problems


def session_marker_differences(limit: int = 20) -> list[str]:
    """Each session whose `no_record` marker says otherwise than its records do, a line each
    (at most `limit`). The marker is kept by SupervisionRecord.save and delete; a write that
    goes round them (a bulk_create of records, a raw import) would leave a written-up session
    among "sessions with no record yet" on the homes, or hide one still to write up."""
    has_record = Exists(SupervisionRecord.objects.filter(session_id=OuterRef("pk")))
    sessions = SupervisionSession.objects.order_by("pk")
    problems = [
        f"session {pk}: has a record, but is marked as having none"
        for pk in sessions.filter(has_record, no_record=True).values_list("pk", flat=True)[:limit]
    ]
    problems += [
        f"session {pk}: has no record, but is marked as having one"
        for pk in sessions.filter(~has_record, no_record=False).values_list("pk", flat=True)[:limit]
    ]
    return problems[:limit]
