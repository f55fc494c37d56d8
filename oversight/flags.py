"""From the facts recorded to flags raised and resolved (issue 7, points 3, 4 and 7).

`oversight.due` decides, from plain facts, what is due and overdue at a moment. This module
reads those facts from the database, a batch of people or children at a time in a fixed number
of queries (`person_histories`, `child_histories`), keeps the flags in step with the rules
(`sync_person`, `sync_child`, and the scheduled `tick`) and answers the compliance report
(`compliance_rows`, and `flags_held_at` / `held_rows` for what the flags say).

Facts are kept as a history, so the rules can be asked about any moment: which line
relationship and which agreement were in force then, which allocation held the child then (its
worker, unit, service and start), which pack version applied that day. Between two moments at
which a fact took effect (`events()`), only due dates passing change the answer, so walking a
history from one such moment to the next (`_walk`) finds exactly when each item was overdue.

A flag is one spell of one overdue item: its kind, its subject, which one (`about`) and its
due date. Its two moments are the rules', never the job's:
- `overdue_since`: when, with the facts in force then, the rules first said the item was
  overdue: the start of the day after its due date (the due moment itself for C3), or later
  where a fact since moved the due date back (an agreement coming into force that asks for
  more frequent supervision). The report's "since" is worked from the due date, in both.
- `resolved_at`: when the fact that ended the spell took effect: the start of the day a late
  session was held, the moment a new allocation was discussed, the moment of a transfer.
When the due date of an item still overdue moves (a late-entered session, a risk rise), the old
flag is resolved when the old item stopped being overdue and a new one is raised. An item
overdue again after its spell ended (an agreement superseded) is a new flag, new notice.

A subject marked changed (a write to its facts) is walked back LATE_FACTS_WINDOW: a fact entered
late with an earlier date can open and close a spell that no tick saw (a session entered with
its record days after it was held), and such a spell is kept as a flag raised already resolved,
without a notice. The first evaluation of an organisation records the last LATE_FACTS_WINDOW.

So, when the job has been running, the flags held at any moment equal the compliance report
for that moment (tests/test_flags.py checks this across a month of events). Where they cannot:
- a spell that began and ended more than LATE_FACTS_WINDOW before the facts making it were
  entered (or, for a new organisation, before its first evaluation);
- a gap inside a spell still open, made by facts entered later (an agreement back-dated into a
  spell and superseded since): the open flag spans the gap;
- a pack version whose effective date is set in the past, or a fact changed with its history
  lost (a person's job role, start date, unit or probation end; the unit of a child held by no
  allocation): both answer with the values as they are now, but flags already resolved keep
  the history as it was judged then.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import due
from .models import Flag, OrganisationPolicy, PolicyPackVersion
from .packs import Interval, PolicyPack, load_pack, pack_in_force

# How long a claimed row is left alone, were the claim ever committed without its result.
CLAIM_LEASE = timedelta(minutes=30)
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


# --- The pack in force -----------------------------------------------------------------------


class NoPolicyPack(Exception):
    pass


def pack_code() -> str:
    """The pack the organisation runs today."""
    policy = OrganisationPolicy.current()
    if policy is None:
        raise NoPolicyPack("No policy pack is chosen for this organisation.")
    return policy.pack_code


def pack_versions(code: str | None = None) -> list[PolicyPack]:
    """One pack's versions, or, with no code, the organisation's timeline: for each choice of
    pack, the version in force when it was chosen (re-dated to the choice) and that pack's
    later versions up to the next choice. `pack_on` then answers any day with the pack the
    organisation ran on that day."""
    if code is not None:
        versions = [load_pack(row.data) for row in PolicyPackVersion.objects.filter(code=code)]
        if not versions:
            raise NoPolicyPack("The chosen policy pack has no versions.")
        return versions
    choices = list(OrganisationPolicy.objects.order_by("effective_from", "pk"))
    if not choices:
        raise NoPolicyPack("No policy pack is chosen for this organisation.")
    by_code: dict[str, list[PolicyPack]] = {}
    for row in PolicyPackVersion.objects.filter(code__in={c.pack_code for c in choices}):
        by_code.setdefault(row.code, []).append(load_pack(row.data))
    timeline: list[PolicyPack] = []
    for index, choice in enumerate(choices):
        versions = by_code.get(choice.pack_code, [])
        if not versions:
            continue
        until = choices[index + 1].effective_from if index + 1 < len(choices) else None
        first = pack_in_force(versions, choice.effective_from) or min(
            versions, key=lambda p: (p.effective_from, p.version)
        )
        timeline.append(replace(first, effective_from=choice.effective_from))
        timeline += [
            v
            for v in versions
            if choice.effective_from < v.effective_from
            and (until is None or v.effective_from < until)
        ]
    if not timeline:
        raise NoPolicyPack("The chosen policy pack has no versions.")
    return timeline


def pack_on(day: date, versions: list[PolicyPack] | None = None) -> PolicyPack:
    versions = versions if versions is not None else pack_versions()
    pack = pack_in_force(versions, day)
    if pack is None:
        # Before the first version's effective date, the first version applies: the rules
        # must answer for facts imported from before the organisation adopted the pack.
        pack = min(versions, key=lambda p: (p.effective_from, p.version), default=None)
    if pack is None:
        raise NoPolicyPack("The chosen policy pack has no versions.")
    return pack


def _version_changes(versions: list[PolicyPack]) -> list[datetime]:
    return [_day_start(p.effective_from) for p in versions]


# --- Dates -----------------------------------------------------------------------------------


def _day(moment: datetime | None) -> date | None:
    return due.local_date(moment) if moment is not None else None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=due.LONDON)


# --- A member of staff's facts through time --------------------------------------------------


@dataclass
class _AgreementSpell:
    """An agreement in force from `starts` until `ends` (None: still in force)."""

    starts: datetime
    ends: datetime | None
    facts: due.AgreementFacts
    order: tuple


@dataclass
class PersonHistory:
    profile_id: int
    user_id: int
    email: str
    unit_path: str
    start_date: date
    leaving_date: date | None
    base: due.PersonFacts  # everything that does not change with the moment asked about
    relationships: list[tuple[date, date | None]] = field(default_factory=list)
    agreements: list[_AgreementSpell] = field(default_factory=list)
    user: object = None
    _events: list | None = field(default=None, repr=False)
    _facts: dict = field(default_factory=dict, repr=False)

    subject = "person"

    def on_staff(self, at: datetime) -> bool:
        return self.leaving_date is None or due.local_date(at) < self.leaving_date

    def facts_at(self, at: datetime) -> due.PersonFacts:
        day = due.local_date(at)
        current = [s for s, e in self.relationships if s <= day and (e is None or e >= day)]
        in_force = [
            a for a in self.agreements if a.starts <= at and (a.ends is None or a.ends > at)
        ]
        agreement = max(in_force, key=lambda a: a.order).facts if in_force else None
        state = (max(current) if current else None, agreement)
        if state not in self._facts:
            self._facts[state] = replace(
                self.base, relationship_start=state[0], agreement=agreement
            )
        return self._facts[state]

    def items_at(self, versions, at: datetime) -> list[due.DueItem]:
        if not self.on_staff(at):
            return []
        return due.person_items(pack_on(due.local_date(at), versions), self.facts_at(at), at)

    def events(self) -> list[datetime]:
        """Every moment at which this person's facts change what the rules say: the start of
        each day a dated fact took effect, and the moments agreements came into force or were
        superseded. Between two of these, only the passing of due dates changes anything."""
        if self._events is None:
            base = self.base
            days = [self.start_date, *base.observations, *base.development_conversations]
            if self.leaving_date:
                days.append(self.leaving_date)
            for starts, ends in self.relationships:
                days += [starts, ends + timedelta(days=1)] if ends else [starts]
            days += [s.held_on for s in base.sessions]
            days += [c.cancelled_on for c in base.cancellations]
            for r in base.records:
                days += [r.session_on, r.shared_on, r.supervisee_signed_on, r.finalised_on]
            days += [a.done_on for a in base.actions]
            days += [r.held_on for r in base.probation_reviews]
            days.append(base.phase_agreed_on)
            for absence in base.absences:
                days += [absence.starts_on, absence.cover_from]
                if absence.ends_on is not None:
                    days.append(absence.ends_on + timedelta(days=1))
            moments = {_day_start(d) for d in days if d is not None}
            for spell in self.agreements:
                moments.add(_day_start(spell.facts.starts_on))
                moments.add(spell.starts)
                if spell.ends is not None:
                    moments.add(spell.ends)
            self._events = sorted(moments)
        return self._events

    def dormant(self, at: datetime) -> bool:
        return not self.on_staff(at)

    def staff_at(self, at: datetime) -> tuple[int | None, str]:
        return self.user_id, self.email

    def unit_path_at(self, at: datetime) -> str:
        return self.unit_path

    def flag_subject(self, at: datetime) -> dict:
        return {"person_id": self.user_id}

    def unit_id_at(self, at: datetime) -> None:
        # A member of staff's flags count in their unit as it is now, as the report has it.
        return None


def _profiles():
    from supervision.models import StaffProfile

    return StaffProfile.objects.select_related("user", "job_role", "unit")


def person_histories(profiles) -> list[PersonHistory]:
    """The histories of a batch of people (StaffProfile rows with user, job_role and unit),
    in ten queries whatever the batch's size."""
    from agreements.models import SupervisionAgreement
    from supervision.models import (
        Action,
        DevelopmentConversation,
        PracticeObservation,
        ProbationReview,
        Signature,
        SupervisionRecord,
        SupervisionSession,
        SupervisoryRelationship,
    )
    from supervision.models.organisation import SupervisorAbsence

    profiles = list(profiles)
    ids = [p.user_id for p in profiles]
    if not ids:
        return []
    Status = SupervisionSession.Status
    sessions = defaultdict(list)
    for row in (
        SupervisionSession.objects.filter(supervisee_id__in=ids)
        .filter(Q(status__in=[Status.HELD, Status.CANCELLED]) | Q(replaces__isnull=False))
        .order_by("starts_at", "pk")
        .values_list(
            "pk",
            "supervisee_id",
            "status",
            "session_type",
            "starts_at",
            "ends_at",
            "cancelled_at",
            "replaces_id",
            "supervisor__email",
        )
    ):
        sessions[row[1]].append(row)
    records = {
        session_id: (shared_at, finalised_at)
        for session_id, shared_at, finalised_at in SupervisionRecord.objects.filter(
            session__supervisee_id__in=ids
        ).values_list("session_id", "shared_at", "finalised_at")
    }
    signed = dict(
        Signature.objects.filter(
            record__session__supervisee_id__in=ids, role=Signature.Role.SUPERVISEE
        ).values_list("record__session_id", "signed_at")
    )
    relationships, lines, covers = defaultdict(list), defaultdict(list), defaultdict(list)
    Kind = SupervisoryRelationship.Kind
    related = SupervisoryRelationship.objects.filter(
        supervisee_id__in=ids, kind__in=[Kind.LINE, Kind.TEMPORARY_COVER]
    ).values_list("supervisee_id", "supervisor_id", "kind", "starts_on", "ends_on")
    for supervisee_id, supervisor_id, kind, starts_on, ends_on in related:
        if kind == Kind.LINE:
            relationships[supervisee_id].append((starts_on, ends_on))
            lines[supervisee_id].append((supervisor_id, starts_on, ends_on))
        else:
            covers[supervisee_id].append((starts_on, ends_on))
    away = defaultdict(list)
    supervisors = {row[0] for rows in lines.values() for row in rows}
    if supervisors:
        for supervisor_id, starts_on, ends_on in SupervisorAbsence.objects.filter(
            supervisor_id__in=supervisors
        ).values_list("supervisor_id", "starts_on", "ends_on"):
            away[supervisor_id].append((starts_on, ends_on))
    agreements = defaultdict(list)
    Agreement = SupervisionAgreement.Status
    for row in (
        SupervisionAgreement.objects.filter(
            relationship__supervisee_id__in=ids,
            relationship__kind=SupervisoryRelationship.Kind.LINE,
            status__in=[Agreement.ACTIVE, Agreement.SUPERSEDED],
        )
        .annotate(signed_at=Max("signatures__signed_at"), signatures_made=Count("signatures"))
        .values_list(
            "relationship__supervisee_id",
            "relationship_id",
            "version",
            "starts_on",
            "review_due_on",
            "frequency_value",
            "frequency_unit",
            "status",
            "superseded_at",
            "signed_at",
            "signatures_made",
            "relationship__ends_on",
        )
    ):
        spell = _agreement_spell(*row[1:])
        if spell is not None:
            agreements[row[0]].append(spell)
    actions = defaultdict(list)
    for pk, supervisee_id, due_on, status, changed_at in Action.objects.filter(
        supervisee_id__in=ids, owner=Action.Owner.SUPERVISEE
    ).values_list("pk", "supervisee_id", "due_date", "status", "status_changed_at"):
        done = None
        if status != Action.Status.OPEN:
            done = _day(changed_at) or due_on
        actions[supervisee_id].append(
            due.ActionFacts(due_on=due_on, done_on=done, about=f"action {pk}")
        )
    observations = defaultdict(list)
    for person_id, observed_on in PracticeObservation.objects.filter(
        practitioner_id__in=ids
    ).values_list("practitioner_id", "observed_on"):
        observations[person_id].append(observed_on)
    conversations = defaultdict(list)
    for person_id, held_on in DevelopmentConversation.objects.filter(person_id__in=ids).values_list(
        "person_id", "held_on"
    ):
        conversations[person_id].append(held_on)
    probation = defaultdict(list)
    for person_id, month, held_on in ProbationReview.objects.filter(person_id__in=ids).values_list(
        "person_id", "month", "held_on"
    ):
        probation[person_id].append(due.ProbationReviewHeld(month=month, held_on=held_on))

    histories = []
    for profile in profiles:
        uid = profile.user_id
        rows = sessions.get(uid, [])
        replaced_by = {row[7]: row for row in rows if row[7]}
        held = [row for row in rows if row[2] == Status.HELD]
        base = due.PersonFacts(
            category=profile.job_role.category,
            start_date=profile.start_date,
            person=profile.user.email,
            asye_start=profile.asye_start_date,
            student=profile.is_student,
            phase_agreed_on=profile.fortnightly_from,
            absences=_absences(lines.get(uid, ()), away, covers.get(uid, ())),
            sessions=tuple(
                due.HeldSession(held_on=_day(row[4]), session_type=row[3], supervisor=row[8])
                for row in held
            ),
            cancellations=tuple(
                due.Cancellation(
                    cancelled_on=_day(row[6] or row[4]),
                    rescheduled_to=_day(replaced_by[row[0]][4]) if row[0] in replaced_by else None,
                    about=f"session {row[0]}",
                )
                for row in rows
                if row[2] == Status.CANCELLED
            ),
            records=tuple(
                due.RecordFacts(
                    session_on=_day(row[5]),
                    shared_on=_day(records.get(row[0], (None, None))[0]),
                    supervisee_signed_on=_day(signed.get(row[0])),
                    finalised_on=_day(records.get(row[0], (None, None))[1]),
                    about=f"session {row[0]}",
                )
                for row in held
            ),
            observations=tuple(observations.get(uid, ())),
            development_conversations=tuple(conversations.get(uid, ())),
            probation_end=profile.probation_end_date,
            probation_reviews=tuple(probation.get(uid, ())),
            actions=tuple(actions.get(uid, ())),
        )
        histories.append(
            PersonHistory(
                profile_id=profile.pk,
                user_id=uid,
                email=profile.user.email,
                unit_path=profile.unit.path,
                start_date=profile.start_date,
                leaving_date=profile.leaving_date,
                base=base,
                relationships=relationships.get(uid, []),
                agreements=agreements.get(uid, []),
                user=profile.user,
            )
        )
    return histories


def _absences(lines, away, covers) -> tuple[due.Absence, ...]:
    """S5, for one supervisee: each absence of a line supervisor while they supervised this
    person, cut to the days of that relationship (a new line supervisor ends the need for
    cover; one taken on mid-absence leaves the supervisee without from that day), with the
    first day a temporary cover relationship was in place for it, if any. A cover arranged
    before the absence began and running into it covers it from its first day."""
    found = []
    for supervisor_id, related_from, related_to in lines:
        for starts_on, ends_on in away.get(supervisor_id, ()):
            if (related_to is not None and starts_on > related_to) or (
                ends_on is not None and ends_on < related_from
            ):
                continue
            start = max(starts_on, related_from)
            ends = [d for d in (ends_on, related_to) if d is not None]
            end = min(ends) if ends else None
            cover = [
                max(cover_from, start)
                for cover_from, cover_to in covers
                if cover_to is None or cover_to >= start
            ]
            found.append(
                due.Absence(starts_on=start, ends_on=end, cover_from=min(cover, default=None))
            )
    return tuple(sorted(found, key=lambda a: a.starts_on))


def _agreement_spell(
    relationship_id,
    version,
    starts_on,
    review_due_on,
    frequency_value,
    frequency_unit,
    status,
    superseded_at,
    signed_at,
    signatures_made,
    relationship_ends_on=None,
) -> _AgreementSpell | None:
    """When an agreement was in force: from the second signature (or, for an agreement
    recorded as in force without its signatures, from the day it starts) until it was
    superseded, and never past the last day of its relationship (a change of supervisor or a
    leaving recorded ahead supersedes it only when the day has passed). A superseded draft
    was never in force."""
    if signatures_made >= 2:
        starts = signed_at
    elif status == "active":
        starts = _day_start(starts_on)
    else:
        return None
    ends = superseded_at if status == "superseded" else None
    if status == "superseded" and ends is None:
        return None
    if relationship_ends_on is not None:
        over = _day_start(relationship_ends_on + timedelta(days=1))
        ends = over if ends is None else min(ends, over)
        if ends <= starts:
            return None
    interval = None
    if frequency_value and frequency_unit:
        interval = Interval(frequency_value, frequency_unit)
    return _AgreementSpell(
        starts=starts,
        ends=ends,
        facts=due.AgreementFacts(
            starts_on=starts_on, in_force=True, interval=interval, review_due_on=review_due_on
        ),
        order=(starts_on, relationship_id, version),
    )


def person_facts(profile, at: datetime | None = None) -> due.PersonFacts:
    """Everything the rules need about one member of staff at a moment, as plain facts."""
    profile = _profiles().get(pk=profile.pk)
    return person_histories([profile])[0].facts_at(at or timezone.now())


# --- A child's facts through time ------------------------------------------------------------


@dataclass
class _Held:
    """One allocation: who held the child, where, in which service, from when."""

    starts_at: datetime | None
    ends_at: datetime | None
    worker_id: int | None
    worker_email: str
    unit_path: str
    service: str
    first_discussed_at: datetime | None
    unit_id: int | None = None


@dataclass
class ChildHistory:
    child_id: int
    reference: str
    closed_on: date | None
    service: str
    service_since: date | None
    unit_path: str
    allocations: list[_Held]
    levels: tuple[due.RiskChange, ...]
    discussions: tuple[datetime, ...]
    group_discussions: tuple[datetime, ...]
    unit_id: int | None = None
    _events: list | None = field(default=None, repr=False)
    _facts: dict = field(default_factory=dict, repr=False)

    subject = "child"

    def _index_at(self, at: datetime) -> int | None:
        """The allocation that applies at `at`: the one in force, or after the closure the
        one the case closed under; None before the first allocation."""
        found = None
        for index, held in enumerate(self.allocations):
            if held.starts_at is not None and held.starts_at > at:
                break
            found = index
            if held.ends_at is None or held.ends_at > at:
                return index
        if found is not None and self.closed_on is not None and self.closed_on <= _day(at):
            return found
        return None

    def facts_at(self, at: datetime) -> due.ChildFacts | None:
        index = self._index_at(at)
        if index is None:
            return None
        group = tuple(m for m in self.group_discussions if m <= at)
        state = (index, len(group))
        if state not in self._facts:
            self._facts[state] = self._facts_in(index, group)
        return self._facts[state]

    def _facts_in(self, index: int, group: tuple) -> due.ChildFacts:
        held = self.allocations[index]
        first = index
        while first > 0 and self.allocations[first - 1].service == held.service:
            first -= 1
        since = _day(self.allocations[first].starts_at)
        runs_to_now = all(a.service == held.service for a in self.allocations[index:])
        if runs_to_now and self.service == held.service and self.service_since is not None:
            since = self.service_since if since is None else min(since, self.service_since)
        # The levels the current service set: the old service's mean nothing on its scales.
        levels = tuple(c for c in self.levels if since is None or c.on >= since)
        return due.ChildFacts(
            reference=self.reference,
            service=held.service,
            allocated_at=held.starts_at,
            service_since=since,
            levels=levels,
            discussions=self.discussions,
            group_discussions=group,
            allocation_discussed_at=held.first_discussed_at,
            in_group_supervision=bool(group),
            closed_on=self.closed_on,
        )

    def items_at(self, versions, at: datetime) -> list[due.DueItem]:
        facts = self.facts_at(at)
        if facts is None:
            return []
        return due.child_items(pack_on(due.local_date(at), versions), facts, at)

    def events(self) -> list[datetime]:
        """Every moment at which this child's facts change what the rules say."""
        if self._events is None:
            moments = {*self.discussions, *self.group_discussions}
            for held in self.allocations:
                for moment in (held.starts_at, held.ends_at, held.first_discussed_at):
                    if moment is not None:
                        moments.add(moment)
            moments.update(_day_start(c.on) for c in self.levels)
            if self.closed_on is not None:
                moments.add(_day_start(self.closed_on))
            self._events = sorted(moments)
        return self._events

    def dormant(self, at: datetime) -> bool:
        return self.closed_on is not None and self.closed_on <= due.local_date(at)

    def staff_at(self, at: datetime) -> tuple[int | None, str]:
        """The worker holding the child at `at`; after closure, the last one."""
        index = self._index_at(at)
        if index is None:
            return None, ""
        held = self.allocations[index]
        return held.worker_id, held.worker_email

    def unit_path_at(self, at: datetime) -> str:
        """The unit of the allocation in force at `at`, else (closed, or not yet held) the
        child's own."""
        index = self._index_at(at)
        if index is not None:
            held = self.allocations[index]
            if held.ends_at is None or held.ends_at > at:
                return held.unit_path
        return self.unit_path

    def unit_id_at(self, at: datetime) -> int | None:
        """`unit_path_at`'s unit, by id."""
        index = self._index_at(at)
        if index is not None:
            held = self.allocations[index]
            if held.ends_at is None or held.ends_at > at:
                return held.unit_id
        return self.unit_id

    def flag_subject(self, at: datetime) -> dict:
        return {"child_id": self.child_id, "person_id": self.staff_at(at)[0]}


def child_histories(children) -> list[ChildHistory]:
    """The histories of a batch of children (Child rows, or their ids), in five queries
    whatever the batch's size. Plain values, not model instances: a tick reads thousands."""
    from casework.models import Allocation, CaseNote, Child, RiskRating

    ids = [getattr(c, "pk", c) for c in children]
    if not ids:
        return []
    rows = (
        Child.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list(
            "pk",
            "reference",
            "closed_on",
            "service",
            "service_since",
            "unit__path",
            "allocated_at",
            "allocated_worker_id",
            "allocated_worker__email",
            "unit_id",
        )
    )
    allocations = defaultdict(list)
    for row in (
        Allocation.objects.filter(child_id__in=ids)
        .order_by("starts_at", "pk")
        .values_list(
            "child_id",
            "starts_at",
            "ends_at",
            "worker_id",
            "worker__email",
            "unit__path",
            "service",
            "first_discussed_at",
            "unit_id",
        )
    ):
        allocations[row[0]].append(_Held(*row[1:]))
    levels = defaultdict(list)
    for child_id, scale, level, set_at in (
        RiskRating.objects.filter(child_id__in=ids)
        .order_by("set_at", "pk")
        .values_list("child_id", "scale", "level", "set_at")
    ):
        levels[child_id].append(due.RiskChange(on=_day(set_at), scale=scale, level=level))
    one_to_one = {CaseNote.Kind.CASE_SUPERVISION, CaseNote.Kind.JOINT_SUPERVISION}
    discussions, group = defaultdict(list), defaultdict(list)
    for child_id, kind, discussed_at in (
        CaseNote.objects.filter(
            child_id__in=ids,
            status=CaseNote.Status.FINAL,
            kind__in=[*one_to_one, CaseNote.Kind.GROUP_SUPERVISION],
        )
        .order_by("discussed_at")
        .values_list("child_id", "kind", "discussed_at")
    ):
        (discussions if kind in one_to_one else group)[child_id].append(discussed_at)

    histories = []
    for (
        pk,
        reference,
        closed_on,
        service,
        since,
        unit_path,
        allocated_at,
        worker,
        email,
        unit,
    ) in rows:
        held = allocations.get(pk) or [
            # A child recorded without its allocation history: what the row says now.
            _Held(allocated_at, None, worker, email or "", unit_path, service, None, unit)
        ]
        histories.append(
            ChildHistory(
                child_id=pk,
                reference=reference,
                closed_on=closed_on,
                service=service,
                service_since=since,
                unit_path=unit_path,
                unit_id=unit,
                allocations=held,
                levels=tuple(levels.get(pk, ())),
                discussions=tuple(discussions.get(pk, ())),
                group_discussions=tuple(group.get(pk, ())),
            )
        )
    return histories


def child_facts(child, at: datetime | None = None) -> due.ChildFacts | None:
    """Everything the rules need about one child at a moment; None before the child was
    first allocated."""
    return child_histories([child])[0].facts_at(at or timezone.now())


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


def _walk(history, versions, start: datetime, end: datetime) -> _Timeline:
    """Ask the rules at `start`, then at every later moment something can change up to `end`:
    each moment a fact took effect (`history.events()`), each day a pack version came into
    force, and each moment an item falls overdue. Nothing else moves the answer."""
    events = [
        m for m in sorted({*history.events(), *_version_changes(versions)}) if start < m <= end
    ]
    timeline = _Timeline([], [], {})
    moment, index = start, 0
    while True:
        items = history.items_at(versions, moment)
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
    upcoming += [m for m in history.events() if m > now]
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


@dataclass
class _Look:
    """One subject looked at now: its items, its open flags, and what is to change."""

    history: object
    items: list
    overdue: dict
    flags: list  # open flags, some being resolved
    timeline: _Timeline | None = None
    raise_keys: list = field(default_factory=list)


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


def _spell_began(look: _Look, key, known: list, versions, now: datetime) -> datetime:
    """When the spell of an item overdue now began: when its due date passed, unless it was
    not overdue then (a fact since moved the due date back: an agreement, a pack version) or
    has been overdue before (an agreement superseded): then, when the rules last began to say
    so. Walked only when that is in doubt."""
    history, when = look.history, look.overdue[key].due
    began, timeline = _turns_overdue(when), look.timeline
    if timeline is None or timeline.moments[0] > began:
        again = any(_flag_key(f) == key for f in known)
        if not again and key in _overdue_keys(history.items_at(versions, began)):
            if timeline is None or key in timeline.keys[0]:
                return due.overdue_from(when)
            return timeline.last_began(key)  # a gap since, seen in the window walked
        timeline = look.timeline = _walk(history, versions, began, now)
    started = timeline.last_began(key)
    return due.overdue_from(when) if started <= began else started


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
    from . import notify

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
        for flag in fresh:
            notify.flag_raised(flag, now)
    _set_next_checks(model, outcome.next_check)


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
    from casework.models import Child
    from supervision.models import User

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
    return outcome


def _single(outcome: _Outcome) -> SyncResult:
    (next_check,) = outcome.next_check.values()
    return SyncResult(outcome.raised, outcome.resolved, next_check)


@transaction.atomic
def sync_person(profile, now: datetime, versions=None) -> SyncResult:
    """Raise and resolve one person's flags now (the tick does this for a batch)."""
    from supervision.models import StaffProfile

    versions = versions if versions is not None else pack_versions()
    # Locked: a write to this person's facts waits, then marks them for the next tick.
    locked = _profiles().select_for_update(of=("self",)).get(pk=profile.pk)
    return _single(_sync(person_histories([locked]), StaffProfile, now, versions, [locked.pk]))


@transaction.atomic
def sync_child(child, now: datetime, versions=None) -> SyncResult:
    from casework.models import Child

    versions = versions if versions is not None else pack_versions()
    locked = Child.objects.select_for_update().get(pk=child.pk)
    return _single(_sync(child_histories([locked.pk]), Child, now, versions, [locked.pk]))


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
    from casework.models import Child
    from supervision.models import StaffProfile

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
    from supervision.models import StaffProfile

    StaffProfile.objects.filter(user_id=user_id).update(next_check_at=None)


def attribute_units(flags) -> int:
    """Give children's flags written without the job (a bulk load) the unit the job would:
    the allocation's when the spell began, else the child's own. Returns rows updated."""
    from casework.models import Allocation, Child

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
    from casework.models import Child

    Child.objects.filter(pk=child_id).update(next_check_at=None)


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
    from casework.models import Allocation, Child

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
    from casework.models import Allocation

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
