from django.db import migrations, models

# The tables whose rows carry the flag job's next check (oversight.flags.scheduled).
SUBJECTS = ("supervision_staffprofile", "casework_child")

# Every write that sets a row's next check lowers its table's earliest check to it (a marked
# row, NULL, to 1970) in the same transaction, whatever wrote it: a service, a signal, the job,
# a bulk `.update()`, raw SQL. On PostgreSQL once a statement, from the rows it wrote; the
# earliest check's row is updated (and locked to the commit) only when lowered, so most writes
# never wait for each other on it. Each write holds the table's advisory lock shared to its
# commit, and the job raising the earliest check holds it exclusively
# (oversight.flags.earliest_check): the job waits for the writes under way, so it sees them.
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION oversight_lower_earliest_check() RETURNS trigger AS $$
DECLARE
  lowest timestamptz;
BEGIN
  SELECT MIN(COALESCE(next_check_at, '1970-01-01 00:00:00+00')) INTO lowest FROM written;
  IF lowest IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock_shared(212021, hashtext(TG_TABLE_NAME));
  UPDATE oversight_earliestcheck SET due_at = lowest
    WHERE subject = TG_TABLE_NAME AND due_at > lowest;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
POSTGRES_TRIGGERS = """
CREATE TRIGGER {table}_lowers_earliest_check_insert AFTER INSERT ON {table}
  REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION oversight_lower_earliest_check();
CREATE TRIGGER {table}_lowers_earliest_check_update AFTER UPDATE ON {table}
  REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION oversight_lower_earliest_check();
"""
POSTGRES_UNDO = """
DROP TRIGGER IF EXISTS {table}_lowers_earliest_check_insert ON {table};
DROP TRIGGER IF EXISTS {table}_lowers_earliest_check_update ON {table};
"""
# SQLite has row triggers only; it writes one transaction at a time, so it needs no lock.
SQLITE_TRIGGER = (
    "CREATE TRIGGER {table}_lowers_earliest_check_{event} AFTER {what} ON {table} "
    "BEGIN UPDATE oversight_earliestcheck "
    "SET due_at = COALESCE(NEW.next_check_at, '1970-01-01 00:00:00') "
    "WHERE subject = '{table}' AND due_at > COALESCE(NEW.next_check_at, '1970-01-01 00:00:00'); "
    "END"
)
SQLITE_UNDO = "DROP TRIGGER IF EXISTS {table}_lowers_earliest_check_{event}"


def triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in SUBJECTS:
        if vendor == "postgresql":
            schema_editor.execute(POSTGRES_FUNCTION, params=None)
            schema_editor.execute(POSTGRES_TRIGGERS.format(table=table), params=None)
        elif vendor == "sqlite":
            for event, what in (("insert", "INSERT"), ("update", "UPDATE OF next_check_at")):
                sql = SQLITE_TRIGGER.format(table=table, event=event, what=what)
                schema_editor.execute(sql, params=None)


def no_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in SUBJECTS:
        if vendor == "postgresql":
            schema_editor.execute(POSTGRES_UNDO.format(table=table), params=None)
        elif vendor == "sqlite":
            for event in ("insert", "update"):
                schema_editor.execute(SQLITE_UNDO.format(table=table, event=event), params=None)
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS oversight_lower_earliest_check()")


class Migration(migrations.Migration):
    # No rows made here: a table without its row is looked at on every tick until the job
    # first finds nothing due in it, and writes the row.
    dependencies = [
        ("oversight", "0025_dashboard_summaries"),
        ("casework", "0009_child_has_been_looked_after"),
        ("supervision", "0033_user_details_changed_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="EarliestCheck",
            fields=[
                ("subject", models.CharField(max_length=63, primary_key=True, serialize=False)),
                ("due_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(triggers, no_triggers),
    ]
