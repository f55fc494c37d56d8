"""Record templates as the councils wrote them: Kent's Appendix A
and B with a discussion and actions under each heading, Surrey §3.1.4's management headings,
an ASYE form, and "Date of next supervision" in every individual form, which books the session.
Each is a new version: records keep the version they were written on."""

import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from supervision.models import (
    JobRole,
    RecordTemplate,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
)
from supervision.models.audit import AuditEvent
from supervision.records import services
from supervision.records.pdf import render_record_pdf
from tests.records import held_session

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = NOW


def headings(code):
    template = RecordTemplate.objects.get(code=code, is_current=True)
    return [s.heading for s in template.sections.order_by("position")]


def test_kent_appendix_b_asks_for_a_discussion_and_actions_under_each_heading():
    found = headings("personal-supervision")
    for heading in (
        "Wellbeing and work–life balance",
        "Personal development",
        "Team welfare and staffing",
        "Individual children and families: high risk, reflections, worries",
        "Any other topics",
    ):
        assert f"{heading}: discussion" in found
        assert f"{heading}: actions" in found
    assert RecordTemplate.objects.get(code="personal-supervision", version=3).is_current
    assert not RecordTemplate.objects.get(code="personal-supervision", version=1).is_current
    assert not RecordTemplate.objects.get(code="personal-supervision", version=2).is_current


def test_kent_appendix_a_has_its_five_agenda_items_each_with_decision_and_actions():
    found = headings("professional-supervision")
    assert found[0] == "Actions from previous session: discussion"
    assert len(found) == 11  # and the equality heading (test_functions_and_equality.py)
    assert "Health and safety in the workplace: actions" in found


def test_the_management_form_has_surreys_business_headings():
    found = " | ".join(headings("management-supervision"))
    for words in (
        "Key performance indicators",
        "Serious incidents",
        "Risk management, including health and safety",
        "Budget position",
        "Capacity, vacancies, staff absence",
        "policy and procedural changes",
    ):
        assert words in found


def test_every_individual_form_asks_for_the_date_of_the_next_supervision():
    asking = set(
        RecordTemplate.objects.filter(is_current=True, asks_next_session=True).values_list(
            "session_type", flat=True
        )
    )
    assert {"individual", "personal_support", "management", "iro_cp_chair", "lado"} <= asking


@pytest.mark.parametrize(
    "category,session_type,code",
    [
        ("asye", "individual", "asye-supervision"),
        ("practitioner", "individual", "individual-staff-supervision"),
        ("practitioner", "personal_support", "personal-supervision"),
        ("manager", "personal_support", "professional-supervision"),
        ("support", "personal_support", "professional-supervision"),
        ("asye", "personal_support", "personal-supervision"),
        ("manager", "case", "case-supervision"),
    ],
)
def test_the_form_follows_the_supervisees_kind_of_job(world, category, session_type, code):
    role = JobRole.objects.create(code=f"r-{category}", name=f"Role {category}", category=category)
    StaffProfile.objects.filter(user=world.supervisee).update(job_role=role)
    with time_machine.travel(NOW, tick=False):
        session = held_session(world, session_type=session_type)
        record = services.record_start(session=session, by=world.supervisor)
    assert record.template.code == code


def test_the_asye_form_asks_for_pcf_and_kss_evidence_and_the_six_month_review():
    found = headings("asye-supervision")
    assert "Evidence against the PCF and the KSS" in found
    assert "Progress towards the six-month review" in found


def test_a_record_keeps_the_template_version_it_was_started_on(world):
    record = SupervisionRecord.objects.get(pk=world.record.pk)
    version = record.template.version
    RecordTemplate.objects.filter(pk=record.template_id).update(is_current=False)
    assert SupervisionRecord.objects.get(pk=record.pk).template.version == version


# --- Date of next supervision ----------------------------------------------------------------


@pytest.fixture
def record(world):
    with time_machine.travel(NOW, tick=False):
        session = held_session(
            world,
            starts_at=datetime(2026, 3, 5, 10, tzinfo=UTC),
            ends_at=datetime(2026, 3, 5, 11, 30, tzinfo=UTC),
            location="Room 2",
        )
        return services.record_start(session=session, by=world.supervisor)


def post_next(client, world, record, day, month, time="10:00"):
    client.force_login(world.supervisor)
    with time_machine.travel(NOW, tick=False):
        return client.post(
            f"/sessions/{record.session_id}/record/next-session/",
            {"next_date_0": day, "next_date_1": month, "next_date_2": "2026", "start_time": time},
        )


def test_the_date_of_next_supervision_books_the_session_and_invites_both(
    client, world, record, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_next(client, world, record, "2", "4")
    assert response.status_code == 302
    booked = SupervisionSession.objects.get(status="planned", supervisee=world.supervisee)
    # 2 April 2026 is in British Summer Time: 10:00 in London is 09:00 UTC.
    assert booked.starts_at == datetime(2026, 4, 2, 9, tzinfo=UTC)
    assert booked.ends_at - booked.starts_at == timedelta(minutes=90)
    assert booked.location == "Room 2" and booked.supervisor == world.supervisor
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.supervisor.email, world.supervisee.email]
    )
    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/sessions/{record.session_id}/record/").content.decode()
    assert "2 April 2026 at 10:00" in page and f'href="/sessions/{booked.pk}/">booked' in page
    assert AuditEvent.objects.filter(detail__change="next session booked").exists()


def test_changing_the_date_moves_the_session_it_booked_instead_of_booking_another(
    client, world, record
):
    post_next(client, world, record, "2", "4")
    post_next(client, world, record, "9", "4", "14:00")
    planned = SupervisionSession.objects.filter(status="planned", supervisee=world.supervisee)
    assert planned.count() == 1
    moved = planned.get()
    assert moved.starts_at == datetime(2026, 4, 9, 13, tzinfo=UTC) and moved.ics_sequence == 1
    assert not SupervisionSession.objects.filter(status="cancelled").exists()


def test_a_session_already_planned_that_day_is_taken_as_the_one_agreed(client, world, record):
    with time_machine.travel(NOW, tick=False):
        already = held_session(
            world,
            starts_at=datetime(2026, 4, 2, 13, tzinfo=UTC),
            ends_at=datetime(2026, 4, 2, 14, tzinfo=UTC),
        )
    post_next(client, world, record, "2", "4")
    assert SupervisionSession.objects.filter(status="planned").count() == 1
    assert SupervisionRecord.objects.get(pk=record.pk).next_session == already


@pytest.mark.parametrize(
    "day,month,time,message",
    [
        ("1", "3", "10:00", "Enter a date and time in the future for the next supervision"),
        ("31", "4", "10:00", "Date of next supervision must be a real date"),
        ("2", "4", "25:00", "Enter the start time, like 09:30 or 14:00"),
    ],
)
def test_a_bad_date_names_the_field_and_books_nothing(
    client, world, record, day, month, time, message
):
    response = post_next(client, world, record, day, month, time)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SupervisionSession.objects.filter(status="planned").exists()


def test_the_date_is_part_of_the_signed_record_and_its_pdf(client, world, record):
    post_next(client, world, record, "2", "4")
    record = SupervisionRecord.objects.get(pk=record.pk)
    from supervision.records.canonical import record_content

    assert record_content(record)["next_session_at"] == "2026-04-02T09:00:00+00:00"
    with time_machine.travel(NOW, tick=False):
        data = render_record_pdf(record, preview=True)
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True).stdout.decode()
    assert "Date of next supervision" in text and "2 April 2026 at 10:00" in text


@pytest.mark.parametrize("role", ["supervisee", "senior_manager", "other_team_supervisor"])
def test_only_the_supervisor_writing_the_record_sets_the_date(client, world, record, role):
    client.force_login(world.people[role])
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            f"/sessions/{record.session_id}/record/next-session/",
            {"next_date_0": "2", "next_date_1": "4", "next_date_2": "2026", "start_time": "10:00"},
        )
    assert response.status_code in (403, 404)
    assert not SupervisionSession.objects.filter(status="planned").exists()
