"""Reads that cross relations, for pages. Each returns plain data with a bounded number of
queries, whatever the size of the organisation."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from access.people import has_left
from agreements.models import SupervisionAgreement
from supervision.models import (
    StaffProfile,
    SupervisoryRelationship,
    Unit,
)
from supervision.organisation.roles import active_on


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


def my_team(user, day=None) -> list[dict]:
    """Current supervisees, each with every current supervisor (line, educator, cover)."""
    day = day or timezone.localdate()
    mine = list(current_supervisees_of(user, day))
    others = SupervisoryRelationship.objects.filter(
        active_on(day), supervisee__in=[rel.supervisee_id for rel in mine]
    ).select_related("supervisor")
    by_supervisee: dict[int, list] = {}
    for rel in others:
        by_supervisee.setdefault(rel.supervisee_id, []).append(rel)

    in_force = {
        agreement.relationship_id: agreement
        for agreement in SupervisionAgreement.objects.filter(
            relationship__in=[rel.pk for rel in mine], status=SupervisionAgreement.Status.ACTIVE
        )
    }
    return [
        {
            "relationship": rel,
            "person": rel.supervisee,
            "supervisors": by_supervisee[rel.supervisee_id],
            "agreement": in_force.get(rel.pk),
        }
        for rel in mine
    ]


def file_history(person):
    """Every supervisory relationship the person has had, newest first: the file keeps its
    history whoever supervises now."""
    return (
        SupervisoryRelationship.objects.filter(supervisee=person)
        .select_related("supervisor")
        .order_by("-starts_on", "kind")
    )


def organisation_people(day=None):
    day = day or timezone.localdate()

    line_now = SupervisoryRelationship.objects.filter(
        active_on(day), kind=SupervisoryRelationship.Kind.LINE
    ).select_related("supervisor")
    return (
        StaffProfile.objects.select_related("user", "job_role", "unit")
        .prefetch_related(Prefetch("user__supervised_by", queryset=line_now, to_attr="line_now"))
        .order_by("unit__path", "user__full_name")
    )


def organisation_units():
    """Every unit in tree order, each with `manager_now`: its manager, or None when it has none
    or they have left (from the day after their leaving date, before the nightly job has
    cleared their name)."""

    units = list(
        Unit.objects.select_related("manager__profile")
        .annotate(staff_count=Count("staff"))
        .order_by("path")
    )
    for unit in units:
        manager = unit.manager
        gone = manager is not None and (not manager.is_active or has_left(manager))
        unit.manager_now = None if gone else manager
        unit.manager_left_on = manager.profile.leaving_date if gone and has_left(manager) else None
    return units


def line_supervisees_with_cover(person, day):
    """The people `person` line supervises on `day`, each marked `covered` when a temporary
    cover relationship is in place for them (rule S5)."""

    return list(
        SupervisoryRelationship.objects.filter(
            supervisor=person, kind=SupervisoryRelationship.Kind.LINE, starts_on__lte=day
        )
        .exclude(ends_on__lt=day)
        .select_related("supervisee")
        .annotate(
            covered=Exists(
                SupervisoryRelationship.objects.filter(
                    supervisee=OuterRef("supervisee"),
                    kind=SupervisoryRelationship.Kind.TEMPORARY_COVER,
                    starts_on__lte=day,
                ).exclude(ends_on__lt=day)
            )
        )
        .order_by("supervisee__full_name")
    )


def line_supervisor(user_id, on):
    """The person's line supervisor on a day, or None."""
    relationship = (
        SupervisoryRelationship.objects.filter(
            supervisee_id=user_id,
            kind=SupervisoryRelationship.Kind.LINE,
            starts_on__lte=on,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("supervisor")
        .first()
    )
    return relationship.supervisor if relationship else None
