from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from demo.organisation import DEMO_ACCOUNTS, DEMO_PASSWORD, email_of, load_demo
from demo.quality import load_demo_quality
from oversight.flags.scheduled import tick

DEMO_HISTORY = timedelta(days=400)


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
        # The demo's finalised records and signed agreements are signed PDFs like any others.
        call_command("make_signing_certificate", stdout=self.stdout)
        created = load_demo(timezone.localdate())
        created["quality samples"] = load_demo_quality(timezone.localdate())
        summary = ", ".join(f"{count} {what}" for what, count in created.items())
        self.stdout.write(f"Demo organisation loaded. Created: {summary}.")
        if any(created.values()):
            # The demo brings a year of history: evaluate all of it now, so the dashboard's
            # trends have every month, rather than the 92 days a first tick records.
            result = tick(look_back=DEMO_HISTORY)
            self.stdout.write(
                f"Overdue items evaluated over the last {DEMO_HISTORY.days} days: "
                f"{result.raised + result.recorded} flags ({result.raised} still open)."
            )
        if not quiet_accounts:
            self.stdout.write("")
            self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
            for role, name in DEMO_ACCOUNTS:
                self.stdout.write(f"  {role:<38} {email_of(name)}")
