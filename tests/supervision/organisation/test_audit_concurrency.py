"""The audit chain written by many connections at once: each entry is chained in one
statement that locks the head only while it runs (supervision.organisation.audit), and the
chain still comes out whole, one entry a sequence, each linked to the one before. PostgreSQL
only: SQLite has one writer, so nothing would race.

Each writer is a thread with its own database connection; a barrier starts them together."""

import threading

import psycopg
import pytest
from django.db import connection

from supervision.models.audit import AuditChainHead, AuditEvent
from supervision.organisation import audit
from supervision.organisation.audit_verification import verify_audit_trail
from tests.factories import UserFactory

WRITERS = 6
EACH = 40


def on_writers(job):
    barrier = threading.Barrier(WRITERS, timeout=30)
    errors = []

    def writer(index):
        try:
            barrier.wait()
            job(index)
        except Exception as error:  # noqa: BLE001 - re-raised in the test's thread below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer did not finish"
    if errors:
        raise errors[0]


# Committed entries, so every connection sees the others'. The serialized rollback puts back
# the chain's head the migrations made.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_writers_at_once_make_one_unbroken_chain(postgres_only):
    person = UserFactory()

    def reads(index):
        for n in range(EACH):
            audit.record(
                audit.AuditAction.READ,
                actor=person,
                object_type="staff_file",
                object_id=f"{index}-{n}",
                detail={"writer": index, "note": "café"},
            )

    on_writers(reads)

    entries = list(AuditEvent.objects.order_by("sequence"))
    assert [e.sequence for e in entries] == list(range(1, WRITERS * EACH + 1))
    assert len({e.object_id for e in entries}) == WRITERS * EACH
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.previous_hash == before.content_hash
    head = AuditChainHead.objects.get(pk=1)
    assert (head.sequence, head.last_hash) == (entries[-1].sequence, entries[-1].content_hash)
    report = verify_audit_trail()
    assert report.ok, report.findings
    assert report.checked == WRITERS * EACH


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_entry_is_committed_before_record_returns(postgres_only):
    """A page shows what was read only after its audit entry is kept: another connection
    sees the entry the moment `record` returns, with no transaction of the caller's open."""
    event = audit.record(
        audit.AuditAction.READ, actor=UserFactory(), object_type="staff_file", object_id=7
    )
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        found = other.execute(
            "SELECT sequence, content_hash FROM oversight_auditevent WHERE id = %s", [event.pk]
        ).fetchone()
    assert found == (event.sequence, event.content_hash)
