import json

from django.db import migrations

TASK_NAME = "Sign a checkpoint of the audit trail"
TASK = "supervision.tasks.audit_checkpoint"


def schedule(apps, schema_editor):
    # A database row, as in 0011: an administrator may move it in Django admin. Every 15
    # minutes: entries written since the last checkpoint are protected by the chain alone, so
    # this is the longest that someone with the database could rewrite them unseen.
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "interval": every,
            "args": json.dumps([]),
            "kwargs": json.dumps({}),
            "enabled": True,
            "description": "Signs the audit chain's head with the checkpoint key and appends it "
            "to the checkpoint log outside the database (README, 'The audit trail').",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0020_evidence_refuses_truncate"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
