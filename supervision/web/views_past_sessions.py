"""Recording a session already held that was not planned (supervision.sessions.past_sessions)."""

from datetime import timedelta

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fixed, Fluid, Layout, Size
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from access.files import Action, get_file_for_user
from supervision.models import SessionType, SupervisionSession
from supervision.organisation.plain_text import PlainTextForm
from supervision.organisation.times import read_start
from supervision.sessions.past_sessions import session_record_past
from supervision.web.date_input import DateInputField
from supervision.web.form_errors import add_service_errors


class PastSessionForm(PlainTextForm):
    session_type = forms.ChoiceField(
        label="Type of supervision",
        choices=SessionType.choices,
        initial=SessionType.INDIVIDUAL,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the type of supervision"},
    )
    held_on = DateInputField(label="Date it was held", help_text="For example, 3 3 2026")
    start_time = forms.CharField(
        label="Start time",
        help_text="Use the 24-hour clock, for example 09:30 or 14:00",
        error_messages={"required": "Enter the start time"},
    )
    duration_minutes = forms.IntegerField(
        label="Length in minutes",
        initial=60,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the length in minutes",
            "invalid": "Enter the length as a number of minutes, like 60 or 90",
        },
    )
    mode = forms.ChoiceField(
        label="In person or virtual",
        choices=SupervisionSession.Mode.choices,
        initial=SupervisionSession.Mode.IN_PERSON,
        widget=forms.RadioSelect,
    )
    location = forms.CharField(label="Where (optional)", required=False, max_length=200)
    reason = forms.CharField(
        label="Why was it not planned?",
        help_text="For example, an urgent discussion after a child protection conference.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the session was not planned"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].error_messages["required"] = "Enter the date it was held"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.radios("session_type", legend_size="s"),
            Field("held_on", context={"legend_size": Size.for_legend("s")}),
            Field.text("start_time", label_size="s", field_width=Fixed.FIVE),
            Field.text("duration_minutes", label_size="s", field_width=Fixed.FIVE),
            Field.radios("mode", legend_size="s"),
            Field.text("location", label_size="s", field_width=Fluid.TWO_THIRDS),
            Field.textarea("reason", label_size="s"),
            Button("submit", "Record the session"),
        )

    def clean(self):
        data = super().clean()
        read_start(
            self,
            data,
            date_field="held_on",
            time_field="start_time",
            into="starts_at",
            message="Enter the start time, like 09:30 or 14:00",
        )
        return data


@login_required
def record_past_session(request, person_id):
    person, _ = get_file_for_user(request, person_id, Action.EDIT)
    form = PastSessionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = session_record_past(
                supervisee=person,
                supervisor=request.user,
                session_type=data["session_type"],
                starts_at=data["starts_at"],
                duration=timedelta(minutes=data["duration_minutes"]),
                reason=data["reason"],
                mode=data["mode"],
                location=data["location"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(
                form, error, {"starts_at": "held_on", "duration": "duration_minutes"}
            )
        else:
            messages.success(request, "Session recorded. You can write its record now")
            return redirect("session", session.pk)
    return render(
        request,
        "supervision/planning/record_past.html",
        {"form": form, "person": person},
    )
