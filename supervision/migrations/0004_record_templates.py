from django.db import migrations

from supervision.records.templates import load_templates


def forwards(apps, schema_editor):
    load_templates(apps.get_model("supervision", "RecordTemplate"), apps.get_model("supervision", "TemplateSection"))


class Migration(migrations.Migration):
    dependencies = [("supervision", "0003_sessions_and_records")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
