"""Supervisory relationships and their supervision agreements: reach follows the supervisee's
file; drawing up and signing an agreement is for its two people only."""

from access.files import Action, restrict_files
from access.refusals import refuse
from agreements.models import SupervisionAgreement
from supervision.models import SupervisoryRelationship


def party_role(user, relationship) -> str | None:
    """ "supervisee" or "supervisor" when `user` is one of the relationship's two people (only
    they draw up and sign its agreement), else None."""
    if user.pk == relationship.supervisee_id:
        return "supervisee"
    if user.pk == relationship.supervisor_id:
        return "supervisor"
    return None


def _party(user, relationship) -> bool:
    return party_role(user, relationship) is not None


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
        other = (
            SupervisoryRelationship.objects.select_related("supervisee")
            .filter(pk=relationship_id)
            .first()
            if str(relationship_id).isdigit()
            else None
        )
        refuse(
            request,
            "supervisory_relationship",
            relationship_id,
            subject=other.supervisee if other else None,
        )
    if party and not _party(request.user, relationship):
        refuse(
            request,
            "supervisory_relationship",
            relationship.pk,
            answer=403,
            subject=relationship.supervisee,
            wanted="party",
        )
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
        other = (
            SupervisionAgreement.objects.select_related("relationship__supervisee")
            .filter(pk=agreement_id)
            .first()
            if str(agreement_id).isdigit()
            else None
        )
        refuse(
            request,
            "supervision_agreement",
            agreement_id,
            subject=other.relationship.supervisee if other else None,
        )
    relationship = agreement.relationship
    if party and not _party(request.user, relationship):
        refuse(
            request,
            "supervision_agreement",
            agreement.pk,
            answer=403,
            subject=relationship.supervisee,
            wanted="party",
        )
    return agreement
