from django.db import migrations

# A signed agreement is locked (rule A3): on PostgreSQL the database refuses changes to its
# content and its deletion. Superseding it (status, superseded_at, superseded_reason) is the
# one change allowed, since it says something about the agreement, not in it.
CREATE = """
CREATE OR REPLACE FUNCTION agreements_refuse_signed_change() RETURNS trigger AS $$
BEGIN
  IF OLD.status IN ('active', 'superseded') THEN
    IF TG_OP = 'DELETE' OR (
      to_jsonb(NEW) - 'status' - 'superseded_at' - 'superseded_reason' - 'updated_at'
      IS DISTINCT FROM
      to_jsonb(OLD) - 'status' - 'superseded_at' - 'superseded_reason' - 'updated_at'
    ) THEN
      RAISE EXCEPTION 'Agreement % is signed and cannot be changed; review it instead', OLD.id
        USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_signed_never_change
  BEFORE UPDATE OR DELETE ON agreements_supervisionagreement
  FOR EACH ROW EXECUTE FUNCTION agreements_refuse_signed_change();
"""
DROP = """
DROP TRIGGER IF EXISTS agreements_signed_never_change ON agreements_supervisionagreement;
DROP FUNCTION IF EXISTS agreements_refuse_signed_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
