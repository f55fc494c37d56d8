"""The permission matrix, for leavers and the information-governance role:
every GET and POST of tests/access/test_permission_matrix.py, as

- a supervisor, a unit manager and an auditor with a grant, each marked as leaving on the
  matrix's day with the nightly job never run: late on the leaving day each address answers
  exactly as the matrix says for that role; the next morning each answers as for someone
  signed out (the access check alone closes every door);
- an information-governance officer: as an auditor without a grant everywhere, except the
  subject-access pages their role exists for and the auditor's own pages (no auditor role).

Each test builds the world once and walks every address, collecting what differs, so the
failure names every address at fault.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django.urls import reverse

from supervision.models import StaffProfile
from supervision.organisation.roles import INFORMATION_GOVERNANCE_GROUP
from tests.access.test_permission_matrix import GET, POST
from tests.factories import StaffProfileFactory
from tests.two_factor import give_second_factor
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db

LATE_ON_LEAVING_DAY = datetime(2026, 3, 5, 22, 0, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def world():
    with time_machine.travel(TODAY, tick=False):
        yield build_world(development=True, retention=True)


def walk(world, user, moment, expected_for) -> list[str]:
    """Every GET and POST of the matrix as `user` at `moment`: what differs from expected."""
    wrong, arguments = [], {}
    client = Client()
    for method, table in (("GET", GET), ("POST", POST)):
        for name, row in sorted(table.items()):
            kwargs_from, expected = row[0], row[-1]
            data = row[1] if method == "POST" else None
            if kwargs_from and kwargs_from not in arguments:
                # Some make objects, so each runs once; two that make the same object clash,
                # and that address is left to the matrix itself.
                try:
                    with transaction.atomic(), time_machine.travel(TODAY, tick=False):
                        arguments[kwargs_from] = kwargs_from(world)
                except Exception:  # noqa: BLE001
                    arguments[kwargs_from] = None
            if kwargs_from and arguments[kwargs_from] is None:
                continue
            url = reverse(name, kwargs=arguments.get(kwargs_from))
            with time_machine.travel(moment, tick=False):
                client.force_login(user)
                with transaction.atomic():
                    response = client.get(url) if method == "GET" else client.post(url, data)
                    transaction.set_rollback(True)  # each address on the same world
            want = expected_for(expected, name)
            if response.status_code != want:
                wrong.append(f"{method} {name}: {response.status_code}, expected {want}")
    return wrong


LEAVERS = ["supervisor", "senior_manager", "auditor_with_grant"]


def leave_today(world, role):
    # A leaving date alone, as an import or a correction sets it: no job has run.
    StaffProfile.objects.filter(user=world.people[role]).update(leaving_date=TODAY)


@pytest.mark.parametrize("role", LEAVERS)
def test_on_their_leaving_day_a_leaver_still_has_every_answer_of_their_role(world, role):
    leave_today(world, role)
    wrong = walk(
        world, world.people[role], LATE_ON_LEAVING_DAY, lambda expected, name: expected[role]
    )
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", LEAVERS)
def test_the_next_morning_a_leaver_is_answered_as_someone_signed_out(world, role):
    leave_today(world, role)
    wrong = walk(
        world, world.people[role], NEXT_MORNING, lambda expected, name: expected["anonymous"]
    )
    assert not wrong, "\n".join(wrong)


SUBJECT_ACCESS = {
    "subject-access": 200,
    "subject-access-progress": 200,
    "subject-access-download": 200,
    "subject-access-requests": 200,
}
# A reason is asked for: the form again. Trying an export again goes back to the page.
SUBJECT_ACCESS_POSTED = {"subject-access": 200, "subject-access-try-again": 302}
# Pages of the auditor's role, which the officer does not hold: refused by role (403).
AUDITORS_PAGES = {"audit-log", "quality-review", "quality-sample-new", "quality-samples"}


def test_information_governance_reaches_nothing_but_subject_access(world):
    with time_machine.travel(TODAY, tick=False):
        officer = StaffProfileFactory(
            user__email="ig.officer@example.org",
            user__full_name="Ig Officer",
            unit=world.units["directorate"],
        ).user
        Group.objects.get_or_create(name=INFORMATION_GOVERNANCE_GROUP)[0].user_set.add(officer)
        give_second_factor(officer)
    posted = {name for name, row in POST.items()}

    def expected_for(expected, name):
        if name in AUDITORS_PAGES and expected["auditor_without_grant"] != 405:
            return 403
        if expected["supervisee"] == 405:
            return 405  # a write asked for with GET, by anyone
        special = SUBJECT_ACCESS_POSTED if name in posted and len(expected) else SUBJECT_ACCESS
        return special.get(name, expected["auditor_without_grant"])

    wrong = walk(world, officer, datetime(2026, 3, 5, 10, tzinfo=UTC), expected_for)
    assert not wrong, "\n".join(wrong)
