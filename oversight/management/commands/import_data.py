from django.core.management.base import BaseCommand, CommandError

from oversight.records_management import importing
from supervision.models import User


class Command(BaseCommand):
    help = (
        "Import units, staff, supervision arrangements, agreements, sessions, children and case "
        "notes from the CSV files in DIR (README: Importing your data). Everything is checked "
        "first; either all of it is imported or none of it."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", metavar="DIR", help="the folder holding the CSV files")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the files and say what would change, writing nothing",
        )
        parser.add_argument(
            "--by",
            metavar="EMAIL",
            help="the administrator doing the import, named in the audit log",
        )

    def handle(self, *args, folder, dry_run=False, by=None, **options):
        actor = None
        if by:
            actor = User.objects.filter(email__iexact=by.strip(), is_staff=True).first()
            if actor is None:
                raise CommandError(f"There is no system administrator with the email {by}.")
        files, problems = importing.read_folder(folder)
        if not problems:
            try:
                plan = importing.import_files(files, by=actor, dry_run=dry_run)
            except importing.ImportRefused as refused:
                problems = refused.problems
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found: nothing "
                "was imported."
            )
        heading = "Checked, nothing written:" if dry_run else "Imported:"
        self.stdout.write(heading)
        for line in importing.summary_lines(plan.counts(), done=not dry_run):
            self.stdout.write(f"  {line}")
        if plan.new_job_roles:
            verb = "to create" if dry_run else "created"
            self.stdout.write(f"  job roles {verb}: " + ", ".join(sorted(plan.new_job_roles)))
