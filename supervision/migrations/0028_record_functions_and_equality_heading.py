from django.db import migrations, models

from supervision.records.templates import EQUALITY_VERSIONS, load_new_versions


def forwards(apps, schema_editor):
    # New versions of the individual forms, with the equality heading; records already made
    # keep the version they were made with.
    load_new_versions(
        apps.get_model("supervision", "RecordTemplate"),
        apps.get_model("supervision", "TemplateSection"),
        EQUALITY_VERSIONS,
    )


def field():
    # Nullable without a default: SQLite adds the column in place (ALTER TABLE ADD COLUMN)
    # instead of rebuilding the table, which would drop the triggers that keep a finalised
    # record from changing (0022).
    return models.BooleanField(null=True, blank=True)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0027_record_attachments")]
    operations = [
        migrations.AddField("supervisionrecord", "covers_management", field()),
        migrations.AddField("supervisionrecord", "covers_development", field()),
        migrations.AddField("supervisionrecord", "covers_support", field()),
        migrations.AddField("supervisionrecord", "covers_mediation", field()),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
