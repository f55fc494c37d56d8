"""Moving a planned session (supervision.sessions.moving): a page of its own beside "Cancel"."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fixed, Layout, Size
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from access.files import Action
from access.sessions import get_session_for_user
from supervision.organisation.times import read_start
from supervision.sessions.moving import session_move
from supervision.sessions.planning import describe_clashes, long_date, session_clashes
from supervision.web.date_input import DateInputField
from supervision.web.form_errors import add_service_errors
from supervision.web.views_planning import ClashConfirmation, audit_session_read


class MoveSessionForm(ClashConfirmation):
    new_date = DateInputField(label="New date", help_text="For example, 12 4 2026")
    new_time = forms.CharField(
        label="New start time",
        help_text="Use the 24-hour clock, for example 09:30 or 14:00",
        error_messages={"required": "Enter the new start time"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm_clashes"].label = "Move it anyway: I will sort out the clashes"
        self.fields["new_date"].error_messages["required"] = "Enter the new date"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field("new_date", context={"legend_size": Size.for_legend("s")}),
            Field.text("new_time", label_size="s", field_width=Fixed.FIVE),
            Field("clashes_seen"),
            Button("submit", "Move the session"),
        )

    def clean(self):
        data = super().clean()
        read_start(
            self,
            data,
            date_field="new_date",
            time_field="new_time",
            into="new_start",
            message="Enter the new start time, like 09:30 or 14:00",
        )
        return data


@login_required
def move_session(request, session_id):
    session, _ = get_session_for_user(request, session_id, Action.EDIT)
    form = MoveSessionForm(request.POST if request.method == "POST" else None)
    clashes = []
    if request.method == "GET":
        audit_session_read(request, session, "move")
    elif form.is_valid():
        new_start = form.cleaned_data["new_start"]
        found = session_clashes(
            supervisor=session.supervisor,
            supervisee=session.supervisee,
            starts_at=new_start,
            ends_at=new_start + (session.ends_at - session.starts_at),
            exclude_ids=[session.pk],
        )
        if found and not form.clashes_confirmed(found):
            form.ask_to_confirm(found)
            clashes = describe_clashes(
                found, supervisor=session.supervisor, supervisee=session.supervisee
            )
        else:
            try:
                moved = session_move(
                    session=session, new_start=new_start, by=request.user, request=request
                )
            except ValidationError as error:
                add_service_errors(form, error, {"new_start": "new_date"})
            else:
                when = timezone.localtime(moved.starts_at)
                messages.success(
                    request,
                    f"Session moved to {long_date(when)} at {when:%H:%M}. Both of you are sent "
                    "the calendar update",
                )
                return redirect("person-sessions", person_id=session.supervisee_id)
    return render(
        request,
        "supervision/planning/move.html",
        {"form": form, "session": session, "clashes": clashes},
    )
