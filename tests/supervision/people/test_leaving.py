"""Leavers: from the end of the leaving day a person has no reach of any
kind, their sessions end and they cannot sign in; a nightly job closes what they still hold."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session

from access.files import restrict_files
from access.grants import current_grants
from access.roles import Roles, roles_for
from access.units import managed_paths, units_overseen_by
from oversight.models import Notification
from supervision.models import AccessGrant, StaffProfile, SupervisoryRelationship, Unit, User
from supervision.models.audit import AuditEvent
from supervision.people.leaving import leavers_close, staff_mark_left
from supervision.people.services import access_grant_create
from tests.factories import (
    SUPERVISEE_PASSWORD,
    JobRoleFactory,
    RelationshipFactory,
    StaffProfileFactory,
)
from tests.two_factor import sign_in as sign_in_with_code
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db

SIGN_IN = "/sign-in/"
LEAVING_DAY = TODAY  # Thursday 5 March 2026 (GMT: London time is UTC)
LATE_ON_LEAVING_DAY = datetime(2026, 3, 5, 23, 50, tzinfo=UTC)
NEXT_DAY = datetime(2026, 3, 6, 0, 10, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def world():
    """The world of tests/world.py, with a director over the head of service (who manages
    Service A) and an access grant held by the head of service."""
    with time_machine.travel(datetime(2026, 3, 5, 9, tzinfo=UTC), tick=False):
        world = build_world()
        directorate = world.units["directorate"]
        director = StaffProfileFactory(
            user__email="director@example.org",
            user__full_name="Dana Director",
            unit=directorate,
            job_role=JobRoleFactory(code="director", name="Director", category="senior_manager"),
        ).user
        directorate.manager = director
        directorate.save()
        world.people["director"] = director
        RelationshipFactory(supervisor=director, supervisee=world.senior_manager)
        world.units["service"].refresh_from_db()
        world.units["service"].name = "Northshire Early Help"
        world.units["service"].save()
        access_grant_create(
            grantee=world.senior_manager,
            subject=world.other_supervisee,
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 3, 31),
            reason="Peer audit",
            granted_by=world.director,
        )
        staff_mark_left(person=world.senior_manager, leaving_date=LEAVING_DAY, by=world.admin)
    return world


def sign_in(client, email, password=SUPERVISEE_PASSWORD):
    return sign_in_with_code(client, email, password)


def sessions_of(user) -> int:
    return sum(
        1
        for session in Session.objects.all()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    )


# --- Signing in ------------------------------------------------------------------------------


def test_on_the_leaving_day_itself_everything_still_works(client, world):
    with time_machine.travel(LATE_ON_LEAVING_DAY, tick=False):
        assert sign_in(client, world.senior_manager.email).status_code == 302
        assert client.get("/").status_code == 200
        assert client.get("/dashboard/", follow=True).status_code == 200
        assert client.get(f"/dashboard/units/{world.units['service'].pk}/").status_code == 200
        assert client.get(f"/people/{world.supervisee.pk}/").status_code == 200
        assert client.get(f"/sessions/{world.session.pk}/").status_code == 200


def test_the_next_day_a_leaver_with_the_right_password_sees_their_account_has_closed(
    client, world, settings
):
    settings.ACCOUNT_CLOSED_CONTACT = "Information Governance (ig@northshire.example)"
    with time_machine.travel(NEXT_MORNING, tick=False):
        response = sign_in(client, world.senior_manager.email)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your account has closed" in page
    assert "You left Northshire Children&#x27;s Services on 5 March 2026" in page
    assert "contact Information Governance (ig@northshire.example)" in page
    assert "Your former manager was Dana Director" in page
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_or_unknown_email_reveals_nothing_about_a_leaver(client, world):
    with time_machine.travel(NEXT_MORNING, tick=False):
        wrong = sign_in(client, world.senior_manager.email, "not the password").content.decode()
        unknown = sign_in(client, "nobody@example.org").content.decode()
    for page in (wrong, unknown):
        assert "Enter a correct email address and password" in page
        assert "closed" not in page
        assert "5 March 2026" not in page


def test_a_leaver_made_to_wait_sees_the_wait_not_the_closed_page(client, world):
    with time_machine.travel(NEXT_MORNING, tick=False) as clock:
        for _ in range(10):
            sign_in(client, world.senior_manager.email, "wrong")
        waiting = sign_in(client, world.senior_manager.email).content.decode()
        assert "Wait " in waiting
        assert "Your account has closed" not in waiting
        clock.shift(timedelta(minutes=6))
        # After the lock, the right password shows the closed page again.
        assert (
            "Your account has closed"
            in sign_in(client, world.senior_manager.email).content.decode()
        )


def test_a_session_begun_on_the_leaving_day_ends_at_midnight(client, world):
    with time_machine.travel(LATE_ON_LEAVING_DAY, tick=False) as clock:
        assert sign_in(client, world.senior_manager.email).status_code == 302
        assert client.get("/").status_code == 200
        clock.move_to(NEXT_DAY)  # 20 minutes later: inside the idle limit, but the day is over
        for url in (
            "/",
            "/dashboard/",
            f"/dashboard/units/{world.units['service'].pk}/",
            f"/people/{world.supervisee.pk}/",
            f"/sessions/{world.session.pk}/",
            f"/sessions/{world.session.pk}/record.pdf",
        ):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(SIGN_IN), url
        # The sign-in page they are sent to says why, and forgets the session.
        page = client.get(SIGN_IN + "?next=/").content.decode()
        assert "Your account has closed" in page
        assert "5 March 2026" in page
        assert "_auth_user_id" not in client.session
        assert "Sign in" in client.get(SIGN_IN).content.decode()


def test_the_job_never_ran_and_the_access_check_alone_leaves_no_door_open(world):
    leaver = User.objects.get(pk=world.senior_manager.pk)
    assert leaver.is_active  # nothing has closed the account
    assert Unit.objects.filter(manager=leaver).exists()  # still recorded as a manager
    assert AccessGrant.objects.filter(grantee=leaver, revoked_at__isnull=True).exists()
    on_leaving_day = roles_for(leaver, LEAVING_DAY)
    assert on_leaving_day.senior_manager
    with time_machine.travel(NEXT_MORNING, tick=False):
        leaver = User.objects.get(pk=leaver.pk)
        assert roles_for(leaver) == Roles()
        assert managed_paths(leaver) == []
        assert not units_overseen_by(leaver).exists()
        assert not current_grants(leaver).exists()
        assert not restrict_files(leaver).exists()


def test_the_job_never_ran_and_a_signed_in_leaver_reaches_nothing(client, world):
    with time_machine.travel(NEXT_MORNING, tick=False):
        client.force_login(world.senior_manager)
        for url in ("/", "/dashboard/", f"/people/{world.other_supervisee.pk}/"):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(SIGN_IN), url


# --- The Organisation page -------------------------------------------------------------------


def test_the_organisation_page_shows_no_manager_before_the_job_runs(client, world):
    with time_machine.travel(LATE_ON_LEAVING_DAY, tick=False):
        client.force_login(world.admin)
        page = client.get("/organisation/").content.decode()
        assert "Senior Manager" in page
        assert page.count("No manager") == 2  # the two teams, which never had one
    with time_machine.travel(NEXT_MORNING, tick=False):
        client.force_login(world.admin)
        page = client.get("/organisation/").content.decode()
    assert Unit.objects.get(name="Northshire Early Help").manager_id == world.senior_manager.pk
    assert page.count("No manager") == 3
    assert "Senior Manager left on 5 March 2026" in page


# --- The nightly job -------------------------------------------------------------------------


def test_the_job_closes_everything_a_leaver_still_holds(client, world):
    with time_machine.travel(LATE_ON_LEAVING_DAY, tick=False):
        sign_in(client, world.senior_manager.email)
    assert sessions_of(world.senior_manager) == 1
    # A relationship recorded after the marking, by mistake, is ended by the job.
    later = RelationshipFactory(
        supervisor=world.senior_manager,
        supervisee=world.other_supervisee,
        kind=SupervisoryRelationship.Kind.TEMPORARY_COVER,
        starts_on=date(2026, 3, 2),
    )
    with time_machine.travel(datetime(2026, 3, 6, 0, 5, tzinfo=UTC), tick=False):
        result = leavers_close()
    assert (result.people, result.accounts_closed, result.sessions_ended) == (1, 1, 1)
    assert (result.grants_revoked, result.relationships_ended) == (1, 1)
    assert (result.units_without_manager, result.notices) == (1, 1)

    leaver = User.objects.get(pk=world.senior_manager.pk)
    assert not leaver.is_active
    assert sessions_of(leaver) == 0
    assert not AccessGrant.objects.filter(grantee=leaver, revoked_at__isnull=True).exists()
    assert not leaver.has_perm("supervision.read_supervision_file", world.other_supervisee)
    later.refresh_from_db()
    assert later.ends_on == LEAVING_DAY
    unit = Unit.objects.get(name="Northshire Early Help")
    assert unit.manager is None

    notice = Notification.objects.get(kind=Notification.Kind.UNIT_WITHOUT_MANAGER)
    assert notice.recipient == world.director
    assert (
        notice.subject
        == "Northshire Early Help has no manager: Senior Manager left on 5 March 2026"
    )
    assert "Northshire Early Help" in notice.body and notice.sent_at is None

    closed = AuditEvent.objects.filter(object_type="account", subject=leaver)
    assert [e.detail["event"] for e in closed] == ["account closed"]
    assert closed[0].actor is None  # the scheduled job, not a person
    assert AuditEvent.objects.filter(
        object_type="unit", object_id=str(unit.pk), detail__change="manager cleared"
    ).exists()
    assert AuditEvent.objects.filter(
        object_type="access_grant", detail__reason="the grantee left"
    ).exists()


def test_the_job_is_safe_to_run_twice(world):
    with time_machine.travel(datetime(2026, 3, 6, 0, 5, tzinfo=UTC), tick=False):
        first = leavers_close()
        events = AuditEvent.objects.count()
        second = leavers_close()
    assert first.people == 1 and first.notices == 1
    assert second.people == 0 and second.notices == 0
    assert Notification.objects.filter(kind=Notification.Kind.UNIT_WITHOUT_MANAGER).count() == 1
    assert AuditEvent.objects.count() == events


def test_the_job_leaves_alone_people_on_their_leaving_day_or_not_leaving(world):
    with time_machine.travel(LATE_ON_LEAVING_DAY, tick=False):
        result = leavers_close()
    assert result.people == 0
    assert User.objects.get(pk=world.senior_manager.pk).is_active
    assert Unit.objects.get(name="Northshire Early Help").manager_id == world.senior_manager.pk
    assert not Notification.objects.exists()


def test_a_leaving_date_already_past_closes_the_account_at_once(world):
    with time_machine.travel(NEXT_MORNING, tick=False):
        staff_mark_left(person=world.director, leaving_date=date(2026, 3, 2), by=world.admin)
    director = User.objects.get(pk=world.director.pk)
    assert not director.is_active
    assert StaffProfile.objects.get(user=director).leaving_date == date(2026, 3, 2)
    assert Unit.objects.get(pk=world.units["directorate"].pk).manager is None
    # Nobody manages above the directorate, so there is nobody to tell; the audit says so.
    assert not Notification.objects.exists()
    assert AuditEvent.objects.filter(
        object_type="unit", detail__change="manager cleared", detail__told=None
    ).exists()


def test_the_job_is_scheduled_just_after_midnight_london_time():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="supervision.tasks.leavers_close")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour) == ("5", "0")
    assert str(task.crontab.timezone) == "Europe/London"


def test_the_task_runs_the_job(world):
    from supervision.tasks import leavers_close as task

    with time_machine.travel(NEXT_MORNING, tick=False):
        assert task.apply().get()["accounts_closed"] == 1


def test_a_leaving_date_corrected_to_a_later_day_reopens_the_account(client, world):
    person = world.supervisee
    with time_machine.travel(NEXT_MORNING, tick=False):
        # Entered wrongly as yesterday: the account closes at once.
        staff_mark_left(person=person, leaving_date=date(2026, 3, 5), by=world.admin)
        assert "Your account has closed" in sign_in(client, person.email).content.decode()
        staff_mark_left(person=person, leaving_date=date(2026, 3, 31), by=world.admin)
        assert sign_in(client, person.email)["Location"] == "/"
        assert client.get(f"/people/{person.pk}/").status_code == 200
    corrected = AuditEvent.objects.filter(
        action="write", object_type="staff_file", subject=person
    ).latest("pk")
    assert corrected.detail["account_reopened"] is True
