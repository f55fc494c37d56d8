"""Browser-tab titles (GOV.UK: "Page title – Service name – Organisation"): every page the
permission matrix opens with 200 has a title that names the page once, the service once and
the organisation once, and starts with "Error: " only when the page shows an error summary."""

import re
from html import unescape

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from tests.access.test_permission_matrix import GET
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db

TITLE = re.compile(r"<title>(.*?)</title>", re.S)
ROLES = ["supervisee", "supervisor", "senior_manager", "auditor_with_grant", "admin"]


@pytest.fixture
def world():
    with time_machine.travel(TODAY, tick=False):
        yield build_world(development=True, retention=True)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_names_itself_once_then_the_service_and_organisation(client, world, role):
    client.force_login(world.people[role])
    service = settings.SERVICE_NAME if hasattr(settings, "SERVICE_NAME") else None
    wrong, seen, arguments = [], 0, {}
    with time_machine.travel(TODAY, tick=False):
        for name, (kwargs_from, expected) in sorted(GET.items()):
            if expected[role] != 200 or name.startswith("admin:"):
                continue  # the Django admin keeps its own titles
            if kwargs_from and kwargs_from not in arguments:
                # Some make objects, so each runs once; two that make the same object clash,
                # and the second page is then left to the permission matrix.
                try:
                    with transaction.atomic():
                        arguments[kwargs_from] = kwargs_from(world)
                except Exception:  # noqa: BLE001
                    arguments[kwargs_from] = None
            if kwargs_from and arguments[kwargs_from] is None:
                continue
            response = client.get(reverse(name, kwargs=arguments.get(kwargs_from)))
            if "text/html" not in response.get("Content-Type", ""):
                continue
            seen += 1
            match = TITLE.search(response.content.decode())
            if match is None:
                wrong.append(f"{name}: no title")
                continue
            title = " ".join(unescape(match.group(1)).split())
            parts = title.split(" – ")
            if len(parts) != 3 or len(set(parts)) != 3 or not parts[0]:
                wrong.append(f"{name}: {title!r}")
            elif service and parts[1] != service:
                wrong.append(f"{name}: {title!r} does not name the service second")
            if parts[0].startswith("Error:"):
                wrong.append(f"{name}: {title!r} says Error on a page opened without one")
    assert seen > 10
    assert not wrong, "\n".join(wrong)
