"""Which of the four functions of supervision a session covered (R3: Surrey 001 §1.1, Kent 004),
recorded, signed and printed; and the equality heading in new versions of the individual forms
(001 §1.2 and §3; 004, Impact of personal characteristics and experiences). Records made
before either keep what they were: their template version, and the bytes both people signed."""

import importlib
import json
import subprocess
from datetime import date

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError

from supervision.models import (
    JobRole,
    RecordTemplate,
    StaffProfile,
    SupervisionRecord,
    TemplateSection,
)
from supervision.records import services
from supervision.records.canonical import (
    content_hash,
    load_record_for_content,
    record_content,
    record_hash,
)
from supervision.records.pdf import record_matches_signatures, render_record_pdf
from supervision.records.templates import EQUALITY_HEADING, EQUALITY_VERSIONS, load_new_versions
from supervision.records.write_up import write_up_save
from tests.records import held_session
from tests.supervision.records.test_pdf import new_session, write_record
from tests.world import TODAY

pytestmark = pytest.mark.django_db

WORLD_AT = TODAY
MIGRATION = importlib.import_module(
    "supervision.migrations.0028_record_functions_and_equality_heading"
)
# What a record's canonical content held before the record asked for the functions: a
# record signed then must hash to the same bytes now.
KEYS_SIGNED_BEFORE = {
    "record",
    "organisation",
    "template",
    "session",
    "supervisee",
    "supervisor",
    "sections",
    "decisions",
    "actions",
    "action_reviews",
    "disagreements",
}
INDIVIDUAL_FORMS = {
    "individual-staff-supervision": 3,
    "personal-supervision": 3,
    "professional-supervision": 2,
    "asye-supervision": 2,
}


def pdf_text(data: bytes) -> str:
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(text.stdout.decode().split())


# --- Records signed before: the same bytes --------------------------------------------------


def test_a_record_signed_before_the_question_keeps_its_canonical_bytes(world):
    record = write_record(world)
    signed = record.content_hash
    content = record_content(load_record_for_content(record.pk))
    assert set(content) == KEYS_SIGNED_BEFORE
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert '"functions"' not in encoded
    assert content_hash(content) == signed
    # The migration's data step (new template versions) leaves it as it was, signed PDF and all.
    MIGRATION.forwards(apps, None)
    record = SupervisionRecord.objects.get(pk=record.pk)
    assert record_hash(load_record_for_content(record.pk)) == signed
    assert record_matches_signatures(record)
    with time_machine.travel(TODAY, tick=False):
        text = pdf_text(render_record_pdf(record, preview=False))
    assert "Functions of supervision" not in text


def test_the_functions_answered_are_part_of_what_is_signed(world):
    record = write_record(world, finalise=False)
    before = record_hash(load_record_for_content(record.pk))
    SupervisionRecord.objects.filter(pk=record.pk).update(
        covers_management=True,
        covers_development=False,
        covers_support=False,
        covers_mediation=True,
    )
    content = record_content(load_record_for_content(record.pk))
    assert content["functions"] == ["management", "mediation"]
    assert content_hash(content) != before


def test_the_pdf_prints_the_functions_covered(world):
    record = write_record(world, finalise=False)
    SupervisionRecord.objects.filter(pk=record.pk).update(
        covers_management=False,
        covers_development=True,
        covers_support=True,
        covers_mediation=False,
    )
    with time_machine.travel(TODAY, tick=False):
        text = pdf_text(
            render_record_pdf(SupervisionRecord.objects.get(pk=record.pk), preview=True)
        )
    assert "Functions of supervision covered Development, Support" in text


def test_the_record_page_of_a_record_signed_before_says_not_recorded(client, world):
    record = write_record(world)
    client.force_login(world.supervisor)
    with time_machine.travel(TODAY, tick=False):
        page = client.get(f"/sessions/{record.session_id}/record/").content.decode()
    assert "Functions of supervision covered" in page
    assert '<p class="govuk-body" id="functions-covered">Not recorded.</p>' in page


def test_finishing_the_write_up_refuses_no_function_in_the_service_too(world):
    with time_machine.travel(TODAY, tick=False):
        record = services.record_start(session=held_session(world), by=world.supervisor)
        with pytest.raises(ValidationError) as refused:
            write_up_save(
                record=record,
                texts={},
                finished=True,
                expected_version=record.version,
                functions=[],
                by=world.supervisor,
            )
    assert refused.value.message_dict == {
        "functions": ["Select which functions of supervision this session covered"]
    }


# --- The equality heading: new versions, old records keep theirs ----------------------------


@pytest.mark.parametrize(("code", "version"), INDIVIDUAL_FORMS.items())
def test_each_individual_form_has_a_new_version_with_the_equality_heading(code, version):
    current = RecordTemplate.objects.get(code=code, is_current=True)
    assert current.version == version
    heading = current.sections.get(key="equality-identity")
    assert heading.heading == EQUALITY_HEADING
    assert "001 §1.2 and §3" in heading.prompts and "Kent 004" in heading.prompts
    assert heading.is_personal  # identity, trauma, belief: not for auditors
    previous = RecordTemplate.objects.get(code=code, version=version - 1)
    assert not previous.is_current
    assert not previous.sections.filter(heading=EQUALITY_HEADING).exists()
    # The rest of the form is as it was, in the same order, the new heading added.
    old = list(previous.sections.values_list("key", "heading", "prompts", "is_personal"))
    new = list(
        current.sections.exclude(key="equality-identity").values_list(
            "key", "heading", "prompts", "is_personal"
        )
    )
    assert new == old
    assert current.asks_next_session and current.audience == previous.audience


def test_the_forms_for_other_kinds_of_session_are_unchanged():
    assert (
        not TemplateSection.objects.filter(heading=EQUALITY_HEADING, template__is_current=True)
        .exclude(template__code__in=INDIVIDUAL_FORMS)
        .exists()
    )


def test_loading_the_new_versions_again_adds_nothing():
    count = RecordTemplate.objects.count()
    load_new_versions(RecordTemplate, TemplateSection, EQUALITY_VERSIONS)
    assert RecordTemplate.objects.count() == count


@pytest.mark.parametrize(
    ("category", "session_type", "code"),
    [
        ("practitioner", "individual", "individual-staff-supervision"),
        ("asye", "individual", "asye-supervision"),
        ("practitioner", "personal_support", "personal-supervision"),
        ("manager", "personal_support", "professional-supervision"),
    ],
)
def test_new_records_get_the_new_version_and_old_ones_keep_theirs(
    world, category, session_type, code
):
    role = JobRole.objects.create(code=f"r-{category}", name=f"Role {category}", category=category)
    StaffProfile.objects.filter(user=world.supervisee).update(job_role=role)
    previous = RecordTemplate.objects.get(code=code, version=INDIVIDUAL_FORMS[code] - 1)
    # A draft started on the version before, and one signed on it.
    draft = SupervisionRecord.objects.create(
        session=new_session(world, date(2026, 2, 5)), template=previous
    )
    signed = write_record(world)
    signed_template = signed.template_id
    with time_machine.travel(TODAY, tick=False):
        record = services.record_start(
            session=held_session(world, session_type=session_type), by=world.supervisor
        )
    assert (record.template.code, record.template.version) == (code, INDIVIDUAL_FORMS[code])
    assert EQUALITY_HEADING in record.sections.values_list("template_section__heading", flat=True)
    assert SupervisionRecord.objects.get(pk=draft.pk).template == previous
    assert SupervisionRecord.objects.get(pk=signed.pk).template_id == signed_template
