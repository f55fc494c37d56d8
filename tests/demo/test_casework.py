"""The demo organisation's casework: about 200 children with a year of case supervision that
shows every rule both met and missed, and notes a verifier accepts.

The demo is loaded once for the module (inside a transaction rolled back at the end) on a fixed
day passed as `today`; each test reads it inside its own savepoint.
"""

import re
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from casework import rules
from casework.models import (
    PLANS_BY_SERVICE,
    SCALE_FIELDS,
    SCALES_BY_SERVICE,
    Allocation,
    CaseNote,
    Child,
    FrontDoorSession,
    GroupSession,
    ProgressionMove,
    RiskRating,
    Transfer,
)
from casework.services import NOTE_TEXT_FIELDS, note_content, note_errors
from demo.organisation import load_demo
from oversight.policy.choice import pack_on
from supervision.models import StaffProfile, Unit
from supervision.records.canonical import content_hash
from tests.world import kept_for_the_module

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 5)
TEAMS = {"eh-north", "eh-south", "assessment", "children-in-care", "yj-team"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with kept_for_the_module(django_db_blocker):
        yield load_demo(TODAY, history=False)


def local_day(moment):
    return timezone.localtime(moment).date()


def open_children():
    return Child.objects.filter(closed_on__isnull=True)


def test_about_two_hundred_children_across_the_five_casework_teams(demo):
    assert 190 <= Child.objects.count() <= 210
    per_team = Counter(Child.objects.values_list("unit__code", flat=True))
    assert set(per_team) == TEAMS
    assert min(per_team.values()) >= 25
    assert demo["children"] == Child.objects.count()
    assert Child.objects.filter(reference__regex=r"^NS\d{6}$").count() == Child.objects.count()


def test_every_open_child_is_allocated_to_a_case_holding_worker_in_their_team(demo):
    managers = set(Unit.objects.filter(code__in=TEAMS).values_list("manager_id", flat=True))
    team_of = dict(StaffProfile.objects.values_list("user_id", "unit_id"))
    current = {
        a.child_id: a
        for a in Allocation.objects.filter(ends_at__isnull=True, child__closed_on=None)
    }
    children = list(open_children())
    assert len(current) == len(children)
    for child in children:
        allocation = current[child.pk]
        assert allocation.worker_id == child.allocated_worker_id, child.reference
        assert allocation.unit_id == child.unit_id and allocation.service == child.service
        assert allocation.starts_at == child.allocated_at
        assert team_of[child.allocated_worker_id] == child.unit_id, child.reference
        assert child.allocated_worker_id not in managers, "team managers hold no cases"
    caseloads = Counter(c.allocated_worker_id for c in children)
    assert len(caseloads) >= 20
    assert max(caseloads.values()) <= 20, "caseloads are shared out, not piled on one worker"


def test_plans_and_risk_scales_belong_to_the_childs_service(demo):
    for child in Child.objects.all():
        child.clean()  # plan in PLANS_BY_SERVICE, levels on the service's scales
        assert child.plan in PLANS_BY_SERVICE[child.service]
        scales = SCALES_BY_SERVICE[child.service]
        for scale, field in SCALE_FIELDS.items():
            assert bool(getattr(child, field)) == (scale in scales), (child.reference, field)
    assert Child.objects.filter(chronic_neglect=True).exists()
    assert not Child.objects.filter(chronic_neglect=True).exclude(plan="child_protection").exists()
    assert len(set(Child.objects.values_list("service", "plan"))) >= 8


def test_each_scale_has_a_history_that_ends_at_the_current_level(demo):
    history = defaultdict(list)
    for rating in RiskRating.objects.order_by("set_at", "pk"):
        history[(rating.child_id, rating.scale)].append(rating)
    changes = Counter()
    for child in Child.objects.all():
        for scale in SCALES_BY_SERVICE[child.service]:
            rows = history[(child.pk, scale)]
            assert 1 <= len(rows) <= 4, (child.reference, scale)
            assert rows[-1].level == getattr(child, SCALE_FIELDS[scale])
            assert rows[0].previous_level == ""
            for before, after in zip(rows, rows[1:], strict=False):
                assert after.previous_level == before.level != after.level
            changes[len(rows)] += 1
    assert set(changes) == {1, 2, 3, 4}


def test_some_open_children_are_overdue_for_case_supervision_and_most_are_not(demo):
    overdue = []
    for child in open_children():
        due = rules.discussion_due_on(
            allocated_on=local_day(child.allocated_at),
            last_discussed_on=local_day(child.last_discussed_at)
            if child.last_discussed_at
            else None,
            service=child.service,
            serious_harm=child.serious_harm_level,
            safety_wellbeing=child.safety_wellbeing_level,
            pack=pack_on(TODAY),
        )
        if due < TODAY:
            overdue.append(child)
    total = open_children().count()
    assert 5 <= len(overdue) <= total // 4
    assert {c.service for c in overdue} >= {"youth_justice"}, "C2's shorter cycles show too"


def test_the_child_carries_its_latest_final_formal_discussion(demo):
    latest = {}
    for note in CaseNote.objects.filter(
        status="final", kind__in=CaseNote.FORMAL_SUPERVISION
    ).order_by("discussed_at"):
        latest[note.child_id] = note
    assert latest
    for child in Child.objects.all():
        note = latest.get(child.pk)
        assert child.last_discussed_at == (note.discussed_at if note else None), child.reference
        assert child.next_review_on == (note.next_review_on if note else None), child.reference
    notes = CaseNote.objects.filter(kind="case_supervision", status="final")
    assert notes.filter(discussed_at__date__lt=TODAY - timedelta(days=300)).exists(), "a year"
    gaps = []
    for child_id in notes.values_list("child_id", flat=True).distinct()[:60]:
        days = [
            local_day(d)
            for d in notes.filter(child_id=child_id)
            .values_list("discussed_at", flat=True)
            .order_by("discussed_at")
        ]
        gaps += [(b - a).days for a, b in zip(days, days[1:], strict=False)]
    gaps.sort()
    assert 28 <= gaps[len(gaps) // 2] <= 70, "roughly every 4 to 10 weeks"
    assert gaps[int(len(gaps) * 0.9)] <= 72


def test_some_allocations_are_discussed_within_24_hours_and_some_are_not(demo):
    in_time = late = not_yet = 0
    for allocation in Allocation.objects.all():
        check = rules.allocation_check(
            allocation.starts_at, allocation.first_discussed_at, pack=pack_on(TODAY)
        )
        if check.discussed_in_time:
            in_time += 1
        elif allocation.first_discussed_at:
            late += 1
        else:
            not_yet += 1
        first = (
            CaseNote.objects.filter(
                child_id=allocation.child_id,
                unit_id=allocation.unit_id,
                discussed_at__gte=allocation.starts_at,
            )
            .order_by("discussed_at")
            .values_list("discussed_at", flat=True)
            .first()
        )
        if allocation.first_discussed_at:
            assert allocation.first_discussed_at == first
    assert in_time > late > 0
    assert in_time > Allocation.objects.count() * 0.6, "most are discussed within the day"


def test_final_notes_carry_the_hash_a_verifier_recomputes(demo):
    finals = CaseNote.objects.filter(status="final").select_related("child", "group_session")
    assert finals.count() > 500
    for note in finals:
        assert note.content_hash == content_hash(note_content(note)), note.pk
        assert note.finalised_at and note.finalised_by_id == note.author_id
        assert note.finalised_at >= note.discussed_at
        assert note_errors(note) == {}, (note.kind, note.child.reference)
    drafts = CaseNote.objects.filter(status="draft")
    assert 1 <= drafts.count() <= 20, "a few recent notes still drafts"
    assert not drafts.exclude(content_hash="").exists()
    assert not drafts.filter(discussed_at__date__lt=TODAY - timedelta(days=12)).exists()


def test_case_supervision_is_written_by_the_workers_line_supervisor_on_the_day(demo):
    from supervision.models import SupervisoryRelationship

    lines = defaultdict(list)
    for r in SupervisoryRelationship.objects.filter(kind="line"):
        lines[r.supervisee_id].append(r)
    notes = CaseNote.objects.filter(kind="case_supervision", group_session__isnull=True)
    for note in notes:
        day = local_day(note.discussed_at)
        supervisors = {
            r.supervisor_id
            for r in lines[note.worker_id]
            if r.starts_on <= day and (r.ends_on is None or day <= r.ends_on)
        }
        assert supervisors == {note.author_id}, note.pk
    moved = CaseNote.objects.filter(worker__full_name="Sam Okafor", kind="case_supervision")
    assert set(moved.values_list("author__full_name", flat=True)) == {
        "Rachel Turner",
        "Oliver Grant",
    }, "Sam's notes follow his change of supervisor"


def test_every_point_of_oversight_the_demo_shows_is_there(demo):
    kinds = set(CaseNote.objects.values_list("kind", flat=True))
    assert {
        "case_supervision",
        "group_supervision",
        "joint_supervision",
        "allocation",
        "strategy_discussion",
        "closure",
        "case_progression",
        "plan_signed_off",
    } <= kinds
    assert kinds & {"step_up", "step_down", "step_across"}
    with_actions = CaseNote.objects.annotate(n=Count("actions"))
    assert set(with_actions.values_list("n", flat=True)) >= {0, 1, 2}
    assert CaseNote.objects.filter(actions__owner__isnull=True).exists(), "family own actions"


def test_chronic_neglect_notes_answer_the_c8_questions(demo):
    notes = CaseNote.objects.filter(child__chronic_neglect=True)
    assert notes.exists()
    for note in notes:
        assert note.neglect_home_conditions and note.neglect_chronology
        assert note.neglect_written_agreements
    assert (
        not CaseNote.objects.filter(child__chronic_neglect=False)
        .exclude(neglect_home_conditions="")
        .exists()
    )


def test_some_children_are_marked_to_discuss_next_time(demo):
    marked = Child.objects.filter(discuss_next_marked_at__isnull=False)
    assert 5 <= marked.count() <= 12
    for child in marked:
        assert child.is_open and child.discuss_next_reason and child.discuss_next_marked_by_id
        assert child.last_discussed_at is None or child.discuss_next_marked_at > (
            child.last_discussed_at
        ), "a mark made before the latest discussion would have been cleared"


def test_siblings_are_linked_in_families_within_one_team(demo):
    in_families = Child.objects.filter(family__isnull=False)
    share = in_families.count() / Child.objects.count()
    assert 0.10 <= share <= 0.22
    for family_id, units in _group(in_families.values_list("family_id", "unit_id")).items():
        assert 2 <= len(units) <= 3, family_id
        assert len(set(units)) == 1, "siblings are in the same team"


def _group(pairs):
    grouped = defaultdict(list)
    for key, value in pairs:
        grouped[key].append(value)
    return grouped


def test_progression_moves_lead_to_each_childs_stage_some_of_them_backwards(demo):
    moves = _group((m.child_id, m) for m in ProgressionMove.objects.order_by("moved_at", "pk"))
    backwards = 0
    for child in Child.objects.all():
        stage = 1
        for move in moves.get(child.pk, []):
            assert move.from_stage == stage, child.reference
            stage = move.to_stage
            backwards += move.to_stage < move.from_stage
            assert local_day(move.moved_at) < TODAY
        assert stage == child.progression_stage, child.reference
    assert set(Child.objects.values_list("progression_stage", flat=True)) == {1, 2, 3, 4, 5, 6}
    assert backwards >= 5
    assert ProgressionMove.objects.filter(group_session__format="case_progression").exists()


def test_transfers_completed_in_the_past_and_a_few_planned(demo):
    completed = Transfer.objects.filter(status="completed")
    assert 10 <= completed.count() <= 30, "about 10% came from another team or service"
    for transfer in completed:
        earlier = Allocation.objects.get(
            child=transfer.child, unit=transfer.from_unit, ends_at=transfer.completed_at
        )
        later = Allocation.objects.get(
            child=transfer.child, unit=transfer.to_unit, starts_at=transfer.completed_at
        )
        assert earlier.worker_id == transfer.from_worker_id and later.reason == "transfer"
    assert completed.exclude(from_service=F("to_service")).exists(), "step up/down/across"
    planned = Transfer.objects.filter(status="planned")
    assert 1 <= planned.count() <= 4
    assert not planned.filter(planned_for__lte=TODAY).exists()
    assert not planned.filter(child__closed_on__isnull=False).exists()


def test_about_one_in_eight_closed_some_without_a_formal_supervision(demo):
    closed = Child.objects.filter(closed_on__isnull=False)
    assert 0.07 <= closed.count() / Child.objects.count() <= 0.18
    for child in closed:
        assert child.closure_reason and child.closure_rationale and child.closed_by_id
        assert child.closed_on < TODAY and child.allocated_worker_id
        formal_in_service = [
            local_day(d)
            for d in CaseNote.objects.filter(
                child=child,
                status="final",
                kind__in=CaseNote.FORMAL_SUPERVISION,
                service=child.service,
            ).values_list("discussed_at", flat=True)
        ]
        held = rules.supervised_in_service(child.service_since, formal_in_service)
        assert child.closure_supervision_held is held, child.reference
        assert bool(child.closure_without_supervision_reason) is not held
        assert child.notes.filter(kind="closure", status="final").exists()
        assert not child.allocations.filter(ends_at__isnull=True).exists()
    assert (
        closed.filter(closure_supervision_held=True).count()
        > closed.filter(closure_supervision_held=False).count()
        > 0
    )


def test_group_sessions_write_up_each_child_discussed(demo):
    sessions = GroupSession.objects.select_related("unit").annotate(
        people=Count("participants", distinct=True), children=Count("case_notes", distinct=True)
    )
    formats = Counter((s.unit.code, s.format) for s in sessions)
    assert formats[("assessment", "family_safeguarding")] >= 3
    assert formats[("children-in-care", "case_progression")] >= 3
    assert formats[("yj-team", "case_formulation")] == 1
    assert sum(n for (_, f), n in formats.items() if f == "team_meeting") == 1
    for session in sessions:
        assert 3 <= session.people <= 5, session
        notes = session.case_notes.all()
        if session.format == "team_meeting":
            assert session.children == 0 and session.summary
            continue
        assert len({n.child_id for n in notes}) == session.children
        if session.format == "case_formulation":
            assert 1 <= session.children <= 3
            for note in notes:
                assert note.predisposing and note.precipitating
                assert note.perpetuating and note.protective
        else:
            assert 3 <= session.children <= 6, session
            assert session.held_at.date() >= TODAY - timedelta(days=130)
        expected = (
            "case_progression" if session.format == "case_progression" else ("group_supervision")
        )
        for note in notes:
            assert note.kind == expected
            assert note.author_id == session.facilitator_id
            assert note.worker_id in set(session.participants.values_list("id", flat=True))
            assert note.unit_id == session.unit_id


def test_front_door_sessions_discuss_two_or_three_families_by_reference(demo):
    sessions = FrontDoorSession.objects.prefetch_related("discussions__child")
    assert 2 <= sessions.count() <= 3
    for session in sessions:
        children = [d.child for d in session.discussions.all()]
        families = {c.family_id or f"child {c.pk}" for c in children}
        assert 2 <= len(families) == len(children) <= 3
        for discussion in session.discussions.all():
            assert not re.search(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", discussion.discussion), (
                "no names at the front door"
            )


def test_no_note_names_a_child(demo):
    named = list(Child.objects.exclude(name=""))
    assert 3 <= len(named) <= 10, "a handful show the optional name"
    words = {part for child in named for part in child.name.split()}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b")
    for values in CaseNote.objects.values_list(*NOTE_TEXT_FIELDS):
        for text in values:
            assert not pattern.search(text), text
    for values in Child.objects.values_list(
        "closure_rationale", "closure_without_supervision_reason", "discuss_next_reason"
    ):
        for text in values:
            assert not pattern.search(text), text


def test_a_second_load_creates_nothing_even_on_a_later_day(demo):
    counts = {
        model.__name__: model.objects.count()
        for model in (Child, CaseNote, Allocation, RiskRating, GroupSession, FrontDoorSession)
    }
    references = list(Child.objects.values_list("reference", "initials", "allocated_worker"))
    created = load_demo(TODAY + timedelta(days=30), history=False)
    assert set(created.values()) == {0}
    assert {
        model.__name__: model.objects.count()
        for model in (Child, CaseNote, Allocation, RiskRating, GroupSession, FrontDoorSession)
    } == counts
    assert list(Child.objects.values_list("reference", "initials", "allocated_worker")) == (
        references
    )


def test_final_demo_notes_are_locked_in_the_database(demo, postgres_only):
    from django.db import DatabaseError

    note = CaseNote.objects.filter(status="final").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseNote.objects.filter(pk=note.pk).update(decision="Changed")
