"""Concerns about supervision (001 §3) and escalated disagreements: raising, reading,
adding to, answering and withdrawing them. Reach is access.concerns'; writes are
supervision.concerns.services'."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from access import concerns as reach
from access import records as signing
from access.refusals import audited_list, audited_read, refuse
from access.roles import roles_for
from supervision.concerns import services
from supervision.models import Concern, ConcernEntry, Disagreement
from supervision.web.form_errors import add_service_errors
from supervision.web.forms_concerns import (
    AddForm,
    AnswerForm,
    ConcernForm,
    EscalationForm,
    WithdrawForm,
)


def _form_page(request, form_class, handler, *, title, template_context, success, done_url):
    """One form on a page of its own: errors beside the fields, a banner after it worked."""
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = handler(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, success)
            return redirect(*done_url(result))
    return render(
        request,
        "supervision/concerns/form.html",
        {"form": form, "title": title, **template_context},
    )


@login_required
@require_GET
def concern_list(request):
    user = request.user
    if not reach.may_list(user):
        refuse(request, "list", "concerns", answer=403)
    related = ("supervisee", "raised_with", "supervisor")
    raised_with_me = list(reach.concerns_raised_with(user).select_related(*related))
    mine = list(reach.concerns_of(user).select_related(*related))
    audited_list(request, "concerns", count=len(raised_with_me) + len(mine))
    return render(
        request,
        "supervision/concerns/list.html",
        {
            "raised_with_me": sorted(raised_with_me, key=lambda c: (not c.is_open, -c.pk)),
            "mine": mine,
            "may_raise": reach.may_raise_concern(user, roles_for(user)),
        },
    )


@login_required
def concern_new(request):
    if not reach.may_raise_concern(request.user, roles_for(request.user)):
        refuse(request, "list", "concerns", answer=403, wanted="raise a concern")
    return _form_page(
        request,
        ConcernForm,
        lambda data: services.concern_raise(
            supervisee=request.user, text=data["text"], request=request
        ),
        title="Raise a concern about your supervision",
        template_context={"back_url": "concerns", "about_supervision": True},
        success="Your concern has been raised",
        done_url=lambda concern: ("concern", concern.pk),
    )


@login_required
@require_GET
def concern_page(request, concern_id):
    concern, part = reach.get_concern_for_user(request, concern_id)
    audited_read(request, reach.CONCERN, concern.pk, detail={"kind": concern.kind})
    disagreement = concern.disagreement
    return render(
        request,
        "supervision/concerns/concern.html",
        {
            "concern": concern,
            "part": part,
            "entries": ConcernEntry.objects.filter(concern=concern).select_related("author"),
            "disagreement": disagreement,
            "session": disagreement.record.session if disagreement else None,
            "may_add": reach.may_add_to(part, concern),
            "may_answer": reach.may_answer(part, concern),
            "may_withdraw": reach.may_withdraw(request.user, concern),
        },
    )


def _concern_form(request, concern_id, allowed, wanted, form_class, handler, title, success):
    concern, part = reach.get_concern_for_user(request, concern_id)
    reach.refuse_unless(request, concern, allowed(part, concern), wanted)
    return _form_page(
        request,
        form_class,
        lambda data: handler(concern, data),
        title=title,
        template_context={"concern": concern, "back_url": "concern"},
        success=success,
        done_url=lambda result: ("concern", concern.pk),
    )


@login_required
def concern_add(request, concern_id):
    return _concern_form(
        request,
        concern_id,
        reach.may_add_to,
        "add to",
        AddForm,
        lambda concern, data: services.concern_add(
            concern=concern, text=data["text"], by=request.user, request=request
        ),
        "Add to it",
        "Added",
    )


@login_required
def concern_answer(request, concern_id):
    return _concern_form(
        request,
        concern_id,
        reach.may_answer,
        "answer",
        AnswerForm,
        lambda concern, data: services.concern_answer(
            concern=concern, by=request.user, request=request, **data
        ),
        "Respond or record the outcome",
        "Your answer has been sent",
    )


@login_required
def concern_withdraw(request, concern_id):
    return _concern_form(
        request,
        concern_id,
        lambda part, concern: reach.may_withdraw(request.user, concern),
        "withdraw",
        WithdrawForm,
        lambda concern, data: services.concern_withdraw(
            concern=concern, text=data["text"], by=request.user, request=request
        ),
        "Withdraw it",
        "Withdrawn",
    )


@login_required
def disagreement_escalate(request, session_id, disagreement_id):
    session, _ = signing.get_session_to_sign(request, session_id)
    disagreement = get_object_or_404(
        Disagreement.objects.select_related("record__session"),
        pk=disagreement_id,
        record__session=session,
    )
    reach.refuse_unless_escalating(request, disagreement)
    already = Concern.objects.filter(disagreement=disagreement).first()
    if already is not None:
        messages.info(request, "This disagreement has already been escalated")
        return redirect("concern", already.pk)
    return _form_page(
        request,
        EscalationForm,
        lambda data: services.disagreement_escalate(
            disagreement=disagreement, text=data["text"], by=request.user, request=request
        ),
        title=f"Escalate the disagreement: {disagreement.subject}",
        template_context={"session": session, "disagreement": disagreement},
        success="The disagreement has been escalated",
        done_url=lambda concern: ("concern", concern.pk),
    )
