"""Every trigger that guards the evidence is in place after all the migrations, on the
database in use: a later migration that rebuilds a table (as SQLite does to alter one) drops
its triggers silently, and this names the one lost."""

import importlib

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

truncate_guards = importlib.import_module("supervision.migrations.0020_evidence_refuses_truncate")
sqlite_guards = importlib.import_module("supervision.migrations.0022_frozen_rows_on_sqlite")
record_attachment_guards = importlib.import_module("supervision.migrations.0027_record_attachments")
note_attachment_guards = importlib.import_module("casework.migrations.0007_case_note_attachments")
audit_head_mover = importlib.import_module(
    "supervision.migrations.0034_audit_head_moved_by_its_entry_on_sqlite"
)

POSTGRES_ROW_GUARDS = {
    "oversight_auditevent_append_only",
    "oversight_auditchainhead_forward_only",
    "supervision_record_finalised",
    "supervision_session_of_finalised_record",
    "supervision_action_recorded",
    *(f"{table}_finalised" for table in sqlite_guards.RECORD_PARTS),
    *(f"{table}_signed" for table in sqlite_guards.SIGNED_BY_BOTH),
    *(f"{table}_written" for table in sqlite_guards.WRITTEN_ONCE),
    "agreements_signed_never_change",
    "casework_note_final",
    "casework_action_of_final_note",
    "supervision_recordattachment_finalised",
    "casework_casenoteattachment_final",
}


def present_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def test_every_guard_on_the_evidence_is_in_place():
    if connection.vendor == "postgresql":
        expected = POSTGRES_ROW_GUARDS | {
            f"{table}_no_truncate" for table in truncate_guards.GUARDED_TABLES
        }
    else:
        with connection.cursor() as cursor:
            expected = {name for name, _, _ in sqlite_guards.all_triggers(cursor)}
        expected |= set(truncate_guards.SQLITE_TRIGGER_NAMES)
        expected |= {name for name, _ in record_attachment_guards.SQLITE}
        expected |= {name for name, _ in note_attachment_guards.SQLITE}
        # Not a guard, but the chain's head stops moving without it.
        expected |= {name for name, _ in audit_head_mover.SQLITE}
    missing = expected - present_triggers()
    assert not missing, f"guards lost: {sorted(missing)}"
    assert len(expected) > 35
