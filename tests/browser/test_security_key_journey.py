"""A supervisee adds a passkey and signs a record with it, in Chromium with a virtual
authenticator (the Chrome DevTools Protocol's WebAuthn domain), on http://localhost (a
security key answers only to a named host, never to an address like 127.0.0.1)."""

import re

from supervision.models import Signature
from supervision.records import services
from tests.browser.axe import check_a11y
from tests.factories import SUPERVISEE_PASSWORD
from tests.records import held_session
from tests.world import build_world


def test_a_supervisee_adds_a_passkey_and_signs_a_record_with_it(page, live_server):
    world = build_world()
    record = services.record_start(session=held_session(world), by=world.supervisor)
    services.record_share(record=record, by=world.supervisor)
    site = live_server.url.replace("127.0.0.1", "localhost")

    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )

    page.goto(f"{site}/sign-in/")
    check_a11y(page)
    page.get_by_label("Email address").fill(world.supervisee.email)
    page.get_by_label("Password").fill(SUPERVISEE_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    check_a11y(page)

    # Adding a key asks for the password again first.
    page.goto(f"{site}/account/two-factor/security-keys/add/")
    assert "/account/confirm/" in page.url
    check_a11y(page)
    page.get_by_label("Password").fill(SUPERVISEE_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert "/security-keys/add/" in page.url
    check_a11y(page)
    name = page.locator("main input[name=name]")
    if name.count():
        name.fill("Work laptop")
    with page.expect_navigation():
        page.locator("main form button").filter(has_text=re.compile("add|key", re.I)).first.click()
    check_a11y(page)
    assert world.supervisee.authenticator_set.filter(type="webauthn").exists()

    # Signing now asks for the key: the browser's prompt, answered by the authenticator.
    page.goto(f"{site}/sessions/{record.session_id}/record/sign/")
    check_a11y(page)
    field = page.get_by_label("Security key or passkey")
    assert field.get_attribute("readonly") is not None
    with page.expect_navigation(url=re.compile(r"/record/?$|/sessions/")):
        page.get_by_role("button", name="Sign as a correct record").click()
    check_a11y(page)
    signature = Signature.objects.get(record=record, role="supervisee")
    assert signature.method == "Security key or passkey"
