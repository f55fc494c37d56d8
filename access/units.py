"""The organisation's units: which a person manages, and what lies below them.

A unit's manager reaches everything at or below their unit on the day, read-only for staff
files; a leaver manages nothing from the day after they leave, whether or not the job that
clears their name from the unit has run yet.
"""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from access.compiled import Compiled
from access.people import may_act, may_read_content, today
from access.refusals import refuse
from supervision.models import StaffProfile, SupervisoryRelationship, Unit
from supervision.organisation.roles import active_on


def managed_units(user) -> list[tuple[str, str]]:
    """(path, kind) of each unit `user` is recorded as managing, in tree order. Read once for
    the user object: a page asks several times (the files within reach, the personal sections,
    the roles), and the middleware reads the user afresh for each request."""
    found = getattr(user, "_managed_units_cache", None)
    if found is None:
        found = list(Unit.objects.filter(manager=user).order_by("path").values_list("path", "kind"))
        user._managed_units_cache = found
    return found


def managed_paths(user, day: date | None = None, *, exclude_teams: bool = False) -> list[str]:
    if not may_act(user, day):
        return []
    return [
        path for path, kind in managed_units(user) if not (exclude_teams and kind == Unit.Kind.TEAM)
    ]


def under(paths: list[str], field: str) -> Q:
    """Rows whose `field` (a unit path) lies at or below one of `paths`."""
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(**{f"{field}__startswith": path})
    return query


def managed_tops(user, day: date | None = None) -> list[Unit]:
    """The units a person manages, highest first, without those inside another of them."""
    if not may_read_content(user, day):
        return []
    units = sorted(_MANAGED.list(user.pk), key=lambda u: (u.path.count("/"), u.path))
    tops: list[Unit] = []
    for unit in units:
        if not any(unit.path.startswith(top.path) for top in tops):
            tops.append(unit)
    return tops


# The reads each dashboard page makes, compiled once (access.compiled).
_MANAGED = Compiled(lambda person: Unit.objects.filter(manager=person))
_UNIT = Compiled(lambda unit: Unit.objects.filter(pk=unit))
_PERSON = Compiled(
    lambda person: StaffProfile.objects.select_related("user", "unit", "job_role").filter(
        user_id=person
    )
)


def _number(text):
    """A URL's id ("12") as the number the ORM would make of it; anything else as it is."""
    text = str(text)
    return int(text) if text.isascii() and text.isdigit() else text


def dashboard_tops(request) -> list[Unit]:
    """The units whose figures the user may see, or 403 (audited): a unit's manager sees it
    and everything below; administrators run the system and see no figures about people."""
    tops = managed_tops(request.user)
    if not tops:
        refuse(request, "dashboard", "", answer=403)
    return tops


def tops_for(user) -> list[Unit]:
    """As dashboard_tops, for a download built outside a request."""
    tops = managed_tops(user)
    if not tops:
        raise PermissionDenied
    return tops


def in_tops(tops: list[Unit], path: str) -> bool:
    return any(path.startswith(top.path) for top in tops)


def get_unit_for_dashboard(request, tops, unit_id) -> Unit:
    unit = _UNIT.first(_number(unit_id)) if str(unit_id).isdigit() else None
    if unit is None or not in_tops(tops, unit.path):
        refuse(request, "dashboard_unit", unit_id)
    return unit


def get_person_for_dashboard(request, tops, person_id) -> StaffProfile:
    profile = None
    if str(person_id).isdigit():
        profile = _PERSON.first(_number(person_id))
    if profile is None or not in_tops(tops, profile.unit.path):
        refuse(request, "dashboard_person", person_id, subject=profile.user if profile else None)
    return profile


def unit_for_download(user, unit_id) -> Unit | None:
    tops = tops_for(user)
    unit = Unit.objects.filter(pk=unit_id).first() if unit_id is not None else None
    return unit if unit is not None and in_tops(tops, unit.path) else None


def person_for_download(user, person_id) -> StaffProfile | None:
    tops = tops_for(user)
    profile = StaffProfile.objects.select_related("user", "unit").filter(user_id=person_id).first()
    return profile if profile is not None and in_tops(tops, profile.unit.path) else None


# --- A team's own plans (team wellbeing plan, rule Q5) ---------------------------------------


def team_reach(user, unit: Unit, day: date | None = None) -> tuple[bool, bool]:
    """(may read, may edit) the team's wellbeing plan.

    Edit: the unit's manager, or a member of the team who supervises someone in it today (a
    practice manager, a senior practitioner). A manager above who supervises the team's manager
    is not thereby in the team: they read, as the line above does. Read: also the members of
    the team and the managers of the units above it. System administrators read nothing, as
    with files.
    """

    day = day or today()
    if not may_read_content(user, day):
        return False, False
    may_edit = (
        unit.manager_id == user.pk
        or SupervisoryRelationship.objects.filter(
            active_on(day),
            supervisor=user,
            supervisor__profile__unit=unit,
            supervisee__profile__unit=unit,
        ).exists()
    )
    if may_edit:
        return True, True
    above = [int(part) for part in unit.path.strip("/").split("/") if part]
    may_read = Unit.objects.filter(
        Q(pk__in=above, manager=user) | Q(pk=unit.pk, staff__user=user, staff__is_active=True)
    ).exists()
    return may_read, False


def get_team_for_plan(request, unit_id, *, edit: bool = False) -> Unit:
    """A team whose wellbeing plan the user may read (404 otherwise), or edit (403)."""
    unit = (
        Unit.objects.filter(pk=unit_id, kind=Unit.Kind.TEAM).first()
        if str(unit_id).isdigit()
        else None
    )
    may_read, may_edit = team_reach(request.user, unit) if unit else (False, False)
    if not may_read:
        refuse(request, "team_wellbeing_plan", unit_id)
    if edit and not may_edit:
        refuse(
            request,
            "team_wellbeing_plan",
            unit.pk,
            answer=403,
            wanted="edit",
            message="You may read this team's plan but not change it.",
        )
    unit.may_edit = may_edit
    return unit


def units_overseen_by(user, day: date | None = None):
    """Every unit at or below the units this person manages above team level, in tree order."""
    paths = managed_paths(user, day, exclude_teams=True) if may_read_content(user, day) else []
    if not paths:
        return Unit.objects.none()
    return Unit.objects.filter(under(paths, "path")).select_related("manager").order_by("path")
