"""What an administrator may do to someone's sign-in: never see or set their password or
second factor, but clear a lost second factor so they set up a new one at their next sign-in."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.db import transaction

from supervision.organisation import audit


@transaction.atomic
def two_factor_reset(*, person, by, request=None) -> list[str]:
    """For a lost phone or key: every second factor and recovery code of `person` removed,
    and every session of theirs ended, since whoever holds the phone may be signed in. At
    their next sign-in they set up a new one if their role asks for it."""

    removed = sorted(set(Authenticator.objects.filter(user=person).values_list("type", flat=True)))
    Authenticator.objects.filter(user=person).delete()
    for session in UserSession.objects.filter(user=person):
        session.end()
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="second_factor",
        object_id=person.pk,
        subject=person,
        detail={"event": "reset by an administrator", "removed": removed},
    )
    return removed
