import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent.parent


def run_manage(*args, **env):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x7-Vq2NfL9pA0bR4tY8wE1zK6mC3hJ5gS9dF2uI7oP4lX0vB8nM1qW6eT3rY5aZ",
        "ALLOWED_HOSTS": "supervision.example.org",
        # The certificate tests/conftest.py made for this run.
        "RECORD_SIGNING_CERTIFICATE": str(settings.RECORD_SIGNING_CERTIFICATE),
        "RECORD_SIGNING_PASSPHRASE": settings.RECORD_SIGNING_PASSPHRASE,
        # The checkpoint key tests/conftest.py made for this run.
        "AUDIT_CHECKPOINT_KEY": settings.AUDIT_CHECKPOINT_KEY,
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_the_deploy_check_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_deploy_check_fails_without_a_signing_certificate(tmp_path):
    missing = tmp_path / "organisation.p12"
    result = run_manage("check", "--deploy", RECORD_SIGNING_CERTIFICATE=str(missing))
    assert result.returncode != 0
    assert "supervision.E001" in result.stderr
    assert f"No signing certificate at RECORD_SIGNING_CERTIFICATE ({missing})" in result.stderr


def test_the_deploy_check_fails_without_an_audit_checkpoint_key(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        AUDIT_CHECKPOINT_KEY="",
        AUDIT_CHECKPOINT_KEY_FILE=str(tmp_path / "missing.pem"),
    )
    assert result.returncode != 0
    assert "supervision.E002" in result.stderr
    assert "set AUDIT_CHECKPOINT_KEY, or create" in result.stderr


def test_the_deploy_check_warns_when_the_application_owns_its_tables():
    one_role = "postgres://supervision_owner@127.0.0.1:5432/supervision"
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DATABASE_URL=one_role, MIGRATE_DATABASE_URL="",
    )  # fmt: skip
    assert result.returncode != 0
    assert "supervision.W003" in result.stderr
    two_roles = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DATABASE_URL="postgres://supervision_app@127.0.0.1:5432/supervision",
        MIGRATE_DATABASE_URL=one_role,
    )  # fmt: skip
    assert "supervision.W003" not in two_roles.stderr


def test_it_refuses_to_start_in_production_without_a_secret_key():
    result = run_manage("check", SECRET_KEY="")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_it_refuses_to_start_in_production_without_allowed_hosts():
    result = run_manage("check", ALLOWED_HOSTS="")
    assert result.returncode != 0
    assert "Set ALLOWED_HOSTS" in result.stderr


def test_it_turns_on_hsts_and_secure_cookies_in_production():
    script = (
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.DEBUG)"
    )
    result = run_manage("shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["63072000", "True", "True", "True", "False"]
