"""Reads that cross relations, for pages. Each returns plain data with a bounded number of
queries, whatever the size of the organisation."""

from django.utils import timezone

from .models import StaffProfile, SupervisoryRelationship, Unit
from .roles import Roles, active_on


def current_supervisors_of(user, day=None):
    day = day or timezone.localdate()
    return (
        SupervisoryRelationship.objects.filter(active_on(day), supervisee=user)
        .select_related("supervisor")
        .order_by("kind", "starts_on")
    )


def current_supervisees_of(user, day=None):
    day = day or timezone.localdate()
    return (
        SupervisoryRelationship.objects.filter(active_on(day), supervisor=user)
        .select_related("supervisee__profile__job_role", "supervisee__profile__unit")
        .order_by("supervisee__full_name")
    )


def units_overseen_by(user):
    """Every unit at or below the units this person manages, in tree order."""
    managed = list(Unit.objects.filter(manager=user).exclude(kind=Unit.Kind.TEAM))
    if not managed:
        return Unit.objects.none()
    from django.db.models import Q

    query = Q()
    for unit in managed:
        query |= Q(path__startswith=unit.path)
    return Unit.objects.filter(query).select_related("manager").order_by("path")


def home_page_for(user, roles: Roles) -> dict:
    context = {}
    if roles.supervisee:
        context["profile"] = (
            StaffProfile.objects.select_related("job_role", "unit").filter(user=user).first()
        )
        context["my_supervisors"] = list(current_supervisors_of(user))
    if roles.supervisor:
        context["my_supervisees"] = list(current_supervisees_of(user))
    if roles.senior_manager:
        context["overseen_units"] = list(units_overseen_by(user))
    return context
