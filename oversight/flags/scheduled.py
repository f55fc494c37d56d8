"""The scheduled tick: claims the people and children due a fresh look, a batch at a time,
and keeps their flags in step; marks them when a fact about them is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import (
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from casework.models import Allocation, Child
from oversight.flags.facts import PersonHistory, _profiles, child_histories, person_histories
from oversight.flags.sync import BATCH, LATE_FACTS_WINDOW, _Outcome, _sync
from oversight.models import CLAIM_LEASE
from oversight.policy.choice import NoPolicyPack, pack_versions
from supervision.models import StaffProfile

# --- The scheduled tick ----------------------------------------------------------------------


@dataclass
class TickResult:
    people: int = 0
    children: int = 0
    raised: int = 0
    resolved: int = 0
    recorded: int = 0  # spells found that began and ended unseen, kept as resolved flags


def _due_rows(model, now: datetime, limit: int, *, lock: bool = True) -> list[tuple]:
    """(pk, next_check_at) of rows whose next check has come, never-looked-at and marked
    (NULL) first. Locked on PostgreSQL, skipping rows another worker holds rather than
    waiting for them."""
    rows = model.objects.filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
    if lock and connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    rows = rows.order_by(F("next_check_at").asc(nulls_first=True), "pk")
    return list(rows.values_list("pk", "next_check_at")[:limit])


def _claim(model, now: datetime, pks) -> list[int]:
    """Claim rows for this worker with one conditional UPDATE: only those still due are
    moved on, so a second worker (or a second run) that read the same rows a moment earlier
    claims none of them. Returns the rows claimed. Run inside the batch's transaction, the
    claimed rows stay locked until their result is written: a write that marks one of them
    meanwhile waits, and its mark survives for the next tick."""
    pks = list(pks)
    if not pks:
        return []
    quote = connection.ops.quote_name
    table, pk, column = (
        quote(model._meta.db_table),
        quote(model._meta.pk.column),
        quote("next_check_at"),
    )
    adapt = connection.ops.adapt_datetimefield_value
    marks = ", ".join(["%s"] * len(pks))
    # Names from the model's own metadata; every value is a parameter.
    sql = f"UPDATE {table} SET {column} = %s WHERE {pk} IN ({marks}) "  # noqa: S608
    sql += f"AND ({column} IS NULL OR {column} <= %s) RETURNING {pk}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [adapt(now + CLAIM_LEASE), *pks, adapt(now)])
        return [row[0] for row in cursor.fetchall()]


def _tick_batch(model, histories_of, now, versions_box, limit, look_back) -> _Outcome | None:
    with transaction.atomic():
        rows = _due_rows(model, now, limit)
        claimed = _claim(model, now, [pk for pk, _ in rows])
        if not claimed:
            return None
        if versions_box[0] is None:
            versions_box[0] = pack_versions()
        marked = {pk for pk, when in rows if when is None}
        histories = histories_of(sorted(claimed))
        return _sync(histories, model, now, versions_box[0], marked, look_back)


def tick(
    now: datetime | None = None, limit: int = 100_000, look_back: timedelta = LATE_FACTS_WINDOW
) -> TickResult:
    """Look at every person and child whose next check has come, a batch at a time, each
    batch in its own transaction. An idle tick reads two indexes and writes nothing.

    `look_back` is how far a marked subject is walked back; a first evaluation of an
    organisation with years of history (the demo, an import) may pass longer, so the
    dashboard's trends have flags for every month they show."""

    now = now or timezone.now()
    result = TickResult()
    versions_box = [None]
    try:
        for model, histories_of, counter in (
            (StaffProfile, _people, "people"),
            (Child, child_histories, "children"),
        ):
            # Read without a transaction or a lock first: an idle tick stops here.
            done = 0 if _due_rows(model, now, 1, lock=False) else limit
            while done < limit:
                outcome = _tick_batch(
                    model, histories_of, now, versions_box, min(BATCH, limit - done), look_back
                )
                if outcome is None:
                    break
                done += len(outcome.next_check)
                setattr(result, counter, getattr(result, counter) + len(outcome.next_check))
                result.raised += len(outcome.raised)
                result.resolved += len(outcome.resolved)
                result.recorded += len(outcome.recorded)
    except NoPolicyPack:
        return result
    return result


def _people(profile_ids) -> list[PersonHistory]:
    return person_histories(_profiles().filter(pk__in=profile_ids).order_by("pk"))


def mark_person_changed(user_id) -> None:
    """A fact about this person changed: look again at the next tick."""

    StaffProfile.objects.filter(user_id=user_id).update(next_check_at=None)


def attribute_units(flags) -> int:
    """Give children's flags written without the job (a bulk load) the unit the job would:
    the allocation's when the spell began, else the child's own. Returns rows updated."""

    began = OuterRef("overdue_since")
    allocation = (
        Allocation.objects.filter(child=OuterRef("child_id"), starts_at__lte=began)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=began))
        .order_by("-starts_at")
        .values("unit_id")[:1]
    )
    own = Child.objects.filter(pk=OuterRef("child_id")).values("unit_id")[:1]
    return flags.filter(child__isnull=False).update(
        unit=Coalesce(Subquery(allocation), Subquery(own))
    )


def mark_child_changed(child_id) -> None:
    Child.objects.filter(pk=child_id).update(next_check_at=None)
