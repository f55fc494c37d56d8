"""Writing and verifying the audit trail. Every read of a file or record, every write, every
sign-in and every denied access goes through `record`."""

from django.conf import settings
from django.db import connection, transaction
from django.db.models import signals
from django.utils import timezone

from supervision.models.audit import AuditAction, AuditEvent

__all__ = ["AuditAction", "record", "client_address"]


def client_address(request) -> str | None:
    """The client's address. Behind `TRUSTED_PROXY_COUNT` proxies that each append the address
    they saw to X-Forwarded-For, that is the entry the first of them appended; anything
    before it the client may have written itself. With none, the TCP peer."""

    if request is None:
        return None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        forwarded = [entry.strip() for entry in forwarded if entry.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    request=None,
    actor=None,
    object_type: str = "",
    object_id="",
    subject=None,
    detail: dict | None = None,
) -> AuditEvent:
    """Write one entry, chained to the one before it, and return it once it is kept. The
    moment is taken before the head is locked, so two entries written at once may show their
    moments a few milliseconds out of the order of their sequence; the chain's order is the
    sequence's."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if action == AuditAction.DENIED and request is not None:
        request._refusal_audited = True
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id != "" else "",
        subject=subject,
        path=(request.get_full_path()[:500] if request is not None else ""),
        ip_address=client_address(request),
        detail=detail or {},
    )
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # The statement is its own transaction, committed before it returns: the head is
        # locked for that one round trip, and a page is never shown before its entry is kept.
        _save(event)
    else:
        # Inside a caller's transaction, a savepoint keeps it usable should the entry fail;
        # on SQLite, BEGIN IMMEDIATE takes the write lock before the head is read.
        with transaction.atomic():
            _save(event)
    return event


def _save(event: AuditEvent) -> None:
    """As `event.save()` would, signals included (the flags mark what an audited write
    touched: oversight.flags.signals), but written by `_append`."""
    signals.pre_save.send(
        sender=AuditEvent, instance=event, raw=False, using=connection.alias, update_fields=None
    )
    event.pk, event.sequence, event.previous_hash, event.content_hash = _append(event)
    event._state.adding = False
    event._state.db = connection.alias
    signals.post_save.send(
        sender=AuditEvent,
        instance=event,
        created=True,
        update_fields=None,
        raw=False,
        using=connection.alias,
    )


# The columns the entry brings; the head gives the sequence and the previous hash, and the
# content hash is made from all of them.
_COLUMNS = [
    "occurred_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "subject",
    "path",
    "ip_address",
    "detail",
]
_CASTS = {
    "occurred_at": "::timestamptz",
    "actor": "::bigint",
    "subject": "::bigint",
    "ip_address": "::inet",
    "detail": "::jsonb",
}

# PostgreSQL: lock the head (reading its newest values after any writer before has committed),
# move it on by one with the new entry's hash, and write the entry, in one statement.
_APPEND_POSTGRESQL = """
WITH previous AS (
    SELECT sequence, last_hash FROM oversight_auditchainhead WHERE id = 1 FOR UPDATE
), moved AS (
    UPDATE oversight_auditchainhead AS head
       SET sequence = previous.sequence + 1,
           last_hash = encode(sha256(convert_to(
               %s || previous.last_hash || '","sequence":' || (previous.sequence + 1)::text || %s,
               'UTF8')), 'hex')
      FROM previous
     WHERE head.id = 1
    RETURNING head.sequence, head.last_hash, previous.last_hash AS previous_hash
)
INSERT INTO oversight_auditevent ({columns}, sequence, previous_hash, content_hash)
SELECT {values}, moved.sequence, moved.previous_hash, moved.last_hash FROM moved
RETURNING id, sequence, previous_hash, content_hash
"""

# SQLite: one writer at a time holds the whole file; the entry is written from the head, and
# the head moved on by the trigger supervision 0034 made (SQLite has no UPDATE inside WITH).
_APPEND_SQLITE = """
INSERT INTO oversight_auditevent ({columns}, sequence, previous_hash, content_hash)
SELECT {values}, sequence + 1, last_hash,
       SHA256(%s || last_hash || '","sequence":' || (sequence + 1) || %s)
  FROM oversight_auditchainhead WHERE id = 1
RETURNING id, sequence, previous_hash, content_hash
"""


def _append(event: AuditEvent) -> tuple:
    """Write `event` as the next entry of the chain, in one statement; (pk, sequence,
    previous hash, content hash). The hash is the one `AuditEvent.compute_hash` gives, the
    database putting the previous hash and the sequence into the entry's canonical text."""
    fields = [AuditEvent._meta.get_field(name) for name in _COLUMNS]
    values = [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields]
    before, after = event.content_around_the_link()
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    postgresql = connection.vendor == "postgresql"
    casts = [_CASTS.get(name, "") if postgresql else "" for name in _COLUMNS]
    template = _APPEND_POSTGRESQL if postgresql else _APPEND_SQLITE
    sql = template.format(columns=columns, values=", ".join(f"%s{cast}" for cast in casts))
    params = [before, after, *values] if postgresql else [*values, before, after]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
