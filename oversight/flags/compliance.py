"""Compliance as of any moment: the rules applied to the facts in force then, row by row, and
what the flags held then say, so the two can be compared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Exists,
    OuterRef,
    Q,
)
from django.utils import timezone

from casework.models import Allocation, Child
from oversight.flags.facts import _profiles, child_histories, person_histories
from oversight.flags.sync import _flag_due
from oversight.models import Flag
from oversight.policy import due
from oversight.policy.choice import pack_versions

# --- Compliance as of a moment ---------------------------------------------------------------


@dataclass(frozen=True, order=True)
class ComplianceRow:
    kind: str
    staff: str
    case: str
    due: str
    since: str

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "staff": self.staff,
            "case": self.case,
            "due": self.due,
            "since": self.since,
        }


def _iso(moment: datetime) -> str:
    return timezone.localtime(moment, due.LONDON).isoformat()


def _due_text(when) -> str:
    return _iso(when) if isinstance(when, datetime) else when.isoformat()


def _sorted(rows) -> list[ComplianceRow]:
    return sorted(rows, key=lambda r: (r.since, r.kind, r.staff, r.case, r.due))


def compliance_rows(at: datetime, unit=None) -> list[ComplianceRow]:
    """Every item overdue at `at`, from facts dated up to then, with the pack version in
    force that day: people on the staff that day, children held that day (or closed by then),
    a unit meaning it and every unit below."""

    versions = pack_versions()
    day = due.local_date(at)
    rows = []
    profiles = _profiles().filter(start_date__lte=day)
    profiles = profiles.filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=day))
    if unit is not None:
        profiles = profiles.filter(unit__path__startswith=unit.path)
    for batch in _keyset(profiles, 2000):
        for history in person_histories(batch):
            for item in history.items_at(versions, at):
                if item.state == due.OVERDUE:
                    rows.append(_row(item, history.email, ""))
    children = Child.objects.all()
    if unit is not None:
        children = children.filter(
            Q(unit__path__startswith=unit.path)
            | Exists(
                Allocation.objects.filter(child=OuterRef("pk"), unit__path__startswith=unit.path)
            )
        )
    for batch in _keyset(children.values_list("pk", flat=True), 2000):
        for history in child_histories(batch):
            if unit is not None and not history.unit_path_at(at).startswith(unit.path):
                continue
            for item in history.items_at(versions, at):
                if item.state == due.OVERDUE:
                    rows.append(_row(item, history.staff_at(at)[1], history.reference))
    return _sorted(rows)


def _keyset(queryset, size):
    """Pages of rows (or of ids) in id order, each read with one query."""
    last = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        page = list(page[:size])
        if not page:
            return
        yield page
        last = getattr(page[-1], "pk", page[-1])


def _row(item: due.DueItem, staff: str, case: str) -> ComplianceRow:
    return ComplianceRow(
        kind=item.kind,
        staff=staff,
        case=case,
        due=_due_text(item.due),
        since=_iso(due.overdue_from(item.due)),
    )


def flags_held_at(at: datetime, unit=None):
    """What the flags table says was overdue at `at`: flags overdue by then and not yet
    resolved then. A unit means its people's own flags and the children it held at `at`."""

    # A due moment (C3) is in time exactly on the moment, so overdue only after it.
    flags = Flag.objects.filter(
        Q(due_at__isnull=True, overdue_since__lte=at)
        | Q(due_at__isnull=False, overdue_since__lt=at)
    ).filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=at))
    if unit is not None:
        in_force = Allocation.objects.filter(child=OuterRef("child"), starts_at__lte=at).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=at)
        )
        flags = flags.filter(
            Q(child__isnull=True, person__profile__unit__path__startswith=unit.path)
            | Q(Exists(in_force.filter(unit__path__startswith=unit.path)))
            | Q(~Exists(in_force), child__unit__path__startswith=unit.path)
        )
    return flags.select_related("person", "child")


def flag_row(flag: Flag) -> ComplianceRow:
    """A flag as the compliance report would print it."""
    return ComplianceRow(
        kind=flag.kind,
        staff=flag.person.email if flag.person_id else "",
        case=flag.child.reference if flag.child_id else "",
        due=_due_text(_flag_due(flag)),
        since=_iso(due.overdue_from(_flag_due(flag))),
    )


def held_rows(at: datetime, unit=None) -> list[ComplianceRow]:
    """`flags_held_at` as compliance rows, to set beside `compliance_rows`."""
    return _sorted(flag_row(flag) for flag in flags_held_at(at, unit))
