"""Supervisee feedback (rule Q4): staff answer a short questionnaire each quarter; senior
managers read it added up, never one person's answers (rules in oversight/quality/feedback.py)."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from access.refusals import refuse
from access.roles import may_give_feedback, role_required
from oversight.models import FEEDBACK_STATEMENTS
from oversight.quality import feedback as services
from oversight.web.forms_feedback import FeedbackForm


def _add_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


@login_required
def feedback(request):
    today = timezone.localdate()
    if not may_give_feedback(request.user, today):
        # Administrators without a profile, and staff nobody supervises now: there is no
        # supervision to give feedback on.
        refuse(request, "page", "feedback", answer=403)
    period = services.quarter_of(today)
    form = FeedbackForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_give(
                respondent=request.user, answers=form.cleaned_data, request=request
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, f"Thank you. Your feedback for {services.quarter_label(period)} is saved"
            )
            return redirect("feedback")
    already_given = services.feedback_given(request.user, period)
    return render(
        request,
        "oversight/feedback/form.html",
        {
            "form": form,
            "period_label": services.quarter_label(period),
            "already_given": already_given and request.method != "POST",
            "next_quarter_starts_on": services.quarter_ends_on(period) + timedelta(days=1),
            "minimum_group": services.MINIMUM_GROUP,
        },
    )


@require_GET  # reading only; it is audited, so nothing should arrive by POST
@role_required("senior_manager")
def feedback_report(request):
    report = services.feedback_report(request.user, request=request)
    return render(
        request,
        "oversight/feedback/report.html",
        {
            "report": report,
            "statements": FEEDBACK_STATEMENTS,
            "minimum_group": services.MINIMUM_GROUP,
        },
    )
