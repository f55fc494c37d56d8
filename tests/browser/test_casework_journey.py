"""A supervisor records a case supervision note for a child and moves the child on the team's
case progression board, in Chromium, from signing in; axe checks every page on the way."""

import re

from playwright.sync_api import expect

from tests.browser.axe import check_a11y
from tests.browser.helpers import shot, sign_in
from tests.browser.support_journeys import (
    banner,
    error_summary,
    heading,
    rows,
    table_by_caption,
)
from tests.factories import SUPERVISEE_PASSWORD
from tests.world import build_world

CHILD = "NS100001"


def test_a_supervisor_records_case_supervision_and_moves_the_child_on_the_board(page):
    world = build_world()

    sign_in(page, world.supervisor.email, SUPERVISEE_PASSWORD)

    # Home → My team → the supervisee's caseload → the child.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="My team").click()
    check_a11y(page)
    assert heading(page) == "My team"
    page.get_by_role("link", name="Caseload of Supervisee").click()
    check_a11y(page)
    assert heading(page) == "Supervisee's caseload"
    page.get_by_role("link", name=CHILD).click()
    check_a11y(page)
    assert heading(page) == f"{CHILD} (AB)"

    # Start a case supervision note: the kind comes chosen from the child's page.
    page.get_by_role("link", name="Record case supervision").click()
    check_a11y(page)
    assert heading(page) == f"Start a case note for {CHILD}"
    expect(page.get_by_role("radio", name="Case supervision", exact=True)).to_be_checked()
    # Half a date and no time: the error summary links to the day and to the time.
    discussed = page.get_by_role("group", name="Date discussed")
    expect(discussed.get_by_label("Day")).to_have_value("5")
    discussed.get_by_label("Day").fill("")
    time = page.get_by_label("Time discussed")
    time.fill("")
    page.get_by_role("button", name="Start the note").click()
    check_a11y(page)
    assert error_summary(page) == [
        "Enter the date it was discussed",
        "Enter the time it was discussed",
    ]
    expect(discussed.get_by_label("Day")).to_be_focused()
    discussed.get_by_label("Day").fill("5")
    time.fill("8:30am")
    page.get_by_role("button", name="Start the note").click()
    check_a11y(page)
    assert banner(page) == "Note started. Write it to the child, then finalise it"
    assert heading(page) == "Write the note to the child"

    # The reflective cycle, heading by heading, and the next review date.
    page.get_by_label("Current situation").fill("You moved to your gran's house in February.")
    page.get_by_label("What is working well").fill("You go to school every day now.")
    page.get_by_label("Worries and risks").fill("Your mum has missed two contact visits.")
    page.get_by_label("Decision and direction").fill("You will stay with your gran for now.")
    page.get_by_label("Reasons for the decision").fill("You told us you feel safe there.")
    review = page.get_by_role("group", name="Next review date")
    review.get_by_label("Day").fill("2")
    review.get_by_label("Month").fill("4")
    review.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Save the note").click()
    check_a11y(page)
    assert banner(page) == "Case note saved"
    assert heading(page) == "Case supervision, 5 March 2026 at 8:30am"
    expect(page.locator("main")).to_contain_text("You told us you feel safe there.")
    expect(page.locator("main")).to_contain_text("2 April 2026")

    # Two SMART actions, one for the worker and one for someone outside the organisation.
    page.get_by_role("link", name="Edit the note").click()
    check_a11y(page)
    page.get_by_label("What will be done").fill("Arrange contact at the family centre")
    page.get_by_label("Who will do it").select_option(label="Supervisee")
    due = page.get_by_role("group", name="Date it will be done by")
    due.get_by_label("Day").fill("20")
    due.get_by_label("Month").fill("3")
    due.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Add the action").click()
    check_a11y(page)
    assert banner(page) == "Action added. You can add another action"
    page.get_by_label("What will be done").fill("Check your health visits are up to date")
    page.get_by_label("Who will do it").select_option(label="Someone else (enter their name below)")
    page.get_by_label("Their name, if not on the list").fill("Health visitor")
    due.get_by_label("Day").fill("27")
    due.get_by_label("Month").fill("3")
    due.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Add another action").click()
    check_a11y(page)
    actions = table_by_caption(page, "Actions agreed so far")
    assert [row[:3] for row in rows(actions)] == [
        ["Arrange contact at the family centre", "Supervisee", "20 March 2026"],
        ["Check your health visits are up to date", "Health visitor", "27 March 2026"],
    ]

    # Sign and finalise with the password; without it, the summary says what is missing.
    page.get_by_role("link", name="Sign and finalise the note").click()
    check_a11y(page)
    assert heading(page) == "Sign and finalise the note"
    page.get_by_role("button", name="Sign and finalise the note").click()
    check_a11y(page)
    assert error_summary(page) == ["Enter your password to sign"]
    page.get_by_label("Your password").fill(SUPERVISEE_PASSWORD)
    page.get_by_role("button", name="Sign and finalise the note").click()
    check_a11y(page)
    assert banner(page) == "Case note finalised and locked"
    expect(page.locator("main .govuk-tag").first).to_have_text("Final")
    expect(page.get_by_role("link", name="Edit the note")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Finalised by Supervisor on 5 March 2026")
    shot(page, "case-note")

    # The note is on the child's page.
    page.get_by_role("link", name=f"Back to {CHILD}").click()
    check_a11y(page)
    notes = table_by_caption(page, f"Notes on {CHILD}'s record")
    assert ["5 March 2026", "Case supervision", "Supervisor", "Final"] in rows(notes)

    # The team's case progression board: move the child on to agreeing a plan.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="My team").click()
    check_a11y(page)
    page.get_by_role("link", name="Case progression board for Team A").click()
    check_a11y(page)
    assert heading(page) == "Move each child to the stage their family has reached"
    stage = page.get_by_role("region", name=re.compile(r"^1\. Assessment"))
    tile = stage.locator(".app-tile", has_text=CHILD)
    tile.get_by_text(f"Move {CHILD}", exact=True).click()
    check_a11y(page)  # the tile's move form, opened
    tile.get_by_label(f"Move {CHILD} to").select_option(
        label="2. Agreeing a plan and outcomes with the family"
    )
    tile.get_by_label("Note (optional)").fill("Plan agreed at case supervision")
    tile.get_by_role("button", name="Move").click()
    check_a11y(page)
    assert banner(page) == f"{CHILD} moved to agreeing a plan and outcomes with the family"
    moved = page.get_by_role("region", name=re.compile(r"^2\. Agreeing a plan"))
    expect(moved.locator(".app-tile", has_text=CHILD)).to_be_visible()
    expect(stage.locator(".app-tile", has_text=CHILD)).to_have_count(0)
    recent = table_by_caption(page, "moves on the board, newest first")
    assert rows(recent)[0][:4] == [
        f"{CHILD} (AB)",
        "Assessment",
        "Agreeing a plan and outcomes with the family",
        "Supervisor",
    ]
    shot(page, "case-progression-board")

    # The child's page keeps the move.
    moved.get_by_role("link", name=f"{CHILD} (AB)").click()
    check_a11y(page)
    progression = table_by_caption(page, f"Moves of {CHILD} on the case progression board")
    assert rows(progression)[0][:3] == [
        "Assessment",
        "Agreeing a plan and outcomes with the family",
        "Supervisor",
    ]
