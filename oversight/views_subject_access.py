"""Subject access exports: for the person themself, or a system administrator acting on a
request. Nobody else, not even their supervisor: the export holds everything, personal
sections included, and is made for the person it is about."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from access.files import Action, restrict_files
from supervision.models import User

from . import audit
from .models import SubjectAccessExport
from .subject_access import EXPORT, subject_access_export_request


def _person_for_export(request, person_id) -> User:
    """The person, if the user may export their data: 404 to anyone who cannot read the file
    (so an id reveals nothing), 403 to those who can read it but may not export it. Both
    audited, as every refusal is."""
    user = request.user
    person = User.objects.filter(pk=person_id).first() if str(person_id).isdigit() else None
    if person is not None and (person.pk == user.pk or user.is_staff):
        return person
    readable = (
        person is not None and restrict_files(user, Action.VIEW).filter(pk=person.pk).exists()
    )
    audit.record(
        audit.AuditAction.DENIED,
        request=request,
        object_type=EXPORT,
        object_id=str(person_id)[:64],
        subject=person if readable else None,
        detail={"wanted": "subject_access", "answer": 403 if readable else 404},
    )
    if readable:
        raise PermissionDenied("Only the person themself or an administrator may export this.")
    raise Http404("No such person.")


def _export_for(person, export_id) -> SubjectAccessExport:
    return get_object_or_404(SubjectAccessExport, pk=export_id, person=person)


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
    person = _person_for_export(request, person_id)
    if request.method == "POST":
        subject_access_export_request(person=person, by=request.user, request=request)
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
            "is_self": person.pk == request.user.pk,
            "exports": [(export, _progress_payload(person, export)) for export in exports],
        },
    )


@login_required
@require_GET
def subject_access_progress(request, person_id, export_id):
    # Not audited: it says how far along the export is, nothing of what is in it, and the page
    # asks every few seconds.
    person = _person_for_export(request, person_id)
    export = _export_for(person, export_id)
    return JsonResponse(_progress_payload(person, export))


@login_required
@require_GET
def subject_access_download(request, person_id, export_id):
    person = _person_for_export(request, person_id)
    export = _export_for(person, export_id)
    if export.status != SubjectAccessExport.Status.DONE or not export.file:
        raise Http404("This export is not ready, or its file has been destroyed.")
    audit.record(
        audit.AuditAction.DOWNLOAD,
        request=request,
        object_type=EXPORT,
        object_id=export.pk,
        subject=person,
        detail={"sha256": export.sha256},
    )
    day = export.requested_at.date()
    response = FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"subject-access-{person.pk}-{day:%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store"
    return response
