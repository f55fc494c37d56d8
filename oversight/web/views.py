from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from access.files import FILE, Action, get_file_for_user, restrict_files
from access.roles import role_required
from supervision.models.audit import AuditEvent
from supervision.organisation import audit

PAGE_SIZE = 50


def _page(request, events):
    events = events.select_related("actor", "subject").order_by("-sequence")
    return Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))


@role_required("senior_manager", "auditor")
def audit_log(request):
    """Who read or changed the files this person oversees (or has been granted)."""
    reach = restrict_files(request.user, Action.VIEW_ACCESS_LOG)
    events = AuditEvent.objects.filter(subject__in=reach.values("pk"))
    audit.record(audit.AuditAction.READ, request=request, object_type="audit_log")
    return render(request, "oversight/audit_log.html", {"page": _page(request, events)})


@login_required
def file_access_log(request, person_id):
    person, _ = get_file_for_user(request, person_id, Action.VIEW_ACCESS_LOG)
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type=f"{FILE}_access_log",
        object_id=person.pk,
        subject=person,
    )
    events = AuditEvent.objects.filter(subject=person)
    return render(
        request,
        "oversight/audit_log.html",
        {"page": _page(request, events), "person": person},
    )
