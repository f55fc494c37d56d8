"""A supervision from planning to the signed PDF, in Chromium, through the pages people click.

(a) Daniel Price, a Practice Manager, plans a series of sessions with Amira Khan, adds an agenda
    item, writes up the first session with a decision, two actions and a disagreement, and
    shares the record with her.
(b) Amira adds an agenda item before the session, reads the record and asks for a change;
    Daniel amends it and shares it again; Amira signs her view of the disagreement and signs
    the record; Daniel signs, finalises and downloads the PDF, which the test reads.

Every page shown is checked with axe (tests/browser/axe.py).
"""

import subprocess
from datetime import datetime

from tests.browser.axe import check_a11y
from tests.browser.conftest import LONDON
from tests.browser.helpers import assert_error_summary_links_work, shot, sign_in, sign_out
from tests.browser.signing_setup import PASSWORD, build_team


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=LONDON)


def go(page, role, name):
    """Follow a link or press a button that loads a page, then check the page."""
    with page.expect_navigation():
        page.get_by_role(role, name=name, exact=True).click()
    check_a11y(page)


def fill_date(page, legend, day, month, year):
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day))
    group.get_by_label("Month").fill(str(month))
    group.get_by_label("Year").fill(str(year))


def success(page) -> str:
    return page.locator(".govuk-notification-banner--success").inner_text()


def main_text(page) -> str:
    return page.locator("main").inner_text()


def test_a_record_from_planning_to_the_signed_pdf(page, clock):
    team = build_team()

    # (a) Thursday 5 March: Daniel plans a series of sessions with Amira.
    sign_in(page, team.supervisor.email, PASSWORD)
    go(page, "link", "Amira Khan")
    go(page, "link", "Plan sessions")
    page.get_by_label("Individual staff supervision").check()
    fill_date(page, "Date of the first session", 10, 3, 2026)
    page.get_by_label("Start time").fill("10:00")
    # He forgets to say how often: the error summary takes him to the question.
    go(page, "button", "Plan sessions")
    assert assert_error_summary_links_work(page) == ["Select how often the sessions happen"]
    page.get_by_role("link", name="Select how often the sessions happen").click()
    assert page.evaluate("document.activeElement.id") == "id_frequency_1"
    assert page.get_by_label("Every few weeks").evaluate("el => el === document.activeElement")
    shot(page, "plan-error")
    page.get_by_label("Every few weeks").check()
    page.get_by_label("Weeks between sessions").fill("4")
    page.get_by_label("Where (optional)").fill("Room 2, Civic Centre")
    check_a11y(page)  # the revealed question
    go(page, "button", "Plan sessions")
    assert "7 sessions planned with Amira Khan until 25 August 2026" in success(page)
    shot(page, "sessions")
    go(page, "link", "10 March 2026")
    page.get_by_label("Add an item to the agenda").fill("Caseload weighting after the court week")
    go(page, "button", "Add to agenda")
    assert "Item added to the agenda" in success(page)
    sign_out(page)

    # (b) Amira adds her own item to the agenda before the session.
    sign_in(page, team.supervisee.email, PASSWORD)
    assert "10 March 2026" in main_text(page)
    go(page, "link", "Add an item to the agenda")
    page.get_by_label("Add an item to the agenda").fill("Training: court skills course")
    go(page, "button", "Add to agenda")
    go(page, "link", "Home")
    agenda = page.locator("#your-supervision ~ ol").first.inner_text()
    assert "Caseload weighting after the court week" in agenda
    assert "Training: court skills course" in agenda
    sign_out(page)

    # (a) Tuesday 10 March, after the session: Daniel writes it up.
    clock.move_to(at(10, 11, 5))
    sign_in(page, team.supervisor.email, PASSWORD)
    go(page, "link", "Amira Khan, 10 March 2026")
    go(page, "button", "Write the record")
    go(page, "link", "Workload and performance")
    page.get_by_label("Workload and performance").fill(
        "Amira holds 18 children. The court week took two days from visits."
    )
    page.get_by_label("Management", exact=True).check()  # R3: which functions it covered
    go(page, "button", "Save: I have finished writing up")
    go(page, "link", "Add a decision")
    page.get_by_label("Decision", exact=True).fill("No new allocations until 24 March")
    page.get_by_label("Reasons for the decision").fill("Two final hearings this month")
    go(page, "button", "Add decision")
    for what, who, day in (
        ("Book the court skills course", "Supervisee", 27),
        ("Move two children to Tom Walsh", "Supervisor", 17),
    ):
        go(page, "link", "Add another action")
        page.get_by_label("What is to be done").fill(what)
        page.get_by_role("group", name="Who will do it").get_by_label(who, exact=True).check()
        fill_date(page, "By when", day, 3, 2026)
        go(page, "button", "Add action")
    go(page, "link", "Record a disagreement")
    page.get_by_label("What you disagree about").fill("Caseload weighting")
    page.get_by_label("Your view, in your own words").fill("18 children is within the weighting")
    go(page, "button", "Record the disagreement")
    go(page, "link", "Give and sign your view on Caseload weighting")
    page.get_by_label("Your password").fill(PASSWORD)
    go(page, "button", "Sign your view")
    shot(page, "record-draft")
    go(page, "button", "Share with Amira Khan")
    assert "Record shared with Amira Khan" in success(page)
    sign_out(page)

    # (b) Wednesday 11 March: Amira reads the record and asks for a change.
    clock.move_to(at(11, 9))
    sign_in(page, team.supervisee.email, PASSWORD)
    go(page, "link", "Read and sign the record of 10 March 2026")
    record = main_text(page)
    for text in (
        "Amira holds 18 children",
        "No new allocations until 24 March",
        "Book the court skills course",
        "Move two children to Tom Walsh",
        "18 children is within the weighting",
    ):
        assert text in record
    go(page, "link", "Ask for changes")
    page.get_by_label("Heading (optional)").select_option(label="Workload and performance")
    page.get_by_label("What should change").fill("Say that two of the 18 are in proceedings.")
    go(page, "button", "Ask for changes")
    assert "Changes asked. Daniel Price has been told" in success(page)
    sign_out(page)

    # Daniel amends the heading she named and shares the record again.
    clock.move_to(at(11, 14))
    sign_in(page, team.supervisor.email, PASSWORD)
    go(page, "link", "Amira Khan, 10 March 2026")
    assert "Say that two of the 18 are in proceedings." in main_text(page)
    go(page, "link", "Workload and performance")
    # Her request is beside the heading it is about.
    heading = page.locator("#heading-workload-performance")
    assert "Say that two of the 18 are in proceedings." in heading.inner_text()
    page.get_by_label("Workload and performance").fill(
        "Amira holds 18 children, two of them in proceedings. "
        "The court week took two days from visits."
    )
    go(page, "button", "Save: I have finished writing up")
    go(page, "button", "Share with Amira Khan")
    sign_out(page)

    # Thursday 12 March: Amira signs her view of the disagreement, then the record.
    clock.move_to(at(12, 9, 30))
    sign_in(page, team.supervisee.email, PASSWORD)
    shot(page, "supervisee-home")
    go(page, "link", "Read and sign the record of 10 March 2026")
    assert "two of them in proceedings" in main_text(page)
    # She is shown what changed since she asked, not left to find it.
    assert "One heading has changed since the record was last shared" in main_text(page)
    added = page.locator(".app-diff__added").all_inner_texts()
    assert any("two of them in proceedings" in text for text in added), added
    go(page, "link", "Give and sign your view on Caseload weighting")
    page.get_by_label("Your view, in your own words").fill("Court work should count double")
    page.get_by_label("Your password").fill(PASSWORD)
    go(page, "button", "Sign your view")
    go(page, "link", "Sign as a correct record")
    page.get_by_label("Your password").fill(PASSWORD)
    go(page, "button", "Sign as a correct record")
    assert "You signed the record. Daniel Price will now finalise it" in success(page)
    sign_out(page)

    # Daniel signs and finalises, and downloads the signed PDF.
    clock.move_to(at(12, 10))
    sign_in(page, team.supervisor.email, PASSWORD)
    shot(page, "supervisor-home")
    go(page, "link", "Amira Khan, 10 March 2026")
    go(page, "link", "Sign and finalise")
    page.get_by_label("Your password").fill(PASSWORD)
    go(page, "button", "Sign and finalise")
    assert "Record signed and finalised" in success(page)
    shot(page, "record")
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("link", name="Download the signed record (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    text = subprocess.run(
        ["pdftotext", "-layout", download.value.path(), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    flat = " ".join(text.split())
    for expected in (
        "Status Finalised on 12 March 2026",
        "1. Caseload weighting after the court week 2. Training: court skills course",
        "Amira holds 18 children, two of them in proceedings.",
        "No new allocations until 24 March Reasons: Two final hearings this month",
        "Book the court skills course Amira Khan 27 March 2026",
        "Move two children to Tom Walsh Daniel Price 17 March 2026",
        "The supervisor's view, signed 10 March 2026: 18 children is within the weighting",
        "The supervisee's view, signed 12 March 2026: Court work should count double",
        "Amira Khan, Supervisee Signed at 09:3",
        "Daniel Price, Supervisor Signed at 10:0",
    ):
        assert expected in flat, f"{expected!r} is not in the PDF:\n{text}"
    assert flat.count("on 12 March 2026 (UK time) Method: Password re-entered in the browser") == 2
