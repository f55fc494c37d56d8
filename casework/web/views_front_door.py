"""Front-door supervision (C7): thin views over group_services.front_door_record.

A front-door session belongs in the supervisee's staff file: it names children by unique
reference only, so whoever may read that file may read it (supervision.access), and only
the supervisee's supervisor records one.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from access.children import get_front_door_for_user
from access.files import Action, get_file_for_user
from casework import group_services
from casework.models import FrontDoorSession
from casework.web.forms_groups import FAMILY_ROWS, FrontDoorForm, front_door_field
from supervision.organisation import audit
from supervision.web.drafts import Drafting
from supervision.web.form_errors import add_service_errors

SESSION = "front_door_session"


def _audit_read(request, object_type: str, object_id, subject):
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type=object_type,
        object_id=object_id,
        subject=subject,
    )


@login_required
@require_safe
def front_door_sessions(request, person_id):
    person, may_edit = get_file_for_user(request, person_id)
    sessions = list(group_services.front_door_sessions_for(person))
    _audit_read(request, "front_door_sessions", person.pk, person)
    return render(
        request,
        "casework/front_door/sessions.html",
        {"person": person, "may_edit": may_edit, "sessions": sessions},
    )


@login_required
def front_door_new(request, person_id):
    person, _ = get_file_for_user(request, person_id, Action.EDIT)
    drafting = Drafting(request, subject=person)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    if request.method != "POST":
        kept = drafting.draft_data()
        rows = FrontDoorForm.rows_posted(kept) if kept else FAMILY_ROWS
        form = drafting.form(FrontDoorForm, rows=rows)
    else:
        rows = FrontDoorForm.rows_posted(request.POST)
        adding = "add_family" in request.POST
        form = drafting.watch(FrontDoorForm(request.POST, rows=rows + 1 if adding else rows))
        if adding:
            form.hide_errors()
        elif form.is_valid():
            data = form.cleaned_data
            try:
                session = group_services.front_door_record(
                    supervisor=request.user,
                    supervisee=person,
                    held_at=data["held_at"],
                    families=form.family_rows(),
                    reflections=data["reflections"],
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(
                    form,
                    error,
                    {name: front_door_field(name) for name in error.message_dict},
                )
            else:
                drafting.done()
                messages.success(
                    request,
                    "Front-door supervision of "
                    f"{timezone.localtime(session.held_at):%-d %B %Y} saved",
                )
                return redirect("front-door-session", session.pk)
    return render(
        request,
        "casework/front_door/new.html",
        {
            "person": person,
            "form": form,
            "criteria": FrontDoorSession.Criterion.choices,
            "drafting": drafting,
        },
    )


@login_required
@require_safe
def front_door_session(request, session_id):
    session = get_front_door_for_user(request, session_id)
    discussions = list(session.discussions.select_related("child").order_by("pk"))
    _audit_read(request, SESSION, session.pk, session.supervisee)
    return render(
        request,
        "casework/front_door/session.html",
        {
            "session": session,
            "person": session.supervisee,
            "discussions": discussions,
            "families": len({d.child.family_id or f"child {d.child_id}" for d in discussions}),
        },
    )
