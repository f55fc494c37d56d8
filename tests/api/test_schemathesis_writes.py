"""The write routes called with requests generated from the live OpenAPI description
(/api/v1/schema/): never a 500, never an answer the description does not allow, and nothing
changed outside the token's units. A small world and a token over Team A only; a few dozen
calls a route, so the run stays well under two minutes."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from supervision.models import StaffProfile, SupervisoryRelationship, Unit, User
from tests.api.test_writes_permissions import WRITE_ROUTES
from tests.api.writes import writer
from tests.world import TODAY

WORLD_AT = TODAY
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 25


def outside(world) -> tuple:
    """Everything of the world's outside Team A that a write could change."""
    team = world.units["team"]
    return (
        sorted(
            StaffProfile.objects.exclude(unit=team).values_list(
                "user_id", "unit_id", "leaving_date", "is_active", "job_role_id", "start_date"
            )
        ),
        sorted(User.objects.exclude(profile__unit=team).values_list("pk", "email", "full_name")),
        sorted(
            SupervisoryRelationship.objects.exclude(supervisee__profile__unit=team).values_list(
                "pk", "supervisor_id", "starts_on", "ends_on"
            )
        ),
        sorted(Unit.objects.values_list("pk", "code", "name", "parent_id", "manager_id")),
    )


@pytest.mark.parametrize(
    "route",
    sorted(r.replace("{team}", "{id}") for r in WRITE_ROUTES),
)
def test_generated_calls_get_described_answers_and_stay_within_the_units(world, route, settings_):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    operation = schema[route]["POST"]
    token = writer(world, units=("team",))
    before = outside(world)
    people = [world.supervisee.pk, world.supervisor.pk, world.other_supervisee.pk, 0]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def call(case):
        if "id" in (case.path_parameters or {}):
            # Real people as often as made-up ids: within the units, outside them, nobody.
            case.path_parameters["id"] = people[abs(hash(str(case.body))) % len(people)]
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    call()

    assert outside(world) == before


@pytest.fixture(autouse=True)
def connection_kept_open():
    """Calls go through the WSGI application itself, not Django's test client, which would
    keep the test's database connection (and its transaction) open between requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def settings_(settings):
    # Generated bursts must not meet the rate limit: that is tested in its own place.
    settings.API_TOKEN_RATE = "100000/minute"
    return settings
