"""Flags raised and resolved by the scheduled tick.

Every date is fixed; facts are written through the services (or the factories, where the
product records them that way) with the clock held at the moment they are entered. Kent's
pack is the one in force, as the migration installs it.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework import services as casework
from casework import transfer_services
from casework.models import Child
from oversight.flags import facts, scheduled, sync
from oversight.flags.compliance import compliance_rows, held_rows
from oversight.flags.scheduled import tick
from oversight.models import CLAIM_LEASE, Flag, FlagKind, Notification
from supervision.development import services as development_services
from supervision.models import StaffProfile, Unit
from supervision.people.services import relationship_change_line_supervisor
from supervision.records import services as record_services
from supervision.sessions import planning
from tests.conftest import SUPERVISEE_PASSWORD
from tests.oversight.flags.small_org import (
    at,
    build_org,
    flags_of,
    local,
    profile_of,
    ticked,
)


@pytest.fixture
def org(db):
    with at(local(2026, 2, 1, 9)):
        return build_org()


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
