"""Single sign-on end to end, over HTTP, against a real OpenID Connect provider on
127.0.0.1 (tests/support/oidc_provider.py): the authorization code flow with PKCE, state and
nonce; an ID token that is not right in any way is refused; an unknown address or a leaver is
refused with a page saying so and an audit entry; nothing is ever created."""

from datetime import date
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client, override_settings

from supervision.models import StaffProfile, User
from supervision.models.audit import AuditEvent
from supervision.organisation.audit import AuditAction
from tests.factories import StaffProfileFactory
from tests.support.oidc_provider import OIDCProvider as Provider

pytestmark = pytest.mark.django_db

LOGIN = "/sign-in/sso/work-account/"


@pytest.fixture
def provider():
    with Provider() as running:
        apps = [
            {
                "provider_id": "work-account",
                "name": "Northshire account",
                "client_id": running.client_id,
                "secret": running.client_secret,
                "settings": {"server_url": running.issuer, "fetch_userinfo": False},
            }
        ]
        providers = {"council_sso": {"OAUTH_PKCE_ENABLED": True, "APPS": apps}}
        with override_settings(SOCIALACCOUNT_PROVIDERS=providers):
            yield running


@pytest.fixture
def person():
    return StaffProfileFactory(
        user__email="Kevin.Doyle@northshire.example", user__full_name="Kevin Doyle"
    ).user


def round_trip(client: Client, *, action: str = ""):
    """Start at the sign-in button, let the provider answer, and come back to the callback."""
    started = client.post(f"{LOGIN}?action={action}" if action else LOGIN, {"process": "login"})
    assert started.status_code == 302, started.content.decode()[:500]
    answered = requests.get(started["Location"], allow_redirects=False, timeout=5)
    assert answered.status_code == 302
    back = urlsplit(answered.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def signed_in_as(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def test_the_sign_in_page_offers_the_organisations_account(provider):
    page = Client().get("/sign-in/").content.decode()
    assert "Sign in with Northshire account" in page


def test_a_person_signs_in_with_their_work_account_in_any_case(provider, person):
    provider.sign_in_as("kevin.doyle@NORTHSHIRE.example")
    client = Client()
    answer = round_trip(client)
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert signed_in_as(client) == person.pk
    sent = provider.last_authorize
    assert sent["code_challenge_method"] == "S256" and sent["code_challenge"]
    assert sent["state"] and sent["nonce"]
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN, actor=person).exists()
    # Bound to the directory's subject from now on, and no account was made.
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "tamper", ["wrong_nonce", "wrong_audience", "wrong_issuer", "expired", "bad_signature"]
)
def test_an_id_token_that_is_not_right_is_refused(provider, person, tamper):
    provider.sign_in_as(person.email)
    provider.tamper = tamper
    client = Client()
    answer = round_trip(client)
    assert answer.status_code == 403
    assert "You cannot sign in with this account" in answer.content.decode()
    assert signed_in_as(client) is None
    refused = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert refused.detail["method"] == "single sign-on"


def test_an_address_with_no_account_is_refused_and_nothing_is_created(provider, person):
    provider.sign_in_as("stranger@northshire.example")
    client = Client()
    answer = round_trip(client)
    page = answer.content.decode()
    assert answer.status_code == 403
    assert "no open account here with that address" in page
    assert "stranger@northshire.example" in page
    assert signed_in_as(client) is None
    assert User.objects.count() == 1
    refused = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert refused.detail == {
        "email": "stranger@northshire.example",
        "method": "single sign-on",
        "refused": "no account",
    }


def test_a_leaver_is_refused_and_told_whom_to_ask(provider, person):
    StaffProfile.objects.filter(user=person).update(leaving_date=date(2020, 1, 31))
    provider.sign_in_as(person.email)
    client = Client()
    answer = round_trip(client)
    assert answer.status_code == 403
    assert "has closed" in answer.content.decode()
    assert signed_in_as(client) is None
    assert AuditEvent.objects.filter(
        action=AuditAction.SIGN_IN_FAILED, detail__refused="account closed"
    ).exists()


def test_a_fresh_sign_in_is_asked_for_when_confirming_who_one_is(provider, person):
    provider.sign_in_as(person.email)
    client = Client()
    round_trip(client, action="reauthenticate")
    sent = provider.last_authorize
    assert sent["prompt"] == "login"
    assert sent["max_age"] == "0"


def test_someone_the_provider_turns_away_is_not_signed_in(provider, person):
    client = Client()
    answer = round_trip(client)  # nobody chosen: the provider answers access_denied
    assert signed_in_as(client) is None
    assert answer.status_code == 403
    assert "You cannot sign in with this account" in answer.content.decode()


def test_someone_who_signs_in_only_through_the_directory_signs_a_record_after_a_fresh_sign_in(
    provider,
):
    from supervision.records import services
    from tests.records import held_session
    from tests.world import build_world

    world = build_world()
    supervisee = world.supervisee
    supervisee.set_unusable_password()
    supervisee.save()
    record = services.record_start(session=held_session(world), by=world.supervisor)
    services.record_share(record=record, by=world.supervisor)
    provider.sign_in_as(supervisee.email)
    client = Client()
    round_trip(client)
    assert signed_in_as(client) == supervisee.pk
    sign = f"/sessions/{record.session_id}/record/sign/"

    page = client.get(sign).content.decode()
    assert "Sign in with Northshire account again" in page
    refused = client.post(sign, {"password": ""}).content.decode()
    assert "Confirm who you are with your organisation&#x27;s sign-in first" in refused

    # The link: the provider is asked for a fresh sign-in, then back to the signing page.
    start = client.get(f"{LOGIN}?action=reauthenticate&process=login&next={sign}")
    assert start.status_code == 200
    started = client.post(f"{LOGIN}?action=reauthenticate", {"process": "login", "next": sign})
    answered = requests.get(started["Location"], allow_redirects=False, timeout=5)
    assert provider.last_authorize["prompt"] == "login"
    back = urlsplit(answered.headers["Location"])
    returned = client.get(f"{back.path}?{back.query}")
    assert returned["Location"] == sign
    assert "Confirmed with Northshire account at" in client.get(sign).content.decode()

    assert client.post(sign, {"password": ""}).status_code == 302
    signature = record.signatures.get(role="supervisee")
    assert signature.method == "Fresh sign-in with Northshire account"
    # Good for one signature only.
    assert "identity_confirmed" not in client.session
