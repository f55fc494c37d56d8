"""What a person is in the organisation today, worked out once per request.

Roles are not stored: they follow from the organisation tree and the supervisory
relationships, so moving someone in the tree changes what they may do at once.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils import timezone

AUDITOR_GROUP = "Quality assurance auditors"


@dataclass(frozen=True)
class Roles:
    supervisee: bool = False
    supervisor: bool = False
    senior_manager: bool = False
    auditor: bool = False
    system_admin: bool = False

    @property
    def labels(self) -> list[str]:
        names = {
            "supervisee": "Supervisee",
            "supervisor": "Supervisor",
            "senior_manager": "Senior manager",
            "auditor": "Quality assurance auditor",
            "system_admin": "System administrator",
        }
        return [label for field, label in names.items() if getattr(self, field)]


def active_on(day: date) -> Q:
    return Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))


def roles_for(user, day: date | None = None) -> Roles:
    if not user.is_authenticated:
        return Roles()
    cached = getattr(user, "_roles_cache", None)
    if cached is not None:
        return cached
    from .models import StaffProfile, SupervisoryRelationship, Unit

    day = day or timezone.localdate()
    roles = Roles(
        supervisee=StaffProfile.objects.filter(user=user, is_active=True).exists(),
        supervisor=SupervisoryRelationship.objects.filter(active_on(day), supervisor=user).exists(),
        senior_manager=Unit.objects.filter(manager=user).exclude(kind=Unit.Kind.TEAM).exists(),
        auditor=user.groups.filter(name=AUDITOR_GROUP).exists(),
        system_admin=user.is_staff,
    )
    user._roles_cache = roles
    return roles
