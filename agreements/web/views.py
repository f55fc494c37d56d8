from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from access.agreements import get_agreement_for_user, get_relationship_for_user, party_role
from agreements import services
from agreements.models import SupervisionAgreement
from agreements.pdf import render_agreement_pdf
from agreements.web.forms import AgreementForm
from supervision.organisation import audit
from supervision.web.drafts import Drafting
from supervision.web.form_errors import add_service_errors
from supervision.web.forms_records import PasswordForm


def _audit_read(request, agreement, action=audit.AuditAction.READ):
    audit.record(
        action,
        request=request,
        object_type="supervision_agreement",
        object_id=agreement.pk,
        subject=agreement.relationship.supervisee,
    )


@login_required
def relationship_agreements(request, relationship_id):
    relationship = get_relationship_for_user(request, relationship_id)
    agreements = list(
        SupervisionAgreement.objects.filter(relationship=relationship).prefetch_related(
            "signatures__signer"
        )
    )
    return render(
        request,
        "agreements/relationship.html",
        {
            "relationship": relationship,
            "agreements": agreements,
            "is_party": party_role(request.user, relationship) is not None,
            "in_force": next((a for a in agreements if a.status == "active"), None),
        },
    )


@login_required
def agreement_new(request, relationship_id):
    relationship = get_relationship_for_user(request, relationship_id, party=True)
    existing = SupervisionAgreement.objects.filter(relationship=relationship).first()
    if existing:
        return redirect("agreement", existing.pk)
    drafting = Drafting(request, subject=relationship.supervisee)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(AgreementForm, initial={**services.DEFAULT_TEXT})
    if request.method == "POST" and form.is_valid():
        try:
            data = {f: form.cleaned_data[f] for f in SupervisionAgreement.CONTENT_FIELDS}
            agreement = services.agreement_draft(
                relationship=relationship, by=request.user, request=request, **data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(request, "Draft agreement saved. Read it together, then both sign")
            return redirect("agreement", agreement.pk)
    return render(
        request,
        "agreements/form.html",
        {
            "form": form,
            "relationship": relationship,
            "title": "Draw up the supervision agreement",
            "drafting": drafting,
        },
    )


@login_required
def agreement_page(request, agreement_id):
    agreement = get_agreement_for_user(request, agreement_id)
    _audit_read(request, agreement)
    relationship = agreement.relationship
    my_role = party_role(request.user, relationship)
    is_party = my_role is not None
    signed_roles = {s.role for s in agreement.signatures.all()}
    fields = [
        (SupervisionAgreement._meta.get_field(f).verbose_name.capitalize(), getattr(agreement, f))
        for f in SupervisionAgreement.TEXT_SECTIONS
    ]
    return render(
        request,
        "agreements/agreement.html",
        {
            "agreement": agreement,
            "relationship": relationship,
            "sections": fields,
            "is_party": is_party,
            "may_edit": is_party and agreement.status == "draft" and not signed_roles,
            "may_sign": is_party and agreement.status == "draft" and my_role not in signed_roles,
            "may_withdraw": is_party and agreement.status == "draft" and my_role in signed_roles,
            "may_review": is_party and agreement.status == "active",
        },
    )


@login_required
def agreement_edit(request, agreement_id):
    agreement = get_agreement_for_user(request, agreement_id, party=True)
    saved = {f: getattr(agreement, f) for f in SupervisionAgreement.CONTENT_FIELDS}
    drafting = Drafting(request, subject=agreement.relationship.supervisee, saved=saved)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(AgreementForm, instance=agreement)
    if request.method == "POST" and form.is_valid() and not drafting.clashed(form):
        try:
            services.agreement_update(
                agreement=agreement,
                by=request.user,
                request=request,
                **{f: form.cleaned_data[f] for f in SupervisionAgreement.CONTENT_FIELDS},
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(request, "Draft agreement saved")
            return redirect("agreement", agreement.pk)
    return render(
        request,
        "agreements/form.html",
        {
            "form": form,
            "relationship": agreement.relationship,
            "agreement": agreement,
            "title": "Change the draft agreement",
            "drafting": drafting,
        },
    )


@login_required
def agreement_sign(request, agreement_id):
    agreement = get_agreement_for_user(request, agreement_id, party=True)
    if agreement.status != SupervisionAgreement.Status.DRAFT:
        messages.error(
            request,
            "This agreement was replaced when the supervision changed and cannot be signed"
            if agreement.status == SupervisionAgreement.Status.SUPERSEDED
            else "This agreement is already signed by both of you",
        )
        return redirect("agreement", agreement.pk)
    form = PasswordForm(
        request.POST if request.method == "POST" else None,
        submit="Sign the agreement",
        signer=request.user,
        request=request,
    )
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.agreement_sign(
                agreement=agreement,
                password=form.cleaned_data["password"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                "Agreement signed by both of you and now in force"
                if agreement.status == "active"
                else "You signed the agreement. It is in force once the other person signs too",
            )
            return redirect("agreement", agreement.pk)
    return render(
        request,
        "agreements/form.html",
        {
            "form": form,
            "relationship": agreement.relationship,
            "agreement": agreement,
            "title": "Sign the supervision agreement",
        },
    )


@require_POST
@login_required
def agreement_withdraw(request, agreement_id):
    agreement = get_agreement_for_user(request, agreement_id, party=True)
    try:
        services.agreement_withdraw_signature(agreement=agreement, by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Your signature is withdrawn: the draft can be changed")
    return redirect("agreement", agreement.pk)


@require_POST
@login_required
def agreement_review(request, agreement_id):
    agreement = get_agreement_for_user(request, agreement_id, party=True)
    try:
        review = services.agreement_review(agreement=agreement, by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("agreement", agreement.pk)
    messages.success(
        request,
        f"Version {review.version} drafted from the agreement in force. Version "
        f"{agreement.version} stays in force until you both sign the new one",
    )
    return redirect("agreement", review.pk)


@login_required
def agreement_pdf(request, agreement_id):
    agreement = get_agreement_for_user(request, agreement_id)

    data = render_agreement_pdf(agreement)
    _audit_read(request, agreement, audit.AuditAction.DOWNLOAD)
    response = HttpResponse(data, content_type="application/pdf")
    name = agreement.relationship.supervisee.full_name.lower().replace(" ", "-")
    response["Content-Disposition"] = (
        f'attachment; filename="supervision-agreement-{name}-v{agreement.version}.pdf"'
    )
    return response
