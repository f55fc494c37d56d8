"""Every write to a fact the due rules read marks its person or child for a fresh look at the
next tick (their next_check_at goes to NULL, "now"). This is the one place that knows which
facts those are; it decides nothing, so the rules stay in oversight.policy.due.

Some services change facts with `.update()`, which sends no signal (closing a case ends its
allocation and sets `closed_on` that way; reviewing an action sets its status that way). Every
write is audited in the same transaction, so the audit entry is the catch-all: a write about a
child marks the child, a write about a person's file marks the person. A mark too many costs
one evaluation; a mark missed would leave a flag stale until the daily recheck.
"""

from django.apps import apps
from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from oversight.flags.scheduled import mark_child_changed, mark_person_changed
from supervision.models import StaffProfile, SupervisoryRelationship
from supervision.models.audit import AuditAction


def _person_of(field):
    def handler(sender, instance, **kwargs):
        value = instance
        for part in field.split("."):
            value = getattr(value, part, None)
            if value is None:
                return
        mark_person_changed(value)

    return handler


def _child_of(field):
    def handler(sender, instance, **kwargs):
        child_id = getattr(instance, field, None)
        if child_id is not None:
            mark_child_changed(child_id)

    return handler


PERSON_FACTS = {
    "supervision.SupervisionSession": "supervisee_id",
    "supervision.SupervisionRecord": "session.supervisee_id",
    "supervision.Signature": "record.session.supervisee_id",
    "supervision.Action": "supervisee_id",
    "supervision.ActionReview": "record.session.supervisee_id",
    "supervision.SupervisoryRelationship": "supervisee_id",
    "supervision.PracticeObservation": "practitioner_id",
    "supervision.DevelopmentConversation": "person_id",
    "supervision.ProbationReview": "person_id",
    "agreements.SupervisionAgreement": "relationship.supervisee_id",
    "agreements.AgreementSignature": "agreement.relationship.supervisee_id",
}
CHILD_FACTS = {
    "casework.CaseNote": "child_id",
    "casework.RiskRating": "child_id",
    "casework.Allocation": "child_id",
}


def connect():
    for label, field in PERSON_FACTS.items():
        model = apps.get_model(label)
        handler = _person_of(field)
        post_save.connect(handler, sender=model, weak=False, dispatch_uid=f"due-{label}")
        post_delete.connect(handler, sender=model, weak=False, dispatch_uid=f"due-del-{label}")
    for label, field in CHILD_FACTS.items():
        model = apps.get_model(label)
        handler = _child_of(field)
        post_save.connect(handler, sender=model, weak=False, dispatch_uid=f"due-{label}")
        post_delete.connect(handler, sender=model, weak=False, dispatch_uid=f"due-del-{label}")
    # A child's own row: its service, closure or worker changed. The handler writes with
    # .update(), which sends no signal, so this cannot loop.
    post_save.connect(
        _child_self, sender=apps.get_model("casework.Child"), weak=False, dispatch_uid="due-child"
    )
    post_save.connect(
        _profile_self,
        sender=apps.get_model("supervision.StaffProfile"),
        weak=False,
        dispatch_uid="due-profile",
    )
    absence = apps.get_model("supervision.SupervisorAbsence")
    post_save.connect(_absence, sender=absence, weak=False, dispatch_uid="due-absence")
    post_delete.connect(_absence, sender=absence, weak=False, dispatch_uid="due-del-absence")
    post_save.connect(
        _audited_write,
        sender=apps.get_model("supervision.AuditEvent"),
        weak=False,
        dispatch_uid="due-audited-write",
    )


def _child_self(sender, instance, **kwargs):
    mark_child_changed(instance.pk)


def _profile_self(sender, instance, **kwargs):
    mark_person_changed(instance.user_id)


def _absence(sender, instance, **kwargs):
    """A supervisor's absence is a fact about the people they line supervise (S5): everyone
    supervised by them on or after its first day, whatever its end (an end set earlier than
    before shortens it for them too)."""

    supervised = SupervisoryRelationship.objects.filter(
        supervisor_id=instance.supervisor_id, kind=SupervisoryRelationship.Kind.LINE
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=instance.starts_on))
    StaffProfile.objects.filter(user_id__in=supervised.values("supervisee_id")).update(
        next_check_at=None
    )


def _audited_write(sender, instance, created, **kwargs):
    if not created or instance.action != AuditAction.WRITE:
        return
    if instance.object_type == "child" and instance.object_id.isdigit():
        mark_child_changed(int(instance.object_id))
    if instance.subject_id is not None:
        mark_person_changed(instance.subject_id)
