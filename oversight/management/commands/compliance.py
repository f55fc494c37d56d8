import csv
import json
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError

from oversight.flags.compliance import compliance_rows
from oversight.policy.choice import NoPolicyPack
from oversight.policy.due import LONDON
from supervision.models import Unit

FIELDS = ["kind", "staff", "case", "due", "since"]


def parse_as_of(text: str) -> datetime:
    """A date means the end of that day in London; a date and time is London time unless it
    carries its own offset."""
    try:
        if "T" not in text and " " not in text:
            day = datetime.strptime(text, "%Y-%m-%d").date()
            return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=LONDON)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--as-of: {text!r} is not a date (2026-03-05) or a date and time (2026-03-05T14:30)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON)


class Command(BaseCommand):
    help = (
        "Every item overdue at a moment, from facts dated up to then, with the policy pack "
        "version in force that day: one row per item (kind, staff, case, due, since). When the "
        "scheduled job has been running, this equals what the flags table says held then."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="YYYY-MM-DD or YYYY-MM-DDTHH:MM")
        parser.add_argument("--format", choices=["json", "csv"], default="csv")
        parser.add_argument("--unit", help="A unit code: only people and children in it or below")

    def handle(self, *args, **options):
        at = parse_as_of(options["as_of"])
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"--unit: there is no unit with the code {options['unit']!r}")
        try:
            rows = [row.as_dict() for row in compliance_rows(at, unit)]
        except NoPolicyPack as error:
            raise CommandError(str(error)) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        writer = csv.DictWriter(self.stdout, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
