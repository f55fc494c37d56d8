"""A supervisor's absences (rule S5): recorded by the people who manage the supervisor, so
that the rules can ask for cover for those they line supervise once an absence runs past the
pack's limit.

Reach is the file's (get_file_for_user): outside it, 404. Inside it, recording is for those who
manage the supervisor: their own supervisors (restrict_files EDIT) and the managers of the
units at or above theirs. Nobody records their own absence. Anyone else who reads the file gets
403, audited.
"""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from access.files import FILE, get_file_for_user, may_manage_absences
from access.refusals import refuse
from oversight.policy.choice import NoPolicyPack, pack_on
from supervision.models.organisation import SupervisorAbsence
from supervision.organisation import audit
from supervision.organisation.plain_text import PlainTextForm
from supervision.people import selectors, services
from supervision.web.date_input import DateInputField
from supervision.web.form_errors import add_service_errors

DATE_HINT = "For example, 5 3 2026"
WANTED = "manage_absences"


def _date(label: str, *, required: bool, message: str = "", hint: str = DATE_HINT):
    field = DateInputField(label=label, help_text=hint, required=required)
    if message:
        field.error_messages.update({"required": message, "incomplete": message})
    return field


def _helper(*fields, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*fields, Button("submit", submit))
    return helper


class AbsenceForm(PlainTextForm):
    starts_on = _date("First day away", required=True, message="Enter the first day away")
    ends_on = _date(
        "Last day away (optional)",
        required=False,
        hint="Leave empty while the return date is not known. " + DATE_HINT,
    )
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=100,
        help_text="A word or two, such as annual leave, training or secondment. "
        "Do not give health details.",
        error_messages={"max_length": "Give the reason in 100 characters or fewer"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        legend = {"legend_size": Size.for_legend("s")}
        self.helper = _helper(
            Field("starts_on", context=legend),
            Field("ends_on", context=legend),
            Field.text("reason"),
            submit="Record the absence",
        )


class EndForm(PlainTextForm):
    ends_on = _date("Last day away", required=True, message="Enter the last day away")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "end")
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field("ends_on", context={"legend_size": Size.for_legend("s")}),
            submit="Record the return",
        )


def _cover_limit(day) -> int | None:
    try:
        return pack_on(day).cover_after_days
    except NoPolicyPack:
        return None


@login_required
def supervisor_absences(request, person_id):
    person, may_edit = get_file_for_user(request, person_id)
    if not may_manage_absences(request.user, person, may_edit):
        refuse(
            request,
            FILE,
            person.pk,
            answer=403,
            subject=person,
            wanted=WANTED,
            message="You may read this file but not record absences.",
        )

    form, end_form = AbsenceForm(), EndForm()
    absences = list(
        SupervisorAbsence.objects.filter(supervisor=person)
        .select_related("recorded_by")
        .order_by("-starts_on")
    )
    still_away = next((a for a in absences if a.ends_on is None), None)
    if request.method == "POST" and request.POST.get("form") == "end" and still_away:
        end_form = EndForm(request.POST)
        if end_form.is_valid():
            ends_on = end_form.cleaned_data["ends_on"]
            try:
                services.absence_end(
                    absence=still_away, ends_on=ends_on, by=request.user, request=request
                )
            except ValidationError as error:
                add_service_errors(end_form, error)
            else:
                messages.success(request, f"{person.full_name} is back after {ends_on:%-d %B %Y}")
                return redirect("supervisor-absences", person.pk)
    elif request.method == "POST":
        form = AbsenceForm(request.POST)
        if form.is_valid():
            try:
                services.absence_record(
                    supervisor=person, by=request.user, request=request, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Absence recorded: {person.full_name} away from "
                    f"{form.cleaned_data['starts_on']:%-d %B %Y}",
                )
                return redirect("supervisor-absences", person.pk)
    else:
        audit.record(
            audit.AuditAction.READ,
            request=request,
            object_type="supervisor_absences",
            object_id=person.pk,
            subject=person,
        )

    today = timezone.localdate()
    supervisees = selectors.line_supervisees_with_cover(person, today)
    return render(
        request,
        "supervision/absences.html",
        {
            "person": person,
            "absences": absences,
            "still_away": still_away,
            "form": form,
            "end_form": end_form,
            "supervisees": supervisees,
            "cover_after_days": _cover_limit(today),
            "today": today,
        },
    )
