"""Writing the record up on one page, and the supervisee seeing what changed on a re-share."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from supervision.models import RecordSection, SupervisionRecord
from supervision.models.audit import AuditAction, AuditEvent
from supervision.records.services import HEADING_MAX_CHARACTERS
from supervision.records.write_up import word_difference
from tests.records import held_session

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


class Person:
    def __init__(self, user):
        self.client = Client()
        self.user = user

    def get(self, url, **kw):
        with time_machine.travel(DAY, tick=False):
            self.client.force_login(self.user)
            return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        with time_machine.travel(DAY, tick=False):
            self.client.force_login(self.user)
            return self.client.post(url, data or {}, **kw)


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = DAY


@pytest.fixture
def session(world):
    return held_session(world)


@pytest.fixture
def supervisor(world):
    return Person(world.supervisor)


@pytest.fixture
def supervisee(world):
    return Person(world.supervisee)


@pytest.fixture
def record(session, supervisor):
    assert supervisor.post(f"/sessions/{session.pk}/record/start/").status_code == 302
    return SupervisionRecord.objects.get(session=session)


def url(session, what="write-up/"):
    return f"/sessions/{session.pk}/record/{what}"


def keys(record):
    return list(record.sections.values_list("template_section__key", flat=True))


def texts_of(record):
    return dict(record.sections.values_list("template_section__key", "text"))


def progress_of(record):
    return dict(record.sections.values_list("template_section__key", "progress"))


def page_data(record, texts, finished="yes", functions=("development",)):
    data = {
        "version": SupervisionRecord.objects.get(pk=record.pk).version,
        "finished": finished,
        "functions": list(functions),
    }
    data.update({f"s-{key}": text for key, text in texts.items()})
    return data


def test_every_heading_of_the_template_is_on_one_page_with_a_character_count(
    record, session, supervisor
):
    page = supervisor.get(url(session)).content.decode()
    headings = list(
        record.sections.values_list("template_section__heading", flat=True).order_by(
            "template_section__position"
        )
    )
    assert len(headings) == 9
    positions = [page.index(f">{heading}</label>") for heading in headings]
    assert positions == sorted(positions), "the headings in the template's order"
    assert page.count('data-module="govuk-character-count"') == 9
    assert f'data-maxlength="{HEADING_MAX_CHARACTERS}"' in page
    # Each box autosaves to its own heading.
    for key in keys(record):
        assert f"/record/sections/{key}/autosave/" in page
    # The record page keeps the task list as the overview, each heading linking into the page.
    overview = supervisor.get(url(session, "")).content.decode()
    assert "Write up every heading" in overview
    assert f"/record/write-up/#s-{keys(record)[0]}" in overview


def test_one_save_writes_every_heading_and_finishing_completes_those_with_text(
    record, session, supervisor
):
    texts = {key: f"Notes for {key}." for key in keys(record)}
    texts["reflection"] = ""
    writes = AuditEvent.objects.filter(action=AuditAction.WRITE)
    before = writes.count()
    response = supervisor.post(url(session), page_data(record, texts, finished="yes"))
    assert response.status_code == 302 and response["Location"] == url(session, "")
    assert texts_of(record) == texts
    progress = progress_of(record)
    assert progress.pop("reflection") == RecordSection.Progress.NOT_STARTED
    assert set(progress.values()) == {RecordSection.Progress.COMPLETED}
    assert writes.count() == before + 1, "one audit entry for the whole page"
    assert writes.order_by("-pk").first().detail["change"] == "write-up saved"
    overview = supervisor.get(url(session, "")).content.decode()
    assert overview.count("Completed") >= 7
    assert "Write-up saved: every heading with text is finished" in overview


def test_saving_to_come_back_later_leaves_headings_in_progress(record, session, supervisor):
    texts = dict.fromkeys(keys(record), "Some of it.")
    supervisor.post(url(session), page_data(record, texts, finished="no"))
    assert set(progress_of(record).values()) == {RecordSection.Progress.IN_PROGRESS}


def test_a_heading_too_long_is_named_and_nothing_is_saved(record, session, supervisor):
    texts = dict.fromkeys(keys(record), "Kept.")
    texts["reflection"] = "x" * (HEADING_MAX_CHARACTERS + 1)
    version = record.version
    response = supervisor.post(url(session), page_data(record, texts))
    assert response.status_code == 200
    page = response.content.decode()
    heading = record.sections.get(template_section__key="reflection").template_section.heading
    assert f"{heading} must be 10,000 characters or fewer" in page
    assert 'href="#id_s-reflection"' in page, "the summary links to the box"
    assert "Kept." in page, "what was typed stays in the boxes"
    assert "Kept." not in texts_of(record).values()
    assert SupervisionRecord.objects.get(pk=record.pk).version == version


def test_the_autosave_refuses_a_heading_over_the_limit(record, session, supervisor):
    response = supervisor.post(
        url(session, "sections/reflection/autosave/"),
        {"text": "x" * (HEADING_MAX_CHARACTERS + 1), "version": record.version},
    )
    assert response.status_code == 400
    assert "must be 10,000 characters or fewer" in response.json()["error"]


def test_someone_elses_save_gives_the_page_with_both_texts(record, session, supervisor):
    stale = page_data(record, {key: f"Mine for {key}." for key in keys(record)})
    # Meanwhile the same heading is saved from another window.
    supervisor.post(
        url(session, "sections/reflection/autosave/"),
        {"text": "Theirs, saved first.", "version": record.version},
    )
    response = supervisor.post(url(session), stale)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this record while you were writing" in page
    assert "Theirs, saved first." in page
    assert "Mine for reflection." in page
    assert texts_of(record)["reflection"] == "Theirs, saved first."
    # Saving the page again keeps what is in the boxes.
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    again = dict(stale, version=version)
    assert supervisor.post(url(session), again).status_code == 302
    assert texts_of(record)["reflection"] == "Mine for reflection."


def test_the_supervisees_request_for_a_change_shows_beside_its_heading(
    record, session, supervisor, supervisee
):
    supervisor.post(url(session), page_data(record, dict.fromkeys(keys(record), "First.")))
    supervisor.post(url(session, "share/"))
    supervisee.post(
        url(session, "ask-for-changes/"),
        {"section": "reflection", "comment": "Say that I asked for <b>leave</b>."},
    )
    page = supervisor.get(url(session)).content.decode()
    comment = page.index("asked for a change to this heading")
    box = page.index('id="id_s-reflection"')
    assert comment < box < comment + 2000
    assert "Say that I asked for &lt;b&gt;leave&lt;/b&gt;." in page
    assert 'aria-describedby="id_s-reflection-hint id_s-reflection-comment' in page


def test_a_reshared_record_shows_the_supervisee_what_changed_heading_by_heading(
    record, session, supervisor, supervisee
):
    first = {key: f"Unchanged {key}." for key in keys(record)}
    first["reflection"] = "Amira holds 18 children. <script>alert(1)</script>"
    supervisor.post(url(session), page_data(record, first))
    supervisor.post(url(session, "share/"))
    page = supervisee.get(url(session, "")).content.decode()
    assert "changed since the record was last shared" not in page, "nothing to compare yet"

    supervisee.post(url(session, "ask-for-changes/"), {"section": "", "comment": "Two in court."})
    second = dict(first, reflection="Amira holds 18 children, two in proceedings. <script>")
    supervisor.post(url(session), page_data(record, second))
    supervisor.post(url(session, "share/"))

    page = supervisee.get(url(session, "")).content.decode()
    assert "One heading has changed since the record was last shared" in page
    assert page.count('govuk-tag--yellow">Changed</strong>') == 1
    assert "Removed: </span>children." in page
    assert "Added: </span>children,</ins>" in page
    assert "Added: </span>two in proceedings. &lt;script&gt;</ins>" in page
    assert "<script>" not in page, "typed text is escaped in the difference too"


def test_a_finalised_record_cannot_be_written_up(record, session, supervisor):
    SupervisionRecord.objects.filter(pk=record.pk).update(status=SupervisionRecord.Status.SHARED)
    response = supervisor.get(url(session))
    assert response.status_code == 302
    follow = supervisor.get(response["Location"]).content.decode()
    assert "cannot be written up now" in follow


def test_the_write_up_page_runs_a_fixed_number_of_queries(
    record, session, supervisor, django_assert_max_num_queries
):
    # Whatever the number of headings or requests for changes: one query for each.
    with time_machine.travel(DAY, tick=False):
        supervisor.client.force_login(supervisor.user)
        with django_assert_max_num_queries(20):
            assert supervisor.client.get(url(session)).status_code == 200


@pytest.mark.parametrize(
    ("old", "new", "removed", "added"),
    [
        ("a b c", "a b c", [], []),
        ("a b c", "a x c", ["b"], ["x"]),
        ("a b", "a b c", [], [" c"]),
        ("a b c", "a c", ["b "], []),
        ("<i>", "<b>", ["&lt;i&gt;"], ["&lt;b&gt;"]),
    ],
)
def test_word_difference(old, new, removed, added):
    html = str(word_difference(old, new))
    assert re.findall(r"Removed: </span>(.*?)</del>", html) == removed
    assert re.findall(r"Added: </span>(.*?)</ins>", html) == added
    assert (
        re.sub(r"<del.*?</del>|<[^>]+>|Added: ", "", html).replace("&lt;", "<").replace("&gt;", ">")
        == new
    )


# --- The four functions of supervision (R3) -----------------------------------------------------


def test_the_page_asks_which_functions_the_session_covered_with_a_hint_for_each(
    record, session, supervisor
):
    page = supervisor.get(url(session)).content.decode()
    assert "Which functions of supervision did this session cover?" in page
    for label, hint in (
        ("Management", "Competent, accountable practice"),
        ("Development", "Continuing professional development"),
        ("Support", "the emotional impact of the work"),
        ("Mediation", "Engaging the supervisee with the organisation"),
    ):
        assert f">{label}</label>" in page and hint in page
    assert 'class="govuk-checkboxes__input" id="functions" name="functions"' in page


def test_the_functions_ticked_are_saved_and_shown_ticked_again(record, session, supervisor):
    texts = dict.fromkeys(keys(record), "Discussed.")
    data = page_data(record, texts, functions=("management", "support"))
    assert supervisor.post(url(session), data).status_code == 302
    saved = SupervisionRecord.objects.get(pk=record.pk)
    assert (saved.covers_management, saved.covers_development) == (True, False)
    assert (saved.covers_support, saved.covers_mediation) == (True, False)
    assert saved.functions_covered == ["management", "support"]
    page = supervisor.get(url(session)).content.decode()
    assert re.search(r'value="management"[^>]*checked', page)
    assert not re.search(r'value="mediation"[^>]*checked', page)
    overview = supervisor.get(url(session, "")).content.decode()
    assert "Management, Support" in overview


def test_finishing_without_any_function_names_the_question_and_saves_nothing(
    record, session, supervisor
):
    texts = dict.fromkeys(keys(record), "Written.")
    response = supervisor.post(url(session), page_data(record, texts, functions=()))
    assert response.status_code == 200
    page = response.content.decode()
    message = "Select which functions of supervision this session covered"
    assert f'<a href="#functions">{message}</a>' in page
    assert 'id="functions-error"' in page and "govuk-form-group--error" in page
    assert "Written." not in texts_of(record).values()
    assert not SupervisionRecord.objects.get(pk=record.pk).functions_answered


def test_saving_to_come_back_later_needs_no_function_yet(record, session, supervisor):
    texts = dict.fromkeys(keys(record), "Half done.")
    response = supervisor.post(url(session), page_data(record, texts, "no", functions=()))
    assert response.status_code == 302
    assert SupervisionRecord.objects.get(pk=record.pk).functions_covered == []


def test_the_supervisee_reads_the_functions_covered_in_what_they_sign(
    record, session, supervisor, supervisee
):
    texts = dict.fromkeys(keys(record), "Discussed.")
    supervisor.post(url(session), page_data(record, texts, functions=("support", "mediation")))
    assert supervisor.post(url(session, "share/")).status_code == 302
    page = supervisee.get(url(session, "sign/")).content.decode()
    start = page.index("What you are signing")
    signed_part = page[start : page.index("<form", start)]
    assert "Functions of supervision covered" in signed_part
    assert "Support, Mediation" in signed_part
