"""The signing journey again with the keyboard alone (tests/browser/keyboard.py): Tab and
Shift+Tab move focus, Enter follows links and presses buttons, Space presses buttons and ticks
radios and checkboxes (an arrow key moves between radios, as in any browser), and at every step
the focused control shows GOV.UK's focus style. No clicks.

Daniel Price plans sessions with Amira Khan and writes up the first with a decision, two
actions and a disagreement; Amira asks for a change, Daniel makes it, Amira signs her view and
the record, and Daniel finalises it and downloads the PDF.
"""

import subprocess
from datetime import datetime

from tests.browser.axe import assert_focus_visible, check_a11y
from tests.browser.conftest import LONDON
from tests.browser.helpers import assert_error_summary_links_work
from tests.browser.keyboard import (
    activate,
    focused_label,
    press_space_on,
    skip_to_main,
    tab_to,
    type_into,
)
from tests.browser.signing_setup import PASSWORD, build_team


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=LONDON)


def sign_in(page, email):
    if not page.url.endswith("/sign-in/"):
        page.goto("/sign-in/")
        check_a11y(page)
    skip_to_main(page)
    type_into(page, "Email address", email)
    type_into(page, "Password", PASSWORD)
    activate(page, "Sign in")
    assert page.get_by_role("heading", level=1).inner_text()


def sign_out(page):
    # Back up to the menu from wherever focus is in the page (forward from the page's start).
    at_start = page.evaluate("document.activeElement === document.body")
    activate(page, "Sign out", back=not at_start)
    assert page.url.endswith("/sign-in/")


def type_date(page, day, month, year):
    type_into(page, "Day", str(day))
    type_into(page, "Month", str(month))
    type_into(page, "Year", str(year))


def test_the_signing_journey_with_the_keyboard_alone(page, clock):
    team = build_team()

    # Thursday 5 March: Daniel plans the sessions and adds to the first agenda.
    page.goto("/sign-in/")
    check_a11y(page)
    sign_in(page, team.supervisor.email)
    activate(page, "Amira Khan")
    activate(page, "Plan sessions")
    type_date(page, 10, 3, 2026)
    type_into(page, "Start time", "10:00")
    press_space_on(page, "Every few weeks")
    type_into(page, "Weeks between sessions", "4")
    check_a11y(page)  # the question Space revealed
    type_into(page, "Where (optional)", "Room 2, Civic Centre")
    activate(page, "Plan sessions", key="Space")
    assert "7 sessions planned" in page.locator("main").inner_text()
    activate(page, "10 March 2026")
    type_into(page, "Add an item to the agenda", "Caseload weighting after the court week")
    activate(page, "Add to agenda")
    sign_out(page)

    # Amira adds her item.
    sign_in(page, team.supervisee.email)
    activate(page, "Add an item to the agenda")
    type_into(page, "Add an item to the agenda", "Training: court skills course")
    activate(page, "Add to agenda", key="Space")
    sign_out(page)

    # Tuesday 10 March: Daniel writes up the session.
    clock.move_to(at(10, 11, 5))
    sign_in(page, team.supervisor.email)
    activate(page, "Amira Khan, 10 March 2026")
    activate(page, "Write the record", key="Space")
    activate(page, "Workload and performance")
    type_into(page, "Workload and performance", "Amira holds 18 children.")
    press_space_on(page, "Management")  # R3: which functions it covered
    activate(page, "Save: I have finished writing up")
    activate(page, "Add a decision")
    type_into(page, "Decision", "No new allocations until 24 March")
    type_into(page, "Reasons for the decision", "Two final hearings this month")
    activate(page, "Add decision")

    activate(page, "Add another action")
    type_into(page, "What is to be done", "Move two children to Tom Walsh")
    press_space_on(page, "Supervisor")
    type_date(page, 17, 3, 2026)
    activate(page, "Add action")
    activate(page, "Add another action")
    type_into(page, "What is to be done", "Book the court skills course")
    tab_to(page, "Supervisor")
    page.keyboard.press("ArrowDown")  # to the next radio, which selects it
    assert assert_focus_visible(page)["label"] == "Supervisee"
    assert page.evaluate("document.activeElement.checked")
    type_date(page, 27, 3, 2026)
    activate(page, "Add action", key="Space")

    activate(page, "Record a disagreement")
    type_into(page, "What you disagree about", "Caseload weighting")
    type_into(page, "Your view, in your own words", "18 children is within the weighting")
    activate(page, "Record the disagreement")
    activate(page, "Give and sign your view on Caseload weighting")
    type_into(page, "Your password", PASSWORD)
    activate(page, "Sign your view")
    activate(page, "Share with Amira Khan", key="Space")
    assert "Record shared with Amira Khan" in page.locator("main").inner_text()
    sign_out(page)

    # Wednesday 11 March: Amira asks for a change; Daniel makes it and shares again.
    clock.move_to(at(11, 9))
    sign_in(page, team.supervisee.email)
    activate(page, "Read and sign the record of 10 March 2026")
    activate(page, "Ask for changes")
    type_into(page, "What should change", "Say that two of the 18 are in proceedings.")
    activate(page, "Ask for changes", key="Space")
    sign_out(page)

    clock.move_to(at(11, 14))
    sign_in(page, team.supervisor.email)
    activate(page, "Amira Khan, 10 March 2026")
    activate(page, "Workload and performance")
    type_into(
        page,
        "Workload and performance",
        "Amira holds 18 children, two of them in proceedings.",
        replace=True,
    )
    activate(page, "Save: I have finished writing up")
    activate(page, "Share with Amira Khan")
    sign_out(page)

    # Thursday 12 March: Amira signs her view (going back with Shift+Tab to finish it), then
    # the record.
    clock.move_to(at(12, 9, 30))
    sign_in(page, team.supervisee.email)
    activate(page, "Read and sign the record of 10 March 2026")
    activate(page, "Give and sign your view on Caseload weighting")
    type_into(page, "Your view, in your own words", "Court work should count")
    type_into(page, "Your password", PASSWORD)
    tab_to(page, "Your view, in your own words", back=True)
    page.keyboard.press("Control+End")
    page.keyboard.type(" double")
    activate(page, "Sign your view")
    activate(page, "Sign as a correct record")
    # A mistyped password: the error summary has focus, and its link takes her to the field.
    type_into(page, "Your password", "not my password")
    activate(page, "Sign as a correct record", key="Space")
    error = "The password is not correct. Enter your password to sign"
    assert assert_error_summary_links_work(page) == [error]
    tab_to(page, error)
    page.keyboard.press("Enter")
    assert focused_label(page) == "Your password"
    assert_focus_visible(page)
    page.keyboard.type(PASSWORD)
    activate(page, "Sign as a correct record", key="Space")
    assert "You signed the record" in page.locator("main").inner_text()
    sign_out(page)

    # Daniel finalises and downloads the PDF.
    clock.move_to(at(12, 10))
    sign_in(page, team.supervisor.email)
    activate(page, "Amira Khan, 10 March 2026")
    activate(page, "Sign and finalise")
    type_into(page, "Your password", PASSWORD)
    activate(page, "Sign and finalise", key="Space")
    tab_to(page, "Download the signed record (PDF)")
    with page.expect_download(timeout=30_000) as download:
        page.keyboard.press("Enter")
    flat = " ".join(
        subprocess.run(
            ["pdftotext", "-layout", download.value.path(), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    )
    for expected in (
        "Status Finalised on 12 March 2026",
        "Amira holds 18 children, two of them in proceedings.",
        "No new allocations until 24 March",
        "Move two children to Tom Walsh Daniel Price 17 March 2026",
        "Book the court skills course Amira Khan 27 March 2026",
        "The supervisee's view, signed 12 March 2026: Court work should count double",
        "Amira Khan, Supervisee Signed at",
        "Daniel Price, Supervisor Signed at",
    ):
        assert expected in flat, f"{expected!r} is not in the PDF: {flat}"
