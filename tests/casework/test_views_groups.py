"""Group supervision through the pages (rule C6, Kent's policy group formats): each session with
its participants, and each child discussed written up on their own case note."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import NoReverseMatch, reverse

from casework import services
from casework.models import CaseNote, GroupSession
from supervision.models.audit import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
HELD = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = DAY


class Person:
    """A browser for one person: signs in on each visit, since sessions expire when idle."""

    def __init__(self, user):
        self.client = Client()
        self.user = user

    def get(self, url, **kw):
        with time_machine.travel(DAY, tick=False):
            if self.user is not None:
                self.client.force_login(self.user)
            return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        with time_machine.travel(DAY, tick=False):
            if self.user is not None:
                self.client.force_login(self.user)
            return self.client.post(url, data or {}, **kw)


def as_(world, role) -> Person:
    return Person(None if role == "anonymous" else world.people[role])


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def error_summary(response) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', text(response))
    assert match, "no error summary on the page"
    return match.group(0)


def session_form(world, **fields) -> dict:
    data = {
        "format": "family_safeguarding",
        "held_on_0": "4",
        "held_on_1": "3",
        "held_on_2": "2026",
        "held_time": "2pm",
        "duration_minutes": "60",
        "participants": [world.supervisor.pk, world.supervisee.pk],
        "summary": "Themes: drift in three plans.",
    }
    data.update(fields)
    return data


def group(world, format, *, by=None) -> GroupSession:
    session = GroupSession.objects.create(
        unit=world.units["team"],
        format=format,
        held_at=HELD,
        facilitator=by or world.supervisor,
        created_by=by or world.supervisor,
    )
    session.participants.add(world.supervisor, world.supervisee)
    return session


def second_child(world, reference="NS100003"):
    with time_machine.travel(DAY, tick=False):
        return services.child_create(
            reference=reference,
            initials="EF",
            service="social_work",
            plan="child_protection",
            unit=world.units["team"],
            worker=world.supervisee,
            allocated_at=datetime(2026, 1, 12, 9, tzinfo=UTC),
            rag_rating="red",
            by=world.supervisor,
        )


def add_child(world, session, reference, role="supervisor"):
    return as_(world, role).post(
        reverse("group-session", args=[session.pk]), {"reference": reference}
    )


# Recording a session


def test_supervisor_records_a_session_with_its_participants(world):
    team = world.units["team"]
    response = as_(world, "supervisor").post(
        reverse("group-session-new", args=[team.pk]), session_form(world)
    )
    session = GroupSession.objects.exclude(pk=world.group_session.pk).get()
    assert response.status_code == 302
    assert response.url == reverse("group-session", args=[session.pk])
    assert session.format == "family_safeguarding"
    assert session.facilitator == world.supervisor
    assert session.held_at == HELD
    assert set(session.participants.all()) == {world.supervisor, world.supervisee}
    listing = text(as_(world, "supervisor").get(reverse("group-sessions", args=[team.pk])))
    assert "4 March 2026" in listing
    assert "Family safeguarding group case supervision" in listing


def test_the_new_session_form_offers_the_seed_formats_with_their_rhythm(world):
    page = text(
        as_(world, "supervisor").get(reverse("group-session-new", args=[world.units["team"].pk]))
    )
    for label in [
        "Team meeting",
        "Appreciative inquiry",
        "Case progression",
        "Case formulation",
        "Family safeguarding group case supervision",
    ]:
        assert label in page
    assert "Every two weeks, up to 1 hour" in page  # case progression, Kent's policy
    assert "Monthly, up to 2 hours" in page  # team meetings
    # Only the team's current staff can be ticked.
    assert "Supervisee" in page
    assert "Other Supervisee" not in page


def test_a_group_has_at_least_two_people_including_the_facilitator(world):
    before = GroupSession.objects.count()
    response = as_(world, "supervisor").post(
        reverse("group-session-new", args=[world.units["team"].pk]),
        session_form(world, participants=[world.supervisor.pk]),
    )
    assert response.status_code == 200
    assert "Choose at least one other participant" in error_summary(response)
    assert 'href="#id_participants' in error_summary(response)
    assert GroupSession.objects.count() == before


def test_the_facilitator_is_counted_even_when_not_ticked(world):
    # A senior manager above the team facilitates: not one of the team's staff, still there.
    response = as_(world, "senior_manager").post(
        reverse("group-session-new", args=[world.units["team"].pk]),
        session_form(world, participants=[world.supervisee.pk]),
    )
    assert response.status_code == 302
    session = GroupSession.objects.exclude(pk=world.group_session.pk).get()
    assert set(session.participants.all()) == {world.senior_manager, world.supervisee}


def test_participants_come_from_the_team(world):
    response = as_(world, "supervisor").post(
        reverse("group-session-new", args=[world.units["team"].pk]),
        session_form(world, participants=[world.other_supervisee.pk]),
    )
    assert "Choose participants from the team&#x27;s current staff" in error_summary(response)


def test_a_session_is_recorded_once_held(world):
    response = as_(world, "supervisor").post(
        reverse("group-session-new", args=[world.units["team"].pk]),
        session_form(world, held_on_0="6"),
    )
    summary = error_summary(response)
    assert "Enter a date and time in the past" in summary
    assert 'href="#id_held_on' in summary


def test_a_team_meeting_keeps_minutes(world):
    response = as_(world, "supervisor").post(
        reverse("group-session-new", args=[world.units["team"].pk]),
        session_form(world, format="team_meeting", summary=""),
    )
    assert "Enter the minutes of the team meeting" in error_summary(response)


# Children discussed (C6)


def test_each_child_discussed_gets_their_own_case_note_tied_to_the_session(world):
    session = group(world, "family_safeguarding")
    other = second_child(world)
    assert add_child(world, session, "ns100001").status_code == 302
    assert add_child(world, session, other.reference).status_code == 302
    notes = CaseNote.objects.filter(group_session=session).order_by("child__reference")
    assert [n.child for n in notes] == [world.child, other]
    for note in notes:
        assert note.kind == CaseNote.Kind.GROUP_SUPERVISION
        assert note.status == CaseNote.Status.DRAFT
        assert note.discussed_at == HELD
        assert note.author == world.supervisor
        assert note.worker == world.supervisee
    page = text(as_(world, "supervisor").get(reverse("group-session", args=[session.pk])))
    assert "NS100001 (AB)" in page
    assert "NS100003 (EF)" in page
    try:
        url = reverse("case-note", kwargs={"child_id": world.child.pk, "note_id": notes[0].pk})
    except NoReverseMatch:
        url = None  # the note page is tested with the case notes
    if url:
        assert f'href="{url}"' in page
    listing = text(
        as_(world, "supervisor").get(reverse("group-sessions", args=[world.units["team"].pk]))
    )
    row = re.search(
        rf'<tr class="govuk-table__row">(?:(?!</tr>).)*group-supervision/{session.pk}/.*?</tr>',
        listing,
    ).group(0)
    # Participants, then children discussed.
    assert re.findall(r'govuk-table__cell--numeric">(\d+)<', row) == ["2", "2"]


@pytest.mark.parametrize(
    ("format", "kind"),
    [
        ("case_progression", CaseNote.Kind.CASE_PROGRESSION),
        ("appreciative_inquiry", CaseNote.Kind.APPRECIATIVE_INQUIRY),
        ("case_formulation", CaseNote.Kind.GROUP_SUPERVISION),
        ("family_safeguarding", CaseNote.Kind.GROUP_SUPERVISION),
    ],
)
def test_the_note_records_the_point_of_oversight_of_the_format(world, format, kind):
    session = group(world, format)
    add_child(world, session, "NS100001")
    assert CaseNote.objects.get(group_session=session).kind == kind


def test_team_meetings_do_not_discuss_individual_children(world):
    session = group(world, "team_meeting")
    page = text(as_(world, "supervisor").get(reverse("group-session", args=[session.pk])))
    assert "Team meetings do not discuss individual children" in page
    assert 'name="reference"' not in page
    response = add_child(world, session, "NS100001")
    assert response.status_code == 200
    summary = error_summary(response)
    assert "Team meetings do not discuss individual children" in summary
    assert 'href="#id_reference"' in summary
    assert not CaseNote.objects.filter(group_session=session).exists()


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("NS999999", "There is no child with the reference NS999999"),
        ("Jo Smith", "not their name"),
        ("", "Enter the child&#x27;s unique reference"),
        # Another team's child reads as unknown: a reference typed here reveals nothing.
        ("NS200002", "There is no child with the reference NS200002"),
    ],
)
def test_an_unknown_reference_is_refused_naming_the_field(world, reference, message):
    session = world.group_session
    response = add_child(world, session, reference)
    assert response.status_code == 200
    summary = error_summary(response)
    assert message in summary
    assert 'href="#id_reference"' in summary
    assert not CaseNote.objects.filter(group_session=session).exists()


def test_a_child_is_discussed_once_per_session(world):
    session = world.group_session
    add_child(world, session, "NS100001")
    response = add_child(world, session, "NS100001")
    assert "NS100001 is already discussed in this session" in error_summary(response)
    assert CaseNote.objects.filter(group_session=session).count() == 1


def test_case_formulation_explains_and_asks_for_the_four_ps(world):
    session = group(world, "case_formulation")
    add_child(world, session, "NS100001")
    page = text(as_(world, "supervisor").get(reverse("group-session", args=[session.pk])))
    for factor in ["Predisposing", "Precipitating", "Perpetuating", "Protective"]:
        assert factor in page
    note = CaseNote.objects.select_related("child", "group_session").get(group_session=session)
    with time_machine.travel(DAY, tick=False):
        errors = services.note_errors(note)
    assert {"predisposing", "precipitating", "perpetuating", "protective"} <= set(errors)


def test_a_case_progression_session_leads_to_its_board(world):
    page = text(
        as_(world, "supervisor").get(reverse("group-session", args=[world.group_session.pk]))
    )
    board = reverse("progression-board", args=[world.units["team"].pk])
    assert f"{board}?group={world.group_session.pk}" in page


# Reach


def test_a_participant_reads_the_session_but_does_not_add_children(world):
    url = reverse("group-session", args=[world.group_session.pk])
    page = as_(world, "supervisee").get(url)
    assert page.status_code == 200
    assert 'name="reference"' not in text(page)
    assert as_(world, "supervisee").post(url, {"reference": "NS100001"}).status_code == 403
    assert not CaseNote.objects.filter(group_session=world.group_session).exists()


def test_reading_a_session_is_audited(world):
    as_(world, "supervisee").get(reverse("group-session", args=[world.group_session.pk]))
    assert AuditEvent.objects.filter(
        action=AuditAction.READ,
        actor=world.supervisee,
        object_type="group_session",
        object_id=str(world.group_session.pk),
    ).exists()


TEAM_PAGES = ["group-sessions", "group-session-new"]


@pytest.mark.parametrize("name", TEAM_PAGES)
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("supervisor", 200),
        ("senior_manager", 200),
        ("supervisee", 404),
        ("other_supervisee", 404),
        ("other_team_supervisor", 404),
        ("other_senior_manager", 404),
        ("auditor_with_grant", 404),
        ("auditor_without_grant", 404),
        ("admin", 404),
    ],
)
def test_team_pages_are_for_those_who_lead_the_team(world, name, role, status):
    url = reverse(name, args=[world.units["team"].pk])
    assert as_(world, role).get(url).status_code == status


@pytest.mark.parametrize(
    ("role", "get", "post"),
    [
        ("anonymous", 302, 302),
        ("supervisor", 200, 302),
        ("senior_manager", 200, 302),
        ("supervisee", 200, 403),
        ("other_supervisee", 404, 404),
        ("other_team_supervisor", 404, 404),
        ("other_senior_manager", 404, 404),
        ("auditor_with_grant", 404, 404),
        ("auditor_without_grant", 404, 404),
        ("admin", 404, 404),
    ],
)
def test_a_session_is_for_its_leaders_and_participants(world, role, get, post):
    url = reverse("group-session", args=[world.group_session.pk])
    assert as_(world, role).get(url).status_code == get
    assert as_(world, role).post(url, {"reference": "NS100001"}).status_code == post


def test_an_unknown_team_or_session_is_a_404_and_audited(world):
    assert as_(world, "supervisor").get("/teams/nonsense/group-supervision/").status_code == 404
    assert as_(world, "supervisor").get("/group-supervision/99999/").status_code == 404
    assert AuditEvent.objects.filter(
        action=AuditAction.DENIED, object_type="group_session", object_id="99999"
    ).exists()


def test_the_session_list_runs_a_fixed_number_of_queries(world, django_assert_num_queries):
    team = world.units["team"]
    url = reverse("group-sessions", args=[team.pk])
    for count in (3, 40):
        for _ in range(count):
            group(world, "case_progression")
        person = as_(world, "supervisor")
        person.get(url)
        # Justify any query added to this page. The roles: one statement (issue 21: four before).
        with time_machine.travel(DAY, tick=False), django_assert_num_queries(9):
            assert person.client.get(url).status_code == 200
