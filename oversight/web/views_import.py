"""The administrator's import page: upload the CSV files, see what they would do (nothing is
written), then confirm.

Between the check and the confirmation the files wait on the server, in a folder of their own
under MEDIA_ROOT/imports/ named by a random token that only this person's session holds, with
a SHA-256 of their contents. Confirming reads them back, checks them again against the
database as it is then, imports them in one transaction and deletes them. Nothing is kept in
the session but the token, and nothing in the folder is reachable by a URL. Folders left by a
check nobody confirmed are deleted an hour later, at the next upload.
"""

import hashlib
import secrets
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from access.roles import role_required
from oversight.records_management import importing
from oversight.web.forms_import import ImportConfirmForm, ImportUploadForm

SESSION_KEY = "import_upload"
KEEP_SECONDS = 60 * 60
TOKEN = set("0123456789abcdef")


def _imports_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _digest(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def _keep(request, files: dict[str, bytes]) -> None:
    _discard(request)
    root = _imports_root()
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        if old.is_dir() and time.time() - old.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
    token = secrets.token_hex(16)
    folder = root / token
    folder.mkdir(mode=0o700)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    request.session[SESSION_KEY] = {
        "token": token,
        "digest": _digest(files),
        "kept_at": time.time(),
    }


def _kept(request) -> dict[str, bytes] | None:
    kept = request.session.get(SESSION_KEY)
    if not kept or set(kept.get("token", "")) - TOKEN or len(kept.get("token", "")) != 32:
        return None
    if time.time() - kept.get("kept_at", 0) > KEEP_SECONDS:
        return None
    folder = _imports_root() / kept["token"]
    if not folder.is_dir():
        return None
    files = {
        path.name: path.read_bytes()
        for path in folder.iterdir()
        if path.is_file() and path.name in importing.COLUMNS
    }
    return files if _digest(files) == kept["digest"] else None


def file_columns() -> list[dict]:
    """Each file's columns as the importer reads them (importing.COLUMNS, the one source),
    for the page, so nobody is sent to read the README to know what to put in them."""
    return [
        {
            "name": name,
            "label": importing.LABELS[name],
            "columns": [
                {
                    "name": column,
                    "required": required,
                    "multi_line": column in importing.MULTI_LINE_COLUMNS,
                }
                for column, required in columns.items()
            ],
        }
        for name, columns in importing.COLUMNS.items()
    ]


def _discard(request) -> None:
    kept = request.session.pop(SESSION_KEY, None)
    token = (kept or {}).get("token", "")
    if len(token) == 32 and not set(token) - TOKEN:
        shutil.rmtree(_imports_root() / token, ignore_errors=True)


def _ready(counts: dict[str, dict[str, int]]) -> str:
    parts = [
        f"{c[importing.CREATE] + c[importing.UPDATE]} {importing.LABELS[name]}"
        for name, c in counts.items()
        if c[importing.CREATE] + c[importing.UPDATE]
    ]
    if not parts:
        return "Nothing to import: everything in these files is already recorded."
    return "Ready to import: " + ", ".join(parts) + "."


def _refused(request, form, problems):
    return render(
        request,
        "oversight/import/upload.html",
        {"form": form, "problems": problems, "files": file_columns()},
    )


@require_http_methods(["GET", "POST"])
@role_required("system_admin")
def import_upload(request):
    form = ImportUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        _discard(request)
        files, problems = importing.read_uploads(form.cleaned_data["files"])
        if problems:
            return _refused(request, ImportUploadForm(), problems)
        try:
            plan = importing.import_files(files, dry_run=True)
        except importing.ImportRefused as refused:
            return _refused(request, ImportUploadForm(), refused.problems)
        _keep(request, files)
        counts = plan.counts()
        rows = [{"name": name, "label": importing.LABELS[name], **c} for name, c in counts.items()]
        return render(
            request,
            "oversight/import/check.html",
            {
                "ready": _ready(counts),
                "rows": rows,
                "job_roles": sorted(plan.new_job_roles),
                "form": ImportConfirmForm(),
            },
        )
    return render(request, "oversight/import/upload.html", {"form": form, "files": file_columns()})


@require_POST
@role_required("system_admin")
def import_confirm(request):
    files = _kept(request)
    if files is None:
        _discard(request)
        messages.error(request, "Upload the files again: the check has expired.")
        return redirect("import-upload")
    try:
        plan = importing.import_files(files, by=request.user, request=request)
    except importing.ImportRefused as refused:
        # Something changed in the database since the check.
        _discard(request)
        return _refused(request, ImportUploadForm(), refused.problems)
    _discard(request)
    lines = importing.summary_lines(plan.counts(), done=True)
    messages.success(request, "Imported. " + "; ".join(lines) + ".")
    return redirect("import-upload")
