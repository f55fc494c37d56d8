"""Pages to plan, complete and cancel a child's transfer (C5) and to close the case (C4):
thin views over transfer_services.

Every page looks the child up through get_child_for_user, so a child outside reach is a 404
and one the user may read but not manage is a 403, both audited. Reading a page about the
child is audited too; what changes is audited by the services.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from access.children import CHILD, CaseAction, get_child_for_user, restrict_children
from access.refusals import refuse
from casework import transfer_services as services
from casework.models import Child, Transfer
from casework.web.forms_transfers import ClosureForm, TransferForm
from supervision.organisation import audit
from supervision.web.drafts import Drafting
from supervision.web.form_errors import add_service_errors

TRANSFER = "transfer"


def _audit_read(request, object_type: str, object_id, page: str):
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type=object_type,
        object_id=object_id,
        detail={"page": page},
    )


def _transfer(request, child: Child, transfer_id) -> Transfer:
    transfer = services.transfer_of(child, transfer_id)
    if transfer is None:
        refuse(
            request,
            TRANSFER,
            transfer_id,
            subject=child.allocated_worker,
            detail={"child": child.pk},
            message="No such transfer.",
        )
    transfer.child = child
    return transfer


@login_required
def child_transfer(request, child_id):
    """Plan a transfer to another worker, team or service."""
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    drafting = Drafting(request)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(
        TransferForm, initial={"to_unit": child.unit_id, "to_service": child.service}
    )
    if request.method == "POST" and child.is_open and form.is_valid():
        try:
            transfer = services.transfer_plan(
                child=child, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(
                request,
                f"Transfer to {transfer.to_worker.full_name} planned for "
                f"{transfer.planned_for:%-d %B %Y}",
            )
            return redirect("child-transfer-detail", child.pk, transfer.pk)
    if request.method == "GET":
        _audit_read(request, CHILD, child.pk, "plan a transfer")
    return render(
        request,
        "casework/transfers/plan.html",
        {"child": child, "form": form, "drafting": drafting},
    )


@login_required
@require_GET
def child_transfer_detail(request, child_id, transfer_id):
    """The planned or past transfer, with the joint supervision C5 asks for before it."""
    child, may_manage = get_child_for_user(request, child_id, CaseAction.VIEW)
    transfer = _transfer(request, child, transfer_id)
    _audit_read(request, TRANSFER, transfer.pk, "transfer")
    return render(
        request,
        "casework/transfers/transfer.html",
        {
            "child": child,
            "transfer": transfer,
            "c5": services.joint_supervision_of(transfer),
            "may_manage": may_manage,
        },
    )


@login_required
def child_transfer_complete(request, child_id, transfer_id):
    """Confirm the child has moved: the allocation, worker, team and service change now."""
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    transfer = _transfer(request, child, transfer_id)
    if transfer.status != Transfer.Status.PLANNED and request.method == "GET":
        messages.info(request, f"This transfer is {transfer.get_status_display().lower()}")
        return redirect("child-transfer-detail", child.pk, transfer.pk)
    errors = []
    if request.method == "POST":
        try:
            services.transfer_complete(transfer=transfer, by=request.user, request=request)
        except ValidationError as error:
            errors = error.messages
        else:
            return _after_completion(request, child, transfer)
    else:
        _audit_read(request, TRANSFER, transfer.pk, "complete a transfer")
    return render(
        request,
        "casework/transfers/complete.html",
        {
            "child": child,
            "transfer": transfer,
            "c5": services.joint_supervision_of(transfer),
            "errors": errors,
            "today": timezone.localdate(),
        },
    )


def _after_completion(request, child: Child, transfer: Transfer):
    done = (
        f"{child.reference} transferred to {transfer.to_worker.full_name} in "
        f"{transfer.to_unit.name}"
    )
    # A transfer out of the manager's reach leaves them nothing to look at.
    if not restrict_children(request.user).filter(pk=child.pk).exists():
        messages.success(request, f"{done}. The case is no longer yours to oversee")
        return redirect("home")
    messages.success(request, done)
    return redirect("child-transfer-detail", child.pk, transfer.pk)


@login_required
@require_POST
def child_transfer_cancel(request, child_id, transfer_id):
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    transfer = _transfer(request, child, transfer_id)
    try:
        services.transfer_cancel(transfer=transfer, by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"Transfer planned for {transfer.planned_for:%-d %B %Y} cancelled"
        )
    return redirect("child-transfer-detail", child.pk, transfer.pk)


@login_required
def child_close(request, child_id):
    """Close the case, saying plainly whether this service held a formal case supervision
    since the child arrived in it (C4), and why not if it did not."""
    child, may_manage = get_child_for_user(request, child_id, CaseAction.MANAGE)
    if not child.is_open:
        if request.method == "POST":
            messages.error(
                request,
                f"This case is already closed, on {child.closed_on:%-d %B %Y}",
            )
            return redirect("child-close", child.pk)
        _audit_read(request, CHILD, child.pk, "closure")
        return render(
            request, "casework/transfers/closed.html", {"child": child, "may_manage": may_manage}
        )
    supervision = services.service_supervision(child)
    drafting = Drafting(request)
    if (autosaved := drafting.autosave()) is not None:
        return autosaved
    form = drafting.form(ClosureForm, supervision_held=supervision.held)
    if request.method == "POST" and form.is_valid():
        try:
            services.child_close(child=child, by=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            drafting.done()
            messages.success(request, f"{child.reference}'s case closed")
            return redirect("child-close", child.pk)
    if request.method == "GET":
        _audit_read(request, CHILD, child.pk, "close the case")
    return render(
        request,
        "casework/transfers/close.html",
        {"child": child, "form": form, "supervision": supervision, "drafting": drafting},
    )
