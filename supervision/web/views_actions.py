"""The supervisee marks their own action done, from their home page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from access.actions import get_own_action
from supervision.records.actions import action_mark_done


@require_POST
@login_required
def action_done(request, action_id):
    action = get_own_action(request, action_id)
    try:
        action_mark_done(action=action, by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        what = Truncator(action.description).words(12)
        messages.success(request, f"Action marked as done: {what}")
    return redirect("home")
