"""The home page's queries compiled once for each shape (oversight/reports/home_queries.py):
the page read through Django, as the first page of a shape is, and the page read from the
compiled SQL are the same, for a varied team and for each person in it."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    IntegerField,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat
from django.test import Client

from oversight.flags.selectors import (
    HOME_FLAG_COLUMNS,
    HomeFlag,
    _open_flags,
    _row,
    acts_on_it_themselves,
    with_links,
)
from oversight.models import Flag, FlagKind
from oversight.reports import home_queries
from supervision.models import (
    Action,
    AgendaItem,
    DevelopmentConversation,
    Disagreement,
    PracticeObservation,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
)
from supervision.records import services as record_services
from tests.factories import RelationshipFactory, StaffProfileFactory
from tests.oversight.reports.test_home import (
    DAY,
    TUESDAY,
    actions_for,
    add_supervisee,
    busy_supervisee,
    held_session,
    planned_session,
    record_in,
    section,
)
from tests.world import TODAY

pytestmark = pytest.mark.django_db

WORLD_AT = TODAY


def varied_team(world):
    """Busy people, a quiet one, one supervised by someone else too, and the world's own."""
    busy = [busy_supervisee(world, index) for index in range(3)]
    quiet = add_supervisee(world, "Quiet Person", start=date(2025, 6, 2))
    session = planned_session(world, world.supervisee, datetime(2026, 3, 12, 10, tzinfo=UTC))
    AgendaItem.objects.create(session=session, added_by=world.supervisee, text="<b>First</b>")
    AgendaItem.objects.create(session=session, added_by=world.supervisor, text="Second")
    record_in(world, world.supervisee, date(2026, 2, 17), SupervisionRecord.Status.SHARED)
    actions_for(world, world.supervisee, [date(2026, 3, 1), date(2026, 4, 1)], status="shared")
    PracticeObservation.objects.create(
        practitioner=busy[0],
        practitioner_role="Social worker",
        observer=world.supervisor,
        observer_role="Line manager",
        created_by=world.supervisor,
        observed_on=date(2026, 3, 2),
        venue="Family home",
        permission_gained=True,
        permission_details="Asked at the door",
    )
    DevelopmentConversation.objects.create(
        person=busy[1],
        kind=DevelopmentConversation.Kind.PLAN,
        year=2026,
        held_on=date(2026, 1, 5),
        goals="g",
        agreed_by=world.supervisor,
    )
    return [world.supervisor, world.supervisee, quiet, *busy]


def home(client, person, url="/") -> str:
    """The page, without what differs on every answer (the form token, masked anew)."""
    with time_machine.travel(TUESDAY, tick=False):
        client.force_login(person)
        response = client.get(url)
    assert response.status_code == 200
    return re.sub(
        r'(csrfmiddlewaretoken" value|csrf-token" content)="[^"]+"', "", response.content.decode()
    )


def assert_each_page_kept_as_read_through_django(client, people, sorted_url):
    """Each person's home, plain and sorted: first read through Django (nothing compiled yet),
    then from the compiled queries, the same to the byte."""
    for person in people:
        for url in ("/", sorted_url):
            home_queries.forget()
            through_django = home(client, person, url)
            kept = home(client, person, url)
            assert kept == through_django, (person.full_name, url)


def test_each_home_page_is_the_same_read_through_django_and_from_the_compiled_queries(world):
    client = Client()
    assert_each_page_kept_as_read_through_django(client, varied_team(world), "/?sort=-records")
    assert "Your supervisees (" in home(client, world.supervisor)
    if connection.vendor == "postgresql":
        # Every shape of the supervisor's page kept (SQLite turns dates into text while
        # compiling, so some of its shapes are read through Django each time).
        assert all(home_queries._KEPT.values()), home_queries._KEPT
        assert len(home_queries._KEPT) >= 12


def sessions_of(values):
    return (
        SupervisionSession.objects.filter(supervisee_id__in=values["ids"])
        .order_by("starts_at", "pk")
        .values_list("pk", "supervisee_id", "starts_at")
    )


def test_a_shape_is_read_through_django_once_then_from_its_sql_with_each_pages_values(world):
    other = add_supervisee(world, "Other Person")
    planned_session(world, other, datetime(2026, 3, 20, 10, tzinfo=UTC))
    home_queries.forget()
    pairs = ([world.supervisee.pk, other.pk], [other.pk, world.supervisee.pk])
    for ids in pairs:
        assert home_queries.tuples("sessions", sessions_of, {"ids": ids}) == list(
            sessions_of({"ids": ids})
        )
    # Ids only: kept on SQLite as on PostgreSQL.
    assert list(home_queries._KEPT.values()) != [None]
    one = [other.pk]
    assert home_queries.tuples("sessions", sessions_of, {"ids": one}) == list(
        sessions_of({"ids": one})
    )
    assert len(home_queries._KEPT) == 2  # another length, another shape


def test_a_list_holding_an_id_twice_is_always_read_through_django(world):
    home_queries.forget()
    twice = {"ids": [world.supervisee.pk, world.supervisee.pk]}
    for _ in range(2):
        assert home_queries.tuples("sessions", sessions_of, twice) == list(sessions_of(twice))
    assert home_queries._KEPT == {}


# --- A change of supervisor, a leaver, records in every status, and flags linked by key ----------


def started(world, person, day, status, *, supervisor):
    """A record of a session `supervisor` held with `person` on `day`, left in `status`."""
    session = held_session(world, person, day, supervisor=supervisor)
    with time_machine.travel(
        datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12), tick=False
    ):
        record = record_services.record_start(session=session, by=supervisor)
    SupervisionRecord.objects.filter(pk=record.pk).update(status=status)
    return record


def open_flag(person, kind, about):
    since = datetime(2026, 2, 1, tzinfo=UTC)
    return Flag.objects.create(
        kind=kind,
        person=person,
        about=about,
        due=date(2026, 1, 31),
        overdue_since=since,
        detail=f"About {about or 'nothing'} <& 'quoted'>",
        raised_at=since,
    )


def turned_team(world):
    """The varied team, and: a supervisee who moved to the world's supervisor from another, who
    still writes the record of the session they held; a supervisor who has left, whose records
    the supervisee's line supervisor (the world's) now finalises; a supervisee who has left,
    with an observation of theirs the world's supervisor can no longer have signed; records of
    one person in every status; and flags about sessions and actions, some written otherwise
    than the flag job writes them."""
    Status = SupervisionRecord.Status
    people = varied_team(world)
    team, role = world.units["team"], world.supervisor.profile.job_role
    before = StaffProfileFactory(user__full_name="Former Supervisor", unit=team, job_role=role).user
    moved = add_supervisee(world, "Moved Person", supervisor=before)
    SupervisoryRelationship.objects.filter(supervisee=moved).update(ends_on=date(2026, 1, 31))
    RelationshipFactory(supervisor=world.supervisor, supervisee=moved, starts_on=date(2026, 2, 1))
    moved_record = started(world, moved, date(2026, 1, 20), Status.DRAFT, supervisor=before)
    gone = StaffProfileFactory(
        user__full_name="Gone Supervisor", unit=team, job_role=role, leaving_date=date(2026, 2, 27)
    ).user
    started(world, world.supervisee, date(2026, 2, 20), Status.SUPERVISEE_SIGNED, supervisor=gone)
    started(world, world.supervisee, date(2026, 2, 21), Status.DRAFT, supervisor=gone)
    left = add_supervisee(world, "Left Person")
    StaffProfile.objects.filter(user=left).update(leaving_date=date(2026, 3, 1))
    PracticeObservation.objects.create(
        practitioner=left,
        practitioner_role="Social worker",
        observer=world.supervisor,
        observer_role="Line manager",
        created_by=world.supervisor,
        observed_on=date(2026, 2, 2),
        venue="Office",
        permission_gained=True,
        permission_details="Asked",
    )
    every = add_supervisee(world, "Every Status")
    records = {
        status: record_in(world, every, date(2026, 1, 5) + timedelta(days=7 * n), status)
        for n, status in enumerate(Status.values)
    }
    Disagreement.objects.create(
        record=records[Status.SHARED],
        subject="The plan <b>",
        raised_by=every,
        supervisee_view="Not what we agreed.",
    )
    (action,) = actions_for(world, every, [date(2026, 2, 1)], held_on=date(2026, 2, 6))
    no_record = held_session(world, every, date(2026, 3, 3))
    shared = records[Status.SHARED].session_id
    for kind, about in [
        (FlagKind.RECORD_OVERDUE, f"session {records[Status.DRAFT].session_id}"),
        (FlagKind.RECORD_OVERDUE, f"session {no_record.pk}"),
        (FlagKind.RECORD_OVERDUE, f"session 0{shared}"),  # not as the job writes a number
        (FlagKind.RECORD_OVERDUE, f"session {shared}x"),
        (FlagKind.RECORD_OVERDUE, "session " + "9" * 25),  # more than a bigint holds
        (FlagKind.SIGNOFF_OVERDUE, f"session {shared}"),
        (FlagKind.ACTION_OVERDUE, f"action {action.pk}"),
        (FlagKind.ACTION_OVERDUE, f"action 0{action.pk}"),
        (FlagKind.ACTION_OVERDUE, "action " + "9" * 25),
        (FlagKind.CANCELLATION_NOT_RESCHEDULED, f"session {no_record.pk}"),
        (FlagKind.AGREEMENT_MISSING, ""),
    ]:
        open_flag(every, kind, about)
    # Someone else's session named on this person's flag: no record of theirs to link to.
    open_flag(every, FlagKind.SIGNOFF_OVERDUE, f"session {moved_record.session_id}")
    open_flag(moved, FlagKind.RECORD_OVERDUE, f"session {moved_record.session_id}")
    return [*people, before, moved, every]


def test_home_pages_after_a_change_of_supervisor_and_a_leaver_are_the_same_kept(world):
    people = turned_team(world)
    client = Client()
    assert_each_page_kept_as_read_through_django(client, people, "/?sort=name")
    page = home(client, world.supervisor)
    # The session held by the supervisor who has left: finalised by the line supervisor now.
    finalise = section(page, "Records to finalise", end="</ul>")
    assert "Supervisee, 20 February 2026</a> <span" in finalise
    assert "(session held by Gone Supervisor, who has left)" in finalise
    assert "Supervisee, 21 February 2026" in section(page, "Records to write or amend", "</ul>")
    assert "Left Person" not in page
    # The record of the session held before the change: still written by who held it.
    before = home(client, people[-3])
    assert "Moved Person, 20 January 2026" in section(before, "Records to write or amend", "</ul>")
    assert "Moved Person, 20 January 2026" not in page


def test_each_records_status_is_listed_for_whoever_acts_on_it_now(world):
    """The record of one session moved through every status: the lists of the supervisor's
    home (read from the compiled query) are those the three queries of access.records give."""
    Status = SupervisionRecord.Status
    every = add_supervisee(world, "Every Status")
    record = record_in(world, every, date(2026, 3, 2), Status.DRAFT)
    client = Client()
    seen = []
    for status in [Status.DRAFT, Status.SHARED, Status.AMENDMENT_REQUESTED, Status.SHARED]:
        SupervisionRecord.objects.filter(pk=record.pk).update(status=status)
        home(client, world.supervisor)  # learns each shape
        seen.append(home(client, world.supervisor))
    Disagreement.objects.create(
        record=record, subject="The plan", raised_by=every, supervisee_view="No."
    )
    seen.append(home(client, world.supervisor))
    SupervisionRecord.objects.filter(pk=record.pk).update(status=Status.SUPERVISEE_SIGNED)
    seen.append(home(client, world.supervisor))
    Disagreement.objects.filter(record=record).update(supervisor_signed_at=TUESDAY)
    seen.append(home(client, world.supervisor))
    SupervisionRecord.objects.filter(pk=record.pk).update(status=Status.FINALISED)
    seen.append(home(client, world.supervisor))
    headings = ("Records to write or amend", "Records to finalise", "Disagreements waiting")
    listed = [
        tuple(
            heading in page and "Every Status, 2 March 2026" in section(page, heading, "</ul>")
            for heading in headings
        )
        for page in seen
    ]
    assert listed == [
        (True, False, False),  # a draft
        (False, False, False),  # shared: the supervisee's to sign
        (True, False, False),  # sent back
        (False, False, False),  # shared again
        (False, False, True),  # a disagreement waits for the supervisor's view
        (False, True, True),  # signed by the supervisee, the view still to come
        (False, True, False),  # the view given
        (False, False, False),  # finalised
    ]


def _old_links(flags):
    """The links' keys as they were found before the number was read off `about`: by comparing
    `about` with the text of every record's and action's key."""
    session_key = Concat(Value("session "), Cast("session_id", output_field=CharField()))
    record = SupervisionRecord.objects.annotate(key=session_key).filter(
        key=OuterRef("about"), session__supervisee_id=OuterRef("person_id")
    )
    action = (
        Action.objects.annotate(key=Concat(Value("action "), Cast("pk", output_field=CharField())))
        .filter(key=OuterRef("about"), supervisee_id=OuterRef("person_id"))
        .values("record__session_id")[:1]
    )
    return flags.annotate(
        old_record=Case(
            When(kind=FlagKind.RECORD_OVERDUE, then=Exists(record)), default=Value(False)
        ),
        old_action=Case(
            When(kind=FlagKind.ACTION_OVERDUE, then=Subquery(action)),
            default=None,
            output_field=IntegerField(),
        ),
    )


def test_flags_find_their_record_and_action_by_key_as_by_text(world):
    turned_team(world)
    flags = with_links(_old_links(Flag.objects.all()), DAY).order_by("pk")
    found = [(f.about, bool(f.has_record), f.action_session_id) for f in flags]
    before = [(f.about, bool(f.old_record), f.old_action) for f in flags]
    assert found == before
    assert sum(1 for _, has_record, _ in found if has_record) >= 2
    assert sum(1 for _, _, action in found if action) == 1


def test_the_home_flag_rows_read_as_tuples_are_those_of_the_flags_themselves(world):
    turned_team(world)
    now = TUESDAY
    flags = _open_flags(DAY)
    as_flags = [_row(flag, now, may_plan=True) for flag in flags]
    as_tuples = [
        _row(HomeFlag(row), now, may_plan=True) for row in flags.values_list(*HOME_FLAG_COLUMNS)
    ]
    fields = ("label", "subject", "detail", "due", "overdue_since", "overdue_text", "url")
    assert [[getattr(r, f) for f in fields] for r in as_tuples] == [
        [getattr(r, f) for f in fields] for r in as_flags
    ]
    assert len(as_flags) >= 15
    assert [acts_on_it_themselves(r.flag) for r in as_tuples] == [
        acts_on_it_themselves(r.flag) for r in as_flags
    ]
