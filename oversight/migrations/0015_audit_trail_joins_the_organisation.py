# The audit trail's models now belong to the supervision app (its migration 0018); the tables
# stay, so this only tells Django they are no longer the oversight app's.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('oversight', '0014_set_password_link_and_export_reason'),
        ('supervision', '0018_audit_trail_joins_the_organisation'),
    ]

    state_operations = [
        migrations.DeleteModel(
            name='AuditChainHead',
        ),
        migrations.DeleteModel(
            name='AuditEvent',
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
