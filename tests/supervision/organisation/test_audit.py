import pytest
from django.core.management import call_command

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


def test_the_database_hashes_an_entry_as_verification_does():
    """The hash is made by the database from the entry's text and the chain's head: it is the
    one `compute_hash` finds from the entry as stored, whatever the entry holds."""
    person = UserFactory()
    event = audit.record(
        audit.AuditAction.DENIED,
        actor=person,
        subject=person,
        object_type="staff_file",
        object_id=12,
        detail={"reason": 'Ça "quote" \\ ☃', "n": 1.5, "nested": {"subject": None}},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.content_hash == event.content_hash == stored.compute_hash()
    assert event.compute_hash() == event.content_hash
