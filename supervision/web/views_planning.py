"""Pages for planning sessions, cancelling and rebooking them, and saying what happened.

Thin views over `planning`; the forms live here because only these pages use them.
"""

from datetime import datetime, time, timedelta

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import (
    HTML,
    Button,
    ConditionalQuestion,
    ConditionalRadios,
    Field,
    Fixed,
    Fluid,
    Layout,
    Size,
)
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from access.files import FILE, Action, get_file_for_user
from access.sessions import get_session_for_user
from supervision.models import SessionType, SupervisionSession
from supervision.organisation import audit
from supervision.organisation.plain_text import PlainTextForm
from supervision.organisation.times import parse_time
from supervision.sessions import planning
from supervision.sessions.calendar import session_invitation
from supervision.web.date_input import DateInputField
from supervision.web.form_errors import add_service_errors

SESSIONS_PER_PAGE = 50


def _local(day, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


def _time_field(label):
    return forms.CharField(
        label=label,
        help_text="Use the 24-hour clock, for example 09:30 or 14:00",
        error_messages={"required": f"Enter the {label.lower()}"},
    )


class ClashConfirmation(PlainTextForm):
    """A clash is a warning, not a refusal: supervisors do double-book on purpose (a session
    moved to the slot of one that will be cancelled). They confirm the clashes they were
    shown; if the clashes change, they are asked again."""

    confirm_clashes = forms.BooleanField(
        required=False, label="Book anyway: I will sort out the clashes"
    )
    clashes_seen = forms.CharField(required=False, widget=forms.HiddenInput)

    @staticmethod
    def fingerprint(clashes) -> str:
        return ",".join(str(session.pk) for session in sorted(clashes, key=lambda s: s.pk))

    def clashes_confirmed(self, clashes) -> bool:
        return self.cleaned_data.get("confirm_clashes") and self.cleaned_data.get(
            "clashes_seen"
        ) == self.fingerprint(clashes)

    def ask_to_confirm(self, clashes) -> None:
        seen_before = self.cleaned_data.get("clashes_seen") == self.fingerprint(clashes)
        self.data = self.data.copy()
        self.data["clashes_seen"] = self.fingerprint(clashes)
        if not seen_before:
            self.data.pop("confirm_clashes", None)
        # Just above the button, where the choice is made.
        button = len(self.helper.layout) - 1
        self.helper.layout.insert(button, Field.checkbox("confirm_clashes"))
        self.helper.layout.insert(
            button, HTML('{% include "supervision/planning/_clashes.html" %}')
        )
        if seen_before:
            self.add_error(
                "confirm_clashes",
                "Select that you will sort out the clashes, or choose other times",
            )


class PlanSessionsForm(ClashConfirmation):
    WEEKS, MONTHLY = "weeks", "monthly"

    session_type = forms.ChoiceField(
        label="Type of supervision",
        choices=SessionType.choices,
        initial=SessionType.INDIVIDUAL,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the type of supervision"},
    )
    first_date = DateInputField(
        label="Date of the first session", help_text="For example, 12 3 2026"
    )
    start_time = _time_field("Start time")
    duration_minutes = forms.IntegerField(
        label="Length in minutes",
        help_text="From 15 to 240. Professional support is at least an hour a month.",
        initial=60,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the length of each session in minutes",
            "invalid": "Enter the length as a number of minutes, like 60 or 90",
        },
    )
    frequency = forms.ChoiceField(
        label="How often",
        choices=[(WEEKS, "Every few weeks"), (MONTHLY, "On the same date every month")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select how often the sessions happen"},
    )
    interval_weeks = forms.IntegerField(
        label="Weeks between sessions",
        help_text="From 1 to 8. For example, 2 for every fortnight.",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={"invalid": "Enter the number of weeks between sessions, from 1 to 8"},
    )
    until = DateInputField(
        label="Plan sessions until",
        help_text="Leave blank to plan six months ahead. At most 12 months from today.",
        required=False,
    )
    mode = forms.ChoiceField(
        label="In person or virtual",
        choices=SupervisionSession.Mode.choices,
        initial=SupervisionSession.Mode.IN_PERSON,
        widget=forms.RadioSelect,
        error_messages={"required": "Select in person or virtual"},
    )
    location = forms.CharField(
        label="Where (optional)",
        help_text="A room, or how to join a virtual session. It goes into calendar invitations.",
        required=False,
        max_length=200,
    )
    SKIP, PLAN_ANYWAY = "skip", "plan"
    booked = forms.ChoiceField(
        label="What should happen to those dates?",
        choices=[
            (SKIP, "Skip the dates that already have a session"),
            (PLAN_ANYWAY, "Plan them anyway"),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    booked_seen = forms.CharField(required=False, widget=forms.HiddenInput)

    def booked_answered(self, found) -> bool:
        """Whether the planner chose what to do about exactly these dates already booked."""
        return self.cleaned_data.get("booked") in (self.SKIP, self.PLAN_ANYWAY) and (
            self.cleaned_data.get("booked_seen") == self.fingerprint(found.values())
        )

    def ask_about_booked(self, found) -> None:
        self.data = self.data.copy()
        self.data["booked_seen"] = self.fingerprint(found.values())
        if self.data.get("booked") not in (self.SKIP, self.PLAN_ANYWAY):
            self.data["booked"] = self.SKIP
        button = len(self.helper.layout) - 1
        self.helper.layout.insert(button, Field.radios("booked", legend_size="s"))
        self.helper.layout.insert(
            button, HTML('{% include "supervision/planning/_already_booked.html" %}')
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template owns the <form>, its action and CSRF token
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.radios("session_type", legend_size="s"),
            Field("first_date", context={"legend_size": Size.for_legend("s")}),
            Field.text("start_time", label_size="s", field_width=Fixed.FIVE),
            Field.text("duration_minutes", label_size="s", field_width=Fixed.FIVE),
            ConditionalRadios(
                "frequency",
                ConditionalQuestion(
                    "Every few weeks", Field.text("interval_weeks", field_width=Fixed.TWO)
                ),
                "On the same date every month",
            ),
            Field("until", context={"legend_size": Size.for_legend("s")}),
            # Not inline: crispy-forms-gds 2.0.1 drops the govuk-radios class from inline radios.
            Field.radios("mode", legend_size="s"),
            Field.text("location", label_size="s", field_width=Fluid.TWO_THIRDS),
            Field("clashes_seen"),
            Field("booked_seen"),
            Button("submit", "Plan sessions"),
        )

    def clean(self):
        data = super().clean()
        if "start_time" in data:
            at = parse_time(data["start_time"])
            if at is None:
                self.add_error("start_time", "Enter the start time, like 09:30 or 14:00")
            elif data.get("first_date"):
                data["first_start"] = _local(data["first_date"], at)
        if data.get("frequency") == self.WEEKS and data.get("interval_weeks") is None:
            self.add_error("interval_weeks", "Enter the number of weeks between sessions")
        return data

    def plan(self) -> dict:
        data = self.cleaned_data
        monthly = data["frequency"] == self.MONTHLY
        return {
            "first_start": data["first_start"],
            "duration": timedelta(minutes=data["duration_minutes"]),
            "interval_weeks": None if monthly else data["interval_weeks"],
            "monthly": monthly,
            "until": data.get("until"),
        }


PLAN_ERRORS = {"first_start": "first_date", "duration": "duration_minutes"}


@login_required
def plan_sessions(request, person_id):
    person, _ = get_file_for_user(request, person_id, Action.EDIT)
    form = PlanSessionsForm(request.POST if request.method == "POST" else None)
    clashes = []
    if request.method == "POST" and form.is_valid():
        plan = form.plan()
        try:
            starts = planning.series_start_times(**plan)
        except ValidationError as error:
            add_service_errors(form, error, PLAN_ERRORS)
        else:
            booked = planning.already_booked(
                supervisee=person,
                session_type=form.cleaned_data["session_type"],
                slots=[(start, start + plan["duration"]) for start in starts],
                interval_weeks=plan["interval_weeks"],
                monthly=plan["monthly"],
            )
            if booked and not form.booked_answered(booked):
                form.ask_about_booked(booked)
                return render(
                    request,
                    "supervision/planning/plan.html",
                    {"form": form, "person": person, "clashes": [], "booked": booked},
                )
            skip = list(booked) if booked and form.cleaned_data["booked"] == form.SKIP else []
            starts = [start for start in starts if start not in skip]
            found = planning.series_clashes(
                supervisor=request.user,
                supervisee=person,
                slots=[(start, start + plan["duration"]) for start in starts],
            )
            if found and not form.clashes_confirmed(found):
                form.ask_to_confirm(found)
                clashes = planning.describe_clashes(
                    found, supervisor=request.user, supervisee=person
                )
            else:
                try:
                    sessions = planning.sessions_plan_series(
                        supervisee=person,
                        supervisor=request.user,
                        session_type=form.cleaned_data["session_type"],
                        mode=form.cleaned_data["mode"],
                        location=form.cleaned_data["location"],
                        by=request.user,
                        request=request,
                        skip=skip,
                        **plan,
                    )
                except ValidationError as error:
                    add_service_errors(form, error, PLAN_ERRORS)
                else:
                    count = len(sessions)
                    left_out = (
                        f". {len(skip)} date{'s' if len(skip) != 1 else ''} already booked left out"
                        if skip
                        else ""
                    )
                    messages.success(
                        request,
                        f"{count} session{'s' if count != 1 else ''} planned with "
                        f"{person.full_name} until "
                        f"{planning.long_date(sessions[-1].starts_at)}{left_out}",
                    )
                    return redirect("person-sessions", person_id=person.pk)
    return render(
        request,
        "supervision/planning/plan.html",
        {"form": form, "person": person, "clashes": clashes},
    )


def _when(session: SupervisionSession, today) -> str:
    days = (timezone.localtime(session.starts_at).date() - today).days
    if days == 0:
        return "today"
    if days > 0:
        return "tomorrow" if days == 1 else f"in {days} days"
    return "yesterday" if days == -1 else f"{-days} days ago"


@login_required
def person_sessions(request, person_id):
    person, may_edit = get_file_for_user(request, person_id)
    sessions = (
        SupervisionSession.objects.filter(supervisee=person)
        .select_related("supervisor", "replaces")
        .order_by("-starts_at", "-pk")
    )
    page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type=FILE,
        object_id=person.pk,
        subject=person,
        detail={"part": "sessions", "page": page.number},
    )
    now = timezone.now()
    today = timezone.localdate(now)
    rows = [
        {
            "session": session,
            "when": _when(session, today),
            "may_cancel": may_edit and session.status == SupervisionSession.Status.PLANNED,
            "may_move": may_edit
            and session.status == SupervisionSession.Status.PLANNED
            and timezone.localtime(session.starts_at).date() >= today,
            "may_record_outcome": may_edit
            and session.status == SupervisionSession.Status.PLANNED
            and session.starts_at <= now,
        }
        for session in page
    ]
    return render(
        request,
        "supervision/planning/sessions.html",
        {"person": person, "may_edit": may_edit, "page": page, "rows": rows},
    )


class CancelSessionForm(ClashConfirmation):
    YES, NO = "yes", "no"

    reason = forms.CharField(
        label="Why is the session cancelled?",
        help_text="This is kept in the supervision file. For example, ‘Supervisor off sick’.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the session is cancelled"},
    )
    rebook = forms.ChoiceField(
        label="Book the new session now?",
        choices=[(YES, "Yes"), (NO, "No, I will book it later")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether to book the new session now"},
    )
    new_date = DateInputField(label="New date", required=False)
    new_time = forms.CharField(
        label="New start time", help_text="For example, 09:30 or 14:00", required=False
    )

    def __init__(self, *args, latest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "rebook"
        ].help_text = (
            f"A cancelled session is rebooked within 2 weeks: by {planning.long_date(latest)}."
        )
        self.fields["new_date"].help_text = f"No later than {planning.long_date(latest)}"
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template owns the <form>, its action and CSRF token
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.textarea("reason", label_size="s", rows=3),
            ConditionalRadios(
                "rebook",
                ConditionalQuestion(
                    "Yes",
                    Field("new_date", context={"legend_size": Size.for_legend("s")}),
                    Field.text("new_time", field_width=Fixed.FIVE),
                ),
                "No, I will book it later",
            ),
            Field("clashes_seen"),
            Button("submit", "Cancel the session", css_class="govuk-button--warning"),
        )

    def clean(self):
        data = super().clean()
        data["new_start"] = None
        if data.get("rebook") != self.YES:
            # Whatever was typed into the hidden date and time is not what was chosen.
            for name in ("new_date", "new_time"):
                self._errors.pop(name, None)
            return data
        if not data.get("new_date") and "new_date" not in self.errors:
            self.add_error("new_date", "Enter the date of the new session")
        at = parse_time(data.get("new_time", ""))
        if at is None:
            self.add_error("new_time", "Enter the new start time, like 09:30 or 14:00")
        elif data.get("new_date"):
            data["new_start"] = _local(data["new_date"], at)
        return data


CANCEL_ERRORS = {"new_start": "new_date"}


def audit_session_read(request, session, page: str) -> None:
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type=planning.SESSION,
        object_id=session.pk,
        subject=session.supervisee,
        detail={"page": page},
    )


@login_required
def cancel_session(request, session_id):
    session, _ = get_session_for_user(request, session_id, Action.EDIT)
    latest = timezone.localdate() + planning.RESCHEDULE_WITHIN
    form = CancelSessionForm(request.POST if request.method == "POST" else None, latest=latest)
    clashes = []
    if request.method == "GET":
        audit_session_read(request, session, "cancel")
    elif form.is_valid():
        new_start = form.cleaned_data["new_start"]
        found = []
        if new_start is not None:
            found = planning.session_clashes(
                supervisor=session.supervisor,
                supervisee=session.supervisee,
                starts_at=new_start,
                ends_at=new_start + (session.ends_at - session.starts_at),
                exclude_ids=[session.pk],
            )
        if found and not form.clashes_confirmed(found):
            form.ask_to_confirm(found)
            clashes = planning.describe_clashes(
                found, supervisor=session.supervisor, supervisee=session.supervisee
            )
        else:
            try:
                replacement = planning.session_cancel(
                    session=session,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    new_start=new_start,
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error, CANCEL_ERRORS)
            else:
                cancelled = f"Session of {planning.long_date(session.starts_at)} cancelled"
                if replacement is None:
                    messages.success(
                        request, f"{cancelled}. Book a new one by {planning.long_date(latest)}"
                    )
                else:
                    starts = timezone.localtime(replacement.starts_at)
                    messages.success(
                        request,
                        f"{cancelled} and moved to {planning.long_date(starts)} at {starts:%H:%M}",
                    )
                return redirect("person-sessions", person_id=session.supervisee_id)
    return render(
        request,
        "supervision/planning/cancel.html",
        {"form": form, "session": session, "clashes": clashes},
    )


class SessionOutcomeForm(PlainTextForm):
    status = forms.ChoiceField(
        label="Did the session take place?",
        choices=[
            (SupervisionSession.Status.HELD, "Yes, it was held"),
            (SupervisionSession.Status.DID_NOT_TAKE_PLACE, "No, it did not take place"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the session was held"},
    )
    lateness_notes = forms.CharField(
        label="Lateness (optional)",
        help_text="Who was late and by how long",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    interruption_notes = forms.CharField(
        label="Interruptions (optional)",
        help_text="For example, a call about a child that could not wait",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template owns the <form>, its action and CSRF token
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            ConditionalRadios(
                "status",
                ConditionalQuestion(
                    "Yes, it was held",
                    Field.textarea("lateness_notes", rows=2),
                    Field.textarea("interruption_notes", rows=2),
                ),
                "No, it did not take place",
            ),
            Button("submit", "Save what happened"),
        )

    def clean(self):
        data = super().clean()
        # Notes typed under "held" and then hidden by choosing "did not take place" are
        # not what the person meant to record.
        if data.get("status") == SupervisionSession.Status.DID_NOT_TAKE_PLACE:
            data["lateness_notes"] = data["interruption_notes"] = ""
        return data


@login_required
def session_outcome(request, session_id):
    session, _ = get_session_for_user(request, session_id, Action.EDIT)
    form = SessionOutcomeForm(request.POST if request.method == "POST" else None)
    if request.method == "GET":
        audit_session_read(request, session, "outcome")
    elif form.is_valid():
        try:
            session = planning.session_record_outcome(
                session=session,
                by=request.user,
                status=form.cleaned_data["status"],
                lateness_notes=form.cleaned_data["lateness_notes"],
                interruption_notes=form.cleaned_data["interruption_notes"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error, {})
        else:
            messages.success(
                request,
                f"Session of {planning.long_date(session.starts_at)} recorded as "
                f"{session.get_status_display().lower()}",
            )
            return redirect("person-sessions", person_id=session.supervisee_id)
    return render(request, "supervision/planning/outcome.html", {"form": form, "session": session})


@login_required
def session_calendar(request, session_id):
    session, _ = get_session_for_user(request, session_id)
    cancelled = session.status == SupervisionSession.Status.CANCELLED
    content = session_invitation(session, "CANCEL" if cancelled else "REQUEST")
    audit.record(
        audit.AuditAction.DOWNLOAD,
        request=request,
        object_type=planning.SESSION,
        object_id=session.pk,
        subject=session.supervisee,
        detail={"format": "ics"},
    )
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    starts = timezone.localtime(session.starts_at)
    response["Content-Disposition"] = f'attachment; filename="supervision-{starts:%Y-%m-%d}.ics"'
    return response
