"""Every page of signing in and of one's own security that the journeys do not already walk,
checked with axe: two-factor settings, confirming it is you with a code, security keys,
recovery codes, sessions, an invitation, and single sign-on's cancelled and error pages."""

from supervision.people.passwords import invitation_path
from tests.browser.axe import check_a11y
from tests.browser.helpers import expect_refusal, sign_in, sign_out
from tests.factories import SUPERVISEE_PASSWORD, UserFactory
from tests.world import build_world


def test_every_account_page_passes_axe(page):
    world = build_world()
    sign_in(page, world.senior_manager.email, SUPERVISEE_PASSWORD)
    for path in (
        "/account/two-factor/",
        "/account/two-factor/security-keys/",
        "/account/two-factor/recovery-codes/new/",
        "/account/two-factor/app/remove/",
        "/account/sessions/",
    ):
        page.goto(path)
        check_a11y(page)
    sign_out(page)

    invited = UserFactory(email="new.starter@example.org", full_name="New Starter")
    invited.set_unusable_password()
    invited.save()
    page.goto(invitation_path(invited))
    check_a11y(page)
    assert "Accept your invitation" in page.locator("h1").inner_text()

    page.goto("/sign-in/sso/cancelled/")
    check_a11y(page)
    expect_refusal(page, "/sign-in/sso/error/")
    page.goto("/sign-in/sso/error/")
    check_a11y(page)
