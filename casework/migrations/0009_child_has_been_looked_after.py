from django.db import migrations, models

LOOKED_AFTER = ("child_looked_after", "care_leaver")

# Once a child has been looked after, the fact stays: their case notes are kept 75 years from
# their date of birth (oversight.policy.standards.case_notes_kept_until) whatever plan they are
# on later. The services set it with the plan (Child.plan_set); the check constraint refuses a
# looked-after plan without it, and these triggers refuse turning it off again.
POSTGRES = """
CREATE OR REPLACE FUNCTION casework_keep_looked_after() RETURNS trigger AS $$
BEGIN
  IF OLD.has_been_looked_after AND NOT NEW.has_been_looked_after THEN
    RAISE EXCEPTION 'Child % has been looked after: that fact is never unset', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER casework_child_keep_looked_after
  BEFORE UPDATE OF has_been_looked_after ON casework_child
  FOR EACH ROW EXECUTE FUNCTION casework_keep_looked_after();
"""
POSTGRES_UNDO = """
DROP TRIGGER IF EXISTS casework_child_keep_looked_after ON casework_child;
DROP FUNCTION IF EXISTS casework_keep_looked_after();
"""
SQLITE = (
    "CREATE TRIGGER casework_child_keep_looked_after BEFORE UPDATE OF has_been_looked_after "
    "ON casework_child WHEN OLD.has_been_looked_after AND NOT NEW.has_been_looked_after "
    "BEGIN SELECT RAISE(ABORT, 'The child has been looked after: that fact is never unset'); END"
)
SQLITE_UNDO = "DROP TRIGGER IF EXISTS casework_child_keep_looked_after"


def backfill(apps, schema_editor):
    # The product keeps no history of a child's plans (the audit names the fields a change
    # touched, not their values), so the current plan is all the database knows. A child who
    # was looked after and had gone home before this migration is not found here; the child's
    # details page lets a manager record it (casework.child_services.child_update).
    Child = apps.get_model("casework", "Child")
    Child.objects.filter(plan__in=LOOKED_AFTER).update(has_been_looked_after=True)


def triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE, params=None)


def no_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UNDO, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UNDO, params=None)


class Migration(migrations.Migration):
    dependencies = [("casework", "0008_next_check_order")]

    operations = [
        migrations.AddField(
            model_name="child",
            name="has_been_looked_after",
            field=models.BooleanField(default=False, verbose_name="has been looked after"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="child",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("plan__in", LOOKED_AFTER), _negated=True),
                    ("has_been_looked_after", True),
                    _connector="OR",
                ),
                name="looked_after_child_has_been_looked_after",
            ),
        ),
        migrations.RunPython(triggers, no_triggers),
    ]
