"""The senior managers' dashboard: every figure equals a count made independently
from the facts, today and on a past date; each figure's list is as long as the figure; reach;
charts with their tables."""

import re
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from demo.organisation import email_of, load_demo
from oversight.flags.compliance import compliance_rows
from oversight.flags.scheduled import tick
from oversight.models import FlagKind
from oversight.policy.due import LONDON
from oversight.reports import dashboard
from supervision.models import (
    RecordSection,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    Unit,
    User,
)
from supervision.models.audit import AuditEvent
from tests.world import kept_for_the_module

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=LONDON)
PAST = date(2025, 12, 10)


@pytest.fixture(scope="module")
def kept_demo(django_db_setup, django_db_blocker):
    """The demo organisation with a year of history, its flags evaluated over all of it: built
    once for the module (about ten seconds), each test rolled back to it."""
    with kept_for_the_module(django_db_blocker):
        with time_machine.travel(NOW, tick=False):
            load_demo(NOW.date())
            tick(NOW, look_back=timedelta(days=400))
        yield


@pytest.fixture
def demo(kept_demo, db):
    return User.objects.get(email=email_of("Priya Raman"))


def in_post(profile, day):
    return profile.start_date <= day and (
        profile.leaving_date is None or profile.leaving_date > day
    )


def independent_figures(unit: Unit, at: datetime) -> Counter:
    """The figures for a unit, counted without the dashboard's queries: the overdue items from
    the rules' own evaluation of the facts (the compliance-as-of report), the rest by reading
    the rows one by one."""
    day = at.astimezone(LONDON).date()
    counts = Counter(row.kind for row in compliance_rows(at, unit))
    staff = [
        p
        for p in StaffProfile.objects.select_related("unit", "user")
        if p.unit.path.startswith(unit.path) and in_post(p, day)
    ]
    overdue = {
        row.staff for row in compliance_rows(at, unit) if row.kind == FlagKind.SESSION_OVERDUE
    }
    counts[dashboard.STAFF] = len(staff)
    counts[dashboard.STAFF_ON_TIME] = len([p for p in staff if p.user.email not in overdue])
    start = at - timedelta(days=dashboard.WINDOW_DAYS)
    for record in SupervisionRecord.objects.select_related(
        "session__supervisee__profile__unit", "template"
    ):
        profile = record.session.supervisee.profile
        if not profile.unit.path.startswith(unit.path):
            continue
        if record.status != "finalised" or not (start < record.finalised_at <= at):
            continue
        counts[dashboard.RECORDS_FINALISED] += 1
        if record.functions_answered:
            counts[dashboard.FUNCTIONS_RECORDED] += 1
            for code in record.functions_covered:
                counts[f"covers_{code}"] += 1
        keys = set(record.template.sections.values_list("key", flat=True))
        done = set(
            record.sections.filter(progress=RecordSection.Progress.COMPLETED).values_list(
                "template_section__key", flat=True
            )
        )
        if keys & set(dashboard.REFLECTION_KEYS):
            counts["reflection_of"] += 1
            counts[dashboard.REFLECTION] += bool(done & set(dashboard.REFLECTION_KEYS))
        if keys & set(dashboard.WELLBEING_KEYS):
            counts["wellbeing_of"] += 1
            counts[dashboard.WELLBEING] += bool(done & set(dashboard.WELLBEING_KEYS))
    for session in SupervisionSession.objects.filter(status="cancelled").select_related(
        "supervisee__profile__unit"
    ):
        if session.supervisee.profile.unit.path.startswith(unit.path) and (
            start < session.cancelled_at <= at
        ):
            counts[dashboard.CANCELLATIONS] += 1
    return counts


KEYS = [*dashboard.MEASURE_BY_KEY, "reflection_of", "wellbeing_of"]


def test_every_figure_equals_an_independent_count_today_and_on_a_past_date(demo):
    """Issue 8: "Tests compare each dashboard figure with a count made independently from the
    facts, at today's date and at a past date." Every unit of the demo, every measure."""
    for at in (NOW, dashboard.end_of_day(PAST)):
        for unit in Unit.objects.all():
            board = dashboard.build(dashboard.Scope(unit=unit), at, is_now=at == NOW)
            expected = independent_figures(unit, at)
            got = {key: board.totals.get(key) for key in KEYS}
            assert got == {key: expected.get(key, 0) for key in KEYS}, (unit.name, at)
            # The rows below a unit add up to the unit (children's units and the people in it).
            for key in KEYS:
                assert sum(row.figures.get(key) for row in board.rows) == got[key], (unit, key)
    # Not a world of zeros: the demo has overdue items of most kinds, at both dates.
    top = dashboard.Scope(unit=Unit.objects.get(kind="directorate"))
    both = Counter()
    for at in (NOW, dashboard.end_of_day(PAST)):
        both.update(dashboard.build(top, at, is_now=False).totals.counts)
    seen = {key for key, n in both.items() if n}
    assert len(seen & set(dashboard.FLAG_KINDS)) >= 9, seen
    assert both[dashboard.STAFF] > 60 and both[dashboard.RECORDS_FINALISED] > 20


def test_the_last_month_of_the_trends_is_the_figure_of_the_date(demo):
    top = Unit.objects.get(kind="directorate")
    board = dashboard.build(dashboard.Scope(unit=top), NOW, is_now=True)
    assert [m.label for m in board.months][-2:] == ["February 2026", "March 2026"]
    assert len(board.months) == 12
    for kind in dashboard.FLAG_KINDS:
        assert board.trends[kind][-1] == board.totals.get(kind), kind
    assert board.trends[dashboard.STAFF][-1] == board.totals.get(dashboard.STAFF)
    assert board.trends[dashboard.STAFF_ON_TIME][-1] == board.totals.get(dashboard.STAFF_ON_TIME)
    # A month end in the past is the dashboard of that day.
    december = dashboard.build(
        dashboard.Scope(unit=top), dashboard.end_of_day(date(2025, 12, 31)), is_now=False
    )
    index = [m.label for m in board.months].index("December 2025")
    for kind in dashboard.FLAG_KINDS:
        assert board.trends[kind][index] == december.totals.get(kind), kind


def rows_listed(html: str) -> int:
    table = re.search(r'<table class="govuk-table" id="items">(.*?)</table>', html, re.S)
    if table is None:
        return 0
    body = re.search(r'<tbody class="govuk-table__body">(.*?)</tbody>', table.group(1), re.S)
    return body.group(1).count('<tr class="govuk-table__row">')


def test_each_figure_links_to_a_list_as_long_as_the_figure(demo, client):
    client.force_login(demo)
    service = Unit.objects.get(name="Children's Social Work")
    team = Unit.objects.get(name="Children in Care")
    person = StaffProfile.objects.filter(unit=team).first().user
    with time_machine.travel(NOW, tick=False):
        for at, query in ((NOW, ""), (dashboard.end_of_day(PAST), f"?date={PAST.isoformat()}")):
            for scope, name, kwargs in (
                (dashboard.Scope(unit=service), "dashboard-items", {"unit_id": service.pk}),
                (dashboard.Scope(unit=team), "dashboard-items", {"unit_id": team.pk}),
                (
                    dashboard.Scope(person=person),
                    "dashboard-person-items",
                    {"person_id": person.pk},
                ),
            ):
                board = dashboard.build(scope, at, is_now=not query)
                for key in dashboard.MEASURE_BY_KEY:
                    url = reverse(name, kwargs={**kwargs, "measure": key}) + query
                    response = client.get(url)
                    assert response.status_code == 200, url
                    html = response.content.decode()
                    figure = board.totals.get(key)
                    assert rows_listed(html) == figure, (url, figure)
                    assert f"({figure})</h1>" in html


def test_the_unit_page_shows_the_figures_links_them_and_audits_the_read(demo, client):
    client.force_login(demo)
    service = Unit.objects.get(name="Children's Social Work")
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("dashboard"))
        assert response.status_code == 302
        assert response["Location"] == reverse("dashboard-unit", kwargs={"unit_id": service.pk})
        response = client.get(response["Location"])
    html = response.content.decode()
    board = response.context["board"]
    staff = board.totals.get(dashboard.STAFF)
    on_time = board.totals.get(dashboard.STAFF_ON_TIME)
    assert f"{on_time} of {staff} staff" in html
    for team in Unit.objects.filter(parent=service):
        assert reverse("dashboard-unit", kwargs={"unit_id": team.pk}) in html
        overdue = reverse(
            "dashboard-items", kwargs={"unit_id": team.pk, "measure": "session_overdue"}
        )
        assert f'href="{overdue}"' in html
    # Breadcrumb: Dashboard › Children's Social Work (the top of her reach).
    assert re.search(r'aria-current="page">Children&#x27;s Social Work<', html)
    event = AuditEvent.objects.filter(object_type="dashboard_unit").latest("sequence")
    assert (event.actor, event.object_id, event.detail["as_at"]) == (
        demo,
        str(service.pk),
        "2026-03-05",
    )


def test_a_team_drills_to_a_person_and_the_person_to_their_items(demo, client):
    client.force_login(demo)
    team = Unit.objects.get(name="Children in Care")
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("dashboard-unit", kwargs={"unit_id": team.pk})).content.decode()
        people = StaffProfile.objects.filter(unit=team).select_related("user")
        for profile in people:
            if in_post(profile, NOW.date()):
                assert reverse("dashboard-person", kwargs={"person_id": profile.user_id}) in html
        person = max(
            people,
            key=lambda p: dashboard.build(
                dashboard.Scope(person=p.user), NOW, is_now=True
            ).totals.get(FlagKind.ACTION_OVERDUE),
        ).user
        page = client.get(reverse("dashboard-person", kwargs={"person_id": person.pk}))
    html = page.content.decode()
    assert page.status_code == 200
    # Dashboard › Children's Social Work › Children in Care › the person.
    trail = re.search(r'<nav class="govuk-breadcrumbs".*?</nav>', html, re.S).group(0)
    assert "Children&#x27;s Social Work" in trail and "Children in Care" in trail
    assert f'aria-current="page">{person.full_name}<' in trail
    board = page.context["board"]
    held = sum(board.totals.get(kind) for kind in dashboard.FLAG_KINDS)
    assert held > 0 and len(page.context["items"]) == held
    assert "Action overdue" in html


def test_a_past_date_is_read_from_the_form_and_a_bad_one_is_named(demo, client):
    client.force_login(demo)
    service = Unit.objects.get(name="Children's Social Work")
    url = reverse("dashboard-unit", kwargs={"unit_id": service.pk})
    with time_machine.travel(NOW, tick=False):
        past = client.get(url, {"date-day": "10", "date-month": "12", "date-year": "2025"})
        assert "as at 10 December 2025" in past.content.decode()
        assert past.context["board"].at == dashboard.end_of_day(PAST)
        future = client.get(url, {"date-day": "6", "date-month": "3", "date-year": "2026"})
        nonsense = client.get(url, {"date-day": "31", "date-month": "2", "date-year": "2026"})
    assert "The date must be today or in the past" in future.content.decode()
    html = nonsense.content.decode()
    assert "There is a problem" in html and 'href="#date-day">Enter a real date' in html
    assert nonsense.context["board"].is_now


def test_every_chart_has_a_table_of_the_same_figures(demo, client):
    client.force_login(demo)
    top = Unit.objects.get(kind="directorate")
    top.manager = demo
    top.save()
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("dashboard-unit", kwargs={"unit_id": top.pk}))
    html = response.content.decode()
    charts = response.context["charts"]
    assert html.count('<svg class="app-chart"') == len(charts) >= 5
    for chart in charts:
        svg = re.search(rf'<svg[^>]*aria-labelledby="{chart["id"]}-title".*?</svg>', html, re.S)
        drawn = re.findall(r'class="app-chart__value"[^>]*>([^<]*)<', svg.group(0))
        table = re.search(
            rf'<table[^>]*aria-labelledby="{chart["id"]}-heading">.*?</table>', html, re.S
        )
        listed = re.findall(r"govuk-table__cell--numeric\">([^<]*)<", table.group(0))
        shown = [v.replace(",", "") for v in drawn]
        assert [v.replace("No data", "–") for v in listed] == shown, chart["title"]


def test_rows_sort_by_a_measure_most_first(demo, client):
    client.force_login(demo)
    service = Unit.objects.get(name="Children's Social Work")
    url = reverse("dashboard-unit", kwargs={"unit_id": service.pk})
    with time_machine.travel(NOW, tick=False):
        response = client.get(url, {"sort": "action_overdue"})
        unsorted = client.get(url, {"sort": "no-such-measure"})
    figures = [row.figures.get("action_overdue") for row in response.context["board"].rows]
    assert figures == sorted(figures, reverse=True) and len(set(figures)) > 1
    assert 'aria-sort="descending"' in response.content.decode()
    assert unsorted.context["sort"] is None
    assert "aria-sort" not in unsorted.content.decode()


def test_the_tables_download_with_the_same_figures_and_outside_reach_they_do_not(demo, client):
    import csv
    import io

    from openpyxl import load_workbook

    client.force_login(demo)
    service = Unit.objects.get(name="Children's Social Work")
    board = dashboard.build(dashboard.Scope(unit=service), dashboard.end_of_day(PAST), is_now=False)
    query = {"unit": service.pk, "date": PAST.isoformat()}
    with time_machine.travel(NOW, tick=False):
        figures = client.get(reverse("export-table", args=["dashboard-figures", "csv"]), query)
        sheet = client.get(reverse("export-table", args=["dashboard-trends", "xlsx"]), query)
        items = client.get(
            reverse("export-table", args=["dashboard-items", "csv"]),
            {**query, "measure": "action_overdue"},
        )
        elsewhere = client.get(
            reverse("export-table", args=["dashboard-figures", "csv"]),
            {"unit": Unit.objects.get(name="Early Help").pk},
        )
    lines = list(csv.reader(io.StringIO(figures.content.decode("utf-8-sig"))))
    header, total = lines[0], lines[-1]
    assert total[0] == "All"
    assert int(total[header.index("Supervision overdue")]) == board.totals.get("session_overdue")
    assert int(total[header.index("Staff in post")]) == board.totals.get("staff")
    workbook = load_workbook(io.BytesIO(sheet.content))
    values = list(workbook.active.values)
    assert values[0][-1] == "December 2025"
    assert len(list(csv.reader(io.StringIO(items.content.decode("utf-8-sig"))))) - 1 == (
        board.totals.get("action_overdue")
    )
    assert elsewhere.status_code == 404
    assert AuditEvent.objects.filter(actor=demo, action="export").count() == 3


# --- Supervisee feedback ------------------------------------------------------------------------
