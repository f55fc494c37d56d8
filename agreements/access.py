from django.core.exceptions import PermissionDenied
from django.http import Http404

from oversight import audit
from supervision.access import Action, restrict_files
from supervision.models import SupervisoryRelationship

from .models import SupervisionAgreement


def _refuse(request, object_type, object_id, answer, subject=None):
    audit.record(
        audit.AuditAction.DENIED,
        request=request,
        object_type=object_type,
        object_id=str(object_id)[:64],
        subject=subject,
        detail={"answer": answer},
    )
    raise (Http404 if answer == 404 else PermissionDenied)()


def get_relationship_for_user(request, relationship_id, *, party: bool = False):
    """A relationship whose supervisee's file the user may read; `party` also requires the
    user to be one of its two people (only they draw up and sign the agreement)."""
    relationship = None
    if str(relationship_id).isdigit():
        relationship = (
            SupervisoryRelationship.objects.select_related("supervisor", "supervisee")
            .filter(
                pk=relationship_id,
                supervisee__in=restrict_files(request.user, Action.VIEW).values("pk"),
            )
            .first()
        )
    if relationship is None:
        _refuse(request, "supervisory_relationship", relationship_id, 404)
    if party and request.user.pk not in (relationship.supervisor_id, relationship.supervisee_id):
        _refuse(request, "supervisory_relationship", relationship.pk, 403, relationship.supervisee)
    return relationship


def get_agreement_for_user(request, agreement_id, *, party: bool = False):
    agreement = None
    if str(agreement_id).isdigit():
        agreement = (
            SupervisionAgreement.objects.select_related(
                "relationship__supervisor", "relationship__supervisee", "previous"
            )
            .prefetch_related("signatures__signer")
            .filter(
                pk=agreement_id,
                relationship__supervisee__in=restrict_files(request.user, Action.VIEW).values("pk"),
            )
            .first()
        )
    if agreement is None:
        _refuse(request, "supervision_agreement", agreement_id, 404)
    relationship = agreement.relationship
    if party and request.user.pk not in (relationship.supervisor_id, relationship.supervisee_id):
        _refuse(request, "supervision_agreement", agreement.pk, 403, relationship.supervisee)
    return agreement
