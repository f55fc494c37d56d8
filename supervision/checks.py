"""System checks of the deployment (`manage.py check --deploy`)."""

from django.conf import settings
from django.core import checks

from supervision.organisation import checkpoints, database_roles
from supervision.records.pdf_signing import certificate_problem


@checks.register(checks.Tags.security, deploy=True)
def signing_certificate_check(app_configs, **kwargs):
    """Production signs every finalised record's PDF: without a certificate it can issue
    none, so the deployment is refused before the first record is finalised."""
    problem = certificate_problem()
    if problem is None:
        return []
    return [
        checks.Error(
            problem,
            hint=(
                "Set RECORD_SIGNING_CERTIFICATE to the organisation's PKCS#12 file and "
                'RECORD_SIGNING_PASSPHRASE to its passphrase (README, "Signed PDFs").'
            ),
            id="supervision.E001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def audit_checkpoint_key_check(app_configs, **kwargs):
    """Without its key no checkpoint is signed, and the audit trail is checked only against
    itself: someone with the database could rewrite it unseen."""
    try:
        checkpoints.signing_key()
    except (checkpoints.CheckpointKeyMissing, ValueError) as error:
        return [
            checks.Error(
                f"The audit trail's checkpoints cannot be signed: {error}",
                hint='Set AUDIT_CHECKPOINT_KEY (README, "The audit trail").',
                id="supervision.E002",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def database_roles_check(app_configs, **kwargs):
    """With PostgreSQL the application should not connect as the role that owns its tables:
    that role can switch the triggers off and rewrite the evidence."""
    engine = settings.DATABASES["default"].get("ENGINE", "")
    if not engine.endswith("postgresql") or database_roles.application_role():
        return []
    return [
        checks.Warning(
            "The application connects to PostgreSQL as the role that runs its migrations, so "
            "it owns its tables and could switch off the triggers that keep the evidence.",
            hint="Set MIGRATE_DATABASE_URL to the owner role and DATABASE_URL to an "
            'application role that owns nothing (README, "Database roles").',
            id="supervision.W003",
        )
    ]
