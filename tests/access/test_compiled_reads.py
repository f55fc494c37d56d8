"""The user each request reads (access.backends.user_with_profile, its SQL compiled once) is the
user the ORM's `select_related("profile")...first()` gives: every field, the profile with it."""

from datetime import date

import pytest
from django.contrib.auth import get_user
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from access.backends import OrganisationBackend, user_with_profile
from supervision.models import User
from tests.factories import StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fields(obj: Model) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def _orm(pk):
    return User.objects.select_related("profile").filter(pk=pk).order_by("pk").first()


def test_a_user_with_a_profile_is_read_as_the_orm_reads_them(django_assert_num_queries):
    profile = StaffProfileFactory(leaving_date=date(2031, 5, 6))
    User.objects.filter(pk=profile.user_id).update(last_login="2026-03-05T09:10:11Z")
    expected = _orm(profile.user_id)
    with django_assert_num_queries(1):
        user = user_with_profile(profile.user_id)
        assert _fields(user.profile) == _fields(expected.profile)  # joined: no second query
        assert user.profile.user is user
    assert type(user) is User
    assert _fields(user) == _fields(expected)
    assert user.last_login == expected.last_login and user.last_login.tzinfo is not None
    assert not user._state.adding and user._state.db == expected._state.db


def test_a_user_without_a_profile_has_none(django_assert_num_queries):
    user = UserFactory()
    with django_assert_num_queries(1):
        read = user_with_profile(user.pk)
        with pytest.raises(ObjectDoesNotExist):
            read.profile  # noqa: B018 - known absent, asked of no database
    assert _fields(read) == _fields(_orm(user.pk))


def test_nobody_with_the_id_and_keys_that_are_not_numbers():
    user = UserFactory()
    assert user_with_profile(user.pk + 1000) is None
    assert user_with_profile(str(user.pk)) == user  # the ORM's way, for what is not an int
    assert OrganisationBackend().get_user(user.pk + 1000) is None


def test_a_leavers_session_ends_after_their_leaving_day(time_machine):
    profile = StaffProfileFactory(leaving_date=date(2026, 3, 5))
    request = RequestFactory().get("/")
    request.session = {
        "_auth_user_id": str(profile.user_id),
        "_auth_user_backend": "access.backends.OrganisationBackend",
        "_auth_user_hash": profile.user.get_session_auth_hash(),
    }
    time_machine.move_to("2026-03-05 12:00Z")
    assert get_user(request).pk == profile.user_id
    time_machine.move_to("2026-03-06 12:00Z")
    assert not get_user(request).is_authenticated


def test_the_statement_is_sent_as_other_statements_are():
    """Through Django's cursor: counted, and seen by execute wrappers (the bench's floor)."""
    from django.db import connection

    user = UserFactory()
    user_with_profile(user.pk)
    with CaptureQueriesContext(connection) as queries:
        user_with_profile(user.pk)
    assert len(queries) == 1 and "profile" in queries[0]["sql"]


def test_the_dashboards_reads_are_the_orms():
    """The units someone manages, a unit, and a person with their user, unit and job role."""
    from access.units import _MANAGED, _PERSON, _UNIT
    from supervision.models import StaffProfile, Unit
    from tests.factories import UnitFactory

    manager = UserFactory()
    top = UnitFactory(kind=Unit.Kind.DIRECTORATE, manager=manager, path="/1/")
    team = UnitFactory(parent=top, manager=manager, path="/1/2/")
    profile = StaffProfileFactory(unit=team)
    assert _MANAGED.list(manager.pk) == list(Unit.objects.filter(manager=manager))
    assert [_fields(u) for u in _MANAGED.list(manager.pk)] == [
        _fields(u) for u in Unit.objects.filter(manager=manager)
    ]
    assert _MANAGED.list(profile.user_id) == []
    assert _fields(_UNIT.first(team.pk)) == _fields(team)
    assert _UNIT.first(team.pk + 1000) is None
    expected = (
        StaffProfile.objects.select_related("user", "unit", "job_role")
        .filter(user_id=profile.user_id)
        .first()
    )
    read = _PERSON.first(profile.user_id)
    for name in ("user", "unit", "job_role"):
        assert _fields(getattr(read, name)) == _fields(getattr(expected, name))
    assert _fields(read) == _fields(expected)
    assert _UNIT.first(2**70) is None  # no column holds it: the ORM's answer
