"""The supervisor's home reads each supervisee's next supervision due from what the flag job
keeps (StaffProfile.session_due_on, beside next_check_at) rather than rebuilding their
histories on every request (issue 21). The figures are the ones the histories give; a write to
a person's facts marks them for the job, and until it has looked again their date is worked
out from their history, so the page never shows a date a write has moved.

The world of tests/world.py on Tuesday 10 March 2026 (tests/oversight/reports/test_home.py)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from oversight.flags.scheduled import tick
from oversight.models import HomeChange
from supervision.models import StaffProfile, SupervisionSession
from tests.oversight.reports.test_home import (
    SUPERVISEE_HOME_QUERIES,
    SUPERVISOR_HOME_QUERIES,
    TUESDAY,
    add_supervisee,
    busy_supervisee,
    cells,
    held_session,
    page,
    row_of,
)
from tests.world import TODAY

pytestmark = pytest.mark.django_db

WORLD_AT = TODAY


def job_looks_at_everyone(at=TUESDAY):
    with time_machine.travel(at, tick=False):
        tick(at)


def due_cells(html, people) -> list[str]:
    return [cells(row_of(html, person))[2] for person in people]


def test_the_next_supervision_due_read_from_the_job_is_the_one_the_histories_give(world):
    jo = add_supervisee(world, "Jo Adams")
    held_session(world, jo, date(2026, 2, 24))
    never = add_supervisee(world, "Never Seen")  # none since starting in January 2024: overdue
    people = [jo, never, world.supervisee]

    from_histories = due_cells(page(world.supervisor), people)
    job_looks_at_everyone()
    profiles = StaffProfile.objects.filter(user__in=people)
    assert all(p.next_check_at > TUESDAY for p in profiles), "the job is up to date"
    assert {p.user_id: p.session_due_on for p in profiles}[jo.pk] == date(2026, 3, 24)

    from_the_job = due_cells(page(world.supervisor), people)
    assert from_the_job == from_histories
    assert from_the_job[0] == "24 March 2026 in 14 days"
    assert from_the_job[2] == "4 April 2026 in 25 days"
    assert "overdue" in from_the_job[1]


def test_a_session_recorded_after_the_job_looked_moves_the_date_at_once(world):
    jo = add_supervisee(world, "Jo Adams")
    held_session(world, jo, date(2026, 2, 24))
    job_looks_at_everyone()
    assert due_cells(page(world.supervisor), [jo]) == ["24 March 2026 in 14 days"]

    held_session(world, jo, date(2026, 3, 9))  # marks Jo for the job's next look
    assert StaffProfile.objects.get(user=jo).next_check_at is None
    assert due_cells(page(world.supervisor), [jo]) == ["9 April 2026 in 30 days"]

    job_looks_at_everyone()
    assert StaffProfile.objects.get(user=jo).session_due_on == date(2026, 4, 9)
    assert due_cells(page(world.supervisor), [jo]) == ["9 April 2026 in 30 days"]


def test_an_overdue_date_read_from_the_job_is_shown_overdue(world):
    """The job keeps the day; the page judges at its own moment whether it has passed."""
    jo = add_supervisee(world, "Jo Adams")
    held_session(world, jo, date(2026, 2, 9))  # due 9 March
    job_looks_at_everyone(TUESDAY - timedelta(hours=8, minutes=30))  # half past midnight
    profile = StaffProfile.objects.get(user=jo)
    assert profile.session_due_on == date(2026, 3, 9) and profile.next_check_at > TUESDAY
    assert due_cells(page(world.supervisor), [jo]) == ["9 March 2026 1 day overdue Overdue"]


def monthly_sessions(world, person, years):
    """A formal session on the 2nd of each month for `years` years before March 2026."""
    first = date(2026 - years, 3, 2)
    day, made = first, []
    while day < date(2026, 3, 1):
        made.append(day)
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 2)
    starts = [
        datetime.combine(d, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10) for d in made
    ]
    SupervisionSession.objects.bulk_create(
        SupervisionSession(
            supervisee=person,
            supervisor=world.supervisor,
            session_type="individual",
            starts_at=moment,
            ends_at=moment + timedelta(hours=1),
            created_by=world.supervisor,
            status=SupervisionSession.Status.HELD,
        )
        for moment in starts
    )
    StaffProfile.objects.filter(user=person).update(next_check_at=None)  # as a write marks


# The supervisor's home with the flag job up to date: SUPERVISOR_HOME_QUERIES less the
# supervisees' histories (12), which are read only for people marked since the job looked.
SUPERVISOR_HOME_STORED_QUERIES = SUPERVISOR_HOME_QUERIES - 12


def test_the_supervisors_home_runs_the_same_queries_for_2_supervisees_and_6_and_1_year_and_3(
    world, django_assert_num_queries
):
    client = Client()
    counts = {}
    for size, years in ((2, 1), (6, 3)):
        have = len(world.supervisor.supervising.all())
        for index in range(have, size):
            busy_supervisee(world, index)
        for relationship in world.supervisor.supervising.all():
            SupervisionSession.objects.filter(
                supervisee=relationship.supervisee, starts_at__lt=datetime(2026, 1, 1, tzinfo=UTC)
            ).delete()
            monthly_sessions(world, relationship.supervisee, years)
        job_looks_at_everyone()
        with time_machine.travel(TUESDAY, tick=False):
            client.force_login(world.supervisor)
            client.get("/")
            # Justify any query added here: the table must not cost a query per person, nor
            # grow with their history.
            HomeChange.objects.create(person_id=0)  # as any write: the page made, not kept
            with django_assert_num_queries(SUPERVISOR_HOME_STORED_QUERIES) as context:
                html = client.get("/").content.decode()
        counts[(size, years)] = len(context.captured_queries)
        assert f"Your supervisees ({size})" in html
    assert counts[(2, 1)] == counts[(6, 3)]


def test_the_supervisees_home_runs_the_same_queries_for_1_year_and_3(
    world, django_assert_num_queries
):
    client = Client()
    counts = {}
    for years in (1, 3):
        SupervisionSession.objects.filter(
            supervisee=world.supervisee, starts_at__lt=datetime(2026, 1, 1, tzinfo=UTC)
        ).delete()
        monthly_sessions(world, world.supervisee, years)
        job_looks_at_everyone()
        with time_machine.travel(TUESDAY, tick=False):
            client.force_login(world.supervisee)
            client.get("/")
            # As SUPERVISEE_HOME_QUERIES, less the agenda: no session is booked here.
            HomeChange.objects.create(person_id=0)  # as any write: the page made, not kept
            with django_assert_num_queries(SUPERVISEE_HOME_QUERIES - 1) as context:
                client.get("/")
        counts[years] = len(context.captured_queries)
    assert counts[1] == counts[3]
