# ruff: noqa: S608 - fixed table and column names, no input
from django.db import migrations

# On SQLite, the embedded default, the same refusals PostgreSQL's triggers make (supervision
# 0005 and 0007, agreements 0002, casework 0004, oversight 0006): a finalised record, a signed
# agreement, a final case note, a signed observation or conversation, a signature and a
# wellbeing plan refuse UPDATE, and DELETE but for destruction at the end of retention.
#
# SQLite has no session settings for `supervision.destroying`; destruction marks its
# transaction by a row in supervision_destroying instead (retention._allow_destroying_frozen_rows),
# which, like the setting, stops the application deleting frozen rows by mistake anywhere else.
#
# A later migration that makes SQLite rebuild one of these tables drops its triggers with it:
# tests/supervision/records/test_frozen_on_sqlite.py names every trigger that must exist.

NOT_DESTROYING = "NOT EXISTS (SELECT 1 FROM supervision_destroying)"
RECORD_FINALISED = (
    "EXISTS (SELECT 1 FROM supervision_supervisionrecord WHERE id = {} AND status = 'finalised')"
)
NOTE_FINAL = "EXISTS (SELECT 1 FROM casework_casenote WHERE id = {} AND status = 'final')"
RECORD_PARTS = [
    "supervision_recordsection",
    "supervision_decision",
    "supervision_actionreview",
    "supervision_disagreement",
    "supervision_amendmentrequest",
]
SIGNED_BY_BOTH = ["supervision_practiceobservation", "supervision_developmentconversation"]
WRITTEN_ONCE = [
    "supervision_observationsignature",
    "supervision_conversationsignature",
    "supervision_wellbeingplan",
    "supervision_teamwellbeingplan",
]
# What superseding a signed agreement may change (agreements 0002).
AGREEMENT_MAY_CHANGE = {"status", "superseded_at", "superseded_reason", "updated_at"}


def _changed(columns) -> str:
    return "(" + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns) + ")"


def _record_triggers() -> list[tuple[str, str, str]]:
    refused = "The record is finalised and cannot be changed; add an addendum"
    triggers = [
        (
            "supervision_record_finalised_update",
            "BEFORE UPDATE ON supervision_supervisionrecord WHEN OLD.status = 'finalised'",
            refused,
        ),
        (
            "supervision_record_finalised_delete",
            "BEFORE DELETE ON supervision_supervisionrecord "
            f"WHEN OLD.status = 'finalised' AND {NOT_DESTROYING}",
            refused,
        ),
        (
            "supervision_session_finalised_update",
            "BEFORE UPDATE ON supervision_supervisionsession WHEN EXISTS (SELECT 1 FROM "
            "supervision_supervisionrecord WHERE session_id = OLD.id AND status = 'finalised')",
            "The session has a finalised record and cannot be changed",
        ),
        (
            "supervision_session_finalised_delete",
            "BEFORE DELETE ON supervision_supervisionsession WHEN EXISTS (SELECT 1 FROM "
            "supervision_supervisionrecord WHERE session_id = OLD.id AND status = 'finalised') "
            f"AND {NOT_DESTROYING}",
            "The session has a finalised record and cannot be changed",
        ),
        (
            "supervision_action_recorded_update",
            "BEFORE UPDATE ON supervision_action WHEN "
            + RECORD_FINALISED.format("OLD.record_id")
            + " AND "
            + _changed(["description", "owner", "owner_name", "due_date", "record_id"]),
            "The action belongs to a finalised record: only its status may change",
        ),
        (
            "supervision_action_recorded_delete",
            "BEFORE DELETE ON supervision_action WHEN "
            + RECORD_FINALISED.format("OLD.record_id")
            + f" AND {NOT_DESTROYING}",
            "The action belongs to a finalised record: only its status may change",
        ),
    ]
    for table in RECORD_PARTS:
        triggers += [
            (
                f"{table}_finalised_insert",
                f"BEFORE INSERT ON {table} WHEN " + RECORD_FINALISED.format("NEW.record_id"),
                refused,
            ),
            (
                f"{table}_finalised_update",
                f"BEFORE UPDATE ON {table} WHEN "
                + RECORD_FINALISED.format("NEW.record_id")
                + " OR "
                + RECORD_FINALISED.format("OLD.record_id"),
                refused,
            ),
            (
                f"{table}_finalised_delete",
                f"BEFORE DELETE ON {table} WHEN "
                + RECORD_FINALISED.format("OLD.record_id")
                + f" AND {NOT_DESTROYING}",
                refused,
            ),
        ]
    return triggers


def _casework_triggers() -> list[tuple[str, str, str]]:
    final = "The case note is final and cannot be changed"
    action = "The action belongs to a final case note: only its status may change"
    unlinking = (
        "EXISTS (SELECT 1 FROM supervision_destroying) "
        "AND NEW.session_id IS NULL AND OLD.session_id IS NOT NULL"
    )
    return [
        (
            "casework_note_final_update",
            f"BEFORE UPDATE ON casework_casenote WHEN OLD.status = 'final' AND NOT ({unlinking})",
            final,
        ),
        (
            "casework_note_final_delete",
            f"BEFORE DELETE ON casework_casenote WHEN OLD.status = 'final' AND {NOT_DESTROYING}",
            final,
        ),
        (
            "casework_action_of_final_note_insert",
            "BEFORE INSERT ON casework_casenoteaction WHEN " + NOTE_FINAL.format("NEW.note_id"),
            action,
        ),
        (
            "casework_action_of_final_note_update",
            "BEFORE UPDATE ON casework_casenoteaction WHEN "
            + NOTE_FINAL.format("OLD.note_id")
            + " AND "
            + _changed(["description", "owner_id", "owner_name", "due_on", "note_id"]),
            action,
        ),
        (
            "casework_action_of_final_note_delete",
            "BEFORE DELETE ON casework_casenoteaction WHEN "
            + NOTE_FINAL.format("OLD.note_id")
            + f" AND {NOT_DESTROYING}",
            action,
        ),
    ]


def _development_triggers() -> list[tuple[str, str, str]]:
    triggers = []
    for table in SIGNED_BY_BOTH:
        refused = "Signed by both: it cannot be changed"
        triggers += [
            (
                f"{table}_signed_update",
                f"BEFORE UPDATE ON {table} WHEN OLD.signed_by_both_at IS NOT NULL",
                refused,
            ),
            (
                f"{table}_signed_delete",
                f"BEFORE DELETE ON {table} WHEN OLD.signed_by_both_at IS NOT NULL "
                f"AND {NOT_DESTROYING}",
                refused,
            ),
        ]
    for table in WRITTEN_ONCE:
        refused = "It cannot be changed once written"
        triggers += [
            (f"{table}_written_update", f"BEFORE UPDATE ON {table}", refused),
            (f"{table}_written_delete", f"BEFORE DELETE ON {table} WHEN {NOT_DESTROYING}", refused),
        ]
    return triggers


def _agreement_triggers(cursor) -> list[tuple[str, str, str]]:
    cursor.execute("PRAGMA table_info(agreements_supervisionagreement)")
    content = [row[1] for row in cursor.fetchall() if row[1] not in AGREEMENT_MAY_CHANGE]
    signed = "OLD.status IN ('active', 'superseded')"
    refused = "The agreement is signed and cannot be changed; review it instead"
    return [
        (
            "agreements_signed_update",
            f"BEFORE UPDATE ON agreements_supervisionagreement WHEN {signed} AND "
            + _changed(content),
            refused,
        ),
        (
            "agreements_signed_delete",
            f"BEFORE DELETE ON agreements_supervisionagreement WHEN {signed} AND {NOT_DESTROYING}",
            refused,
        ),
    ]


def all_triggers(cursor) -> list[tuple[str, str, str]]:
    return (
        _record_triggers()
        + _casework_triggers()
        + _development_triggers()
        + _agreement_triggers(cursor)
    )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("CREATE TABLE supervision_destroying (marker integer)", params=None)
    with schema_editor.connection.cursor() as cursor:
        triggers = all_triggers(cursor)
    for name, when, message in triggers:
        message = message.replace("'", "''")
        schema_editor.execute(
            f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{message}'); END",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        triggers = all_triggers(cursor)
    for name, _, _ in triggers:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
    schema_editor.execute("DROP TABLE IF EXISTS supervision_destroying", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0021_audit_checkpoints_every_quarter_hour"),
        ("agreements", "0002_signed_agreements_never_change"),
        ("casework", "0006_child_references_on_one_line"),
        ("oversight", "0015_audit_trail_joins_the_organisation"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
