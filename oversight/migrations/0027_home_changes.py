# ruff: noqa: S608 - every name in the SQL below is one of this module's constants, never input.
from django.db import migrations, models

# Every write to a row a home page can show notes, in the same transaction, the people whose
# homes show it: a kept home (oversight.reports.home_kept) is good while the notes about its
# reader and the people they supervise or are supervised by are the ones it was made under.
# Written by the database, not the services, so that no write path (a service, a signal, the
# flag job, a bulk `.update()`, raw SQL) can forget to. Rows are only ever inserted, so writers
# never wait for each other on them.
#
# A table, and the paths from its row to the people it is about: hops along foreign keys
# (column, table reached), then the columns of people in the last row reached. Person 0 is
# everyone: what every home may show (the names of units, job roles, the policy pack).
SESSION = "supervision_supervisionsession"
RECORD = "supervision_supervisionrecord"
BOTH = ("supervisee_id", "supervisor_id")
VIA_SESSION = ((("session_id", SESSION),), BOTH)
VIA_RECORD = ((("record_id", RECORD), ("session_id", SESSION)), BOTH)
CHILD = "casework_child"
RELATIONSHIP = "supervision_supervisoryrelationship"
EVERYONE = ((), None)

PATHS = {
    SESSION: [((), BOTH)],
    "supervision_agendaitem": [VIA_SESSION],
    RECORD: [VIA_SESSION],
    "supervision_action": [((), ("supervisee_id",)), VIA_RECORD],
    "supervision_disagreement": [VIA_RECORD],
    "supervision_amendmentrequest": [VIA_RECORD],
    "supervision_signature": [VIA_RECORD],
    "supervision_finalisedrecord": [VIA_RECORD],
    # And what a record's page shows (supervision.web.views_records: kept while finalised).
    "supervision_recordsection": [VIA_RECORD],
    "supervision_decision": [VIA_RECORD],
    "supervision_actionreview": [VIA_RECORD],
    "supervision_sharedtext": [VIA_RECORD],
    "supervision_addendum": [VIA_RECORD],
    "supervision_recordattachment": [VIA_RECORD],
    "supervision_concern": [
        ((), ("supervisee_id", "supervisor_id", "raised_by_id", "raised_with_id"))
    ],
    "supervision_concernentry": [
        (
            (("concern_id", "supervision_concern"),),
            ("supervisee_id", "supervisor_id", "raised_by_id", "raised_with_id"),
        )
    ],
    "supervision_practiceobservation": [((), ("practitioner_id", "observer_id"))],
    "supervision_observationsignature": [
        (
            (("observation_id", "supervision_practiceobservation"),),
            ("practitioner_id", "observer_id"),
        )
    ],
    "supervision_developmentconversation": [((), ("person_id", "agreed_by_id"))],
    "supervision_conversationsignature": [
        (
            (("conversation_id", "supervision_developmentconversation"),),
            ("person_id", "agreed_by_id"),
        )
    ],
    "supervision_probationreview": [((), ("person_id", "reviewer_id"))],
    RELATIONSHIP: [((), ("supervisor_id", "supervisee_id"))],
    "supervision_staffprofile": [((), ("user_id",))],
    "supervision_user": [((), ("id",))],
    "supervision_user_groups": [((), ("user_id",))],
    "supervision_accessgrant": [((), ("grantee_id", "subject_id"))],
    "supervision_supervisorabsence": [((), ("supervisor_id",))],
    "agreements_supervisionagreement": [
        ((("relationship_id", RELATIONSHIP),), ("supervisor_id", "supervisee_id"))
    ],
    "agreements_agreementsignature": [
        (
            (
                ("agreement_id", "agreements_supervisionagreement"),
                ("relationship_id", RELATIONSHIP),
            ),
            ("supervisor_id", "supervisee_id"),
        )
    ],
    CHILD: [((), ("allocated_worker_id",))],
    "casework_allocation": [((), ("worker_id",))],
    "casework_casenote": [
        ((), ("author_id", "worker_id")),
        ((("child_id", CHILD),), ("allocated_worker_id",)),
    ],
    "casework_frontdoorsession": [((), BOTH)],
    "oversight_flag": [((), ("person_id",)), ((("child_id", CHILD),), ("allocated_worker_id",))],
    "supervision_unit": [EVERYONE],
    "supervision_jobrole": [EVERYONE],
    "supervision_recordtemplate": [EVERYONE],
    "supervision_templatesection": [EVERYONE],
    "auth_group": [EVERYONE],
    "oversight_policypackversion": [EVERYONE],
    "oversight_organisationpolicy": [EVERYONE],
}
# Bookkeeping no page shows: writing it alone notes nobody. The flag job's next checks, and
# the moment of a sign-in (else every sign-in would make the person's home afresh).
BOOKKEEPING = {
    CHILD: {"next_check_at"},
    "supervision_staffprofile": {"next_check_at"},
    "supervision_user": {"last_login"},
}


def selects(table: str, row: str, single_row: bool) -> list[str]:
    """SELECTs of the people a written row is about. `row` names the row: the transition
    table (PostgreSQL, a statement's rows) or NEW/OLD (SQLite, one row)."""
    found = []
    for hops, columns in PATHS[table]:
        if columns is None:
            found.append("SELECT 0 AS person" if single_row else f"SELECT 0 AS person FROM {row}")
            continue
        joins, last, first_key = [], "r", None
        for n, (column, reached) in enumerate(hops):
            alias = f"h{n}"
            if n == 0 and single_row:
                first_key = f"{alias}.id = {row}.{column}"
                joins.append(f"{reached} {alias}")
            elif n == 0:
                joins.append(f"JOIN {reached} {alias} ON {alias}.id = r.{column}")
            else:
                joins.append(f"JOIN {reached} {alias} ON {alias}.id = {last}.{column}")
            last = alias
        for column in columns:
            if not hops:
                source = f"{row}.{column}" if single_row else f"r.{column}"
                found.append(
                    f"SELECT {source} AS person"
                    if single_row
                    else f"SELECT {source} AS person FROM {row} r"
                )
            elif single_row:
                found.append(
                    f"SELECT {last}.{column} AS person FROM {' '.join(joins)} WHERE {first_key}"
                )
            else:
                found.append(f"SELECT {last}.{column} AS person FROM {row} r {' '.join(joins)}")
    return found


def noted(table: str, row: str, single_row: bool) -> str:
    union = " UNION ".join(selects(table, row, single_row))
    return (
        "INSERT INTO oversight_homechange (person_id) "
        f"SELECT DISTINCT person FROM ({union}) AS people WHERE person IS NOT NULL"
    )


def sqlite_update(schema_editor, table: str) -> str:
    """UPDATE, or UPDATE OF the columns a page shows where the table has bookkeeping."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"PRAGMA table_info({table})")
        columns = [row[1] for row in cursor.fetchall()]
    ignored = BOOKKEEPING.get(table, set())
    if not ignored & set(columns):
        return "UPDATE"
    return "UPDATE OF " + ", ".join(c for c in columns if c not in ignored)


def postgresql_update(table: str) -> str:
    """The rows an UPDATE changed, before and after: where the table has bookkeeping, those
    that changed more than it (PostgreSQL allows no column list with transition tables)."""
    if table not in BOOKKEEPING:
        return "SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows"
    ignored = " - ".join(f"'{column}'" for column in sorted(BOOKKEEPING[table]))
    moved = (
        "JOIN old_rows o ON o.id = n.id "
        f"WHERE (to_jsonb(n) - {ignored}) IS DISTINCT FROM (to_jsonb(o) - {ignored})"
    )
    return f"SELECT o.* FROM new_rows n {moved} UNION ALL SELECT n.* FROM new_rows n {moved}"


def trigger_names(table: str) -> list[str]:
    return [f"{table}_notes_homes_{event}" for event in ("insert", "update", "delete")]


def postgresql(schema_editor, table: str):
    insert, update, delete = trigger_names(table)
    function = f"oversight_notes_homes_{table}"
    for suffix, changed, event, referencing in (
        ("", "SELECT * FROM changed_rows", "INSERT", "NEW TABLE AS changed_rows"),
        (
            "_update",
            postgresql_update(table),
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        ),
        ("_delete", "SELECT * FROM changed_rows", "DELETE", "OLD TABLE AS changed_rows"),
    ):
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {function}{suffix}() RETURNS trigger AS $$ BEGIN "
            f"WITH changed AS ({changed}) {noted(table, 'changed', False)}; "
            "RETURN NULL; END; $$ LANGUAGE plpgsql",
            params=None,
        )
        name = {"INSERT": insert, "UPDATE": update, "DELETE": delete}[event]
        schema_editor.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}{suffix}()",
            params=None,
        )


def sqlite(schema_editor, table: str):
    insert, update, delete = trigger_names(table)
    for name, event, body in (
        (insert, "INSERT", noted(table, "NEW", True)),
        (
            update,
            sqlite_update(schema_editor, table),
            noted(table, "OLD", True) + "; " + noted(table, "NEW", True),
        ),
        (delete, "DELETE", noted(table, "OLD", True)),
    ):
        schema_editor.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body}; END", params=None
        )


def triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in PATHS:
        if vendor == "postgresql":
            postgresql(schema_editor, table)
        elif vendor == "sqlite":
            sqlite(schema_editor, table)


def no_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in PATHS:
        insert, update, delete = trigger_names(table)
        if vendor == "postgresql":
            for name in (insert, update, delete):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            for suffix in ("", "_update", "_delete"):
                schema_editor.execute(
                    f"DROP FUNCTION IF EXISTS oversight_notes_homes_{table}{suffix}()"
                )
        elif vendor == "sqlite":
            for name in (insert, update, delete):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


COMPACT_TASK = "Compact the notes kept home pages are checked against"


def hourly_compaction(apps, schema_editor):
    # A database row, as every scheduled job here (see migration 0005): an administrator's to
    # pause or move. Missing a run costs nothing but a longer list of notes for the next.
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    hourly, _ = IntervalSchedule.objects.get_or_create(every=60, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=COMPACT_TASK,
        defaults={
            "task": "oversight.tasks.home_notes_compact",
            "interval": hourly,
            "enabled": True,
            # A run the workers could not take within half an hour is dropped: the next does it.
            "expire_seconds": 30 * 60,
            "description": "Replaces each person's many notes of writes by one, so that a "
            "home page checks few (oversight.reports.home_kept).",
        },
    )


def no_compaction(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=COMPACT_TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0026_earliest_check"),
        ("supervision", "0035_session_no_record"),
        ("agreements", "0001_initial"),
        ("casework", "0009_child_has_been_looked_after"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="HomeChange",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("person_id", models.BigIntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["person_id", "id"], name="oversight_home_person")]
            },
        ),
        migrations.RunPython(triggers, no_triggers),
        migrations.RunPython(hourly_compaction, no_compaction),
    ]
