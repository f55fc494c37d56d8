"""The flag job's subjects (staff profiles, children) vacuumed soon after the job writes them.

Each look at a subject writes its next_check_at twice (claimed, then its next check), leaving
two dead entries in the (next_check_at, id) index, at the two ends the idle tick probes: the
NULLs of the marked rows and the earliest moments (claims whose lease has run out). The probe
steps over each dead entry, reading its row, until a vacuum clears them: 149 ms at 400,000
children straight after a full evaluation (tests/benchmarks/measure_idle_tick.py). PostgreSQL's
default waits for a fifth of a table to be dead (80,000 rows of 400,000: the daily rechecks
spread through the day never clear them sooner); here a table is vacuumed once a thousand of its
rows are dead, at the next round of the autovacuum launcher (a minute), without pausing on its
cost limit, so an idle tick never steps over more than about a minute of the job's writes.

PostgreSQL only (SQLite has no vacuum settings); the migration runs as the tables' owner."""

from django.db import migrations

SUBJECTS = (("supervision", "StaffProfile"), ("casework", "Child"))
SETTINGS = (
    "autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, "
    "autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.05"
)
NAMES = (
    "autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, "
    "autovacuum_vacuum_cost_delay, autovacuum_analyze_scale_factor"
)


def vacuum_promptly(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for app, model in SUBJECTS:
        table = schema_editor.quote_name(apps.get_model(app, model)._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET ({SETTINGS})")


def as_before(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for app, model in SUBJECTS:
        table = schema_editor.quote_name(apps.get_model(app, model)._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} RESET ({NAMES})")


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0023_case_note_retention"),
        ("casework", "0009_child_has_been_looked_after"),
        ("supervision", "0033_user_details_changed_at"),
    ]

    operations = [migrations.RunPython(vacuum_promptly, as_before)]
