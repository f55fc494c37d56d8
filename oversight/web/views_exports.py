"""Downloading tables as CSV or XLSX (oversight/reports/exports.py has the tables and the writers).

Small tables come back at once; large ones are built by a Celery task while the person
watches a progress page. An export's status, progress and file are for the person who asked
for it only: anyone else gets a 404, audited as every refusal is.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from access.exports import own_export
from access.refusals import refuse
from oversight.models import Export
from oversight.reports import exports
from supervision import work
from supervision.organisation import audit

DEFAULT_INLINE_ROWS = 5000


def _refuse(request, *, object_id, detail: dict):
    audit.record(
        audit.AuditAction.DENIED,
        request=request,
        object_type=exports.OBJECT_TYPE,
        object_id=str(object_id)[:64],
        detail=detail,
    )


@login_required
@require_GET
def export_table(request, table, file_format):
    if file_format not in exports.FORMATS:
        refuse(request, exports.OBJECT_TYPE, table, wanted=file_format, message="No such format.")
    try:
        exports.registered(table)
    except LookupError:
        refuse(request, exports.OBJECT_TYPE, table, message="No such table.")
    params = request.GET.dict()
    try:
        built = exports.build(table, request.user, params)
    except (ValueError, ValidationError) as error:
        return render(
            request,
            "oversight/exports/bad_request.html",
            {"problems": exports.problems(error)},
            status=400,
        )
    except (Http404, PermissionDenied) as refusal:
        answer = 404 if isinstance(refusal, Http404) else 403
        _refuse(request, object_id=table, detail={"wanted": "export", "answer": answer})
        raise
    if built.count <= getattr(settings, "EXPORT_INLINE_ROWS", DEFAULT_INLINE_ROWS):
        content = exports.export_inline(
            table=built, file_format=file_format, params=params, request=request
        )
        response = HttpResponse(content, content_type=exports.FORMATS[file_format])
        name = exports.download_name(built.title, timezone.localdate(), file_format)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    export = exports.export_queue(
        table=built, file_format=file_format, params=params, by=request.user, request=request
    )
    return redirect("export-status", export_id=export.pk)


def _own_export(request, export_id) -> Export:
    """The export, if the signed-in person asked for it; otherwise 404, audited. Not even an
    administrator sees another person's: the file is a copy of what that person could see."""
    export = own_export(request.user, export_id)
    if export is None:
        refuse(request, exports.OBJECT_TYPE, export_id, wanted="export", message="No such export.")
    return export


@login_required
@require_GET
def export_status(request, export_id):
    export = _own_export(request, export_id)
    state = exports.progress_payload(export)
    retry = reverse(
        "export-table", kwargs={"table": export.table, "file_format": export.file_format}
    )
    if export.params:
        retry += "?" + urlencode(export.params)
    return render(
        request,
        "oversight/exports/status.html",
        {
            "export": export,
            "state": state,
            "format_label": export.file_format.upper(),
            "rows_text": f"{export.rows_done:,} of {export.rows_total or 0:,} rows",
            "retrying_at": export.not_before if export.status == Export.WAITING else None,
            "retry_url": retry,
        },
    )


@login_required
@require_POST
def export_try_again(request, export_id):
    # Only their own export, as for every other page of it.
    export = _own_export(request, export_id)
    work.try_again(export, by=request.user, request=request)
    return redirect("export-status", export_id=export.pk)


@login_required
@require_GET
def export_progress(request, export_id):
    # Not audited when it is their own: it says how far along the file is, nothing of what is
    # in it, and the page asks every few seconds.
    return JsonResponse(exports.progress_payload(_own_export(request, export_id)))


@login_required
@require_GET
def export_download(request, export_id):
    export = _own_export(request, export_id)
    if export.status != Export.Status.READY or not export.file_name:
        refuse(
            request,
            exports.OBJECT_TYPE,
            export.pk,
            message="This download is not ready, or was removed.",
        )
    try:
        file = default_storage.open(export.file_name, "rb")
    except FileNotFoundError:
        refuse(request, exports.OBJECT_TYPE, export.pk, message="This download has been removed.")
    audit.record(
        audit.AuditAction.DOWNLOAD,
        request=request,
        object_type=exports.OBJECT_TYPE,
        object_id=export.pk,
        detail={"table": export.table, "format": export.file_format, "rows": export.rows_done},
    )
    day = timezone.localtime(export.created_at).date()
    return FileResponse(
        file,
        as_attachment=True,
        filename=exports.download_name(export.title, day, export.file_format),
        content_type=exports.FORMATS[export.file_format],
    )
