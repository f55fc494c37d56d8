import json

from django.db import migrations

TASK_NAME = "Close the accounts of people who have left"
TASK = "supervision.tasks.leavers_close"


def schedule(apps, schema_editor):
    # A database row, as in oversight 0005: an administrator may pause or move it in Django
    # admin. 00:05 London, just after the leaving day has ended; clear of the hour the clocks
    # skip in March. The access check refuses a leaver from midnight whether or not it has run.
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="5",
        hour="0",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/London",
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "args": json.dumps([]),
            "kwargs": json.dumps({}),
            "enabled": True,
            "description": "Closes the accounts of people whose leaving day has ended: ends "
            "their sessions, revokes their grants and relationships, and leaves the units "
            "they managed without a manager, telling the manager above (DOMAIN S2).",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0010_dashboard_indexes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
