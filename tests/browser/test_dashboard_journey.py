"""A senior manager opens the dashboard, drills from their service to a team, a person and an
overdue item, and downloads the figures as CSV, in Chromium; axe checks every page."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from oversight.flags.scheduled import tick
from supervision.models import SupervisionSession
from tests.browser.axe import check_a11y
from tests.browser.helpers import shot, sign_in
from tests.browser.support_journeys import (
    breadcrumb,
    figure,
    headers,
    heading,
    read_csv,
    rows,
    table_by_caption,
)
from tests.factories import (
    SUPERVISEE_PASSWORD,
    JobRoleFactory,
    RelationshipFactory,
    StaffProfileFactory,
)
from tests.world import build_world

LAST_HELD = datetime(2025, 11, 10, 10, tzinfo=UTC)


def starting_point(now):
    """The small organisation, and in Team A a social worker last supervised on 10 November
    2025 with that session never written up; the flag job has looked at a year of it."""
    world = build_world()
    jo = StaffProfileFactory(
        user__email="jo.whitfield@example.org",
        user__full_name="Jo Whitfield",
        unit=world.units["team"],
        job_role=JobRoleFactory(),
    ).user
    RelationshipFactory(supervisor=world.supervisor, supervisee=jo)
    SupervisionSession.objects.create(
        supervisee=jo,
        supervisor=world.supervisor,
        session_type="individual",
        starts_at=LAST_HELD,
        ends_at=LAST_HELD + timedelta(hours=1),
        created_by=world.supervisor,
        status=SupervisionSession.Status.HELD,
    )
    tick(now, look_back=timedelta(days=400))
    return world, jo


def test_a_senior_manager_drills_from_service_to_an_overdue_item_and_exports_csv(page):
    world, jo = starting_point(timezone.now())

    sign_in(page, world.senior_manager.email, SUPERVISEE_PASSWORD)
    assert heading(page) == "Senior Manager"
    shot(page, "senior-manager-home")

    # The dashboard opens on the one unit they manage.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Dashboard").click()
    check_a11y(page)
    assert heading(page) == "Service A"
    assert breadcrumb(page) == ["Dashboard", "Service A"]
    # Every chart is a labelled picture with the table of its figures beside it.
    charts = page.locator("svg.app-chart")
    assert charts.count() >= 1
    for chart in charts.all():
        chart_id = chart.get_attribute("aria-labelledby").removesuffix("-title")
        table = page.locator(f"table[aria-labelledby='{chart_id}-heading']")
        expect(table).to_have_count(1)
        assert len(rows(table)) == 12, "a row for each of the twelve months"
    shot(page, "dashboard")
    # Wide tables scroll inside their own region; the page itself never scrolls sideways
    # (WCAG 1.4.10 reflow).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The figures by team and person, downloaded: the same figures as on the page.
    supervision = table_by_caption(page, "Supervision of staff")
    team_row = supervision.locator("tbody tr", has=page.get_by_role("link", name="Team A"))
    column = headers(supervision).index("Supervision overdue")
    on_page = figure(team_row.locator("th, td").nth(column).inner_text())
    assert on_page == "2", "Jo Whitfield and the Supervisor"
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download as CSV (Figures by team and person)").click()
    download = caught.value
    assert download.suggested_filename.endswith(".csv")
    table = read_csv(download)
    header = table[0]
    assert header[:3] == ["Team or person", "Staff in post", "Staff supervised on time"]
    by_row = {line[0]: dict(zip(header, line, strict=True)) for line in table[1:]}
    assert by_row["Team A"]["Supervision overdue"] == on_page
    assert by_row["All"]["Staff in post"] == figure(
        supervision.locator("tfoot td").first.inner_text()
    )

    # Service → team.
    supervision.get_by_role("link", name="Team A", exact=True).click()
    check_a11y(page)
    assert heading(page) == "Team A"
    assert breadcrumb(page) == ["Dashboard", "Service A", "Team A"]

    # Team → person.
    people = table_by_caption(page, "Supervision of staff")
    people.get_by_role("link", name=jo.full_name, exact=True).click()
    check_a11y(page)
    assert heading(page) == jo.full_name
    assert breadcrumb(page) == ["Dashboard", "Service A", "Team A", jo.full_name]
    items = page.locator("table#items")
    overdue = {row[0]: row for row in rows(items)}
    assert overdue["Supervision overdue"][1:3] == [
        "Formal supervision every month; last held 10 November 2025",
        "10 December 2025",
    ]
    assert "Record not written up" in overdue

    # Person → the overdue item, where it is acted on: Jo's sessions.
    items.get_by_role("link", name="Supervision overdue").click()
    check_a11y(page)
    assert heading(page) == "Supervision sessions"
    expect(page.locator(".govuk-caption-l")).to_have_text(jo.full_name)
    sessions = table_by_caption(page, "Sessions, newest first")
    assert rows(sessions)[0][0].startswith("10 November 2025")

    # The breadcrumb leads back up: the person, then the service.
    page.go_back()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Service A").click()
    check_a11y(page)
    assert breadcrumb(page) == ["Dashboard", "Service A"]
