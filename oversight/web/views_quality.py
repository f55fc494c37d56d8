"""Quality assurance sampling (rule Q4): senior managers and auditors draw random samples of
finalised records, audit each on a short form and read the results by team. The rules of who
may see and do what are in oversight/quality/sampling.py."""

from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from access.refusals import audited_list, refuse
from oversight.models import QualityAnswer
from oversight.quality import sampling as services
from oversight.web.forms_quality import PeriodForm, ReviewForm, SampleDrawForm
from supervision.organisation import audit
from supervision.web.drafts import Drafting
from supervision.web.form_errors import add_service_errors

TEMPLATES = "oversight/quality/"


def quality_user_required(view):
    """Senior managers and auditors; anyone else signed in gets 403, audited."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not services.may_use_quality(request.user):
            refuse(request, "page", request.resolver_match.url_name or "", answer=403)
        return view(request, *args, **kwargs)

    return wrapper


def _not_found(request, object_type: str, object_id):
    refuse(request, object_type, object_id, message="No such sample.")


def _sample_for(request, sample_id):
    sample = (
        services.visible_samples(request.user)
        .select_related("drawn_by", "unit")
        .filter(pk=sample_id)
        .first()
    )
    if sample is None:
        _not_found(request, "quality_sample", sample_id)
    return sample


@require_GET  # reading only; POST is refused before anything else, as on other report pages
@quality_user_required
def samples(request):
    today = timezone.localdate()
    # The last 12 months unless another period is asked for.
    default = {"drawn_from": services.a_year_before(today) + timedelta(days=1), "drawn_to": today}
    submitted = "drawn_from_0" in request.GET
    form = PeriodForm(request.GET if submitted else None, initial=default)
    valid = not submitted or form.is_valid()
    period = form.cleaned_data if submitted and valid else default
    sample_list = (
        services.samples_for_overview(request.user, period["drawn_from"], period["drawn_to"])
        if valid
        else []
    )
    rows, total = services.results_by_team(
        services.reviews_of_samples([sample.pk for sample in sample_list])
    )
    audited_list(request, "quality_samples", count=len(sample_list))
    return render(
        request,
        TEMPLATES + "samples.html",
        {
            "form": form,
            "valid": valid,
            "period": period,
            "samples": sample_list,
            "rows": rows,
            "total": total,
            "answers": services.ANSWERS,
            "questions": services.QUESTIONS,
        },
    )


@quality_user_required
def sample_new(request):
    user = request.user
    units = services.units_to_draw_from(user)
    from_grants = services.may_draw_from_grants(user)
    form = SampleDrawForm(
        request.POST if request.method == "POST" else None,
        units=units,
        from_grants=from_grants and bool(units),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sample = services.sample_draw(
                by=user,
                unit=form.chosen_unit,  # None: an auditor's grants
                finalised_from=data["finalised_from"],
                finalised_to=data["finalised_to"],
                size=data["size"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, services.drawn_message(sample.reviews.count(), sample.size))
            return redirect("quality-sample", sample_id=sample.pk)
    return render(
        request,
        TEMPLATES + "new.html",
        {"form": form, "grants_only": not units, "max_size": services.MAX_SIZE},
    )


@require_GET  # reading only: it is audited
@quality_user_required
def sample_page(request, sample_id):
    sample = _sample_for(request, sample_id)
    reviews = services.sample_reviews(sample)
    rows, total = services.results_by_team(sample.reviews.all())
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type="quality_sample",
        object_id=sample.pk,
    )
    return render(
        request,
        TEMPLATES + "sample.html",
        {
            "sample": sample,
            "reviews": reviews,
            "reviewed": sum(1 for review in reviews if review.is_done),
            "is_drawer": services.drew(request.user, sample),
            "where": sample.unit.name if sample.unit else services.GRANTS,
            "rows": rows,
            "total": total,
            "answers": services.ANSWERS,
            "questions": services.QUESTIONS,
        },
    )


@quality_user_required
def review_page(request, sample_id, review_id):
    sample = _sample_for(request, sample_id)
    review = (
        sample.reviews.select_related(
            "unit", "reviewer", "record__session__supervisee", "record__session__supervisor"
        )
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        _not_found(request, "quality_review", review_id)
    review.sample = sample
    session = review.record.session
    may_change = services.may_change_review(request.user, review, session.supervisee_id)
    if request.method == "POST" and not may_change:
        refuse(
            request,
            "quality_review",
            review.pk,
            answer=403,
            subject=session.supervisee,
            wanted="edit",
            message="Only the person who drew the sample answers its form.",
        )
    initial = {field: getattr(review, field) for field in services.FIELDS}
    initial["comments"] = review.comments
    drafting = Drafting(request, subject=session.supervisee, saved=initial)
    if may_change and (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(ReviewForm, initial=initial)
    if request.method == "POST" and form.is_valid() and not drafting.clashed(form):
        data = form.cleaned_data
        try:
            services.review_save(
                review=review,
                by=request.user,
                answers={field: data[field] for field in services.FIELDS},
                comments=data["comments"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(request, f"Review of {session.supervisee}'s record saved")
            return redirect("quality-sample", sample_id=sample.pk)
    if request.method == "GET":
        audit.record(
            audit.AuditAction.READ,
            request=request,
            object_type="quality_review",
            object_id=review.pk,
            subject=session.supervisee,
        )
    labels = dict(QualityAnswer.choices)
    return render(
        request,
        TEMPLATES + "review.html",
        {
            "sample": sample,
            "review": review,
            "session": session,
            "form": form,
            "may_change": may_change,
            "drafting": drafting,
            "is_drawer": services.drew(request.user, sample),
            "record_url": reverse("record", args=[session.pk]),
            "answered": [
                (question, labels.get(getattr(review, field), "Not answered"))
                for field, question in services.QUESTIONS
            ],
        },
    )
