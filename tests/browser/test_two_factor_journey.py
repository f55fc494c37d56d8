"""A head of service signs in for the first time since their organisation asked them to use
two-factor authentication: taken to set it up, they confirm it is them, scan the QR code (the
test types the key into pyotp, as an app would), keep their recovery codes, and land where
they were going; next time, the sign-in asks for the code. Every page is checked with axe."""

import pyotp
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

from tests.browser.axe import check_a11y
from tests.browser.helpers import sign_in, sign_out
from tests.factories import SUPERVISEE_PASSWORD
from tests.world import build_world


def test_a_head_of_service_sets_up_an_authenticator_app_at_sign_in(page):
    world = build_world()
    manager = world.senior_manager
    Authenticator.objects.filter(user=manager).delete()

    sign_in(page, manager.email, SUPERVISEE_PASSWORD)
    assert "/account/two-factor/" in page.url
    assert "set up two-factor authentication" in page.locator("main").inner_text()

    with page.expect_navigation():
        page.get_by_role("button", name="Set up").first.click()
    assert "/account/confirm/" in page.url
    check_a11y(page)
    page.get_by_label("Password").fill(SUPERVISEE_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert "/account/two-factor/app/" in page.url
    check_a11y(page)

    key = page.get_by_label("Key to type in instead of scanning").input_value()
    page.locator("main input[name=code]").fill(pyotp.TOTP(key).now())
    with page.expect_navigation():
        page.get_by_role("button", name="Set up").click()
    check_a11y(page)
    assert Authenticator.objects.filter(user=manager, type="totp").exists()
    # The recovery codes are shown once set up, to keep somewhere safe.
    codes = RecoveryCodes(
        Authenticator.objects.get(user=manager, type="recovery_codes")
    ).get_unused_codes()
    assert codes[0] in page.get_by_label("Unused codes").input_value()

    page.goto("/")
    check_a11y(page)
    assert "/account/two-factor/" not in page.url
    # The footer leads to one's own security settings.
    for link in ("Two-factor authentication", "Where you are signed in"):
        with page.expect_navigation():
            page.get_by_role("contentinfo").get_by_role("link", name=link).click()
        check_a11y(page)

    # Next time the code is asked for after the password; without the phone, a recovery code.
    sign_out(page)
    page.get_by_label("Email address").fill(manager.email)
    page.get_by_label("Password").fill(SUPERVISEE_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/account/two-factor/authenticate/" in page.url
    check_a11y(page)
    field = page.get_by_label("Code from your authenticator app")
    field.fill(codes[0])
    with page.expect_navigation():
        field.press("Enter")
    assert page.url.endswith("/")
    check_a11y(page)
