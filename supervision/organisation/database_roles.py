"""Two PostgreSQL roles: the owner, which runs migrations and owns every table, and the
application role, which the web, the workers and beat connect as (README, "Database roles").

The application role owns nothing, so it cannot ALTER a table, switch its triggers off or
TRUNCATE it, and on the audit trail it may only INSERT and SELECT: what the application can do
to the evidence is what a person who steals its password can do, and that is add to it.

`DATABASE_URL` names the application role; `MIGRATE_DATABASE_URL` the owner. With no
`MIGRATE_DATABASE_URL` (SQLite, or one role for everything) nothing here changes anything.
"""

import os
from contextlib import contextmanager

from django.conf import settings
from django.db import connections

# Tables the application may only add to and read. The others that hold frozen content
# (finalised records, signed agreements, signatures) are refused changes by their triggers,
# but the application role keeps DELETE on them for destruction at the end of retention.
APPEND_ONLY_TABLES = ["oversight_auditevent"]

CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


def owner_settings() -> dict | None:
    """The owner's connection settings, when the deployment has two roles."""
    owner = getattr(settings, "MIGRATION_DATABASE", None)
    if not owner or not owner.get("ENGINE", "").endswith("postgresql"):
        return None
    return owner


def application_role() -> str | None:
    """The role the application connects as, when it differs from the owner."""
    owner = owner_settings()
    app_user = settings.APPLICATION_DATABASE_ROLE
    if owner is None or not app_user or app_user == owner.get("USER"):
        return None
    return app_user


@contextmanager
def connected_as_owner(alias: str = "default"):
    """The connection `alias`, reconnected as the owner for the duration: for migrations and
    for creating test databases. The database name stays the connection's own, which in the
    test suite is the test database's."""
    owner = owner_settings()
    connection = connections[alias]
    if owner is None or connection.vendor != "postgresql":
        yield connection
        return
    saved = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
    connection.close()
    connection.settings_dict.update({key: owner.get(key) for key in CREDENTIALS})
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def grant_application_role(connection) -> str | None:
    """Give the application role what it needs on every table the owner has made, and no
    more. Run as the owner after each migration; returns the role, or None with one role."""
    role = application_role()
    if role is None or connection.vendor != "postgresql":
        return None
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        database = connection.ops.quote_name(connection.settings_dict["NAME"])
        cursor.execute(f"GRANT CONNECT ON DATABASE {database} TO {quoted}")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        for table in APPEND_ONLY_TABLES:
            cursor.execute(
                f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {quoted}"
            )
    return role


class RoleError(Exception):
    pass


def default_superuser_url() -> str:
    """DATABASE_SUPERUSER_URL, or the postgres role on the application's server."""
    if os.environ.get("DATABASE_SUPERUSER_URL"):
        return os.environ["DATABASE_SUPERUSER_URL"]
    app = settings.DATABASES["default"]
    return (
        f"postgres://postgres@{app.get('HOST') or '127.0.0.1'}:{app.get('PORT') or 5432}/postgres"
    )


def create_roles_and_database(superuser_url: str, owner: dict, app: dict) -> list[str]:
    """Create what is missing: the owner (who may create databases, for the test suite's),
    the application role (who may do nothing but log in), and the database, owned by the
    owner. A role that exists keeps its attributes, except that neither may be a superuser."""
    import psycopg
    from psycopg import sql

    done = []
    try:
        server = psycopg.connect(superuser_url, autocommit=True)
    except psycopg.Error as error:
        raise RoleError(f"Cannot connect as a superuser to create the roles: {error}") from error
    with server:
        for role, attributes in (
            (owner, "LOGIN CREATEDB NOSUPERUSER NOCREATEROLE"),
            (app, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"),
        ):
            name = role["USER"]
            found = server.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone()
            verb = "ALTER" if found else "CREATE"
            server.execute(sql.SQL(f"{verb} ROLE {{}} {attributes}").format(sql.Identifier(name)))
            if role.get("PASSWORD"):
                server.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        sql.Identifier(name), sql.Literal(role["PASSWORD"])
                    )
                )
            done.append(f"Role {name}: {'kept' if found else 'created'}.")
        database = app["NAME"]
        found = server.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database]
        ).fetchone()
        if not found:
            server.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(database), sql.Identifier(owner["USER"])
                )
            )
        else:
            server.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(database), sql.Identifier(owner["USER"])
                )
            )
        done.append(
            f"Database {database}: {'owned by' if found else 'created for'} {owner['USER']}."
        )
    return done


def application_role_problems(connection) -> list[str]:
    """What the connected role could do to the evidence that it should not: empty when it is
    the application role this module sets up."""
    if connection.vendor != "postgresql":
        return []
    problems = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            problems.append("it is a superuser")
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
            "AND tableowner = current_user"
        )
        owned = cursor.fetchone()[0]
        if owned:
            problems.append(f"it owns {owned} tables")
        for table in APPEND_ONLY_TABLES:
            for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
                cursor.execute(
                    "SELECT has_table_privilege(current_user, %s, %s)", [table, privilege]
                )
                if cursor.fetchone()[0]:
                    problems.append(f"it may {privilege} {table}")
    return problems
