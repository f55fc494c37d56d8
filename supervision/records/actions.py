"""An action's life after its record is finalised: the supervisee marks it done (R10 then
reviews only what is still open). Writes own their transaction and audit entry."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from supervision.models import Action, SupervisionRecord, User
from supervision.organisation import audit


@transaction.atomic
def action_mark_done(*, action: Action, by: User, request=None) -> Action:
    action = Action.objects.select_for_update().select_related("record__session").get(pk=action.pk)
    if action.status != Action.Status.OPEN:
        raise ValidationError(f"This action is already {action.get_status_display().lower()}.")
    if action.record.status != SupervisionRecord.Status.FINALISED:
        raise ValidationError(
            "You can mark this action done once the record it was agreed in is finalised."
        )
    action.status = Action.Status.DONE
    action.status_reason = ""
    action.status_changed_at = timezone.now()
    action.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="supervision_record",
        object_id=action.record_id,
        subject=action.supervisee,
        detail={"change": "action marked done", "action": action.pk},
    )
    return action
