"""Schemathesis against the live OpenAPI description, in process: every operation, with
valid and invalid inputs, a token holding both read scopes over Service A of the test world.
No answer may be a server error or differ from the description, and nothing may come back
from outside the token's units."""

from datetime import UTC, datetime

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from oversight.flags.scheduled import tick
from supervision.models import StaffProfile, Unit
from tests.api.helpers import service_account, token_for
from tests.world import TODAY

WORLD_AT = TODAY
# Bounded so the whole run stays well inside two minutes on two cores.
EXAMPLES = 12


@pytest.fixture
def connection_kept():
    """Schemathesis calls the WSGI application itself, whose end of request closes the
    database connection; the test's transaction lives on that connection, so it is kept open,
    as Django's own test client keeps it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def reach(world, settings, connection_kept):
    settings.API_TOKEN_RATE = "100000/minute"
    tick(datetime(2026, 3, 5, 12, tzinfo=UTC))
    service = world.units["service"]
    account = service_account(world.admin, [service])
    inside = StaffProfile.objects.filter(unit__path__startswith=service.path)
    return {
        "token": token_for(account, world.admin),
        "units": set(
            Unit.objects.filter(path__startswith=service.path).values_list("pk", flat=True)
        ),
        "people": set(inside.values_list("user_id", flat=True)),
        "emails": set(inside.values_list("user__email", flat=True)),
    }


# Loaded from the application itself, as a client would read it; the description needs no
# database and no token.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
schema.config.generation.update(
    max_examples=EXAMPLES,
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    deterministic=True,
    database="none",
)


def _outside(body: dict, path: str, reach: dict) -> list:
    """Whatever in an answer lies outside the token's units."""
    rows = body.get("results", [])
    if path.startswith("/api/v1/units/") and "id" in body:
        rows = [body]
    if path.startswith("/api/v1/units/"):
        return [r["id"] for r in rows if r["id"] not in reach["units"]]
    if path == "/api/v1/staff/":
        return [r["id"] for r in rows if r["id"] not in reach["people"]]
    if path in ("/api/v1/relationships/", "/api/v1/agreements/", "/api/v1/sessions/"):
        return [r["id"] for r in rows if r["supervisee"] not in reach["people"]]
    if path == "/api/v1/flags/":
        return [
            r["id"]
            for r in rows
            if r["person"] not in reach["people"] and r["unit"] not in reach["units"]
        ]
    if path == "/api/v1/compliance/":
        return [r for r in body.get("rows", []) if r["staff"] and r["staff"] not in reach["emails"]]
    if path == "/api/v1/figures/":
        return [u["unit"] for u in body.get("units", []) if u["unit"] not in reach["units"]]
    return []


@schema.parametrize()
# The world is built once and only read (the calls add audit entries, which is no matter).
@settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_api_keeps_to_its_description_and_its_tokens_units(case, reach):
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {reach['token']}"},
        # A value the description allows may still be refused with a 400 naming it: a cursor
        # this API did not give, a date outside 1900 to 2999. Every other check runs.
        excluded_checks=[positive_data_acceptance],
    )
    if response.status_code == 200:
        assert not _outside(response.json(), case.operation.path, reach)


def test_chains_of_calls_keep_to_the_description_and_the_tokens_units(reach):
    """Stateful: schemathesis follows the links it finds between operations (a unit listed,
    then read by its id; a list's cursor, then the next page), calling them in sequence with
    the token, and checks each answer as above."""
    workflow = schema.as_state_machine()
    # Operations whose answers feed another's parameters: without any there is no chain.
    assert workflow.bundles, "schemathesis found no links between the API's operations"
    called = []

    class Workflow(workflow):
        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {reach['token']}"}}

        def before_call(self, case):
            called.append(case.operation.label)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                excluded_checks=[positive_data_acceptance],
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
            )
            if response.status_code == 200:
                assert not _outside(response.json(), case.operation.path, reach)

    Workflow.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=4,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # It went beyond single calls: some scenario called an operation fed by an earlier answer.
    assert any("{" in label for label in called), sorted(set(called))
