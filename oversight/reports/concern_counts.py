"""The dashboard's counts of concerns about supervision and escalated disagreements open at
the date, by unit: counts only. What was raised, by whom and about whom is for the supervisee
and the person it was raised with (access.concerns), so there is no list behind these
figures, no row per person, and no link."""

from dataclasses import dataclass

from django.db.models import Count

from supervision.concerns.services import open_at
from supervision.models import Concern


@dataclass
class ConcernCounts:
    label: str
    concerns: int = 0
    escalations: int = 0


def concern_counts(board) -> list[ConcernCounts]:
    """A row for each unit directly below the dashboard's unit (with everything under it),
    one for the unit's own staff, and the total: in one query. [] for a person's page."""
    unit = board.scope.unit
    if unit is None:
        return []
    rows = {
        str(row.unit.pk): ConcernCounts(row.label) for row in board.rows if row.unit is not None
    }
    own = ConcernCounts(f"{unit.name}'s own staff")
    total = ConcernCounts("Total")
    counted = (
        Concern.objects.filter(open_at(board.at), unit__path__startswith=unit.path)
        .values("unit__path", "kind")
        .annotate(open=Count("pk"))
        .order_by()
    )
    for line in counted:
        below = line["unit__path"][len(unit.path) :].split("/")[0]
        for row in (rows.get(below, own) if below else own, total):
            if line["kind"] == Concern.Kind.SUPERVISION:
                row.concerns += line["open"]
            else:
                row.escalations += line["open"]
    return [*rows.values(), own, total]
