"""What a person is in the organisation on a day, and the pages that need a role.

Roles are not stored: they follow from the organisation tree and the supervisory
relationships, so moving someone in the tree changes what they may do at once. A leaver has
no role from the day after their leaving date.
"""

from dataclasses import dataclass
from datetime import date
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.db import connection

from access.people import may_act, today
from access.refusals import refuse, subject_of_arguments
from supervision.models import JobRole, StaffProfile, SupervisoryRelationship, Unit, User
from supervision.organisation.roles import AUDITOR_GROUP, INFORMATION_GOVERNANCE_GROUP


@dataclass(frozen=True)
class Roles:
    supervisee: bool = False
    supervisor: bool = False
    supervised: bool = False  # somebody supervises them on the day (not a role shown)
    holds_cases: bool = False  # their job role holds a caseload (not a role shown)
    senior_manager: bool = False
    auditor: bool = False
    information_governance: bool = False
    system_admin: bool = False

    @property
    def labels(self) -> list[str]:
        names = {
            "supervisee": "Supervisee",
            "supervisor": "Supervisor",
            "senior_manager": "Senior manager",
            "auditor": "Quality assurance auditor",
            "information_governance": "Information governance officer",
            "system_admin": "System administrator",
        }
        return [label for field, label in names.items() if getattr(self, field)]


def roles_for(user, day: date | None = None) -> Roles:
    if user is None or not user.is_authenticated:
        return Roles()
    cached = getattr(user, "_roles_cache", None)
    if cached is not None and day is None:
        return cached
    day = day or today()
    if not may_act(user, day):
        roles = Roles()
    else:
        supervising, supervised, holds_cases, manages, auditor, governance = _facts(user, day)
        roles = Roles(
            supervisee=holds_cases is not None,
            holds_cases=bool(holds_cases),
            supervisor=supervising,
            supervised=supervised,
            senior_manager=manages,
            auditor=auditor,
            information_governance=governance,
            system_admin=user.is_staff,
        )
    if day == today():
        user._roles_cache = roles
    return roles


def _facts_sql() -> str:
    """One statement for what the roles follow from. Written out rather than built by the ORM:
    every page asks it (the navigation), and compiling its nested EXISTS cost more CPU than
    the query (about 3 ms a request). It must say what the ORM's `active_on` says (the
    relationships in force on the day, neither party gone), which
    tests/access/test_roles_statement.py checks for everyone on days either side of changes."""
    relationship = SupervisoryRelationship._meta.db_table
    profile = StaffProfile._meta.db_table
    in_force = f"""
        SELECT 1 FROM {relationship} r
        LEFT JOIN {profile} ep ON ep.user_id = r.supervisee_id
        LEFT JOIN {profile} rp ON rp.user_id = r.supervisor_id
        WHERE r.starts_on <= %(day)s AND (r.ends_on IS NULL OR r.ends_on >= %(day)s)
          AND (ep.leaving_date IS NULL OR ep.leaving_date >= %(day)s)
          AND (rp.leaving_date IS NULL OR rp.leaving_date >= %(day)s)"""  # noqa: S608 - names from the models
    memberships = User.groups.through._meta.db_table
    group = Group._meta.db_table
    in_group = f"""EXISTS (
        SELECT 1 FROM {memberships} m JOIN {group} g ON g.id = m.group_id
        WHERE m.user_id = %(person)s AND g.name = %({{}})s)"""  # noqa: S608
    return f"""
    SELECT
        EXISTS ({in_force} AND r.supervisor_id = %(person)s),
        EXISTS ({in_force} AND r.supervisee_id = %(person)s),
        (SELECT j.holds_cases FROM {profile} p
           JOIN {JobRole._meta.db_table} j ON j.id = p.job_role_id
          WHERE p.user_id = %(person)s AND (p.is_active OR p.leaving_date IS NOT NULL)),
        EXISTS (SELECT 1 FROM {Unit._meta.db_table} u
                 WHERE u.manager_id = %(person)s AND u.kind <> %(team)s),
        {in_group.format("auditor")},
        {in_group.format("governance")}
    """  # noqa: S608


_FACTS_SQL = None


def _facts(user, day: date) -> tuple:
    """(supervising, supervised, holds_cases or None when not on the books, manages above a
    team, auditor, information governance) on `day`."""
    global _FACTS_SQL
    if _FACTS_SQL is None:
        _FACTS_SQL = _facts_sql()
    parameters = {
        "person": user.pk,
        "day": connection.ops.adapt_datefield_value(day),
        "team": Unit.Kind.TEAM.value,
        "auditor": AUDITOR_GROUP,
        "governance": INFORMATION_GOVERNANCE_GROUP,
    }
    with connection.cursor() as cursor:
        cursor.execute(_FACTS_SQL, parameters)
        supervising, supervised, holds_cases, manages, auditor, governance = cursor.fetchone()
    return (
        bool(supervising),
        bool(supervised),
        None if holds_cases is None else bool(holds_cases),
        bool(manages),
        bool(auditor),
        bool(governance),
    )


def role_required(*role_names: str):
    """Pages for a role (My team, Organisation, Access log): others get 403, audited."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            roles = roles_for(request.user)
            if not any(getattr(roles, name) for name in role_names):
                refuse(
                    request,
                    "page",
                    request.resolver_match.url_name or "",
                    answer=403,
                    subject=subject_of_arguments(kwargs),
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def may_give_feedback(user, day: date | None = None) -> bool:
    """Feedback on one's supervision (rule Q4) is for staff whom somebody supervises now."""
    roles = roles_for(user, day)
    return roles.supervisee and roles.supervised
