"""What a person is in the organisation on a day, and the pages that need a role.

Roles are not stored: they follow from the organisation tree and the supervisory
relationships, so moving someone in the tree changes what they may do at once. A leaver has
no role from the day after their leaving date.
"""

from dataclasses import dataclass
from datetime import date
from functools import wraps

from django.contrib.auth.decorators import login_required

from supervision.roles import AUDITOR_GROUP, INFORMATION_GOVERNANCE_GROUP

from .people import live_on, may_act, today
from .refusals import refuse, subject_of_arguments


@dataclass(frozen=True)
class Roles:
    supervisee: bool = False
    supervisor: bool = False
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
        from supervision.models import StaffProfile, SupervisoryRelationship, Unit

        groups = set(user.groups.values_list("name", flat=True))
        roles = Roles(
            supervisee=StaffProfile.objects.filter(user=user, is_active=True).exists(),
            supervisor=SupervisoryRelationship.objects.filter(
                live_on(day), supervisor=user
            ).exists(),
            senior_manager=Unit.objects.filter(manager=user).exclude(kind=Unit.Kind.TEAM).exists(),
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
    """Feedback on one's supervision (DOMAIN Q4) is for staff whom somebody supervises now."""
    from supervision.models import SupervisoryRelationship

    day = day or today()
    return (
        roles_for(user, day).supervisee
        and SupervisoryRelationship.objects.filter(live_on(day), supervisee=user).exists()
    )
