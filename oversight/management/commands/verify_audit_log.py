from django.core.management.base import BaseCommand, CommandError

from supervision.organisation.audit import verify_chain


class Command(BaseCommand):
    help = "Check the audit log's hash chain from the first entry to the last."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit log broken at entry {report.broken_at}: {report.reason}. "
                f"{report.checked} entries before it are intact."
            )
        self.stdout.write(f"Audit log intact: {report.checked} entries checked.")
