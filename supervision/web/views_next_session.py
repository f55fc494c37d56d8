"""The record's "Date of next supervision" (Kent 004 Appendices A and B): a page of its own,
reached from the record, that books the session (supervision.sessions.next_session)."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fixed, Layout, Size
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from access.files import Action as Reach
from access.refusals import refuse
from access.sessions import get_session_for_user
from supervision.organisation.plain_text import PlainTextForm
from supervision.organisation.times import read_start
from supervision.sessions.next_session import record_next_session_set
from supervision.sessions.planning import long_date
from supervision.web.date_input import DateInputField
from supervision.web.form_errors import add_service_errors


class NextSessionForm(PlainTextForm):
    next_date = DateInputField(
        label="Date of next supervision",
        help_text="For example, 12 4 2026",
    )
    start_time = forms.CharField(
        label="Start time",
        help_text="Use the 24-hour clock, for example 09:30 or 14:00",
        error_messages={"required": "Enter the start time"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["next_date"].error_messages["required"] = (
            "Enter the date of the next supervision"
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field("next_date", context={"legend_size": Size.for_legend("s")}),
            Field.text("start_time", label_size="s", field_width=Fixed.FIVE),
            Button("submit", "Save and book the session"),
        )

    def clean(self):
        data = super().clean()
        read_start(
            self,
            data,
            date_field="next_date",
            time_field="start_time",
            into="starts_at",
            message="Enter the start time, like 09:30 or 14:00",
        )
        return data


@login_required
def record_next_session(request, session_id):
    session, _ = get_session_for_user(request, session_id, Reach.EDIT)
    record = getattr(session, "record", None) if hasattr(session, "record") else None
    if record is None or not record.template.asks_next_session:
        refuse(request, "supervision_record", session.pk, subject=session.supervisee)
    initial = {}
    if record.next_session_at:
        local = timezone.localtime(record.next_session_at)
        initial = {"next_date": local.date(), "start_time": f"{local:%H:%M}"}
    form = NextSessionForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            booked = record_next_session_set(
                record=record,
                starts_at=form.cleaned_data["starts_at"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error, {"next_session_at": "next_date"})
        else:
            when = timezone.localtime(booked.starts_at)
            messages.success(
                request,
                f"Next supervision booked for {long_date(when)} at {when:%H:%M}: "
                f"{session.supervisee.full_name} and {booked.supervisor.full_name} are sent "
                "calendar invitations",
            )
            return redirect("record", session.pk)
    return render(
        request,
        "supervision/records/form.html",
        {
            "session": session,
            "record": record,
            "form": form,
            "title": "Date of next supervision",
        },
    )
