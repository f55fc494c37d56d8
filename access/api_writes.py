"""What a service account with write_imports may change: only what lies within its units (and
the units below them), as `access.api` reaches them for reads.

An import row touching a unit, a member of staff or a child outside them is refused on that
row (oversight.records_management.importing.checks_reach finds what each row touches; this
module says whether a unit is within). A new unit lies where its parent does, so an account
can add a team under a unit it has, never a unit at the top of the tree. A leaver or a change
of supervisor needs the person, and the new supervisor, within the units.
"""

from collections.abc import Callable

from access.api import unit_paths, within
from api.models import ServiceAccount
from supervision.models import User


def import_reach(account: ServiceAccount | None) -> Callable[[str], bool]:
    """A test of a unit's path: whether an import through this account may touch it. Read
    once per call, so a change of the account's units counts from the next call."""
    paths = unit_paths(account)
    return lambda path: any(path.startswith(top) for top in paths)


def staff_in_reach(paths: list[str]):
    """Members of staff whose unit lies within `paths`: the people a write may change."""
    return User.objects.filter(profile__isnull=False).filter(within(paths, "profile__unit__path"))
