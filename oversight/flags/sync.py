"""Keeping the flags in step with the rules for one person or child, or a batch of them:
raising a flag when an item turns overdue, resolving it when the awaited fact takes effect."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction

from casework.models import Child
from oversight.flags.facts import _profiles, child_histories, person_histories
from oversight.models import Flag, forget_flag_summaries
from oversight.notices import notify
from oversight.policy import due
from oversight.policy.choice import _version_changes, pack_versions
from supervision.models import StaffProfile, User

# An open case or a member of staff is looked at again at least this often, whatever the rules
# say next: a safety net, since every write marks its subject and every change in time that the
# rules know of is scheduled.
RECHECK_AT_LEAST_EVERY = timedelta(days=1)
# A closed case or a leaver changes only when someone writes a fact about them, which marks them.
DORMANT_RECHECK = timedelta(days=3650)
# How far back a subject whose facts were written is walked again for overdue spells that began
# and ended unseen (a session recorded late, its record written the same day).
LATE_FACTS_WINDOW = timedelta(days=92)
# People or children read, judged and written per transaction.
BATCH = 500


# --- Keeping flags in step -------------------------------------------------------------------


@dataclass
class SyncResult:
    raised: list[Flag]
    resolved: list[Flag]
    next_check_at: datetime


def _flag_due(flag: Flag):
    return flag.due_at if flag.due_at is not None else flag.due


def _key(kind: str, about: str, when) -> tuple:
    return (kind, about[:100], when)


def _item_key(item: due.DueItem) -> tuple:
    return _key(item.kind, item.about, item.due)


def _flag_key(flag: Flag) -> tuple:
    return _key(flag.kind, flag.about, _flag_due(flag))


def _overdue_keys(items) -> dict:
    return {_item_key(i): i for i in items if i.state == due.OVERDUE}


def _turns_overdue(when) -> datetime:
    """The first moment an item is overdue: the start of the day after a due day; for a due
    moment, any moment after it (exactly on time is in time, C3)."""
    if isinstance(when, datetime):
        return when + timedelta(microseconds=1)
    return due.overdue_from(when)


def _first_held(flag: Flag) -> datetime:
    return max(flag.overdue_since, _turns_overdue(_flag_due(flag)))


@dataclass
class _Timeline:
    """What was overdue for one subject from `moments[0]` to now: `keys[i]` held from
    `moments[i]` until `moments[i + 1]`."""

    moments: list[datetime]
    keys: list[frozenset]
    items: dict  # key -> the item, as first seen overdue

    def _from(self, moment: datetime) -> int:
        """The index of the entry in force at `moment`."""
        index = bisect_left(self.moments, moment)
        if index == len(self.moments) or self.moments[index] != moment:
            index -= 1
        return max(index, 0)

    def stopped(self, key, after: datetime) -> datetime | None:
        """From `after` on, when `key` stopped being held for good (None: held now)."""
        stop = None
        for index in range(self._from(after), len(self.moments)):
            if key in self.keys[index]:
                stop = None
            elif stop is None:
                stop = max(self.moments[index], after)
        return stop

    def last_began(self, key) -> datetime:
        """When the spell of `key` that runs to the end of the timeline began."""
        began = None
        for moment, keys in zip(self.moments, self.keys, strict=True):
            if key not in keys:
                began = None
            elif began is None:
                began = moment
        return began

    def ended_spells(self):
        """(key, start, end) of each spell that began and ended within the timeline; a spell
        held at its first moment may have begun earlier."""
        began, spells = {}, []
        for moment, keys in zip(self.moments, self.keys, strict=True):
            for key in list(began):
                if key not in keys:
                    spells.append((key, began.pop(key), moment))
            for key in keys:
                began.setdefault(key, moment)
        return spells


def _changes(history, versions, start: datetime, end: datetime) -> list[datetime]:
    """The moments within (start, end] at which a fact or a pack version took effect."""
    # The history's events are sorted: only those within the span are looked at.
    known = history.events()
    within = known[bisect_right(known, start) : bisect_right(known, end)]
    return sorted({*within, *(m for m in _version_changes(versions) if start < m <= end)})


def _walk(history, versions, start: datetime, end: datetime, items_at=None) -> _Timeline:
    """Ask the rules at `start`, then at every later moment something can change up to `end`:
    each moment a fact took effect (`history.events()`), each day a pack version came into
    force, and each moment an item falls overdue. Nothing else moves the answer."""
    events = _changes(history, versions, start, end)
    timeline = _Timeline([], [], {})
    moment, index = start, 0
    items_at = items_at or history.items_at
    while True:
        items = items_at(versions, moment)
        overdue = _overdue_keys(items)
        keys = frozenset(overdue)
        for key, item in overdue.items():
            timeline.items.setdefault(key, item)
        if not timeline.keys or timeline.keys[-1] != keys:
            timeline.moments.append(moment)
            timeline.keys.append(keys)
        while index < len(events) and events[index] <= moment:
            index += 1
        upcoming = [_turns_overdue(i.due) for i in items if i.state != due.OVERDUE]
        if index < len(events):
            upcoming.append(events[index])
        upcoming = [m for m in upcoming if moment < m <= end]
        if not upcoming:
            return timeline
        moment = min(upcoming)


def _flag_from(item: due.DueItem, now: datetime, subject: dict) -> Flag:
    when = item.due
    return Flag(
        kind=item.kind,
        about=item.about[:100],
        due=due.local_date(when) if isinstance(when, datetime) else when,
        due_at=when if isinstance(when, datetime) else None,
        overdue_since=due.overdue_from(when),
        detail=item.detail[:300],
        rule=item.rule[:10],
        raised_at=now,
        **subject,
    )


def _next_check(history, items, versions, now: datetime) -> datetime:
    """The next moment anything about this subject can change without a write: an item
    falling overdue, a relationship, allocation or pack version starting or ending."""
    upcoming = [_turns_overdue(i.due) for i in items if i.state != due.OVERDUE]
    known = history.events()  # sorted: the first after now is the only one that can count
    later = bisect_right(known, now)
    upcoming += known[later : later + 1]
    upcoming += _version_changes(versions)
    floor = now + (DORMANT_RECHECK if history.dormant(now) else RECHECK_AT_LEAST_EVERY)
    return min([m for m in upcoming if m > now] + [floor])


@dataclass
class _Outcome:
    raised: list = field(default_factory=list)
    resolved: list = field(default_factory=list)
    recorded: list = field(default_factory=list)
    reopened: list = field(default_factory=list)
    next_check: dict = field(default_factory=dict)
    session_due: dict = field(default_factory=dict)  # a person's: when supervision is next due


@dataclass
class _Look:
    """One subject looked at now: its items, its open flags, and what is to change."""

    history: object
    items: list
    overdue: dict
    flags: list  # open flags, some being resolved
    timeline: _Timeline | None = None
    raise_keys: list = field(default_factory=list)
    # The earliest moment a spell's start was looked for from (`_spell_began`), when before
    # the timeline's first: later items are dated as by a walk from there.
    walked_from: datetime | None = None


def _judge(
    histories, open_flags: dict, versions, now: datetime, marked, look_back=LATE_FACTS_WINDOW
) -> _Outcome:
    """What to change, for each subject: flags to resolve (dated when their item stopped being
    overdue), flags to raise (held from when the rules first said so), spells to record that
    began and ended unseen, and when to look next.

    A subject marked changed (a write to its facts) is walked back LATE_FACTS_WINDOW: a fact
    entered late with an earlier date can open and close an overdue spell that no tick saw,
    and the report for a moment in that spell shows it, so a resolved flag records it.

    A flag is one spell of one item: an item overdue again after a spell ended (an agreement
    superseded, say) is a new flag, held from when the new spell began."""
    outcome = _Outcome()
    looks = []
    for history in histories:
        items = history.items_at(versions, now)
        look = _Look(history, items, _overdue_keys(items), open_flags.get(_subject_id(history), []))
        still, stale = set(), []
        for flag in look.flags:
            key = _flag_key(flag)
            if key in look.overdue and key not in still:
                still.add(key)
            else:
                stale.append(flag)
        starts = [_first_held(f) for f in stale]
        if _row_id(history) in marked:
            starts.append(now - look_back)
        if starts:
            look.timeline = _walk(history, versions, min(starts), now)
        for flag in stale:
            stopped = look.timeline.stopped(_flag_key(flag), _first_held(flag)) or now
            flag.resolved_at = max(flag.overdue_since, stopped)
            flag.noticed_resolved_at = now
            outcome.resolved.append(flag)
        look.raise_keys = [key for key in look.overdue if key not in still]
        outcome.next_check[_row_id(history)] = _next_check(history, items, versions, now)
        if history.subject == "person":
            outcome.session_due[_row_id(history)] = _session_due(items)
        looks.append(look)

    earlier = _earlier_flags(looks, marked)
    for look in looks:
        history, subject = look.history, look.history.flag_subject(now)
        known = earlier.get(_subject_id(history), []) + look.flags
        for key in look.raise_keys:
            flag = _flag_from(look.overdue[key], now, subject)
            flag.overdue_since = _spell_began(look, key, known, versions, now)
            withdrawn = [
                f
                for f in known
                if _flag_key(f) == key and f.resolved_at and _overlap(f, flag.overdue_since, now)
            ]
            if withdrawn:
                # Resolved by a fact since withdrawn (a session deleted): the same spell, so
                # the same flag, open again, and nobody is told twice.
                withdrawn[-1].resolved_at = withdrawn[-1].noticed_resolved_at = None
                outcome.reopened.append(withdrawn[-1])
                continue
            outcome.raised.append(flag)
        if look.timeline is None or _row_id(history) not in marked:
            continue
        for key, start, end in look.timeline.ended_spells():
            flag = _flag_from(look.timeline.items[key], now, history.flag_subject(start))
            if look.timeline.moments[0] < start and _turns_overdue(_flag_due(flag)) < start:
                flag.overdue_since = start  # not overdue when its due date passed
            if any(_flag_key(f) == key and _overlap(f, flag.overdue_since, end) for f in known):
                continue
            flag.resolved_at = end
            flag.noticed_resolved_at = now
            outcome.recorded.append(flag)
    return outcome


def _overdue_then(history, versions, at: datetime, key) -> bool:
    """Whether `key` was overdue at `at`: a person's history asks only the family that gives
    its kind, when that finds it (PersonHistory.overdue_at)."""
    overdue_at = getattr(history, "overdue_at", None)
    if overdue_at is not None:
        return overdue_at(versions, at, key, _overdue_keys)
    return key in _overdue_keys(history.items_at(versions, at))


def _spell_began(look: _Look, key, known: list, versions, now: datetime) -> datetime:
    """When the spell of an item overdue now began: when its due date passed, unless it was
    not overdue then (a fact since moved the due date back: an agreement, a pack version) or
    has been overdue before (an agreement superseded): then, when the rules last began to say
    so (`last_spell_began`, from now back to the first gap, not the whole span). Looked for
    only when that is in doubt; once looked for, a subject's later items are dated as from a
    walk begun there (`_Look.walked_from`)."""
    history, when = look.history, look.overdue[key].due
    began, timeline = _turns_overdue(when), look.timeline
    start, first = None, frozenset()
    if look.walked_from is not None:
        start = look.walked_from
        first = frozenset(_overdue_keys(history.items_at(versions, start)))
    elif timeline is not None:
        start, first = timeline.moments[0], timeline.keys[0]
    if start is None or start > began:
        again = any(_flag_key(f) == key for f in known)
        if not again and _overdue_then(history, versions, began, key):
            if start is None or key in first:
                return due.overdue_from(when)
            if look.walked_from is None:
                return timeline.last_began(key)  # a gap since, seen in the window walked
        else:
            look.walked_from = start = began
    if look.walked_from is None:
        started = timeline.last_began(key)  # the window walked covers the spell
    else:
        changes = _changes(history, versions, start, now)
        ask = lambda at: history.items_at(versions, at)  # noqa: E731
        started = last_spell_began(ask, key, start, changes, now)
    return due.overdue_from(when) if started <= began else started


def last_spell_began(ask, key, start: datetime, changes: list, now: datetime) -> datetime:
    """When the spell of `key`, overdue at `now`, began: the first moment of the run of
    moments up to `now` at which `ask(moment)` (the items then) holds it overdue, as a walk
    from `start` (`_walk`, `_Timeline.last_began`) finds it, never before `start`.

    `changes` are the sorted moments within (start, now] at which a fact or a pack version took
    effect. Between two of them only due dates passing move the answer, so the walk within each
    span asks at its first moment and then at each due date passing (as `_walk` does). The
    spans are walked from the last back, stopping at the first in which the key is not held
    throughout: a spell that began a week ago is found in a week's spans, however long ago its
    due date passed. Plain: fed moments and a function of them, it reads nothing."""
    bounds = [start, *changes]
    for index in range(len(bounds) - 1, -1, -1):
        end = bounds[index + 1] if index + 1 < len(bounds) else None
        held_from, moment = None, bounds[index]
        while True:
            items = ask(moment)
            if key in _overdue_keys(items):
                held_from = moment if held_from is None else held_from
            else:
                held_from = None
            upcoming = [_turns_overdue(i.due) for i in items if i.state != due.OVERDUE]
            upcoming = [m for m in upcoming if moment < m and (m < end if end else m <= now)]
            if not upcoming:
                break
            moment = min(upcoming)
        if held_from is None:
            return end or now  # not held at the span's end: the spell began with the next
        if held_from > bounds[index]:
            return held_from  # a gap within this span
    return start


def _overlap(flag: Flag, start: datetime, end: datetime) -> bool:
    return flag.overdue_since < end and (flag.resolved_at is None or start < flag.resolved_at)


def _subject_id(history) -> int:
    return history.user_id if history.subject == "person" else history.child_id


def _row_id(history) -> int:
    return history.profile_id if history.subject == "person" else history.child_id


def _open_flags(histories) -> dict:
    """Open flags by subject, in one query."""
    if not histories:
        return {}
    if histories[0].subject == "person":
        flags = Flag.objects.filter(
            person_id__in=[h.user_id for h in histories], child__isnull=True
        )
        by = "person_id"
    else:
        flags = Flag.objects.filter(child_id__in=[h.child_id for h in histories])
        by = "child_id"
    grouped = defaultdict(list)
    for flag in flags.filter(resolved_at__isnull=True).order_by("pk"):
        grouped[getattr(flag, by)].append(flag)
    return grouped


def _earlier_flags(looks, marked) -> dict:
    """Resolved flags of the subjects about to have a flag raised or a spell recorded, with
    the due dates concerned, by subject: one query, none when there is nothing new."""
    subjects, days = set(), set()
    for look in looks:
        history = look.history
        keys = list(look.raise_keys)
        if look.timeline is not None and _row_id(history) in marked:
            keys += [key for key, _, _ in look.timeline.ended_spells()]
        if keys:
            subjects.add(_subject_id(history))
            days.update(due.local_date(k[2]) if isinstance(k[2], datetime) else k[2] for k in keys)
    if not subjects:
        return {}
    if looks[0].history.subject == "person":
        flags, by = Flag.objects.filter(child__isnull=True, person_id__in=subjects), "person_id"
    else:
        flags, by = Flag.objects.filter(child_id__in=subjects), "child_id"
    found = defaultdict(list)
    for flag in flags.filter(resolved_at__isnull=False, due__in=days).order_by("pk"):
        found[getattr(flag, by)].append(flag)
    return found


def _write(histories, outcome: _Outcome, model, now) -> None:

    # A child's flag keeps the unit that held the child when its spell began: the flag ends at
    # a transfer, so that is the unit throughout it, and the dashboard counts it there.
    by_subject = {_subject_id(h): h for h in histories if h.subject == "child"}
    for flag in (*outcome.recorded, *outcome.raised):
        if flag.child_id is not None and flag.child_id in by_subject:
            flag.unit_id = by_subject[flag.child_id].unit_id_at(flag.overdue_since)

    # Resolved before any reopened, so no item ever has two open flags, even mid-statement.
    for changed in (outcome.resolved, outcome.reopened):
        if changed:
            Flag.objects.bulk_update(changed, ["resolved_at", "noticed_resolved_at"])
    if outcome.recorded:
        Flag.objects.bulk_create(outcome.recorded)
    fresh = outcome.raised
    if fresh:
        try:
            # A savepoint: should another writer have raised one of these at the same moment,
            # only this insert is undone and the flags go in one by one below.
            with transaction.atomic():
                Flag.objects.bulk_create(fresh)
        except IntegrityError:
            kept = []
            for flag in fresh:
                flag.pk = None
                try:
                    with transaction.atomic():
                        flag.save()
                except IntegrityError:
                    continue
                kept.append(flag)
            fresh = outcome.raised = kept
        _attach_subjects(histories, fresh)
        # In the flags' transaction: a flag is never raised without its notices.
        notify.flags_raised(fresh, now)
    _set_next_checks(model, outcome.next_check)
    _set_session_dues(outcome.session_due)


def _session_due(items):
    return next((i.due for i in items if i.kind == due.SESSION_OVERDUE), None)


def _set_session_dues(session_due: dict) -> None:
    """Each person's next supervision due, kept beside their next check for the home page
    (StaffProfile.session_due_on), in one UPDATE joined to a list of values, as the checks."""
    if not session_due:
        return
    quote = connection.ops.quote_name
    table = quote(StaffProfile._meta.db_table)
    pk, column = quote(StaffProfile._meta.pk.column), quote("session_due_on")
    typed = "(%s::bigint, %s::date)" if connection.vendor == "postgresql" else "(%s, %s)"
    values = ", ".join([typed] * len(session_due))
    adapt = connection.ops.adapt_datefield_value
    params = [p for row, day in session_due.items() for p in (row, adapt(day))]
    # Names from the model's own metadata; every value is a parameter.
    sql = f"UPDATE {table} SET {column} = v.day FROM (SELECT column1 AS id, column2 AS day "  # noqa: S608
    sql += f"FROM (VALUES {values}) AS rows) AS v WHERE {table}.{pk} = v.id"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _set_next_checks(model, next_check: dict) -> None:
    """Each row's next check, in one UPDATE joined to a list of values (an UPDATE with a
    CASE of hundreds of branches costs more to build than to run)."""
    if not next_check:
        return
    quote = connection.ops.quote_name
    table, pk, column = (
        quote(model._meta.db_table),
        quote(model._meta.pk.column),
        quote("next_check_at"),
    )
    typed = "(%s::bigint, %s::timestamptz)" if connection.vendor == "postgresql" else "(%s, %s)"
    values = ", ".join([typed] * len(next_check))
    adapt = connection.ops.adapt_datetimefield_value
    params = [p for row, when in next_check.items() for p in (row, adapt(when))]
    # Names from the model's own metadata; every value is a parameter.
    sql = f"UPDATE {table} SET {column} = v.at FROM (SELECT column1 AS id, column2 AS at "  # noqa: S608
    sql += f"FROM (VALUES {values}) AS rows) AS v WHERE {table}.{pk} = v.id"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _attach_subjects(histories, flags) -> None:
    """Give each new flag its person and child objects, so the notices read no more."""

    people = {h.user_id: h.user for h in histories if h.subject == "person"}
    missing = {f.person_id for f in flags if f.person_id and f.person_id not in people}
    if missing:
        people.update(User.objects.in_bulk(missing))
    children = Child.objects.in_bulk({f.child_id for f in flags if f.child_id})
    for flag in flags:
        if flag.person_id:
            flag.person = people[flag.person_id]
        if flag.child_id:
            flag.child = children[flag.child_id]


def _sync(histories, model, now: datetime, versions, marked, look_back=LATE_FACTS_WINDOW):
    outcome = _judge(histories, _open_flags(histories), versions, now, set(marked), look_back)
    _write(histories, outcome, model, now)
    # Here, once a batch and inside its transaction, every flag the batch raised
    # (`outcome.raised`), kept as already resolved (`recorded`), resolved (`resolved`) or
    # opened again (`reopened`) is known and written, with its notices: the one place for
    # anything kept per batch of flags, so it commits or is undone with them.
    # The dashboard's summaries of the closed months these flags change are deleted.
    forget_flag_summaries(
        written=(*outcome.raised, *outcome.recorded),
        resolved=outcome.resolved,
        reopened=outcome.reopened,
    )
    return outcome


def _single(outcome: _Outcome) -> SyncResult:
    (next_check,) = outcome.next_check.values()
    return SyncResult(outcome.raised, outcome.resolved, next_check)


@transaction.atomic
def sync_person(profile, now: datetime, versions=None) -> SyncResult:
    """Raise and resolve one person's flags now (the tick does this for a batch)."""

    versions = versions if versions is not None else pack_versions()
    # Locked: a write to this person's facts waits, then marks them for the next tick.
    locked = _profiles().select_for_update(of=("self",)).get(pk=profile.pk)
    return _single(_sync(person_histories([locked]), StaffProfile, now, versions, [locked.pk]))


@transaction.atomic
def sync_child(child, now: datetime, versions=None) -> SyncResult:
    versions = versions if versions is not None else pack_versions()
    locked = Child.objects.select_for_update().get(pk=child.pk)
    return _single(_sync(child_histories([locked.pk]), Child, now, versions, [locked.pk]))
