"""Issue 21: the dashboard's queries are compiled once for each shape of page and only their
values filled in after that (oversight/reports/dashboard/shapes.py); every page so read shows
what the same page compiled afresh shows, whichever unit, person or date compiled them."""

import re
from datetime import date, datetime
from unittest import mock

import pytest
import time_machine
from django.db.models import Count
from django.urls import reverse

from demo.synthetic import generate_org
from oversight.models import FlagKind
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


@pytest.fixture
def nothing_listed():
    shapes._LISTS.clear()
    yield
    shapes._LISTS.clear()


def person_pages(top) -> list[str]:
    """Person pages and their items pages of every flag measure, for people with flags
    first, and unit items pages: the pages whose flag lists are kept (`shapes.listed`)."""
    flag_measures = [m.key for m in dashboard.MEASURES if m.key in FlagKind.values]
    people = (
        StaffProfile.objects.filter(unit__path__startswith=top.path)
        .annotate(flags=Count("user__flags"))
        .order_by("-flags", "pk")
        .values_list("user_id", flat=True)[:3]
    )
    urls = []
    for person in people:
        urls.append(reverse("dashboard-person", kwargs={"person_id": person}))
        urls += [
            reverse("dashboard-person-items", kwargs={"person_id": person, "measure": measure})
            for measure in flag_measures
        ]
    units = Unit.objects.filter(path__startswith=top.path).order_by("path")[:2]
    urls += [
        reverse("dashboard-items", kwargs={"unit_id": unit.pk, "measure": measure})
        for unit in units
        for measure in flag_measures
    ]
    return urls


def test_person_and_items_pages_from_kept_lists_show_what_pages_compiled_afresh_show(
    org, client, nothing_kept, nothing_listed
):
    """The flags listed on a person's page and on items pages, read from their kept SQL, make
    the same HTML as the same pages built with Django's own queries, whichever person, unit
    and date compiled the lists first."""
    client.force_login(org.manager)
    queries = ["", *(f"?date={day.isoformat()}" for day in (DAYS[1], DAYS[-1]))]
    with time_machine.travel(NOW, tick=False):
        urls = [url + query for query in queries for url in person_pages(org)]
        with mock.patch.object(shapes, "_learn", return_value=None):
            afresh = [page(client, url) for url in urls]
        shapes._KEPT.clear()
        shapes._LISTS.clear()
        kept = [page(client, url) for url in urls]
    for url, one, other in zip(urls, afresh, kept, strict=True):
        assert one == other, url
    # The pages list flags (not only "None."), so the comparison compares rows.
    assert sum(html.count('<tr class="govuk-table__row">') for html in kept) > 100


def page(client, url: str) -> str:
    """The page's HTML without its CSRF token, which differs in every answer."""
    response = client.get(url)
    assert response.status_code == 200, url
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def test_on_postgresql_every_flag_list_is_kept(org, client, nothing_listed, postgres_only):
    client.force_login(org.manager)
    with time_machine.travel(NOW, tick=False):
        for url in person_pages(org):
            assert client.get(url).status_code == 200
    assert shapes._LISTS
    assert all(kept is not None for kept in shapes._LISTS.values()), [
        key for key, kept in shapes._LISTS.items() if kept is None
    ]
