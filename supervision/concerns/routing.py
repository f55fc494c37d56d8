"""Whom a concern or an escalated disagreement goes to: the supervisor's line manager (001 §3),
read from the organisation at the moment it is raised, and the next manager up whenever that
person cannot take it.

A person's manager is their own line supervisor (for someone who has left, the one they had
on their last day); with none, the manager of their unit, or of the nearest unit above with
a manager. A manager who has left, whose account is closed or who is away that day (an
absence recorded under rule S5) is passed over for the one above them, and so is anyone who
is a party to it: a concern never goes back to the supervisor it is about, nor to the
supervisee who raised it.
"""

from datetime import date

from django.db.models import Q

from access.people import leaving_date, may_act
from supervision.models import StaffProfile, SupervisoryRelationship, Unit, User
from supervision.models.organisation import SupervisorAbsence

# Deeper than any organisation's tree; a loop in bad data (A manages B manages A) stops here.
MOST_STEPS = 12


def _line_manager(person: User, day: date) -> User | None:
    last_day = leaving_date(person)
    on = min(day, last_day) if last_day is not None else day
    relationship = (
        SupervisoryRelationship.objects.filter(
            supervisee=person, kind=SupervisoryRelationship.Kind.LINE, starts_on__lte=on
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("supervisor__profile")
        .order_by("-starts_on", "-pk")
        .first()
    )
    return relationship.supervisor if relationship is not None else None


def _unit_manager(person: User) -> User | None:
    """The manager of the person's unit, else of the nearest unit above with one, that is not
    the person themself."""
    profile = StaffProfile.objects.filter(user=person).select_related("unit").first()
    if profile is None:
        return None
    ids = [int(part) for part in profile.unit.path.strip("/").split("/") if part]
    managers = {
        unit.pk: unit.manager
        for unit in Unit.objects.filter(pk__in=ids, manager__isnull=False).select_related(
            "manager__profile"
        )
    }
    for pk in reversed(ids):
        manager = managers.get(pk)
        if manager is not None and manager.pk != person.pk:
            return manager
    return None


def manager_of(person: User, day: date) -> User | None:
    """The person's manager: their line supervisor, else their unit's manager."""
    return _line_manager(person, day) or _unit_manager(person)


def is_away(person: User, day: date) -> bool:
    return (
        SupervisorAbsence.objects.filter(supervisor=person, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .exists()
    )


def can_take_it(person: User, day: date, parties: set[int]) -> bool:
    return person.pk not in parties and may_act(person, day) and not is_away(person, day)


def manager_above(person: User, day: date, *, parties: set[int]) -> User | None:
    """The first manager above `person` who can take it on `day`, or None."""
    seen = {person.pk}
    current = person
    for _ in range(MOST_STEPS):
        manager = manager_of(current, day)
        if manager is None or manager.pk in seen:
            return None
        if can_take_it(manager, day, parties):
            return manager
        seen.add(manager.pk)
        current = manager
    return None
