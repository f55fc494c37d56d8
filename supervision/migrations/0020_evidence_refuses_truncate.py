from django.db import migrations

# Row triggers refuse UPDATE and DELETE of the evidence (oversight 0003, supervision 0005 and
# 0007, agreements 0002, casework 0004), but TRUNCATE fires no row trigger: these refuse it, on
# every table whose rows are append-only or frozen once signed. The application role has no
# TRUNCATE privilege anyway (supervision.organisation.database_roles); these stop the owner
# doing it by mistake, and leave a deliberate attempt needing ALTER TABLE first.
#
# The audit chain's head only moves forward: rewinding it is how entries deleted from the end
# of the log would be hidden, so a lower sequence, or another hash at the same one, is refused.
#
# SQLite, the embedded default, has no TRUNCATE; there the audit log refuses UPDATE and DELETE
# as PostgreSQL's does, and the head refuses to go back.
GUARDED_TABLES = [
    "oversight_auditevent",
    "oversight_auditchainhead",
    "supervision_supervisionrecord",
    "supervision_supervisionsession",
    "supervision_action",
    "supervision_recordsection",
    "supervision_decision",
    "supervision_actionreview",
    "supervision_disagreement",
    "supervision_amendmentrequest",
    "supervision_practiceobservation",
    "supervision_developmentconversation",
    "supervision_observationsignature",
    "supervision_conversationsignature",
    "supervision_wellbeingplan",
    "supervision_teamwellbeingplan",
    "agreements_supervisionagreement",
    "casework_casenote",
    "casework_casenoteaction",
]

POSTGRES_FUNCTIONS = """
CREATE OR REPLACE FUNCTION supervision_refuse_truncate() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'TRUNCATE on % is refused: its rows are evidence', TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION supervision_audit_head_forward_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' OR NEW.sequence < OLD.sequence
     OR (NEW.sequence = OLD.sequence AND NEW.last_hash IS DISTINCT FROM OLD.last_hash) THEN
    RAISE EXCEPTION 'The audit chain''s head only moves forward: % refused', TG_OP
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER oversight_auditchainhead_forward_only
  BEFORE UPDATE OR DELETE ON oversight_auditchainhead
  FOR EACH ROW EXECUTE FUNCTION supervision_audit_head_forward_only();
"""

SQLITE_TRIGGERS = [
    """CREATE TRIGGER oversight_auditevent_no_update BEFORE UPDATE ON oversight_auditevent
    BEGIN SELECT RAISE(ABORT, 'The audit log is append-only: UPDATE is refused'); END""",
    """CREATE TRIGGER oversight_auditevent_no_delete BEFORE DELETE ON oversight_auditevent
    BEGIN SELECT RAISE(ABORT, 'The audit log is append-only: DELETE is refused'); END""",
    """CREATE TRIGGER oversight_auditchainhead_no_rewind BEFORE UPDATE ON oversight_auditchainhead
    WHEN NEW.sequence < OLD.sequence
      OR (NEW.sequence = OLD.sequence AND NEW.last_hash IS NOT OLD.last_hash)
    BEGIN SELECT RAISE(ABORT, 'The audit chain''s head only moves forward'); END""",
    """CREATE TRIGGER oversight_auditchainhead_no_delete BEFORE DELETE ON oversight_auditchainhead
    BEGIN SELECT RAISE(ABORT, 'The audit chain''s head only moves forward'); END""",
]
SQLITE_TRIGGER_NAMES = [
    "oversight_auditevent_no_update",
    "oversight_auditevent_no_delete",
    "oversight_auditchainhead_no_rewind",
    "oversight_auditchainhead_no_delete",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTIONS, params=None)
        for table in GUARDED_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION supervision_refuse_truncate();",
                params=None,
            )
    elif vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in GUARDED_TABLES:
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};", params=None
            )
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS oversight_auditchainhead_forward_only "
            "ON oversight_auditchainhead;"
            "DROP FUNCTION IF EXISTS supervision_audit_head_forward_only();"
            "DROP FUNCTION IF EXISTS supervision_refuse_truncate();",
            params=None,
        )
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGER_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0019_identity_failures"),
        ("agreements", "0002_signed_agreements_never_change"),
        ("casework", "0006_child_references_on_one_line"),
        ("oversight", "0015_audit_trail_joins_the_organisation"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
