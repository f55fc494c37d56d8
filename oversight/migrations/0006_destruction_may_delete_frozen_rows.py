from django.db import migrations

# Destruction at the end of the retention period (rule S2) is the one lawful deletion of a
# finalised record or a signed agreement. These functions are those of supervision 0005 and
# agreements 0002, with one condition added: a DELETE passes while the transaction-local
# setting `supervision.destroying` is 'on', which oversight.records_management.retention.file_destroy sets and
# clears around its deletes. An UPDATE is refused as before: nothing may rewrite a record.
#
# Why not `SET session_replication_role = replica`: it needs a superuser (the application's
# database role must not be one) and it switches off every trigger, the audit log's too.

BYPASS = """
  IF TG_OP = 'DELETE' AND current_setting('supervision.destroying', true) = 'on' THEN
    RETURN OLD;
  END IF;"""

FUNCTIONS = """
CREATE OR REPLACE FUNCTION supervision_refuse_finalised_record() RETURNS trigger AS $$
BEGIN{bypass}
  IF OLD.status = 'finalised' THEN
    RAISE EXCEPTION 'Record % is finalised and cannot be changed; add an addendum', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION supervision_refuse_part_of_finalised_record() RETURNS trigger AS $$
DECLARE
  parent bigint;
BEGIN{bypass}
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
BEGIN{bypass}
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
BEGIN{bypass}
  IF EXISTS (SELECT 1 FROM supervision_supervisionrecord WHERE session_id = OLD.id AND status = 'finalised') THEN
    RAISE EXCEPTION 'Session % has a finalised record and cannot be changed', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION agreements_refuse_signed_change() RETURNS trigger AS $$
BEGIN{bypass}
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
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS.replace("{bypass}", BYPASS), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS.replace("{bypass}", ""), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0005_default_retention_rules_and_daily_listing"),
        ("supervision", "0005_finalised_records_never_change"),
        ("agreements", "0002_signed_agreements_never_change"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
