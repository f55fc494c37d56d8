"""Flags raised and resolved by the scheduled tick.

Every date is fixed; facts are written through the services (or the factories, where the
product records them that way) with the clock held at the moment they are entered. Kent's
pack is the one in force, as the migration installs it.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements import services as agreements
from casework import services as casework
from casework import transfer_services
from casework.models import Child
from oversight.flags import facts, scheduled, sync
from oversight.flags.compliance import compliance_rows, held_rows
from oversight.flags.scheduled import tick
from oversight.models import CLAIM_LEASE, Flag, FlagKind, Notification
from oversight.policy import due
from supervision.development import services as development_services
from supervision.models import StaffProfile, SupervisionSession, Unit, User
from supervision.people.services import relationship_change_line_supervisor
from supervision.records import services as record_services
from supervision.sessions import planning
from tests.conftest import SUPERVISEE_PASSWORD
from tests.factories import JobRoleFactory, RelationshipFactory, StaffProfileFactory, UnitFactory

LONDON = ZoneInfo("Europe/London")


def local(year, month, day, hour=0, minute=0, second=0, micro=0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=LONDON)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def ticked(moment: datetime) -> scheduled.TickResult:
    with at(moment):
        return tick(moment)


# --- A small organisation --------------------------------------------------------------------


@dataclass
class Org:
    """One team with its manager; people and children are added as each test needs them."""

    team: Unit
    other_team: Unit
    manager: User
    people: dict = field(default_factory=dict)

    def person(
        self, key, start: date, category="practitioner", supervisor=None, unit=None, **extra
    ) -> User:
        role = JobRoleFactory(code=category, name=category.title(), category=category)
        profile = StaffProfileFactory(
            user__email=f"{key}@example.org",
            user__full_name=key.title(),
            unit=unit or self.team,
            job_role=role,
            start_date=start,
            **extra,
        )
        RelationshipFactory(
            supervisor=supervisor or self.manager, supervisee=profile.user, starts_on=start
        )
        self.people[key] = profile.user
        return profile.user

    def held(self, person, starts: datetime, kind="individual", by=None) -> SupervisionSession:
        return SupervisionSession.objects.create(
            supervisee=person,
            supervisor=by or self.manager,
            session_type=kind,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            created_by=self.manager,
            status=SupervisionSession.Status.HELD,
        )

    def planned(self, person, starts: datetime) -> SupervisionSession:
        return SupervisionSession.objects.create(
            supervisee=person,
            supervisor=self.manager,
            session_type="individual",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            created_by=self.manager,
        )

    def child(self, reference, worker, allocated: datetime, service="social_work", **extra):
        return casework.child_create(
            reference=reference,
            initials="AB",
            service=service,
            plan="assessment",
            unit=extra.pop("unit", self.team),
            worker=worker,
            allocated_at=allocated,
            by=self.manager,
            **extra,
        )

    def discuss(self, child, when: datetime, final=True, kind="case_supervision"):
        note = casework.case_note_create(
            child=child,
            kind=kind,
            by=self.manager,
            discussed_at=when,
            current_situation="You are settled at school.",
            worries="None today.",
            decision="Carry on with the plan.",
            reasons="It is working for you.",
            next_review_on=due.local_date(when) + timedelta(days=30),
        )
        if final:
            casework.case_note_finalise(note=note, password=SUPERVISEE_PASSWORD, by=self.manager)
        return note

    def agree(self, person, frequency=1, unit="months", starts_on=None, review_due_on=None):
        relationship = person.supervised_by.get(ends_on__isnull=True, kind="line")
        agreement = agreements.agreement_draft(
            relationship=relationship,
            by=relationship.supervisor,
            frequency_value=frequency,
            frequency_unit=unit,
            **({"starts_on": starts_on} if starts_on else {}),
            **({"review_due_on": review_due_on} if review_due_on else {}),
        )
        agreements.agreement_sign(agreement=agreement, password=SUPERVISEE_PASSWORD, by=person)
        return agreements.agreement_sign(
            agreement=agreement, password=SUPERVISEE_PASSWORD, by=relationship.supervisor
        )


def build_org() -> Org:
    directorate = UnitFactory(name="Directorate", code="dir", kind=Unit.Kind.DIRECTORATE)
    team = UnitFactory(name="Team A", code="team-a", parent=directorate)
    other_team = UnitFactory(name="Team B", code="team-b", parent=directorate)
    manager = StaffProfileFactory(
        user__email="manager@example.org",
        user__full_name="Manager",
        unit=team,
        job_role=JobRoleFactory(code="manager", name="Manager", category="manager"),
        start_date=date(2024, 1, 8),
    ).user
    return Org(team=team, other_team=other_team, manager=manager)


@pytest.fixture
def org(db):
    with at(local(2026, 2, 1, 9)):
        return build_org()


def flags_of(person=None, child=None, kind=None):
    query = Flag.objects.order_by("pk")
    if child is not None:
        query = query.filter(child=child)
    elif person is not None:
        query = query.filter(person=person, child__isnull=True)
    if kind is not None:
        query = query.filter(kind=kind)
    return list(query)


def profile_of(person) -> StaffProfile:
    return StaffProfile.objects.get(user=person)


# --- Raised once, dated by the rule, kept open across ticks ------------------------------------


def test_a_flag_is_raised_once_when_a_session_falls_overdue_dated_by_the_rule(org):
    """F1 (004 Supervision timescales): monthly, rolling. Started 2 February 2026 with no
    session: due 2 March, overdue from the start of 3 March in London."""
    with at(local(2026, 2, 1, 9)):
        newcomer = org.person("newcomer", date(2026, 2, 2))

    ticked(local(2026, 3, 2, 23, 45))
    assert flags_of(newcomer, kind=FlagKind.SESSION_OVERDUE) == []

    ticked(local(2026, 3, 3, 9, 15))
    (flag,) = flags_of(newcomer, kind=FlagKind.SESSION_OVERDUE)
    assert flag.due == date(2026, 3, 2)
    assert flag.overdue_since == local(2026, 3, 3)  # the rule's moment
    assert flag.raised_at == local(2026, 3, 3, 9, 15)  # the tick's
    assert flag.resolved_at is None

    for later in (local(2026, 3, 3, 9, 30), local(2026, 3, 4, 10), local(2026, 3, 9, 10)):
        ticked(later)
    (again,) = flags_of(newcomer, kind=FlagKind.SESSION_OVERDUE)
    assert again.pk == flag.pk and again.resolved_at is None
    # One notice to the supervisor, however many ticks saw the flag.
    assert Notification.objects.filter(flag=flag).count() == 1


def test_a_late_session_resolves_its_flag_at_the_start_of_the_day_it_was_held(org):
    """A session held on 10 March and entered on 12 March: the flag is resolved at the start
    of 10 March (London), not when the tick noticed; the row stays."""
    with at(local(2026, 2, 1, 9)):
        newcomer = org.person("newcomer", date(2026, 2, 2))
    ticked(local(2026, 3, 3, 9, 15))
    (flag,) = flags_of(newcomer, kind=FlagKind.SESSION_OVERDUE)
    rows = Flag.objects.count()

    with at(local(2026, 3, 12, 11)):
        org.held(newcomer, local(2026, 3, 10, 10))
    assert profile_of(newcomer).next_check_at is None  # the write marked them

    result = ticked(local(2026, 3, 12, 11, 15))
    flag.refresh_from_db()
    assert flag.resolved_at == local(2026, 3, 10)
    assert flag.noticed_resolved_at == local(2026, 3, 12, 11, 15)
    assert result.resolved >= 1
    assert Flag.objects.count() == rows  # nothing deleted, nothing new: next due 10 April
    assert held_rows(local(2026, 3, 9, 23, 59)) == compliance_rows(local(2026, 3, 9, 23, 59))
    assert held_rows(local(2026, 3, 10, 0, 1)) == compliance_rows(local(2026, 3, 10, 0, 1))


def test_a_late_allocation_discussion_resolves_at_the_moment_of_the_discussion(org):
    """C3 (004 Management Oversight): discussed within 24 hours; exactly 24 hours is in time."""
    with at(local(2026, 2, 1, 9)):
        worker = org.person("worker", date(2025, 6, 2))
    with at(local(2026, 3, 2, 9)):
        child = org.child("NS300001", worker, local(2026, 3, 2, 9))

    ticked(local(2026, 3, 3, 9))  # exactly 24 hours: in time
    assert flags_of(child=child, kind=FlagKind.ALLOCATION_NOT_DISCUSSED) == []
    ticked(local(2026, 3, 3, 9, 15))
    (flag,) = flags_of(child=child, kind=FlagKind.ALLOCATION_NOT_DISCUSSED)
    assert flag.due_at == local(2026, 3, 3, 9) and flag.overdue_since == local(2026, 3, 3, 9)
    assert flag.person == worker  # a child's flag carries the worker

    with at(local(2026, 3, 3, 16)):
        org.discuss(child, local(2026, 3, 3, 15), final=False)
    assert Child.objects.get(pk=child.pk).next_check_at is None
    ticked(local(2026, 3, 4, 8))
    flag.refresh_from_db()
    assert flag.resolved_at == local(2026, 3, 3, 15)

    for moment in (local(2026, 3, 3, 9), local(2026, 3, 3, 9, 0, 0, 1), local(2026, 3, 3, 15)):
        assert held_rows(moment) == compliance_rows(moment), moment
    kinds = {row.kind for row in held_rows(local(2026, 3, 3, 12)) if row.case == "NS300001"}
    assert FlagKind.ALLOCATION_NOT_DISCUSSED in kinds


def test_an_overdue_spell_that_began_and_ended_unseen_is_kept_as_a_resolved_flag(org):
    """R6 (001 §4.1, adopted by Kent): a record within 2 working days. A session held on
    Monday 23 March is entered on Friday 27 March with its record written that day: the record
    was overdue from 26 March to 27 March though no tick saw it. The report for 26 March shows
    it, so the flags keep it, resolved, and nobody is told about a flag already resolved."""
    with at(local(2026, 2, 1, 9)):
        person = org.person("person", date(2025, 6, 2))
    ticked(local(2026, 3, 26, 12))
    with at(local(2026, 3, 27, 10)):
        session = org.held(person, local(2026, 3, 23, 10))
        record = record_services.record_start(session=session, by=org.manager)
        record_services.record_share(record=record, by=org.manager)
    ticked(local(2026, 3, 27, 10, 15))

    (flag,) = flags_of(person, kind=FlagKind.RECORD_OVERDUE)
    assert flag.about == f"session {session.pk}"
    assert (flag.due, flag.overdue_since) == (date(2026, 3, 25), local(2026, 3, 26))
    assert flag.resolved_at == local(2026, 3, 27)
    assert not Notification.objects.filter(flag=flag).exists()
    noon = local(2026, 3, 26, 12)
    assert [r for r in held_rows(noon) if r.kind == "record_overdue"] == [
        r for r in compliance_rows(noon) if r.kind == "record_overdue"
    ]


def test_an_agreement_that_moves_the_due_date_back_holds_the_flag_from_when_it_took_force(org):
    """F7: an agreement may set more frequent supervision. Signed on 20 March for every 2
    weeks, it makes the session held on 2 March due on 16 March: overdue from the signing,
    reported since 17 March. Before the signing the monthly rule held and nothing was
    overdue, and the flags say the same."""
    with at(local(2026, 2, 1, 9)):
        person = org.person("person", date(2025, 6, 2))
    with at(local(2026, 3, 2, 11)):
        org.held(person, local(2026, 3, 2, 10))
    ticked(local(2026, 3, 19, 12))
    assert [f for f in flags_of(person, kind=FlagKind.SESSION_OVERDUE) if f.is_open] == []

    signed = local(2026, 3, 20, 14)
    with at(signed):
        org.agree(person, frequency=2, unit="weeks", starts_on=date(2026, 3, 20))
    ticked(local(2026, 3, 20, 14, 15))
    (flag,) = [f for f in flags_of(person, kind=FlagKind.SESSION_OVERDUE) if f.is_open]
    assert flag.due == date(2026, 3, 16)
    assert flag.overdue_since == signed
    for moment in (local(2026, 3, 18, 12), signed - timedelta(seconds=1), signed):
        assert held_rows(moment) == compliance_rows(moment), moment
    assert any(r.since == "2026-03-17T00:00:00+00:00" for r in held_rows(signed))


def test_a_flag_resolved_by_a_fact_since_withdrawn_is_open_again_not_raised_twice(org):
    with at(local(2026, 2, 1, 9)):
        newcomer = org.person("newcomer", date(2026, 2, 2))
    ticked(local(2026, 3, 3, 9, 15))
    (flag,) = flags_of(newcomer, kind=FlagKind.SESSION_OVERDUE)
    with at(local(2026, 3, 5, 11)):
        session = org.held(newcomer, local(2026, 3, 5, 10))
    ticked(local(2026, 3, 5, 11, 15))
    flag.refresh_from_db()
    assert flag.resolved_at == local(2026, 3, 5)

    with at(local(2026, 3, 6, 9)):
        session.delete()  # entered for the wrong person
    ticked(local(2026, 3, 6, 9, 15))
    (again,) = flags_of(newcomer, kind=FlagKind.SESSION_OVERDUE)
    assert again.pk == flag.pk and again.resolved_at is None
    assert Notification.objects.filter(flag__kind=FlagKind.SESSION_OVERDUE).count() == 1
    moment = local(2026, 3, 5, 12)
    assert held_rows(moment) == compliance_rows(moment)


# --- Which facts the tick reads, and when ---------------------------------------------------


def test_an_idle_tick_reads_the_earliest_checks_and_touches_no_one(org, django_assert_num_queries):
    with at(local(2026, 2, 1, 9)):
        person = org.person("person", date(2025, 6, 2))
        worker = org.person("worker", date(2025, 6, 2))
        org.child("NS300002", worker, local(2026, 1, 5, 9))
    moment = local(2026, 3, 2, 9)
    first = ticked(moment)
    assert first.people == 3 and first.children == 1
    before = list(StaffProfile.objects.order_by("pk").values_list("next_check_at", flat=True))
    flags_before = list(Flag.objects.values_list("pk", "resolved_at"))

    with at(moment), CaptureQueriesContext(connection) as queries, django_assert_num_queries(1):
        idle = tick(moment)
    assert idle == scheduled.TickResult()
    (query,) = [q["sql"] for q in queries.captured_queries]
    assert query.startswith("SELECT") and "oversight_earliestcheck" in query
    after = list(StaffProfile.objects.order_by("pk").values_list("next_check_at", flat=True))
    assert after == before and list(Flag.objects.values_list("pk", "resolved_at")) == flags_before
    assert profile_of(person).next_check_at > moment


def test_a_tick_reads_a_batch_in_the_same_number_of_queries_whatever_its_size(org):
    """People who started today have nothing overdue: the queries are the batch's reads and
    writes, not one set per person."""

    def count(people: int) -> int:
        StaffProfile.objects.update(next_check_at=local(2027, 1, 1))  # nobody else is due
        with at(local(2026, 3, 2, 9)):
            tick(local(2026, 3, 2, 9))  # and each table's earliest check is kept
        with at(local(2026, 2, 1, 9)):
            for n in range(people):
                org.person(f"batch{people}-{n}", date(2026, 3, 2))
        with at(local(2026, 3, 2, 9)), CaptureQueriesContext(connection) as queries:
            result = tick(local(2026, 3, 2, 9))
        assert (result.people, result.raised) == (people, 0)
        return len(queries.captured_queries)

    assert count(3) == count(6)


def test_a_claim_moves_on_only_rows_still_due_so_a_second_claim_gets_nothing(org):
    with at(local(2026, 2, 1, 9)):
        never = profile_of(org.person("never", date(2025, 6, 2)))
        due_now = profile_of(org.person("due", date(2025, 6, 2)))
        taken = profile_of(org.person("taken", date(2025, 6, 2)))
    now = local(2026, 3, 2, 9)
    StaffProfile.objects.filter(pk=due_now.pk).update(next_check_at=now - timedelta(minutes=5))
    # Another worker read this row as due a moment ago and has claimed it since: what this
    # worker read is stale.
    lease = now + CLAIM_LEASE
    StaffProfile.objects.filter(pk=taken.pk).update(next_check_at=lease)

    rows = [never.pk, due_now.pk, taken.pk]
    assert sorted(scheduled._claim(StaffProfile, now, rows)) == sorted([never.pk, due_now.pk])
    assert scheduled._claim(StaffProfile, now, rows) == []  # a second run, or a second worker
    assert profile_of(taken.user).next_check_at == lease


def test_a_write_to_any_fact_marks_the_person_for_the_next_tick(org):
    with at(local(2026, 2, 1, 9)):
        person = org.person("person", date(2026, 1, 5), probation_end_date=date(2026, 7, 5))

    def marked_by(write, moment):
        ticked(moment)
        assert profile_of(person).next_check_at is not None
        with at(moment + timedelta(minutes=1)):
            write()
        return profile_of(person).next_check_at is None

    session = {}

    def hold():
        session["held"] = org.planned(person, local(2026, 3, 2, 10))

    assert marked_by(hold, local(2026, 3, 1, 9))

    def outcome():
        planning.session_record_outcome(session=session["held"], by=org.manager, status="held")

    assert marked_by(outcome, local(2026, 3, 2, 12))

    def write_up():
        session["record"] = record_services.record_start(session=session["held"], by=org.manager)
        session["action"] = record_services.action_add(
            record=session["record"],
            description="Read the guidance",
            owner="supervisee",
            owner_name="",
            due_date=date(2026, 3, 9),
            by=org.manager,
        )

    assert marked_by(write_up, local(2026, 3, 2, 14))
    assert marked_by(
        lambda: record_services.record_share(record=session["record"], by=org.manager),
        local(2026, 3, 3, 9),
    )
    assert marked_by(
        lambda: record_services.record_sign(
            record=session["record"], password=SUPERVISEE_PASSWORD, by=person
        ),
        local(2026, 3, 3, 12),
    )
    assert marked_by(
        lambda: record_services.record_finalise(
            record=session["record"], password=SUPERVISEE_PASSWORD, by=org.manager
        ),
        local(2026, 3, 4, 9),
    )

    def review_action():
        # The action's status is written with .update(): the audit entry marks the person.
        later = org.held(person, local(2026, 3, 16, 10))
        record = record_services.record_start(session=later, by=org.manager)
        StaffProfile.objects.filter(user=person).update(next_check_at=local(2027, 1, 1))
        record_services.action_review(
            record=record, action=session["action"], outcome="done", note="", by=org.manager
        )

    assert marked_by(review_action, local(2026, 3, 16, 12))
    assert marked_by(lambda: org.agree(person), local(2026, 3, 17, 9))
    assert marked_by(
        lambda: development_services.observation_record(
            practitioner=person,
            by=org.manager,
            observer_role="Line manager",
            observed_on=date(2026, 3, 17),
            venue="Family home",
            permission_gained=True,
        ),
        local(2026, 3, 18, 9),
    )
    assert marked_by(
        lambda: development_services.conversation_record(
            person=person,
            kind="plan",
            year=2026,
            held_on=date(2026, 3, 18),
            goals="Court skills",
            by=org.manager,
        ),
        local(2026, 3, 19, 9),
    )
    assert marked_by(
        lambda: development_services.probation_review_record(
            person=person,
            month=1,
            held_on=date(2026, 3, 19),
            outcome="on_track",
            notes="Settling in well.",
            by=org.manager,
        ),
        local(2026, 3, 20, 9),
    )
    with at(local(2026, 2, 1, 9)):
        other = org.person("other", date(2025, 6, 2))
    assert marked_by(
        lambda: relationship_change_line_supervisor(
            supervisee=person, new_supervisor=other, on=date(2026, 3, 23), by=org.manager
        ),
        local(2026, 3, 21, 9),
    )
    cancelled = {}
    assert marked_by(
        lambda: cancelled.update(session=org.planned(person, local(2026, 3, 30, 10))),
        local(2026, 3, 22, 9),
    )
    assert marked_by(
        lambda: planning.session_cancel(
            session=cancelled["session"], by=org.manager, reason="Supervisor ill"
        ),
        local(2026, 3, 23, 9),
    )

    def leave():
        profile = profile_of(person)
        profile.leaving_date = date(2026, 4, 30)
        profile.save()

    assert marked_by(leave, local(2026, 3, 24, 9))


def test_a_write_to_any_fact_marks_the_child_for_the_next_tick(org):
    with at(local(2026, 2, 1, 9)):
        worker = org.person("worker", date(2025, 6, 2))
        other = org.person("other", date(2025, 6, 2), unit=org.other_team)
        child = org.child("NS300003", worker, local(2026, 1, 5, 9), service="youth_justice")

    def marked_by(write, moment):
        ticked(moment)
        assert Child.objects.get(pk=child.pk).next_check_at is not None
        with at(moment + timedelta(minutes=1)):
            write()
        return Child.objects.get(pk=child.pk).next_check_at is None

    assert marked_by(
        lambda: casework.risk_rating_set(
            child=child, scale="serious_harm", level="very_high", by=org.manager
        ),
        local(2026, 3, 2, 9),
    )
    notes = {}
    assert marked_by(
        lambda: notes.update(note=org.discuss(child, local(2026, 3, 3, 9), final=False)),
        local(2026, 3, 3, 10),
    )
    assert marked_by(
        lambda: casework.case_note_finalise(
            note=notes["note"], password=SUPERVISEE_PASSWORD, by=org.manager
        ),
        local(2026, 3, 4, 10),
    )
    with at(local(2026, 3, 5, 10)):
        # A planned transfer changes nothing the rules read until it is completed.
        planned = transfer_services.transfer_plan(
            child=child,
            to_unit=org.other_team,
            to_worker=other,
            to_service="youth_justice",
            planned_for=date(2026, 3, 9),
            reason="Moved area",
            by=org.manager,
        )
    assert marked_by(
        lambda: transfer_services.transfer_complete(transfer=planned, by=org.manager),
        local(2026, 3, 9, 10),
    )
    # Closing writes the case and its allocation with .update(): the audit entry marks it.
    assert marked_by(
        lambda: transfer_services.child_close(
            child=child,
            closed_on=date(2026, 3, 10),
            closure_reason="outcomes_met",
            closure_rationale="Order completed; the family are pleased.",
            by=org.manager,
        ),
        local(2026, 3, 10, 10),
    )


# --- Every kind, end to end -------------------------------------------------------------------


def test_every_kind_the_product_records_facts_for_is_raised_end_to_end(org):
    """Each kind from facts written through the product. cover_needed (S5) is the exception:
    the product records no supervisor absences, so its rule has no facts to read."""
    # C6 (Kent's group formats): the manager runs Team A, which has held no team meeting.
    Unit.objects.filter(pk=org.team.pk).update(manager=org.manager)
    with at(local(2025, 6, 1, 9)):
        newcomer = org.person(
            "newcomer", date(2025, 6, 2), probation_end_date=date(2025, 12, 2)
        )  # no session, agreement, observation, plan or probation review since June
        settled = org.person("settled", date(2024, 1, 8))
    with at(local(2026, 1, 10, 9)):
        org.agree(settled, starts_on=date(2025, 1, 10), review_due_on=date(2026, 1, 20))
    with at(local(2026, 1, 20, 12)):
        shared = record_services.record_start(
            session=org.held(settled, local(2026, 1, 19, 10)), by=org.manager
        )
        record_services.action_add(
            record=shared,
            description="Read the neglect guidance",
            owner="supervisee",
            owner_name="",
            due_date=date(2026, 1, 30),
            by=org.manager,
        )
        record_services.record_share(record=shared, by=org.manager)
    with at(local(2026, 2, 2, 12)):
        org.held(settled, local(2026, 2, 2, 10))  # its record is never written
        planned = org.planned(settled, local(2026, 2, 12, 10))
    with at(local(2026, 2, 5, 9)):
        planning.session_cancel(session=planned, by=org.manager, reason="Court")
    with at(local(2026, 2, 1, 9)):
        org.child("NS300010", newcomer, local(2026, 2, 1, 9))  # never discussed
        moving = org.child("NS300011", newcomer, local(2025, 10, 1, 9))  # 90 days pass
        closing = org.child("NS300012", newcomer, local(2026, 1, 2, 9))
    with at(local(2026, 2, 10, 9)):
        taker = org.person("taker", date(2025, 6, 2), unit=org.other_team)
        # C5: its window (9 to 23 February) passes with no joint supervision.
        transfer_services.transfer_plan(
            child=moving,
            to_unit=org.other_team,
            to_worker=taker,
            to_service="social_work",
            planned_for=date(2026, 3, 9),
            reason="Moved area",
            by=org.manager,
        )
    with at(local(2026, 2, 16, 9)):
        transfer_services.child_close(
            child=closing,
            closed_on=date(2026, 2, 15),
            closure_reason="outcomes_met",
            closure_rationale="Outcomes met.",
            closure_without_supervision_reason="The manager was away.",
            by=org.manager,
        )

    ticked(local(2026, 3, 1, 9))
    raised = set(Flag.objects.values_list("kind", flat=True))
    assert raised == set(FlagKind.values) - {FlagKind.COVER_NEEDED}
    assert facts.person_facts(profile_of(newcomer), local(2026, 3, 1, 9)).absences == ()
    moment = local(2026, 3, 1, 9)
    assert held_rows(moment) == compliance_rows(moment)


def test_sync_person_and_sync_child_bring_one_subject_up_to_date(org):
    with at(local(2026, 2, 1, 9)):
        person = org.person("person", date(2026, 1, 5))
        child = org.child("NS300020", person, local(2026, 2, 1, 9))
    with at(local(2026, 2, 10, 9)):
        result = sync.sync_person(profile_of(person), local(2026, 2, 10, 9))
        # Started 5 January: no session by 5 February, no agreement by 2 February (A1), no
        # dates agreed ahead (S3) nor a wellbeing plan (Q5) in the 28 days either.
        assert {f.kind for f in result.raised} == {
            FlagKind.SESSION_OVERDUE,
            FlagKind.AGREEMENT_MISSING,
            FlagKind.SESSIONS_NOT_PLANNED_AHEAD,
            FlagKind.WELLBEING_PLAN_DUE,
        }
        assert result.next_check_at == profile_of(person).next_check_at
        assert result.next_check_at <= local(2026, 2, 11, 9)
        child_result = sync.sync_child(child, local(2026, 2, 10, 9))
        assert [f.kind for f in child_result.raised] == [FlagKind.ALLOCATION_NOT_DISCUSSED]
        assert child_result.raised[0].person == person


def test_a_transfer_resolves_the_old_workers_flags_at_its_moment_and_the_new_worker_carries_on(
    org,
):
    with at(local(2026, 2, 1, 9)):
        first = org.person("first", date(2025, 6, 2))
        second = org.person("second", date(2025, 6, 2), unit=org.other_team)
        child = org.child("NS300030", first, local(2025, 11, 3, 9))
    ticked(local(2026, 3, 2, 9))
    (review,) = flags_of(child=child, kind=FlagKind.CASE_REVIEW_OVERDUE)
    assert review.person == first and review.due == date(2026, 2, 1)
    with at(local(2026, 3, 2, 10)):
        planned = transfer_services.transfer_plan(
            child=child,
            to_unit=org.other_team,
            to_worker=second,
            to_service="social_work",
            planned_for=date(2026, 3, 9),
            reason="Moved area",
            by=org.manager,
        )
    moved = local(2026, 3, 9, 11)
    with at(moved):
        transfer_services.transfer_complete(transfer=planned, by=org.manager)
    ticked(local(2026, 3, 10, 12))
    review.refresh_from_db()
    assert review.resolved_at == moved
    allocation = flags_of(child=child, kind=FlagKind.ALLOCATION_NOT_DISCUSSED)
    assert [(f.person, f.overdue_since) for f in allocation if f.resolved_at is None] == [
        (second, moved + timedelta(hours=24))
    ]
    for moment in (moved - timedelta(minutes=1), moved, local(2026, 3, 10, 12)):
        assert held_rows(moment) == compliance_rows(moment), moment
    team_b = Unit.objects.get(code="team-b")
    assert {r.case for r in held_rows(moved - timedelta(minutes=1), team_b) if r.case} == set()
    assert {r.case for r in held_rows(local(2026, 3, 10, 12), team_b) if r.case} == {"NS300030"}


def test_closed_cases_and_leavers_are_not_looked_at_every_day(org):
    with at(local(2026, 2, 1, 9)):
        leaver = org.person("leaver", date(2025, 6, 2), leaving_date=date(2026, 2, 20))
        child = org.child("NS300040", leaver, local(2026, 1, 5, 9))
        transfer_services.child_close(
            child=child,
            closed_on=date(2026, 1, 30),
            closure_reason="outcomes_met",
            closure_rationale="Outcomes met.",
            closure_without_supervision_reason="Closed before the first discussion.",
            by=org.manager,
        )
    ticked(local(2026, 3, 2, 9))
    assert Child.objects.get(pk=child.pk).next_check_at > local(2027, 3, 2)
    assert profile_of(leaver).next_check_at > local(2027, 3, 2)
    # Leaving resolved their own flags at the start of the day they left; a month short of
    # supervision time (F6) was replaced by the next month's as that one ended short too.
    resolved = {(f.kind, f.resolved_at) for f in flags_of(leaver)}
    assert {when for kind, when in resolved if kind != FlagKind.SUPPORT_TIME_SHORT} == {
        local(2026, 2, 20)
    }
    assert {when for kind, when in resolved if kind == FlagKind.SUPPORT_TIME_SHORT} == {
        local(2025, 12, 1),
        local(2026, 1, 1),
        local(2026, 2, 1),
        local(2026, 2, 20),
    }


# --- The promise: the report for any moment equals the flags held then -----------------------


def write_up(session, by, shared: datetime, signed=None, final=None, actions=()):
    """The record of a session: started and shared at `shared`, signed and finalised later."""
    with at(shared):
        record = record_services.record_start(session=session, by=by)
        for description, due_date in actions:
            record_services.action_add(
                record=record,
                description=description,
                owner="supervisee",
                owner_name="",
                due_date=due_date,
                by=by,
            )
        record_services.record_share(record=record, by=by)
    if signed:
        with at(signed):
            record_services.record_sign(
                record=record, password=SUPERVISEE_PASSWORD, by=session.supervisee
            )
    if final:
        with at(final):
            record_services.record_finalise(record=record, password=SUPERVISEE_PASSWORD, by=by)
    return record


class Month:
    """Five weeks of an organisation's life, 1 March to 5 April 2026 (British Summer Time
    begins on 29 March): facts entered on time and some late, and the job ticking six times a
    day. The comments give what the rules make of each event (Kent, Kent's policy)."""

    TICKS = ((0, 5), (6, 0), (9, 15), (12, 30), (17, 45), (23, 55))
    FIRST, LAST = date(2026, 3, 1), date(2026, 4, 5)

    def __init__(self, org: Org):
        self.org = org
        self.events: list[tuple[datetime, str, object]] = []
        self.notes = {}
        self.sessions = {}
        self.records = {}
        self.children = {}

    def on(self, moment: datetime, what: str):
        def register(write):
            self.events.append((moment, what, write))
            return write

        return register

    def history(self):
        """Before the month: people, their agreements and first sessions, the children."""
        org = self.org
        with at(local(2025, 10, 31, 9)):
            self.m2 = org.person("m2", date(2024, 1, 8), category="manager")
            self.p1 = org.person("p1", date(2024, 1, 8))
            self.p2 = org.person("p2", date(2026, 2, 2), probation_end_date=date(2026, 8, 2))
            self.a1 = org.person("a1", date(2026, 2, 16), category="asye")
            StaffProfile.objects.filter(user=self.a1).update(asye_start_date=date(2026, 2, 16))
        with at(local(2025, 11, 1, 9)):
            c4 = org.child("NS400004", self.p1, local(2025, 11, 1, 9))
        with at(local(2025, 11, 1, 13)):
            org.discuss(c4, local(2025, 11, 1, 12))  # C1: next due 30 January: overdue
        with at(local(2025, 12, 1, 9)):
            c1 = org.child("NS400001", self.p1, local(2025, 12, 1, 9))
        with at(local(2025, 12, 1, 15)):
            org.discuss(c1, local(2025, 12, 1, 14))  # next due 1 March
        with at(local(2026, 2, 1, 9)):
            c5 = org.child("NS400005", self.p2, local(2026, 2, 1, 9))  # never discussed
            development_services.observation_record(
                practitioner=self.p1,
                by=org.manager,
                observer_role="Line manager",
                observed_on=date(2026, 2, 1),
                venue="Family home",
                permission_gained=True,
            )
            development_services.conversation_record(
                person=self.p1,
                kind="plan",
                year=2026,
                held_on=date(2026, 2, 1),
                goals="Court skills",
                by=org.manager,
            )
        with at(local(2026, 2, 2, 9)):
            org.agree(self.p2, starts_on=date(2026, 2, 2))
        with at(local(2026, 2, 5, 10)):
            # F7: every three weeks, more often than Kent's month.
            org.agree(self.p1, frequency=3, unit="weeks", starts_on=date(2026, 2, 5))
        with at(local(2026, 2, 10, 11)):
            first = org.held(self.p1, local(2026, 2, 10, 10))
        write_up(
            first, org.manager, local(2026, 2, 11, 9), local(2026, 2, 11, 12), local(2026, 2, 12, 9)
        )
        with at(local(2026, 2, 16, 10)):
            c2 = org.child(
                "NS400002",
                self.a1,
                local(2026, 2, 16, 10),
                service="youth_justice",
                serious_harm_level="medium",
                safety_wellbeing_level="low",
            )
        with at(local(2026, 2, 16, 16)):
            org.discuss(c2, local(2026, 2, 16, 15))  # C2: medium, 60 days
        for day in (16, 23):
            with at(local(2026, 2, day, 11)):
                held = org.held(self.a1, local(2026, 2, day, 10))
            write_up(
                held,
                org.manager,
                local(2026, 2, day + 1, 9),
                local(2026, 2, day + 1, 12),
                local(2026, 2, day + 2, 9),
            )
        with at(local(2026, 2, 20, 9)):
            self.sessions["p1 9 March"] = org.planned(self.p1, local(2026, 3, 9, 10))
            self.sessions["p2 20 March"] = org.planned(self.p2, local(2026, 3, 20, 10))
        self.children = {"c1": c1, "c2": c2, "c4": c4, "c5": c5}

    def plan(self):
        org, p1, p2, a1, m2 = self.org, self.p1, self.p2, self.a1, self.m2
        c1, c2, c4, c5 = (self.children[k] for k in ("c1", "c2", "c4", "c5"))
        manager = org.manager

        # A1 (ASYE, F2): weekly for six weeks from 16 February, fortnightly from 30 March.
        for day in (2, 9, 18):

            @self.on(local(2026, 3, day, 11), f"a1 session {day} March")
            def _(day=day):
                held = org.held(a1, local(2026, 3, day, 10))
                self.sessions[f"a1 {day}"] = held

            @self.on(local(2026, 3, day + 1, 9), f"a1 record {day} March")
            def _(day=day):
                write_up(self.sessions[f"a1 {day}"], manager, local(2026, 3, day + 1, 9))

        # Missed 16 March: overdue from 17 March until held on 18 March. Missed 25 March:
        # overdue from 26 March (GMT) to the session on 30 March (BST).
        @self.on(local(2026, 3, 30, 11), "a1 session 30 March")
        def _():
            org.held(a1, local(2026, 3, 30, 10))

        # A1: no agreement since the first session on 16 February (A1); signed 4 March.
        @self.on(local(2026, 3, 4, 15), "a1 agreement")
        def _():
            org.agree(a1, starts_on=date(2026, 3, 4))

        # P2: month-1 probation review due 2 March, held 5 March, entered 6 March (Q3).
        @self.on(local(2026, 3, 6, 10), "p2 probation review")
        def _():
            development_services.probation_review_record(
                person=p2,
                month=1,
                held_on=date(2026, 3, 5),
                outcome="on_track",
                notes="Settling in.",
                by=manager,
            )

        # P2: first session due 2 March; held 4 March.
        @self.on(local(2026, 3, 4, 11), "p2 session")
        def _():
            self.sessions["p2 4 March"] = org.held(p2, local(2026, 3, 4, 10))

        @self.on(local(2026, 3, 5, 9), "p2 record")
        def _():
            write_up(
                self.sessions["p2 4 March"],
                manager,
                local(2026, 3, 5, 9),
                local(2026, 3, 6, 9),
                local(2026, 3, 9, 9),
                actions=[("Book the course", date(2026, 3, 28))],
            )

        # S4: the session of 20 March cancelled on 12 March, none held until 1 April.
        @self.on(local(2026, 3, 12, 9), "p2 cancellation")
        def _():
            planning.session_cancel(
                session=self.sessions["p2 20 March"], by=manager, reason="Court"
            )

        @self.on(local(2026, 4, 1, 11), "p2 session 1 April")
        def _():
            self.sessions["p2 1 April"] = org.held(p2, local(2026, 4, 1, 10))

        @self.on(local(2026, 4, 2, 9), "p2 record 1 April, action done")
        def _():
            record = record_services.record_start(session=self.sessions["p2 1 April"], by=manager)
            action = p2.supervision_actions.get()
            record_services.action_review(
                record=record, action=action, outcome="done", note="", by=manager
            )
            record_services.record_share(record=record, by=manager)

        # P1: every three weeks by agreement, so due 3 March; held 9 March.
        @self.on(local(2026, 3, 9, 11, 30), "p1 session held")
        def _():
            planning.session_record_outcome(
                session=self.sessions["p1 9 March"], by=manager, status="held"
            )

        @self.on(local(2026, 3, 9, 12), "p1 record started")
        def _():
            record = record_services.record_start(session=self.sessions["p1 9 March"], by=manager)
            record_services.action_add(
                record=record,
                description="Read the neglect guidance",
                owner="supervisee",
                owner_name="",
                due_date=date(2026, 3, 20),
                by=manager,
            )
            self.records["p1 9 March"] = record

        # R6: due 11 March, shared 13 March.
        @self.on(local(2026, 3, 13, 16), "p1 record shared late")
        def _():
            record_services.record_share(record=self.records["p1 9 March"], by=manager)

        @self.on(local(2026, 3, 16, 9), "p1 record signed")
        def _():
            record_services.record_sign(
                record=self.records["p1 9 March"], password=SUPERVISEE_PASSWORD, by=p1
            )

        @self.on(local(2026, 3, 20, 15), "p1 record finalised")
        def _():
            record_services.record_finalise(
                record=self.records["p1 9 March"], password=SUPERVISEE_PASSWORD, by=manager
            )

        # A change of supervisor from 23 March, entered on 20 March: the agreement is
        # superseded at once (A2), so none is in force from 20 March.
        @self.on(local(2026, 3, 20, 10), "p1 change of supervisor")
        def _():
            relationship_change_line_supervisor(
                supervisee=p1, new_supervisor=m2, on=date(2026, 3, 23), by=manager
            )

        # Held on 23 March with the new supervisor, entered on 27 March with its record:
        # the record was overdue on 26 March, unseen by any tick.
        @self.on(local(2026, 3, 27, 9), "p1 late session and record, action done")
        def _():
            held = org.held(p1, local(2026, 3, 23, 10), by=m2)
            record = record_services.record_start(session=held, by=m2)
            action = p1.supervision_actions.get()
            record_services.action_review(
                record=record, action=action, outcome="done", note="", by=m2
            )
            record_services.record_share(record=record, by=m2)

        @self.on(local(2026, 3, 30, 11), "p1 agreement with the new supervisor")
        def _():
            org.agree(p1, starts_on=date(2026, 3, 30))

        # C1: due 1 March; discussed 9 March at 2pm, the note finalised a week later.
        @self.on(local(2026, 3, 9, 15), "c1 discussed")
        def _():
            self.notes["c1"] = org.discuss(c1, local(2026, 3, 9, 14), final=False)

        @self.on(local(2026, 3, 16, 10), "c1 note finalised")
        def _():
            casework.case_note_finalise(
                note=self.notes["c1"], password=SUPERVISEE_PASSWORD, by=manager
            )

        # C2 (youth justice): serious harm rises to very high on 10 March, so the 30-day
        # cycle from 16 February applies: due 18 March; discussed 24 March.
        @self.on(local(2026, 3, 10, 11), "c2 risk rises")
        def _():
            casework.risk_rating_set(child=c2, scale="serious_harm", level="very_high", by=manager)

        @self.on(local(2026, 3, 24, 11), "c2 discussed")
        def _():
            org.discuss(c2, local(2026, 3, 24, 10))

        # C3: a new allocation on 10 March at 9am, discussed the next day at 3pm.
        @self.on(local(2026, 3, 10, 9), "c3 allocated")
        def _():
            self.children["c3"] = org.child("NS400003", p2, local(2026, 3, 10, 9))

        @self.on(local(2026, 3, 11, 16), "c3 discussed")
        def _():
            org.discuss(self.children["c3"], local(2026, 3, 11, 15), final=False)

        # C4: overdue since 31 January, transferred to P2 on 20 March, discussed 23 March.
        @self.on(local(2026, 3, 10, 12), "c4 transfer planned")
        def _():
            self.transfer = transfer_services.transfer_plan(
                child=c4,
                to_unit=org.team,
                to_worker=p2,
                to_service="social_work",
                planned_for=date(2026, 3, 20),
                reason="Caseloads balanced",
                by=manager,
            )

        @self.on(local(2026, 3, 20, 10), "c4 transferred")
        def _():
            transfer_services.transfer_complete(transfer=self.transfer, by=manager)

        @self.on(local(2026, 3, 23, 12), "c4 discussed")
        def _():
            org.discuss(c4, local(2026, 3, 23, 11), final=False)

        # C5: never discussed; closed on 25 March, entered on 26 March (C4).
        @self.on(local(2026, 3, 26, 10), "c5 closed")
        def _():
            transfer_services.child_close(
                child=c5,
                closed_on=date(2026, 3, 25),
                closure_reason="outcomes_met",
                closure_rationale="The family no longer need the service.",
                closure_without_supervision_reason="The manager was on leave.",
                by=manager,
            )

    def run(self):
        self.history()
        self.plan()
        moments = list(self.events)
        day = self.FIRST
        while day <= self.LAST:
            moments += [
                (local(day.year, day.month, day.day, h, m), "tick", None) for h, m in self.TICKS
            ]
            day += timedelta(days=1)
        self.ticks = []
        rows = 0
        for moment, _, write in sorted(moments, key=lambda e: (e[0], e[1] == "tick")):
            with at(moment):
                if write is None:
                    tick(moment)
                    self.ticks.append(moment)
                    # Never deleted; never two open flags for one item.
                    assert Flag.objects.count() >= rows
                    rows = Flag.objects.count()
                    open_items = Flag.objects.filter(resolved_at__isnull=True).values_list(
                        "kind", "person", "child", "about"
                    )
                    assert len(open_items) == len(set(open_items))
                else:
                    write()

    def moments(self) -> list[datetime]:
        """Moments to compare: across each day, at day boundaries in London, either side of
        every event and every flag's start and end, and around the clocks going forward."""
        found = set()
        day = date(2026, 2, 10)
        while day <= self.LAST:
            for h, m in ((0, 0), (9, 0), (12, 0), (15, 0)):
                found.add(local(day.year, day.month, day.day, h, m))
            found.add(local(day.year, day.month, day.day, 23, 59, 59, 999999))
            day += timedelta(days=1)
        edges = [m for m, _, _ in self.events]
        for flag in Flag.objects.all():
            edges += [flag.overdue_since, *([flag.resolved_at] if flag.resolved_at else [])]
        for edge in edges:
            for delta in (timedelta(0), timedelta(microseconds=1), -timedelta(seconds=1)):
                found.add(edge + delta)
        utc = ZoneInfo("UTC")
        for h, m, s in ((0, 59, 59), (1, 0, 0), (1, 0, 1), (23, 0, 0)):
            found.add(datetime(2026, 3, 29, h, m, s, tzinfo=utc))
        end = self.ticks[-1]
        return sorted(m for m in found if m <= end)


def test_the_report_for_any_moment_equals_the_flags_held_then(org):
    """Issue 7, point 7: "compliance --as-of T must equal what the flags table says held at T,
    when the job has been running", for facts entered on time and late."""
    month = Month(org)
    month.run()

    checked = 0
    # Before the first evaluation's look back, only spells still open then were kept (the
    # package's own limits, oversight/flags/__init__.py): a month short of supervision time in
    # 2024 began and ended long before.
    kept_from = month.ticks[0] - sync.LATE_FACTS_WINDOW
    for moment in month.moments():
        if moment < kept_from:
            continue
        held, reported = held_rows(moment), compliance_rows(moment)
        assert held == reported, (moment, set(held) - set(reported), set(reported) - set(held))
        checked += 1
    assert checked > 300

    def one(kind, **subject):
        (found,) = [f for f in flags_of(kind=kind, **subject) if f.resolved_at != f.overdue_since]
        return found

    c1, c4 = month.children["c1"], month.children["c4"]
    # Dated by the facts, not by the ticks that noticed them.
    assert one(FlagKind.CASE_REVIEW_OVERDUE, child=c1).resolved_at == local(2026, 3, 9, 14)
    review = flags_of(child=c4, kind=FlagKind.CASE_REVIEW_OVERDUE)
    assert [(f.person, f.resolved_at) for f in review] == [(month.p1, local(2026, 3, 20, 10))]
    records = [
        (f.due, f.overdue_since, f.resolved_at)
        for f in flags_of(month.p1, kind=FlagKind.RECORD_OVERDUE)
        if f.overdue_since > local(2026, 3, 1)
    ]
    assert records == [
        (date(2026, 3, 11), local(2026, 3, 12), local(2026, 3, 13)),  # seen, shared late
        (date(2026, 3, 25), local(2026, 3, 26), local(2026, 3, 27)),  # never seen: kept
    ]
    a1_sessions = [
        (f.overdue_since, f.resolved_at) for f in flags_of(month.a1, kind=FlagKind.SESSION_OVERDUE)
    ]
    assert a1_sessions == [
        (local(2026, 3, 17), local(2026, 3, 18)),
        (local(2026, 3, 26), local(2026, 3, 30)),  # across the start of summer time
    ]
    assert local(2026, 3, 30) == datetime(2026, 3, 29, 23, tzinfo=ZoneInfo("UTC"))
    # A1 (004 Supervision Standards): an agreement in force for the line relationship. The
    # change of supervisor, entered on 20 March for 23 March, leaves P1's agreement in force
    # until the old relationship's last day, the 22nd (it was superseded at once before, and
    # the item was wrongly overdue for three days); the new relationship's own agreement was
    # due at its first session.
    spells = [
        (f.due, f.overdue_since, f.resolved_at)
        for f in flags_of(month.p1, kind=FlagKind.AGREEMENT_MISSING)
        if f.resolved_at != f.overdue_since
    ]
    assert spells == [
        (date(2024, 2, 5), local(2024, 2, 6), local(2026, 2, 5, 10)),  # kept by the first tick
        (date(2026, 3, 23), local(2026, 3, 24), local(2026, 3, 30, 11)),
    ]
    closure = one(FlagKind.CLOSURE_WITHOUT_SUPERVISION, child=month.children["c5"])
    assert closure.overdue_since == local(2026, 3, 26) and closure.resolved_at is None
    assert closure.raised_at == local(2026, 3, 26, 12, 30)
