"""Signing asks who you are, properly: the strongest means the signer has (the code of their
authenticator app, else their password), with the same limits and audit as signing in, and
the signature and its PDF say which it was."""

import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from supervision.accounts.identity import Method
from supervision.models import IdentityFailure, Signature
from supervision.models.audit import AuditEvent
from supervision.organisation.audit import AuditAction
from supervision.records import services
from supervision.records.pdf import record_pdf_store
from tests.factories import SUPERVISEE_PASSWORD
from tests.records import held_session
from tests.two_factor import code_now, give_second_factor
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def world():
    with time_machine.travel(DAY, tick=False):
        world = build_world()
        record = services.record_start(session=held_session(world), by=world.supervisor)
        world.record = services.record_share(record=record, by=world.supervisor)
        yield world


def sign(world, proof):
    return services.record_sign(record=world.record, password=proof, by=world.supervisee)


def test_wrong_passwords_to_sign_are_limited_and_audited_then_the_right_one_signs(world):
    with time_machine.travel(DAY, tick=False) as clock:
        for guess in ("one", "two", "three"):
            with pytest.raises(ValidationError, match="The password is not correct"):
                sign(world, guess)
        # The fourth try comes too soon: even the right password is not looked at.
        with pytest.raises(ValidationError, match="Wait 5 seconds"):
            sign(world, SUPERVISEE_PASSWORD)
        failures = AuditEvent.objects.filter(
            action=AuditAction.SIGN_IN_FAILED, actor=world.supervisee
        )
        assert failures.filter(detail__purpose="confirm").count() == 4
        assert failures.filter(detail__refused="too many failures").count() == 1
        assert IdentityFailure.objects.filter(purpose="confirm").count() == 3
        assert not Signature.objects.exists()
        clock.shift(timedelta(seconds=5))
        signature = sign(world, SUPERVISEE_PASSWORD)
    assert signature.method == Method.PASSWORD == "Password re-entered in the browser"


def test_fifteen_guesses_in_four_seconds_do_not_get_through(world):
    with time_machine.travel(DAY, tick=True):
        looked_at = 0
        for n in range(15):
            try:
                sign(world, f"guess {n}")
            except ValidationError as error:
                looked_at += "not correct" in str(error)
        with pytest.raises(ValidationError, match="Wait"):
            sign(world, SUPERVISEE_PASSWORD)
    assert looked_at == 3


def test_someone_with_an_authenticator_app_signs_with_its_code_and_the_pdf_says_so(world):
    give_second_factor(world.supervisee)
    give_second_factor(world.supervisor)
    with time_machine.travel(DAY, tick=False) as clock:
        # Their password no longer signs: the code is the stronger proof they have.
        with pytest.raises(ValidationError, match="The code is not right"):
            sign(world, SUPERVISEE_PASSWORD)
        with pytest.raises(ValidationError, match="Enter the code from your authenticator app"):
            sign(world, "")
        signature = sign(world, code_now(world.supervisee))
        assert signature.method == "Code from an authenticator app"
        clock.shift(timedelta(seconds=30))
        record = services.record_finalise(
            record=world.record, password=code_now(world.supervisor), by=world.supervisor
        )
        stored = record_pdf_store(record)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=stored.file.read(), capture_output=True, check=True
    ).stdout.decode()
    assert text.count("Code from an authenticator app") == 2


def test_the_signing_page_asks_for_the_code_when_the_signer_has_an_app(world):
    give_second_factor(world.supervisee)
    client = Client()
    client.force_login(world.supervisee)
    url = f"/sessions/{world.record.session_id}/record/sign/"
    with time_machine.travel(DAY, tick=False):
        page = client.get(url).content.decode()
        assert "Code from your authenticator app" in page
        assert 'autocomplete="one-time-code"' in page
        response = client.post(url, {"password": code_now(world.supervisee)})
    assert response.status_code == 302
    assert Signature.objects.get().method == "Code from an authenticator app"
