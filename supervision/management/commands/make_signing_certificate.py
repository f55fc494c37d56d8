from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from supervision.records.pdf_signing import make_signing_certificate


class Command(BaseCommand):
    help = (
        "Make a self-signed certificate and key that sign PDFs as the organisation, at "
        "RECORD_SIGNING_CERTIFICATE, if there is none. For trying the service out: a council "
        "uses a certificate from its own PKI or a document-signing certificate authority."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the certificate already there. PDFs signed with it stay signed, "
            "but the check page no longer recognises them as this organisation's.",
        )

    def handle(self, *args, force=False, **options):
        path = Path(settings.RECORD_SIGNING_CERTIFICATE)
        if path.exists() and not force:
            self.stdout.write(
                f"A signing certificate is already at {path}; it is kept (--force replaces it)."
            )
            return
        make_signing_certificate(
            path, settings.ORGANISATION_NAME, settings.RECORD_SIGNING_PASSPHRASE
        )
        self.stdout.write(
            f"Made a self-signed signing certificate for {settings.ORGANISATION_NAME} at "
            f"{path}, valid for 10 years. PDF readers will say its issuer is not trusted: "
            "a council uses a certificate from its own PKI instead."
        )
