"""Helpers to build sessions and records in tests."""

from datetime import UTC, datetime

from supervision.models import SupervisionSession

SESSION_START = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
SESSION_END = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)


def held_session(world, **extra) -> SupervisionSession:
    return SupervisionSession.objects.create(
        supervisee=world.supervisee,
        supervisor=extra.pop("supervisor", world.supervisor),
        session_type=extra.pop("session_type", "individual"),
        starts_at=extra.pop("starts_at", SESSION_START),
        ends_at=extra.pop("ends_at", SESSION_END),
        status=extra.pop("status", SupervisionSession.Status.PLANNED),
        created_by=extra.pop("created_by", world.supervisor),
        **extra,
    )
