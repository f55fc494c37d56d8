"""Issue 21: what a finalised record counts for on the dashboard is written by the database
when the record is finalised, whichever way it is finalised, and equals a recount from the
record itself (`manage.py check_dashboard_summaries`)."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command

from oversight.reports.dashboard_check import finalised_record_differences
from supervision.models import FinalisedRecord, RecordSection, SupervisionRecord
from supervision.records import services
from tests.factories import SUPERVISEE_PASSWORD
from tests.quality_helpers import finalised_record
from tests.records import held_session
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def test_finalising_through_the_service_writes_the_records_figures_once():
    with time_machine.travel(DAY, tick=False):
        world = build_world()
        record = services.record_start(session=held_session(world), by=world.supervisor)
        record = services.record_section_save(
            record=record,
            section_key="reflection",
            text="What we said",
            completed=True,
            expected_version=record.version,
            by=world.supervisor,
        )
        services.record_share(record=record, by=world.supervisor)
        services.record_sign(record=record, password=SUPERVISEE_PASSWORD, by=world.supervisee)
        assert not FinalisedRecord.objects.filter(record=record).exists()
        record = services.record_finalise(
            record=record, password=SUPERVISEE_PASSWORD, by=world.supervisor
        )

    fact = FinalisedRecord.objects.get(record=record)
    assert fact.supervisee_id == world.supervisee.pk
    assert fact.finalised_at == DAY
    assert fact.asks_reflection and fact.reflection_done
    assert not fact.functions_recorded and not fact.covers_support
    assert finalised_record_differences() == []


def test_a_record_finalised_directly_is_counted_and_a_draft_is_not():
    with time_machine.travel(DAY, tick=False):
        world = build_world()
        done = finalised_record(world.supervisee, world.supervisor, DAY)
        draft = finalised_record(
            world.supervisee, world.supervisor, DAY, status=SupervisionRecord.Status.DRAFT
        )

    assert FinalisedRecord.objects.filter(record=done).exists()
    assert not FinalisedRecord.objects.filter(record=draft).exists()
    # The helper's reflection section was written but not marked completed.
    assert not FinalisedRecord.objects.get(record=done).reflection_done
    assert RecordSection.objects.filter(record=done).count() == 1
    call_command("check_dashboard_summaries")


def test_the_check_names_a_record_whose_figures_differ():
    with time_machine.travel(DAY, tick=False):
        world = build_world()
        record = finalised_record(world.supervisee, world.supervisor, DAY)
    FinalisedRecord.objects.filter(record=record).update(covers_support=True)

    assert finalised_record_differences() == [
        f"record {record.pk}: covers_support differ from the record"
    ]
    with pytest.raises(CommandError, match="differ from a recount"):
        call_command("check_dashboard_summaries")
