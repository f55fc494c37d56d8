"""A supervisor's absences (rule S5) and a student's agreed move to fortnightly (F3): the two
facts the rules need, recorded through the product and read by the flags end to end.

Every date is fixed. Kent's pack is in force, as the migration installs it: cover in
place by the 29th day of absence (cover_after_days 28); students weekly, then fortnightly from
the day agreed with the practice educator.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from oversight.flags.compliance import compliance_rows, held_rows
from oversight.flags.scheduled import tick
from oversight.models import Flag, FlagKind
from oversight.policy.choice import pack_on
from supervision.models import StaffProfile, SupervisionSession, SupervisoryRelationship
from supervision.models.audit import AuditEvent
from supervision.models.organisation import SupervisorAbsence
from supervision.people import services
from tests.factories import JobRoleFactory, RelationshipFactory, StaffProfileFactory, UnitFactory
from tests.two_factor import give_second_factor
from tests.world import ROLES, TODAY, build_world

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def local(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def at(moment):
    return time_machine.travel(moment, tick=False)


def ticked(moment: datetime):
    with at(moment):
        return tick(moment)


@pytest.fixture
def world():
    with at(TODAY):
        yield build_world()


def url(person) -> str:
    return f"/people/{person.pk}/absences/"


def record_form(starts: date, ends: date | None = None, reason="Annual leave") -> dict:
    data = {
        "form": "record",
        "starts_on_0": starts.day,
        "starts_on_1": starts.month,
        "starts_on_2": starts.year,
        "reason": reason,
    }
    if ends is not None:
        data.update({"ends_on_0": ends.day, "ends_on_1": ends.month, "ends_on_2": ends.year})
    return data


# --- The page ---------------------------------------------------------------------------------


def test_a_manager_records_a_supervisors_absence_and_its_return_through_the_page(client, world):
    client.force_login(world.senior_manager)
    with at(TODAY):
        page = client.get(url(world.supervisor))
        assert page.status_code == 200
        html = page.content.decode()
        assert '<h1 class="govuk-heading-l">Record when Supervisor is away</h1>' in html
        assert "more than 28 days" in html  # Kent's limit, from the pack in force
        assert "Supervisee" in html and "No cover" in html  # whom the absence leaves without
        saved = client.post(url(world.supervisor), record_form(date(2026, 3, 2)))
    assert saved.status_code == 302 and saved["Location"] == url(world.supervisor)
    (absence,) = SupervisorAbsence.objects.filter(supervisor=world.supervisor)
    assert (absence.starts_on, absence.ends_on, absence.reason) == (
        date(2026, 3, 2),
        None,
        "Annual leave",
    )
    assert absence.recorded_by == world.senior_manager
    written = AuditEvent.objects.filter(object_type="supervisor_absence", action="write").get()
    assert (written.actor, written.subject) == (world.senior_manager, world.supervisor)
    assert AuditEvent.objects.filter(object_type="supervisor_absences", action="read").exists()

    with at(TODAY):
        html = client.get(url(world.supervisor)).content.decode()
        assert "Still away" in html and "2 March 2026" in html
        back = client.post(
            url(world.supervisor),
            {"form": "end", "end-ends_on_0": 20, "end-ends_on_1": 3, "end-ends_on_2": 2026},
        )
    assert back.status_code == 302
    absence.refresh_from_db()
    assert absence.ends_on == date(2026, 3, 20)


def test_a_last_day_before_the_first_is_refused_naming_the_field_and_nothing_is_saved(
    client, world
):
    client.force_login(world.senior_manager)
    with at(TODAY):
        page = client.post(url(world.supervisor), record_form(date(2026, 3, 9), date(2026, 3, 2)))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Enter a last day away on or after the first (9 March 2026)" in html
    assert 'href="#id_ends_on' in html  # the error summary links to the field
    assert not SupervisorAbsence.objects.exists()

    with at(TODAY):
        client.post(url(world.supervisor), record_form(date(2026, 3, 2), date(2026, 3, 13)))
        overlap = client.post(url(world.supervisor), record_form(date(2026, 3, 9)))
        missing = client.post(url(world.supervisor), {"form": "record", "reason": "Leave"})
    assert "Supervisor is already recorded as away from 2 March 2026 to 13 March 2026" in (
        overlap.content.decode()
    )
    assert "Enter the first day away" in missing.content.decode()
    assert SupervisorAbsence.objects.count() == 1


def test_the_service_refuses_an_end_before_the_start_naming_the_field(world):
    with at(TODAY):
        absence = services.absence_record(
            supervisor=world.supervisor, starts_on=date(2026, 3, 2), by=world.senior_manager
        )
        with pytest.raises(services.ValidationError) as refused:
            services.absence_end(absence=absence, ends_on=date(2026, 3, 1), by=world.senior_manager)
    assert list(refused.value.message_dict) == ["ends_on"]
    absence.refresh_from_db()
    assert absence.ends_on is None


# Who may record the world supervisor's absences: their own line supervisor, who also manages
# the service above their team. Everyone else outside the file's reach gets 404; the
# supervisor reads their own file but does not record their own absences: 403.
SUPERVISOR_PAGE = {
    "anonymous": (302, 302),
    "supervisee": (404, 404),
    "other_supervisee": (404, 404),
    "supervisor": (403, 403),
    "other_team_supervisor": (404, 404),
    "senior_manager": (200, 302),
    "other_senior_manager": (404, 404),
    "auditor_with_grant": (404, 404),
    "auditor_without_grant": (404, 404),
    "admin": (404, 404),
}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_record_a_supervisors_absences(client, world, role):
    if role != "anonymous":
        client.force_login(getattr(world, role))
    with at(TODAY):
        got = client.get(url(world.supervisor)).status_code
        posted = client.post(url(world.supervisor), record_form(date(2026, 3, 2))).status_code
    assert (got, posted) == SUPERVISOR_PAGE[role]
    recorded = SupervisorAbsence.objects.exists()
    assert recorded == (role == "senior_manager")
    if role == "anonymous":
        return
    refusals = AuditEvent.objects.filter(action="denied", actor=getattr(world, role))
    assert refusals.exists() == (got in (403, 404))


def test_the_line_supervisor_and_a_manager_above_record_and_a_grant_holder_only_reads(
    client, world
):
    """On the supervisee's page: the line supervisor (restrict_files EDIT) and the manager of
    the service above the team may record; an auditor whose grant lets them read the file may
    not; the supervisee does not record their own."""
    expected = {
        world.supervisor: 200,
        world.senior_manager: 200,
        world.auditor_with_grant: 403,
        world.supervisee: 403,
        world.other_senior_manager: 404,
    }
    for user, status in expected.items():
        client.force_login(user)
        with at(TODAY):
            assert client.get(url(world.supervisee)).status_code == status, user


def test_the_file_of_a_supervisor_links_to_the_page_only_for_those_who_manage_them(client, world):
    link = f'href="{url(world.supervisor)}"'
    for user, shown in (
        (world.senior_manager, True),
        (world.supervisor, False),  # their own file
        (world.auditor_with_grant, False),
    ):
        client.force_login(user)
        with at(TODAY):
            page = client.get(f"/people/{world.supervisor.pk}/")
        if page.status_code == 404:
            assert not shown
            continue
        assert (link in page.content.decode()) == shown, user
    # The supervisee supervises nobody: no absences to record for them.
    client.force_login(world.supervisor)
    with at(TODAY):
        html = client.get(f"/people/{world.supervisee.pk}/").content.decode()
    assert url(world.supervisee) not in html


# --- S5 end to end: cover needed, then cover arranged ----------------------------------------


@pytest.fixture
def team(db):
    """A manager who line supervises two people, and a third they supervised until February."""
    with at(local(2026, 1, 5, 9)):
        unit = UnitFactory(name="Team A", code="team-a")
        role = JobRoleFactory(code="practitioner", name="Practitioner")
        manager_role = JobRoleFactory(code="manager", name="Manager", category="manager")

        def person(key, role=role, **extra):
            return StaffProfileFactory(
                user__email=f"{key}@example.org",
                user__full_name=key.title(),
                unit=unit,
                job_role=role,
                start_date=date(2025, 6, 2),
                **extra,
            ).user

        manager, deputy = person("manager", manager_role), person("deputy", manager_role)
        ann, ben, cat = person("ann"), person("ben"), person("cat")
        for supervisee in (ann, ben):
            RelationshipFactory(
                supervisor=manager, supervisee=supervisee, starts_on=date(2025, 6, 2)
            )
        RelationshipFactory(
            supervisor=manager, supervisee=cat, starts_on=date(2025, 6, 2), ends_on=date(2026, 2, 1)
        )
        RelationshipFactory(supervisor=deputy, supervisee=cat, starts_on=date(2026, 2, 2))
    return {"manager": manager, "deputy": deputy, "ann": ann, "ben": ben, "cat": cat}


def cover_flags(person):
    return list(Flag.objects.filter(person=person, kind=FlagKind.COVER_NEEDED).order_by("pk"))


def agrees(moment):
    cover = [r for r in held_rows(moment) if r.kind == FlagKind.COVER_NEEDED]
    assert cover == [r for r in compliance_rows(moment) if r.kind == FlagKind.COVER_NEEDED]
    assert held_rows(moment) == compliance_rows(moment), moment
    return cover


def test_a_supervisor_away_past_the_packs_limit_needs_cover_for_each_supervisee(team):
    """Kent: cover by the 29th day. Away from Monday 2 March 2026, cover is due on 30 March and
    overdue from the start of 31 March, for Ann and Ben; Cat has had another supervisor since
    February. A temporary cover for Ann from 2 April, entered on 3 April, resolves hers at the
    start of 2 April; the manager's return on 10 April resolves Ben's at the start of 11 April."""
    assert pack_on(date(2026, 3, 2)).cover_after_days == 28
    manager, ann, ben, cat = team["manager"], team["ann"], team["ben"], team["cat"]
    with at(local(2026, 3, 2, 9)):
        absence = services.absence_record(
            supervisor=manager, starts_on=date(2026, 3, 2), reason="Secondment", by=team["deputy"]
        )
    assert set(
        StaffProfile.objects.filter(next_check_at__isnull=True).values_list("user", flat=True)
    ) >= {ann.pk, ben.pk}  # the absence marked the people it concerns

    ticked(local(2026, 3, 30, 23, 45))
    assert cover_flags(ann) == cover_flags(ben) == []
    ticked(local(2026, 3, 31, 9))
    for person in (ann, ben):
        (flag,) = cover_flags(person)
        assert (flag.due, flag.overdue_since, flag.rule) == (
            date(2026, 3, 30),
            local(2026, 3, 31),
            "S5",
        )
        assert flag.resolved_at is None
    assert cover_flags(cat) == cover_flags(manager) == []
    rows = agrees(local(2026, 3, 31, 9))
    assert {r.staff for r in rows} == {"ann@example.org", "ben@example.org"}

    with at(local(2026, 4, 3, 10)):
        SupervisoryRelationship.objects.create(
            supervisor=team["deputy"],
            supervisee=ann,
            kind=SupervisoryRelationship.Kind.TEMPORARY_COVER,
            starts_on=date(2026, 4, 2),
        )
    ticked(local(2026, 4, 3, 10, 15))
    (flag,) = cover_flags(ann)
    assert flag.resolved_at == local(2026, 4, 2)  # the cover's first day, not the tick
    (still,) = cover_flags(ben)
    assert still.resolved_at is None

    with at(local(2026, 4, 13, 9)):
        services.absence_end(absence=absence, ends_on=date(2026, 4, 10), by=team["deputy"])
    ticked(local(2026, 4, 13, 9, 15))
    still.refresh_from_db()
    assert still.resolved_at == local(2026, 4, 11)  # back the day after the last day away

    for moment in (
        local(2026, 3, 30, 23, 59),
        local(2026, 3, 31),
        local(2026, 4, 1, 12),
        local(2026, 4, 2),
        local(2026, 4, 10, 12),
        local(2026, 4, 11),
    ):
        agrees(moment)
    assert [r.staff for r in agrees(local(2026, 4, 1, 12))] == [
        "ann@example.org",
        "ben@example.org",
    ]
    assert [r.staff for r in agrees(local(2026, 4, 10, 12))] == ["ben@example.org"]


def test_a_cover_arranged_before_the_absence_began_means_no_flag(team):
    manager, ann, ben = team["manager"], team["ann"], team["ben"]
    with at(local(2026, 2, 27, 9)):
        for person in (ann, ben):
            SupervisoryRelationship.objects.create(
                supervisor=team["deputy"],
                supervisee=person,
                kind=SupervisoryRelationship.Kind.TEMPORARY_COVER,
                starts_on=date(2026, 2, 27),
            )
        services.absence_record(supervisor=manager, starts_on=date(2026, 3, 2), by=team["deputy"])
    ticked(local(2026, 4, 6, 9))
    assert cover_flags(ann) == cover_flags(ben) == []
    assert agrees(local(2026, 4, 6, 9)) == []


def test_an_absence_no_longer_than_the_limit_needs_no_cover(team):
    with at(local(2026, 3, 2, 9)):
        services.absence_record(
            supervisor=team["manager"],
            starts_on=date(2026, 3, 2),
            ends_on=date(2026, 3, 29),  # 28 days away: not more than the limit
            by=team["deputy"],
        )
    ticked(local(2026, 4, 6, 9))
    assert cover_flags(team["ann"]) == []


# --- F3: a student's agreed move to fortnightly ----------------------------------------------


@pytest.fixture
def students(db):
    with at(local(2026, 1, 5, 9)):
        unit = UnitFactory(name="Team S", code="team-s")
        educator = StaffProfileFactory(
            user__email="educator@example.org",
            user__full_name="Educator",
            unit=unit,
            job_role=JobRoleFactory(code="manager", name="Manager", category="manager"),
        ).user
        role = JobRoleFactory(code="student", name="Student social worker", category="student")
        people = {}
        for key in ("agreed", "weekly"):
            profile = StaffProfileFactory(
                user__email=f"{key}@example.org",
                user__full_name=key.title(),
                unit=unit,
                job_role=role,
                is_student=True,
                start_date=date(2026, 1, 5),
            )
            RelationshipFactory(
                supervisor=educator, supervisee=profile.user, starts_on=date(2026, 1, 5)
            )
            people[key] = profile.user
    with at(local(2026, 3, 2, 12)):
        for person in people.values():
            SupervisionSession.objects.create(
                supervisee=person,
                supervisor=educator,
                session_type="individual",
                starts_at=local(2026, 3, 2, 10),
                ends_at=local(2026, 3, 2, 11),
                created_by=educator,
                status=SupervisionSession.Status.HELD,
            )
        # As the administrator records it in Django admin: a save of the profile.
        profile = StaffProfile.objects.get(user=people["agreed"])
        profile.fortnightly_from = date(2026, 3, 2)
        profile.save()
    return {"educator": educator, **people}


def session_flags(person):
    """Open ones: the first look also keeps, resolved, the weekly spell before 2 March."""
    return list(
        Flag.objects.filter(person=person, kind=FlagKind.SESSION_OVERDUE, resolved_at__isnull=True)
    )


def test_a_student_with_an_agreed_date_is_due_fortnightly_from_then(students):
    """Kent F3: weekly, then fortnightly from the day agreed. Both held a session on Monday
    2 March; the student still weekly is overdue from 10 March, the one agreed fortnightly
    from 2 March only from 17 March."""
    agreed, weekly = students["agreed"], students["weekly"]
    ticked(local(2026, 3, 10, 9))
    (late,) = session_flags(weekly)
    assert (late.due, late.overdue_since) == (date(2026, 3, 9), local(2026, 3, 10))
    assert session_flags(agreed) == []

    ticked(local(2026, 3, 16, 23, 45))
    assert session_flags(agreed) == []
    ticked(local(2026, 3, 17, 9))
    (flag,) = session_flags(agreed)
    assert (flag.due, flag.overdue_since) == (date(2026, 3, 16), local(2026, 3, 17))
    assert "every 2 weeks" in flag.detail or "fortnight" in flag.detail
    for moment in (local(2026, 3, 10, 9), local(2026, 3, 17, 9)):
        assert held_rows(moment) == compliance_rows(moment)


def test_the_agreed_date_is_on_the_students_file_and_in_django_admin(client, students):
    client.force_login(students["educator"])
    with at(local(2026, 3, 5, 9)):
        agreed = client.get(f"/people/{students['agreed'].pk}/").content.decode()
        weekly = client.get(f"/people/{students['weekly'].pk}/").content.decode()
    assert "Fortnightly supervision from" in agreed and "2 March 2026" in agreed
    assert "Not yet agreed: weekly until the practice educator agrees a date" in weekly

    from tests.factories import UserFactory

    admin = UserFactory(email="admin@example.org", is_staff=True, is_superuser=True)
    give_second_factor(admin)
    client.force_login(admin)
    profile = StaffProfile.objects.get(user=students["agreed"])
    with at(local(2026, 3, 5, 9)):
        page = client.get(f"/admin/supervision/staffprofile/{profile.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="fortnightly_from"' in html and "Fortnightly supervision from" in html
    assert "the date agreed with the practice educator (F3)" in html


def test_a_practitioner_file_shows_no_fortnightly_row(client, world):
    client.force_login(world.supervisor)
    with at(TODAY):
        html = client.get(f"/people/{world.supervisee.pk}/").content.decode()
    assert "Fortnightly supervision from" not in html


def test_an_absence_days_move_the_due_date_exactly(team):
    """The flag is dated by the rule: recorded late (on 6 April for an absence from 2 March),
    the spell is still held from the start of 31 March."""
    with at(local(2026, 4, 6, 9)):
        services.absence_record(
            supervisor=team["manager"], starts_on=date(2026, 3, 2), by=team["deputy"]
        )
    ticked(local(2026, 4, 6, 9, 15))
    (flag,) = cover_flags(team["ann"])
    assert flag.overdue_since == local(2026, 3, 31) and flag.raised_at == local(2026, 4, 6, 9, 15)
    assert agrees(local(2026, 3, 31, 12))
    assert timedelta(days=28) == flag.due - date(2026, 3, 2)
