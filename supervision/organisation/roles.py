"""Names and query pieces the organisation's roles are built from. What a person *is* on a day
(their roles) is decided by the access package: `access.roles.roles_for`."""

from datetime import date

from django.db.models import Q

AUDITOR_GROUP = "Quality assurance auditors"
# Information governance officers answer subject access requests: they may download a person's
# whole file as a zip, giving a reason that the person sees on their access log.
INFORMATION_GOVERNANCE_GROUP = "Information governance"


def active_on(day: date) -> Q:
    """Supervisory relationships in force on `day`: inside their dates, with neither party
    gone. Marking someone as left ends their relationships on the leaving date, but a leaving
    date set another way (an import, a correction) must not leave a supervisor reading the
    file of someone who has gone, nor a leaver counted as anyone's supervisor, on any page."""
    return (
        Q(starts_on__lte=day)
        & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        & ~Q(supervisee__profile__leaving_date__lt=day)
        & ~Q(supervisor__profile__leaving_date__lt=day)
    )
