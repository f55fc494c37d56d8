"""A team's first week, in Chromium: the problems found when it was walked by clicking only,
each as the journey that found it. axe checks every page.

- A record shared with a disagreement before the supervisor signed her own view is not stuck.
- Every secondary button on a half-typed case note keeps what was typed.
- Planning over sessions already booked warns, and skips them when asked.
- A session that happened without being planned is recorded afterwards, then written up.
"""

from datetime import datetime

from playwright.sync_api import expect

from supervision.models import SupervisionRecord, SupervisionSession
from tests.browser.axe import check_a11y
from tests.browser.conftest import LONDON
from tests.browser.helpers import sign_in, sign_out
from tests.browser.signing_setup import PASSWORD, build_team
from tests.browser.support_journeys import banner, heading
from tests.world import build_world


def go(page, role, name):
    with page.expect_navigation():
        page.get_by_role(role, name=name, exact=True).click()
    check_a11y(page)


def main_text(page) -> str:
    return page.locator("main").inner_text()


def held(team, day=4):
    return SupervisionSession.objects.create(
        supervisee=team.supervisee,
        supervisor=team.supervisor,
        session_type="individual",
        starts_at=datetime(2026, 3, day, 10, tzinfo=LONDON),
        ends_at=datetime(2026, 3, day, 11, tzinfo=LONDON),
        created_by=team.supervisor,
    )


def test_a_disagreement_shared_before_the_supervisor_signed_her_view_is_not_stuck(page, clock):
    team = build_team()
    held(team)
    sign_in(page, team.supervisor.email, PASSWORD)
    go(page, "link", "Amira Khan, 4 March 2026")
    go(page, "button", "Write the record")
    go(page, "link", "Record a disagreement")
    page.get_by_label("What you disagree about").fill("Caseload weighting")
    page.get_by_label("Your view, in your own words").fill("18 children is within the weighting")
    go(page, "button", "Record the disagreement")
    # She shares it without signing her own view first: the finding.
    go(page, "button", "Share with Amira Khan")
    sign_out(page)

    sign_in(page, team.supervisee.email, PASSWORD)
    go(page, "link", "Read and sign the record of 4 March 2026")
    go(page, "link", "Give and sign your view on Caseload weighting")
    page.get_by_label("Your view, in your own words").fill("Court work should count double")
    page.get_by_label("Your password").fill(PASSWORD)
    go(page, "button", "Sign your view")
    # She cannot sign the record yet, and is told whose view it waits for.
    expect(page.get_by_role("link", name="Sign as a correct record")).to_have_count(0)
    assert "Daniel Price is to give and sign their view" in main_text(page)
    sign_out(page)

    sign_in(page, team.supervisor.email, PASSWORD)
    go(page, "link", "Amira Khan, 4 March 2026")
    go(page, "link", "Give and sign your view on Caseload weighting")
    page.get_by_label("Your password").fill(PASSWORD)
    go(page, "button", "Sign your view")
    assert "Give and sign your view" not in main_text(page), main_text(page)
    sign_out(page)

    sign_in(page, team.supervisee.email, PASSWORD)
    go(page, "link", "Read and sign the record of 4 March 2026")
    go(page, "link", "Sign as a correct record")
    page.get_by_label("Your password").fill(PASSWORD)
    go(page, "button", "Sign as a correct record")
    assert "You signed the record" in banner(page), main_text(page)
    sign_out(page)

    sign_in(page, team.supervisor.email, PASSWORD)
    go(page, "link", "Amira Khan, 4 March 2026")
    go(page, "link", "Sign and finalise")
    page.get_by_label("Your password").fill(PASSWORD)
    go(page, "button", "Sign and finalise")
    assert "Record signed and finalised" in banner(page)
    assert SupervisionRecord.objects.get().status == SupervisionRecord.Status.FINALISED


def test_every_secondary_button_on_a_half_typed_case_note_keeps_the_text(page, clock):
    world = build_world()
    sign_in(page, world.supervisor.email, PASSWORD)
    page.goto(f"/children/{world.child.pk}/")
    check_a11y(page)
    go(page, "link", "Record case supervision")
    page.get_by_label("Time discussed").fill("8:30am")
    go(page, "button", "Start the note")

    typed = {
        "Current situation": "You moved to your gran's house in February.",
        "What is working well": "You go to school every day now.",
    }
    for label, text in typed.items():
        page.get_by_label(label).fill(text)
    # Not saved: straight to adding an action, with the action half-filled (no date).
    page.get_by_label("What will be done").fill("Arrange contact at the family centre")
    go(page, "button", "Add the action")
    for label, text in typed.items():
        expect(page.get_by_label(label)).to_have_value(text)
    # The action's own problem is named; its text is kept too.
    expect(page.get_by_label("What will be done")).to_have_value(
        "Arrange contact at the family centre"
    )
    due = page.get_by_role("group", name="Date it will be done by")
    due.get_by_label("Day").fill("20")
    due.get_by_label("Month").fill("3")
    due.get_by_label("Year").fill("2026")
    page.get_by_label("Who will do it").select_option(label="Supervisee")
    page.get_by_label("Worries and risks").fill("Your mum has missed two contact visits.")
    go(page, "button", "Add the action")
    typed["Worries and risks"] = "Your mum has missed two contact visits."
    for label, text in typed.items():
        expect(page.get_by_label(label)).to_have_value(text)
    # Removing the action, with more typed and not saved, keeps that too.
    page.get_by_label("Decision and direction").fill("You will stay with your gran for now.")
    typed["Decision and direction"] = "You will stay with your gran for now."
    go(page, "button", "Remove the action: Arrange contact at the family centre")
    for label, text in typed.items():
        expect(page.get_by_label(label)).to_have_value(text)
    # And away and back: everything typed was saved with the buttons.
    page.goto(f"/children/{world.child.pk}/")
    check_a11y(page)
    page.go_back()
    check_a11y(page)
    page.reload()
    check_a11y(page)
    for label, text in typed.items():
        expect(page.get_by_label(label)).to_have_value(text)


def test_planning_over_sessions_already_booked_warns_and_skips_them(page, clock):
    team = build_team()
    booked = SupervisionSession.objects.create(
        supervisee=team.supervisee,
        supervisor=team.supervisor,
        session_type="individual",
        starts_at=datetime(2026, 3, 23, 14, tzinfo=LONDON),
        ends_at=datetime(2026, 3, 23, 15, tzinfo=LONDON),
        created_by=team.supervisor,
    )
    sign_in(page, team.supervisor.email, PASSWORD)
    go(page, "link", "Amira Khan")
    go(page, "link", "Plan sessions")
    page.get_by_label("Individual staff supervision").check()
    first = page.get_by_role("group", name="Date of the first session")
    first.get_by_label("Day").fill("10")
    first.get_by_label("Month").fill("3")
    first.get_by_label("Year").fill("2026")
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("Every few weeks").check()
    page.get_by_label("Weeks between sessions").fill("2")
    until = page.get_by_role("group", name="Plan sessions until")
    until.get_by_label("Day").fill("21")
    until.get_by_label("Month").fill("4")
    until.get_by_label("Year").fill("2026")
    go(page, "button", "Plan sessions")
    assert (
        "You already have a session with Amira Khan on 23 March 2026 at 14:00, near 24 March 2026"
        in main_text(page)
    )
    expect(page.get_by_label("Skip the dates that already have a session")).to_be_checked()
    go(page, "button", "Plan sessions")
    assert "already booked left out" in banner(page)
    planned = SupervisionSession.objects.filter(supervisee=team.supervisee).exclude(pk=booked.pk)
    days = sorted(s.starts_at.astimezone(LONDON).strftime("%d %m") for s in planned)
    assert days == ["07 04", "10 03", "21 04"], "24 March, near the booked session, left out"


def test_a_session_that_happened_unplanned_is_recorded_afterwards_and_written_up(page, clock):
    team = build_team()
    sign_in(page, team.supervisor.email, PASSWORD)
    go(page, "link", "Amira Khan")
    go(page, "link", "Sessions and records")
    go(page, "link", "Record a session that has already happened")
    assert heading(page) == "Record a session that has already happened"
    page.get_by_label("Individual staff supervision").check()
    held_on = page.get_by_role("group", name="Date it was held")
    held_on.get_by_label("Day").fill("3")
    held_on.get_by_label("Month").fill("3")
    held_on.get_by_label("Year").fill("2026")
    page.get_by_label("Start time").fill("14:00")
    page.get_by_label("Length in minutes").fill("45")
    page.get_by_label("In person").check()
    page.get_by_label("Why was it not planned?").fill(
        "Urgent supervision after a child protection conference"
    )
    go(page, "button", "Record the session")
    assert "Not planned ahead" in main_text(page)
    go(page, "button", "Write the record")
    go(page, "button", "Write up every heading")
    expect(page.locator("textarea[data-autosave-url]")).to_have_count(
        9
    )  # with the equality heading (issue 20)
