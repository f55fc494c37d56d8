import json
from pathlib import Path

from django.db import migrations

PACKS_DIR = Path(__file__).resolve().parent.parent / "policy" / "packs"
TASK_NAME = "Raise and resolve overdue flags"
TASK = "oversight.tasks.flags_tick"
SEND_NAME = "Send notifications"
SEND_TASK = "oversight.tasks.notifications_send"
DIGEST_NAME = "Daily and weekly digests"
DIGEST_TASK = "oversight.tasks.digests_write"


def install_packs(apps, schema_editor):
    # The packs as shipped today become version rows; later edits are new versions made by an
    # administrator, so re-running this never overwrites what they changed.
    PolicyPackVersion = apps.get_model("oversight", "PolicyPackVersion")
    OrganisationPolicy = apps.get_model("oversight", "OrganisationPolicy")
    for path in sorted(PACKS_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        PolicyPackVersion.objects.get_or_create(
            code=data["code"],
            version=data["version"],
            defaults={
                "name": data["name"],
                "effective_from": data["effective_from"],
                "data": data,
            },
        )
    # Kent's pack until an administrator chooses another.
    if not OrganisationPolicy.objects.exists():
        OrganisationPolicy.objects.create(pack_code="kent")


def schedule_jobs(apps, schema_editor):
    # Database rows, as in 0005: an administrator may pause or move them in Django admin.
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_15, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    every_5, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    # 07:00 London: digests are in the inbox at the start of the working day.
    morning, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="7",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/London",
    )
    for name, task, schedule, description in [
        (
            TASK_NAME,
            TASK,
            {"interval": every_15},
            "Raises a flag when something becomes "
            "overdue and resolves it when the awaited fact arrives (issue 7).",
        ),
        (SEND_NAME, SEND_TASK, {"interval": every_5}, "Sends the emails waiting in the outbox."),
        (
            DIGEST_NAME,
            DIGEST_TASK,
            {"crontab": morning},
            "Writes daily digests, and on Mondays the weekly digest for senior managers.",
        ),
    ]:
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "args": json.dumps([]),
                "kwargs": json.dumps({}),
                "enabled": True,
                "description": description,
                **schedule,
            },
        )


def unschedule_jobs(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[TASK_NAME, SEND_NAME, DIGEST_NAME]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0008_policy_packs_flags_notifications"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        migrations.RunPython(install_packs, migrations.RunPython.noop),
        migrations.RunPython(schedule_jobs, unschedule_jobs),
    ]
