"""Checkpoints of the audit trail: signed with a key outside the database, appended to a log
outside it, copied to syslog and by email, taken every 15 minutes and on demand."""

import json
import socket
import stat
from datetime import UTC, datetime

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core import mail
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from config.celery import app as celery_app
from oversight.models import Notification
from supervision.models.audit import AuditChainHead
from supervision.organisation import audit, checkpoints
from supervision.tasks import audit_checkpoint
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def write_entries(count: int) -> None:
    person = UserFactory()
    for i in range(count):
        audit.record(audit.AuditAction.READ, actor=person, object_type="staff_file", object_id=i)


@time_machine.travel(NOON, tick=False)
def test_a_checkpoint_signs_the_head_and_is_appended_to_the_log(settings):
    write_entries(3)
    first = checkpoints.take_checkpoint()
    write_entries(2)
    second = checkpoints.take_checkpoint()

    lines = settings.AUDIT_CHECKPOINT_LOG.read_text().splitlines()
    assert [json.loads(line)["sequence"] for line in lines] == [3, 5]
    head = AuditChainHead.objects.get(pk=1)
    assert json.loads(lines[1]) == {
        "sequence": 5,
        "head": head.last_hash,
        "taken_at": "2026-12-05T12:00:00+00:00",
        "key": checkpoints.key_id(checkpoints.signing_key().public_key()),
        "signature": second.signature,
    }
    keys = checkpoints.trusted_keys()
    assert checkpoints.signature_holds(first, keys)
    assert checkpoints.signature_holds(second, keys)
    forged = checkpoints.Checkpoint(**{**second.__dict__, "sequence": 4})
    assert not checkpoints.signature_holds(forged, keys)


def test_the_log_is_only_ever_appended_to(settings):
    settings.AUDIT_CHECKPOINT_LOG.write_text("an earlier line\n")
    checkpoints.take_checkpoint()
    lines = settings.AUDIT_CHECKPOINT_LOG.read_text().splitlines()
    assert lines[0] == "an earlier line"
    assert json.loads(lines[1])["sequence"] == 0


def test_a_checkpoint_is_sent_to_syslog_and_by_email_through_the_outbox(
    settings, django_capture_on_commit_callbacks
):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    settings.AUDIT_CHECKPOINT_SYSLOG = f"127.0.0.1:{receiver.getsockname()[1]}"
    settings.AUDIT_CHECKPOINT_EMAIL = "audit-keeper@example.org"
    write_entries(2)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            sequence = audit_checkpoint.apply().get()
        datagram = receiver.recv(65536).decode()
    finally:
        receiver.close()
    (line,) = settings.AUDIT_CHECKPOINT_LOG.read_text().splitlines()
    assert sequence == 2
    assert f"supervision-audit-checkpoint {line}" in datagram
    # LOG_AUTHPRIV (10) at INFO (6): <86>.
    assert datagram.startswith("<86>")
    # Written to the outbox first, as every email, so a mail server that is down delays it.
    notice = Notification.objects.get(kind="audit_checkpoint")
    assert (notice.recipient, notice.address) == (None, "audit-keeper@example.org")
    (message,) = mail.outbox
    assert message.to == ["audit-keeper@example.org"]
    assert message.subject == "Audit checkpoint #2"
    assert line in message.body
    notice.refresh_from_db()
    assert notice.sent_at is not None


def test_a_syslog_that_cannot_be_reached_does_not_stop_the_checkpoint(settings, caplog):
    settings.AUDIT_CHECKPOINT_SYSLOG = "/nonexistent/syslog-socket"
    checkpoints.take_checkpoint()
    assert settings.AUDIT_CHECKPOINT_LOG.read_text().count("\n") == 1
    assert "was not sent to syslog" in caplog.text


def test_with_no_key_no_checkpoint_is_taken_and_the_command_says_which_setting(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_KEY = ""
    settings.AUDIT_CHECKPOINT_KEY_FILE = tmp_path / "missing.pem"
    with pytest.raises(CommandError, match="set AUDIT_CHECKPOINT_KEY, or create .*missing.pem"):
        call_command("audit_checkpoint")
    assert not settings.AUDIT_CHECKPOINT_LOG.exists()


def test_the_key_file_is_made_once_and_readable_only_by_its_owner(settings, tmp_path, capsys):
    path = tmp_path / "audit" / "checkpoint-key.pem"
    settings.AUDIT_CHECKPOINT_KEY = ""
    settings.AUDIT_CHECKPOINT_KEY_FILE = path
    call_command("make_checkpoint_key")
    assert "Its public key: " in capsys.readouterr().out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    made = path.read_bytes()
    with pytest.raises(CommandError, match="a key is never overwritten"):
        call_command("make_checkpoint_key")
    call_command("make_checkpoint_key", "--if-missing")
    assert path.read_bytes() == made

    call_command("audit_checkpoint")
    assert "Checkpoint signed at entry #0" in capsys.readouterr().out


def test_the_scheduled_job_runs_every_15_minutes_and_signs_a_checkpoint(settings):
    task = PeriodicTask.objects.get(task="supervision.tasks.audit_checkpoint")
    assert (task.interval.every, task.interval.period, task.enabled) == (15, "minutes", True)
    assert "supervision.tasks.audit_checkpoint" in celery_app.tasks
    write_entries(4)
    assert audit_checkpoint.apply().get() == 4
    assert json.loads(settings.AUDIT_CHECKPOINT_LOG.read_text())["sequence"] == 4


def test_a_key_for_a_secret_store_is_printed_not_written(settings, capsys):
    call_command("make_checkpoint_key", "--print")
    printed = capsys.readouterr()
    assert isinstance(
        serialization.load_pem_private_key(printed.out.encode(), password=None), Ed25519PrivateKey
    )
    settings.AUDIT_CHECKPOINT_KEY = printed.out
    public = checkpoints.public_key_text(checkpoints.signing_key().public_key())
    assert f"Its public key: {public}" in printed.err
    call_command("audit_checkpoint", "--public-key")
    assert capsys.readouterr().out.strip() == public
