"""Issue 21: the closed months of each unit's trends are kept (DashboardSummary), filled by the
pages that ask for them and deleted by every write that changes them, so they always equal a
full recount (`manage.py check_dashboard_summaries`) and a page shows what a full recount
shows."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from demo.synthetic import generate_org
from oversight.flags import sync
from oversight.models import DashboardSummary, Flag, FlagKind
from oversight.policy.due import LONDON
from oversight.reports import dashboard
from oversight.reports.dashboard import figures
from oversight.reports.dashboard_check import session_marker_differences, summary_differences
from supervision.models import StaffProfile, SupervisionRecord, SupervisionSession, Unit
from supervision.people import leaving, staff_admin
from tests.quality_helpers import finalised_record

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 5)
NOW = datetime(2026, 3, 5, 12, tzinfo=LONDON)
# Closed months the trends of a page on NOW show: April 2025 to February 2026.
LAST_SEPTEMBER = datetime(2025, 9, 10, 9, tzinfo=LONDON)
LAST_NOVEMBER = datetime(2025, 11, 20, 9, tzinfo=LONDON)


@pytest.fixture
def org():
    with time_machine.travel(NOW, tick=False):
        made = generate_org(staff=30, years=2, children=60, today=TODAY, prefix="sum")
    return made["directorate"]


def units_of(top):
    return list(Unit.objects.filter(path__startswith=top.path).order_by("path"))


def trends(board) -> dict:
    """A page's trends, without measures that are nought (or no share) in every month."""
    return {
        key: list(values)
        for key, values in board.trends.items()
        if any(value not in (0, None) for value in values)
    }


def pages(top) -> dict:
    """Every unit's page now, as the dashboard shows it (filling the summaries it lacks)."""
    with time_machine.travel(NOW, tick=False):
        return {
            unit.pk: trends(dashboard.build(dashboard.Scope(unit=unit), NOW, is_now=True))
            for unit in units_of(top)
        }


def recounted_pages(top, monkeypatch) -> dict:
    """Every unit's page counted whole, every month from the facts, as before the summaries."""
    with monkeypatch.context() as patch:
        patch.setattr(figures, "closed_count", lambda months, now: 0)
        rows = DashboardSummary.objects.count()
        counted = pages(top)
        assert DashboardSummary.objects.count() == rows  # nothing read or kept
    return counted


def assert_kept_equal_a_recount(top, monkeypatch):
    assert summary_differences(limit=None) == []
    recount = recounted_pages(top, monkeypatch)
    assert pages(top) == recount
    # Every unit's page has its 11 closed months kept again.
    assert DashboardSummary.objects.count() == 11 * len(units_of(top))
    return recount


def staff_flag(person, since, resolved=None) -> Flag:
    return Flag(
        kind=FlagKind.ACTION_OVERDUE,
        person=person,
        about="late-noticed",
        due=since.date(),
        overdue_since=since,
        raised_at=NOW,
        resolved_at=resolved,
    )


def written_by_the_job(monkeypatch, profile, **outcome):
    """The flag job's batch writing this outcome, as `_sync` writes any."""
    judged = sync._Outcome(next_check={profile.pk: NOW + timedelta(days=1)}, **outcome)
    with monkeypatch.context() as patch:
        patch.setattr(sync, "_judge", lambda *args: judged)
        patch.setattr(sync.notify, "flags_raised", lambda flags, now: None)
        with time_machine.travel(NOW, tick=False):
            sync._sync([], StaffProfile, NOW, None, [profile.pk])


def test_summaries_stay_equal_to_a_full_recount_through_every_kind_of_write(org, monkeypatch):
    before = assert_kept_equal_a_recount(org, monkeypatch)
    teams = [u for u in units_of(org) if u.kind == Unit.Kind.TEAM]
    first, other = teams[0], teams[-1]
    assert first.parent_id != other.parent_id  # a move between services
    person = StaffProfile.objects.filter(unit=first, leaving_date__isnull=True).first()
    manager = org.manager

    def changed(step):
        """After each write: the kept months equal a recount, and the write moved a figure
        of a closed month (else it would prove nothing)."""
        nonlocal before
        after = assert_kept_equal_a_recount(org, monkeypatch)
        assert any(
            after.get(pk, {}).get(k, [None])[:-1] != v[:-1]
            for pk, page in before.items()
            for k, v in page.items()
        ) or any(after[pk] != before[pk] for pk in after), step
        before = after

    # A flag noticed late, held since September.
    written_by_the_job(monkeypatch, person, raised=[staff_flag(person.user, LAST_SEPTEMBER)])
    changed("late flag")

    # Its resolution put back to November.
    late = Flag.objects.get(about="late-noticed")
    late.resolved_at = LAST_NOVEMBER
    written_by_the_job(monkeypatch, person, resolved=[late])
    changed("back-dated resolution")

    # The person moves to a team of another service.
    with time_machine.travel(NOW, tick=False):
        staff_admin.person_update(
            person=person.user,
            full_name=person.user.full_name,
            email=person.user.email,
            by=manager,
            unit=other,
        )
    changed("move of a person")

    # Someone's leaving date put back into the closed months.
    leaver = StaffProfile.objects.filter(unit=first, leaving_date__isnull=True).first()
    with time_machine.travel(NOW, tick=False):
        leaving.staff_mark_left(person=leaver.user, leaving_date=date(2025, 10, 15), by=manager)
    changed("leaving date")

    # A record finalised, and a session cancelled, in a closed month (an import).
    someone = StaffProfile.objects.filter(unit=other, leaving_date__isnull=True).first().user
    with time_machine.travel(NOW, tick=False):
        finalised_record(someone, manager, LAST_NOVEMBER)
    changed("record finalised in November")
    with time_machine.travel(NOW, tick=False):
        SupervisionSession.objects.create(
            supervisee=someone,
            supervisor=manager,
            session_type="individual",
            starts_at=LAST_SEPTEMBER,
            ends_at=LAST_SEPTEMBER + timedelta(hours=1),
            created_by=manager,
            status=SupervisionSession.Status.CANCELLED,
            cancelled_at=LAST_SEPTEMBER - timedelta(days=2),
        )
    changed("session cancelled in September")

    # A team moved under another service.
    with time_machine.travel(NOW, tick=False):
        staff_admin.unit_update(
            unit=first,
            name=first.name,
            code=first.code,
            kind=first.kind,
            parent=other.parent,
            manager=first.manager,
            by=manager,
        )
    changed("unit moved")


def test_writes_in_the_open_month_keep_the_summaries(org, monkeypatch):
    pages(org)
    kept = DashboardSummary.objects.count()
    person = StaffProfile.objects.filter(leaving_date__isnull=True).first()
    written_by_the_job(
        monkeypatch, person, raised=[staff_flag(person.user, NOW - timedelta(days=2))]
    )
    with time_machine.travel(NOW, tick=False):
        finalised_record(person.user, org.manager, NOW - timedelta(days=1))
    assert DashboardSummary.objects.count() == kept
    assert summary_differences(limit=None) == []


def test_a_past_date_reads_the_months_closed_before_today(org, monkeypatch):
    service = Unit.objects.filter(parent=org).first()
    past = dashboard.end_of_day(date(2025, 12, 10))
    with time_machine.travel(NOW, tick=False):
        board = dashboard.build(dashboard.Scope(unit=service), past, is_now=False)
    # December 2024 to November 2025 closed; December 2025, to the 10th, counted live.
    months = set(DashboardSummary.objects.filter(unit=service).values_list("month", flat=True))
    assert months == {m.start.date() for m in board.months[:-1]}
    with monkeypatch.context() as patch:
        patch.setattr(figures, "closed_count", lambda months, now: 0)
        with time_machine.travel(NOW, tick=False):
            whole = dashboard.build(dashboard.Scope(unit=service), past, is_now=False)
    assert trends(board) == trends(whole)
    assert {k: v for k, v in board.totals.counts.items() if v} == {
        k: v for k, v in whole.totals.counts.items() if v
    }


def test_the_check_names_a_summary_that_differs(org):
    pages(org)
    summary = DashboardSummary.objects.filter(unit=org).order_by("month").first()
    summary.figures = {**summary.figures, "staff": summary.figures.get("staff", 0) + 1}
    summary.save()

    with time_machine.travel(NOW, tick=False):
        assert summary_differences() == [
            f"unit {org.pk} ({org.name}), {summary.month:%B %Y}: staff differ from a recount"
        ]
        with pytest.raises(CommandError, match="differ from a recount"):
            call_command("check_dashboard_summaries")


def test_the_check_names_a_session_whose_no_record_marker_is_wrong(org):
    # The generator writes records round SupervisionRecord.save, as an import might: the
    # markers it leaves must still agree with the records.
    assert session_marker_differences() == []
    draft = SupervisionRecord.objects.exclude(status=SupervisionRecord.Status.FINALISED).first()
    unwritten = SupervisionSession.objects.filter(record__isnull=True).order_by("pk").first()
    # What a write that goes round the record's save and delete leaves behind.
    SupervisionSession.objects.filter(pk=draft.session_id).update(no_record=True)
    SupervisionSession.objects.filter(pk=unwritten.pk).update(no_record=False)

    assert sorted(session_marker_differences()) == sorted(
        [
            f"session {draft.session_id}: has a record, but is marked as having none",
            f"session {unwritten.pk}: has no record, but is marked as having one",
        ]
    )
    with pytest.raises(CommandError, match="differ from a recount"):
        call_command("check_dashboard_summaries")
