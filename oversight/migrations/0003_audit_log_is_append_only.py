from django.db import migrations

# The application never updates or deletes audit entries; on PostgreSQL the database refuses
# to as well, whoever asks. (TRUNCATE is left to the table owner, so test databases can be
# reset; a deployment should grant the application role INSERT and SELECT only.)
CREATE = """
CREATE OR REPLACE FUNCTION oversight_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'The audit log is append-only: % on oversight_auditevent is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER oversight_auditevent_append_only
  BEFORE UPDATE OR DELETE ON oversight_auditevent
  FOR EACH ROW EXECUTE FUNCTION oversight_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS oversight_auditevent_append_only ON oversight_auditevent;
DROP FUNCTION IF EXISTS oversight_audit_append_only();
"""


def create_chain_head(apps, schema_editor):
    apps.get_model("oversight", "AuditChainHead").objects.get_or_create(pk=1)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("oversight", "0002_initial")]
    operations = [
        migrations.RunPython(create_chain_head, migrations.RunPython.noop),
        migrations.RunPython(forwards, backwards),
    ]
