from django.db import migrations

# A finalised record never changes (rule R8). The services and the models refuse; on
# PostgreSQL the database refuses too, whoever asks. Parts of a record (sections, decisions,
# action reviews, disagreements, amendment requests) are frozen with it; an action's what, who
# and by-when are frozen, while its status goes on being tracked.
CREATE = """
CREATE OR REPLACE FUNCTION supervision_refuse_finalised_record() RETURNS trigger AS $$
BEGIN
  IF OLD.status = 'finalised' THEN
    RAISE EXCEPTION 'Record % is finalised and cannot be changed; add an addendum', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER supervision_record_finalised
  BEFORE UPDATE OR DELETE ON supervision_supervisionrecord
  FOR EACH ROW EXECUTE FUNCTION supervision_refuse_finalised_record();

CREATE OR REPLACE FUNCTION supervision_refuse_part_of_finalised_record() RETURNS trigger AS $$
DECLARE
  parent bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN parent := OLD.record_id; ELSE parent := NEW.record_id; END IF;
  IF EXISTS (SELECT 1 FROM supervision_supervisionrecord WHERE id = parent AND status = 'finalised')
     OR (TG_OP = 'UPDATE' AND EXISTS (
       SELECT 1 FROM supervision_supervisionrecord WHERE id = OLD.record_id AND status = 'finalised')) THEN
    RAISE EXCEPTION 'Record % is finalised and cannot be changed; add an addendum', parent
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION supervision_refuse_recorded_action_change() RETURNS trigger AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM supervision_supervisionrecord WHERE id = OLD.record_id AND status = 'finalised')
     AND (TG_OP = 'DELETE'
          OR NEW.description IS DISTINCT FROM OLD.description
          OR NEW.owner IS DISTINCT FROM OLD.owner
          OR NEW.owner_name IS DISTINCT FROM OLD.owner_name
          OR NEW.due_date IS DISTINCT FROM OLD.due_date
          OR NEW.record_id IS DISTINCT FROM OLD.record_id) THEN
    RAISE EXCEPTION 'Action % belongs to a finalised record: only its status may change', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION supervision_refuse_session_of_finalised_record() RETURNS trigger AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM supervision_supervisionrecord WHERE session_id = OLD.id AND status = 'finalised') THEN
    RAISE EXCEPTION 'Session % has a finalised record and cannot be changed', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER supervision_session_of_finalised_record
  BEFORE UPDATE OR DELETE ON supervision_supervisionsession
  FOR EACH ROW EXECUTE FUNCTION supervision_refuse_session_of_finalised_record();

CREATE TRIGGER supervision_action_recorded
  BEFORE UPDATE OR DELETE ON supervision_action
  FOR EACH ROW EXECUTE FUNCTION supervision_refuse_recorded_action_change();
"""

PART_TABLES = [
    "supervision_recordsection",
    "supervision_decision",
    "supervision_actionreview",
    "supervision_disagreement",
    "supervision_amendmentrequest",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table in PART_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_finalised BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION supervision_refuse_part_of_finalised_record();",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in PART_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_finalised ON {table};", params=None)
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS supervision_action_recorded ON supervision_action;"
        "DROP TRIGGER IF EXISTS supervision_session_of_finalised_record "
        "ON supervision_supervisionsession;"
        "DROP FUNCTION IF EXISTS supervision_refuse_session_of_finalised_record();"
        "DROP TRIGGER IF EXISTS supervision_record_finalised ON supervision_supervisionrecord;"
        "DROP FUNCTION IF EXISTS supervision_refuse_recorded_action_change();"
        "DROP FUNCTION IF EXISTS supervision_refuse_part_of_finalised_record();"
        "DROP FUNCTION IF EXISTS supervision_refuse_finalised_record();",
        params=None,
    )


class Migration(migrations.Migration):
    dependencies = [("supervision", "0004_record_templates")]
    operations = [migrations.RunPython(forwards, backwards)]
