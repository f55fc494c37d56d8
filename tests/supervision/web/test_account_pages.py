"""allauth's pages as this product serves them: inside the product's own layout, in the GOV.UK
Design System and plain British English, with one h1 each and a title that names the page;
and the page that refuses a single sign-on, which says why without echoing markup."""

import re
import time
from html import unescape
from urllib.parse import urlencode

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.account.internal.userkit import user_id_to_str
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from tests.factories import SUPERVISEE_PASSWORD
from tests.two_factor import give_second_factor, sign_in
from tests.world import TODAY

pytestmark = pytest.mark.django_db

WORLD_AT = TODAY

TITLE = re.compile(r"<title>(.*?)</title>", re.S)
H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S)
HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1>", re.S)
TAG = re.compile(r"<[^>]+>")
MAIN = re.compile(r'<main\b[^>]*id="main-content"[^>]*>(.*?)</main>', re.S)

# allauth's own words, from its default layout and pages, that must not show here.
ALLAUTH_DEFAULTS = [
    "Sign Up",
    "Menu:",
    "Messages:",
    "Change Email",
    "Change Password",
    "Account Connections",
    "Two-Factor Authentication",
    "Sign Out",
    "Activate Authenticator App",
    "Authenticator App",
    "Security Keys",
    "Recovery Codes",
    "Passwordless",
    "Alternative options",
    "third-party",
    "requires JavaScript",
    "Are you sure",
]

# name: (the page's h1, which its title starts with; words the page must show)
PAGES = {
    "mfa_index": (
        "Two-factor authentication",
        ["Authenticator app", "Security keys and passkeys", "Recovery codes", "Not set up"],
    ),
    "mfa_activate_totp": (
        "Set up an authenticator app",
        ['autocomplete="one-time-code"', 'inputmode="numeric"', "govuk-inset-text", "<img"],
    ),
    "mfa_list_webauthn": ("Security keys and passkeys", ["Add a security key or passkey"]),
    "mfa_add_webauthn": (
        "Add a security key or passkey",
        ['type="application/json"', "mfa/js/webauthn.js", 'id="mfa_webauthn_add"'],
    ),
    "usersessions_list": ("Where you are signed in", ["govuk-table", "This device"]),
    "account_reauthenticate": ("Confirm it is you", ['autocomplete="current-password"']),
}


def text(html: str) -> str:
    return " ".join(unescape(TAG.sub(" ", html)).split())


def main(html: str) -> str:
    return MAIN.search(html).group(1)


@pytest.fixture
def person(world):
    """Someone in no role that must have a second factor, so nothing sends them to set one
    up first."""
    return world.people["supervisee"]


@pytest.fixture
def signed_in(client, person):
    """Signed in through the sign-in page, as allauth records it (force_login leaves no
    record of where one is signed in)."""
    assert sign_in(client, person.email, SUPERVISEE_PASSWORD).status_code == 302
    return client


def confirm_it_is_them(client, person):
    """As though they had just confirmed it is them: allauth asks again after 5 minutes."""
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        *session.get(AUTHENTICATION_METHODS_SESSION_KEY, []),
        {"method": "password", "at": time.time(), "reauthenticated": True},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(person)
    session.save()


@pytest.fixture
def recently_confirmed(signed_in, person):
    confirm_it_is_them(signed_in, person)
    return signed_in


def check_page(html: str, heading: str) -> list[str]:
    """What is wrong with the page: its title, its headings, its layout, allauth's words, and
    what the Content-Security-Policy would block."""
    wrong = []
    title = TITLE.search(html)
    if title is None:
        wrong.append("no <title>")
    else:
        title_text = " ".join(unescape(title.group(1)).split())
        if not title_text.startswith(f"{heading} – "):
            wrong.append(f"the title {title_text!r} does not start with {heading!r}")
    h1s = H1.findall(html)
    if len(h1s) != 1:
        wrong.append(f"{len(h1s)} h1 elements")
    elif text(h1s[0]) != heading:
        wrong.append(f"the h1 is {text(h1s[0])!r}")
    for level, content in HEADING.findall(html):
        if not text(content):
            wrong.append(f"an empty h{level}")
    if "govuk-" not in main(html):
        wrong.append("no GOV.UK markup")
    if "govuk-header" not in html or "govuk-footer" not in html:
        wrong.append("not inside the product's layout")
    visible = text(html)
    for words in ALLAUTH_DEFAULTS:
        if re.search(rf"\b{re.escape(words)}\b", visible):
            wrong.append(f"allauth's {words!r}")
    if re.search(r'<input\b[^>]*type="(submit|button)"', html):
        wrong.append("an <input> as a button")
    for button in re.findall(r"<button\b[^>]*>(.*?)</button>", html, re.S):
        if not text(button):
            wrong.append("a button with no words")
    if re.search(r"\sstyle=", html):
        wrong.append("an inline style (the Content-Security-Policy forbids them)")
    for attributes, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
        if body.strip() and 'type="application/json"' not in attributes:
            wrong.append(f"an inline script: {body.strip()[:60]!r}")
    for label in re.findall(r'<label\b[^>]*for="([^"]+)"', html):
        if f'id="{label}"' not in html:
            wrong.append(f"a label for {label!r}, which is not on the page")
    for field in re.findall(r'<(?:input|textarea)\b(?![^>]*type="hidden")[^>]*id="([^"]+)"', html):
        if f'for="{field}"' not in html:
            wrong.append(f"the field {field!r} has no label")
    return wrong


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_page_is_the_products_own(recently_confirmed, name):
    heading, shown = PAGES[name]
    response = recently_confirmed.get(reverse(name))
    assert response.status_code == 200, response.get("Location")
    html = response.content.decode()
    assert check_page(html, heading) == []
    for words in shown:
        assert words in html, words


@pytest.mark.parametrize("name", ["mfa_activate_totp", "mfa_add_webauthn"])
def test_changing_a_second_factor_asks_to_confirm_it_is_you_first(signed_in, name):
    response = signed_in.get(reverse(name))
    assert response.status_code == 302
    next_page = urlencode({"next": reverse(name)})
    assert response["Location"] == f"{reverse('account_reauthenticate')}?{next_page}"
    page = signed_in.get(response["Location"])
    html = page.content.decode()
    assert check_page(html, "Confirm it is you") == []
    assert re.search(r'<label class="govuk-label" for="id_password">\s*Password\s*</label>', html)
    assert f'name="next" value="{reverse(name)}"' in html
    assert re.search(r'<button type="submit" class="govuk-button"[^>]*>\s*Continue', html)


def test_a_wrong_password_is_shown_in_an_error_summary_linked_to_the_field(signed_in):
    response = signed_in.post(reverse("account_reauthenticate"), {"password": "not it"})
    html = response.content.decode()
    assert response.status_code == 200
    assert TITLE.search(html).group(1).startswith("Error: Confirm it is you – ")
    assert check_page(html.replace("<title>Error: ", "<title>"), "Confirm it is you") == []
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S).group(0)
    assert "There is a problem" in summary
    assert 'href="#id_password"' in summary
    assert "govuk-form-group--error" in html
    assert 'aria-describedby="id_password-error"' in html
    assert 'class="govuk-error-message" id="id_password-error"' in html


def test_the_authenticator_app_page_gives_the_key_as_text_for_those_who_cannot_scan(
    recently_confirmed,
):
    response = recently_confirmed.get(reverse("mfa_activate_totp"))
    html = response.content.decode()
    secret = response.context["form"].secret
    inset = re.search(r'<div class="govuk-inset-text">(.*?)</div>\s*</div>', html, re.S)
    assert inset is not None
    assert "Key to type in instead of scanning" in inset.group(1)
    assert f'value="{secret}"' in inset.group(1)
    assert re.search(r'<input\b[^>]*id="authenticator_secret"[^>]*readonly', inset.group(1))
    assert 'src="data:image/svg+xml;base64,' in html
    code = re.search(r'<input\b[^>]*name="code"[^>]*>', html).group(0)
    assert 'id="id_code"' in code
    assert 'autocomplete="one-time-code"' in code
    assert 'inputmode="numeric"' in code
    assert re.search(r'<label class="govuk-label" for="id_code">', html)
    assert re.search(r"<button[^>]*>\s*Set up\s*</button>", html)


def test_a_wrong_code_when_setting_up_the_app_is_an_error_linked_to_the_code(
    recently_confirmed,
):
    response = recently_confirmed.post(reverse("mfa_activate_totp"), {"code": "000000"})
    html = response.content.decode()
    assert response.status_code == 200
    assert TITLE.search(html).group(1).strip().startswith("Error: Set up an authenticator app")
    assert 'href="#id_code"' in html
    assert 'class="govuk-input govuk-input--width-10 govuk-input--error"' in html


def test_someone_with_an_app_sees_it_is_on_and_can_remove_it(client, person):
    give_second_factor(person)
    RecoveryCodes.activate(person)
    client.force_login(person)
    confirm_it_is_them(client, person)
    html = client.get(reverse("mfa_index")).content.decode()
    assert check_page(html, "Two-factor authentication") == []
    assert "You have 10 of 10 recovery codes left." in text(html)
    assert f'href="{reverse("mfa_deactivate_totp")}"' in html
    assert f'href="{reverse("mfa_view_recovery_codes")}"' in html
    for name, heading in [
        ("mfa_deactivate_totp", "Remove the authenticator app"),
        ("mfa_view_recovery_codes", "Recovery codes"),
        ("mfa_generate_recovery_codes", "Make new recovery codes"),
        ("mfa_reauthenticate", "Confirm it is you"),
    ]:
        response = client.get(reverse(name))
        assert response.status_code == 200, (name, response.get("Location"))
        assert check_page(response.content.decode(), heading) == [], name
    codes = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert (
        RecoveryCodes(
            Authenticator.objects.get(user=person, type=Authenticator.Type.RECOVERY_CODES)
        ).get_unused_codes()[0]
        in codes
    )
    assert re.search(r'<label class="govuk-label" for="recovery_codes">Unused codes</label>', codes)
    code = re.search(
        r'<input\b[^>]*name="code"[^>]*>',
        client.get(reverse("mfa_reauthenticate")).content.decode(),
    ).group(0)
    assert 'autocomplete="one-time-code"' in code and 'inputmode="numeric"' in code


def test_signing_out_of_other_devices_is_offered_when_there_are_some(client, person):
    assert sign_in(Client(), person.email, SUPERVISEE_PASSWORD).status_code == 302
    assert sign_in(client, person.email, SUPERVISEE_PASSWORD).status_code == 302
    html = client.get(reverse("usersessions_list")).content.decode()
    assert check_page(html, "Where you are signed in") == []
    assert html.count("This device") == 1
    form = re.search(r'<form method="post" action="([^"]*)"[^>]*>(.*?)</form>', main(html), re.S)
    assert form.group(1) == reverse("usersessions_list")
    assert re.search(r"<button[^>]*>\s*Sign out of other devices\s*</button>", form.group(2))


def test_signed_in_on_one_device_only_there_is_nothing_to_sign_out_of(signed_in):
    html = signed_in.get(reverse("usersessions_list")).content.decode()
    assert "Sign out of other devices" not in html
    assert "You are not signed in anywhere else." in html


@pytest.mark.parametrize("closed", [True, False])
def test_the_refused_sign_in_page_says_why_and_escapes_the_address(rf, closed):
    html = render_to_string(
        "account/sso_refused.html",
        {
            "reason": "account closed" if closed else "no account",
            "email": "<script>alert(1)</script>@example.org",
            "closed": closed,
            "contact": "the records team at records@example.org",
        },
        request=rf.get("/sign-in/sso/work-account/callback/"),
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;@example.org" in html
    assert check_page(html, "You cannot sign in with this account") == []
    assert f'href="{reverse("sign-in")}"' in html
    visible = text(main(html))
    if closed:
        assert "has closed" in visible
        assert "contact the records team at records@example.org" in visible
        assert "directory" not in visible
    else:
        assert "directory" in visible
        assert "there is no open account here with that address" in visible
        assert "has closed" not in visible
        assert "records@example.org" not in visible


@pytest.mark.parametrize(
    "name, heading",
    [
        ("socialaccount_login_error", "Sign-in did not complete"),
        ("socialaccount_login_cancelled", "You cancelled signing in"),
    ],
)
def test_the_single_sign_on_dead_ends_lead_back_to_signing_in(client, name, heading):
    response = client.get(reverse(name))
    assert response.status_code in (200, 401)
    html = response.content.decode()
    assert check_page(html, heading) == []
    assert f'href="{reverse("sign-in")}"' in main(html)


def test_the_single_sign_on_page_posts_to_itself_with_a_button(rf):
    class Provider:
        name = "Microsoft"

    html = render_to_string(
        "socialaccount/login.html",
        {"provider": Provider(), "process": "login"},
        request=rf.get("/sign-in/sso/work-account/"),
    )
    assert check_page(html, "Sign in with Microsoft") == []
    form = re.search(r"<form\b([^>]*)>(.*?)</form>", main(html), re.S)
    assert 'method="post"' in form.group(1)
    assert "action=" not in form.group(1)
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert re.search(r"<button[^>]*>\s*Continue to Microsoft\s*</button>", form.group(2))
