"""The one way to refuse and the one way to record a read.

A refusal is audited with the person it was about when that is known (even when the answer
is a 404, so that person's access log shows who tried to open their file), then raised as a
404 (outside reach: nothing is revealed) or a 403 (inside reach, not this action).
"""

from typing import NoReturn

from django.core.exceptions import PermissionDenied
from django.http import Http404

from agreements.models import SupervisionAgreement
from supervision.models import SupervisionSession, SupervisoryRelationship, User
from supervision.organisation import audit


def refuse(
    request,
    object_type: str,
    object_id,
    *,
    answer: int = 404,
    subject=None,
    wanted: str = "",
    detail: dict | None = None,
    message: str = "",
) -> NoReturn:
    extra = {"answer": answer, **({"wanted": str(wanted)} if wanted else {}), **(detail or {})}
    audit.record(
        audit.AuditAction.DENIED,
        request=request,
        object_type=object_type,
        object_id=str(object_id)[:64],
        subject=subject,
        detail=extra,
    )
    if answer == 404:
        raise Http404(message or "Not found.")
    raise PermissionDenied(message or "You may not do this.")


def audited_read(request, object_type: str, object_id, *, subject=None, detail=None) -> None:
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type=object_type,
        object_id=object_id,
        subject=subject,
        detail=detail,
    )


def audited_list(request, name: str, *, count: int | None = None, detail=None) -> None:
    """One entry per list page shown (home, My team, Organisation …), naming the list; the
    people in it are not each written down, the list's name and size are."""
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type="list",
        object_id=name,
        detail={**({"count": count} if count is not None else {}), **(detail or {})},
    )


def _id(value):
    return int(value) if str(value).isdigit() else None


def subject_of_arguments(kwargs: dict):
    """The member of staff a URL's arguments point at, for a refusal that a view raised without
    saying (a page refused by role, say): the person, or the supervisee of a session, record
    relationship or agreement. None when the arguments name nobody, or nobody real."""

    lookups = (
        ("person_id", lambda pk: User.objects.filter(pk=pk).first()),
        ("user_id", lambda pk: User.objects.filter(pk=pk).first()),
        (
            "session_id",
            lambda pk: User.objects.filter(
                pk__in=SupervisionSession.objects.filter(pk=pk).values("supervisee")
            ).first(),
        ),
        (
            "relationship_id",
            lambda pk: User.objects.filter(
                pk__in=SupervisoryRelationship.objects.filter(pk=pk).values("supervisee")
            ).first(),
        ),
        (
            "agreement_id",
            lambda pk: User.objects.filter(
                pk__in=SupervisionAgreement.objects.filter(pk=pk).values("relationship__supervisee")
            ).first(),
        ),
    )
    for name, lookup in lookups:
        pk = _id(kwargs.get(name))
        if pk is not None:
            found = lookup(pk)
            if found is not None:
                return found
    return None
