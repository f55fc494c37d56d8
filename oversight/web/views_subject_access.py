"""Subject access exports: for the person themself, or an information governance officer who
gives a reason; never a system administrator. Who may is decided in `access.subject_access`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.refusals import audited_list, refuse
from access.subject_access import (
    get_export,
    get_person_for_subject_access,
    people_for_requests,
    refuse_unless_answering_requests,
)
from oversight.models import SubjectAccessExport
from oversight.records_management.subject_access import EXPORT, subject_access_export_request
from oversight.web.forms_subject_access import SubjectAccessRequestForm
from supervision import work
from supervision.organisation import audit
from supervision.web.form_errors import add_service_errors


def _progress_payload(person, export) -> dict:
    done = export.status == SubjectAccessExport.Status.DONE and bool(export.file)
    return {
        "status": export.status,
        "status_label": export.get_status_display(),
        "progress": export.progress,
        "download_url": (
            reverse(
                "subject-access-download",
                kwargs={"person_id": person.pk, "export_id": export.pk},
            )
            if done
            else None
        ),
    }


@login_required
@require_http_methods(["GET", "POST"])
def subject_access(request, person_id):
    reach = get_person_for_subject_access(request, person_id)
    person = reach.person
    form = SubjectAccessRequestForm(
        request.POST if request.method == "POST" else None, needs_reason=reach.needs_reason
    )
    if request.method == "POST" and form.is_valid():
        try:
            subject_access_export_request(
                person=person,
                by=request.user,
                reason=form.cleaned_data.get("reason", ""),
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                "The export has started. It can take a few minutes for a long file.",
            )
            return redirect("subject-access", person_id=person.pk)
    exports = SubjectAccessExport.objects.filter(person=person).select_related("requested_by")
    return render(
        request,
        "oversight/subject_access/exports.html",
        {
            "person": person,
            "is_self": reach.is_self,
            "form": form,
            "exports": [(export, _progress_payload(person, export)) for export in exports],
        },
    )


@login_required
@require_GET
def subject_access_progress(request, person_id, export_id):
    # Not audited: it says how far along the export is, nothing of what is in it, and the page
    # asks every few seconds.
    person = get_person_for_subject_access(request, person_id).person
    export = get_export(request, person, export_id)
    return JsonResponse(_progress_payload(person, export))


@login_required
@require_POST
def subject_access_try_again(request, person_id, export_id):
    person = get_person_for_subject_access(request, person_id).person
    export = get_export(request, person, export_id)
    if work.try_again(export, by=request.user, request=request):
        messages.success(request, "The export has started again.")
    return redirect("subject-access", person_id=person.pk)


@login_required
@require_GET
def subject_access_download(request, person_id, export_id):
    person = get_person_for_subject_access(request, person_id).person
    export = get_export(request, person, export_id, ready=True)
    try:
        file = export.file.open("rb")
    except FileNotFoundError:
        refuse(
            request,
            EXPORT,
            export.pk,
            subject=person,
            wanted="download",
            message="The file of this export is missing. Ask for a new export.",
        )
    audit.record(
        audit.AuditAction.DOWNLOAD,
        request=request,
        object_type=EXPORT,
        object_id=export.pk,
        subject=person,
        detail={"sha256": export.sha256, **({"reason": export.reason} if export.reason else {})},
    )
    day = export.requested_at.date()
    response = FileResponse(
        file,
        as_attachment=True,
        filename=f"subject-access-{person.pk}-{day:%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store"
    return response


SHORTEST_SEARCH = 2
MOST_FOUND = 50


@login_required
@require_GET
def subject_access_requests(request):
    """Information governance finds the person a subject access request is about, by name or
    email, leavers included, and goes to their export page."""
    refuse_unless_answering_requests(request)
    query = " ".join(request.GET.get("q", "").split())
    error = ""
    people = []
    if "q" in request.GET:
        if len(query) < SHORTEST_SEARCH:
            error = "Enter at least 2 letters of the person's name or email address"
        else:
            people = list(people_for_requests(query)[: MOST_FOUND + 1])
            # The search words are not written down: they may be a name; the count is.
            audited_list(request, "subject access search", count=len(people[:MOST_FOUND]))
    return render(
        request,
        "oversight/subject_access/requests.html",
        {
            "query": query,
            "error": error,
            "searched": "q" in request.GET and not error,
            "people": people[:MOST_FOUND],
            "more": len(people) > MOST_FOUND,
            "most": MOST_FOUND,
        },
    )
