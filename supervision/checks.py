"""System checks of the deployment (`manage.py check --deploy`)."""

from django.core import checks

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
