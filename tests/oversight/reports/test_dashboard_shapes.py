"""Issue 21: the dashboard's queries are compiled once for each shape of page and only their
values filled in after that (oversight/reports/dashboard/shapes.py); every page so read shows
what the same page compiled afresh shows, whichever unit, person or date compiled them."""

from datetime import date, datetime
from unittest import mock

import pytest
import time_machine

from demo.synthetic import generate_org
from oversight.policy.due import LONDON
from oversight.reports import dashboard
from oversight.reports.dashboard import figures, shapes
from oversight.reports.dashboard.summaries import closed_month
from supervision.models import StaffProfile, Unit

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 5)
NOW = datetime(2026, 3, 5, 12, tzinfo=LONDON)
DAYS = (None, date(2026, 3, 1), date(2026, 2, 28), date(2025, 11, 20), date(2025, 6, 30))


@pytest.fixture
def org():
    with time_machine.travel(NOW, tick=False):
        made = generate_org(staff=30, years=2, children=60, today=TODAY, prefix="shape")
    return made["directorate"]


@pytest.fixture
def nothing_kept():
    shapes._KEPT.clear()
    yield
    shapes._KEPT.clear()


def scopes(top) -> list:
    units = list(Unit.objects.filter(path__startswith=top.path).order_by("path"))
    people = StaffProfile.objects.filter(unit__in=units).select_related("user").order_by("pk")
    return [dashboard.Scope(unit=unit) for unit in units] + [
        dashboard.Scope(person=profile.user) for profile in people[:4]
    ]


def shown(scope, day) -> tuple:
    at = dashboard.moment_for(day, NOW)
    board = dashboard.build(scope, at, is_now=day is None)
    return (
        dict(board.totals.counts),
        [(row.key, row.label, dict(row.figures.counts)) for row in board.rows],
        board.by_role,
        board.signoff_ages,
        board.case_risks,
        {key: list(values) for key, values in board.trends.items()},
    )


def test_pages_read_from_kept_queries_show_what_pages_compiled_afresh_show(org, nothing_kept):
    cases = [(scope, day) for day in DAYS for scope in scopes(org)]
    with time_machine.travel(NOW, tick=False):
        with mock.patch.object(shapes, "_learn", return_value=None):
            afresh = [shown(scope, day) for scope, day in cases]
        shapes._KEPT.clear()
        # Each shape compiled by the first page of it, filled in for every other unit, person
        # and date.
        kept = [shown(scope, day) for scope, day in cases]
    assert kept == afresh
    # The closed months' summaries are a shape of their own, counted whole.
    months = [closed_month(date(2025, 9, 1)), closed_month(date(2025, 11, 1))]
    units = list(Unit.objects.filter(path__startswith=org.path))
    with mock.patch.object(shapes, "_learn", return_value=None):
        afresh = [figures.count_trends(unit, months) for unit in units]
    shapes._KEPT.clear()
    assert [figures.count_trends(unit, months) for unit in units] == afresh


def test_on_postgresql_every_shape_of_page_is_kept(org, nothing_kept, postgres_only):
    with time_machine.travel(NOW, tick=False):
        for scope in scopes(org)[:3] + scopes(org)[-1:]:
            for day in DAYS[:2]:
                shown(scope, day)
        figures.count_trends(org, [closed_month(date(2025, 9, 1))])
    assert shapes._KEPT
    assert all(kept is not None for kept in shapes._KEPT.values()), [
        key for key, kept in shapes._KEPT.items() if kept is None
    ]
