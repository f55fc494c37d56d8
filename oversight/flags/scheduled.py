"""The scheduled tick: claims the people and children due a fresh look, a batch at a time,
and keeps their flags in step; marks them when a fact about them is written.

Its cost is a fixed number of queries a batch (facts read in bulk, flags and their notices
written in bulk), and an idle tick one query, of the tables' earliest checks
(oversight.flags.earliest_check). A full evaluation (a pack chosen, an import, everyone's daily
recheck) can be shared among workers as chunks of rows by pk (`evaluation_chunks`,
`tick_range`; oversight.tasks.flags_share): a chunk claims its rows as the tick does, in each
batch's transaction, so two workers never judge one subject at once and a worker that dies
takes only its uncommitted batch with it, whose rows stay due."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import (
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from casework.models import Allocation, Child
from oversight.flags import earliest_check
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

    def add(self, counter: str, outcome: _Outcome) -> None:
        setattr(self, counter, getattr(self, counter) + len(outcome.next_check))
        self.raised += len(outcome.raised)
        self.resolved += len(outcome.resolved)
        self.recorded += len(outcome.recorded)


# People or children in one chunk of a full evaluation shared among workers
# (`evaluation_chunks`, `tick_range`): two batches, so that the chunks of even a small
# organisation keep every worker busy to the end (at 2,000 staff and 25,000 children, 27).
CHUNK = 2 * BATCH


@dataclass
class _Cursor:
    """Where a run has got to in one table: each batch carries on from the last row the one
    before it read, so a run of many batches never reads a row, nor its index entry, twice.
    A row marked behind the cursor meanwhile waits for the next tick."""

    within: tuple[int, int] | None = None  # a chunk's first and last pk
    marked_after: int | None = None  # pk
    marked_done: bool = False
    due_after: tuple | None = None  # (next_check_at, pk)
    done: bool = False


def _locked(rows, lock: bool):
    if lock and connection.features.has_select_for_update_skip_locked:
        # Skipping rows another worker holds rather than waiting for them.
        return rows.select_for_update(skip_locked=True, of=("self",))
    return rows


def _due_rows(model, now: datetime, limit: int, cursor: _Cursor, lock: bool = True) -> list:
    """(pk, next_check_at) of the next rows whose check has come, locked on PostgreSQL.

    A whole table is read in the order of its (next_check_at, id) index: the marked rows
    (NULL: a write, never looked at) first, then those whose time has come, each from where
    the last batch ended, so each batch is an index range read. A chunk is read by its pks."""
    rows = model.objects.all()
    if cursor.within is not None:
        # A chunk: its rows by pk, marked or due alike, from the last one read.
        first, last = cursor.within
        after = first - 1 if cursor.marked_after is None else cursor.marked_after
        rows = rows.filter(pk__gt=after, pk__lte=last)
        rows = rows.filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
        found = list(_locked(rows.order_by("pk"), lock).values_list("pk", "next_check_at")[:limit])
        if found:
            cursor.marked_after = found[-1][0]
        cursor.done = len(found) < limit
        return found
    found = []
    if not cursor.marked_done:
        marked = rows.filter(next_check_at__isnull=True)
        if cursor.marked_after is not None:
            marked = marked.filter(pk__gt=cursor.marked_after)
        marked = _locked(marked.order_by("next_check_at", "pk"), lock)
        found = list(marked.values_list("pk", "next_check_at")[:limit])
        if found:
            cursor.marked_after = found[-1][0]
        cursor.marked_done = len(found) < limit
    if len(found) < limit:
        due = rows.filter(next_check_at__lte=now)
        if cursor.due_after is not None:
            at, pk = cursor.due_after
            # The lower bound keeps the read an index range; the OR orders rows checked at
            # the same moment by pk.
            due = due.filter(next_check_at__gte=at).filter(Q(next_check_at__gt=at) | Q(pk__gt=pk))
        due = _locked(due.order_by("next_check_at", "pk"), lock)
        wanted = limit - len(found)
        more = list(due.values_list("pk", "next_check_at")[:wanted])
        if more:
            cursor.due_after = more[-1][1], more[-1][0]
        cursor.done = len(more) < wanted
        found += more
    return found


def _anything_due(model, now: datetime) -> bool:
    """Whether any row's check has come, by two probes of the (next_check_at, id) index: is
    there a NULL, is the smallest time past? However large the table, in one query. The
    probes step over the index entries of rows written since the last vacuum (a full
    evaluation leaves two per row) until a vacuum clears them away
    (tests/benchmarks/measure_idle_tick.py): asked only once the table's earliest check has
    come (oversight.flags.earliest_check), so an idle tick never pays for them."""
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote("next_check_at")
    # Names from the model's own metadata; the moment is a parameter.
    marked = f"SELECT 1 FROM {table} WHERE {column} IS NULL"  # noqa: S608
    due = f"SELECT 1 FROM {table} WHERE {column} <= %s"  # noqa: S608
    sql = f"SELECT EXISTS ({marked}) OR EXISTS ({due})"
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now)])
        return bool(cursor.fetchone()[0])


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


@contextmanager
def _collector_paused():
    """Python's cycle collector held off for one batch, and let run again after it.

    A batch reads and judges hundreds of subjects: some hundreds of thousands of objects (rows,
    histories, items) that live until the batch ends. Each allocation past a threshold starts a
    collection, and the oldest generation's scans every object alive, the batch's as well as
    the worker's own, finding almost nothing (measured on 2,000 staff and 25,000 children: a
    fifth of a full evaluation's time in the collector, 23 full collections of 0.1 to 0.6 s).
    Reference counting frees what a batch drops as it goes; what cycles it leaves (a person's
    history and the rules it remembers) the collector takes after the batch, a batch's worth
    at most."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _tick_batch(
    model, histories_of, now, versions_box, limit, look_back, cursor: _Cursor
) -> _Outcome | None:
    with _collector_paused(), transaction.atomic():
        rows = _due_rows(model, now, limit, cursor)
        claimed = _claim(model, now, [pk for pk, _ in rows])
        if not claimed:
            return None if cursor.done else _Outcome()
        if versions_box[0] is None:
            versions_box[0] = pack_versions()
        marked = {pk for pk, when in rows if when is None}
        histories = histories_of(sorted(claimed))
        return _sync(histories, model, now, versions_box[0], marked, look_back)


SUBJECTS = ((StaffProfile, "people"), (Child, "children"))


def _histories_of(model):
    return _people if model is StaffProfile else child_histories


def _run(model, counter, now, result, versions_box, limit, look_back, cursor) -> None:
    done = 0
    while done < limit:
        outcome = _tick_batch(
            model,
            _histories_of(model),
            now,
            versions_box,
            min(BATCH, limit - done),
            look_back,
            cursor,
        )
        if outcome is None:
            break
        done += len(outcome.next_check)
        result.add(counter, outcome)
        if cursor.done:
            break


def tick(
    now: datetime | None = None, limit: int = 100_000, look_back: timedelta = LATE_FACTS_WINDOW
) -> TickResult:
    """Look at every person and child whose next check has come, a batch at a time, each
    batch in its own transaction. An idle tick reads the tables' earliest checks, in one
    query, and writes nothing; a tick that finds a table with nothing due raises its earliest
    check (oversight.flags.earliest_check).

    `look_back` is how far a marked subject is walked back; a first evaluation of an
    organisation with years of history (the demo, an import) may pass longer, so the
    dashboard's trends have flags for every month they show."""

    now = now or timezone.now()
    result = TickResult()
    versions_box = [None]
    try:
        # One query: an idle tick stops here, however many dead index entries the tables hold.
        come = earliest_check.tables_come([model for model, _ in SUBJECTS], now)
        for model, counter in SUBJECTS:
            if model not in come:
                continue
            # Asked without a transaction or a lock first.
            if _anything_due(model, now):
                _run(model, counter, now, result, versions_box, limit, look_back, _Cursor())
                if _anything_due(model, now):
                    continue  # more than `limit`: the rest at the next tick
            earliest_check.raise_to_earliest(model)
    except NoPolicyPack:
        return result
    return result


def evaluation_chunks(now: datetime | None = None, size: int = CHUNK) -> list[tuple]:
    """A full evaluation's rows due now, cut into chunks of `size` by pk, for workers to share:
    (model label, first pk, last pk). Rows marked after this are for the next tick. One query
    a table."""
    now = now or timezone.now()
    chunks = []
    for model, _ in SUBJECTS:
        due = list(
            model.objects.filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        label = model._meta.label
        chunks += [(label, part[0], part[-1]) for part in _parts(due, size)]
    return chunks


def _parts(pks: list, size: int):
    for start in range(0, len(pks), size):
        yield pks[start : start + size]


def backlog(now: datetime | None = None, over: int = 2 * CHUNK) -> bool:
    """Whether more than `over` rows of a table are due now: a full evaluation (a pack chosen,
    an import, the daily recheck of everyone) is worth sharing among workers. Two index range
    reads of at most `over` entries each, per table."""
    now = now or timezone.now()
    for model, _ in SUBJECTS:
        marked = model.objects.filter(next_check_at__isnull=True).order_by("next_check_at", "pk")
        due = model.objects.filter(next_check_at__lte=now).order_by("next_check_at", "pk")
        if marked[over : over + 1].exists() or due[over : over + 1].exists():
            return True
    return False


def tick_range(
    label: str,
    first: int,
    last: int,
    now: datetime | None = None,
    look_back: timedelta = LATE_FACTS_WINDOW,
) -> TickResult:
    """`tick` for the rows of one chunk (`evaluation_chunks`), as a worker runs it. Rows are
    claimed as the tick claims them, a batch at a time in the batch's transaction: two workers
    never judge the same person or child at once, and a worker killed mid-batch loses only its
    uncommitted batch, whose rows stay due for whoever comes next."""
    now = now or timezone.now()
    result = TickResult()
    models = {model._meta.label: (model, counter) for model, counter in SUBJECTS}
    model, counter = models[label]
    try:
        _run(model, counter, now, result, [None], 10**9, look_back, _Cursor(within=(first, last)))
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
