"""The parts `/healthz/` reports, from the command line: for a container's health check."""

from django.core.management.base import BaseCommand, CommandError

from supervision.web import health


class Command(BaseCommand):
    help = (
        "Report the database, the broker, the scheduler and the workers; fail if any asked "
        "for is down."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            choices=["database", "broker", "scheduler", "workers"],
            action="append",
            default=[],
        )

    def handle(self, *args, only, **options):
        parts = health.report()
        down = []
        for name, (ok, detail) in parts.items():
            if only and name not in only:
                continue
            self.stdout.write(f"{name}: {'ok' if ok else 'down'} ({detail})")
            if not ok:
                down.append(name)
        if down:
            raise CommandError(f"Down: {', '.join(down)}")
