"""Every API route, for each kind of caller: no token, a token of each scope, an expired one, a
revoked one, one whose account is switched off, and a person's own session with no token."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from api import tokens
from api.models import ApiToken, Scope
from tests.api.helpers import bearer, service_account, token_for
from tests.api.test_writes_permissions import WRITE_ROUTES
from tests.world import TODAY

WORLD_AT = TODAY

EITHER_READ = {Scope.READ_FIGURES, Scope.READ_PEOPLE}
# Each route with the scopes that open it; the test below fails when a route is missing here.
ROUTES = {
    "/api/v1/units/": EITHER_READ,
    "/api/v1/units/{team}/": EITHER_READ,
    "/api/v1/staff/": {Scope.READ_PEOPLE},
    "/api/v1/relationships/": {Scope.READ_PEOPLE},
    "/api/v1/agreements/": {Scope.READ_PEOPLE},
    "/api/v1/sessions/": {Scope.READ_PEOPLE},
    "/api/v1/flags/": {Scope.READ_FIGURES},
    "/api/v1/compliance/": {Scope.READ_FIGURES},
    "/api/v1/figures/": {Scope.READ_FIGURES},
}
# The description and its documentation hold no data: open to anyone, token or not.
OPEN = {"/api/v1/schema/", "/api/v1/docs/"}


def _api_routes(resolver=None, prefix="") -> set[str]:
    found = set()
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found |= _api_routes(entry, route)
        elif (
            isinstance(entry, URLPattern)
            and route.startswith("api/")
            and entry.name != "api-no-such-route"
        ):
            found.add("/" + route.replace("<int:pk>", "{team}"))
    return found


def test_the_matrix_covers_every_api_route():
    # The write routes (POST) have their own matrix: tests/api/test_writes_permissions.py.
    assert _api_routes() == set(ROUTES) | OPEN | WRITE_ROUTES


@pytest.fixture
def calls(world):
    unit = world.units["service"]
    clients = {}
    for scope in Scope:
        account = service_account(world.admin, [unit], scopes=[scope], name=f"Only {scope}")
        clients[scope.value] = Client(**bearer(token_for(account, world.admin)))
    both = service_account(world.admin, [unit], name="Both reads")
    expired = token_for(both, world.admin, days=1)
    revoked = token_for(both, world.admin)
    tokens.token_revoke(
        token=ApiToken.objects.get(prefix=tokens.prefix_of(revoked)), by=world.admin
    )
    off = service_account(world.admin, [unit], name="Switched off")
    off_token = token_for(off, world.admin)
    tokens.account_switch_off(account=off, by=world.admin)
    session = Client()
    session.force_login(world.senior_manager)
    admin_session = Client()
    admin_session.force_login(world.admin)
    clients.update(
        {
            "no token": Client(),
            "expired": Client(**bearer(expired)),
            "revoked": Client(**bearer(revoked)),
            "switched off": Client(**bearer(off_token)),
            "a manager's session": session,
            "an administrator's session": admin_session,
            "not a bearer token": Client(HTTP_AUTHORIZATION="Token abc"),
            "an unknown token": Client(**bearer("sr_0123456789_nothing")),
        }
    )
    return clients, world.units["team"].pk


REFUSED = {
    "no token": 401,
    "expired": 401,
    "revoked": 401,
    "switched off": 401,
    "a manager's session": 401,
    "an administrator's session": 401,
    "not a bearer token": 401,
    "an unknown token": 401,
}


def test_every_route_answers_each_caller_as_the_matrix_says(calls):
    clients, team = calls
    later = TODAY + timedelta(days=2)  # the one-day token has expired; the others have not
    failures = []
    with time_machine.travel(later, tick=False):
        for route, scopes in ROUTES.items():
            url = route.format(team=team)
            expected = {scope.value: 200 if scope in scopes else 403 for scope in Scope}
            expected.update(REFUSED)
            for caller, status in expected.items():
                response = clients[caller].get(url)
                if response.status_code != status:
                    failures.append((route, caller, status, response.status_code))
                elif status != 200:
                    assert response["Content-Type"] == "application/problem+json"
                    assert response.json()["status"] == status
                if status == 401:
                    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        for route in OPEN:
            if clients["no token"].get(route).status_code != 200:
                failures.append((route, "no token", 200))
        nowhere = clients["read_people"].get("/api/v2/staff/")
        assert nowhere.status_code == 404
        assert nowhere["Content-Type"] == "application/problem+json"
    assert not failures
