"""Whether a user has any reach at all on a day: the first question every answer asks.

A person marked as left keeps their reach to the end of their leaving day and has none from
the next day on, whatever they are still recorded as (a unit's manager, a grant holder, a
supervisor whose relationships someone forgot to end). The scheduled job in
`supervision.people.leaving` also closes the account and ends its sessions, but a missed run of that
job must not leave a door open, so the check is here too.
"""

from datetime import date

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone


def today() -> date:
    return timezone.localdate()


def leaving_date(user):
    """The person's last day, or None. Cached on the user for the request."""
    try:
        profile = user.profile
    except (ObjectDoesNotExist, AttributeError):
        return None
    return profile.leaving_date


def has_left(user, day: date | None = None) -> bool:
    """True from the day after the leaving date."""
    last_day = leaving_date(user)
    return last_day is not None and last_day < (day or today())


def may_act(user, day: date | None = None) -> bool:
    """Whether `user` may have any reach on `day`: signed in, account open, not a leaver."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return not has_left(user, day)


def may_read_content(user, day: date | None = None) -> bool:
    """May act, and is not a system administrator: administrators run the system and never
    read what is in it (separation of duties), whatever else they are."""
    return may_act(user, day) and not user.is_staff


def is_self(user, person) -> bool:
    """The page is about the person looking at it (for wording: "your caseload")."""
    return person is not None and user.pk == person.pk
