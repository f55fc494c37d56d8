"""The facts the due rules read, as histories: a batch of people or of children at a time,
in a fixed number of queries, so the rules can be asked about any moment."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django.db.models import (
    Count,
    Max,
    Q,
)
from django.utils import timezone

from agreements.models import SupervisionAgreement
from casework.models import Allocation, CaseNote, Child, RiskRating, Transfer
from oversight.flags.asked import RulesAsked
from oversight.flags.current import CurrentFacts
from oversight.policy import due, standards
from oversight.policy.choice import pack_on
from oversight.policy.packs import Interval
from supervision.models import (
    Action,
    DevelopmentConversation,
    PracticeObservation,
    ProbationReview,
    Signature,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
    WellbeingPlan,
)
from supervision.models.organisation import SupervisorAbsence, Unit

# --- Dates -----------------------------------------------------------------------------------


def _day(moment: datetime | None) -> date | None:
    return due.local_date(moment) if moment is not None else None


_UNASKED = object()  # no pack versions asked about yet


def _remembered(history, versions, at: datetime, ask) -> list[due.DueItem]:
    """The rules' answer for `history` at `at`, asked once a moment: a walk back, the look at
    now and the start of each spell ask again about the same moments (the rules are a function
    of the facts, the pack versions and the moment)."""
    if versions is None:
        return ask(versions, at)  # the pack chosen at the time: not remembered
    asked_of, answers = history._items
    if asked_of is not versions:
        answers = {}
        history._items = (versions, answers)
    if at not in answers:
        answers[at] = ask(versions, at)
    return answers[at]


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
    _current: CurrentFacts | None = field(default=None, repr=False)
    _asked: RulesAsked | None = field(default=None, repr=False)
    _items: tuple = field(default_factory=lambda: (_UNASKED, {}), repr=False)  # (versions, answers)

    subject = "person"

    def on_staff(self, at: datetime) -> bool:
        return self.leaving_date is None or due.local_date(at) < self.leaving_date

    def relationship_start_on(self, day: date) -> date | None:
        """When the supervisory relationship in force on `day` began (the latest, if two)."""
        current = [s for s, e in self.relationships if s <= day and (e is None or e >= day)]
        return max(current) if current else None

    def facts_at(self, at: datetime) -> due.PersonFacts:
        in_force = [
            a for a in self.agreements if a.starts <= at and (a.ends is None or a.ends > at)
        ]
        agreement = max(in_force, key=lambda a: a.order).facts if in_force else None
        state = (self.relationship_start_on(due.local_date(at)), agreement)
        if state not in self._facts:
            self._facts[state] = replace(
                self.base, relationship_start=state[0], agreement=agreement
            )
        return self._facts[state]

    def current(self) -> CurrentFacts:
        if self._current is None:
            self._current = CurrentFacts(self.base)
        return self._current

    def rules_facts_at(self, pack, at: datetime) -> due.PersonFacts:
        """`facts_at(at)` cut to what the rules read on that day under `pack` (the same
        answer, without reading the whole history at every moment a walk asks about)."""
        return self.current().on(self.facts_at(at), pack, due.local_date(at))

    def standards_facts_at(self, pack, at: datetime) -> due.PersonFacts:
        """As `rules_facts_at`, for `due.standard_items` alone: they read no agreement, so
        none is looked for."""
        if self._current is None:
            self._current = CurrentFacts(self.base)
        day = due.local_date(at)
        state = (self.relationship_start_on(day), None)
        if state not in self._facts:
            self._facts[state] = replace(self.base, relationship_start=state[0], agreement=None)
        return self._current.standards_on(self._facts[state], pack, day)

    def items_at(self, versions, at: datetime) -> list[due.DueItem]:
        return list(_remembered(self, versions, at, self._items_at))

    def overdue_at(self, versions, at: datetime, key, keys) -> bool:
        """Whether the item `key` (kind first) was overdue at `at`, as `keys(items_at(at))`
        says: asked first of the one family that gives its kind (RulesAsked), which answers
        a find; all the rules only when it is not found there."""
        asked_of, answers = self._items
        if versions is not None and asked_of is versions and at not in answers:
            some = self._asked.family_items_at(versions, at, key[0]) if self._asked else None
            if some is not None and key in keys(some):
                return True
        return key in keys(self.items_at(versions, at))

    def _items_at(self, versions, at: datetime) -> list[due.DueItem]:
        if versions is not None:
            # Through a walk: each family of rules asked again only when what it reads moved.
            if self._asked is None:
                self._asked = RulesAsked(self)
            return self._asked.items_at(versions, at)
        if not self.on_staff(at):
            return []
        pack = pack_on(due.local_date(at), versions)
        return due.person_items(pack, self.rules_facts_at(pack, at), at)

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
            days += [p.planned_on for p in base.planned]
            days += [p.agreed_on for p in base.wellbeing_plans]
            days += [day for team in base.team_groups for _, day in team.held]
            days.append(base.phase_agreed_on)
            for absence in base.absences:
                days += [absence.starts_on, absence.cover_from]
                if absence.ends_on is not None:
                    days.append(absence.ends_on + timedelta(days=1))
            # A person has the same few days many times over (a session's day, its record's,
            # its signature's): each day's first moment made once.
            moments = {due.day_start(d) for d in set(days) if d is not None}
            for spell in self.agreements:
                moments.add(due.day_start(spell.facts.starts_on))
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
    return StaffProfile.objects.select_related("user", "job_role", "unit")


def person_histories(profiles) -> list[PersonHistory]:
    """The histories of a batch of people (StaffProfile rows with user, job_role and unit),
    in twelve queries whatever the batch's size."""

    profiles = list(profiles)
    ids = [p.user_id for p in profiles]
    if not ids:
        return []
    sessions = _sessions_by_supervisee(ids)
    records, signed = _record_dates(ids)
    relationships, lines, covers = _line_relationships(ids)
    away = _supervisor_absences(lines)
    agreements = _agreement_spells(ids)
    actions = _supervisee_actions(ids)
    observations, conversations, probation, wellbeing = _development_dates(ids)
    team_groups = _team_groups(ids)

    histories = []
    for profile in profiles:
        uid = profile.user_id
        held, cancellations, record_facts, planned = _session_facts(
            sessions.get(uid, []), records=records, signed=signed
        )
        base = due.PersonFacts(
            category=profile.job_role.category,
            start_date=profile.start_date,
            person=profile.user.email,
            asye_start=profile.asye_start_date,
            student=profile.is_student,
            phase_agreed_on=profile.fortnightly_from,
            absences=_absences(lines.get(uid, ()), away, covers.get(uid, ())),
            sessions=held,
            cancellations=cancellations,
            records=record_facts,
            observations=tuple(observations.get(uid, ())),
            development_conversations=tuple(conversations.get(uid, ())),
            probation_end=profile.probation_end_date,
            probation_reviews=tuple(probation.get(uid, ())),
            actions=tuple(actions.get(uid, ())),
            planned=planned,
            wellbeing_plans=tuple(wellbeing.get(uid, ())),
            team_groups=tuple(team_groups.get(uid, ())),
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


def _sessions_by_supervisee(ids) -> dict[int, list[tuple]]:
    Status = SupervisionSession.Status
    sessions = defaultdict(list)
    for row in (
        SupervisionSession.objects.filter(supervisee_id__in=ids)
        .filter(
            Q(status__in=[Status.HELD, Status.CANCELLED, Status.PLANNED])
            | Q(replaces__isnull=False)
        )
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
            "created_at",
        )
    ):
        sessions[row[1]].append(row)
    return sessions


def _record_dates(ids) -> tuple[dict, dict]:
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
    return records, signed


def _line_relationships(ids) -> tuple[dict, dict, dict]:
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
    return relationships, lines, covers


def _supervisor_absences(lines) -> dict[int, list[tuple]]:
    away = defaultdict(list)
    supervisors = {row[0] for rows in lines.values() for row in rows}
    if supervisors:
        for supervisor_id, starts_on, ends_on in SupervisorAbsence.objects.filter(
            supervisor_id__in=supervisors
        ).values_list("supervisor_id", "starts_on", "ends_on"):
            away[supervisor_id].append((starts_on, ends_on))
    return away


def _agreement_spells(ids) -> dict[int, list[_AgreementSpell]]:
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
    return agreements


def _supervisee_actions(ids) -> dict[int, list[due.ActionFacts]]:
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
    return actions


def _development_dates(ids) -> tuple[dict, dict, dict, dict]:
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
    wellbeing = defaultdict(list)
    for person_id, agreed_on, review_on in WellbeingPlan.objects.filter(
        person_id__in=ids
    ).values_list("person_id", "agreed_on", "review_on"):
        wellbeing[person_id].append(standards.WellbeingPlanFacts(agreed_on, review_on))
    return observations, conversations, probation, wellbeing


def _team_groups(ids) -> dict[int, list[standards.TeamGroups]]:
    """C6, Kent's formats: the group supervision of each team the people manage, in one query
    (a team with none held is one row of Nones)."""
    held = defaultdict(lambda: defaultdict(list))
    names = {}
    for manager_id, unit_id, name, format_, held_at in Unit.objects.filter(
        manager_id__in=ids, kind=Unit.Kind.TEAM
    ).values_list("manager_id", "pk", "name", "group_sessions__format", "group_sessions__held_at"):
        names[unit_id] = name
        rows = held[manager_id][unit_id]
        if held_at is not None:
            rows.append((format_, _day(held_at)))
    return {
        manager_id: [
            standards.TeamGroups(names[unit_id], unit_id, tuple(sorted(rows, key=lambda r: r[1])))
            for unit_id, rows in sorted(units.items())
        ]
        for manager_id, units in held.items()
    }


def _session_facts(rows, *, records: dict, signed: dict) -> tuple[tuple, tuple, tuple, tuple]:
    Status = SupervisionSession.Status
    replaced_by = {row[7]: row for row in rows if row[7]}
    held = [row for row in rows if row[2] == Status.HELD]
    sessions = tuple(
        due.HeldSession(
            held_on=_day(row[4]),
            session_type=row[3],
            supervisor=row[8],
            minutes=int((row[5] - row[4]).total_seconds() // 60),
        )
        for row in held
    )
    # S3: each session as it stood on the calendar, from the day it was put there.
    planned = tuple(
        standards.PlannedSession(
            on=_day(row[4]),
            planned_on=min(_day(row[9]), _day(row[4])),
            cancelled_on=_day(row[6] or row[4]) if row[2] == Status.CANCELLED else None,
        )
        for row in rows
        if row[2] in (Status.PLANNED, Status.HELD, Status.CANCELLED)
    )
    cancellations = tuple(
        due.Cancellation(
            cancelled_on=_day(row[6] or row[4]),
            rescheduled_to=_day(replaced_by[row[0]][4]) if row[0] in replaced_by else None,
            about=f"session {row[0]}",
        )
        for row in rows
        if row[2] == Status.CANCELLED
    )
    records_facts = tuple(
        due.RecordFacts(
            session_on=_day(row[5]),
            shared_on=_day(records.get(row[0], (None, None))[0]),
            supervisee_signed_on=_day(signed.get(row[0])),
            finalised_on=_day(records.get(row[0], (None, None))[1]),
            about=f"session {row[0]}",
        )
        for row in held
    )
    return sessions, cancellations, records_facts, planned


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
        starts = due.day_start(starts_on)
    else:
        return None
    ends = superseded_at if status == "superseded" else None
    if status == "superseded" and ends is None:
        return None
    if relationship_ends_on is not None:
        over = due.day_start(relationship_ends_on + timedelta(days=1))
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
    transfers: tuple[standards.TransferFacts, ...] = ()
    joint_days: tuple[date, ...] = ()
    _events: list | None = field(default=None, repr=False)
    _facts: dict = field(default_factory=dict, repr=False)
    _items: tuple = field(default_factory=lambda: (_UNASKED, {}), repr=False)  # (versions, answers)

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
            transfers=self.transfers,
            joint_days=self.joint_days,
        )

    def items_at(self, versions, at: datetime) -> list[due.DueItem]:
        return list(_remembered(self, versions, at, self._items_at))

    def _items_at(self, versions, at: datetime) -> list[due.DueItem]:
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
            moments.update(due.day_start(c.on) for c in self.levels)
            if self.closed_on is not None:
                moments.add(due.day_start(self.closed_on))
            for transfer in self.transfers:
                # C5: a transfer's item starts when it is recorded and ends after its day.
                moments.add(due.day_start(transfer.recorded_on))
                moments.add(due.day_start(transfer.planned_for + timedelta(days=1)))
                if transfer.ended_on is not None:
                    moments.add(due.day_start(transfer.ended_on))
            moments.update(due.day_start(day) for day in self.joint_days)
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
    """The histories of a batch of children (Child rows, or their ids), in seven queries (six
    when none has a transfer) whatever the batch's size. Plain values, not model instances: a
    tick reads thousands."""

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
    allocations = _allocations_by_child(ids)
    levels = _risk_changes_by_child(ids)
    discussions, group = _discussions_by_child(ids)
    transfers, joint_days = _transfers_by_child(ids)

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
                transfers=tuple(transfers.get(pk, ())),
                joint_days=tuple(joint_days.get(pk, ())),
            )
        )
    return histories


def _allocations_by_child(ids) -> dict[int, list[_Held]]:
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
    return allocations


def _risk_changes_by_child(ids) -> dict[int, list[due.RiskChange]]:
    levels = defaultdict(list)
    for child_id, scale, level, set_at in (
        RiskRating.objects.filter(child_id__in=ids)
        .order_by("set_at", "pk")
        .values_list("child_id", "scale", "level", "set_at")
    ):
        levels[child_id].append(due.RiskChange(on=_day(set_at), scale=scale, level=level))
    return levels


def _discussions_by_child(ids) -> tuple[dict, dict]:
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
    return discussions, group


# C5: a discussion that may be the joint supervision before a transfer, drafts too: it was
# held even if its note is not signed yet (as casework.transfer_services shows it).
_JOINT_KINDS = (
    CaseNote.Kind.JOINT_SUPERVISION,
    CaseNote.Kind.TRANSFER,
    CaseNote.Kind.CASE_SUPERVISION,
)


def _transfers_by_child(ids) -> tuple[dict, dict]:
    transfers = defaultdict(list)
    for pk, child_id, planned_for, status, created_at, completed_at in (
        Transfer.objects.filter(child_id__in=ids)
        .order_by("planned_for", "pk")
        .values_list("pk", "child_id", "planned_for", "status", "created_at", "completed_at")
    ):
        recorded_on = _day(created_at)
        ended_on = _day(completed_at)
        if status == Transfer.Status.CANCELLED and ended_on is None:
            # Called off before its time was kept: as if it never was.
            ended_on = recorded_on
        transfers[child_id].append(
            standards.TransferFacts(
                planned_for=planned_for,
                recorded_on=recorded_on,
                ended_on=ended_on,
                about=f"transfer {pk}",
            )
        )
    joint_days = defaultdict(set)
    if transfers:
        for child_id, discussed_at in CaseNote.objects.filter(
            child_id__in=list(transfers), kind__in=_JOINT_KINDS
        ).values_list("child_id", "discussed_at"):
            joint_days[child_id].add(_day(discussed_at))
    return transfers, {child_id: sorted(days) for child_id, days in joint_days.items()}


def child_facts(child, at: datetime | None = None) -> due.ChildFacts | None:
    """Everything the rules need about one child at a moment; None before the child was
    first allocated."""
    return child_histories([child])[0].facts_at(at or timezone.now())
