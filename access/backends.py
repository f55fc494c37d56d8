"""Signing in: a leaver's account is closed from the day after their leaving date.

`get_user` runs on every request of a signed-in session, so a session begun before the
leaving date ends with it, whether or not the job that closes accounts has run yet. It loads
the staff profile with the user, since every access check reads the leaving date. That query's
SQL is compiled once for each database (access.compiled): compiling the ORM's join cost every page
more CPU than the database spends answering it."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from access.compiled import Compiled
from access.people import has_left


class OrganisationBackend(ModelBackend):
    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not has_left(user)

    def get_user(self, user_id):
        user = user_with_profile(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def _with_profile(user_id):
    """What is read: the user with the primary key, their staff profile joined."""
    return get_user_model()._default_manager.select_related("profile").filter(pk=user_id)


_USER = Compiled(_with_profile)


def user_with_profile(user_id):
    """`_with_profile(user_id).first()`, its SQL compiled once (access.compiled)."""
    return _USER.first(user_id)
