from django.db import migrations

# On PostgreSQL the database itself refuses two line relationships for one supervisee on
# overlapping dates (ranges are inclusive of both ends; an open end is unbounded). The
# partial unique constraint in 0001 covers open relationships on every database;
# SupervisoryRelationship.clean() reports overlaps to people on every database.
CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE supervision_supervisoryrelationship
  ADD CONSTRAINT one_line_supervisor_at_a_time
  EXCLUDE USING gist (supervisee_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&)
  WHERE (kind = 'line');
"""
DROP = """
ALTER TABLE supervision_supervisoryrelationship DROP CONSTRAINT IF EXISTS one_line_supervisor_at_a_time;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
