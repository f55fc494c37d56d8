"""Sign a checkpoint of the audit trail now, as the scheduled job does every 15 minutes."""

from django.core.management.base import BaseCommand, CommandError

from supervision.organisation import checkpoints
from supervision.outbox import write_checkpoint_email


class Command(BaseCommand):
    help = "Sign the audit chain's head and append it to the checkpoint log."

    def add_arguments(self, parser):
        parser.add_argument(
            "--public-key",
            action="store_true",
            help="Print the current key's public half (for AUDIT_CHECKPOINT_TRUSTED_KEYS "
            "when rotating it) and take no checkpoint.",
        )

    def handle(self, *args, public_key=False, **options):
        try:
            if public_key:
                key = checkpoints.signing_key().public_key()
                self.stdout.write(checkpoints.public_key_text(key))
                return
            checkpoint = checkpoints.take_checkpoint()
            write_checkpoint_email(checkpoint)
        except checkpoints.CheckpointKeyMissing as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Checkpoint signed at entry #{checkpoint.sequence}: {checkpoint.as_line()}"
        )
