"""A member of staff leaving (DOMAIN S2): their file is archived, read-only, and its retention
period starts from the leaving date."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from oversight import audit

from .models import StaffProfile, SupervisoryRelationship, User


def staff_mark_left(*, person: User, leaving_date: date, by: User, request=None) -> StaffProfile:
    """Record that `person` leaves on `leaving_date` (their last day).

    Every supervisory relationship still open on that day, as supervisee or as supervisor,
    ends on it, and its agreement stops being in force: nobody supervises, or is supervised
    by, someone who has gone. Calling it again corrects the leaving date.
    """
    from agreements.services import agreements_supersede_for_relationship

    with transaction.atomic():
        profile = StaffProfile.objects.select_for_update().get(user=person)
        if leaving_date < profile.start_date:
            raise ValidationError(
                {"leaving_date": "Enter a leaving date on or after the start date."}
            )
        involving = Q(supervisee=person) | Q(supervisor=person)
        later = SupervisoryRelationship.objects.filter(involving, starts_on__gt=leaving_date)
        if later.exists():
            # Ending one of these before it starts would break its dates; someone must decide
            # whether it should exist at all.
            raise ValidationError(
                {
                    "leaving_date": "A supervision arrangement with this person starts after "
                    "the leaving date: remove or change it first."
                }
            )
        before = {
            "leaving_date": profile.leaving_date.isoformat() if profile.leaving_date else None,
            "is_active": profile.is_active,
        }
        profile.leaving_date = leaving_date
        profile.is_active = False
        profile.save(update_fields=["leaving_date", "is_active"])

        ended = []
        for relationship in SupervisoryRelationship.objects.select_for_update().filter(
            involving, Q(ends_on__isnull=True) | Q(ends_on__gt=leaving_date)
        ):
            relationship.ends_on = leaving_date
            relationship.save(update_fields=["ends_on"])
            agreements_supersede_for_relationship(
                relationship=relationship, reason="a member of staff left", by=by, request=request
            )
            ended.append(relationship.pk)

        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="staff_file",
            object_id=person.pk,
            subject=person,
            detail={
                "event": "marked as left",
                "before": before,
                "leaving_date": leaving_date.isoformat(),
                "relationships_ended": ended,
            },
        )
    return profile
