"""The organisation's choices on signing in: single sign-on as the only way in (but for a
break-glass administrator with a second factor), and signing out of every other device."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client, override_settings

from supervision.models.audit import AuditEvent
from tests.factories import SUPERVISEE_PASSWORD
from tests.two_factor import sign_in
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def world():
    with time_machine.travel(DAY, tick=False):
        yield build_world()


@override_settings(SSO_ONLY=True)
def test_with_single_sign_on_only_a_password_opens_nothing_but_the_break_glass_account(world):
    with time_machine.travel(DAY, tick=False):
        refused = Client().post(
            "/sign-in/", {"login": world.supervisee.email, "password": SUPERVISEE_PASSWORD}
        )
        assert refused.status_code == 200
        assert "Sign in with your work account instead" in refused.content.decode()
        assert AuditEvent.objects.filter(detail__refused="single sign-on only").exists()
        # The administrator has an authenticator app (tests/world.py): their password and
        # code still open the service, for when the directory is down.
        client = Client()
        assert sign_in(client, world.admin.email, SUPERVISEE_PASSWORD).status_code == 302
        assert client.session["_auth_user_id"] == str(world.admin.pk)


def test_signing_out_of_every_other_device(world):
    with time_machine.travel(DAY, tick=False):
        laptop, phone = Client(), Client()
        for client in (laptop, phone):
            sign_in(client, world.supervisee.email, SUPERVISEE_PASSWORD)
            assert client.get("/").status_code == 200
        page = laptop.get("/account/sessions/")
        assert page.status_code == 200
        assert laptop.post("/account/sessions/").status_code == 302
        assert laptop.get("/").status_code == 200
        assert phone.get("/")["Location"].startswith("/sign-in/")
