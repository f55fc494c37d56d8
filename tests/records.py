"""Helpers to build sessions and records in tests."""

from datetime import UTC, date, datetime

from supervision.models import SupervisionRecord, SupervisionSession
from supervision.records import services
from tests.factories import SUPERVISEE_PASSWORD

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


def finalise_with_an_action(world, record) -> SupervisionRecord:
    """Give the supervisee an action on `record`, then share it, sign it as the supervisee and
    finalise it as the supervisor: a finalised record with something still to change."""
    services.action_add(
        record=record,
        description="Read the guidance",
        owner="supervisee",
        owner_name="",
        due_date=date(2026, 3, 20),
        by=world.supervisor,
    )
    services.record_share(record=record, by=world.supervisor)
    services.record_sign(record=record, password=SUPERVISEE_PASSWORD, by=world.supervisee)
    return services.record_finalise(
        record=record, password=SUPERVISEE_PASSWORD, by=world.supervisor
    )
