"""`migrate`, run as the tables' owner when `MIGRATE_DATABASE_URL` names one, then granting the
application role what it needs on whatever the migrations made (database_roles)."""

from django.core.management.commands.migrate import Command as DjangoMigrate

from supervision.organisation import database_roles


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        with database_roles.connected_as_owner(options["database"]) as connection:
            super().handle(*args, **options)
            role = database_roles.grant_application_role(connection)
        if role and options["verbosity"] >= 1:
            self.stdout.write(f"Granted the application role {role} what it needs.")
