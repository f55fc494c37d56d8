from django.db import migrations

from supervision.records.templates import load_new_versions


def forwards(apps, schema_editor):
    load_new_versions(
        apps.get_model("supervision", "RecordTemplate"),
        apps.get_model("supervision", "TemplateSection"),
    )


class Migration(migrations.Migration):
    dependencies = [("supervision", "0013_record_template_versions_next_session")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
