"""Transfers (C5: joint supervision 2 to 4 weeks before) and closure (C4: a formal case
supervision by the closing service), through the pages as a manager would use them."""

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.template.loader import get_template, render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from casework import services as casework_services
from casework.models import Allocation, Child, Transfer
from supervision.models.audit import AuditAction, AuditEvent
from tests.factories import SUPERVISEE_PASSWORD, JobRoleFactory, StaffProfileFactory

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)  # the world's TODAY
PLANNED = date(2026, 4, 5)  # C5 window: 8 March to 22 March 2026
WINDOW = "between 8 March 2026 and 22 March 2026"


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = DAY


class Person:
    """A browser for one person at a fixed moment: signs in on each visit."""

    def __init__(self, user, when=DAY):
        self.client = Client()
        self.user = user
        self.when = when

    def get(self, url, when=None, **kw):
        with time_machine.travel(when or self.when, tick=False):
            if self.user is not None:
                self.client.force_login(self.user)
            return self.client.get(url, **kw)

    def post(self, url, data=None, when=None, **kw):
        with time_machine.travel(when or self.when, tick=False):
            if self.user is not None:
                self.client.force_login(self.user)
            return self.client.post(url, data or {}, **kw)


def as_(world, role) -> Person:
    return Person(None if role == "anonymous" else world.people[role])


def date_fields(name, day: date) -> dict:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def text(response_or_html) -> str:
    html = getattr(response_or_html, "content", response_or_html)
    if isinstance(html, bytes):
        html = html.decode()
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).replace(" .", ".")


def field_error(response, field: str) -> str:
    """The message shown beside one field (GOV.UK error message under the field)."""
    html = re.sub(r"\s+", " ", response.content.decode())
    match = re.search(
        rf'id="id_{field}_\d+_error" class="govuk-error-message"> '
        r'<span class="govuk-visually-hidden">Error:</span>(.*?)</(?:span|p)>',
        html,
    )
    assert match, f"no error beside {field}"
    return text(match.group(1)).strip()


def writes(change: str, object_type: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=AuditAction.WRITE, object_type=object_type, detail__change=change
        )
    )


def team_b(world):
    return world.other_child.unit


def plan_url(child) -> str:
    return reverse("child-transfer", kwargs={"child_id": child.pk})


def transfer_url(name, transfer) -> str:
    return reverse(name, kwargs={"child_id": transfer.child_id, "transfer_id": transfer.pk})


def close_url(child) -> str:
    return reverse("child-close", kwargs={"child_id": child.pk})


def plan_form(world, **changes) -> dict:
    form = {
        "to_unit": team_b(world).pk,
        "to_worker": world.other_supervisee.pk,
        "to_service": "early_help",
        **date_fields("planned_for", PLANNED),
        "reason": "Your family has moved to the north of the county.",
    }
    form.update(changes)
    return form


def plan(world, *, child=None, to_worker=None, to_unit=None, service="early_help", on=PLANNED):
    from casework import transfer_services

    with time_machine.travel(DAY, tick=False):
        return transfer_services.transfer_plan(
            child=child or world.child,
            to_unit=to_unit or team_b(world),
            to_worker=to_worker or world.other_supervisee,
            to_service=service,
            planned_for=on,
            reason="Your family has moved.",
            by=world.supervisor,
        )


def discuss(world, kind: str, at: datetime, child=None, **fields):
    with time_machine.travel(at + timedelta(hours=1), tick=False):
        return casework_services.case_note_create(
            child=child or world.child, kind=kind, by=world.supervisor, discussed_at=at, **fields
        )


def finalise_world_note(world):
    """The world's draft case supervision of 4 March, completed and signed."""
    with time_machine.travel(DAY, tick=False):
        note = casework_services.case_note_update(
            note=world.case_note,
            version=world.case_note.version,
            by=world.supervisor,
            worries="You miss your friends.",
            decision="You will stay with your aunt.",
            reasons="You told us you feel safe there.",
            next_review_on=date(2026, 4, 1),
        )
        return casework_services.case_note_finalise(
            note=note, password=SUPERVISEE_PASSWORD, by=world.supervisor
        )


# Planning a transfer (C5)


def test_planning_a_transfer_gives_the_joint_supervision_window(world):
    supervisor = as_(world, "supervisor")
    page = supervisor.get(plan_url(world.child))
    assert page.status_code == 200
    assert "Plan the transfer of NS100001" in text(page)

    response = supervisor.post(plan_url(world.child), plan_form(world))
    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == transfer_url("child-transfer-detail", transfer)
    assert transfer.status == Transfer.Status.PLANNED
    assert (transfer.from_worker, transfer.from_service) == (world.supervisee, "social_work")
    assert (transfer.to_worker, transfer.to_unit, transfer.to_service) == (
        world.other_supervisee,
        team_b(world),
        "early_help",
    )
    # Nothing moves until the transfer is completed.
    child = Child.objects.get(pk=world.child.pk)
    assert (child.allocated_worker, child.service) == (world.supervisee, "social_work")

    confirmation = text(supervisor.get(response["Location"]))
    assert "Transfer to Other Supervisee planned for 5 April 2026" in confirmation
    assert f"Hold a joint supervision with Supervisee and Other Supervisee {WINDOW}" in (
        confirmation
    )
    [entry] = writes("planned", "transfer")
    assert entry.actor == world.supervisor
    assert entry.object_id == str(transfer.pk)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            date_fields("planned_for", date(2026, 3, 4)),
            "planned_for",
            "Enter a transfer date today or in the future",
        ),
        ({"reason": " "}, "reason", "Enter the reason for the transfer"),
        ({"to_worker": ""}, "to_worker", "Choose the worker who will take the case"),
        # The worker must be in the team taking the case.
        (
            {"to_unit": "TEAM_A"},
            "to_worker",
            "Choose a worker in Team A: Other Supervisee is not in it",
        ),
        # Same worker, same team, same service: that is no transfer.
        (
            {"to_unit": "TEAM_A", "to_worker": "SUPERVISEE", "to_service": "social_work"},
            "to_worker",
            "Supervisee already holds the case in Team A: choose another worker, team or service",
        ),
    ],
)
def test_a_transfer_that_cannot_happen_is_refused_naming_the_field(world, changes, field, message):
    stand_ins = {"TEAM_A": world.child.unit.pk, "SUPERVISEE": world.supervisee.pk}
    changes = {key: stand_ins.get(value, value) for key, value in changes.items()}
    response = as_(world, "supervisor").post(plan_url(world.child), plan_form(world, **changes))
    assert response.status_code == 200
    assert field_error(response, field) == message
    assert message in text(response).split("There is a problem")[1]
    assert not Transfer.objects.exists()
    assert not writes("planned", "transfer")


def test_a_worker_who_does_not_hold_cases_cannot_take_one(world):
    admin_role = JobRoleFactory(code="business-support", name="Business Support", holds_cases=False)
    with time_machine.travel(DAY, tick=False):
        clerk = StaffProfileFactory(unit=team_b(world), job_role=admin_role).user
    response = as_(world, "supervisor").post(
        plan_url(world.child), plan_form(world, to_worker=clerk.pk)
    )
    assert response.status_code == 200
    # Not even offered: only staff who hold cases are in the list.
    assert "Select a valid choice" in field_error(response, "to_worker")
    assert not Transfer.objects.exists()


def test_joint_supervision_inside_the_window_is_found_and_outside_it_is_not(world):
    transfer = plan(world)
    manager = Person(world.supervisor, when=datetime(2026, 3, 25, 9, tzinfo=UTC))
    detail = transfer_url("child-transfer-detail", transfer)

    # The day before the window opens, and a kind of oversight that is no supervision.
    discuss(world, "joint_supervision", datetime(2026, 3, 7, 15, tzinfo=UTC))
    discuss(world, "allocation", datetime(2026, 3, 12, 15, tzinfo=UTC), decision="Allocated")
    page = text(manager.get(detail))
    assert "Joint supervision held" not in page
    assert f"No joint supervision with Supervisee and Other Supervisee was held {WINDOW}" in page

    # A draft counts: the supervision was held, whether or not its note is signed yet.
    discuss(world, "joint_supervision", datetime(2026, 3, 10, 15, tzinfo=UTC))
    page = text(manager.get(detail))
    assert f"Joint supervision held on 10 March 2026, {WINDOW}" in page
    confirm = text(manager.get(transfer_url("child-transfer-complete", transfer)))
    assert "Joint supervision held on 10 March 2026" in confirm
    assert "You can complete it on or after that day" in confirm


def test_the_last_day_of_the_window_counts_and_the_day_after_does_not(world):
    transfer = plan(world)
    detail = transfer_url("child-transfer-detail", transfer)
    manager = Person(world.supervisor, when=datetime(2026, 3, 30, 9, tzinfo=UTC))
    discuss(world, "transfer", datetime(2026, 3, 23, 10, tzinfo=UTC), decision="Handover")
    assert "Joint supervision held" not in text(manager.get(detail))
    # 11pm in London on 22 March: British summer time has not begun, the day is 22 March.
    discuss(world, "case_supervision", datetime(2026, 3, 22, 23, 0, tzinfo=UTC))
    assert "Joint supervision held on 22 March 2026" in text(manager.get(detail))


# Completing and cancelling


def test_completion_moves_the_allocation_worker_and_service(world):
    transfer = plan(world)
    moved_at = datetime(2026, 4, 6, 10, tzinfo=UTC)
    supervisor = Person(world.supervisor, when=moved_at)
    complete = transfer_url("child-transfer-complete", transfer)

    page = supervisor.get(complete)
    assert page.status_code == 200
    assert f"No joint supervision with Supervisee and Other Supervisee has been held {WINDOW}" in (
        text(page)
    )
    response = supervisor.post(complete)

    # The child moved to Team B, out of this supervisor's reach: they are sent home.
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert "NS100001 transferred to Other Supervisee in Team B" in text(
        supervisor.get(reverse("home"))
    )
    child = Child.objects.get(pk=world.child.pk)
    assert child.allocated_worker == world.other_supervisee
    assert child.unit == team_b(world)
    assert child.service == "early_help"
    assert child.allocated_at == moved_at
    assert child.service_since == date(2026, 4, 6)
    # A child in need plan is not an early help plan: the new service starts by assessing.
    assert child.plan == "assessment"
    assert child.rag_rating == "amber"  # every service rates red, amber, green
    old, new = Allocation.objects.filter(child=child).order_by("starts_at")
    assert (old.worker, old.ends_at) == (world.supervisee, moved_at)
    assert (new.worker, new.unit, new.service) == (
        world.other_supervisee,
        team_b(world),
        "early_help",
    )
    assert (new.reason, new.starts_at, new.ends_at) == ("transfer", moved_at, None)
    transfer.refresh_from_db()
    assert (transfer.status, transfer.completed_at) == (Transfer.Status.COMPLETED, moved_at)
    [entry] = writes("completed", "transfer")
    assert entry.detail["joint_supervision_on"] is None

    # The receiving team's supervisor now sees the transfer, completed without the supervision.
    receiving = Person(world.other_team_supervisor, when=moved_at)
    page = text(receiving.get(transfer_url("child-transfer-detail", transfer)))
    assert f"Completed without a joint supervision {WINDOW}" in page


def test_a_transfer_out_of_youth_justice_clears_the_scales_the_new_service_does_not_use(world):
    with time_machine.travel(DAY, tick=False):
        child = casework_services.child_create(
            reference="YJ300003",
            initials="EF",
            service="youth_justice",
            plan="youth_justice_order",
            unit=world.child.unit,
            worker=world.supervisee,
            allocated_at=datetime(2026, 1, 12, 9, tzinfo=UTC),
            rag_rating="red",
            serious_harm_level="high",
            safety_wellbeing_level="medium",
            by=world.supervisor,
        )
    transfer = plan(world, child=child, service="social_work")
    when = datetime(2026, 4, 5, 9, tzinfo=UTC)
    # The senior manager of Service A, which Team B is not in, completes it.
    response = Person(world.senior_manager, when=when).post(
        transfer_url("child-transfer-complete", transfer)
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.service, child.service_since) == ("social_work", date(2026, 4, 5))
    assert (child.rag_rating, child.serious_harm_level, child.safety_wellbeing_level) == (
        "red",
        "",
        "",
    )
    assert child.plan == "assessment"


def test_a_transfer_within_reach_returns_to_the_transfer(world):
    with time_machine.travel(DAY, tick=False):
        # A second worker in Team A, supervised by the same supervisor.
        colleague = StaffProfileFactory(
            unit=world.child.unit, job_role=world.supervisee.profile.job_role
        ).user
    transfer = plan(world, to_worker=colleague, to_unit=world.child.unit, service="social_work")
    when = datetime(2026, 4, 5, 9, tzinfo=UTC)
    senior = Person(world.senior_manager, when=when)
    response = senior.post(transfer_url("child-transfer-complete", transfer))
    assert response["Location"] == transfer_url("child-transfer-detail", transfer)
    child = Child.objects.get(pk=world.child.pk)
    assert (child.allocated_worker, child.service) == (colleague, "social_work")
    # Same service: the child has been in it since they first arrived.
    assert child.service_since == date(2026, 2, 2)
    assert child.plan == "child_in_need"


def test_completing_before_the_planned_date_is_refused(world):
    transfer = plan(world)
    supervisor = as_(world, "supervisor")
    complete = transfer_url("child-transfer-complete", transfer)
    assert "You can complete it on or after that day" in text(supervisor.get(complete))

    response = supervisor.post(complete)
    assert response.status_code == 200
    assert (
        "This transfer is planned for 5 April 2026: complete it on or after that day"
        in text(response).split("There is a problem")[1]
    )
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.PLANNED
    child = Child.objects.get(pk=world.child.pk)
    assert child.allocated_worker == world.supervisee
    assert Allocation.objects.filter(child=child).count() == 1
    assert not writes("completed", "transfer")


def test_a_planned_transfer_can_be_cancelled_once(world):
    transfer = plan(world)
    supervisor = as_(world, "supervisor")
    cancel = transfer_url("child-transfer-cancel", transfer)
    response = supervisor.post(cancel)
    assert response["Location"] == transfer_url("child-transfer-detail", transfer)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.CANCELLED
    assert "Transfer planned for 5 April 2026 cancelled" in text(
        supervisor.get(response["Location"])
    )
    assert len(writes("cancelled", "transfer")) == 1

    supervisor.post(cancel)
    assert "This transfer is already cancelled" in text(
        supervisor.get(transfer_url("child-transfer-detail", transfer))
    )
    assert len(writes("cancelled", "transfer")) == 1
    assert supervisor.post(transfer_url("child-transfer-complete", transfer)).status_code == 200
    assert Transfer.objects.get().status == Transfer.Status.CANCELLED


def test_only_one_transfer_is_planned_at_a_time(world):
    plan(world)
    response = as_(world, "supervisor").post(
        plan_url(world.child), plan_form(world, **date_fields("planned_for", date(2026, 5, 1)))
    )
    assert response.status_code == 200
    assert "A transfer is already planned for 5 April 2026: complete or cancel it first" in (
        text(response)
    )
    assert Transfer.objects.count() == 1


# Closure (C4)


def close_form(day=date(2026, 3, 5), **changes) -> dict:
    return {
        **date_fields("closed_on", day),
        "closure_reason": "outcomes_met",
        "closure_rationale": "You and your aunt said things are calmer at home.",
        **changes,
    }


def test_closing_without_a_formal_supervision_needs_a_reason_and_records_it(world):
    with time_machine.travel(DAY, tick=False):
        Child.objects.filter(pk=world.child.pk).update(
            discuss_next_marked_at=DAY, discuss_next_reason="Court next week"
        )
    transfer = plan(world)
    supervisor = as_(world, "supervisor")
    page = text(supervisor.get(close_url(world.child)))
    # The only case supervision is a draft: C4 asks for one recorded.
    assert (
        "Children's social work has not held a formal case supervision since NS100001 arrived "
        "in it on 2 February 2026" in page
    )
    assert "Why is the case closing without a formal case supervision in this service?" in page

    response = supervisor.post(close_url(world.child), close_form())
    assert response.status_code == 200
    assert field_error(response, "closure_without_supervision_reason") == (
        "Enter why the case is closing without a formal case supervision in this service"
    )
    assert Child.objects.get(pk=world.child.pk).is_open

    why = "The family moved abroad before the supervision booked for 10 March."
    response = supervisor.post(
        close_url(world.child), close_form(closure_without_supervision_reason=why)
    )
    assert response.status_code == 302
    child = Child.objects.get(pk=world.child.pk)
    assert child.closed_on == date(2026, 3, 5)
    assert (child.closure_reason, child.closed_by) == ("outcomes_met", world.supervisor)
    assert child.closure_supervision_held is False
    assert child.closure_without_supervision_reason == why
    assert child.discuss_next_marked_at is None and child.discuss_next_reason == ""
    assert Allocation.objects.get(child=child).ends_at == DAY
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.CANCELLED
    [entry] = writes("closed", "child")
    assert entry.detail["supervision_held"] is False
    assert why not in str(entry.detail)  # no case text in the audit

    closed = text(supervisor.get(response["Location"]))
    assert "NS100001's case closed" in closed
    assert (
        "Closed without a formal case supervision in Children's social work. Reason: " + why
        in closed
    )


def test_closing_after_a_formal_supervision_records_it_as_held(world):
    finalise_world_note(world)
    supervisor = as_(world, "supervisor")
    page = text(supervisor.get(close_url(world.child)))
    assert "The last was on 4 March 2026" in page
    assert "Why is the case closing without" not in page

    response = supervisor.post(close_url(world.child), close_form(date(2026, 3, 4)))
    assert response.status_code == 302
    child = Child.objects.get(pk=world.child.pk)
    assert child.closure_supervision_held is True
    assert child.closure_without_supervision_reason == ""
    # Closed on an earlier day: the allocation ended with that day.
    assert Allocation.objects.get(child=child).ends_at == datetime(2026, 3, 5, 0, tzinfo=UTC)
    assert "Closed after a formal case supervision in Children's social work" in text(
        supervisor.get(close_url(world.child))
    )


def test_a_supervision_before_the_child_arrived_in_the_service_does_not_count(world):
    finalise_world_note(world)
    with time_machine.travel(DAY, tick=False):
        Child.objects.filter(pk=world.child.pk).update(service_since=date(2026, 3, 5))
    page = text(as_(world, "supervisor").get(close_url(world.child)))
    assert "has not held a formal case supervision since NS100001 arrived in it on 5 March" in page


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (date(2026, 2, 1), "Enter a closure date on or after the allocation date, 2 February 2026"),
        (date(2026, 3, 6), "Enter a closure date today or in the past"),
    ],
)
def test_a_closure_date_out_of_range_is_refused_and_nothing_saved(world, day, message):
    response = as_(world, "supervisor").post(
        close_url(world.child), close_form(day, closure_without_supervision_reason="Moved away")
    )
    assert response.status_code == 200
    assert field_error(response, "closed_on") == message
    child = Child.objects.get(pk=world.child.pk)
    assert child.is_open and child.closure_reason == ""
    assert Allocation.objects.get(child=child).ends_at is None
    assert not writes("closed", "child")


def test_a_closed_case_cannot_be_closed_again_or_transferred(world):
    supervisor = as_(world, "supervisor")
    first = close_form(closure_without_supervision_reason="Moved away")
    assert supervisor.post(close_url(world.child), first).status_code == 302
    again = close_form(
        date(2026, 3, 4), closure_reason="other", closure_without_supervision_reason="Again"
    )
    response = supervisor.post(close_url(world.child), again)
    assert response.status_code == 302
    assert "This case is already closed, on 5 March 2026" in text(
        supervisor.get(response["Location"])
    )
    child = Child.objects.get(pk=world.child.pk)
    assert (child.closed_on, child.closure_reason) == (date(2026, 3, 5), "outcomes_met")
    assert len(writes("closed", "child")) == 1

    assert "A closed case cannot be transferred" in text(supervisor.get(plan_url(world.child)))
    supervisor.post(plan_url(world.child), plan_form(world))
    assert not Transfer.objects.exists()


# The parts of the child's page


def render_part(name, child, may_manage, user):
    request = RequestFactory().get("/")
    request.user = user
    html = render_to_string(
        f"casework/children/{name}.html", {"child": child, "may_manage": may_manage}, request
    )
    return text(html)


def test_the_transfers_part_shows_each_transfer_its_window_and_the_managers_actions(world):
    transfer = plan(world)
    with time_machine.travel(DAY, tick=False):
        child = Child.objects.get(pk=world.child.pk)
        managed = render_part("_transfers", child, True, world.supervisor)
        read_only = render_part("_transfers", child, False, world.supervisee)
    assert "Plan a transfer" in managed
    assert f"Hold a joint supervision with Supervisee and Other Supervisee {WINDOW}" in managed
    assert "5 April 2026: to Other Supervisee, Team B Planned" in managed
    assert transfer_url("child-transfer-complete", transfer) in render_to_string(
        "casework/children/_transfers.html", {"child": child, "may_manage": True}
    )
    assert "Cancel the transfer planned for 5 April 2026" in managed
    assert "Hold a joint supervision" in read_only
    for action in ("Plan a transfer", "Complete", "Cancel"):
        assert action not in read_only


def test_the_closure_part_offers_closing_to_managers_and_shows_a_closure(world):
    with time_machine.travel(DAY, tick=False):
        child = Child.objects.get(pk=world.child.pk)
        assert "Close the case" in render_part("_closure", child, True, world.supervisor)
        assert "Close the case" not in render_part("_closure", child, False, world.supervisee)
    as_(world, "supervisor").post(
        close_url(world.child), close_form(closure_without_supervision_reason="Moved away")
    )
    with time_machine.travel(DAY, tick=False):
        child = Child.objects.get(pk=world.child.pk)
        closed = render_part("_closure", child, False, world.supervisee)
    assert "Closed on 5 March 2026 by Supervisor" in closed
    assert "Plan outcomes met" in closed
    assert "Closed without a formal case supervision in Children's social work. Reason: Moved" in (
        closed
    )


def test_the_parts_run_a_fixed_number_of_queries(world, django_assert_num_queries):
    for day in (date(2026, 4, 5), date(2026, 5, 5), date(2026, 6, 5)):
        transfer = plan(world, on=day)
        Transfer.objects.filter(pk=transfer.pk).update(status=Transfer.Status.CANCELLED)
    for hour in range(3):
        discuss(world, "joint_supervision", datetime(2026, 3, 4, 10 + hour, tzinfo=UTC))
    with time_machine.travel(DAY, tick=False):
        child = Child.objects.get(pk=world.child.pk)
        transfers = get_template("casework/children/_transfers.html")
        closure = get_template("casework/children/_closure.html")
        # The organisation's pack versions (two: the choice and the versions), the transfers,
        # then the notes in their windows.
        with django_assert_num_queries(4):
            transfers.render({"child": child, "may_manage": True})
        with django_assert_num_queries(0):
            closure.render({"child": child, "may_manage": True})
        Child.objects.filter(pk=child.pk).update(
            closed_on=DAY.date(), closed_by=world.supervisor, closure_reason="other"
        )
        child.refresh_from_db()
        with django_assert_num_queries(1):  # who closed it
            closure.render({"child": child, "may_manage": False})
        other = Child.objects.get(pk=world.other_child.pk)
        with django_assert_num_queries(1):  # no transfers: no notes to look for
            transfers.render({"child": other, "may_manage": True})


# Who may do what

PAGES = ["plan", "detail", "complete", "cancel", "close"]


def page_url(world, page: str, transfer) -> tuple[str, str]:
    return {
        "plan": ("get", plan_url(world.child)),
        "detail": ("get", transfer_url("child-transfer-detail", transfer)),
        "complete": ("get", transfer_url("child-transfer-complete", transfer)),
        "cancel": ("post", transfer_url("child-transfer-cancel", transfer)),
        "close": ("get", close_url(world.child)),
    }[page]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("supervisor", 200),
        ("senior_manager", 200),
        # The allocated worker reads the case but does not oversee it.
        ("supervisee", 403),
        ("other_team_supervisor", 404),
        ("other_supervisee", 404),
        ("other_senior_manager", 404),
        ("auditor_with_grant", 404),
        ("auditor_without_grant", 404),
        ("admin", 404),
        ("anonymous", 302),
    ],
)
def test_who_may_plan_complete_cancel_and_close(world, page, role, status):
    transfer = plan(world, to_worker=world.supervisor, to_unit=world.child.unit)
    method, url = page_url(world, page, transfer)
    if page == "cancel" and status == 200:
        status = 302  # cancelled, back to the transfer
    if page == "detail" and role == "supervisee":
        status = 200  # the worker may read the transfer of their case
    response = getattr(as_(world, role), method)(url)
    assert response.status_code == status
    if status == 302 and role == "anonymous":
        assert response["Location"].startswith(reverse("sign-in"))
    if status in (403, 404):
        assert AuditEvent.objects.filter(action=AuditAction.DENIED, detail__answer=status).exists()
    expected = (
        Transfer.Status.CANCELLED
        if page == "cancel" and status == 302 and (role != "anonymous")
        else Transfer.Status.PLANNED
    )
    assert Transfer.objects.get().status == expected


def test_the_worker_sees_the_transfer_without_the_managers_buttons(world):
    transfer = plan(world)
    page = text(as_(world, "supervisee").get(transfer_url("child-transfer-detail", transfer)))
    assert f"Hold a joint supervision with Supervisee and Other Supervisee {WINDOW}" in page
    assert "Complete the transfer" not in page and "Cancel the transfer" not in page


def test_cancel_is_a_post(world):
    transfer = plan(world)
    response = as_(world, "supervisor").get(transfer_url("child-transfer-cancel", transfer))
    assert response.status_code == 405
    assert Transfer.objects.get().status == Transfer.Status.PLANNED


def test_reading_the_pages_is_audited(world):
    transfer = plan(world)
    supervisor = as_(world, "supervisor")
    for page in ("plan", "detail", "complete", "close"):
        supervisor.get(page_url(world, page, transfer)[1])
    reads = AuditEvent.objects.filter(action=AuditAction.READ, actor=world.supervisor)
    assert sorted(reads.values_list("object_type", flat=True)) == [
        "child",
        "child",
        "transfer",
        "transfer",
    ]


@pytest.mark.parametrize(
    ("page", "queries"),
    # Sign-in, reach (4), the page's own reads, the audit entry (3) and the navigation (2):
    # plan lists the teams and the workers, detail and complete look for the C5 notes,
    # close for the last formal supervision in the service; plan and close look for a draft;
    # detail and complete read the organisation's pack for the C5 window (two).
    [("plan", 11), ("detail", 12), ("complete", 12), ("close", 10)],
)
def test_pages_run_a_fixed_number_of_queries(world, django_assert_num_queries, page, queries):
    transfer = plan(world)
    supervisor = as_(world, "supervisor")
    url = page_url(world, page, transfer)[1]
    for size in (1, 12):
        for hour in range(size):
            discuss(world, "joint_supervision", datetime(2026, 3, 4, 10, hour, tzinfo=UTC))
        with time_machine.travel(DAY, tick=False):
            for _ in range(size):
                StaffProfileFactory(unit=team_b(world), job_role=world.supervisee.profile.job_role)
            supervisor.client.force_login(world.supervisor)
            with django_assert_num_queries(queries):
                assert supervisor.client.get(url).status_code == 200
