"""A kept home page (oversight.reports.home_kept) is the page made afresh, after any write to
anything it shows, by whatever path the write takes: after each write below, every reader's
home as the site serves it (kept where nothing it shows changed) is byte for byte the home made
afresh, and the write shows on the home of the person it is about. A write about someone else
leaves a reader's kept page kept.

The world of tests/world.py on Tuesday 10 March 2026 (tests/oversight/reports/test_home.py)."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casework.models import Child
from oversight.models import FlagKind, HomeChange
from oversight.reports import home_kept
from supervision.models import Action, SupervisoryRelationship, Unit, User
from tests.oversight.reports.test_home import (
    TUESDAY,
    actions_for,
    add_supervisee,
    child_due_in,
    flag,
    planned_session,
    record_in,
)
from tests.world import TODAY

pytestmark = pytest.mark.django_db

WORLD_AT = TODAY


class Reader:
    """A person with a browser of their own: the CSRF secret, so the kept page, stays theirs."""

    def __init__(self, person):
        self.person = person
        self.client = Client()
        with time_machine.travel(TUESDAY, tick=False):
            self.client.force_login(person)

    def home(self) -> str:
        with time_machine.travel(TUESDAY, tick=False):
            response = self.client.get("/")
        assert response.status_code == 200
        return main(response.content.decode())


def main(html: str) -> str:
    """The page, whole (kept whole: its navigation and header too), but for the CSRF token,
    which is each request's own."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def served_and_made(readers) -> list[tuple[str, str]]:
    served = [reader.home() for reader in readers]
    cache.clear()
    made = [reader.home() for reader in readers]
    return list(zip(served, made, strict=True))


@pytest.fixture
def readers(world):
    jo = add_supervisee(world, "Jo Adams")
    people = [world.supervisor, world.supervisee, jo, world.other_team_supervisor]
    if getattr(world, "manager", None) is not None:
        people.append(world.manager)
    found = [Reader(person) for person in people]
    for reader in found:
        reader.home()  # kept from now on
    return {"supervisor": found[0], "supervisee": found[1], "jo": found[2], "all": found}


def child_of(world, worker, reference):
    child_due_in(world, worker, -3, reference)
    return Child.objects.get(reference=reference)


def move(person, supervisor):
    person.supervised_by.update(ends_on=date(2026, 3, 9))
    SupervisoryRelationship.objects.create(
        supervisor=supervisor, supervisee=person, starts_on=date(2026, 3, 10)
    )


# Each write, by the path a service, the job or an administrator takes, and whose home shows it.
WRITES = {
    "a supervisee renamed": (
        "supervisor",
        lambda world, jo: User.objects.filter(pk=jo.pk).update(full_name="Jo Adams-Lee"),
    ),
    "a session planned": (
        "supervisor",
        lambda world, jo: planned_session(world, jo, TUESDAY + timedelta(days=3)),
    ),
    "a record shared for signature": (
        "jo",
        lambda world, jo: record_in(world, jo, date(2026, 3, 2), "shared"),
    ),
    "an action agreed": (
        "jo",
        lambda world, jo: actions_for(world, jo, [date(2026, 3, 1)], status="finalised"),
    ),
    "an action done": (
        "jo",
        lambda world, jo: Action.objects.filter(supervisee=jo).update(status=Action.Status.DONE),
    ),
    "a flag raised by the job": (
        "supervisor",
        lambda world, jo: flag(jo, FlagKind.OBSERVATION_DUE),
    ),
    "a child allocated": (
        "supervisor",
        lambda world, jo: child_of(world, jo, "NS900001"),
    ),
    "a child moved to another worker": (
        "supervisor",
        lambda world, jo: Child.objects.filter(allocated_worker=world.supervisee).update(
            allocated_worker=jo
        ),
    ),
    "the team renamed": (
        "supervisor",
        lambda world, jo: Unit.objects.filter(pk=world.units["team"].pk).update(
            name="Assessment Team North"
        ),
    ),
    "a supervisee moved to another supervisor": (
        "supervisor",
        lambda world, jo: move(jo, world.other_team_supervisor),
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_after_each_write_every_home_served_is_the_home_made_afresh(world, readers, write):
    whose, change = WRITES[write]
    jo = readers["jo"].person
    with time_machine.travel(TUESDAY, tick=False):
        if write == "a child moved to another worker":
            child_of(world, world.supervisee, "NS900002")
        if write == "an action done":
            actions_for(world, jo, [date(2026, 3, 1)], status="finalised")
    served_and_made(readers["all"])
    before = readers[whose].home()
    with time_machine.travel(TUESDAY, tick=False):
        change(world, jo)
    after = readers[whose].home()
    assert after != before, f"{write}: the home it is about shows it"
    for served, made in served_and_made(readers["all"]):
        assert served == made, write


def test_a_write_about_someone_else_leaves_a_home_kept(world, readers):
    supervisor = readers["supervisor"]
    seen = home_kept.stamp(supervisor.person.pk)
    with time_machine.travel(TUESDAY, tick=False):
        User.objects.filter(pk=world.other_supervisee.pk).update(full_name="Someone Else")
        planned_session(
            world,
            world.other_supervisee,
            TUESDAY + timedelta(days=2),
            supervisor=world.other_team_supervisor,
        )
    assert home_kept.stamp(supervisor.person.pk) == seen
    with CaptureQueriesContext(connection) as queries:
        supervisor.home()
    assert len(queries) <= 8, [q["sql"][:80] for q in queries.captured_queries]


def test_a_kept_home_is_made_afresh_once_its_time_is_up(world, readers):
    supervisor = readers["supervisor"]
    with CaptureQueriesContext(connection) as kept_queries:
        supervisor.home()
    later = TUESDAY + timedelta(seconds=settings.HOME_KEEP_SECONDS + 1)
    with time_machine.travel(later, tick=False), CaptureQueriesContext(connection) as again:
        assert supervisor.client.get("/").status_code == 200
    assert len(again) > len(kept_queries) + 10, "made afresh once its time is up"


def test_a_kept_page_carries_the_csrf_token_of_the_browser_it_is_served_to(world, readers):
    # The supervisor's page is kept (the fixture); a second browser of theirs is served it.
    from django.middleware.csrf import _unmask_cipher_token

    second = Reader(world.supervisor)
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    for browser in (readers["supervisor"], second, readers["supervisor"]):
        with time_machine.travel(TUESDAY, tick=False), CaptureQueriesContext(connection) as queries:
            html = browser.client.get("/").content.decode()
        assert len(queries) <= 8, "served kept"
        assert home_kept.TOKEN_PLACEHOLDER not in html
        secret = browser.client.cookies["csrftoken"].value
        found = token.findall(html)
        assert len(found) >= 2  # the sign-out form's, and the kept content's
        assert {_unmask_cipher_token(t) for t in found} == {secret}
    assert (
        second.client.cookies["csrftoken"].value
        != readers["supervisor"].client.cookies["csrftoken"].value
    )


def test_compacting_notes_moves_every_stamp_on_and_keeps_the_latest(world, readers):
    supervisor = readers["supervisor"].person
    with time_machine.travel(TUESDAY, tick=False):
        for n in range(5):
            User.objects.filter(pk=world.supervisee.pk).update(full_name=f"Supervisee {n}")
    seen = home_kept.stamp(supervisor.pk)
    assert home_kept.compact(limit=3) >= 1
    assert HomeChange.objects.filter(person_id=world.supervisee.pk).count() == 1
    assert home_kept.stamp(supervisor.pk) != seen
    assert home_kept.compact(limit=3) == 0


def test_a_day_of_notes_in_the_kept_stamp_is_read_in_one_query(world, readers):
    with CaptureQueriesContext(connection) as queries:
        home_kept.stamp(world.supervisor.pk)
    assert len(queries) == 1


def test_a_write_to_the_jobs_bookkeeping_alone_notes_nobody(world, readers):
    child_of(world, world.supervisee, "NS900003")
    before = HomeChange.objects.count()
    Child.objects.update(next_check_at=datetime(2026, 3, 11, tzinfo=UTC))
    assert HomeChange.objects.count() == before
    Child.objects.update(next_check_at=None, initials="ZQ")
    assert HomeChange.objects.count() > before


def test_the_notes_are_compacted_every_hour_by_a_job_an_administrator_can_pause(world):
    from django_celery_beat.models import PeriodicTask

    from oversight.tasks import home_notes_compact

    job = PeriodicTask.objects.get(task="oversight.tasks.home_notes_compact")
    assert job.enabled and job.interval.every == 60 and job.interval.period == "minutes"
    with time_machine.travel(TUESDAY, tick=False):
        for n in range(60):
            User.objects.filter(pk=world.supervisee.pk).update(full_name=f"Supervisee {n}")
    assert home_notes_compact() == {"people": 1}
    assert HomeChange.objects.filter(person_id=world.supervisee.pk).count() == 1


def test_with_no_time_to_keep_every_home_is_made_afresh(world, readers, settings):
    settings.HOME_KEEP_SECONDS = 0
    supervisor = readers["supervisor"]
    supervisor.home()
    with CaptureQueriesContext(connection) as queries:
        supervisor.home()
    assert len(queries) > 20


def test_a_home_served_kept_is_audited_as_a_home_made(world, readers):
    from supervision.models.audit import AuditEvent

    supervisor = readers["supervisor"]
    reads = AuditEvent.objects.filter(
        actor=supervisor.person, action="read", object_type="list", object_id="home"
    )
    before = reads.count()
    for _ in range(3):
        supervisor.home()
    assert reads.count() == before + 3


def test_a_message_is_shown_once_even_where_the_home_is_kept(world, readers, monkeypatch):
    """A message (here, after marking an action done) is the request's own: the kept home is
    not served in its place, and the home that shows it is not kept. The stamp is held still,
    so that only the message stands between the reader and the kept home."""
    monkeypatch.setattr(home_kept, "stamp", lambda person: (1, 1))
    supervisee = readers["supervisee"]
    kept_home = supervisee.home()
    assert supervisee.home() == kept_home
    with time_machine.travel(TUESDAY, tick=False):
        action = actions_for(world, world.supervisee, [date(2026, 3, 20)], status="finalised")[0]
        response = supervisee.client.post(f"/actions/{action.pk}/done/", follow=True)
    assert response.redirect_chain == [("/", 302)]
    shown = main(response.content.decode())
    assert "Action marked as done" in shown
    assert "Action marked as done" not in kept_home
    assert "Action marked as done" not in supervisee.home()
