"""Single sign-on in Chromium: the sign-in page's button goes to the council's OpenID Connect
provider (a real one on 127.0.0.1, tests/sso_provider.py) and back; a person with an open
account lands on their home page, someone unknown sees a page saying why not. Every page is
checked with axe."""

from django.test import override_settings

from tests.browser.axe import check_a11y
from tests.browser.helpers import expect_refusal
from tests.factories import StaffProfileFactory
from tests.support.oidc_provider import OIDCProvider as Provider


def sso_settings(provider):
    app = {
        "provider_id": "work-account",
        "name": "Northshire account",
        "client_id": provider.client_id,
        "secret": provider.client_secret,
        "settings": {"server_url": provider.issuer, "fetch_userinfo": False},
    }
    return override_settings(
        SOCIALACCOUNT_PROVIDERS={"council_sso": {"OAUTH_PKCE_ENABLED": True, "APPS": [app]}}
    )


def test_signing_in_with_the_councils_account_and_being_turned_away(page):
    person = StaffProfileFactory(
        user__email="kevin.doyle@northshire.example", user__full_name="Kevin Doyle"
    ).user
    with Provider() as provider, sso_settings(provider):
        provider.sign_in_as("Kevin.Doyle@northshire.example")
        page.goto("/sign-in/")
        check_a11y(page)
        page.get_by_role("button", name="Sign in with Northshire account").click()
        page.wait_for_url(lambda url: url.endswith(":" + url.split(":")[-1].split("/")[0] + "/"))
        check_a11y(page)
        assert person.full_name in page.locator("main").inner_text()
        assert provider.last_authorize["code_challenge_method"] == "S256"

        with page.expect_navigation():
            page.get_by_role("button", name="Sign out").click()
        provider.sign_in_as("someone.else@northshire.example")
        expect_refusal(page, "/sign-in/sso/work-account/callback/")
        page.get_by_role("button", name="Sign in with Northshire account").click()
        page.wait_for_url("**/callback/**")
        page.wait_for_load_state("load")
        check_a11y(page)
        assert "You cannot sign in with this account" in page.locator("h1").inner_text()
        assert "someone.else@northshire.example" in page.locator("main").inner_text()
