"""An auditor's home lists the files they may read today, from their current grants."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from supervision.people.services import access_grant_create, access_grant_revoke

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 10, tzinfo=UTC)


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = NOW


def home(client, user):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        return client.get("/").content.decode()


def test_the_auditor_sees_each_current_grant_with_a_link_to_the_file(client, world):
    page = home(client, world.auditor_with_grant)
    assert "Files you may read (1)" in page
    assert f'href="/people/{world.supervisee.pk}/">Supervisee</a>' in page
    assert client.get(f"/people/{world.supervisee.pk}/").status_code == 200


def test_past_future_and_revoked_grants_are_not_listed(client, world):
    with time_machine.travel(NOW, tick=False):
        for starts, ends in (
            (date(2026, 1, 1), date(2026, 2, 1)),
            (date(2026, 4, 1), date(2026, 5, 1)),
        ):
            access_grant_create(
                grantee=world.auditor_without_grant,
                subject=world.other_supervisee,
                starts_on=starts,
                ends_on=ends,
                reason="Audit",
                granted_by=world.senior_manager,
            )
        revoked = access_grant_create(
            grantee=world.auditor_without_grant,
            subject=world.supervisor,
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 3, 31),
            reason="Audit",
            granted_by=world.senior_manager,
        )
        access_grant_revoke(grant=revoked, by=world.senior_manager)
    page = home(client, world.auditor_without_grant)
    assert "Files you may read (0)" in page
    assert "You have no access to anyone's file today" in page
    assert "Other Supervisee" not in page and ">Supervisor</a>" not in page
