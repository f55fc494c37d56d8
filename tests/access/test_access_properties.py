"""The access package against an independent oracle, on random organisations.

Hypothesis builds random organisation trees with managers, staff, supervisory relationships
of every kind with dates (line changes, designated supervisors, temporary cover), leavers
(marked through the product or only given a leaving date, with the nightly job run or not),
access grants (current, past, future, revoked, with or without personal sections), system
administrators, children allocated to workers, and sessions; then asks the `access` package
every question below at a random moment and compares each answer with the oracle.

The oracle is written here from docs/rules.md and the rules the access modules state, in
plain Python over the generated description, never over the database or the package:
- nobody has any reach from the day after their leaving date, and a system administrator
  reads nothing (separation of duties);
- a supervisory relationship is live on a day inside its dates while neither party has left
  (a missed nightly job changes nothing);
- a staff file is read by its person, their live supervisors, the managers of the units at or
  above theirs, and the holder of a current, unrevoked grant; it is written by the live
  supervisors until the leaving date (S2: archived from then on);
- personal sections: the person, their supervisors and the line above; a grant only when it
  says so;
- a child's case is read by the allocated worker, and read and overseen by the worker's live
  supervisors and the managers of the child's unit or the worker's unit and those above;
- a record is signed and finalised by the supervisor who held the session while they have not
  left, else by the supervisee's line supervisor of the day who has not left, else nobody.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.children import CaseAction, restrict_children
from access.files import Action, may_read_personal_sections, reach_over, restrict_files
from access.grants import current_grants
from access.records import record_signatory
from access.roles import roles_for
from access.units import managed_paths
from casework.models import Child
from supervision.models import (
    SessionType,
    StaffProfile,
    SupervisionSession,
    SupervisoryRelationship,
    Unit,
    User,
)
from supervision.organisation.roles import AUDITOR_GROUP
from supervision.people.leaving import leavers_close, staff_mark_left
from supervision.people.services import access_grant_create, access_grant_revoke
from tests.factories import JobRoleFactory, StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

FIRST_DAY = date(2026, 3, 2)
DAYS = 28
KINDS = [kind for kind, _ in SupervisoryRelationship.Kind.choices]
LINE = SupervisoryRelationship.Kind.LINE


def day(offset: int) -> date:
    return FIRST_DAY + timedelta(days=offset)


# --- The description of an organisation ---------------------------------------------------


@dataclass
class Organisation:
    parents: list[int | None]  # unit i's parent (an earlier unit); unit 0 is the top
    kinds: list[str]
    managers: list[int | None]  # person managing unit i
    units_of: list[int]  # person j's unit
    leaving: list[int | None]  # person j's leaving day (offset)
    marked_through_product: list[bool]  # staff_mark_left, or only a leaving date (import/admin)
    administrators: list[bool]
    relationships: list[tuple[int, int, str, int, int | None]]  # supervisor, supervisee, kind…
    grants: list[tuple[int, int, int, int, bool, bool]]  # grantee, subject, from, to, revoked…
    children: list[tuple[int, int | None]]  # unit, allocated worker
    sessions: list[tuple[int, int, int]]  # supervisor, supervisee, held on (offset)
    moment: int
    job_ran: bool
    db: dict = field(default_factory=dict)


@st.composite
def organisations(draw) -> Organisation:
    units = draw(st.integers(2, 6))
    parents = [None] + [draw(st.integers(0, i - 1)) for i in range(1, units)]
    kinds = [Unit.Kind.DIRECTORATE] + [
        draw(st.sampled_from([Unit.Kind.SERVICE, Unit.Kind.TEAM])) for _ in range(1, units)
    ]
    people = draw(st.integers(3, 7))
    person = st.integers(0, people - 1)
    managers = [draw(st.none() | person) for _ in range(units)]
    units_of = [draw(st.integers(0, units - 1)) for _ in range(people)]
    leaving = [draw(st.none() | st.none() | st.integers(0, DAYS - 1)) for _ in range(people)]
    marked = [draw(st.booleans()) for _ in range(people)]
    administrators = [draw(st.integers(0, 9).map(lambda n: n == 9)) for _ in range(people)]

    relationships = []
    for supervisee in range(people):
        # At most two line supervisors one after the other, as a change of supervisor leaves.
        first = draw(st.none() | person.filter(lambda p, s=supervisee: p != s))
        if first is None:
            continue
        change = draw(st.none() | st.integers(1, DAYS - 1))
        relationships.append((first, supervisee, LINE, -30, None if change is None else change - 1))
        if change is not None:
            second = draw(st.none() | person.filter(lambda p, s=supervisee: p != s))
            if second is not None:
                relationships.append((second, supervisee, LINE, change, None))
    for _ in range(draw(st.integers(0, 4))):
        supervisor, supervisee = draw(st.tuples(person, person).filter(lambda p: p[0] != p[1]))
        starts = draw(st.integers(-5, DAYS - 1))
        ends = draw(st.none() | st.integers(starts, DAYS + 5))
        kind = draw(st.sampled_from([k for k in KINDS if k != LINE]))
        relationships.append((supervisor, supervisee, kind, starts, ends))

    grants = []
    for _ in range(draw(st.integers(0, 3))):
        grantee, subject = draw(st.tuples(person, person).filter(lambda p: p[0] != p[1]))
        starts = draw(st.integers(-5, DAYS - 1))
        ends = draw(st.integers(starts, DAYS + 5))
        grants.append((grantee, subject, starts, ends, draw(st.booleans()), draw(st.booleans())))

    children = [
        (draw(st.integers(0, units - 1)), draw(st.none() | person))
        for _ in range(draw(st.integers(0, 3)))
    ]
    sessions = [
        (rel[0], rel[1], draw(st.integers(max(rel[3], 0), DAYS - 1)))
        for rel in relationships
        if rel[2] == LINE and draw(st.booleans())
    ]
    return Organisation(
        parents=parents,
        kinds=kinds,
        managers=managers,
        units_of=units_of,
        leaving=leaving,
        marked_through_product=marked,
        administrators=administrators,
        relationships=relationships,
        grants=grants,
        children=children,
        sessions=[s for s in sessions if s[2] >= 0],
        moment=draw(st.integers(0, DAYS + 3)),
        job_ran=draw(st.booleans()),
    )


# --- The oracle ------------------------------------------------------------------------------


class Oracle:
    def __init__(self, org: Organisation):
        self.org = org
        self.today = day(org.moment)
        self.people = range(len(org.units_of))

    def left(self, j) -> bool:
        leaving = self.org.leaving[j]
        return leaving is not None and day(leaving) < self.today

    def may_act(self, j) -> bool:
        return not self.left(j)

    def reads_content(self, j) -> bool:
        return self.may_act(j) and not self.org.administrators[j]

    def live(self, relationship) -> bool:
        supervisor, supervisee, _, starts, ends = relationship
        inside = day(starts) <= self.today and (ends is None or self.today <= day(ends))
        return inside and not self.left(supervisor) and not self.left(supervisee)

    def supervises(self, u, p, kind=None) -> bool:
        return any(
            r[0] == u and r[1] == p and self.live(r) and kind in (None, r[2])
            for r in self.org.relationships
        )

    def units_at_or_above(self, unit) -> set[int]:
        chain = set()
        while unit is not None:
            chain.add(unit)
            unit = self.org.parents[unit]
        return chain

    def managed(self, u) -> set[int]:
        if not self.may_act(u):
            return set()
        return {i for i, manager in enumerate(self.org.managers) if manager == u}

    def manages_above(self, u, unit) -> bool:
        return bool(self.managed(u) & self.units_at_or_above(unit))

    def grant(self, u, p, personal=False) -> bool:
        return any(
            g[0] == u
            and g[1] == p
            and day(g[2]) <= self.today <= day(g[3])
            and not g[4]
            and (g[5] or not personal)
            for g in self.org.grants
        )

    def reads_file(self, u, p) -> bool:
        if not self.reads_content(u):
            return False
        return (
            u == p
            or self.supervises(u, p)
            or self.manages_above(u, self.org.units_of[p])
            or self.grant(u, p)
        )

    def writes_file(self, u, p) -> bool:
        leaving = self.org.leaving[p]
        archived = leaving is not None and day(leaving) <= self.today
        return self.reads_content(u) and self.supervises(u, p) and not archived

    def reads_access_log(self, u, p) -> bool:
        if not self.reads_content(u):
            return False
        return (u != p and self.manages_above(u, self.org.units_of[p])) or self.grant(u, p)

    def reads_personal_sections(self, u, p) -> bool:
        if not self.reads_content(u):
            return False
        line = u == p or self.supervises(u, p) or self.manages_above(u, self.org.units_of[p])
        return line or self.grant(u, p, personal=True)

    def oversees_child(self, u, child) -> bool:
        unit, worker = child
        if not self.reads_content(u):
            return False
        if worker is not None and (
            self.supervises(u, worker) or self.manages_above(u, self.org.units_of[worker])
        ):
            return True
        return self.manages_above(u, unit)

    def reads_child(self, u, child) -> bool:
        return self.oversees_child(u, child) or (self.reads_content(u) and child[1] == u)

    def is_supervisor(self, u) -> bool:
        return self.may_act(u) and any(r[0] == u and self.live(r) for r in self.org.relationships)

    def is_senior_manager(self, u) -> bool:
        return any(self.org.kinds[i] != Unit.Kind.TEAM for i in self.managed(u))

    def holds_grant(self, u) -> bool:
        return self.reads_content(u) and any(
            g[0] == u and day(g[2]) <= self.today <= day(g[3]) and not g[4] for g in self.org.grants
        )

    def signatory(self, session) -> int | None:
        supervisor, supervisee, _ = session
        if self.may_act(supervisor):
            return supervisor
        lines = [
            r
            for r in self.org.relationships
            if r[1] == supervisee and r[2] == LINE and self.live(r) and self.may_act(r[0])
        ]
        return max(lines, key=lambda r: r[3])[0] if lines else None


# --- Building it in the database -------------------------------------------------------------


def build(org: Organisation):
    units = []
    for i, parent in enumerate(org.parents):
        units.append(
            Unit.objects.create(
                name=f"Unit {i}",
                code=f"u{i}",
                kind=org.kinds[i],
                parent=units[parent] if parent is not None else None,
            )
        )
    role = JobRoleFactory()
    people = []
    for j, unit in enumerate(org.units_of):
        profile = StaffProfileFactory(
            user__email=f"p{j}@example.org",
            user__full_name=f"Person {j}",
            user__is_staff=org.administrators[j],
            unit=units[unit],
            job_role=role,
            start_date=day(-60),
        )
        people.append(profile.user)
    auditors = Group.objects.create(name=AUDITOR_GROUP)
    auditors.user_set.add(*people)
    for i, manager in enumerate(org.managers):
        if manager is not None:
            units[i].manager = people[manager]
            units[i].save()
    for supervisor, supervisee, kind, starts, ends in org.relationships:
        SupervisoryRelationship.objects.create(
            supervisor=people[supervisor],
            supervisee=people[supervisee],
            kind=kind,
            starts_on=day(starts),
            ends_on=None if ends is None else day(ends),
        )
    granter = UserFactory(email="granter@example.org")
    for grantee, subject, starts, ends, revoked, personal in org.grants:
        grant = access_grant_create(
            grantee=people[grantee],
            subject=people[subject],
            starts_on=day(starts),
            ends_on=day(ends),
            reason="Audit",
            granted_by=granter,
            includes_personal_sections=personal,
        )
        if revoked:
            access_grant_revoke(grant=grant, by=granter)
    for n, (unit, worker) in enumerate(org.children):
        Child.objects.create(
            reference=f"C{n}",
            initials="AB",
            unit=units[unit],
            allocated_worker=people[worker] if worker is not None else None,
        )
    for supervisor, supervisee, held in org.sessions:
        starts = datetime.combine(day(held), time(10), tzinfo=UTC)
        SupervisionSession.objects.create(
            supervisor=people[supervisor],
            supervisee=people[supervisee],
            session_type=SessionType.INDIVIDUAL,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            created_by=people[supervisor],
        )
    mark_leavers(org, people, granter)
    return people


def mark_leavers(org: Organisation, people, by):
    """Leavers are marked the product's way (which ends their relationships at once) or only
    given a leaving date, as an import or a direct edit would, leaving relationships open."""
    for j, leaving in enumerate(org.leaving):
        if leaving is None:
            continue
        person = people[j]
        starting_later = (
            SupervisoryRelationship.objects.filter(
                supervisor=person, starts_on__gt=day(leaving)
            ).exists()
            or SupervisoryRelationship.objects.filter(
                supervisee=person, starts_on__gt=day(leaving)
            ).exists()
        )
        if org.marked_through_product[j] and not starting_later:
            with time_machine.travel(datetime.combine(day(0), time(9), tzinfo=UTC), tick=False):
                staff_mark_left(person=person, leaving_date=day(leaving), by=by)
        else:
            StaffProfile.objects.filter(user=person).update(
                leaving_date=day(leaving), is_active=False
            )


# --- The property ----------------------------------------------------------------------------


def answers(org: Organisation, people, oracle: Oracle) -> list[str]:
    """Every disagreement between the package and the oracle, in words."""
    today = oracle.today
    index = {person.pk: j for j, person in enumerate(people)}
    sessions = list(SupervisionSession.objects.order_by("pk"))
    wrong = []

    def compare(question, got, expected):
        if got != expected:
            wrong.append(
                f"{question}: package {sorted(got) if isinstance(got, set) else got}, "
                f"oracle {sorted(expected) if isinstance(expected, set) else expected}"
            )

    for u, user in enumerate(people):
        user = User.objects.get(pk=user.pk)  # fresh: no cached roles, the job's changes seen
        for action, rule in (
            (Action.VIEW, oracle.reads_file),
            (Action.EDIT, oracle.writes_file),
            (Action.VIEW_ACCESS_LOG, oracle.reads_access_log),
        ):
            got = {
                index[pk] for pk in restrict_files(user, action, today).values_list("pk", flat=True)
            }
            compare(f"person {u} {action} files", got, {p for p in oracle.people if rule(u, p)})
        files = User.objects.select_related("profile__unit").in_bulk([q.pk for q in people])
        for p, person in enumerate(people):
            # The record page's probes answer for one person what the reach's query answers.
            compare(
                f"person {u} views and edits the file of {p} (reach_over)",
                reach_over(user, files[person.pk], today),
                (oracle.reads_file(u, p), oracle.writes_file(u, p)),
            )
            compare(
                f"person {u} reads personal sections of {p}",
                may_read_personal_sections(user, person, today),
                oracle.reads_personal_sections(u, p),
            )
        roles = roles_for(user, today)
        compare(f"person {u} is a supervisor", roles.supervisor, oracle.is_supervisor(u))
        compare(
            f"person {u} is a senior manager", roles.senior_manager, oracle.is_senior_manager(u)
        )
        compare(f"person {u} is an auditor", roles.auditor, oracle.may_act(u))
        compare(
            f"person {u} manages units",
            {int(path.strip("/").split("/")[-1]) for path in managed_paths(user, today)},
            {Unit.objects.get(code=f"u{i}").pk for i in oracle.managed(u)},
        )
        compare(
            f"person {u} holds a grant", current_grants(user, today).exists(), oracle.holds_grant(u)
        )
        for action, rule in (
            (CaseAction.VIEW, oracle.reads_child),
            (CaseAction.MANAGE, oracle.oversees_child),
        ):
            got = set(restrict_children(user, action, today).values_list("reference", flat=True))
            expected = {f"C{n}" for n, child in enumerate(org.children) if rule(u, child)}
            compare(f"person {u} {action} children", got, expected)
    for session, spec in zip(sessions, org.sessions, strict=True):
        signatory = record_signatory(session, today)
        compare(
            f"signatory of the session {spec}",
            None if signatory is None else index[signatory.user.pk],
            oracle.signatory(spec),
        )
    return wrong


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(org=organisations())
def test_every_answer_of_the_access_package_agrees_with_the_oracle(org):
    with transaction.atomic():
        people = build(org)
        moment = datetime.combine(day(org.moment), time(12), tzinfo=UTC)
        if org.job_ran:
            with time_machine.travel(datetime.combine(day(org.moment), time(0, 5), tzinfo=UTC)):
                leavers_close()
        with time_machine.travel(moment, tick=False):
            wrong = answers(org, people, Oracle(org))
        transaction.set_rollback(True)
    assert not wrong, "\n".join(wrong)
