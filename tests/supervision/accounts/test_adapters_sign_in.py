import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from config.settings import base as base_settings
from tests.factories import SUPERVISEE_PASSWORD, StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGN_IN = "/sign-in/"
START = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def sign_in(client, email, password=SUPERVISEE_PASSWORD, **extra):
    return client.post(SIGN_IN, {"login": email, "password": password}, **extra)


def test_it_signs_in_with_email_and_lands_on_home(client):
    profile = StaffProfileFactory(user__full_name="Jo Smith", user__email="jo@example.org")
    response = sign_in(client, "jo@example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "Jo Smith" in home.content.decode()
    assert profile.unit.name in home.content.decode()


def test_it_accepts_the_email_in_any_case(client):
    UserFactory(email="jo@example.org")
    assert sign_in(client, "Jo@Example.ORG").status_code == 302


def test_it_gives_the_same_message_for_unknown_email_and_wrong_password(client):
    UserFactory(email="jo@example.org")
    unknown = sign_in(client, "nobody@example.org").content.decode()
    wrong = sign_in(client, "jo@example.org", "not the password").content.decode()
    message = "Enter a correct email address and password"
    assert message in unknown
    assert message in wrong

    def strip_tokens(html):
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        return re.sub(r'value="[^"]*@example.org"', "", html)

    assert strip_tokens(unknown) == strip_tokens(wrong)


def test_it_names_each_missing_field(client):
    page = client.post(SIGN_IN, {"login": "", "password": ""}).content.decode()
    assert "There is a problem" in page
    assert "Enter your email address" in page
    assert "Enter your password" in page


def test_it_ends_the_session_after_thirty_minutes_without_activity(client):
    UserFactory(email="jo@example.org")
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, "jo@example.org")
        clock.shift(timedelta(minutes=29))
        assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=29))
        assert client.get("/").status_code == 200, "activity renews the 30 minutes"
        clock.shift(timedelta(minutes=31))
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith(SIGN_IN)


def test_it_ends_the_session_twelve_hours_after_sign_in_however_active(client):
    UserFactory(email="jo@example.org")
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, "jo@example.org")
        for _ in range(35):  # a request every 20 minutes for 11 hours 40 minutes
            clock.shift(timedelta(minutes=20))
            assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=21))
        response = client.get("/")
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session
        page = client.get(response["Location"]).content.decode()
        assert "signed out after 12 hours" in page


def test_it_signs_out_only_by_post(client):
    UserFactory(email="jo@example.org")
    sign_in(client, "jo@example.org")
    assert client.get("/sign-out/").status_code == 405
    assert client.post("/sign-out/").status_code == 302
    assert client.get("/").status_code == 302


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=/"


def test_it_sends_a_content_security_policy_without_inline_script(client):
    UserFactory(email="jo@example.org")
    for page in (client.get(SIGN_IN), (sign_in(client, "jo@example.org"), client.get("/"))[1]):
        policy = page["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        html = page.content.decode()
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
        assert scripts, "pages load their JavaScript from files"
        for attributes, body in scripts:
            assert "src=" in attributes and body.strip() == "", "no inline script"
        assert " style=" not in html, "no inline style"


def test_it_forbids_caching_of_signed_in_pages(client):
    UserFactory(email="jo@example.org")
    sign_in(client, "jo@example.org")
    assert "no-store" in client.get("/")["Cache-Control"]


def test_it_hashes_passwords_with_argon2():
    assert base_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_it_keeps_the_session_alive_on_request(client):
    UserFactory(email="jo@example.org")
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, "jo@example.org")
        clock.shift(timedelta(minutes=25))
        assert client.post("/keep-alive/").status_code == 204
        clock.shift(timedelta(minutes=25))
        assert client.get("/").status_code == 200
