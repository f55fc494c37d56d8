"""Tokens: shown once, kept only as a hash, refused at once when revoked or expired, and the
only way in (a person's session is not)."""

import hashlib
from datetime import timedelta

import time_machine
from django.core.management import call_command
from django.test import Client

from api.models import ApiToken
from supervision.models.audit import AuditEvent
from tests.api.helpers import ALL_READ, bearer, service_account, token_for
from tests.world import TODAY

WORLD_AT = TODAY
UNITS = "/api/v1/units/"


def test_a_token_is_kept_only_as_its_hash(world):
    account = service_account(world.admin, [world.units["service"]])
    presented = token_for(account, world.admin)
    row = ApiToken.objects.get(account=account)
    assert presented.startswith(f"sr_{row.prefix}_")
    assert row.secret_hash == hashlib.sha256(presented.encode()).hexdigest()
    assert presented not in str(ApiToken.objects.values().get())
    assert Client().get(UNITS, **bearer(presented)).status_code == 200


def test_the_token_is_shown_once_on_the_administrators_page(world, client):
    account = service_account(world.admin, [world.units["service"]])
    client.force_login(world.admin)
    issued = client.post(f"/admin-tools/api/{account.pk}/", {"days": "30"})
    assert issued.status_code == 200
    assert issued["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(account=account)
    page = issued.content.decode()
    presented = page.split('id="token">')[1].split("<")[0]
    assert presented.startswith(f"sr_{token.prefix}_")
    again = client.get(f"/admin-tools/api/{account.pk}/").content.decode()
    assert presented not in again and f"sr_{token.prefix}" in again
    assert Client().get(UNITS, **bearer(presented)).status_code == 200


def test_revocation_takes_effect_on_the_next_call(world, client):
    account = service_account(world.admin, [world.units["service"]])
    presented = token_for(account, world.admin)
    caller = Client()
    assert caller.get(UNITS, **bearer(presented)).status_code == 200
    client.force_login(world.admin)
    token = ApiToken.objects.get(account=account)
    client.post(f"/admin-tools/api/tokens/{token.pk}/revoke/")
    refused = caller.get(UNITS, **bearer(presented))
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["detail"] == "This token has been revoked."
    denied = AuditEvent.objects.filter(object_type="api_call", action="denied").first()
    assert denied.detail["service_account"] == account.pk and denied.detail["status"] == 401


def test_an_expired_token_is_refused(world):
    account = service_account(world.admin, [world.units["service"]])
    presented = token_for(account, world.admin, days=1)
    with time_machine.travel(TODAY + timedelta(days=2), tick=False):
        refused = Client().get(UNITS, **bearer(presented))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "This token has expired."


def test_a_persons_session_never_reaches_the_api(world, client):
    client.force_login(world.senior_manager)
    assert client.get(UNITS).status_code == 401
    client.force_login(world.admin)
    assert client.get(UNITS).status_code == 401


def test_calls_are_audited_without_their_content(world):
    account = service_account(world.admin, [world.units["service"]], scopes=ALL_READ)
    presented = token_for(account, world.admin)
    response = Client().get(UNITS + "?page_size=50", **bearer(presented))
    entry = AuditEvent.objects.filter(object_type="api_call").first()
    assert entry.actor_id is None
    assert entry.object_id == "api-v1-units"
    assert entry.path == UNITS  # the route, not the query's values
    assert entry.detail == {
        "service_account": account.pk,
        "service_account_name": "Power BI",
        "token": ApiToken.objects.get().prefix,
        "method": "GET",
        "status": 200,
        "rows": len(response.json()["results"]),
    }
    assert "Team A" not in str(entry.detail)


def test_the_command_issues_and_revokes(world, capsys):
    call_command(
        "api_token",
        "create-account",
        "Mosaic feed",
        "--scope",
        "write_imports",
        "--unit",
        world.units["service"].code,
        "--by",
        world.admin.email,
    )
    call_command("api_token", "issue", "Mosaic feed", "--days", "7", "--by", world.admin.email)
    presented = capsys.readouterr().out.strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert presented.startswith(f"sr_{token.prefix}_")
    call_command("api_token", "revoke", token.prefix, "--by", world.admin.email)
    token.refresh_from_db()
    assert token.revoked_at is not None
