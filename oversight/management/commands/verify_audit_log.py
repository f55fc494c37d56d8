from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import dateformat, timezone

from supervision.organisation.audit_verification import verify_audit_trail


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain from the first entry to the last, and against the "
        "signed checkpoints kept outside the database. Exits non-zero and names every break."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint-log",
            type=Path,
            help="A copy of the checkpoint log to check against (default: "
            "AUDIT_CHECKPOINT_LOG), for example one gathered from syslog or email.",
        )

    def handle(self, *args, checkpoint_log=None, **options):
        report = verify_audit_trail(checkpoint_log)
        if not report.ok:
            lines = [f"- {finding.kind}: {finding.message}" for finding in report.findings]
            raise CommandError(
                f"The audit log is not intact ({report.checked} entries read):\n" + "\n".join(lines)
            )
        latest = report.latest_checkpoint
        if latest is None:
            self.stdout.write(
                f"Audit log intact: {report.checked} entries checked. No signed checkpoint "
                "was found, so the chain was checked only against itself."
            )
            return
        taken = dateformat.format(timezone.localtime(latest.taken), "j F Y, H:i")
        held = report.checkpoints_held
        self.stdout.write(
            f"Audit log intact: {report.checked} entries checked against {held} signed "
            f"checkpoint{'s' if held != 1 else ''} (the latest, of {taken}, signed entry "
            f"#{latest.sequence})."
        )
