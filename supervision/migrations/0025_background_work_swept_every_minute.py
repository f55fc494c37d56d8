import json

from django.db import migrations

TASK_NAME = "Queue again background work that was lost"
TASK = "supervision.tasks.background_work_sweep"


def schedule(apps, schema_editor):
    # A database row, as in 0011. Every minute, expiring after one: a PDF whose worker died is
    # made again within a minute of its lease ending, and a run that waited is not run late.
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "interval": every,
            "args": json.dumps([]),
            "kwargs": json.dumps({}),
            "enabled": True,
            "expire_seconds": 60,
            "description": "Queues again the PDFs, exports and subject access exports whose "
            "worker died or whose broker lost them, and fails for good those that have had "
            "their last attempt (README, 'Nothing lost').",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0024_background_work_and_stored_files"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
