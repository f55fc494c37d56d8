"""What a service account may reach through the API: which scopes it holds and which units'
data it sees. A unit covers everything below it, as a manager's unit does on the dashboards
(access.units), so an account given a service sees every team in it, and a team moved out
of the service leaves the account's reach with it.

An account that has been switched off reaches nothing, whatever its tokens say.
"""

from django.db.models import Q, QuerySet

from access.units import under
from api.models import ServiceAccount
from supervision.models import Unit


def may_use(account: ServiceAccount | None, *scopes: str) -> bool:
    """Whether the account holds any of `scopes` (each route names the ones that open it)."""
    return (
        account is not None
        and account.is_active
        and any(account.has_scope(scope) for scope in scopes)
    )


def unit_paths(account: ServiceAccount | None) -> list[str]:
    """The paths of the units the account was given; everything at or below them is in
    reach. Read afresh on every call, so a change by an administrator counts at once."""
    if account is None or not account.is_active:
        return []
    return sorted(account.units.values_list("path", flat=True))


def within(paths: list[str], field: str) -> Q:
    """Rows whose `field` (a unit's path) lies at or below one of `paths`; none when empty."""
    return under(paths, field)


def units_in_reach(paths: list[str]) -> QuerySet[Unit]:
    return Unit.objects.filter(within(paths, "path"))


def unit_in_reach(paths: list[str], unit: Unit | None) -> bool:
    return unit is not None and any(unit.path.startswith(path) for path in paths)


def top_units(paths: list[str]) -> list[Unit]:
    """The account's units without those inside another of them, highest first: each is
    one report, and together they cover the reach once."""
    tops: list[str] = []
    for path in sorted(paths, key=lambda p: (p.count("/"), p)):
        if not any(path.startswith(top) for top in tops):
            tops.append(path)
    by_path = {unit.path: unit for unit in Unit.objects.filter(path__in=tops)}
    return [by_path[path] for path in tops if path in by_path]


def flag_in_reach(paths: list[str], prefix: str = "") -> Q:
    """Flags counted in the reach: a member of staff's in the unit they are in, a child's (or
    a team's) in the unit the flag job wrote on it, as the dashboard counts them."""
    staff = Q(**{f"{prefix}person__isnull": False, f"{prefix}child__isnull": True})
    return (staff & within(paths, f"{prefix}person__profile__unit__path")) | (
        ~staff & within(paths, f"{prefix}unit__path")
    )
