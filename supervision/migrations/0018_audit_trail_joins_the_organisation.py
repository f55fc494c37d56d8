# The audit trail's models move from the oversight app to the organisation's bottom layer.
# Only Django's idea of where they live changes: the tables, their indexes and the PostgreSQL
# trigger that keeps the log append-only stay as they are (db_table keeps the old names).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0017_form_drafts'),
        ('oversight', '0014_set_password_link_and_export_reason'),
    ]

    state_operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sequence', models.PositiveBigIntegerField(default=0)),
                ('last_hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
            ],
            options={
                'db_table': 'oversight_auditchainhead',
            },
        ),
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sequence', models.PositiveBigIntegerField(editable=False, unique=True)),
                ('occurred_at', models.DateTimeField(editable=False)),
                ('action', models.CharField(choices=[('sign_in', 'Signed in'), ('sign_in_failed', 'Sign-in failed'), ('sign_out', 'Signed out'), ('read', 'Read'), ('write', 'Changed'), ('denied', 'Access denied'), ('export', 'Exported'), ('download', 'Downloaded')], max_length=20)),
                ('object_type', models.CharField(blank=True, max_length=50)),
                ('object_id', models.CharField(blank=True, max_length=64)),
                ('path', models.CharField(blank=True, max_length=500)),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True)),
                ('detail', models.JSONField(blank=True, default=dict)),
                ('previous_hash', models.CharField(editable=False, max_length=64)),
                ('content_hash', models.CharField(editable=False, max_length=64)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('subject', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'oversight_auditevent',
                'ordering': ['-sequence'],
                'indexes': [models.Index(fields=['subject', '-sequence'], name='oversight_a_subject_3b95a8_idx'), models.Index(fields=['actor', '-sequence'], name='oversight_a_actor_i_74d81d_idx')],
            },
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
