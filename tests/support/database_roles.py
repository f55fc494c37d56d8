"""The test suite under two database roles, as a deployment runs (database_roles).

With `MIGRATE_DATABASE_URL` set, test databases are created and migrated by the owner, and the
tests then run as the application role named in `DATABASE_URL`: what the product does in a test
is what it can do in production. `.ci/run` sets both.

Emptying the database between transactional tests is the one thing the tests need that the
application may not do: it is done as the owner, lifting the guards on the evidence for that
one transaction (`ALTER TABLE … DISABLE TRIGGER` on PostgreSQL; dropping and re-creating the
triggers on SQLite, which has no such switch). Tampering tests connect as the owner or as a
superuser explicitly (`owner_connection`, `superuser_connection`).
"""

import os
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from django.db import connections

from supervision.organisation import database_roles

CREDENTIALS = database_roles.CREDENTIALS
_application_credentials: dict = {}


def connect_as_owner() -> None:
    """The default connection, as the owner: for creating and dropping test databases."""
    owner = database_roles.owner_settings()
    connection = connections["default"]
    if owner is None or connection.vendor != "postgresql":
        return
    if not _application_credentials:
        _application_credentials.update(
            {key: connection.settings_dict.get(key) for key in CREDENTIALS}
        )
    connection.close()
    connection.settings_dict.update({key: owner.get(key) for key in CREDENTIALS})


def connect_as_application() -> None:
    connection = connections["default"]
    if not _application_credentials:
        return
    connection.close()
    connection.settings_dict.update(_application_credentials)


def _psycopg_connect(credentials: dict, database: str):
    import psycopg

    return psycopg.connect(
        host=credentials.get("HOST") or "127.0.0.1",
        port=credentials.get("PORT") or 5432,
        user=credentials.get("USER") or None,
        password=credentials.get("PASSWORD") or None,
        dbname=database,
        autocommit=True,
    )


@contextmanager
def owner_connection():
    """A psycopg connection to the test database as the tables' owner."""
    connection = connections["default"]
    owner = database_roles.owner_settings() or connection.settings_dict
    with _psycopg_connect(owner, connection.settings_dict["NAME"]) as raw:
        yield raw


@contextmanager
def superuser_connection():
    """A psycopg connection to the test database as a PostgreSQL superuser
    (DATABASE_SUPERUSER_URL, or the postgres role on the same server)."""
    import psycopg

    parts = urlsplit(database_roles.default_superuser_url())
    url = urlunsplit(parts._replace(path="/" + connections["default"].settings_dict["NAME"]))
    with psycopg.connect(url, autocommit=True) as raw:
        yield raw


def _postgres_flush(self, sql_list):
    """TRUNCATE every table as the owner, with the TRUNCATE guards lifted in the same
    transaction, so no other session ever sees them off."""
    with owner_connection() as raw, raw.transaction():
        guards = raw.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE tgname LIKE '%%\\_no\\_truncate'"
        ).fetchall()
        for table, trigger in guards:
            raw.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{trigger}"')
        for sql in sql_list:
            raw.execute(sql)
        for table, trigger in guards:
            raw.execute(f'ALTER TABLE {table} ENABLE TRIGGER "{trigger}"')


@contextmanager
def _sqlite_triggers_lifted(cursor):
    """SQLite has no switch for triggers: they are dropped, and put back as they were."""
    cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    triggers = cursor.fetchall()
    for name, _ in triggers:
        cursor.execute(f'DROP TRIGGER "{name}"')
    yield
    for _, sql in triggers:
        cursor.execute(sql)


def _sqlite_flush_with_guards_lifted(self, sql_list):
    from django.db import transaction

    with (
        transaction.atomic(using=self.connection.alias),
        self.connection.cursor() as cursor,
        _sqlite_triggers_lifted(cursor),
    ):
        _django_sqlite_flush(self, sql_list)


_django_sqlite_flush = None


def install_flush_as_owner() -> None:
    global _django_sqlite_flush
    from django.db.backends.postgresql import base as postgresql
    from django.db.backends.sqlite3 import base as sqlite

    postgresql.DatabaseOperations.execute_sql_flush = _postgres_flush
    _django_sqlite_flush = sqlite.DatabaseOperations.execute_sql_flush
    sqlite.DatabaseOperations.execute_sql_flush = _sqlite_flush_with_guards_lifted


def two_roles() -> bool:
    return bool(os.environ.get("MIGRATE_DATABASE_URL"))


def tamper(*statements, who: str = "superuser") -> None:
    """Run SQL below the application with the evidence's triggers off, as someone who has the
    database rather than the application's password would: a PostgreSQL superuser (every
    trigger off for the session) or the tables' owner (each trigger disabled with ALTER
    TABLE), or, on SQLite, someone with the file (the triggers dropped and put back).

    Each statement is (sql, params). On PostgreSQL the rows must be committed first: the
    tampering happens on a connection of its own, so use a transactional test."""
    connection = connections["default"]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor, _sqlite_triggers_lifted(cursor):
            for sql, params in statements:
                cursor.execute(sql, params)
        return
    opener = superuser_connection if who == "superuser" else owner_connection
    with opener() as raw, raw.transaction():
        if who == "superuser":
            raw.execute("SET LOCAL session_replication_role = replica")
        else:
            for table in ("oversight_auditevent", "oversight_auditchainhead"):
                raw.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for sql, params in statements:
            raw.execute(sql, params)
        if who != "superuser":
            for table in ("oversight_auditevent", "oversight_auditchainhead"):
                raw.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
