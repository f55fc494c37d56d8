"""Tables people can download, as CSV or as a spreadsheet (XLSX).

A page offers a download by registering a builder under a name:

    @exports.register("supervision-compliance", title="Supervision compliance")
    def supervision_compliance(user, params: dict) -> exports.Table:
        unit = exports.param_int(params, "unit")        # BadParameter names it: a 400 page
        if not roles_for(user).senior_manager:
            raise PermissionDenied                      # a role without access: 403
        if unit not in overseen(user):
            raise Http404                               # outside the user's reach: 404
        rows = queryset.filter(...)
        return exports.Table(
            name="supervision-compliance",
            title="Supervision compliance",
            columns=[exports.Column("name", "Name"), exports.Column("due", "Next due")],
            rows=([r.name, r.due] for r in rows.iterator()),
            count=rows.count(),
        )

and putting `{% load exports %}{% export_links "supervision-compliance" unit=unit.pk %}` under
its table. The builder is called with the signed-in user and the query string, and called
again, with the same user and parameters, when a large export is built by the Celery task, so
reach is checked on the day the file is made, not only when it was asked for.

Rows are lists of plain values: str, int, float, Decimal, bool, date, datetime or None. They
may be a generator: `count` is needed up front so a progress bar can be shown.

Nothing from a cell goes into the audit log: only the table's name, the parameters, the format
and the number of rows.
"""

import codecs
import csv
import io
import logging
import re
import secrets
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from celery import shared_task
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from oversight.models import Export
from supervision import work
from supervision.organisation import audit

logger = logging.getLogger(__name__)

OBJECT_TYPE = "table_export"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PROGRESS_EVERY = 500
KEEP_FOR = timedelta(days=7)
DATE_FORMAT = "d mmmm yyyy"
DATETIME_FORMAT = "d mmmm yyyy hh:mm"


@dataclass
class Column:
    key: str
    heading: str
    # Characters wide in the spreadsheet; left out, it follows the heading.
    width: int | None = None


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: Iterable[list]
    count: int


class BadParameter(ValueError):
    """A query-string value a builder cannot use; the page names the parameter."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


Builder = Callable[[object, dict], Table]


@dataclass(frozen=True)
class Registered:
    name: str
    title: str
    builder: Builder


_registry: dict[str, Registered] = {}


def register(name: str, *, title: str | None = None):
    """Register `builder(user, params) -> Table` as the table `name` (a slug). `title` names
    the table in the download links' hidden text; it defaults to the name in words."""
    if slugify(name) != name:
        raise ValueError(f"A table name is a slug, such as 'supervision-compliance': {name!r}")

    def decorator(builder: Builder) -> Builder:
        label = title or name.replace("-", " ").capitalize()
        _registry[name] = Registered(name, label, builder)
        return builder

    return decorator


def registered(name: str) -> Registered:
    """The table registered as `name`; LookupError if there is none."""
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"No exportable table is registered as {name!r}.") from None


def build(name: str, user, params: dict) -> Table:
    return registered(name).builder(user, dict(params))


# --- Parameters -------------------------------------------------------------------------------


def param_int(params: dict, name: str, *, required: bool = True) -> int | None:
    value = (params.get(name) or "").strip()
    if not value:
        if required:
            raise BadParameter(name, "missing")
        return None
    if not value.isdigit():
        raise BadParameter(name, "not a whole number")
    return int(value)


def param_date(params: dict, name: str, *, required: bool = False) -> date | None:
    value = (params.get(name) or "").strip()
    if not value:
        if required:
            raise BadParameter(name, "missing")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadParameter(name, "not a date written like 2026-03-05") from None


def problems(error: ValueError | ValidationError) -> list[tuple[str, str]]:
    """(parameter, message) pairs to show on the 400 page."""
    if isinstance(error, BadParameter):
        return [(error.name, error.message)]
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return [(field, " ".join(messages)) for field, messages in error.message_dict.items()]
    if isinstance(error, ValidationError):
        return [("", " ".join(error.messages))]
    return [("", str(error))]


# --- Writing ----------------------------------------------------------------------------------

# OWASP "CSV injection": a spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    # openpyxl refuses control characters, and they mean nothing in a CSV either.
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _plain(value):
    """A value as both writers take it: text made safe, numbers and dates kept as they are,
    aware datetimes in London time without a zone (Excel has no time zones)."""
    if isinstance(value, bool):  # before numbers: a bool is an int to Python
        return "Yes" if value else "No"
    if value is None or isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value
    return _text(str(value))


ProgressCallback = Callable[[int], None]


def _rows(table: Table, progress: ProgressCallback | None, every: int):
    done = 0
    for row in table.rows:
        yield [_plain(value) for value in row]
        done += 1
        if progress and done % every == 0:
            progress(done)
    if progress:
        progress(done)


def write_csv(
    table: Table, file, *, progress: ProgressCallback | None = None, every=PROGRESS_EVERY
):
    """Write `table` to the binary `file` as UTF-8 CSV. The byte-order mark is what makes Excel
    read it as UTF-8 (without it, "£" and "é" come out garbled). Dates are ISO 8601, which
    Excel and every other program read as dates."""
    file.write(codecs.BOM_UTF8)
    text = io.TextIOWrapper(file, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        writer.writerow([_text(column.heading) for column in table.columns])
        for row in _rows(table, progress, every):
            writer.writerow([_csv_value(value) for value in row])
    finally:
        text.detach()  # leave the caller's file open


def _csv_value(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


_SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")


def sheet_title(title: str) -> str:
    """Excel's rules: at most 31 characters, none of \\ / ? * [ ] :, no apostrophe at either
    end."""
    return _SHEET_TITLE_FORBIDDEN.sub("", title)[:31].strip(" '") or "Export"


def write_xlsx(
    table: Table, file, *, progress: ProgressCallback | None = None, every=PROGRESS_EVERY
):
    """Write `table` to the binary `file` as one worksheet. Write-only mode streams rows to
    the file, so a large table never sits in memory as cell objects."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(table.title))
    # Widths and the frozen heading row must be set before the first row is written.
    for index, column in enumerate(table.columns, start=1):
        width = column.width or min(max(len(column.heading) + 4, 14), 60)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=_text(column.heading))
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in _rows(table, progress, every):
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    workbook.save(file)


def _xlsx_cell(sheet, value):
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
        return cell
    return value


WRITERS = {"csv": write_csv, "xlsx": write_xlsx}


def download_name(title: str, day: date, file_format: str) -> str:
    """ "supervision-compliance-5-march-2026.csv": letters, digits and hyphens only, so no
    browser or operating system has anything to object to."""
    stem = slugify(f"{title} {day.day} {day:%B %Y}") or "export"
    return f"{stem}.{file_format}"


# --- Services ---------------------------------------------------------------------------------


def _audit_detail(table: Table, file_format: str, params: dict, delivery: str) -> dict:
    # Parameters are ids and dates from a link; cut short in case someone typed a novel.
    kept = {str(key)[:40]: str(value)[:64] for key, value in list(params.items())[:20]}
    return {
        "table": table.name,
        "format": file_format,
        "params": kept,
        "rows": table.count,
        "delivery": delivery,
    }


def export_inline(*, table: Table, file_format: str, params: dict, request) -> bytes:
    """A small table, made within the request and audited as an export."""
    buffer = io.BytesIO()
    WRITERS[file_format](table, buffer)
    audit.record(
        audit.AuditAction.EXPORT,
        request=request,
        object_type=OBJECT_TYPE,
        object_id=table.name,
        detail=_audit_detail(table, file_format, params, "inline"),
    )
    return buffer.getvalue()


def export_queue(*, table: Table, file_format: str, params: dict, by, request=None) -> Export:
    """A large table: an Export row, audited, and the task queued once the row is committed
    (queued earlier, a fast worker could look for a row that is not there yet)."""
    with transaction.atomic():
        export = Export.objects.create(
            requested_by=by,
            table=table.name,
            params=params,
            file_format=file_format,
            title=table.title[:200],
            rows_total=table.count,
            created_at=timezone.now(),
        )
        audit.record(
            audit.AuditAction.EXPORT,
            request=request,
            actor=by,
            object_type=OBJECT_TYPE,
            object_id=export.pk,
            detail=_audit_detail(table, file_format, params, "queued"),
        )
        work.queue(export)
    return export


def _set(export_id: int, **fields) -> None:
    # A plain UPDATE, committed at once, so the polling page sees progress while the task runs.
    Export.objects.filter(pk=export_id).update(**fields)


def export_build(export_id: int) -> Export | None:
    """Build a queued export's file, for the task: taken under a lease (supervision.work), so
    a second delivery of the same task, or a second worker, does nothing while it is being
    built, and a build whose worker died is done again from the start, once. None if the
    export is gone."""
    remove_old_exports(timezone.now())
    work.run(Export, export_id, _make)
    return Export.objects.filter(pk=export_id).first()


def _make(export: Export) -> None:
    _set(export.pk, rows_done=0)
    try:
        table = build(export.table, export.requested_by, export.params)
    except (Http404, PermissionDenied) as refusal:
        # Their reach changed since they asked: the file is not made for them.
        audit.record(
            audit.AuditAction.DENIED,
            actor=export.requested_by,
            object_type=OBJECT_TYPE,
            object_id=export.pk,
            detail={
                "table": export.table,
                "answer": 404 if isinstance(refusal, Http404) else 403,
                "when": "building",
            },
        )
        raise work.PermanentFailure(
            "You no longer have access to this table, so the file was not made."
        ) from refusal
    _set(export.pk, rows_total=table.count)
    name = _write_file(export, table)
    if not work.finish(export, file_name=name):
        # Its lease ran out and another worker took it over: that one's file is the one.
        default_storage.delete(name)


def _write_file(export: Export, table: Table) -> str:
    def progress(done: int) -> None:
        _set(export.pk, rows_done=done)

    name = f"exports/{secrets.token_urlsafe(24)}.{export.file_format}"
    with tempfile.TemporaryFile() as scratch:
        WRITERS[export.file_format](table, scratch, progress=progress)
        scratch.seek(0)
        return default_storage.save(name, File(scratch, name=name))


def remove_old_exports(now: datetime) -> int:
    """Delete exports asked for more than seven days before `now`, with their files: they are
    copies of records, kept only long enough to be downloaded."""
    old = list(Export.objects.filter(created_at__lt=now - KEEP_FOR).values_list("pk", "file_name"))
    for _pk, file_name in old:
        if file_name:
            default_storage.delete(file_name)
    Export.objects.filter(pk__in=[pk for pk, _name in old]).delete()
    return len(old)


def progress_payload(export: Export) -> dict:
    ready = export.status == Export.Status.READY and bool(export.file_name)
    return {
        "status": export.status,
        "rows_done": export.rows_done,
        "rows_total": export.rows_total or 0,
        "percent": export.percent,
        "download_url": (
            reverse("export-download", kwargs={"export_id": export.pk}) if ready else None
        ),
    }


@shared_task(name="oversight.tasks.export_build")
def export_build_task(export_id: int) -> str | None:
    """Make the file of one large table download in the background; the status page polls its
    progress. The table is rebuilt for the person who asked, so their reach is checked again
    now. Running it twice builds the file once."""
    export = export_build(export_id)
    return export.status if export else None
