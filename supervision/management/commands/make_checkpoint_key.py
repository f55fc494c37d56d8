"""Make the Ed25519 key that signs the audit trail's checkpoints."""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from supervision.organisation import checkpoints


class Command(BaseCommand):
    help = (
        "Write a new audit checkpoint key to AUDIT_CHECKPOINT_KEY_FILE (or --path), unless "
        "one is there, and print its public half for AUDIT_CHECKPOINT_TRUSTED_KEYS."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=None)
        parser.add_argument(
            "--print",
            action="store_true",
            dest="print_key",
            help="Print the new key (PEM) for a secret store instead of writing a file; its "
            "public half goes to standard error.",
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing, successfully, when a key is already configured or on disk.",
        )

    def handle(self, *args, path=None, if_missing=False, print_key=False, **options):
        if print_key:
            pem = checkpoints.new_private_key_pem()
            self.stdout.write(pem.decode(), ending="")
            public = serialization.load_pem_private_key(pem, password=None).public_key()
            self.stderr.write(f"Its public key: {checkpoints.public_key_text(public)}")
            return
        path = path or Path(settings.AUDIT_CHECKPOINT_KEY_FILE)
        if path.exists() or (if_missing and settings.AUDIT_CHECKPOINT_KEY):
            if if_missing:
                return
            raise CommandError(f"{path} exists: a key is never overwritten (README, rotation).")
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = checkpoints.new_private_key_pem()
        path.touch(mode=0o600)
        path.write_bytes(pem)
        key = serialization.load_pem_private_key(pem, password=None)
        self.stdout.write(f"Wrote the audit checkpoint key to {path}.")
        self.stdout.write(f"Its public key: {checkpoints.public_key_text(key.public_key())}")
