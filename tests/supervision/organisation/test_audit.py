import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from supervision.models.audit import AuditEvent
from supervision.organisation import audit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries():
    person = UserFactory()
    return [
        audit.record(audit.AuditAction.READ, actor=person, object_type="staff_file", object_id=i)
        for i in range(1, 6)
    ]


def test_entries_are_chained_by_hash(entries):
    assert [e.sequence for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].previous_hash == "0" * 64
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.previous_hash == before.content_hash
    assert len({e.content_hash for e in entries}) == 5


def test_the_verify_command_passes_an_intact_log(entries, capsys):
    call_command("verify_audit_log")
    assert "5 entries checked" in capsys.readouterr().out


def tamper(sql, params):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Only a database superuser can switch triggers off like this: it stands for
            # someone tampering with the database directly, below the application.
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def test_an_edited_entry_is_named_by_the_verify_command(entries):
    tamper("UPDATE oversight_auditevent SET object_id = %s WHERE sequence = %s", ["999", 3])
    with pytest.raises(CommandError, match="broken at entry 3: its content no longer matches"):
        call_command("verify_audit_log")


def test_a_deleted_entry_is_named_by_the_verify_command(entries):
    tamper("DELETE FROM oversight_auditevent WHERE sequence = %s", [4])
    with pytest.raises(CommandError, match="broken at entry 4: entry 4 is missing"):
        call_command("verify_audit_log")


def test_a_rehashed_entry_still_breaks_the_link_to_the_next(entries):
    forged = entries[1]
    forged.object_id = "999"
    tamper(
        "UPDATE oversight_auditevent SET object_id = %s, content_hash = %s WHERE sequence = %s",
        ["999", forged.compute_hash(), 2],
    )
    with pytest.raises(CommandError, match="broken at entry 3: its previous-entry hash"):
        call_command("verify_audit_log")


def test_the_application_cannot_change_or_delete_entries(entries):
    entry = AuditEvent.objects.get(sequence=1)
    entry.object_id = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(sequence=1).update(object_id="changed")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_postgres_refuses_update_and_delete_on_the_audit_table(entries, postgres_only):
    for sql in (
        "UPDATE oversight_auditevent SET object_id = 'x' WHERE sequence = 1",
        "DELETE FROM oversight_auditevent WHERE sequence = 1",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEvent.objects.get(sequence=1).object_id == "1"
