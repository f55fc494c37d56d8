"""A worker's caseload: each open child with plan, risk, allocation (C3), last case supervision
and next discussion due (C1, C2); the supervisor's marks for discussion; the printed version
the worker brings to supervision (Surrey's policy §5.1, §5.2). Through the pages, at fixed times."""

import html
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from casework import services
from casework.models import Child
from supervision.models.audit import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

# 4pm on 5 March 2026: London is on GMT, so UTC and local times read the same.
NOW = datetime(2026, 3, 5, 16, 0, tzinfo=UTC)


# The day tests/conftest.py's `world` is built on, its clock held there for the test.
WORLD_AT = NOW


class Person:
    """A browser for one person, signed in on each visit, at NOW."""

    def __init__(self, user):
        self.client = Client()
        self.user = user

    def get(self, url, **kw):
        with time_machine.travel(NOW, tick=False):
            self.client.force_login(self.user)
            return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        with time_machine.travel(NOW, tick=False):
            self.client.force_login(self.user)
            return self.client.post(url, data or {}, **kw)


def as_(world, role) -> Person:
    return Person(world.people[role])


def words_of(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))).strip()


def text(response) -> str:
    return words_of(response.content.decode())


def row(response, reference) -> str:
    """The words of the caseload table row for one child."""
    for match in re.finditer(
        r"<tr class=\"govuk-table__row\">.*?</tr>", response.content.decode(), re.S
    ):
        words = words_of(match.group(0))
        if words.startswith(f"{reference} "):
            return words
    raise AssertionError(f"no row for {reference}")


def references_in_order(response) -> list[str]:
    return re.findall(r"\b(NS\d{6})\b", text(response).split("Open cases")[-1])


def allocate(world, reference, *, at, service="social_work", plan=None, worker=None, **levels):
    plan = (
        plan
        or {
            "social_work": "child_in_need",
            "youth_justice": "youth_justice_order",
            "early_help": "early_help",
        }[service]
    )
    with time_machine.travel(NOW, tick=False):
        return services.child_create(
            reference=reference,
            initials="JS",
            service=service,
            plan=plan,
            unit=world.units["team"],
            worker=worker or world.supervisee,
            allocated_at=at,
            by=world.supervisor,
            **levels,
        )


def discussed(child, at):
    Child.objects.filter(pk=child.pk).update(last_discussed_at=at)


def caseload_url(world, name="caseload"):
    return reverse(name, kwargs={"person_id": world.supervisee.pk})


# What the caseload shows


def test_the_caseload_shows_each_child_with_plan_risk_and_when_they_are_next_due(world):
    # C1: 90 days from the last case supervision.
    overdue = allocate(world, "NS300001", at=datetime(2025, 9, 1, 9, tzinfo=UTC), rag_rating="red")
    discussed(overdue, datetime(2025, 12, 1, 10, tzinfo=UTC))
    # C2: youth justice at high risk of serious harm is discussed every 30 days.
    allocate(
        world,
        "NS300002",
        at=datetime(2026, 2, 2, 9, tzinfo=UTC),
        service="youth_justice",
        rag_rating="amber",
        serious_harm_level="high",
        safety_wellbeing_level="low",
    )
    # ...and at medium every 60 days.
    allocate(
        world,
        "NS300003",
        at=datetime(2026, 2, 2, 9, tzinfo=UTC),
        service="youth_justice",
        serious_harm_level="medium",
        safety_wellbeing_level="low",
    )
    # Closed cases are not on the caseload.
    closed = allocate(world, "NS300004", at=datetime(2026, 1, 5, 9, tzinfo=UTC))
    Child.objects.filter(pk=closed.pk).update(closed_on=date(2026, 3, 1))
    # Nor are another worker's.
    allocate(world, "NS300005", at=datetime(2026, 1, 5, 9, tzinfo=UTC), worker=world.supervisor)

    page = as_(world, "supervisee").get(caseload_url(world))

    assert page.status_code == 200
    words = text(page)
    assert "Your caseload" in words
    assert "You hold 4 children. 2 are overdue for case supervision." in words
    assert "0 are marked for discussion next time" in words
    assert "NS300004" not in words and "NS300005" not in words
    assert row(page, "NS300001") == (
        "NS300001 JS Child in need Red 1 September 2025 1 December 2025 "
        "1 March 2026 (4 days overdue) Overdue"
    )
    assert row(page, "NS300002") == (
        "NS300002 JS Youth justice order Amber Serious harm: high Safety and wellbeing: low "
        "2 February 2026 Not yet discussed 4 March 2026 (1 day overdue) Overdue"
    )
    assert "3 April 2026 (in 29 days)" in row(page, "NS300003")
    assert "Overdue" not in row(page, "NS300003")
    assert "Not rated" in row(page, "NS300003")  # no RAG rating yet, said in words
    assert row(page, "NS100001").endswith(
        "Amber 2 February 2026 Not yet discussed 3 May 2026 (in 59 days)"
    )
    # The most urgent first.
    assert references_in_order(page) == ["NS300001", "NS300002", "NS300003", "NS100001"]


def test_new_allocations_show_whether_they_were_discussed_within_24_hours(world):
    allocate(world, "NS400001", at=datetime(2026, 3, 5, 14, 30, tzinfo=UTC))
    in_time = allocate(world, "NS400002", at=datetime(2026, 3, 3, 9, tzinfo=UTC))
    late = allocate(world, "NS400003", at=datetime(2026, 3, 1, 10, tzinfo=UTC))
    allocate(world, "NS400004", at=datetime(2026, 3, 1, 10, tzinfo=UTC))
    with time_machine.travel(NOW, tick=False):
        for child, at in [
            (in_time, datetime(2026, 3, 3, 15, tzinfo=UTC)),
            (late, datetime(2026, 3, 3, 15, tzinfo=UTC)),
        ]:
            services.case_note_create(
                child=child, kind="allocation", by=world.supervisor, discussed_at=at
            )

    page = as_(world, "supervisor").get(caseload_url(world))

    assert "Discuss by 2:30pm 6 March 2026" in row(page, "NS400001")
    assert "Discussed within 24 hours" in row(page, "NS400002")
    assert "Not discussed within 24 hours" in row(page, "NS400003")
    assert "Not discussed within 24 hours" in row(page, "NS400004")
    # Older than 14 days: the caseload no longer shows the C3 state (the child's page does).
    assert "24 hours" not in row(page, "NS100001")


# Marking children for the next case supervision


def test_the_supervisor_marks_children_to_discuss_and_the_worker_sees_why(world):
    other = allocate(world, "NS500001", at=datetime(2026, 2, 20, 9, tzinfo=UTC))
    supervisor = as_(world, "supervisor")
    form = supervisor.get(caseload_url(world))
    assert 'name="discuss"' in form.content.decode()

    response = supervisor.post(
        caseload_url(world, "caseload-discuss"),
        {"discuss": [world.child.pk], f"reason-{world.child.pk}": "The plan is drifting"},
    )

    assert response.status_code == 302
    child = Child.objects.get(pk=world.child.pk)
    assert child.discuss_next_marked_by == world.supervisor
    assert child.discuss_next_marked_at == NOW
    assert child.discuss_next_reason == "The plan is drifting"
    assert not Child.objects.get(pk=other.pk).discuss_next_marked_at
    banner = text(supervisor.get(response.url))
    assert "NS100001 marked for discussion at Supervisee's next case supervision" in banner
    assert "1 is marked for discussion next time" in banner
    assert AuditEvent.objects.filter(
        action=AuditAction.WRITE, object_type="child", object_id=str(world.child.pk)
    ).exists()

    worker_page = as_(world, "supervisee").get(caseload_url(world))
    assert 'name="discuss"' not in worker_page.content.decode()
    assert "Discuss next time The plan is drifting Supervisor, 5 March 2026" in row(
        worker_page, "NS100001"
    )
    assert "Discuss next time" not in row(worker_page, "NS500001")

    # Untick to take the mark away.
    response = supervisor.post(caseload_url(world, "caseload-discuss"), {})
    assert "NS100001 no longer marked" in text(supervisor.get(response.url))
    child.refresh_from_db()
    assert child.discuss_next_marked_at is None and child.discuss_next_reason == ""


def test_a_senior_manager_above_the_team_may_mark_too(world):
    response = as_(world, "senior_manager").post(
        caseload_url(world, "caseload-discuss"), {"discuss": [world.child.pk]}
    )
    assert response.status_code == 302
    assert Child.objects.get(pk=world.child.pk).discuss_next_marked_by == world.senior_manager


@pytest.mark.parametrize(
    ("role", "status"),
    [("supervisee", 403), ("other_team_supervisor", 404), ("auditor_with_grant", 404)],
)
def test_only_those_who_manage_the_children_may_mark_them(world, role, status):
    response = as_(world, role).post(
        caseload_url(world, "caseload-discuss"), {"discuss": [world.child.pk]}
    )
    assert response.status_code == status
    assert Child.objects.get(pk=world.child.pk).discuss_next_marked_at is None
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, detail__answer=status).exists()


def test_a_reason_that_is_too_long_is_refused_by_name_and_nothing_is_saved(world):
    other = allocate(world, "NS500002", at=datetime(2026, 2, 20, 9, tzinfo=UTC))
    response = as_(world, "supervisor").post(
        caseload_url(world, "caseload-discuss"),
        {
            "discuss": [world.child.pk, other.pk],
            f"reason-{world.child.pk}": "x" * 301,
            f"reason-{other.pk}": "Court next week",
        },
    )
    assert response.status_code == 200
    words = text(response)
    assert "There is a problem" in words
    assert "Enter a reason for NS100001 of 300 characters or fewer" in words
    assert f'href="#reason-{world.child.pk}"' in response.content.decode()
    # What they typed is kept for them to shorten.
    assert "Court next week" in response.content.decode()
    assert not Child.objects.filter(discuss_next_marked_at__isnull=False).exists()


# The printed caseload


def test_the_printed_caseload_puts_the_marked_children_first_with_space_to_rate(world):
    first = allocate(world, "NS100000", at=datetime(2025, 9, 1, 9, tzinfo=UTC), rag_rating="red")
    discussed(first, datetime(2025, 12, 1, 10, tzinfo=UTC))  # overdue: first on the screen
    as_(world, "supervisor").post(
        caseload_url(world, "caseload-discuss"),
        {"discuss": [world.child.pk], f"reason-{world.child.pk}": "School exclusion"},
    )

    page = as_(world, "supervisee").get(caseload_url(world, "caseload-print"))

    assert page.status_code == 200
    words = text(page)
    assert "Supervisee's caseload for supervision" in words
    assert "Printed on 5 March 2026" in words
    assert "Your rating today Notes for supervision" in words
    assert references_in_order(page)[:2] == ["NS100001", "NS100000"]
    assert "Discuss next time School exclusion" in row(page, "NS100001")
    assert "app-no-print" in page.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.READ,
        object_type="caseload",
        object_id=str(world.supervisee.pk),
        detail__format="print",
        actor=world.supervisee,
    ).exists()


# Reach


def test_my_caseload_takes_me_to_my_own(world):
    response = as_(world, "supervisee").get(reverse("caseload-mine"))
    assert response.status_code == 302
    assert response.url == caseload_url(world)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("supervisee", 200),
        ("supervisor", 200),
        ("senior_manager", 200),
        ("other_supervisee", 404),
        ("other_team_supervisor", 404),
        ("other_senior_manager", 404),
        ("auditor_with_grant", 404),  # a grant over the staff file is not a grant over children
        ("auditor_without_grant", 404),
        ("admin", 404),
    ],
)
def test_who_may_open_the_caseload(world, role, status):
    for name in ("caseload", "caseload-print"):
        assert as_(world, role).get(caseload_url(world, name)).status_code == status


def test_reading_a_caseload_is_audited(world):
    as_(world, "senior_manager").get(caseload_url(world))
    event = AuditEvent.objects.get(action=AuditAction.READ, object_type="caseload")
    assert event.actor == world.senior_manager
    assert event.subject == world.supervisee
    assert "NS100001" not in str(event.detail)


def test_outside_reach_is_audited(world):
    as_(world, "other_team_supervisor").get(caseload_url(world))
    assert AuditEvent.objects.filter(
        action=AuditAction.DENIED, object_type="caseload", object_id=str(world.supervisee.pk)
    ).exists()


# Queries


def test_the_caseload_runs_the_same_queries_for_6_children_as_for_60(
    world, django_assert_num_queries
):
    def grow(count):
        start = Child.objects.filter(allocated_worker=world.supervisee).count()
        for n in range(start, count):
            child = allocate(
                world,
                f"NS6{n:05d}",
                at=datetime(2026, 3, 1 + n % 4, 9, tzinfo=UTC),
                service=["social_work", "youth_justice", "early_help"][n % 3],
                rag_rating="green",
            )
            if n % 2:
                discussed(child, datetime(2026, 1, 5, 10, tzinfo=UTC))
            if n % 5 == 0:
                Child.objects.filter(pk=child.pk).update(
                    discuss_next_marked_at=NOW,
                    discuss_next_marked_by=world.supervisor,
                    discuss_next_reason="Check the plan",
                )

    counts = {}
    for size in (6, 60):
        grow(size)
        supervisor = as_(world, "supervisor")
        supervisor.get(caseload_url(world))  # the first visit after sign-in saves the session
        # Justify any query added to this page: it must not grow with the caseload.
        with (
            time_machine.travel(NOW, tick=False),
            django_assert_num_queries(CASELOAD_QUERIES) as context,
        ):
            page = supervisor.client.get(caseload_url(world))
        assert page.status_code == 200
        assert f"Supervisee holds {size} children" in text(page)
        counts[size] = len(context.captured_queries)
        with (
            time_machine.travel(NOW, tick=False),
            django_assert_num_queries(CASELOAD_PRINT_QUERIES),
        ):
            assert supervisor.client.get(caseload_url(world, "caseload-print")).status_code == 200
    assert counts[6] == counts[60]


# The page has one more than the printed version: the open flags of every child on it and the
# worker's own, in one query whatever the caseload's size. Both read the organisation's policy
# pack (two queries), so the due dates are the ones the flags use.
# Issue 21: an audit entry is one statement (three before): two fewer in a test's savepoint,
# and one as the files within reach read the units the viewer manages once, not again.
# Session 12: the navigation's roles in one statement (three before): two fewer each.
CASELOAD_QUERIES = 12
CASELOAD_PRINT_QUERIES = 11
