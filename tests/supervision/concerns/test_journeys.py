"""A supervisee's concern about their supervision (001 §3) and a disagreement escalated to
the supervisor's manager (004 Appendix C), as the people in them live them."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from oversight.models import Notification
from supervision.concerns import services
from supervision.models import Concern, SupervisionRecord
from supervision.models.audit import AuditEvent
from supervision.models.organisation import SupervisorAbsence
from supervision.people.leaving import leavers_close, staff_mark_left
from supervision.records import services as record_services
from supervision.records.canonical import (
    load_record_for_content,
    record_content,
    record_hash,
)
from tests.factories import SUPERVISEE_PASSWORD, RelationshipFactory, StaffProfileFactory
from tests.records import held_session
from tests.world import build_world

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def world():
    with time_machine.travel(DAY, tick=False):
        yield build_world()


def emails_to(person):
    return list(Notification.objects.filter(recipient=person, kind=Notification.Kind.CONCERN))


def test_raised_answered_and_read_back_and_the_supervisor_never_sees_it(client, world):
    with time_machine.travel(DAY, tick=False):
        client.force_login(world.supervisee)
        page = client.get(reverse("concerns"))
        assert "Raise a concern about your supervision" in page.content.decode()
        response = client.post(
            reverse("concern-new"),
            {"text": "Sessions are cancelled <script>alert(1)</script> every month"},
            follow=True,
        )
        assert "Your concern has been raised" in response.content.decode()
        concern = Concern.objects.get()
        # The supervisor's line manager, found from the organisation: the senior manager.
        assert concern.raised_with == world.senior_manager
        assert concern.supervisor == world.supervisor
        html = response.content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)" not in html

        # The email says only that something was raised, and links to it.
        (email,) = emails_to(world.senior_manager)
        assert "cancelled" not in email.body and world.supervisee.full_name not in email.body
        assert f"/concerns/{concern.pk}/" in email.body

        # The supervisor gets the same 404 as for anything out of their reach.
        client.force_login(world.supervisor)
        assert client.get(reverse("concern", args=[concern.pk])).status_code == 404
        assert "Sessions are cancelled" not in client.get(reverse("concerns")).content.decode()
        assert not emails_to(world.supervisor)

        client.force_login(world.senior_manager)
        listing = client.get(reverse("concerns")).content.decode()
        assert "Raised with you" in listing and world.supervisee.full_name in listing
        response = client.post(
            reverse("concern-answer", args=[concern.pk]),
            {"resolve": "yes", "text": "I have agreed a fixed monthly slot with your supervisor."},
            follow=True,
        )
        assert "Your answer has been sent" in response.content.decode()

        client.force_login(world.supervisee)
        page = client.get(reverse("concern", args=[concern.pk])).content.decode()
        assert "fixed monthly slot" in page and "Resolved" in page
        assert "Withdraw it" not in page  # closed: nothing more to do on it
    assert len(emails_to(world.supervisee)) == 1
    changes = list(
        AuditEvent.objects.filter(object_type="concern", action="write")
        .order_by("pk")
        .values_list("detail__change", flat=True)
    )
    assert changes == ["concern raised", "resolved"]
    # Each time it was opened: after raising, after answering, and by the supervisee.
    assert AuditEvent.objects.filter(object_type="concern", action="read").count() == 3
    refusal = AuditEvent.objects.get(object_type="concern", action="denied")
    assert refusal.actor == world.supervisor and refusal.subject is None


def test_the_supervisee_adds_to_it_and_withdraws_it_and_the_manager_is_told(client, world):
    with time_machine.travel(DAY, tick=False):
        concern = services.concern_raise(supervisee=world.supervisee, text="Too short")
        client.force_login(world.supervisee)
        client.post(reverse("concern-add", args=[concern.pk]), {"text": "Twenty minutes"})
        response = client.post(reverse("concern-add", args=[concern.pk]), {"text": ""})
        assert "Enter what you want to add" in response.content.decode()
        client.post(reverse("concern-withdraw", args=[concern.pk]), {"text": "Sorted now"})
        # The manager may not withdraw it or add to it; the supervisee may not answer it.
        assert client.get(reverse("concern-answer", args=[concern.pk])).status_code == 403
    concern.refresh_from_db()
    assert concern.status == Concern.Status.WITHDRAWN and concern.closed_at is not None
    assert [e.kind for e in concern.entries.all()] == ["added", "withdrawn"]
    assert len(emails_to(world.senior_manager)) == 3  # raised, added to, withdrawn


def test_an_away_manager_is_passed_over_for_the_one_above(world):
    with time_machine.travel(DAY, tick=False):
        SupervisorAbsence.objects.create(
            supervisor=world.senior_manager,
            starts_on=date(2026, 3, 1),
            recorded_by=world.admin,
        )
        director = StaffProfileFactory(unit=world.units["directorate"]).user
        world.units["directorate"].manager = director
        world.units["directorate"].save()
        concern = services.concern_raise(supervisee=world.supervisee, text="Too short")
    assert concern.raised_with == director


def test_when_the_manager_leaves_it_passes_up_and_nothing_is_stuck(client, world):
    with time_machine.travel(DAY, tick=False):
        director = StaffProfileFactory(unit=world.units["directorate"]).user
        RelationshipFactory(supervisor=director, supervisee=world.senior_manager)
        concern = services.concern_raise(supervisee=world.supervisee, text="Too short")
        assert concern.raised_with == world.senior_manager
        staff_mark_left(person=world.senior_manager, leaving_date=date(2026, 3, 5), by=world.admin)
    with time_machine.travel(datetime(2026, 3, 6, 0, 5, tzinfo=UTC), tick=False):
        result = leavers_close()
        assert result.concerns_passed_on == 1
        assert leavers_close().concerns_passed_on == 0  # a second run changes nothing
        concern.refresh_from_db()
        assert concern.raised_with == director
        client.force_login(director)
        page = client.get(reverse("concern", args=[concern.pk])).content.decode()
        assert "Passed on" in page and "who left on 5 March 2026" in page
        assert client.get(reverse("concern-answer", args=[concern.pk])).status_code == 200
    assert len(emails_to(director)) == 1
    assert AuditEvent.objects.filter(object_type="concern", detail__change="passed on").exists()


def test_with_nobody_above_the_supervisee_is_told_so(client, world):
    with time_machine.travel(DAY, tick=False):
        client.force_login(world.senior_manager)  # nobody manages the directorate
        response = client.post(reverse("concern-new"), {"text": "None at all"})
    assert "There is nobody above your supervisor" in response.content.decode()
    assert not Concern.objects.exists()


def _finalised_with_disagreement(world):
    session = held_session(world, status="held")
    record = record_services.record_start(session=session, by=world.supervisor)
    disagreement = record_services.disagreement_add(
        record=record, subject="Caseload", view="Too high", by=world.supervisee
    )
    for person, view in ((world.supervisee, "Too high"), (world.supervisor, "It is fair")):
        record_services.disagreement_sign_view(
            disagreement=disagreement, view=view, password=SUPERVISEE_PASSWORD, by=person
        )
    record_services.record_share(record=record, by=world.supervisor)
    record_services.record_sign(record=record, password=SUPERVISEE_PASSWORD, by=world.supervisee)
    record_services.record_finalise(
        record=record, password=SUPERVISEE_PASSWORD, by=world.supervisor
    )
    return session, SupervisionRecord.objects.get(pk=record.pk), disagreement


def test_escalating_a_disagreement_on_a_signed_record_leaves_the_record_as_signed(client, world):
    with time_machine.travel(DAY, tick=False):
        session, record, disagreement = _finalised_with_disagreement(world)
        before = load_record_for_content(record.pk)
        canonical_before, hash_before = record_content(before), record_hash(before)

        client.force_login(world.supervisee)
        page = client.get(reverse("record", args=[session.pk])).content.decode()
        assert "Escalate to the supervisor's manager" in page
        url = reverse("disagreement-escalate", args=[session.pk, disagreement.pk])
        response = client.post(url, {"text": "Please decide on my caseload"}, follow=True)
        assert "The disagreement has been escalated" in response.content.decode()
        escalation = Concern.objects.get(disagreement=disagreement)
        assert escalation.raised_with == world.senior_manager

        # Both parties and the manager read it; nobody else does.
        for person, status in (
            (world.supervisor, 200),
            (world.senior_manager, 200),
            (world.other_team_supervisor, 404),
        ):
            client.force_login(person)
            assert client.get(reverse("concern", args=[escalation.pk])).status_code == status
        client.force_login(world.senior_manager)
        client.post(
            reverse("concern-answer", args=[escalation.pk]),
            {"resolve": "yes", "text": "Two cases move to another worker."},
        )
        client.force_login(world.supervisor)
        page = client.get(reverse("record", args=[session.pk])).content.decode()
        assert "Escalated to Senior Manager" in page and "resolved" in page

    after = load_record_for_content(record.pk)
    assert record_hash(after) == hash_before == record.content_hash
    assert record_content(after) == canonical_before
    unchanged = SupervisionRecord.objects.get(pk=record.pk)
    assert (unchanged.status, unchanged.version, unchanged.updated_at) == (
        "finalised",
        record.version,
        record.updated_at,
    )
    escalation.refresh_from_db()
    assert escalation.outcome == "Two cases move to another worker."
    # The manager was asked; the other party was told; both parties were told the outcome.
    assert len(emails_to(world.senior_manager)) == 1
    assert len(emails_to(world.supervisor)) == 2
    assert len(emails_to(world.supervisee)) == 1
    assert AuditEvent.objects.filter(detail__change="disagreement escalated").exists()


def test_a_disagreement_is_escalated_once_and_only_by_its_parties(client, world):
    with time_machine.travel(DAY, tick=False):
        url = reverse("disagreement-escalate", args=[world.session.pk, world.disagreement.pk])
        client.force_login(world.senior_manager)  # reads the record, is no party to it
        assert client.get(url).status_code == 403
        client.force_login(world.supervisor)
        assert client.post(url, {"text": "Decide please"}).status_code == 302
        response = client.get(url)
        assert response.status_code == 302  # already escalated: to the escalation
    assert Concern.objects.filter(disagreement=world.disagreement).count() == 1


def test_after_the_supervisor_leaves_the_new_line_supervisor_escalates_to_their_manager(world):
    with time_machine.travel(DAY, tick=False):
        new_supervisor = StaffProfileFactory(unit=world.units["team"]).user
        RelationshipFactory(supervisor=world.senior_manager, supervisee=new_supervisor)
        staff_mark_left(person=world.supervisor, leaving_date=date(2026, 3, 4), by=world.admin)
        RelationshipFactory(
            supervisor=new_supervisor, supervisee=world.supervisee, starts_on=date(2026, 3, 5)
        )
        escalation = services.disagreement_escalate(
            disagreement=world.disagreement, text="Decide please", by=new_supervisor
        )
    assert escalation.supervisor == new_supervisor
    assert escalation.raised_with == world.senior_manager


def test_when_the_supervisor_leaves_an_escalation_the_new_line_supervisor_takes_their_side(
    client, world
):
    """Raised while the supervisor was there, answered after they left: the supervisee's new
    line supervisor reads it, adds to it and is told the outcome; the leaver is told nothing."""
    with time_machine.travel(DAY, tick=False):
        _session, _record, disagreement = _finalised_with_disagreement(world)
        escalation = services.disagreement_escalate(
            disagreement=disagreement, text="Please decide", by=world.supervisee
        )
        assert escalation.supervisor == world.supervisor
        new_supervisor = StaffProfileFactory(unit=world.units["team"]).user
        RelationshipFactory(supervisor=world.senior_manager, supervisee=new_supervisor)
        client.force_login(new_supervisor)
        assert client.get(reverse("concern", args=[escalation.pk])).status_code == 404
        staff_mark_left(person=world.supervisor, leaving_date=date(2026, 3, 4), by=world.admin)
        RelationshipFactory(
            supervisor=new_supervisor, supervisee=world.supervisee, starts_on=date(2026, 3, 5)
        )
        told_before = len(emails_to(world.supervisor))

        listed = client.get(reverse("concerns")).content.decode()
        assert reverse("concern", args=[escalation.pk]) in listed
        assert client.get(reverse("concern", args=[escalation.pk])).status_code == 200
        response = client.post(
            reverse("concern-add", args=[escalation.pk]), {"text": "I have read the record"}
        )
        assert response.status_code == 302
        services.concern_answer(
            concern=escalation, text="Cases move.", resolve=True, by=world.senior_manager
        )
    assert len(emails_to(new_supervisor)) == 1  # the outcome
    assert len(emails_to(world.supervisor)) == told_before  # a leaver is told nothing
    # Someone who was never a party still gets the same 404 as before.
    with time_machine.travel(DAY, tick=False):
        client.force_login(world.other_team_supervisor)
        assert client.get(reverse("concern", args=[escalation.pk])).status_code == 404


def test_standing_in_for_a_leaver_is_found_in_the_same_queries_however_many_escalations(world):
    """The new line supervisor's list asks who acts for every escalation left by a leaver in
    one query, not one each: three escalations cost what one would."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from access.concerns import concerns_of

    with time_machine.travel(DAY, tick=False):
        new_supervisor = StaffProfileFactory(unit=world.units["team"]).user
        RelationshipFactory(supervisor=world.senior_manager, supervisee=new_supervisor)
        escalations = []
        for n in range(3):
            _session, _record, disagreement = _finalised_with_disagreement(world)
            escalations.append(
                services.disagreement_escalate(
                    disagreement=disagreement, text=f"Please decide {n}", by=world.supervisee
                )
            )
        staff_mark_left(person=world.supervisor, leaving_date=date(2026, 3, 4), by=world.admin)
        RelationshipFactory(
            supervisor=new_supervisor, supervisee=world.supervisee, starts_on=date(2026, 3, 5)
        )
        with CaptureQueriesContext(connection) as queries:
            found = set(concerns_of(new_supervisor).values_list("pk", flat=True))
    assert found == {e.pk for e in escalations}
    assert len(queries) == 3, [q["sql"][:120] for q in queries]
