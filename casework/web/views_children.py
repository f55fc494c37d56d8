"""Pages for children and caseloads: thin views over casework.access (who), casework.selectors
(what the page shows, in a fixed number of queries) and the services (writes).

A child or a caseload outside the user's reach is a 404 and inside reach without the right to
do this a 403, both audited by casework.access; every page that shows a child's case or a
caseload writes a READ to the audit log.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from access.children import (
    CaseAction,
    get_caseload_owner_for_user,
    get_child_for_user,
    restrict_children,
    team_case_reach,
    teams_led_by,
)
from access.children import may_rate as may_rate_case
from access.people import is_self
from access.refusals import refuse
from casework import child_services, selectors, services
from casework.models import SCALE_FIELDS, RiskScale
from casework.web.forms_children import (
    ChildEditForm,
    ChildNewForm,
    FamilyLinkForm,
    FindChildForm,
    RiskForm,
)
from oversight.flags import selectors as selectors_flags
from oversight.policy.choice import pack_on
from supervision.organisation import audit, plain_text
from supervision.web.form_errors import add_service_errors

FORM_TEMPLATE = "casework/children/form.html"
CHILD = "child"
CASELOAD = "caseload"
# Written by other parts of the casework; the child's page shows them once they exist.
TRANSFERS_PART = "casework/children/_transfers.html"
CLOSURE_PART = "casework/children/_closure.html"
RISK_WORDS = {
    RiskScale.RAG: "risk rating",
    RiskScale.SERIOUS_HARM: "risk of serious harm",
    RiskScale.SAFETY_WELLBEING: "safety and wellbeing",
}


def _audit_read(request, object_type: str, object_id, subject=None, **detail):
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type=object_type,
        object_id=object_id,
        subject=subject,
        detail=detail or None,
    )


def _refuse(request, object_type: str, object_id, wanted: str):
    refuse(
        request,
        object_type,
        object_id,
        answer=403,
        wanted=wanted,
        message="This is not yours to do.",
    )


def _template_exists(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def _child_url(child) -> str:
    return reverse("child", kwargs={"child_id": child.pk})


def _form_page(request, form, *, child=None, title, back_url, intro="", status=200):
    return render(
        request,
        FORM_TEMPLATE,
        {"form": form, "child": child, "title": title, "back_url": back_url, "intro": intro},
        status=status,
    )


def _bound(request):
    # An empty POST is still a POST: bind it so its errors show.
    return request.POST if request.method == "POST" else None


# --- Caseloads -------------------------------------------------------------------------------


@require_safe
@login_required
def caseload_mine(request):
    return redirect("caseload", person_id=request.user.pk)


def _caseload_page(request, person, *, load=None, errors=None, posted=None, status=200):
    load = load or selectors.caseload_for(person, request.user)
    # One query for every child's open flags and the worker's own, whatever the caseload size.
    flags = selectors_flags.caseload_flags(person, [row.child.pk for row in load.rows])
    for row in load.rows:
        row.flag_tags = flags["child_flag_tags"].get(row.child.pk, [])
        sent = (posted or {}).get(row.child.pk)
        if sent is not None:
            row.form_ticked, row.form_reason = sent["ticked"], sent["reason"]
        row.form_error = (errors or {}).get(f"reason-{row.child.pk}", "")
    _audit_read(request, CASELOAD, person.pk, subject=person)
    return render(
        request,
        "casework/children/caseload.html",
        {
            "person": person,
            "caseload": load,
            "is_own": is_self(request.user, person),
            "has_errors": bool(errors),
            "worker_flags": flags["worker_flags"],
        },
        status=status,
    )


@require_safe
@login_required
def caseload(request, person_id):
    person = get_caseload_owner_for_user(request, person_id)
    return _caseload_page(request, person)


@require_POST
@login_required
def caseload_discuss(request, person_id):
    """The supervisor ticks the children to discuss at the next case supervision."""
    person = get_caseload_owner_for_user(request, person_id)
    load = selectors.caseload_for(person, request.user)
    if not load.may_mark:
        _refuse(request, CASELOAD, person.pk, "mark for discussion")
    ticked = set(request.POST.getlist("discuss"))
    marks, unmarks, errors, posted = [], [], {}, {}
    for row in load.rows:
        if not row.may_mark:
            continue
        child = row.child
        key = str(child.pk)
        reason = request.POST.get(f"reason-{key}", "").strip()
        posted[child.pk] = {"ticked": key in ticked, "reason": reason}
        if key not in ticked:
            if row.marked:
                unmarks.append(child)
            continue
        if kind := plain_text.problem(reason, one_line=True):
            errors[f"reason-{key}"] = plain_text.message(kind, f"The reason for {child.reference}")
        elif len(reason) > child_services.REASON_LIMIT:
            errors[f"reason-{key}"] = (
                f"Enter a reason for {child.reference} of {child_services.REASON_LIMIT} "
                "characters or fewer"
            )
        elif not row.marked or reason != child.discuss_next_reason:
            marks.append((child, reason))
    if errors:
        return _caseload_page(request, person, load=load, errors=errors, posted=posted)
    try:
        child_services.caseload_marks_set(
            marks=marks, unmarks=unmarks, by=request.user, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("caseload", person_id=person.pk)
    if not marks and not unmarks:
        messages.info(request, "Nothing changed: the marks for discussion are as they were")
    else:
        messages.success(request, _marks_message(person, marks, unmarks))
    return redirect("caseload", person_id=person.pk)


def _marks_message(person, marks, unmarks) -> str:
    parts = []
    if marks:
        references = ", ".join(child.reference for child, _ in marks)
        parts.append(
            f"{references} marked for discussion at {person.full_name}'s next case supervision"
        )
    if unmarks:
        references = ", ".join(child.reference for child in unmarks)
        parts.append(f"{references} no longer marked")
    return ". ".join(parts)


@require_safe
@login_required
def caseload_print(request, person_id):
    """The caseload the worker prints and rates before supervision (as Surrey asks)."""
    person = get_caseload_owner_for_user(request, person_id)
    load = selectors.caseload_for(person, request.user)
    _audit_read(request, CASELOAD, person.pk, subject=person, format="print")
    return render(
        request,
        "casework/children/caseload_print.html",
        {
            "person": person,
            "caseload": load,
            "rows": load.for_print(),
            "printed_at": timezone.now(),
        },
    )


# --- Finding and allocating a child ----------------------------------------------------------


@require_safe
@login_required
def child_find(request):
    form = FindChildForm(request.GET if "reference" in request.GET else None)
    if form.is_bound and form.is_valid():
        text = form.cleaned_data["reference"]
        errors = services.reference_errors(text)
        if errors:
            add_service_errors(form, ValidationError(errors))
        else:
            reference = services.normalise_reference(text)
            child = restrict_children(request.user).filter(reference=reference).first()
            if child is not None:
                return redirect(_child_url(child))
            # Unknown and out of reach read the same, so a search never reveals that a child
            # exists; the audit keeps the attempt either way.
            audit.record(
                audit.AuditAction.DENIED,
                request=request,
                object_type="child_reference",
                object_id=reference,
                detail={"wanted": "find", "answer": 404},
            )
            form.add_error(
                "reference", f"There is no child with the reference {reference} that you can see"
            )
    return render(request, "casework/children/find.html", {"form": form})


@login_required
def child_new(request):
    """A team leader allocates a new child to a worker in one of their teams."""
    teams = teams_led_by(request.user)
    if not teams.exists():
        _refuse(request, "page", "child-new", "allocate a child")
    now = timezone.localtime()
    form = ChildNewForm(
        _bound(request),
        teams=teams,
        workers=selectors.case_holders_in(teams),
        initial={"allocated_on": now.date(), "allocated_time": now.strftime("%H:%M")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        team = data["team"]
        if not team_case_reach(request.user, team):
            form.add_error("team", "Choose one of the teams you lead")
        else:
            try:
                child = services.child_create(
                    reference=data["reference"],
                    initials=data["initials"],
                    name=data["name"],
                    date_of_birth=data["date_of_birth"],
                    service=data["service"],
                    plan=data["plan"],
                    unit=team,
                    worker=data["worker"],
                    allocated_at=data["allocated_at"],
                    rag_rating=data["rag_rating"],
                    serious_harm_level=data["serious_harm_level"],
                    safety_wellbeing_level=data["safety_wellbeing_level"],
                    by=request.user,
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(
                    form,
                    error,
                    {"allocated_at": "allocated_on", "unit": "team", "allocated_worker": "worker"},
                )
            else:
                now = timezone.now()
                due = selectors.allocation_tag(child.allocated_at, None, now, pack_on(now.date()))
                messages.success(
                    request,
                    f"{child.reference} ({child.initials}) allocated to "
                    f"{data['worker'].full_name}.{f' {due.text}' if due else ''}",
                )
                return redirect(_child_url(child))
    return _form_page(
        request,
        form,
        title="Allocate a new child",
        back_url=reverse("caseload-mine"),
        intro="Children are known here by their unique reference and initials. A new "
        "allocation is discussed with the worker within 24 hours.",
    )


# --- The child's page ------------------------------------------------------------------------


@require_safe
@login_required
def child_page(request, child_id):
    child, manages = get_child_for_user(request, child_id)
    user = request.user
    context = selectors.child_page(child, user)
    _audit_read(request, CHILD, child.pk)
    may_rate = may_rate_case(user, child, manages)
    links = {}
    if manages:
        links = {
            "case_supervision": selectors.safe_url(
                "case-note-new", "kind=case_supervision", child_id=child.pk
            ),
            "oversight": selectors.safe_url("case-note-new", child_id=child.pk),
            "transfer": selectors.safe_url("child-transfer", child_id=child.pk)
            if child.is_open
            else None,
            "close": selectors.safe_url("child-close", child_id=child.pk)
            if child.is_open
            else None,
        }
    return render(
        request,
        "casework/children/child.html",
        {
            **context,
            "child": child,
            "may_manage": manages,
            "may_rate": may_rate and child.is_open,
            "links": links,
            "today": timezone.localdate(),
            "has_transfers_part": _template_exists(TRANSFERS_PART),
            "has_closure_part": _template_exists(CLOSURE_PART),
        },
    )


@login_required
def child_edit(request, child_id):
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    initial = {name: getattr(child, name) for name in child_services.DETAIL_FIELDS}
    form = ChildEditForm(_bound(request), child=child, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = child_services.child_update(
                child=child, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if changed:
                messages.success(request, f"{child.reference}'s details saved")
            else:
                messages.info(request, "Nothing changed")
            return redirect(_child_url(child))
    elif request.method != "POST":
        _audit_read(request, CHILD, child.pk, page="edit")
    return _form_page(
        request,
        form,
        child=child,
        title=f"Change {child.reference}'s details",
        back_url=_child_url(child),
        intro=f"To move {child.reference} to another service, plan a transfer.",
    )


@login_required
def child_risk(request, child_id):
    child, _ = get_child_for_user(request, child_id, CaseAction.RATE)
    if not child.is_open:
        messages.error(request, f"{child.reference}'s case is closed: its risk is no longer rated")
        return redirect(_child_url(child))
    form = RiskForm(_bound(request), child=child)
    if request.method == "POST" and form.is_valid():
        try:
            made = child_services.risk_levels_set(
                child=child,
                levels=form.levels(),
                reason=form.cleaned_data["reason"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if made:
                words = ", ".join(
                    f"{RISK_WORDS[r.scale]} {r.get_level_display().lower()}" for r in made
                )
                messages.success(request, f"{child.reference}'s rating saved: {words}")
            else:
                messages.info(request, "Nothing changed: the levels are as they were")
            return redirect(_child_url(child))
    elif request.method != "POST":
        _audit_read(request, CHILD, child.pk, page="risk")
    scales = ", ".join(
        field.label.lower() for name, field in form.fields.items() if name in SCALE_FIELDS.values()
    )
    return _form_page(
        request,
        form,
        child=child,
        title=f"Change {child.reference}'s risk rating",
        back_url=_child_url(child),
        intro=f"{child.get_service_display()} rates: {scales}. Each change is kept in the "
        "child's risk history with who made it, when and why.",
    )


@login_required
def child_family(request, child_id):
    child, _ = get_child_for_user(request, child_id, CaseAction.MANAGE)
    form = FamilyLinkForm(_bound(request))
    field = "sibling_reference"
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data[field]
        errors = services.reference_errors(text, field)
        sibling = None
        if errors:
            add_service_errors(form, ValidationError(errors))
        else:
            reference = services.normalise_reference(text)
            sibling = restrict_children(request.user).filter(reference=reference).first()
            if sibling is None:
                form.add_error(
                    field, f"There is no child with the reference {reference} that you can see"
                )
        if sibling is not None:
            try:
                family = child_services.family_link(
                    child=child, sibling=sibling, by=request.user, request=request, field=field
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"{sibling.reference} linked to {child.reference} as family "
                    f"({family.reference})",
                )
                return redirect(_child_url(child))
    return _form_page(
        request,
        form,
        child=child,
        title=f"Link a brother or sister to {child.reference}",
        back_url=_child_url(child),
        intro="Brothers and sisters linked as one family are shown on each other's pages, and "
        "a front-door session counts them as one family.",
    )
