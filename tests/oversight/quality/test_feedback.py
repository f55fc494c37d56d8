"""Supervisee feedback (rule Q4): given once a quarter, read by senior managers only added
up over at least five people."""

from datetime import date
from html.parser import HTMLParser

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from oversight.models import FeedbackResponse
from oversight.quality.feedback import (
    feedback_give,
    quarter_ends_on,
    quarter_label,
    quarter_of,
    recent_quarters,
    report_cell,
)
from supervision.models import Unit
from supervision.models.audit import AuditEvent
from tests.factories import RelationshipFactory, StaffProfileFactory, UnitFactory
from tests.world import TODAY

pytestmark = pytest.mark.django_db

LAST_QUARTER_DAY = date(2025, 12, 1)  # in October to December 2025, closed by TODAY
ANSWERS = {
    "happens_when_planned": 4,
    "time_to_reflect": 2,
    "wellbeing_support": 5,
    "decisions_explained": 3,
    "records_accurate_and_shared": 1,
}
FORM = {field: str(value) for field, value in ANSWERS.items()}
PROMISE = "Your answers are only ever shown added up with at least four other people's"


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = TODAY


def give_feedback(world, unit, count, *, on, comment=""):
    """`count` new members of `unit` answer on `on`; the last one more warmly, so the average
    of "happens when planned" over five is 4.2, which no single answer is."""
    people = []
    with time_machine.travel(on, tick=False):
        for number in range(count):
            person = StaffProfileFactory(unit=unit).user
            RelationshipFactory(supervisor=world.supervisor, supervisee=person)
            answers = ANSWERS | ({"happens_when_planned": 5} if number == count - 1 else {})
            feedback_give(respondent=person, answers=answers, comment=comment)
            people.append(person)
    return people


class Tables(HTMLParser):
    """Each table of a page as {caption: {row heading: [cell texts]}}."""

    def __init__(self, html):
        super().__init__()
        self.tables, self._text, self._row, self._caption = {}, None, None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("caption", "th", "td"):
            self._text = []
        elif tag == "tr":
            self._row = []

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag in ("caption", "th", "td") and self._text is not None:
            text = " ".join("".join(self._text).split())
            self._text = None
            if tag == "caption":
                self._caption = text
                self.tables[text] = {}
            elif self._row is not None:
                self._row.append(text)
        elif tag == "tr" and self._row:
            self.tables[self._caption][self._row[0]] = self._row[1:]
            self._row = None


def report_as(client, person):
    client.force_login(person)
    with time_machine.travel(TODAY, tick=False):
        response = client.get(reverse("feedback-report"))
    assert response.status_code == 200
    return response.content.decode()


# --- Giving feedback ------------------------------------------------------------------------


def test_a_supervisee_gives_feedback_once_a_quarter(client, world):
    client.force_login(world.supervisee)
    with time_machine.travel(TODAY, tick=False):
        page = client.get(reverse("feedback")).content.decode()
        assert PROMISE in page
        response = client.post(reverse("feedback"), FORM, follow=True)
        assert "Your feedback for January to March 2026 is saved" in response.content.decode()

        again = client.post(reverse("feedback"), FORM | {"time_to_reflect": "5"})
        assert again.status_code == 200
        assert "You have already given feedback for January to March 2026" in (
            again.content.decode()
        )

    saved = FeedbackResponse.objects.get()
    assert (saved.period, saved.unit, saved.supervisor) == (
        "2026-Q1",
        world.units["team"],
        world.supervisor,
    )
    assert saved.time_to_reflect == 2, "the refused second answer changed nothing"

    with time_machine.travel(date(2026, 4, 1), tick=False):
        client.force_login(world.supervisee)  # a month on, the old session has timed out
        assert client.post(reverse("feedback"), FORM)["Location"] == reverse("feedback")
    assert list(FeedbackResponse.objects.values_list("period", flat=True).order_by("period")) == [
        "2026-Q1",
        "2026-Q2",
    ]


def test_a_second_response_is_refused_by_the_service_too(world):
    with time_machine.travel(TODAY, tick=False):
        feedback_give(respondent=world.supervisee, answers=ANSWERS)
        with pytest.raises(ValidationError) as refused:
            feedback_give(respondent=world.supervisee, answers=ANSWERS)
    assert refused.value.messages == ["You have already given feedback for January to March 2026"]


def test_an_answer_outside_one_to_five_is_refused_naming_the_statement(client, world):
    client.force_login(world.supervisee)
    with time_machine.travel(TODAY, tick=False):
        response = client.post(reverse("feedback"), FORM | {"happens_when_planned": "6"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose how much you agree that “My supervision happens when planned”" in page
    assert 'href="#id_happens_when_planned' in page, "the error summary links to the field"
    assert not FeedbackResponse.objects.exists()

    with time_machine.travel(TODAY, tick=False), pytest.raises(ValidationError) as refused:
        feedback_give(respondent=world.supervisee, answers=ANSWERS | {"time_to_reflect": 0})
    assert list(refused.value.message_dict) == ["time_to_reflect"]
    assert (
        "I have time to reflect on my practice" in refused.value.message_dict["time_to_reflect"][0]
    )
    assert not FeedbackResponse.objects.exists()


@pytest.mark.parametrize("who", ["auditor_with_grant", "admin"])
def test_people_nobody_supervises_cannot_give_feedback(client, world, who):
    client.force_login(world.people[who])
    with time_machine.travel(TODAY, tick=False):
        assert client.get(reverse("feedback")).status_code == 403
        assert client.post(reverse("feedback"), FORM).status_code == 403
    assert not FeedbackResponse.objects.exists()


def test_giving_feedback_is_audited_without_saying_which_answers(client, world):
    client.force_login(world.supervisee)
    with time_machine.travel(TODAY, tick=False):
        client.post(reverse("feedback"), FORM)
    event = AuditEvent.objects.get(object_type="feedback_response")
    assert (event.actor, event.action, event.detail) == (
        world.supervisee,
        "write",
        {"period": "2026-Q1"},
    )
    assert (event.object_id, event.subject) == ("", None)


# --- Quarters and the disclosure rule -------------------------------------------------------


def test_quarters():
    assert quarter_of(date(2026, 3, 31)) == "2026-Q1"
    assert quarter_of(date(2026, 4, 1)) == "2026-Q2"
    assert quarter_label("2025-Q4") == "October to December 2025"
    assert quarter_ends_on("2026-Q1") == date(2026, 3, 31)
    assert quarter_ends_on("2025-Q4") == date(2025, 12, 31)
    assert recent_quarters(TODAY) == ["2026-Q1", "2025-Q4", "2025-Q3", "2025-Q2"]


def test_a_group_is_shown_only_from_five_and_a_quarter_under_way_without_averages():
    assert report_cell(4, [4.0] * 5, quarter_is_open=False).too_few
    assert report_cell(0, [], quarter_is_open=False).too_few
    assert report_cell(5, [4.24] * 5, quarter_is_open=False).averages == (4.2,) * 5
    under_way = report_cell(5, [4.2] * 5, quarter_is_open=True)
    assert (under_way.responses, under_way.averages) == (5, None)


# --- The report -----------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "shown"), [(4, False), (5, True)])
def test_the_report_shows_figures_only_for_five_responses_or_more(client, world, count, shown):
    give_feedback(world, world.units["team"], count, on=LAST_QUARTER_DAY)
    tables = Tables(report_as(client, world.senior_manager)).tables
    team = tables["October to December 2025"]["Team A"]
    if shown:
        assert team == ["5", "4.2", "2.0", "5.0", "3.0", "1.0"]
    else:
        assert team == ["Fewer than 5 responses"]
    assert tables["July to September 2025"]["Team A"] == ["Fewer than 5 responses"]


def test_a_units_row_does_not_include_the_units_below_it(client, world):
    """Were Service A's row to count its teams, 9 responses minus the 5 shown for Team B...
    would give away a small team's answers. Each row is its own staff, so none can be
    subtracted from another."""
    service = world.units["service"]
    small_team = UnitFactory(name="Team C", parent=service)
    give_feedback(world, world.units["team"], 5, on=LAST_QUARTER_DAY)
    give_feedback(world, small_team, 4, on=LAST_QUARTER_DAY)
    quarter = Tables(report_as(client, world.senior_manager)).tables["October to December 2025"]
    assert quarter["Team A"][0] == "5"
    assert quarter["Team C"] == ["Fewer than 5 responses"]
    assert quarter["Service A"] == ["Fewer than 5 responses"], "not 9: the teams are not in it"


def test_the_quarter_under_way_shows_how_many_but_no_averages(client, world):
    give_feedback(world, world.units["team"], 5, on=TODAY)
    quarter = Tables(report_as(client, world.senior_manager)).tables[
        "January to March 2026 (under way)"
    ]
    assert quarter["Team A"] == ["5", "Averages shown after 31 March 2026"]


def test_no_name_and_no_comment_ever_reaches_the_report(client, world):
    comment = "My supervisor cancelled on the Tuesday after the Harris visit"
    people = give_feedback(world, world.units["team"], 6, on=LAST_QUARTER_DAY, comment=comment)
    people += give_feedback(world, world.units["team"], 2, on=TODAY, comment=comment)
    page = report_as(client, world.senior_manager)
    assert Tables(page).tables["October to December 2025"]["Team A"][0] == "6"
    for person in people:
        assert person.full_name not in page
        assert person.email not in page
    assert comment not in page
    assert "Harris" not in page
    assert "1 December 2025" not in page, "no answer is dated"


def test_a_senior_manager_sees_only_units_at_or_below_theirs(client, world):
    other_team = Unit.objects.get(name="Team B")
    give_feedback(world, world.units["team"], 5, on=LAST_QUARTER_DAY)
    give_feedback(world, other_team, 5, on=LAST_QUARTER_DAY)

    mine = Tables(report_as(client, world.senior_manager)).tables["October to December 2025"]
    assert set(mine) == {"Unit", "Service A", "Team A"}

    theirs = Tables(report_as(client, world.other_senior_manager)).tables[
        "October to December 2025"
    ]
    assert set(theirs) == {"Unit", "Service B", "Team B"}
    assert theirs["Team B"][0] == "5"


@pytest.mark.parametrize("who", ["supervisor", "supervisee", "auditor_with_grant", "admin"])
def test_only_senior_managers_read_the_report(client, world, who):
    give_feedback(world, world.units["team"], 5, on=LAST_QUARTER_DAY)
    client.force_login(world.people[who])
    with time_machine.travel(TODAY, tick=False):
        response = client.get(reverse("feedback-report"))
    assert response.status_code == 403
    assert "4.2" not in response.content.decode()
    assert not AuditEvent.objects.filter(object_type="feedback_report").exists()


def test_reading_the_report_is_audited(client, world):
    report_as(client, world.senior_manager)
    event = AuditEvent.objects.get(object_type="feedback_report")
    assert (event.actor, event.action) == (world.senior_manager, "read")
    assert event.path == "/feedback/report/"


def test_the_report_runs_the_same_queries_however_many_responses(
    client, world, django_assert_num_queries
):
    client.force_login(world.senior_manager)
    for size in (5, 40):
        give_feedback(world, world.units["team"], size, on=LAST_QUARTER_DAY)
        with time_machine.travel(TODAY, tick=False):
            client.get(reverse("feedback-report"))  # the first request also saves the session
            # Session, user, four role checks, two for the units overseen, one for the figures,
            # four for the audit entry (savepoint, chain head, insert, update) and the rest
            # for the page around it. Justify any query added.
            # The navigation's roles are one statement (issue 21: three before).
            with django_assert_num_queries(8):
                assert client.get(reverse("feedback-report")).status_code == 200


def test_a_persons_own_feedback_is_in_their_subject_access_export(world):
    from oversight.records_management.subject_access import subject_access_manifest

    with time_machine.travel(TODAY, tick=False):
        feedback_give(respondent=world.supervisee, answers=ANSWERS, comment="More time, please")
    manifest = subject_access_manifest(world.supervisee)
    assert [f["period"] for f in manifest["feedback_given"]] == ["2026-Q1"]
    assert manifest["feedback_given"][0]["comment"] == "More time, please"
    assert subject_access_manifest(world.supervisor)["feedback_given"] == []
