"""A finalised record never changes (rule R8): the form, the service, the model and, on
PostgreSQL, the database each refuse."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from supervision.models import Decision, RecordSection, SupervisionRecord
from supervision.models.sessions import FinalisedRecordError
from supervision.records import services
from tests.factories import SUPERVISEE_PASSWORD
from tests.records import held_session
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def finalised(django_capture_on_commit_callbacks):
    with time_machine.travel(DAY, tick=False):
        world = build_world()
        session = held_session(world)
        record = services.record_start(session=session, by=world.supervisor)
        record = services.record_section_save(
            record=record,
            section_key="reflection",
            text="What we said",
            completed=True,
            expected_version=record.version,
            by=world.supervisor,
        )
        services.action_add(
            record=record,
            description="Read the guidance",
            owner="supervisee",
            owner_name="",
            due_date=datetime(2026, 3, 20).date(),
            by=world.supervisor,
        )
        services.record_share(record=record, by=world.supervisor)
        services.record_sign(record=record, password=SUPERVISEE_PASSWORD, by=world.supervisee)
        record = services.record_finalise(
            record=record, password=SUPERVISEE_PASSWORD, by=world.supervisor
        )
        yield world, SupervisionRecord.objects.get(pk=record.pk)


def reflection(record):
    return RecordSection.objects.get(record=record, template_section__key="reflection")


def test_the_form_refuses(client, finalised):
    world, record = finalised
    with time_machine.travel(DAY, tick=False):
        client.force_login(world.supervisor)
        response = client.post(
            f"/sessions/{record.session_id}/record/sections/reflection/",
            {"text": "Rewritten", "version": record.version},
        )
    assert response.status_code == 200
    assert "finalised and cannot be edited" in response.content.decode()
    assert reflection(record).text == "What we said"


def test_the_services_refuse(finalised):
    world, record = finalised
    with pytest.raises(ValidationError):
        services.record_section_save(
            record=record,
            section_key="reflection",
            text="Rewritten",
            completed=True,
            expected_version=record.version,
            by=world.supervisor,
        )
    with pytest.raises(ValidationError):
        services.decision_add(record=record, decision="x", reasons="y", by=world.supervisor)
    with pytest.raises(ValidationError):
        services.record_share(record=record, by=world.supervisor)
    assert reflection(record).text == "What we said"


def test_the_models_refuse(finalised):
    world, record = finalised
    record.content_hash = "0" * 64
    with pytest.raises(FinalisedRecordError):
        record.save()
    section = reflection(record)
    section.text = "Rewritten"
    with pytest.raises(FinalisedRecordError):
        section.save()
    with pytest.raises(FinalisedRecordError):
        Decision.objects.create(record=record, decision="x", reasons="y")
    with pytest.raises(FinalisedRecordError):
        record.session.save()
    assert reflection(record).text == "What we said"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE supervision_supervisionrecord SET content_hash = 'x' WHERE id = %(record)s",
        "DELETE FROM supervision_supervisionrecord WHERE id = %(record)s",
        "UPDATE supervision_recordsection SET text = 'Rewritten' WHERE record_id = %(record)s",
        "DELETE FROM supervision_recordsection WHERE record_id = %(record)s",
        "INSERT INTO supervision_decision (record_id, decision, reasons, position) "
        "VALUES (%(record)s, 'x', 'y', 9)",
        "UPDATE supervision_action SET description = 'Changed' WHERE record_id = %(record)s",
        "UPDATE supervision_supervisionsession SET location = 'x' WHERE id = %(session)s",
    ],
)
def test_the_database_refuses_raw_sql(finalised, sql):
    world, record = finalised
    with (
        pytest.raises(DatabaseError, match="finalised"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, {"record": record.pk, "session": record.session_id})


def test_the_database_still_lets_an_actions_status_be_tracked(finalised):
    world, record = finalised
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE supervision_action SET status = 'done' WHERE record_id = %s", [record.pk]
        )
    assert record.actions.get().status == "done"


def test_a_correction_is_a_signed_addendum_and_the_record_is_unchanged(finalised):
    world, record = finalised
    before = record.content_hash
    with time_machine.travel(DAY, tick=False):
        addendum = services.addendum_add(
            record=record,
            text="The date of the visit was 2 March.",
            password=SUPERVISEE_PASSWORD,
            by=world.supervisor,
        )
    assert addendum.signed_at == DAY and len(addendum.content_hash) == 64
    record.refresh_from_db()
    assert record.content_hash == before
    with pytest.raises(ValidationError):
        services.addendum_add(record=record, text="x", password="wrong", by=world.supervisor)
