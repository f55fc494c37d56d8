"""Every way of tampering with the audit trail that the application's own access, the tables'
owner or a database superuser allows, and what stops it or names it (issue 18).

The application role is refused by PostgreSQL. The owner and a superuser can do anything
inside the database, so there the proof is that `verify_audit_log`, reading the checkpoints
signed outside the database, names what was done. On SQLite, the embedded default, the
triggers refuse and someone with the file stands for the superuser.
"""

import base64
import json
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from supervision.models.audit import GENESIS_HASH, AuditChainHead, AuditEvent
from supervision.organisation import audit, checkpoints
from supervision.organisation.audit_verification import Kind, verify_audit_trail
from tests.factories import UserFactory
from tests.support.database_roles import tamper, two_roles

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def write_entries(count: int) -> list[AuditEvent]:
    person = UserFactory()
    return [
        audit.record(audit.AuditAction.READ, actor=person, object_type="staff_file", object_id=i)
        for i in range(1, count + 1)
    ]


def last_sequence() -> int:
    return AuditChainHead.objects.get(pk=1).sequence


def kinds(report) -> set[str]:
    return {finding.kind for finding in report.findings}


def recomputed_chain(edit_sequence: int, new_object_id: str) -> list[tuple]:
    """The statements that edit one entry and recompute every hash after it, and the head:
    the forgery the chain alone cannot see."""
    statements = []
    previous = None
    for event in AuditEvent.objects.order_by("sequence"):
        if event.sequence < edit_sequence:
            previous = event.content_hash
            continue
        if event.sequence == edit_sequence:
            event.object_id = new_object_id
        event.previous_hash = previous or GENESIS_HASH
        event.content_hash = event.compute_hash()
        previous = event.content_hash
        statements.append(
            (
                "UPDATE oversight_auditevent SET object_id = %s, previous_hash = %s, "
                "content_hash = %s WHERE sequence = %s",
                [event.object_id, event.previous_hash, event.content_hash, event.sequence],
            )
        )
    statements.append(
        ("UPDATE oversight_auditchainhead SET last_hash = %s WHERE id = 1", [previous])
    )
    return statements


@pytest.fixture(params=["superuser", "owner"])
def who(request):
    return request.param


@time_machine.travel(datetime(2026, 12, 5, 18, 24, tzinfo=UTC), tick=False)
def test_an_intact_trail_passes_against_its_checkpoint(capsys):
    write_entries(5)
    checkpoints.take_checkpoint()
    write_entries(2)
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert "Audit log intact: 7 entries checked against 1 signed checkpoint " in out
    assert "(the latest, of 5 December 2026, 18:24, signed entry #5)" in out


def test_an_entry_edited_in_place_is_named(who):
    write_entries(5)
    checkpoints.take_checkpoint()
    tamper(
        ("UPDATE oversight_auditevent SET object_id = %s WHERE sequence = %s", ["999", 3]), who=who
    )
    report = verify_audit_trail()
    assert kinds(report) == {Kind.EDITED}
    assert "Entry #3 was edited: its content no longer matches its hash." in [
        f.message for f in report.findings
    ]
    with pytest.raises(CommandError, match="edited: Entry #3 was edited"):
        call_command("verify_audit_log")


def test_an_entry_edited_and_the_chain_recomputed_is_named_by_the_checkpoint(who, tmp_path):
    write_entries(6)
    checkpoints.take_checkpoint()
    tamper(*recomputed_chain(edit_sequence=3, new_object_id="999"), who=who)

    # The chain agrees with itself again: only the checkpoint outside the database knows.
    assert verify_audit_trail(checkpoint_log=tmp_path / "no-such-log").ok
    report = verify_audit_trail()
    assert kinds(report) == {Kind.EDITED}
    (finding,) = report.findings
    assert f"Entry #{last_sequence()} is not the entry signed in the checkpoint" in finding.message
    assert "were edited and the chain's hashes recomputed" in finding.message


def test_a_later_checkpoint_of_the_forged_chain_does_not_hide_the_earlier_one(who):
    write_entries(5)
    checkpoints.take_checkpoint()
    tamper(*recomputed_chain(edit_sequence=3, new_object_id="999"), who=who)
    # The next scheduled checkpoint signs the forged head, at the same sequence.
    checkpoints.take_checkpoint()
    report = verify_audit_trail()
    assert kinds(report) == {Kind.EDITED}
    assert report.checkpoints_held == 2


def test_an_entry_rehashed_alone_still_breaks_the_link_to_the_next(who):
    entries = write_entries(5)
    forged = entries[1]
    forged.object_id = "999"
    tamper(
        (
            "UPDATE oversight_auditevent SET object_id = %s, content_hash = %s WHERE sequence = %s",
            ["999", forged.compute_hash(), 2],
        ),
        who=who,
    )
    assert [f.message for f in verify_audit_trail().findings] == [
        "Entry #3 does not follow the entry before it: the entry before it was edited and its "
        "hash recomputed."
    ]


def test_an_entry_deleted_from_the_middle_is_named(who):
    write_entries(6)
    checkpoints.take_checkpoint()
    tamper(("DELETE FROM oversight_auditevent WHERE sequence = %s", [4]), who=who)
    report = verify_audit_trail()
    assert Kind.DELETED in kinds(report)
    assert "Entry #4 is missing: it was deleted." in [f.message for f in report.findings]


def test_the_newest_200_entries_deleted_and_the_head_rewound_is_named(who, tmp_path):
    write_entries(250)
    top = last_sequence()
    checkpoints.take_checkpoint()
    keep = top - 200
    kept_hash = AuditEvent.objects.get(sequence=keep).content_hash
    tamper(
        ("DELETE FROM oversight_auditevent WHERE sequence > %s", [keep]),
        (
            "UPDATE oversight_auditchainhead SET sequence = %s, last_hash = %s WHERE id = 1",
            [keep, kept_hash],
        ),
        who=who,
    )
    assert verify_audit_trail(checkpoint_log=tmp_path / "no-such-log").ok
    report = verify_audit_trail()
    assert kinds(report) == {Kind.REWOUND}
    (finding,) = report.findings
    assert f"ends at entry #{keep}" in finding.message
    assert f"entries #{keep + 1} to #{top} deleted" in finding.message
    with pytest.raises(CommandError, match="rewound: The audit log ends at"):
        call_command("verify_audit_log")


def test_a_truncated_table_is_named(who):
    write_entries(5)
    checkpoints.take_checkpoint()
    emptying = (
        "TRUNCATE oversight_auditevent"
        if connection.vendor == "postgresql"
        else "DELETE FROM oversight_auditevent"
    )
    tamper(
        (emptying, []),
        (
            "UPDATE oversight_auditchainhead SET sequence = 0, last_hash = %s WHERE id = 1",
            [GENESIS_HASH],
        ),
        who=who,
    )
    report = verify_audit_trail()
    assert kinds(report) == {Kind.TRUNCATED}
    assert "The audit log is empty" in report.findings[0].message
    with pytest.raises(CommandError, match="truncated: The audit log is empty"):
        call_command("verify_audit_log")


def test_a_checkpoint_changed_after_signing_is_named(settings):
    write_entries(3)
    checkpoints.take_checkpoint()
    log = settings.AUDIT_CHECKPOINT_LOG
    line = json.loads(log.read_text())
    line["sequence"] = 2
    log.write_text(json.dumps(line) + "\n")
    report = verify_audit_trail()
    assert kinds(report) == {Kind.BAD_SIGNATURE}
    assert "has a signature that fails" in report.findings[0].message


def test_a_checkpoint_signed_with_another_key_is_named(settings):
    write_entries(3)
    settings.AUDIT_CHECKPOINT_KEY = checkpoints.new_private_key_pem().decode()
    checkpoints.take_checkpoint()
    settings.AUDIT_CHECKPOINT_KEY = checkpoints.new_private_key_pem().decode()
    report = verify_audit_trail()
    assert kinds(report) == {Kind.BAD_SIGNATURE}


def test_a_line_that_is_no_checkpoint_is_named(settings):
    write_entries(1)
    checkpoints.take_checkpoint()
    with open(settings.AUDIT_CHECKPOINT_LOG, "a") as log:
        log.write("not a checkpoint\n")
    report = verify_audit_trail()
    assert [f.message for f in report.findings] == [
        "Line 2 of the checkpoint log: it is not a checkpoint."
    ]


def test_a_rotated_keys_checkpoints_are_believed_once_listed(settings):
    write_entries(2)
    old = checkpoints.signing_key()
    checkpoints.take_checkpoint()
    settings.AUDIT_CHECKPOINT_KEY = checkpoints.new_private_key_pem().decode()
    checkpoints.take_checkpoint()
    assert kinds(verify_audit_trail()) == {Kind.BAD_SIGNATURE}
    settings.AUDIT_CHECKPOINT_TRUSTED_KEYS = [checkpoints.public_key_text(old.public_key())]
    report = verify_audit_trail()
    assert report.ok
    assert report.checkpoints_held == 2


# --- What the database itself refuses ------------------------------------------------------


def refused(sql: str, params=()) -> str:
    with (
        pytest.raises(DatabaseError) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    return str(caught.value)


@pytest.fixture
def application_role():
    if connection.vendor != "postgresql" or not two_roles():
        pytest.skip("needs PostgreSQL with two roles (MIGRATE_DATABASE_URL); runs in CI")


def test_the_application_role_cannot_touch_the_evidence(application_role):
    write_entries(3)
    assert "permission denied" in refused("UPDATE oversight_auditevent SET object_id = 'x'")
    assert "permission denied" in refused("DELETE FROM oversight_auditevent")
    assert "permission denied" in refused("TRUNCATE oversight_auditevent")
    assert "must be owner" in refused("ALTER TABLE oversight_auditevent DISABLE TRIGGER USER")
    assert "must be owner" in refused("ALTER TABLE oversight_auditevent ADD COLUMN forged text")
    assert "must be owner" in refused(
        "DROP TRIGGER oversight_auditevent_append_only ON oversight_auditevent"
    )
    assert "permission denied" in refused("SET session_replication_role = replica")
    assert "must be owner" in refused(
        "ALTER TABLE supervision_supervisionrecord DISABLE TRIGGER ALL"
    )
    assert "permission denied" in refused("TRUNCATE supervision_supervisionrecord CASCADE")
    # The head is the one row it updates, and only forwards.
    assert "only moves forward" in refused(
        "UPDATE oversight_auditchainhead SET sequence = sequence - 1"
    )
    assert "only moves forward" in refused("DELETE FROM oversight_auditchainhead")
    assert AuditEvent.objects.count() == 3
    from supervision.organisation.database_roles import application_role_problems

    assert application_role_problems(connection) == []


def test_the_owner_is_refused_truncate_by_trigger(application_role):
    from tests.support.database_roles import owner_connection

    write_entries(2)
    for table in ("oversight_auditevent", "supervision_supervisionrecord"):
        with owner_connection() as raw, pytest.raises(Exception, match="TRUNCATE on .* is refused"):
            raw.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.count() == 2


def test_the_database_refuses_update_and_delete_and_a_rewound_head():
    write_entries(3)
    # The application role is refused by its privileges before any trigger; the owner and
    # SQLite by the triggers.
    for sql in (
        "UPDATE oversight_auditevent SET object_id = 'x'",
        "DELETE FROM oversight_auditevent WHERE sequence = 1",
    ):
        assert re.search("append-only|permission denied", refused(sql))
    assert "only moves forward" in refused(
        "UPDATE oversight_auditchainhead SET sequence = sequence - 1"
    )
    assert "only moves forward" in refused(
        "UPDATE oversight_auditchainhead SET last_hash = %s", [base64.b16encode(b"x" * 32).decode()]
    )
    assert "only moves forward" in refused("DELETE FROM oversight_auditchainhead")
    assert AuditEvent.objects.count() == 3
    assert verify_audit_trail().ok
