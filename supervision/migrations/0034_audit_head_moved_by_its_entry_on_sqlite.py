from django.db import migrations

# An audit entry is written in one statement that reads the chain's head and hashes the entry
# from it (supervision.organisation.audit). PostgreSQL moves the head on in the same statement;
# SQLite cannot update inside WITH, so there this trigger moves it on as the entry is written,
# in the same statement and transaction. On SQLite only: PostgreSQL needs no trigger.
SQLITE = [
    (
        "oversight_auditevent_moves_head",
        """CREATE TRIGGER oversight_auditevent_moves_head AFTER INSERT ON oversight_auditevent
        BEGIN
          UPDATE oversight_auditchainhead SET sequence = NEW.sequence, last_hash = NEW.content_hash
           WHERE id = 1;
        END""",
    ),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for _, statement in SQLITE:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for name, _ in SQLITE:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0033_user_details_changed_at")]
    operations = [migrations.RunPython(forwards, backwards)]
