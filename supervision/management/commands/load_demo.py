from django.core.management.base import BaseCommand
from django.utils import timezone

from supervision.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, email_of, load_demo


class Command(BaseCommand):
    help = (
        "Load the fictional Northshire demo organisation. "
        "Safe to run again: it adds only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiet-accounts", action="store_true", help="Do not list the demo sign-ins."
        )

    def handle(self, *args, quiet_accounts=False, **options):
        created = load_demo(timezone.localdate())
        summary = ", ".join(f"{count} {what}" for what, count in created.items())
        self.stdout.write(f"Demo organisation loaded. Created: {summary}.")
        if not quiet_accounts:
            self.stdout.write("")
            self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
            for role, name in DEMO_ACCOUNTS:
                self.stdout.write(f"  {role:<38} {email_of(name)}")
