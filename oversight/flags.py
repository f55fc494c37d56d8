"""From the facts recorded to flags raised and resolved (issue 7, points 3, 4 and 7).

`oversight.due` decides, from plain facts, what is due and overdue at a moment. This module
reads those facts from the database (`person_facts`, `child_facts`), keeps the flags in step
with the rules (`sync_person`, `sync_child`), runs the scheduled tick (`tick`) and answers the
compliance report (`compliance_rows`).

Two moments matter for a flag, and neither is when the job happened to run:
- `overdue_since`: when the rules say the item became overdue;
- `resolved_at`: when the fact that resolved it took effect (the day a late session was held,
  the moment a new allocation was discussed), found by asking the rules at the candidate
  moments between the two.
So the flags held at any moment equal what the compliance report says for that moment, even
when the job ran late or a fact was entered days after it happened.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from . import due
from .models import Flag, OrganisationPolicy, PolicyPackVersion
from .packs import Interval, PolicyPack, load_pack, pack_in_force

# How long a claimed row is left alone if the worker that claimed it dies mid-evaluation.
CLAIM_LEASE = timedelta(minutes=30)
# Nobody goes longer than this without being looked at again, whatever the rules say next.
RECHECK_AT_LEAST_EVERY = timedelta(days=1)
NO_CHILD = ""


# --- The pack in force -----------------------------------------------------------------------


class NoPolicyPack(Exception):
    pass


def pack_code() -> str:
    policy = OrganisationPolicy.objects.first()
    if policy is None:
        raise NoPolicyPack("No policy pack is chosen for this organisation.")
    return policy.pack_code


def pack_versions(code: str | None = None) -> list[PolicyPack]:
    code = code or pack_code()
    return [load_pack(row.data) for row in PolicyPackVersion.objects.filter(code=code)]


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


# --- Facts from the database -----------------------------------------------------------------


def _day(moment: datetime | None) -> date | None:
    return due.local_date(moment) if moment is not None else None


def person_facts(profile, at: datetime | None = None) -> due.PersonFacts:
    """Everything the rules need about one member of staff, as plain facts."""
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

    user = profile.user
    day = _day(at) if at else timezone.localdate()
    sessions = list(
        SupervisionSession.objects.filter(supervisee=user)
        .select_related("supervisor")
        .order_by("starts_at")
    )
    held = [s for s in sessions if s.status == SupervisionSession.Status.HELD]
    replaced_by = {s.replaces_id: s for s in sessions if s.replaces_id}
    cancellations = [
        due.Cancellation(
            cancelled_on=_day(s.cancelled_at or s.starts_at),
            rescheduled_to=_day(replaced_by[s.pk].starts_at) if s.pk in replaced_by else None,
            about=f"session {s.pk}",
        )
        for s in sessions
        if s.status == SupervisionSession.Status.CANCELLED
    ]
    records = {
        r.session_id: r
        for r in SupervisionRecord.objects.filter(session__supervisee=user).only(
            "session_id", "shared_at", "finalised_at"
        )
    }
    signed = dict(
        Signature.objects.filter(
            record__session__supervisee=user, role=Signature.Role.SUPERVISEE
        ).values_list("record__session_id", "signed_at")
    )
    record_facts = []
    for session in held:
        record = records.get(session.pk)
        record_facts.append(
            due.RecordFacts(
                session_on=_day(session.ends_at),
                shared_on=_day(record.shared_at) if record else None,
                supervisee_signed_on=_day(signed.get(session.pk)),
                finalised_on=_day(record.finalised_at) if record else None,
                about=f"session {session.pk}",
            )
        )
    line = (
        SupervisoryRelationship.objects.filter(
            supervisee=user, kind=SupervisoryRelationship.Kind.LINE, starts_on__lte=day
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .order_by("-starts_on")
        .first()
    )
    agreement = None
    if line is not None:
        in_force = (
            SupervisionAgreement.objects.filter(
                relationship__supervisee=user, status=SupervisionAgreement.Status.ACTIVE
            )
            .order_by("-starts_on")
            .first()
        )
        if in_force is not None:
            interval = None
            if in_force.frequency_value and in_force.frequency_unit:
                interval = Interval(in_force.frequency_value, in_force.frequency_unit)
            agreement = due.AgreementFacts(
                starts_on=in_force.starts_on,
                in_force=True,
                interval=interval,
                review_due_on=in_force.review_due_on,
            )
    actions = []
    for action in Action.objects.filter(supervisee=user, owner=Action.Owner.SUPERVISEE):
        done = None
        if action.status != Action.Status.OPEN:
            done = _day(action.status_changed_at) or action.due_date
        actions.append(
            due.ActionFacts(due_on=action.due_date, done_on=done, about=f"action {action.pk}")
        )
    return due.PersonFacts(
        category=profile.job_role.category,
        start_date=profile.start_date,
        person=user.email,
        asye_start=profile.asye_start_date,
        student=profile.is_student,
        relationship_start=line.starts_on if line else None,
        sessions=tuple(
            due.HeldSession(
                held_on=_day(s.starts_at),
                session_type=s.session_type,
                supervisor=s.supervisor.email,
            )
            for s in held
        ),
        cancellations=tuple(cancellations),
        records=tuple(record_facts),
        agreement=agreement,
        observations=tuple(
            PracticeObservation.objects.filter(practitioner=user).values_list(
                "observed_on", flat=True
            )
        ),
        development_conversations=tuple(
            DevelopmentConversation.objects.filter(person=user).values_list("held_on", flat=True)
        ),
        probation_end=profile.probation_end_date,
        probation_reviews=tuple(
            due.ProbationReviewHeld(month=month, held_on=held_on)
            for month, held_on in ProbationReview.objects.filter(person=user).values_list(
                "month", "held_on"
            )
        ),
        actions=tuple(actions),
    )


def child_facts(child) -> due.ChildFacts:
    from casework.models import Allocation, CaseNote

    allocation = (
        Allocation.objects.filter(child=child).order_by("-starts_at", "-pk").first()
        if child.allocated_at
        else None
    )
    notes = CaseNote.objects.filter(child=child, status=CaseNote.Status.FINAL)
    one_to_one = [CaseNote.Kind.CASE_SUPERVISION, CaseNote.Kind.JOINT_SUPERVISION]
    discussions = tuple(
        notes.filter(kind__in=one_to_one)
        .order_by("discussed_at")
        .values_list("discussed_at", flat=True)
    )
    group = tuple(
        notes.filter(kind=CaseNote.Kind.GROUP_SUPERVISION)
        .order_by("discussed_at")
        .values_list("discussed_at", flat=True)
    )
    levels = tuple(
        due.RiskChange(on=_day(set_at), scale=scale, level=level)
        for scale, level, set_at in child.risk_ratings.order_by("set_at", "pk").values_list(
            "scale", "level", "set_at"
        )
    )
    return due.ChildFacts(
        reference=child.reference,
        service=child.service,
        allocated_at=child.allocated_at,
        service_since=child.service_since,
        levels=levels,
        discussions=discussions,
        group_discussions=group,
        allocation_discussed_at=allocation.first_discussed_at if allocation else None,
        in_group_supervision=bool(group),
        closed_on=child.closed_on,
    )


# --- Keeping flags in step -------------------------------------------------------------------


@dataclass
class SyncResult:
    raised: list[Flag]
    resolved: list[Flag]
    next_check_at: datetime


def _candidates(since: datetime, now: datetime, facts) -> list[datetime]:
    """The moments at which an item can stop being overdue: the start of each London day
    (facts are dated by day) and any moment a time-stamped fact happened."""
    moments = {since, now}
    day = due.local_date(since) + timedelta(days=1)
    last = due.local_date(now)
    while day <= last:
        moments.add(datetime.combine(day, time.min, tzinfo=due.LONDON))
        day += timedelta(days=1)
    for name in ("discussions", "group_discussions"):
        for moment in getattr(facts, name, ()):
            if since <= moment <= now:
                moments.add(moment)
    found = getattr(facts, "allocation_discussed_at", None)
    if found is not None and since <= found <= now:
        moments.add(found)
    return sorted(moments)


def _resolved_at(flag: Flag, now: datetime, overdue_at) -> datetime:
    """The first moment after the flag was raised at which its item is no longer overdue.
    `overdue_at(moment)` says whether it is; once a fact has arrived it stays, so the answer
    is monotone and a binary search over the candidate moments finds it."""
    moments = _candidates(flag.overdue_since, now, overdue_at.facts)
    keys = [not overdue_at(m) for m in moments]
    index = bisect_left(keys, True)
    return moments[index] if index < len(moments) else now


class _OverdueAt:
    def __init__(self, evaluate, facts, key):
        self.evaluate, self.facts, self.key = evaluate, facts, key

    def __call__(self, moment: datetime) -> bool:
        return any(
            (item.kind, item.about) == self.key and item.state == "overdue"
            for item in self.evaluate(moment)
        )


def _sync(*, items, evaluate, facts, open_flags, make_flag, now) -> SyncResult:
    overdue = {(i.kind, i.about): i for i in items if i.state == "overdue"}
    raised, resolved = [], []
    open_keys = set()
    for flag in open_flags:
        key = (flag.kind, flag.about)
        if key in overdue:
            open_keys.add(key)
            continue
        flag.resolved_at = max(
            flag.overdue_since, _resolved_at(flag, now, _OverdueAt(evaluate, facts, key))
        )
        flag.noticed_resolved_at = now
        flag.save(update_fields=["resolved_at", "noticed_resolved_at"])
        resolved.append(flag)
    for key, item in overdue.items():
        if key in open_keys:
            continue
        flag = make_flag(item)
        try:
            # A savepoint: another worker raising the same flag at the same moment loses here
            # and nothing else in this transaction is undone.
            with transaction.atomic():
                flag.save()
        except IntegrityError:
            continue
        raised.append(flag)
    upcoming = [due.overdue_from(i.due) for i in items if i.state != "overdue"]
    upcoming = [m for m in upcoming if m > now]
    next_check = min([*upcoming, now + RECHECK_AT_LEAST_EVERY])
    return SyncResult(raised, resolved, next_check)


def _flag_from(item: due.DueItem, now: datetime, **subject) -> Flag:
    when = item.due
    due_day = due.local_date(when) if isinstance(when, datetime) else when
    return Flag(
        kind=item.kind,
        about=item.about[:100],
        due=due_day,
        due_at=when if isinstance(when, datetime) else None,
        overdue_since=due.overdue_from(when),
        detail=item.detail[:300],
        rule=item.rule[:10],
        raised_at=now,
        **subject,
    )


@transaction.atomic
def sync_person(profile, now: datetime, versions=None) -> SyncResult:
    from . import notify

    pack = pack_on(due.local_date(now), versions)
    facts = person_facts(profile, now)

    def evaluate(moment):
        return due.person_items(pack, facts, moment)

    result = _sync(
        items=evaluate(now),
        evaluate=evaluate,
        facts=facts,
        open_flags=list(
            Flag.objects.select_for_update().filter(
                person_id=profile.user_id, child__isnull=True, resolved_at__isnull=True
            )
        ),
        make_flag=lambda item: _flag_from(item, now, person_id=profile.user_id),
        now=now,
    )
    for flag in result.raised:
        notify.flag_raised(flag, now)
    type(profile).objects.filter(pk=profile.pk).update(next_check_at=result.next_check_at)
    return result


@transaction.atomic
def sync_child(child, now: datetime, versions=None) -> SyncResult:
    from . import notify

    pack = pack_on(due.local_date(now), versions)
    facts = child_facts(child)

    def evaluate(moment):
        return due.child_items(pack, facts, moment)

    result = _sync(
        items=evaluate(now),
        evaluate=evaluate,
        facts=facts,
        open_flags=list(
            Flag.objects.select_for_update().filter(child=child, resolved_at__isnull=True)
        ),
        make_flag=lambda item: _flag_from(
            item, now, child=child, person_id=child.allocated_worker_id
        ),
        now=now,
    )
    for flag in result.raised:
        notify.flag_raised(flag, now)
    type(child).objects.filter(pk=child.pk).update(next_check_at=result.next_check_at)
    return result


# --- The scheduled tick ----------------------------------------------------------------------


@dataclass
class TickResult:
    people: int = 0
    children: int = 0
    raised: int = 0
    resolved: int = 0


def _claim(model, now: datetime, limit: int, **filters):
    """Rows due for a look, each claimed by a conditional UPDATE that must change exactly one
    row: a second worker (or a second run) finds it already moved on and skips it."""
    due_rows = list(
        model.objects.filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now), **filters)
        .order_by("next_check_at")
        .values_list("pk", "next_check_at")[:limit]
    )
    claimed = []
    for pk, when in due_rows:
        if model.objects.filter(pk=pk, next_check_at=when).update(next_check_at=now + CLAIM_LEASE):
            claimed.append(pk)
    return claimed


def tick(now: datetime | None = None, limit: int = 5000) -> TickResult:
    from casework.models import Child
    from supervision.models import StaffProfile

    now = now or timezone.now()
    result = TickResult()
    try:
        versions = pack_versions()
    except NoPolicyPack:
        return result
    for pk in _claim(StaffProfile, now, limit, is_active=True):
        profile = StaffProfile.objects.select_related("user", "job_role").get(pk=pk)
        synced = sync_person(profile, now, versions)
        result.people += 1
        result.raised += len(synced.raised)
        result.resolved += len(synced.resolved)
    for pk in _claim(Child, now, limit):
        child = Child.objects.get(pk=pk)
        synced = sync_child(child, now, versions)
        result.children += 1
        result.raised += len(synced.raised)
        result.resolved += len(synced.resolved)
    return result


def mark_person_changed(user_id) -> None:
    """A fact about this person changed: look again at the next tick."""
    from supervision.models import StaffProfile

    StaffProfile.objects.filter(user_id=user_id).update(next_check_at=None)


def mark_child_changed(child_id) -> None:
    from casework.models import Child

    Child.objects.filter(pk=child_id).update(next_check_at=None)


# --- Compliance as of a moment ---------------------------------------------------------------


@dataclass(frozen=True)
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


def compliance_rows(at: datetime, unit=None) -> list[ComplianceRow]:
    """Every item overdue at `at`, from facts dated up to then, with the pack then in force."""
    from casework.models import Allocation, Child
    from supervision.models import StaffProfile

    pack = pack_on(due.local_date(at))
    day = due.local_date(at)
    profiles = StaffProfile.objects.select_related("user", "job_role", "unit").filter(
        start_date__lte=day
    )
    profiles = profiles.filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=day))
    children = Child.objects.filter(allocated_at__lte=at).select_related("allocated_worker")
    if unit is not None:
        profiles = profiles.filter(unit__path__startswith=unit.path)
        children = children.filter(unit__path__startswith=unit.path)
    rows = []
    for profile in profiles:
        for item in due.person_items(pack, person_facts(profile, at), at):
            if item.state == "overdue":
                rows.append(_row(item, profile.user.email, ""))
    # The worker on the day: a child transferred since is reported against whoever held it.
    holders = {}
    for child_id, email in Allocation.objects.filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=at), starts_at__lte=at
    ).values_list("child_id", "worker__email"):
        holders[child_id] = email
    for child in children:
        for item in due.child_items(pack, child_facts(child), at):
            if item.state == "overdue":
                worker = holders.get(child.pk) or (
                    child.allocated_worker.email if child.allocated_worker else ""
                )
                rows.append(_row(item, worker, child.reference))
    return sorted(rows, key=lambda r: (r.since, r.kind, r.staff, r.case))


def _row(item: due.DueItem, staff: str, case: str) -> ComplianceRow:
    when = item.due
    return ComplianceRow(
        kind=item.kind,
        staff=staff,
        case=case,
        due=when.isoformat() if not isinstance(when, datetime) else _iso(when),
        since=_iso(due.overdue_from(when)),
    )


def flags_held_at(at: datetime, unit=None):
    """What the flags table says was overdue at `at`."""
    flags = Flag.objects.filter(overdue_since__lte=at).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=at)
    )
    if unit is not None:
        flags = flags.filter(
            Q(person__profile__unit__path__startswith=unit.path)
            | Q(child__unit__path__startswith=unit.path)
        )
    return flags.select_related("person", "child")
