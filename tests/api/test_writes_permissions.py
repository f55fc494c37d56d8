"""Who may call the write routes: every route, for no token, an expired and a revoked token,
each scope, and a person's own session. Only write_imports opens them."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from api.models import ApiToken, Scope, ServiceAccount
from api.tokens import account_switch_off, token_revoke
from tests.api.helpers import bearer
from tests.api.writes import IMPORTS, leaving_url, post_json, supervisor_url, writer
from tests.world import TODAY

WORLD_AT = TODAY
# The write routes, as tests/api/test_permissions.py names routes (it checks every API route
# is in its matrix or this one).
WRITE_ROUTES = {
    "/api/v1/imports/",
    "/api/v1/staff/{team}/leaving/",
    "/api/v1/staff/{team}/supervisor/",
}


def routes(world) -> dict[str, tuple[str, dict]]:
    return {
        "imports": (IMPORTS, {"files": {"staff": []}, "dry_run": True}),
        "leaving": (leaving_url(world.supervisee), {"leaving_date": "2026-03-31"}),
        "supervisor": (
            supervisor_url(world.supervisee),
            {"supervisor": world.senior_manager.pk, "starts_on": "2026-03-10"},
        ),
    }


def caller(world, kind: str) -> tuple[str | None, Client]:
    """The token (or none) and the client of each kind of caller."""
    client = Client()
    if kind == "no token":
        return None, client
    if kind == "an administrator's session":
        client.force_login(world.admin)
        return None, client
    if kind == "a manager's session":
        client.force_login(world.senior_manager)
        return None, client
    if kind == "not a bearer token":
        return None, Client(HTTP_AUTHORIZATION="Token abc")
    if kind == "an unknown token":
        return "sr_0123456789_nothing", client
    if kind in ("read_figures", "read_people"):
        return writer(world, scopes=(kind,), name=kind), client
    if kind == "all read scopes":
        return writer(world, scopes=(Scope.READ_FIGURES, Scope.READ_PEOPLE)), client
    token = writer(world)
    if kind == "revoked":
        token_revoke(token=ApiToken.objects.get(), by=world.admin)
    if kind == "switched off":
        account_switch_off(account=ServiceAccount.objects.get(), by=world.admin)
    return token, client


# What each caller gets on every write route.
MATRIX = {
    "no token": 401,
    "an administrator's session": 401,
    "a manager's session": 401,
    "not a bearer token": 401,
    "an unknown token": 401,
    "switched off": 401,
    "expired": 401,
    "revoked": 401,
    "read_figures": 403,
    "read_people": 403,
    "all read scopes": 403,
    "write_imports": 200,
}


@pytest.mark.parametrize("route", ["imports", "leaving", "supervisor"])
@pytest.mark.parametrize(("kind", "expected"), list(MATRIX.items()))
def test_only_write_imports_opens_the_write_routes(world, route, kind, expected):
    url, body = routes(world)[route]
    token, client = caller(world, kind)

    if kind == "expired":
        with time_machine.travel(TODAY + timedelta(days=31), tick=False):
            response = post_json(token, body, url, client=client)
    else:
        response = post_json(token, body, url, client=client)

    assert response.status_code == expected, response.content
    if expected != 200:
        assert response["Content-Type"] == "application/problem+json"
    if expected == 401:
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("route", ["imports", "leaving", "supervisor"])
def test_the_write_routes_take_only_post(world, route):
    url, _ = routes(world)[route]
    token = writer(world)

    for method in ("get", "put", "patch", "delete"):
        response = getattr(Client(), method)(url, **bearer(token))
        assert response.status_code == 405, (method, response.status_code)
