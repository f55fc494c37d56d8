"""What a person is in the organisation on a day, and the pages that need a role.

Roles are not stored: they follow from the organisation tree and the supervisory
relationships, so moving someone in the tree changes what they may do at once. A leaver has
no role from the day after their leaving date.
"""

from dataclasses import dataclass
from datetime import date
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q

from access.people import may_act, today
from access.refusals import refuse, subject_of_arguments
from access.units import managed_units
from supervision.models import StaffProfile, SupervisoryRelationship, Unit
from supervision.organisation.roles import AUDITOR_GROUP, INFORMATION_GOVERNANCE_GROUP, active_on


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
        groups = set(user.groups.values_list("name", flat=True))
        # One query for both sides of the person's relationships on the day.
        sides = SupervisoryRelationship.objects.filter(
            active_on(day), Q(supervisor=user) | Q(supervisee=user)
        ).aggregate(
            supervising=Count("pk", filter=Q(supervisor=user)),
            supervised=Count("pk", filter=Q(supervisee=user)),
        )
        # On the books: a leaving date still to come keeps them staff to the end of it.
        profile = (
            StaffProfile.objects.filter(user=user)
            .filter(Q(is_active=True) | Q(leaving_date__isnull=False))
            .values_list("job_role__holds_cases", flat=True)
            .first()
        )
        roles = Roles(
            supervisee=profile is not None,
            holds_cases=bool(profile),
            supervisor=bool(sides["supervising"]),
            supervised=bool(sides["supervised"]),
            senior_manager=any(kind != Unit.Kind.TEAM for _, kind in managed_units(user)),
            auditor=AUDITOR_GROUP in groups,
            information_governance=INFORMATION_GOVERNANCE_GROUP in groups,
            system_admin=user.is_staff,
        )
    if day == today():
        user._roles_cache = roles
    return roles


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
