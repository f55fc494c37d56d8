"""An administrator changes a supervisee's line supervisor; the new supervisor signs in and
finds the supervisee at home and their whole file, in Chromium; axe checks every page."""

from playwright.sync_api import expect

from tests.browser.axe import check_a11y
from tests.browser.helpers import shot, sign_in, sign_out
from tests.browser.support_journeys import (
    banner,
    cells,
    error_summary,
    heading,
    rows,
    table_by_caption,
)
from tests.factories import SUPERVISEE_PASSWORD, JobRoleFactory, StaffProfileFactory
from tests.world import build_world


def test_an_administrator_changes_the_supervisor_and_the_new_one_sees_the_file(page):
    world = build_world()
    manager = JobRoleFactory(code="practice-manager", name="Practice Manager", category="manager")
    sam = StaffProfileFactory(
        user__email="sam.carter@example.org",
        user__full_name="Sam Carter",
        unit=world.units["team"],
        job_role=manager,
    ).user

    sign_in(page, world.admin.email, SUPERVISEE_PASSWORD)

    # Home → Organisation → the supervisee's row → Change supervisor.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Organisation").click()
    check_a11y(page)
    assert heading(page) == "Organisation"
    people = table_by_caption(page, "People")
    row = people.locator("tbody tr", has=page.get_by_role("cell", name="Supervisee", exact=True))
    assert cells(row)[3] == "Supervisor"
    row.get_by_role("link", name="Change supervisor of Supervisee").click()
    check_a11y(page)
    assert heading(page) == "Change Supervisee's line supervisor"
    expect(page.locator("main")).to_contain_text("Supervised by Supervisor since 8 January 2024.")

    # Nothing chosen: the summary links to each field.
    page.get_by_role("button", name="Change supervisor").click()
    check_a11y(page)
    assert error_summary(page) == [
        "Choose the new line supervisor",
        "Enter the day, month and year",
    ]

    page.get_by_label("New line supervisor").select_option(label="Sam Carter (Practice Manager)")
    takes_over = page.get_by_role("group", name="Date the new supervisor takes over")
    takes_over.get_by_label("Day").fill("5")
    takes_over.get_by_label("Month").fill("3")
    takes_over.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Change supervisor").click()
    check_a11y(page)
    assert banner(page) == "Sam Carter supervises Supervisee from 5 March 2026"
    assert heading(page) == "Organisation"
    row = table_by_caption(page, "People").locator(
        "tbody tr", has=page.get_by_role("cell", name="Supervisee", exact=True)
    )
    assert cells(row)[3] == "Sam Carter"
    sign_out(page)

    # The new supervisor: the supervisee is on their home page, and the file opens.
    sign_in(page, sam.email, SUPERVISEE_PASSWORD)
    assert heading(page) == "Sam Carter"
    expect(page.get_by_role("heading", name="Your supervisees (1)")).to_be_visible()
    supervisees = table_by_caption(page, "People you supervise")
    assert rows(supervisees)[0][0].startswith("Supervisee")
    shot(page, "new-supervisor-home")
    supervisees.get_by_role("link", name="Supervisee", exact=True).click()
    check_a11y(page)
    assert heading(page) == "Supervisee"
    history = table_by_caption(page, "Supervisors, newest first")
    assert rows(history) == [
        ["Sam Carter", "Line supervision", "5 March 2026", "Current"],
        ["Supervisor", "Line supervision", "8 January 2024", "4 March 2026"],
    ]
    # The file keeps what the earlier supervisor recorded.
    on_file = table_by_caption(page, "Items on the file, newest first")
    assert any(line[0] == "4 March 2026" for line in rows(on_file)), rows(on_file)
    page.get_by_role("link", name="Sessions and records").click()
    check_a11y(page)
    sessions = table_by_caption(page, "Sessions, newest first")
    assert rows(sessions)[0][2] == "Supervisor"


def test_an_administrator_adds_a_team_and_a_new_starter_through_the_products_pages(page):
    world = build_world()
    sign_in(page, world.admin.email, SUPERVISEE_PASSWORD)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Organisation").click()
    check_a11y(page)

    page.get_by_role("button", name="Add a unit").click()
    check_a11y(page)
    page.get_by_label("Name").fill("Family Safeguarding South")
    page.get_by_label("Short code").fill("fs-south")
    page.get_by_label("Kind of unit").select_option(label="Team")
    page.get_by_label("Part of (optional)").select_option(label="– Service A (service)")
    page.get_by_role("button", name="Add the unit").click()
    check_a11y(page)
    assert "Family Safeguarding South added" in banner(page)

    page.get_by_role("button", name="Add a person").click()
    check_a11y(page)
    # Saved with nothing filled in: every missing answer is named and linked.
    page.get_by_role("button", name="Add the person").click()
    check_a11y(page)
    assert "Enter their full name" in error_summary(page)
    page.get_by_label("Full name").fill("Priya Shah")
    page.get_by_label("Work email address").fill("priya.shah@example.org")
    page.get_by_label("Job role").select_option(label=world.supervisee.profile.job_role.name)
    page.get_by_label("Team or unit").select_option(label="– – Family Safeguarding South (team)")
    start = page.get_by_role("group", name="Start date", exact=True)
    start.get_by_label("Day").fill("2")
    start.get_by_label("Month").fill("3")
    start.get_by_label("Year").fill("2026")
    page.get_by_label("Line supervisor (optional)").select_option(
        label=f"{world.supervisor.full_name} ({world.supervisor.profile.job_role.name})"
    )
    page.get_by_role("button", name="Add the person").click()
    check_a11y(page)
    assert "Priya Shah added and sent a link to set their password" in banner(page)
    people = table_by_caption(page, "People")
    row = people.locator("tbody tr", has=page.get_by_role("cell", name="Priya Shah", exact=True))
    assert cells(row)[2] == "Family Safeguarding South"
    assert cells(row)[3] == world.supervisor.full_name
    shot(page, "organisation-new-starter")
