from django.db import migrations

# Signed observations and development conversations, signatures, and every version of a
# wellbeing plan are fixed once written (rules Q1, Q2, Q5): the models refuse, and on
# PostgreSQL the database refuses too. A DELETE passes only while destruction at the end of
# the retention period has set `supervision.destroying` (see oversight 0006).
BYPASS = """
  IF TG_OP = 'DELETE' AND current_setting('supervision.destroying', true) = 'on' THEN
    RETURN OLD;
  END IF;"""

CREATE = f"""
CREATE OR REPLACE FUNCTION supervision_refuse_signed_by_both_change() RETURNS trigger AS $$
BEGIN{BYPASS}
  IF OLD.signed_by_both_at IS NOT NULL THEN
    RAISE EXCEPTION '% % is signed by both and cannot be changed', TG_TABLE_NAME, OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION supervision_refuse_any_change() RETURNS trigger AS $$
BEGIN{BYPASS}
  RAISE EXCEPTION '% % cannot be changed once written', TG_TABLE_NAME, OLD.id
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

SIGNED_BY_BOTH = ["supervision_practiceobservation", "supervision_developmentconversation"]
WRITTEN_ONCE = [
    "supervision_observationsignature",
    "supervision_conversationsignature",
    "supervision_wellbeingplan",
    "supervision_teamwellbeingplan",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table in SIGNED_BY_BOTH:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_signed BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION supervision_refuse_signed_by_both_change();",
            params=None,
        )
    for table in WRITTEN_ONCE:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_written BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION supervision_refuse_any_change();",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in SIGNED_BY_BOTH:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_signed ON {table};", params=None)
    for table in WRITTEN_ONCE:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_written ON {table};", params=None)
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS supervision_refuse_signed_by_both_change();"
        "DROP FUNCTION IF EXISTS supervision_refuse_any_change();",
        params=None,
    )


class Migration(migrations.Migration):
    dependencies = [("supervision", "0006_development_records")]
    operations = [migrations.RunPython(forwards, backwards)]
