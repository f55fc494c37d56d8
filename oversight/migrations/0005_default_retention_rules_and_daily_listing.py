import json

from django.db import migrations

KINDS = [
    "supervision_record",
    "session",
    "agreement",
    "observation",
    "development",
    "probation",
    "wellbeing",
]
TASK_NAME = "List supervision files due for destruction"
TASK = "oversight.tasks.list_files_due_for_destruction"


def default_rules(apps, schema_editor):
    # Rule S2, from Surrey's policy: kept 7 years after the employee's departure. An
    # administrator may set a longer period per kind (25 years where a council keeps files of
    # staff who work with children that long); rows that exist are left as the administrator
    # set them.
    RetentionRule = apps.get_model("oversight", "RetentionRule")
    for kind in KINDS:
        RetentionRule.objects.get_or_create(kind=kind, defaults={"years_after_leaving": 7})


def daily_listing(apps, schema_editor):
    # A database row rather than CELERY_BEAT_SCHEDULE: the project runs beat with the
    # DatabaseScheduler, which copies a settings schedule over the database at every start,
    # undoing an administrator who paused or moved the job in Django admin. A row created
    # once is theirs to change, and exists in every deployment that has migrated.
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # 02:30 London time, outside working hours and clear of the 01:00–02:00 hour the clocks
    # skip in March: a job at 01:30 would not run that night.
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="2",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/London",
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "crontab": schedule,
            "args": json.dumps([]),
            "kwargs": json.dumps({}),
            "enabled": True,
            "description": "Lists leavers' files due for destruction (DOMAIN S2). Destroys "
            "nothing: an administrator confirms each one.",
        },
    )


def remove_daily_listing(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0004_retention_and_subject_access"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        migrations.RunPython(default_rules, migrations.RunPython.noop),
        migrations.RunPython(daily_listing, remove_daily_listing),
    ]
