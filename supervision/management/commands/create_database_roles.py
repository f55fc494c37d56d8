"""Create the two PostgreSQL roles and the database, once, as a database superuser."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from supervision.organisation import database_roles


class Command(BaseCommand):
    help = (
        "Create the owner role (MIGRATE_DATABASE_URL), the application role (DATABASE_URL) "
        "and the database, owned by the owner. Safe to run again: what exists is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--superuser-url",
            default=database_roles.default_superuser_url(),
            help="A PostgreSQL superuser's URL (default: DATABASE_SUPERUSER_URL, or the "
            "postgres role on DATABASE_URL's server).",
        )

    def handle(self, *args, superuser_url, **options):
        if database_roles.owner_settings() is None:
            raise CommandError("Set MIGRATE_DATABASE_URL to the owner role's PostgreSQL URL.")
        if database_roles.application_role() is None:
            raise CommandError(
                "DATABASE_URL must name a role other than MIGRATE_DATABASE_URL's: "
                "the application must not own its tables."
            )
        try:
            done = database_roles.create_roles_and_database(
                superuser_url, database_roles.owner_settings(), settings.DATABASES["default"]
            )
        except database_roles.RoleError as error:
            raise CommandError(str(error)) from error
        for line in done:
            self.stdout.write(line)
