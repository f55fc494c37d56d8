import json

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TASK_NAME = "List children's case notes due for destruction"
TASK = "oversight.tasks.list_case_notes_due_for_destruction"


def daily_listing(apps, schema_editor):
    # As oversight 0005: a row the administrator may pause or move, not a settings schedule.
    # 02:45 London time, after the staff files' listing at 02:30 and clear of the hour the
    # clocks skip in March.
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="45",
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
            # As the staff files' listing (supervision 0023): a run the workers did not take
            # within 12 hours is dropped, and the next night's does the work.
            "expire_seconds": 12 * 60 * 60,
            "description": "Lists children whose case notes are past the policy pack's "
            "retention date. Destroys nothing: an administrator confirms each child.",
        },
    )


def remove_daily_listing(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0009_child_has_been_looked_after'),
        ('oversight', '0022_standards_in_stored_packs'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseNotesDue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date_of_birth', models.DateField()),
                ('been_looked_after', models.BooleanField()),
                ('due_on', models.DateField()),
                ('listed_for', models.DateField(help_text="The day the job judged 'due' against.")),
                ('listed_at', models.DateTimeField()),
                ('destroyed_at', models.DateTimeField(blank=True, null=True)),
                ('withdrawn_at', models.DateTimeField(blank=True, null=True)),
                ('withdrawn_reason', models.CharField(blank=True, max_length=300)),
                ('child', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='casework.child')),
                ('confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name_plural': 'case notes due',
                'ordering': ['due_on', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='DestroyedCaseNotes',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('child_reference', models.CharField(max_length=30)),
                ('due_on', models.DateField()),
                ('destroyed_at', models.DateTimeField()),
                ('counts', models.JSONField(default=dict, help_text='Rows destroyed or cleared, by kind.')),
                ('files_removed', models.PositiveIntegerField(default=0)),
                ('child', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='casework.child')),
                ('destroyed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('listing', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='tombstone', to='oversight.casenotesdue')),
            ],
            options={
                'verbose_name_plural': 'destroyed case notes',
                'ordering': ['-destroyed_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='CaseNoteHold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.CharField(max_length=500)),
                ('placed_at', models.DateTimeField()),
                ('lifted_at', models.DateTimeField(blank=True, null=True)),
                ('lift_reason', models.CharField(blank=True, max_length=500)),
                ('child', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='casework.child')),
                ('lifted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('placed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-placed_at', '-pk'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('lifted_at__isnull', True)), fields=('child',), name='one_active_case_note_hold_per_child')],
            },
        ),
        migrations.AddConstraint(
            model_name='casenotesdue',
            constraint=models.UniqueConstraint(condition=models.Q(('withdrawn_at__isnull', True)), fields=('child',), name='one_open_case_note_listing_per_child'),
        ),
        migrations.RunPython(daily_listing, remove_daily_listing),
    ]
