from django.db import migrations

# A final case note is on the child's record for good: locked once final, like a finalised
# record (rule R8). The services and the model refuse; on PostgreSQL the database refuses too. An
# action's what, who and by-when are frozen with the note; its status goes on being tracked.
# Destruction at the end of retention passes, as for records (oversight 0006); a staff file's
# destruction may also unlink a note from the file's session, since the note is the child's.
FUNCTIONS = """
CREATE OR REPLACE FUNCTION casework_refuse_final_note() RETURNS trigger AS $$
BEGIN
  -- Destroying a staff file unlinks the notes from the sessions it deletes; the notes stay.
  IF TG_OP = 'UPDATE' AND current_setting('supervision.destroying', true) = 'on'
     AND NEW.session_id IS NULL AND OLD.session_id IS NOT NULL THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' AND current_setting('supervision.destroying', true) = 'on' THEN
    RETURN OLD;
  END IF;
  IF OLD.status = 'final' THEN
    RAISE EXCEPTION 'Case note % is final and cannot be changed', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION casework_refuse_action_of_final_note() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('supervision.destroying', true) = 'on' THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM casework_casenote WHERE id = NEW.note_id AND status = 'final') THEN
      RAISE EXCEPTION 'Case note % is final: no action may be added', NEW.note_id
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END IF;
  IF EXISTS (SELECT 1 FROM casework_casenote WHERE id = OLD.note_id AND status = 'final')
     AND (TG_OP = 'DELETE'
          OR NEW.description IS DISTINCT FROM OLD.description
          OR NEW.owner_id IS DISTINCT FROM OLD.owner_id
          OR NEW.owner_name IS DISTINCT FROM OLD.owner_name
          OR NEW.due_on IS DISTINCT FROM OLD.due_on
          OR NEW.note_id IS DISTINCT FROM OLD.note_id) THEN
    RAISE EXCEPTION 'Action % belongs to a final case note: only its status may change', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER casework_note_final
  BEFORE UPDATE OR DELETE ON casework_casenote
  FOR EACH ROW EXECUTE FUNCTION casework_refuse_final_note();

CREATE TRIGGER casework_action_of_final_note
  BEFORE INSERT OR UPDATE OR DELETE ON casework_casenoteaction
  FOR EACH ROW EXECUTE FUNCTION casework_refuse_action_of_final_note();
"""

DROP = """
DROP TRIGGER IF EXISTS casework_note_final ON casework_casenote;
DROP TRIGGER IF EXISTS casework_action_of_final_note ON casework_casenoteaction;
DROP FUNCTION IF EXISTS casework_refuse_final_note();
DROP FUNCTION IF EXISTS casework_refuse_action_of_final_note();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("casework", "0003_cases_notes_groups_front_door")]

    operations = [migrations.RunPython(forwards, backwards)]
