"""Finalised records and quality samples for tests."""

from datetime import UTC, date, datetime, timedelta

import time_machine

from supervision.models import RecordSection, RecordTemplate, SupervisionRecord, SupervisionSession

RECORD_TEXT = "We talked about the Smith family's move"
NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
PERIOD = (date(2026, 1, 1), date(2026, 2, 28))


def finalised_record(
    supervisee,
    supervisor,
    finalised_at: datetime,
    *,
    status=SupervisionRecord.Status.FINALISED,
) -> SupervisionRecord:
    """A record as the workflow leaves it, made directly: signing is tested elsewhere."""
    starts = finalised_at - timedelta(days=1)
    session = SupervisionSession.objects.create(
        supervisee=supervisee,
        supervisor=supervisor,
        session_type="individual",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        created_by=supervisor,
        status=SupervisionSession.Status.HELD,
    )
    template = RecordTemplate.objects.get(session_type="individual", is_current=True, audience="")
    record = SupervisionRecord.objects.create(
        session=session,
        template=template,
        supervisee_name=supervisee.full_name,
        supervisor_name=supervisor.full_name,
    )
    section = template.sections.get(key="reflection")
    RecordSection.objects.create(record=record, template_section=section, text=RECORD_TEXT)
    if status == SupervisionRecord.Status.FINALISED:
        record.finalised_at = finalised_at
    record.status = status
    record.save()
    return record


def in_period(day: int) -> datetime:
    """A moment in February 2026, inside PERIOD."""
    return datetime(2026, 2, day, 15, 0, tzinfo=UTC)


def world_quality_sample(world):
    """For the permission matrix: a finalised record of the supervisee, drawn by the senior
    manager over Team A. Returns {"sample_id": ..., "review_id": ...}."""
    from oversight.quality.sampling import sample_draw

    with time_machine.travel(NOW, tick=False):
        finalised_record(world.supervisee, world.supervisor, in_period(10))
        sample = sample_draw(
            by=world.senior_manager,
            unit=world.units["service"],
            finalised_from=PERIOD[0],
            finalised_to=PERIOD[1],
            size=5,
            seed="matrix",
        )
    return {"sample_id": sample.pk, "review_id": sample.reviews.get().pk}
