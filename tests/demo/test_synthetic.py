"""Issue 8, point 6: the synthetic organisation for measuring the dashboard (generate_org) and
the command that times the dashboard on it (bench_dashboard)."""

from collections import Counter
from datetime import date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Q

from agreements.models import SupervisionAgreement
from casework.models import Allocation, CaseNote, Child
from demo.synthetic import generate_org
from oversight.flags.compliance import compliance_rows, held_rows
from oversight.flags.scheduled import tick
from oversight.models import FeedbackResponse, Flag, FlagKind
from oversight.policy.due import LONDON
from supervision.models import (
    RecordSection,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
    Unit,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 5)
NOW = datetime(2026, 3, 5, 12, tzinfo=LONDON)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def build(prefix="syn", **sizes):
    sizes = {"staff": 50, "years": 1, "children": 200, **sizes}
    return generate_org(today=TODAY, seed=3, prefix=prefix, **sizes)


def staff_of(prefix):
    return StaffProfile.objects.filter(unit__code__startswith=f"{prefix}-")


def flags_of(prefix):
    return Flag.objects.filter(person__email__endswith=f"@{prefix}.synthetic.example")


def test_the_organisation_has_the_size_asked_for(clock):
    result = build(staff=60, years=2, children=300)

    # Every post is filled today, whatever the turnover and vacancies before.
    for seed in (3, 4, 5):
        prefix = f"s{seed}"
        generate_org(staff=120, years=3, children=0, today=TODAY, seed=seed, prefix=prefix)
        assert staff_of(prefix).filter(leaving_date__isnull=True).count() == 120
    assert staff_of("syn").filter(leaving_date__isnull=True).count() == 60
    assert staff_of("syn").filter(leaving_date__isnull=False).exists()  # turnover
    assert Child.objects.filter(reference__startswith="SYN").count() == 300
    first = SupervisionSession.objects.filter(supervisee__email__contains="@syn.").earliest(
        "starts_at"
    )
    assert first.starts_at.date() <= TODAY - timedelta(days=2 * 365)
    counts = result["counts"]
    assert counts["supervision.StaffProfile"] == staff_of("syn").count()
    assert counts["casework.Child"] == 300
    for label in (
        "supervision.SupervisionSession",
        "supervision.SupervisionRecord",
        "supervision.Signature",
        "supervision.RecordSection",
        "supervision.Action",
        "agreements.SupervisionAgreement",
        "casework.Allocation",
        "casework.CaseNote",
        "oversight.FeedbackResponse",
        "oversight.Flag",
    ):
        assert counts[label] > 0, label
    assert result["director"] == result["directorate"].manager


def test_units_form_a_tree_with_paths_and_managers(clock):
    build()

    units = {u.pk: u for u in Unit.objects.filter(code__startswith="syn-")}
    kinds = Counter(u.kind for u in units.values())
    assert kinds["directorate"] == 1 and kinds["service"] >= 2 and kinds["team"] >= 2
    for unit in units.values():
        parent = units[unit.parent_id].path if unit.parent_id else "/"
        assert unit.path == f"{parent}{unit.pk}/"
        assert unit.manager is not None
        assert staff_of("syn").filter(user=unit.manager, leaving_date__isnull=True).exists()
    directorate = next(u for u in units.values() if u.kind == "directorate")
    assert directorate.manager.profile.job_role.category == "senior_manager"


def test_everyone_on_the_staff_has_a_line_supervisor_today(clock):
    build()

    for profile in staff_of("syn").filter(leaving_date__isnull=True):
        lines = SupervisoryRelationship.objects.filter(
            supervisee=profile.user, kind="line", starts_on__lte=TODAY
        ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=TODAY))
        assert lines.count() == 1, profile.user.email
    # ... and an agreement in force with them, or a flag saying there is none.
    in_force = SupervisionAgreement.objects.filter(
        status="active", relationship__ends_on__isnull=True, relationship__kind="line"
    ).count()
    missing = flags_of("syn").filter(kind=FlagKind.AGREEMENT_MISSING, resolved_at__isnull=True)
    assert in_force + missing.count() >= 50 - 1


def test_children_are_held_as_their_allocations_say(clock):
    build()

    children = Child.objects.filter(reference__startswith="SYN").prefetch_related("allocations")
    for child in children:
        allocations = sorted(child.allocations.all(), key=lambda a: a.starts_at)
        last = allocations[-1]
        assert last.worker_id == child.allocated_worker_id
        assert last.starts_at == child.allocated_at
        assert all(a.unit_id == child.unit_id and a.service == child.service for a in allocations)
        for before, after in zip(allocations, allocations[1:], strict=False):
            assert before.ends_at == after.starts_at  # handed on, never held twice
        if child.closed_on is None:
            assert last.ends_at is None
            # Nobody who has left holds a case.
            assert child.allocated_worker.profile.leaving_date is None
        else:
            assert last.ends_at is not None
            assert child.closure_reason and child.closure_supervision_held is not None
    assert children.filter(closed_on__isnull=True).exists()
    assert children.filter(closed_on__isnull=False).exists()
    assert Allocation.objects.filter(reason="transfer", child__in=children).exists()
    notes = CaseNote.objects.filter(child__in=children, status="final")
    assert notes.exists()
    latest = notes.order_by("-discussed_at").first()
    assert latest.child.last_discussed_at is not None


def test_records_carry_the_sections_the_dashboard_reads_for_the_last_13_months(clock):
    build()

    records = SupervisionRecord.objects.filter(session__supervisee__email__contains="@syn.")
    assert records.filter(status="finalised").exists()
    assert records.filter(status="finalised", finalised_at__isnull=True).count() == 0
    sections = RecordSection.objects.filter(record__in=records)
    keys = set(sections.values_list("template_section__key", flat=True))
    assert {"reflection", "check-in"} <= keys
    assert sections.filter(progress="completed").exists()
    assert sections.exclude(progress="completed").exists()
    assert FeedbackResponse.objects.filter(respondent__email__contains="@syn.").exists()


def test_flags_are_spells_of_every_kind_and_equal_the_compliance_report(clock):
    build(staff=150, years=3, children=600)

    flags = flags_of("syn")
    # Its cases move between workers at once, never by a planned transfer (C5).
    kinds = set(FlagKind.values) - {FlagKind.TRANSFER_NOT_PREPARED}
    assert set(flags.values_list("kind", flat=True)) == kinds
    assert flags.filter(resolved_at__isnull=True).exists()
    for flag in flags.filter(resolved_at__isnull=False):
        assert flag.overdue_since < flag.resolved_at
    assert flags.filter(child__isnull=False, person__isnull=True).count() == 0
    # A child's flag counts in the unit that held the child; a person's in their unit now.
    assert flags.filter(child__isnull=False, unit__isnull=True).count() == 0
    assert flags.filter(child__isnull=True, unit__isnull=False).count() == 0
    # What the flags say was overdue at a moment is what the rules say, from the facts.
    top = Unit.objects.get(code="syn-dir")
    for moment in (
        NOW,
        datetime(2025, 7, 14, 9, 30, tzinfo=LONDON),
        datetime(2023, 11, 2, 16, tzinfo=LONDON),
    ):
        assert held_rows(moment, top) == compliance_rows(moment, top), moment


def test_the_flag_job_finds_nothing_to_change_afterwards(clock):
    build()

    result = tick(NOW)

    assert result.people == staff_of("syn").count()
    assert (result.raised, result.resolved, result.recorded) == (0, 0, 0)


def test_evaluating_with_the_flag_job_gives_the_same_flags(clock):
    build(prefix="fast", staff=20, children=60)
    build(prefix="real", staff=20, children=60, evaluate=True)

    def spells(prefix):
        found = Counter()
        for flag in flags_of(prefix).select_related("person", "child", "unit"):
            found[
                (
                    flag.kind,
                    flag.person.email.split("@")[0],
                    flag.child.reference[len(prefix) :] if flag.child else "",
                    flag.unit.name if flag.unit else "",
                    flag.about.split(" ")[0],
                    flag.due,
                    flag.overdue_since,
                    flag.resolved_at,
                )
            ] += 1
        return found

    assert spells("fast")
    assert spells("fast") == spells("real")


def snapshot(prefix):
    """The organisation without its ids and prefix: what a seed decides."""

    def local(email):
        return email.split("@")[0] if email else None

    people = sorted(
        (local(p.user.email), p.job_role.code, p.unit.name, p.start_date, p.leaving_date)
        for p in staff_of(prefix).select_related("user", "job_role", "unit")
    )
    sessions = sorted(
        (local(s.supervisee.email), local(s.supervisor.email), s.starts_at, s.status)
        for s in SupervisionSession.objects.filter(
            supervisee__email__contains=f"@{prefix}."
        ).select_related("supervisee", "supervisor")
    )
    children = sorted(
        (
            c.reference[len(prefix) :],
            c.service,
            c.plan,
            c.closed_on,
            local(c.allocated_worker.email),
        )
        for c in Child.objects.filter(reference__startswith=prefix.upper()).select_related(
            "allocated_worker"
        )
    )
    flags = sorted(
        (f.kind, local(f.person.email), f.due, f.overdue_since, f.resolved_at)
        for f in flags_of(prefix).select_related("person")
    )
    return people, sessions, children, flags


def test_the_same_seed_gives_the_same_organisation(clock):
    first = build(prefix="one")
    second = build(prefix="two")

    assert first["counts"].pop("supervision.JobRole") == 18  # the first made the job roles
    assert first["counts"] == second["counts"]
    assert snapshot("one") == snapshot("two")
    other = generate_org(staff=50, years=1, children=200, today=TODAY, seed=4, prefix="three")
    assert snapshot("three") != snapshot("one")
    assert other["counts"] != first["counts"]


def test_a_prefix_is_used_once(clock):
    build()
    with pytest.raises(ValueError, match="already here"):
        build()


def test_generate_org_command_prints_what_it_made(clock):
    out = StringIO()
    call_command(
        "generate_org",
        "--staff=30",
        "--years=1",
        "--children=50",
        "--today=2026-03-05",
        "--seed=2",
        stdout=out,
    )

    text = out.getvalue()
    assert "Built 'syn': 30 staff, 1 years, 50 children, to 5 March 2026, seed 2" in text
    assert "supervision.StaffProfile" in text and "casework.Child" in text
    assert "oversight.Flag" in text and "total" in text
    assert "Flags: synthetic" in text
    assert staff_of("syn").filter(leaving_date__isnull=True).count() == 30
    with pytest.raises(CommandError, match="already here"):
        call_command("generate_org", "--staff=30", "--years=1", "--children=5", stdout=out)


def test_bench_dashboard_times_each_level_and_counts_its_queries(clock):
    result = build(staff=30, children=60)
    out = StringIO()

    call_command("bench_dashboard", "--repeat=2", stdout=out)

    text = out.getvalue()
    assert f"Dashboard as {result['director'].email}" in text
    table = {}
    for line in text.splitlines():
        cells = line[14:].split()
        if cells and cells[0].replace(".", "").isdigit():
            table[line[:14].strip()] = cells[:3]
    assert list(table) == ["organisation", "service", "team", "person", "items", "person items"]
    for median, p95, queries in table.values():
        assert 0 < float(median) <= float(p95)
        assert int(queries) > 0
    assert "/dashboard/units/" in text and "/dashboard/people/" in text


def test_bench_dashboard_stops_at_a_page_that_does_not_answer(clock):
    build(staff=30, children=60)

    with pytest.raises(CommandError, match="items: .* answered 404"):
        call_command(
            "bench_dashboard", "--repeat=1", "--measure=no-such-measure", stdout=StringIO()
        )
    with pytest.raises(CommandError, match="manages no unit"):
        email = staff_of("syn").filter(job_role__category="practitioner").first().user.email
        call_command("bench_dashboard", f"--as={email}", stdout=StringIO())
