from django.core.management.base import BaseCommand, CommandError

from oversight.reports.dashboard_check import (
    finalised_record_differences,
    session_marker_differences,
    summary_differences,
)


class Command(BaseCommand):
    help = (
        "Recount what the dashboard reads from kept figures and compare: each finalised "
        "record's row (FinalisedRecord: its supervisee, when it was finalised, reflection and "
        "wellbeing asked and completed, the functions of supervision covered) against the "
        "record, its session and its sections; and each stored summary of a unit's closed month "
        "(DashboardSummary) against a recount of that unit and month; and each session's marker "
        "of having no record yet (the homes' sessions to write up) against its records. Prints "
        "what differs and fails if anything does."
    )

    def handle(self, *args, **options):
        problems = (
            finalised_record_differences() + summary_differences() + session_marker_differences()
        )
        for line in problems:
            self.stdout.write(line)
        if problems:
            raise CommandError(
                f"The dashboard's kept figures differ from a recount ({len(problems)} shown)"
            )
        self.stdout.write("The dashboard's kept figures equal a full recount.")
