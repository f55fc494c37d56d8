"""Actions agreed in supervision records (rules R4, R10), after the record is finalised.

The supervisee marks their own actions done as they do them: the action is theirs, and the
next session's review then starts from what is still open. Nobody else marks an action done
from outside a record: the supervisor reviews actions in the next record (R10).
"""

from access.people import may_read_content
from access.refusals import refuse
from supervision.models import Action

ACTION = "supervision_action"


def get_own_action(request, action_id) -> Action:
    """An action the user owns as the supervisee, or an audited 404 naming whose it is."""
    user = request.user
    action = (
        Action.objects.select_related("record__session", "supervisee").filter(pk=action_id).first()
        if str(action_id).isdigit()
        else None
    )
    if (
        action is None
        or not may_read_content(user)
        or action.supervisee_id != user.pk
        or action.owner != Action.Owner.SUPERVISEE
    ):
        refuse(
            request,
            ACTION,
            action_id,
            subject=action.supervisee if action else None,
            wanted="mark an action done",
            message="No such action of yours.",
        )
    return action
