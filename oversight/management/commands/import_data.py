from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from oversight.models import PolicyPackVersion
from oversight.records_management import importing
from supervision.models import User


def _pack_choice(code: str | None, day: str | None) -> tuple[str, date] | None:
    if code is None:
        if day is not None:
            raise CommandError("--pack-from: name the pack with --pack as well.")
        return None
    code = code.strip().lower()
    known = sorted(set(PolicyPackVersion.objects.values_list("code", flat=True)))
    if code not in known:
        raise CommandError(
            f"--pack: there is no policy pack {code!r}; choose one of: " + ", ".join(known)
        )
    if day is None:
        return code, timezone.localdate()
    try:
        return code, importing.parse_date(day)
    except ValueError:
        raise CommandError(f"--pack-from: {day!r} is not a date such as 2025-01-01.") from None


class Command(BaseCommand):
    help = (
        "Import units, staff, supervision arrangements, agreements, sessions, children, their "
        "allocation and risk histories, and case notes from the CSV files in DIR (README: "
        "Importing your data). Everything is checked first; either all of it is imported or "
        "none of it."
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

        parser.add_argument(
            "--pack",
            metavar="CODE",
            help="the policy pack the organisation runs (kent, surrey, ...), chosen before the "
            "files are checked, so their history is judged by it",
        )
        parser.add_argument(
            "--pack-from",
            metavar="DATE",
            help="the day the pack runs from, such as 2025-01-01 (today if not given): every "
            "day of the history from it is judged by that pack",
        )

    def handle(self, *args, folder, dry_run=False, by=None, pack=None, pack_from=None, **options):
        actor = None
        if by:
            actor = User.objects.filter(email__iexact=by.strip(), is_staff=True).first()
            if actor is None:
                raise CommandError(f"There is no system administrator with the email {by}.")
        chosen = _pack_choice(pack, pack_from)
        files, problems = importing.read_folder(folder)
        if not problems:
            try:
                plan = importing.import_files(files, by=actor, dry_run=dry_run, pack=chosen)
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
        if chosen is not None:
            code, day = chosen
            verb = "to run" if dry_run else "runs"
            self.stdout.write(
                f"  policy pack: the organisation {verb} {code} from {day.day} {day:%B %Y}"
            )
        if plan.new_job_roles:
            verb = "to create" if dry_run else "created"
            self.stdout.write(f"  job roles {verb}: " + ", ".join(sorted(plan.new_job_roles)))
