"""Case supervision notes and management oversight entries, written to the child (R11) at the
points of R12, through the pages as managers and workers use them."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework import services
from casework.models import CaseNote, CaseNoteAction, Child, FinalisedNoteError, Plan
from supervision.models import SupervisionSession
from supervision.models.audit import AuditAction, AuditEvent
from tests.factories import SUPERVISEE_PASSWORD

pytestmark = pytest.mark.django_db

# 9am on 5 March 2026: London is on GMT, so the clock reads 9:00am.
DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
DECISION = "I decided that you should stay with your gran while your mum gets help."
REASONS = "Because you told us you feel safe there, and your school says you are happier."


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = DAY


class Person:
    """A browser for one person, at 9am on 5 March 2026."""

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


def date_fields(name, day: date) -> dict:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def url(name, note, *extra) -> str:
    return reverse(name, args=[note.child_id, note.pk, *extra])


def note_form(note, **fields) -> dict:
    """The edit form as posted, with the version the page was loaded at."""
    data = {
        "current_situation": "You are settled at school.",
        "working_well": "Your gran takes you to school every day.",
        "worries": "Your mum is not well enough to look after you yet.",
        "decision": DECISION,
        "reasons": REASONS,
        **date_fields("next_review_on", date(2026, 4, 2)),
        "version": str(note.version),
    }
    data.update(fields)
    return data


def complete(world, note: CaseNote) -> CaseNote:
    with time_machine.travel(DAY, tick=False):
        return services.case_note_update(
            note=note,
            version=CaseNote.objects.get(pk=note.pk).version,
            by=world.supervisor,
            current_situation="You are settled at school.",
            worries="Your mum is not well enough to look after you yet.",
            decision=DECISION,
            reasons=REASONS,
            next_review_on=date(2026, 4, 2),
        )


def finalise(world, note: CaseNote) -> CaseNote:
    with time_machine.travel(DAY, tick=False):
        return services.case_note_finalise(
            note=note, password=SUPERVISEE_PASSWORD, by=world.supervisor
        )


def case_session(world, when=datetime(2026, 3, 3, 10, tzinfo=UTC), supervisee=None, kind="case"):
    return SupervisionSession.objects.create(
        supervisee=supervisee or world.supervisee,
        supervisor=world.supervisor,
        session_type=kind,
        starts_at=when,
        ends_at=when + timedelta(hours=1),
        created_by=world.supervisor,
        status=SupervisionSession.Status.HELD,
    )


# Starting a note


def test_a_manager_chooses_the_point_of_oversight_and_goes_on_to_write_the_note(world):
    supervisor = as_(world, "supervisor")
    new = reverse("case-note-new", args=[world.child.pk])

    page = text(supervisor.get(new))
    assert "Start a case note for NS100001" in page
    # Every point of R12 is offered, each with its hint from Kent's policy's oversight table.
    for label in CaseNote.Kind.labels:
        assert label in page
    assert "discussed within 24 hours or sooner" in page
    assert "Strategy discussion minutes approved by the team manager" in page
    assert "stay with your gran" in page

    response = supervisor.post(
        new,
        {
            "kind": "allocation",
            **date_fields("discussed_on", date(2026, 3, 5)),
            "discussed_time": "8:30am",
        },
    )
    note = CaseNote.objects.exclude(pk=world.case_note.pk).get()
    assert response.status_code == 302
    assert response["Location"] == url("case-note-edit", note)
    assert note.kind == "allocation" and note.status == "draft"
    assert note.author == world.supervisor and note.worker == world.supervisee
    assert timezone.localtime(note.discussed_at).strftime("%H:%M") == "08:30"


def test_a_discussion_in_the_future_is_refused_naming_the_field(world):
    response = as_(world, "supervisor").post(
        reverse("case-note-new", args=[world.child.pk]),
        {
            "kind": "case_supervision",
            **date_fields("discussed_on", date(2026, 3, 5)),
            "discussed_time": "2:30pm",
        },
    )
    assert response.status_code == 200
    assert "Enter a date and time in the past" in error_summary(response)
    assert 'href="#id_discussed_on' in error_summary(response)
    assert CaseNote.objects.count() == 1

    response = as_(world, "supervisor").post(
        reverse("case-note-new", args=[world.child.pk]),
        {
            "kind": "",
            "discussed_on_0": "31",
            "discussed_on_1": "2",
            "discussed_on_2": "2026",
            "discussed_time": "noon",
        },
    )
    summary = error_summary(response)
    assert "Choose the point of oversight this note records" in summary
    assert "Enter the date it was discussed as a real date" in summary
    assert "Enter the time as 9:30am, 2:30pm or 14:30" in summary


def test_a_session_can_be_preselected_and_another_workers_session_is_refused(world):
    mine = case_session(world)
    individual = case_session(world, kind="individual")
    theirs = case_session(
        world, when=datetime(2026, 3, 2, 10, tzinfo=UTC), supervisee=world.other_supervisee
    )
    new = reverse("case-note-new", args=[world.child.pk])
    supervisor = as_(world, "supervisor")

    page = text(supervisor.get(f"{new}?kind=case_supervision&session={mine.pk}"))
    assert f'<option value="{mine.pk}" selected>' in page
    assert f'<option value="{individual.pk}"' not in page  # not a case supervision
    assert f'<option value="{theirs.pk}"' not in page
    assert 'value="case_supervision" checked' in page

    posted = {
        "kind": "case_supervision",
        **date_fields("discussed_on", date(2026, 3, 3)),
        "discussed_time": "10:15",
    }
    response = supervisor.post(new, posted | {"session": str(theirs.pk)})
    assert "Choose a session with the worker the child is allocated to" in error_summary(response)
    assert 'href="#id_session"' in error_summary(response)
    response = supervisor.post(new, posted | {"session": str(individual.pk)})
    assert "Choose a case supervision session from the last 30 days" in error_summary(response)
    assert CaseNote.objects.count() == 1

    response = supervisor.post(new, posted | {"session": str(mine.pk)})
    assert response.status_code == 302
    assert CaseNote.objects.get(session=mine).child == world.child


# Writing the note


def test_the_form_says_the_note_is_written_to_the_child_with_an_example_and_prompts(world):
    page = text(as_(world, "supervisor").get(url("case-note-edit", world.case_note)))
    assert "Write the note to the child" in page
    assert '<div class="govuk-inset-text">' in page
    assert "Write to the child</strong>, as if they will read this when they are older" in page
    assert (
        "I decided that you should stay with your gran while your mum gets help, because you "
        "told us you feel safe there." in page
    )
    for prompt in ("Experience:", "Reflection:", "Analysis:", "Plans:"):
        assert prompt in page
    for heading in (
        "Current situation",
        "What is working well",
        "Worries and risks",
        "Decision and direction",
        "Reasons for the decision",
        "Next review date",
    ):
        assert heading in page
    assert "You are settled at school." in page


def test_an_oversight_entry_asks_for_a_decision_and_its_rationale(world):
    with time_machine.travel(DAY, tick=False):
        note = services.case_note_create(
            child=world.child, kind="step_down", by=world.supervisor, discussed_at=DAY
        )
    supervisor = as_(world, "supervisor")
    page = text(supervisor.get(url("case-note-edit", note)))
    assert "Rationale for the decision" in page and "Current situation (optional)" in page
    assert "What is working well" not in page and "Worries and risks" not in page

    response = supervisor.post(url("case-note-finalise", note), {"password": SUPERVISEE_PASSWORD})
    summary = error_summary(response)
    assert "Enter the decision and direction" in summary and "Enter the reasons" in summary
    assert "Enter the current situation" not in summary

    supervisor.post(
        url("case-note-edit", note),
        {"decision": DECISION, "reasons": REASONS, "version": str(note.version)},
    )
    response = supervisor.post(url("case-note-finalise", note), {"password": SUPERVISEE_PASSWORD})
    assert response.status_code == 302
    assert CaseNote.objects.get(pk=note.pk).is_final


def test_saving_keeps_the_text_and_goes_to_the_note(world):
    note = world.case_note
    supervisor = as_(world, "supervisor")
    response = supervisor.post(url("case-note-edit", note), note_form(note))
    assert response.status_code == 302 and response["Location"] == url("case-note", note)
    note.refresh_from_db()
    assert note.decision == DECISION and note.next_review_on == date(2026, 4, 2)
    page = text(supervisor.get(url("case-note", note)))
    assert "Case note saved" in page and DECISION in page
    page = text(supervisor.get(url("case-note-edit", note)))
    assert 'name="next_review_on_1" value="4"' in page and DECISION in page

    response = supervisor.post(
        url("case-note-edit", note),
        note_form(note, **date_fields("next_review_on", date(2026, 3, 1))),
    )
    assert "Enter a next review date on or after the discussion" in error_summary(response)
    response = supervisor.post(
        url("case-note-edit", note), note_form(note, next_review_on_0="", next_review_on_1="4")
    )
    assert "Enter the next review date as a day, month and year" in error_summary(response)


def test_someone_elses_save_is_not_overwritten_and_the_users_text_is_kept(world):
    note = world.case_note
    supervisor = as_(world, "supervisor")
    opened_at = note.version
    # The senior manager saves while the supervisor is still writing.
    with time_machine.travel(DAY, tick=False):
        services.case_note_update(
            note=note, version=opened_at, by=world.senior_manager, decision="Their decision"
        )

    mine = "My decision: you will stay with your gran for now."
    response = supervisor.post(
        url("case-note-edit", note), note_form(note, decision=mine, version=str(opened_at))
    )
    page = text(response)
    assert response.status_code == 409
    assert "Someone else saved this note since you opened it" in page
    assert mine in page  # the user's text is still in the form
    assert "Their decision" in page  # beside what the other person saved
    assert CaseNote.objects.get(pk=note.pk).decision == "Their decision"

    # Saving again, knowingly, replaces their version.
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    response = supervisor.post(
        url("case-note-edit", note), note_form(note, decision=mine, version=version)
    )
    assert response.status_code == 302
    assert CaseNote.objects.get(pk=note.pk).decision == mine


def test_a_case_formulation_note_asks_for_the_four_ps(world):
    from casework.models import GroupSession

    group = GroupSession.objects.create(
        unit=world.units["team"],
        format=GroupSession.Format.CASE_FORMULATION,
        held_at=datetime(2026, 3, 4, 10, tzinfo=UTC),
        facilitator=world.supervisor,
        created_by=world.supervisor,
    )
    with time_machine.travel(DAY, tick=False):
        note = services.case_note_create(
            child=world.child,
            kind="group_supervision",
            by=world.supervisor,
            discussed_at=group.held_at,
            group_session=group,
        )
    supervisor = as_(world, "supervisor")
    assert "Case formulation: the four Ps" not in text(
        supervisor.get(url("case-note-edit", world.case_note))
    )
    page = text(supervisor.get(url("case-note-edit", note)))
    assert "Case formulation: the four Ps" in page and "Protective factors" in page

    supervisor.post(url("case-note-edit", note), note_form(note, protective="Your gran."))
    response = supervisor.post(url("case-note-finalise", note), {"password": SUPERVISEE_PASSWORD})
    summary = error_summary(response)
    assert "Enter the predisposing factors" in summary
    assert "Enter the protective factors" not in summary
    page = text(supervisor.get(url("case-note", note)))
    assert "Case formulation: the four Ps" in page and "Your gran." in page


# Actions


def test_actions_are_added_one_at_a_time_and_bad_input_names_the_field(world):
    note = world.case_note
    supervisor = as_(world, "supervisor")
    add = url("case-note-action-add", note)
    page = text(supervisor.get(url("case-note-edit", note)))
    assert "Add an action" in page
    assert f'<option value="{world.supervisee.pk}">Supervisee</option>' in page
    assert f'value="{world.other_team_supervisor.pk}"' not in page

    response = supervisor.post(add, {"action-description": "", "action-owner": ""})
    summary = error_summary(response)
    assert "Enter what will be done" in summary and 'href="#id_action-description"' in summary

    response = supervisor.post(add, {"action-description": "Visit your gran", "action-owner": ""})
    summary = error_summary(response)
    assert "Choose who will do it, or enter their name" in summary
    assert "Enter the date it will be done by" in summary

    bad = {
        "action-description": "Visit your gran",
        "action-owner": str(world.supervisee.pk),
        **date_fields("action-due_on", date(2026, 3, 1)),
    }
    assert "Enter a date on or after the discussion" in error_summary(supervisor.post(add, bad))
    response = supervisor.post(add, bad | {"action-owner": str(world.other_team_supervisor.pk)})
    assert "Choose who will do it from the list" in error_summary(response)
    response = supervisor.post(add, bad | {"action-owner": "other", "action-owner_name": ""})
    assert "Enter the name of the person who will do it" in error_summary(response)
    assert not CaseNoteAction.objects.exists()

    good = bad | date_fields("action-due_on", date(2026, 3, 12))
    response = supervisor.post(add, good)
    assert response.status_code == 302
    assert response["Location"] == url("case-note-edit", note) + "#actions"
    response = supervisor.post(
        add,
        good
        | {
            "action-owner": "other",
            "action-owner_name": "Your gran",
            "action-description": "Call school",
        },
    )
    page = text(supervisor.get(url("case-note-edit", note)))
    assert "Add another action" in page
    assert "Visit your gran" in page and "Your gran" in page and "12 March 2026" in page
    actions = list(CaseNoteAction.objects.order_by("pk"))
    assert actions[0].owner == world.supervisee and actions[1].owner_name == "Your gran"

    response = supervisor.post(url("case-note-action-remove", note, actions[1].pk))
    assert response.status_code == 302
    assert list(CaseNoteAction.objects.all()) == [actions[0]]


def test_after_final_the_owner_and_managers_track_an_actions_progress(world):
    note = world.case_note
    with time_machine.travel(DAY, tick=False):
        mine = services.case_note_action_add(
            note=note,
            description="Meet you at school",
            due_on=date(2026, 3, 12),
            owner=world.supervisee,
            by=world.supervisor,
        )
        gran = services.case_note_action_add(
            note=note,
            description="Ask gran about weekends",
            due_on=date(2026, 3, 12),
            owner_name="Gran",
            by=world.supervisor,
        )
    worker = as_(world, "supervisee")

    # A draft's actions are changed on the note, not tracked.
    response = worker.post(url("case-note-action-status", note, mine.pk), {"status": "done"})
    assert response.status_code == 302
    assert CaseNoteAction.objects.get(pk=mine.pk).status == "open"

    complete(world, note)
    finalise(world, note)
    page = text(worker.get(url("case-note", note)))
    assert page.count("Update<span") == 1  # only the worker's own action

    response = worker.post(url("case-note-action-status", note, mine.pk), {"status": "done"})
    assert response.status_code == 302
    assert CaseNoteAction.objects.get(pk=mine.pk).status == "done"
    assert "Action marked as done" in text(worker.get(url("case-note", note)))
    assert (
        worker.post(url("case-note-action-status", note, gran.pk), {"status": "done"}).status_code
        == 403
    )

    manager = as_(world, "senior_manager")
    response = manager.post(url("case-note-action-status", note, gran.pk), {"status": "nonsense"})
    assert "Choose whether the action is open, done or no longer needed" in text(response)
    response = manager.post(url("case-note-action-status", note, gran.pk), {"status": "dropped"})
    assert CaseNoteAction.objects.get(pk=gran.pk).status == "dropped"


# Finalising and the lock


def test_finalising_is_refused_with_an_error_for_each_missing_heading(world):
    note = world.case_note
    supervisor = as_(world, "supervisor")
    page = text(supervisor.get(url("case-note-finalise", note)))
    assert "Sign and finalise the note" in page and 'type="password"' in page

    response = supervisor.post(url("case-note-finalise", note), {"password": SUPERVISEE_PASSWORD})
    summary = error_summary(response)
    edit = url("case-note-edit", note)
    assert (
        f'<a href="{edit}#id_decision">Enter the decision and direction, written to the child</a>'
        in summary
    )
    assert (
        f'<a href="{edit}#id_reasons">Enter the reasons for the decision, written to the child</a>'
        in summary
    )
    assert f'href="{edit}#id_worries"' in summary
    assert f'href="{edit}#id_next_review_on_0"' in summary
    assert "current situation" not in summary.lower()  # already written
    assert not CaseNote.objects.get(pk=note.pk).is_final

    complete(world, note)
    response = supervisor.post(url("case-note-finalise", note), {"password": "wrong"})
    summary = error_summary(response)
    assert (
        '<a href="#id_password">The password is not correct. Enter your password to sign</a>'
        in summary
    )
    assert not CaseNote.objects.get(pk=note.pk).is_final


def test_a_note_locks_on_finalise(world):
    note = world.case_note
    supervisor = as_(world, "supervisor")
    complete(world, note)
    with time_machine.travel(DAY, tick=False):
        services.case_note_action_add(
            note=note,
            description="Meet you at school",
            due_on=date(2026, 3, 12),
            owner=world.supervisee,
            by=world.supervisor,
        )

    response = supervisor.post(url("case-note-finalise", note), {"password": SUPERVISEE_PASSWORD})
    assert response["Location"] == url("case-note", note)
    page = text(supervisor.get(url("case-note", note)))
    assert "Case note finalised and locked" in page
    assert 'govuk-tag--green">Final' in page
    assert "Finalised by Supervisor on 5 March 2026 at 9:00am" in page
    assert "Edit the note" not in page
    note.refresh_from_db()
    assert note.is_final and len(note.content_hash) == 64
    child = Child.objects.get(pk=world.child.pk)
    assert child.last_discussed_at == note.discussed_at
    assert child.next_review_on == date(2026, 4, 2)

    # The edit page says so, and nothing posted changes the note or its actions.
    page = text(supervisor.get(url("case-note-edit", note)))
    assert "This note is final and cannot be changed" in page
    response = supervisor.post(url("case-note-edit", note), note_form(note, decision="Changed"))
    assert response.status_code == 403
    action = note.actions.get()
    assert supervisor.post(url("case-note-action-remove", note, action.pk)).status_code == 403
    response = supervisor.post(
        url("case-note-action-add", note),
        {
            "action-description": "More",
            "action-owner": str(world.supervisee.pk),
            **date_fields("action-due_on", date(2026, 3, 20)),
        },
    )
    assert response.status_code == 403
    response = supervisor.post(url("case-note-finalise", note), {"password": SUPERVISEE_PASSWORD})
    assert response.status_code == 302
    after = CaseNote.objects.get(pk=note.pk)
    assert after.decision == DECISION and after.version == note.version
    assert after.actions.count() == 1

    # Below the pages, the model refuses too.
    after.decision = "Changed behind the pages"
    with pytest.raises(FinalisedNoteError):
        after.save()


def test_the_database_refuses_to_change_a_final_note(world):
    note = world.case_note
    complete(world, note)
    finalise(world, note)
    with (
        pytest.raises(DatabaseError, match="is final"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE casework_casenote SET decision = %s WHERE id = %s", ["Changed", note.pk]
        )
    assert CaseNote.objects.get(pk=note.pk).decision == DECISION


# Chronic neglect (C8)


NEGLECT_QUESTION = "Has an independent review of home conditions been considered?"


def test_neglect_reviews_are_asked_only_for_a_child_protection_plan_for_chronic_neglect(world):
    note = world.case_note
    supervisor = as_(world, "supervisor")
    complete(world, note)
    assert NEGLECT_QUESTION not in text(supervisor.get(url("case-note-edit", note)))

    Child.objects.filter(pk=world.child.pk).update(plan=Plan.CHILD_PROTECTION)
    assert NEGLECT_QUESTION not in text(supervisor.get(url("case-note-edit", note)))

    Child.objects.filter(pk=world.child.pk).update(chronic_neglect=True)
    page = text(supervisor.get(url("case-note-edit", note)))
    assert "Chronic neglect: reviews to consider" in page
    assert NEGLECT_QUESTION in page
    assert "Has a review of the chronology been considered?" in page
    assert "Has a review of written agreements been considered?" in page
    assert "Yes: arranged or in place" in page and "Considered: not needed now" in page

    response = supervisor.post(url("case-note-finalise", note), {"password": SUPERVISEE_PASSWORD})
    summary = error_summary(response)
    edit = url("case-note-edit", note)
    assert f'href="{edit}#id_neglect_home_conditions_1"' in summary
    assert "Say whether independent review of home conditions has been considered" in summary
    assert "Say whether review of the chronology has been considered" in summary
    assert "Say whether review of written agreements has been considered" in summary
    assert not CaseNote.objects.get(pk=note.pk).is_final

    note.refresh_from_db()
    supervisor.post(
        url("case-note-edit", note),
        note_form(
            note,
            neglect_home_conditions="arranged",
            neglect_chronology="not_needed",
            neglect_written_agreements="not_considered",
            neglect_comment="Home conditions review booked with the health visitor.",
        ),
    )
    response = supervisor.post(url("case-note-finalise", note), {"password": SUPERVISEE_PASSWORD})
    assert response.status_code == 302
    page = text(supervisor.get(url("case-note", note)))
    assert "Chronic neglect: reviews considered" in page
    assert "Independent review of home conditions</dt>" in page
    assert "Yes: arranged or in place" in page and "Not yet considered" in page
    assert "Home conditions review booked with the health visitor." in page


# Reading, and who may


def test_the_note_reads_as_a_document_naming_the_child_by_reference_and_initials(world):
    note = world.case_note
    Child.objects.filter(pk=world.child.pk).update(name="Alice Brown")
    session = case_session(world)
    CaseNote.objects.filter(pk=note.pk).update(session=session)
    complete(world, note)
    page = text(as_(world, "supervisee").get(url("case-note", note)))
    assert "NS100001 (AB)" in page
    assert "Alice" not in page
    assert "Case supervision, 4 March 2026 at 2:00pm" in page
    assert "Case supervision, 3 March 2026" in page  # the session, linked for its parties
    assert reverse("session", args=[session.pk]) in page
    assert 'govuk-tag--grey">Draft' in page
    assert DECISION in page and "2 April 2026" in page
    assert "Written by</dt>" in page and "Supervisor" in page
    # The worker reads but does not manage.
    assert "Edit the note" not in page and "Finalise" not in page
    assert "Download PDF (draft)" in page

    page = text(as_(world, "senior_manager").get(url("case-note", note)))
    assert "Edit the note" in page and url("case-note-finalise", note) in page
    assert reverse("session", args=[session.pk]) not in page  # not a party: the date only


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("supervisee", 200, 403),
        ("supervisor", 200, 200),
        ("senior_manager", 200, 200),
        ("other_team_supervisor", 404, 404),
        ("other_senior_manager", 404, 404),
        ("other_supervisee", 404, 404),
        ("auditor_with_grant", 404, 404),
        ("auditor_without_grant", 404, 404),
        ("admin", 404, 404),
    ],
)
def test_reach(world, role, read, write):
    note = world.case_note
    person = as_(world, role)
    assert person.get(url("case-note", note)).status_code == read
    assert person.get(url("case-note-pdf", note)).status_code == read
    assert person.get(reverse("child-extract", args=[world.child.pk])).status_code == read
    assert person.get(url("case-note-edit", note)).status_code == write
    assert person.get(url("case-note-finalise", note)).status_code == write
    assert person.get(reverse("case-note-new", args=[world.child.pk])).status_code == write
    if write != 200:
        response = person.post(url("case-note-edit", note), note_form(note, decision="Mine"))
        assert response.status_code == write
        response = person.post(url("case-note-finalise", note), {"password": SUPERVISEE_PASSWORD})
        assert response.status_code == write
        assert CaseNote.objects.get(pk=note.pk).decision == ""


def test_anonymous_people_are_sent_to_sign_in(world):
    for address in (
        url("case-note", world.case_note),
        url("case-note-edit", world.case_note),
        reverse("case-note-new", args=[world.child.pk]),
        reverse("child-extract-download", args=[world.child.pk]) + "?format=txt",
    ):
        response = as_(world, "anonymous").get(address)
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_a_note_under_another_childs_address_is_not_found(world):
    with time_machine.travel(DAY, tick=False):
        other = services.case_note_create(
            child=world.other_child, kind="ad_hoc", by=world.other_team_supervisor, discussed_at=DAY
        )
    supervisor = as_(world, "supervisor")
    wrong = reverse("case-note", args=[world.child.pk, other.pk])
    assert supervisor.get(wrong).status_code == 404
    assert (
        supervisor.get(reverse("case-note-edit", args=[world.child.pk, other.pk])).status_code
        == 404
    )
    assert supervisor.get(reverse("case-note", args=[world.child.pk, "x"])).status_code == 404
    denied = AuditEvent.objects.filter(action=AuditAction.DENIED, object_type="case_note")
    assert denied.filter(object_id=str(other.pk), actor=world.supervisor).exists()


def test_reading_a_note_is_audited_without_its_text(world):
    note = world.case_note
    complete(world, note)
    as_(world, "supervisee").get(url("case-note", note))
    event = AuditEvent.objects.get(action=AuditAction.READ, object_type="case_note")
    assert event.actor == world.supervisee and event.object_id == str(note.pk)
    assert DECISION not in str(event.detail)


def test_the_note_page_runs_the_same_queries_however_many_actions(
    client, world, django_assert_num_queries, clamd
):
    from casework.note_attachments import case_note_attachment_add
    from tests.attachments import upload

    note = world.case_note
    complete(world, note)
    address = url("case-note", note)
    for count in (1, 25):
        with time_machine.travel(DAY, tick=False):
            for index in range(count):
                services.case_note_action_add(
                    note=note,
                    description=f"Action {index}",
                    due_on=date(2026, 3, 20),
                    owner=world.supervisee if index % 2 else None,
                    owner_name="" if index % 2 else "Gran",
                    by=world.supervisor,
                )
                if index % 10 == 0:
                    case_note_attachment_add(note=note, upload=upload(), by=world.supervisor)
            client.force_login(world.supervisor)
            client.get(address)  # the first request after sign-in also creates the session row
            # Justify any query added to this page: the 21st reads the note's attachments.
            # The navigation's roles are one statement (issue 21: three before).
            with django_assert_num_queries(11):
                assert client.get(address).status_code == 200


# A case supervision session's children


def more_children(world, count, marked=(), start=0):
    children = []
    with time_machine.travel(DAY, tick=False):
        for index in range(start, start + count):
            children.append(
                services.child_create(
                    reference=f"NS3{index:05d}",
                    initials="XY",
                    service="social_work",
                    plan="child_in_need",
                    unit=world.units["team"],
                    worker=world.supervisee,
                    allocated_at=datetime(2026, 2, 1, 9, tzinfo=UTC),
                    by=world.supervisor,
                )
            )
    for index in marked:
        Child.objects.filter(pk=children[index].pk).update(
            discuss_next_marked_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
            discuss_next_marked_by=world.supervisor,
            discuss_next_reason="School exclusion",
        )
    return children


def test_a_case_session_lists_the_caseload_marked_children_first_with_their_notes(world):
    session = case_session(world)
    children = more_children(world, 2, marked=[1])
    with time_machine.travel(DAY, tick=False):
        written = services.case_note_create(
            child=children[0],
            kind="case_supervision",
            by=world.supervisor,
            discussed_at=session.starts_at,
            session=session,
        )
    closed = more_children(world, 1, start=2)[0]
    Child.objects.filter(pk=closed.pk).update(closed_on=date(2026, 3, 1))
    page = text(as_(world, "supervisor").get(reverse("session-case-notes", args=[session.pk])))

    assert "Write a case note for each child discussed with Supervisee" in page
    order = [
        page.index(ref)
        for ref in (children[1].reference, world.child.reference, children[0].reference)
    ]
    assert order == sorted(order)  # the marked child first, then by reference
    assert "Discuss next time" in page and "School exclusion" in page
    assert url("case-note", written) in page
    new = reverse("case-note-new", args=[world.child.pk])
    assert f"{new}?kind=case_supervision&amp;session={session.pk}" in page
    assert closed.reference not in page  # closed: no longer on the caseload
    assert "NS200002" not in page  # another worker's child

    worker_page = text(
        as_(world, "supervisee").get(reverse("session-case-notes", args=[session.pk]))
    )
    assert world.child.reference in worker_page and "Write a case note" not in worker_page
    assert url("case-note", written) in worker_page

    assert (
        as_(world, "auditor_with_grant")
        .get(reverse("session-case-notes", args=[session.pk]))
        .status_code
        == 404
    )
    assert (
        as_(world, "other_team_supervisor")
        .get(reverse("session-case-notes", args=[session.pk]))
        .status_code
        == 404
    )
    # Not a case supervision session: nothing to write here.
    assert (
        as_(world, "supervisor")
        .get(reverse("session-case-notes", args=[world.session.pk]))
        .status_code
        == 404
    )
    assert AuditEvent.objects.filter(
        action=AuditAction.READ, object_type="caseload", object_id=str(world.supervisee.pk)
    ).exists()


def test_the_session_children_page_runs_the_same_queries_however_many_children(
    client, world, django_assert_num_queries
):
    session = case_session(world)
    address = reverse("session-case-notes", args=[session.pk])
    for count in (2, 30):
        children = more_children(world, count, marked=[0], start=Child.objects.count())
        with time_machine.travel(DAY, tick=False):
            for child in children[::2]:
                services.case_note_create(
                    child=child,
                    kind="case_supervision",
                    by=world.supervisor,
                    discussed_at=session.starts_at,
                    session=session,
                )
            client.force_login(world.supervisor)
            client.get(address)
            # Justify any query added to this page. The roles: one statement (three before).
            with django_assert_num_queries(12):
                assert client.get(address).status_code == 200


# Nothing typed is lost

ACTION = {
    "action-description": "Visit your gran",
    "action-owner": "other",
    "action-owner_name": "Your gran",
    **date_fields("action-due_on", date(2026, 3, 12)),
}


def test_adding_an_action_before_saving_the_note_keeps_every_heading_typed(world):
    note = world.case_note
    supervisor = as_(world, "supervisor")
    page = text(supervisor.get(url("case-note-edit", note)))
    # One form: the add and remove buttons post the note's text with them.
    forms = re.findall(r'<form method="post" action="([^"]+)"', page)
    assert [f for f in forms if f not in ("/sign-out/", "/keep-alive/")] == [
        url("case-note-edit", note)
    ]
    assert f'formaction="{url("case-note-action-add", note)}"' in page
    response = supervisor.post(url("case-note-action-add", note), note_form(note) | ACTION)
    assert response.status_code == 302
    page = text(supervisor.get(url("case-note-edit", note)))
    saved = CaseNote.objects.get(pk=note.pk)
    assert saved.current_situation == "You are settled at school."
    assert saved.working_well == "Your gran takes you to school every day."
    assert saved.decision == DECISION and saved.next_review_on == date(2026, 4, 2)
    assert "You are settled at school." in page and "Visit your gran" in page


def test_removing_an_action_keeps_the_text_typed_too(world):
    note = world.case_note
    supervisor = as_(world, "supervisor")
    supervisor.post(url("case-note-action-add", note), note_form(note) | ACTION)
    action = CaseNoteAction.objects.get()
    version = CaseNote.objects.get(pk=note.pk).version
    typed = note_form(note, worries="New worry typed", version=str(version))
    response = supervisor.post(url("case-note-action-remove", note, action.pk), typed)
    assert response.status_code == 302
    assert CaseNote.objects.get(pk=note.pk).worries == "New worry typed"
    assert not CaseNoteAction.objects.exists()


def test_an_action_added_with_a_stale_note_shows_both_texts_and_adds_nothing(world):
    note = world.case_note
    stale = note_form(note, worries="Mine")
    complete(world, note)  # someone else saves first
    response = as_(world, "supervisor").post(url("case-note-action-add", note), stale | ACTION)
    assert response.status_code == 409
    page = text(response)
    assert "Someone else saved this note since you opened it" in page
    assert "Mine" in page and "Visit your gran" in page  # both kept on the page
    assert not CaseNoteAction.objects.exists()


def test_the_note_saves_itself_as_it_is_typed(world):
    note = world.case_note
    supervisor = as_(world, "supervisor")
    autosave = url("case-note-autosave", note)
    assert f'data-autosave-url="{autosave}"' in text(supervisor.get(url("case-note-edit", note)))
    first = supervisor.post(autosave, note_form(note, worries="Typed so far"))
    assert first.status_code == 200
    version = first.json()["version"]
    assert CaseNote.objects.get(pk=note.pk).worries == "Typed so far"
    # Nothing new typed: the version stays, so the next save is not taken for someone else's.
    again = supervisor.post(autosave, note_form(note, worries="Typed so far", version=version))
    assert again.json()["version"] == version
    stale = supervisor.post(autosave, note_form(note, worries="Other", version=version - 1))
    assert stale.status_code == 409 and stale.json()["conflict"] is True
    bad = supervisor.post(autosave, note_form(note, worries="a\x00b", version=version))
    assert bad.status_code == 400 and "control characters" in bad.json()["error"]
    assert CaseNote.objects.get(pk=note.pk).worries == "Typed so far"


@pytest.mark.parametrize("role", ["supervisee", "other_team_supervisor", "admin"])
def test_nobody_without_oversight_autosaves_a_note(world, role):
    note = world.case_note
    response = as_(world, role).post(url("case-note-autosave", note), note_form(note))
    assert response.status_code in (403, 404)
    assert CaseNote.objects.get(pk=note.pk).worries == ""
