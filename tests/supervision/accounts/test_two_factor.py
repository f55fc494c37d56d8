"""Two-factor authentication: those the organisation asks to use it set it up at their next
sign-in; then each sign-in asks for the code, with guesses limited and audited; a recovery
code gets in without the phone; and nobody who must have it can remove their last one."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.test import Client, override_settings

from supervision.models import IdentityFailure
from supervision.models.audit import AuditEvent
from supervision.organisation.audit import AuditAction
from tests.factories import SUPERVISEE_PASSWORD
from tests.two_factor import AUTHENTICATE, code_now
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def world():
    with time_machine.travel(DAY, tick=False):
        yield build_world()


def password_step(client, user):
    return client.post("/sign-in/", {"login": user.email, "password": SUPERVISEE_PASSWORD})


def test_a_senior_manager_without_an_app_sets_one_up_before_anything_else(
    world, django_capture_on_commit_callbacks
):
    manager = world.senior_manager
    Authenticator.objects.filter(user=manager).delete()
    client = Client()
    with time_machine.travel(DAY, tick=False) as clock:
        assert password_step(client, manager).status_code == 302
        for url in ("/", "/dashboard/", f"/people/{world.supervisee.pk}/"):
            answer = client.get(url)
            assert answer.status_code == 302
            assert answer["Location"].startswith("/account/two-factor/?next=")
        # Adding a second factor asks for the password again first (a stolen session could
        # otherwise bind the thief's phone).
        confirm = client.get("/account/two-factor/app/")
        assert confirm["Location"].startswith("/account/confirm/")
        answer = client.post(confirm["Location"], {"password": SUPERVISEE_PASSWORD})
        assert answer.status_code == 302
        setup = client.get("/account/two-factor/app/")
        assert setup.status_code == 200
        secret = client.session["mfa.totp.secret"]
        assert secret in setup.content.decode(), "the secret is shown for typing in"
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post("/account/two-factor/app/", {"code": pyotp.TOTP(secret).now()})
        assert done.status_code == 302
        assert Authenticator.objects.filter(user=manager, type="totp").exists()
        assert client.get("/").status_code == 200
        assert AuditEvent.objects.filter(
            object_type="second_factor", subject=manager, detail__event="added"
        ).exists()
        # From now on the sign-in asks for the code too.
        client.post("/sign-out/")
        clock.shift(timedelta(minutes=1))
        answer = password_step(client, manager)
        assert answer["Location"].startswith(AUTHENTICATE)
        assert "_auth_user_id" not in client.session


def test_the_code_step_limits_and_audits_guesses(world):
    manager = world.senior_manager
    client = Client()
    with time_machine.travel(DAY, tick=False) as clock:
        assert password_step(client, manager)["Location"].startswith(AUTHENTICATE)
        for guess in ("000000", "111111", "222222"):
            page = client.post(AUTHENTICATE, {"code": guess}).content.decode()
            assert "The code is not right" in page
        page = client.post(AUTHENTICATE, {"code": code_now(manager)}).content.decode()
        assert "Wait 5 seconds" in page
        assert "_auth_user_id" not in client.session
        assert IdentityFailure.objects.filter(account=manager.email).count() == 3
        assert (
            AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED, actor=manager).count() == 4
        )
        clock.shift(timedelta(seconds=5))
        answer = client.post(AUTHENTICATE, {"code": code_now(manager)})
        assert answer.status_code == 302
        assert client.session["_auth_user_id"] == str(manager.pk)


def test_a_recovery_code_signs_in_without_the_phone_once_only(world):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    manager = world.senior_manager
    codes = RecoveryCodes.activate(manager).get_unused_codes()
    with time_machine.travel(DAY, tick=False) as clock:
        client = Client()
        password_step(client, manager)
        assert client.post(AUTHENTICATE, {"code": codes[0]}).status_code == 302
        client.post("/sign-out/")
        clock.shift(timedelta(minutes=1))
        password_step(client, manager)
        page = client.post(AUTHENTICATE, {"code": codes[0]}).content.decode()
        assert "The code is not right" in page


def test_someone_who_must_have_an_app_cannot_remove_their_last_one(world):
    manager = world.senior_manager
    client = Client()
    with time_machine.travel(DAY, tick=False):
        password_step(client, manager)
        client.post(AUTHENTICATE, {"code": code_now(manager)})
        client.post("/account/two-factor/app/remove/")
    assert Authenticator.objects.filter(user=manager, type="totp").exists()


def test_a_supervisee_may_go_without_and_is_not_asked(world):
    client = Client()
    with time_machine.travel(DAY, tick=False):
        assert password_step(client, world.supervisee)["Location"] == "/"
        assert client.get("/").status_code == 200


def test_an_administrator_resets_a_lost_second_factor_and_the_person_sets_up_a_new_one(world):
    manager = world.senior_manager
    with time_machine.travel(DAY, tick=False):
        phone = Client()
        password_step(phone, manager)
        phone.post(AUTHENTICATE, {"code": code_now(manager)})
        assert phone.get("/").status_code == 200

        admin = Client()
        admin.force_login(world.admin)
        answer = admin.post(
            "/admin/supervision/user/",
            {"action": "reset_two_factor", "_selected_action": [manager.pk]},
        )
        assert answer.status_code == 302
        assert not Authenticator.objects.filter(user=manager).exists()
        # Whoever holds the lost phone is signed out.
        assert phone.get("/")["Location"].startswith("/sign-in/")
        entry = AuditEvent.objects.get(object_type="second_factor", subject=manager)
        assert entry.actor == world.admin
        assert entry.detail["removed"] == ["totp"]

        fresh = Client()
        password_step(fresh, manager)
        assert fresh.get("/")["Location"].startswith("/account/two-factor/")


@override_settings(TWO_FACTOR_REQUIRED_FOR=["everyone"])
def test_an_organisation_may_ask_everyone_for_a_second_factor(world):
    client = Client()
    with time_machine.travel(DAY, tick=False):
        password_step(client, world.supervisee)
        assert client.get("/")["Location"].startswith("/account/two-factor/")


def test_authenticator_secrets_are_kept_encrypted(world):
    from tests.two_factor import TOTP_SECRET

    stored = Authenticator.objects.get(user=world.senior_manager, type="totp").data["secret"]
    assert TOTP_SECRET not in stored
    assert stored.startswith("fernet:")
