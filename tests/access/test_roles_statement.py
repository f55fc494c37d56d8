"""The roles are read by one written-out statement (access.roles, for the navigation of every
page): it must give what the ORM's rules give (`active_on`, the profile on the books, the
units managed, the groups) for everyone, on days before and after people leave and a
relationship ends; and a change shows on the person's next request."""

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db.models import Q

from access.people import may_act
from access.roles import Roles, roles_for
from supervision.models import StaffProfile, SupervisoryRelationship, Unit, User
from supervision.organisation.roles import (
    AUDITOR_GROUP,
    INFORMATION_GOVERNANCE_GROUP,
    active_on,
)
from tests.world import TODAY, build_world

pytestmark = pytest.mark.django_db


def by_the_orm(user, day) -> Roles:
    """The roles as the ORM's own rules say them: the statement's oracle."""
    groups = set(user.groups.values_list("name", flat=True))
    relationships = SupervisoryRelationship.objects.filter(active_on(day))
    profile = (
        StaffProfile.objects.filter(user=user)
        .filter(Q(is_active=True) | Q(leaving_date__isnull=False))
        .values_list("job_role__holds_cases", flat=True)
        .first()
    )
    return Roles(
        supervisee=profile is not None,
        holds_cases=bool(profile),
        supervisor=relationships.filter(supervisor=user).exists(),
        supervised=relationships.filter(supervisee=user).exists(),
        senior_manager=Unit.objects.filter(manager=user).exclude(kind=Unit.Kind.TEAM).exists(),
        auditor=AUDITOR_GROUP in groups,
        information_governance=INFORMATION_GOVERNANCE_GROUP in groups,
        system_admin=user.is_staff,
    )


def everyone_agrees(days):
    checked = 0
    for user in User.objects.all():
        for day in days:
            fresh = User.objects.get(pk=user.pk)
            if not may_act(fresh, day):
                # A leaver, or a closed account, has no roles at all, asked of nothing.
                assert roles_for(fresh, day) == Roles()
                continue
            assert roles_for(fresh, day) == by_the_orm(fresh, day), (fresh, day)
            checked += 1
    return checked


def test_the_statement_says_what_the_orm_says_for_everyone():
    with time_machine.travel(TODAY, tick=False):
        world = build_world()
        today = TODAY
        # A relationship that has ended, a leaver still on the books to the end of the month,
        # an information governance officer, a supervisor moved to someone else.
        relationship = SupervisoryRelationship.objects.get(supervisee=world.other_supervisee)
        relationship.ends_on = today - timedelta(days=1)
        relationship.save()
        StaffProfile.objects.filter(user=world.supervisor).update(
            leaving_date=today + timedelta(days=10)
        )
        Group.objects.get_or_create(name=INFORMATION_GOVERNANCE_GROUP)[0].user_set.add(
            world.senior_manager
        )
        days = [today - timedelta(days=30), today, today + timedelta(days=11), date(2030, 1, 1)]
        assert everyone_agrees(days) > 10


def test_a_leaver_and_a_moved_supervisee_lose_their_links_on_the_next_request(client):
    with time_machine.travel(TODAY, tick=False):
        world = build_world()
        client.force_login(world.supervisor)
        assert "My team" in client.get("/").content.decode()
        # The supervisee now has another supervisor: the first one supervises nobody.
        SupervisoryRelationship.objects.filter(supervisor=world.supervisor).update(
            supervisor=world.other_team_supervisor
        )
        assert "My team" not in client.get("/").content.decode()

        client.force_login(world.senior_manager)
        assert "Dashboard" in client.get("/").content.decode()
        StaffProfile.objects.filter(user=world.senior_manager).update(
            leaving_date=TODAY - timedelta(days=1), is_active=False
        )
        response = client.get("/")
        assert "Dashboard" not in response.content.decode()
