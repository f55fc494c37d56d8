from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo.synthetic import CHUNK, FLAGS, generate_org, peak_mb
from oversight.policy.choice import NoPolicyPack
from supervision.models import Unit


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--today: {text!r} is not a date such as 2026-03-05") from None


class Command(BaseCommand):
    help = (
        "Build a large synthetic organisation, for measuring the dashboard: a directorate, "
        "services and teams, --staff posts held by a chain of people over --years of history "
        "(turnover, new starters, students), line supervision, agreements, sessions, records, "
        "actions, observations, development and probation, --children children with their "
        "allocations, case notes and closures, quarterly feedback, and the flags. Written in "
        "bulk beside whatever is already here (codes, emails and references carry --prefix). "
        "Everything comes from --seed. Rows are made and written --chunk people (or children) "
        "at a time, by COPY on PostgreSQL, so memory stays about flat whatever the size. "
        + FLAGS.replace("\n", " ")
    )

    def add_arguments(self, parser):
        parser.add_argument("--staff", type=int, required=True, help="posts, each filled today")
        parser.add_argument("--years", type=int, required=True, help="years of history")
        parser.add_argument("--children", type=int, required=True, help="children, open or closed")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", type=parse_day, help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--prefix",
            default="syn",
            help="marks this organisation's unit codes, emails and child references (default syn)",
        )
        parser.add_argument(
            "--turnover", type=float, default=0.13, help="leavers a year per post (default 0.13)"
        )
        parser.add_argument(
            "--evaluate",
            action="store_true",
            help="run the real flag job over the whole history instead of writing the flags "
            "(much slower)",
        )

        parser.add_argument(
            "--chunk",
            type=int,
            default=CHUNK,
            help=f"people (or children) made and written together (default {CHUNK})",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes walking the standards' flags, forked (default 1; 2 on two cores "
            "halves the longest step at national scale)",
        )
        parser.add_argument(
            "--with-triggers",
            action="store_true",
            help="on PostgreSQL, run the tables' triggers for every row written, rather than "
            "hold them off and do their work once for the whole load (which needs a superuser, "
            "or GRANT SET ON PARAMETER session_replication_role; without that right the "
            "triggers run anyway)",
        )
        parser.add_argument(
            "--method",
            choices=["copy", "insert"],
            help="how rows are written: copy (PostgreSQL's default) or insert (SQLite's)",
        )

    def handle(self, *args, **options):
        for name in ("staff", "years", "children"):
            if options[name] < (8 if name == "staff" else 1 if name == "years" else 0):
                raise CommandError(f"--{name}: too small (staff 8 or more, years 1 or more)")
        if options["chunk"] < 1:
            raise CommandError("--chunk: 1 or more")
        if options["workers"] < 1:
            raise CommandError("--workers: 1 or more")
        prefix = options["prefix"]
        if Unit.objects.filter(code=f"{prefix}-dir").exists():
            raise CommandError(
                f"An organisation with the prefix {prefix!r} is already here: choose another "
                "--prefix"
            )
        today = options["today"] or timezone.localdate()
        try:
            result = generate_org(
                staff=options["staff"],
                years=options["years"],
                children=options["children"],
                today=today,
                seed=options["seed"],
                prefix=prefix,
                turnover=options["turnover"],
                evaluate=options["evaluate"],
                chunk=options["chunk"],
                method=options["method"],
                workers=options["workers"],
                hold_triggers=not options["with_triggers"],
                progress=self.progress if options["verbosity"] >= 2 else None,
            )
        except (NoPolicyPack, ValueError) as error:
            raise CommandError(str(error)) from None
        write = self.stdout.write
        write(
            f"Built {prefix!r}: {options['staff']:,} staff, {options['years']} years, "
            f"{options['children']:,} children, to {today:%-d %B %Y}, seed {options['seed']}"
        )
        write("")
        write("Rows made")
        for label, rows in result["counts"].items():
            write(f"  {label:<38}{rows:>12,}")
        write(f"  {'total':<38}{sum(result['counts'].values()):>12,}")
        write("")
        # Wall seconds, this process's CPU seconds (the rest is the database's, or other
        # work on the machine) and its peak memory as each step ended.
        write(f"{'Seconds':<40}{'':>12}{'CPU':>8}  peak MB")
        for step, seconds in result["timings"].items():
            cpu, peak = result["cpu"][step], result["peaks"][step]
            write(f"  {step:<38}{seconds:>12.1f}{cpu:>8.1f}  {peak:>7,.0f}")
        write(f"  {'total':<38}{result['seconds']:>12.1f}")
        write("")
        director = result["director"]
        write(
            f"Top unit {result['directorate'].name!r} (id {result['directorate'].pk}), "
            f"managed by {director.email}"
        )
        write(f"Flags: {'the flag job, walked back' if options['evaluate'] else 'synthetic'}")
        write(
            "Triggers: held off, their work done once for the load"
            if result["triggers_held"]
            else "Triggers: run for every row"
        )
        write(
            f"Peak memory of this process: {peak_mb():,.0f} MB "
            f"(written {options['chunk']:,} at a time)"
        )

    def progress(self, step: str, seconds: float) -> None:
        """-v 2: each step as it ends, for a run of hours."""
        self.stderr.write(f"{seconds:>9.1f} s  {peak_mb():>7,.0f} MB peak  {step} done")
        self.stderr.flush()
