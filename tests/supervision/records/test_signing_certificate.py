"""The organisation's signing certificate: `make_signing_certificate` makes a self-signed one
for trying the service out, and the deployment check refuses to go live without one."""

import io
import stat
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core import checks
from django.core.management import call_command

from supervision.checks import signing_certificate_check

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def certificate_path(settings, tmp_path):
    settings.RECORD_SIGNING_CERTIFICATE = tmp_path / "var" / "signing" / "organisation.p12"
    settings.RECORD_SIGNING_PASSPHRASE = "a passphrase"
    settings.ORGANISATION_NAME = "Westshire Council"
    return settings.RECORD_SIGNING_CERTIFICATE


def make(*args) -> str:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("make_signing_certificate", *args, stdout=out)
    return out.getvalue()


def certificate(data: bytes) -> x509.Certificate:
    return pkcs12.load_key_and_certificates(data, b"a passphrase")[1]


def test_it_makes_a_self_signed_signing_certificate_for_ten_years(certificate_path):
    out = make()
    assert (
        f"Made a self-signed signing certificate for Westshire Council at {certificate_path}" in out
    )
    made = certificate(certificate_path.read_bytes())
    common_name = made.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert common_name == "Westshire Council (demo, self-signed)"
    assert made.issuer == made.subject
    assert NOW - timedelta(hours=1) <= made.not_valid_before_utc <= NOW
    assert made.not_valid_after_utc == made.not_valid_before_utc.replace(year=2036)
    usage = made.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    # It holds the private key: for the account that runs the service only.
    assert stat.S_IMODE(certificate_path.stat().st_mode) == 0o600


def test_it_keeps_the_certificate_there_unless_forced(certificate_path):
    make()
    first = certificate_path.read_bytes()
    out = make()
    assert "already at" in out and "--force replaces it" in out
    assert certificate_path.read_bytes() == first
    make("--force")
    replaced = certificate(certificate_path.read_bytes())
    assert replaced.public_key() != certificate(first).public_key()


def deploy_errors() -> list[checks.CheckMessage]:
    found = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    return [message for message in found if message.id == "supervision.E001"]


def test_the_deployment_check_errors_without_a_certificate(certificate_path):
    (error,) = deploy_errors()
    assert error.level == checks.ERROR
    assert "RECORD_SIGNING_CERTIFICATE" in error.msg and str(certificate_path) in error.msg
    assert "make_signing_certificate" in error.msg
    # An ordinary `manage.py check`, as `make run` and migrate do, does not ask.
    assert not [m for m in checks.run_checks() if m.id == "supervision.E001"]


def test_the_deployment_check_errors_when_the_passphrase_does_not_open_it(
    certificate_path, settings
):
    make()
    settings.RECORD_SIGNING_PASSPHRASE = "the wrong one"
    (error,) = deploy_errors()
    assert "cannot be read" in error.msg and "RECORD_SIGNING_PASSPHRASE" in error.msg


def test_the_deployment_check_errors_on_an_expired_certificate(certificate_path):
    make()
    with time_machine.travel(NOW + timedelta(days=3660), tick=False):
        (error,) = signing_certificate_check(None)
    assert "expired on" in error.msg


def test_the_deployment_check_passes_with_a_readable_certificate(certificate_path):
    make()
    assert deploy_errors() == []
