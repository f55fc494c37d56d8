"""Who may call the write routes: every route, for no token, an expired and a revoked token,
each scope, and a person's own session. Only write_imports opens them."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from api.models import ApiToken, Scope
from api.tokens import token_revoke
from tests.api.helpers import bearer
from tests.api.writes import IMPORTS, leaving_url, post_json, supervisor_url, writer
from tests.world import TODAY

WORLD_AT = TODAY


@pytest.fixture(autouse=True)
def fresh_rate_counts():
    cache.clear()
    yield
    cache.clear()


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
    if kind == "session only":
        client.force_login(world.admin)
        return None, client
    if kind in ("read_figures", "read_people"):
        return writer(world, scopes=(kind,), name=kind), client
    if kind == "all read scopes":
        return writer(world, scopes=(Scope.READ_FIGURES, Scope.READ_PEOPLE)), client
    token = writer(world)
    if kind == "revoked":
        token_revoke(token=ApiToken.objects.get(), by=world.admin)
    return token, client


# What each caller gets on every write route.
MATRIX = {
    "no token": 401,
    "session only": 401,
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


@pytest.mark.parametrize("route", ["imports", "leaving", "supervisor"])
def test_the_write_routes_take_only_post(world, route):
    url, _ = routes(world)[route]
    token = writer(world)

    for method in ("get", "put", "patch", "delete"):
        response = getattr(Client(), method)(url, **bearer(token))
        assert response.status_code == 405, (method, response.status_code)
