from django.db import migrations

# A scheduled job that has waited in the queue longer than the gap to its next run is dropped
# rather than run late: the next one does the same work (each is safe to run again), and a
# broker that was down for hours must not hand a worker a pile of stale copies at once.
EXPIRE_SECONDS = {
    "oversight.tasks.notifications_send": 5 * 60,
    "oversight.tasks.flags_tick": 15 * 60,
    "supervision.tasks.audit_checkpoint": 15 * 60,
    "oversight.tasks.digests_write": 12 * 60 * 60,
    "oversight.tasks.list_files_due_for_destruction": 12 * 60 * 60,
    "supervision.tasks.leavers_close": 12 * 60 * 60,
}


def expire(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for task, seconds in EXPIRE_SECONDS.items():
        PeriodicTask.objects.filter(task=task).update(expire_seconds=seconds)


def keep(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task__in=list(EXPIRE_SECONDS)).update(expire_seconds=None)


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0022_frozen_rows_on_sqlite"),
        ("oversight", "0016_every_email_through_the_outbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(expire, keep)]
