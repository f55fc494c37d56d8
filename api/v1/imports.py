"""POST /api/v1/imports/: the import's files, as JSON rows or uploaded CSV, through the same
checks and the same all-or-nothing write as `import_data` and the administrators' upload page
(importing.import_files, the one way in), limited to the token's units.

The rows are counted in the call's audit entry and the import's own; their content never is.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from access.api_writes import import_reach
from api.framework.calls import _CallSeenByAudit
from api.framework.problems import PROBLEM_TYPE, ProblemSerializer, problem
from api.framework.views import ApiView
from api.models import Scope
from api.v1.described import errors
from oversight.records_management import importing

FILES_HELP = (
    "Any of the nine files, each named with or without `.csv` (`staff` or `staff.csv`), each "
    "a list of rows. A row is an object whose keys are the file's CSV column names (README, "
    "Importing your data); a key left out is an empty cell. Values are text, as in the CSV; "
    "numbers, true/false (read as yes/no) and null (empty) are read too."
)
YES = {"true", "yes", "1", "on"}
NO = {"false", "no", "0", "off", ""}


def _row_serializer(name: str) -> type[serializers.Serializer]:
    """A file's row, for the description: one field per column of importing.COLUMNS."""
    fields = {
        column: serializers.CharField(
            required=required,
            allow_blank=not required,
            allow_null=not required,
            help_text=(
                f"{importing.LABELS[name].capitalize()}: the {column.replace('_', ' ')}"
                + (" (required)" if required else "")
                + (
                    " (may run over several lines)"
                    if column in importing.MULTI_LINE_COLUMNS
                    else ""
                )
                + "."
            ),
        )
        for column, required in importing.COLUMNS[name].items()
    }
    title = "".join(part.capitalize() for part in name.removesuffix(".csv").split("_"))
    return type(f"Import{title}Row", (serializers.Serializer,), fields)


ImportFilesSerializer = type(
    "ImportFilesSerializer",
    (serializers.Serializer,),
    {
        name.removesuffix(".csv"): serializers.ListField(
            child=_row_serializer(name)(),
            required=False,
            help_text=f"The rows of {name} ({importing.LABELS[name]}).",
        )
        for name in importing.FILE_NAMES
    },
)


class ImportRequestSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(
        default=False,
        help_text="Check everything and say what would change, writing nothing.",
    )
    files = ImportFilesSerializer(help_text=FILES_HELP)


class ImportUploadSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(
        default=False, help_text="true: check the files and write nothing."
    )
    files = serializers.ListField(
        child=serializers.FileField(),
        help_text="The CSV files (units.csv, staff.csv, ...) or one .zip holding them, each "
        "under the form field `files`; saved as CSV UTF-8, up to 20 MB each.",
    )


class FileCountsSerializer(serializers.Serializer):
    create = serializers.IntegerField(help_text="Rows that make a new record.")
    update = serializers.IntegerField(help_text="Rows that change a recorded one.")
    unchanged = serializers.IntegerField(help_text="Rows already recorded as they are.")


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(help_text="true: nothing was written.")
    imported = serializers.BooleanField(help_text="true: everything was written, in one go.")
    rows = serializers.IntegerField(help_text="How many rows the files held.")
    files = serializers.DictField(
        child=FileCountsSerializer(),
        help_text="Per file given (units.csv, staff.csv, ...): what its rows did, or would do.",
    )
    job_roles_created = serializers.ListField(
        child=serializers.CharField(),
        help_text="Codes of job roles staff.csv named that did not exist, made (or to be made).",
    )


class RowProblemSerializer(serializers.Serializer):
    file = serializers.CharField(help_text="The file, such as staff.csv; empty for the request.")
    row = serializers.IntegerField(
        allow_null=True,
        help_text="The row as in the CSV: the header is row 1, the first row of data row 2 "
        "(for JSON, the first object in the list is row 2). Null: the whole file.",
    )
    column = serializers.CharField(help_text="The column (JSON key) at fault, or empty.")
    message = serializers.CharField(help_text="What is wrong and what to do.")
    value = serializers.CharField(help_text="The value found, where it helps; else empty.")


class ImportRefusedSerializer(ProblemSerializer):
    problems = RowProblemSerializer(many=True, help_text="Every problem found, in file order.")


DONE_EXAMPLE = {
    "dry_run": False,
    "imported": True,
    "rows": 3,
    "files": {
        "staff.csv": {"create": 1, "update": 1, "unchanged": 0},
        "allocations.csv": {"create": 1, "update": 0, "unchanged": 0},
    },
    "job_roles_created": [],
}
REFUSED_EXAMPLE = {
    "type": "about:blank",
    "title": "The files have problems: nothing was imported",
    "status": 422,
    "detail": "1 problem found: nothing was imported.",
    "problems": [
        {
            "file": "staff.csv",
            "row": 3,
            "column": "start_date",
            "message": "Enter a date such as 2026-03-05",
            "value": "31/02/2026",
        }
    ],
}
REQUEST_EXAMPLE = {
    "dry_run": True,
    "files": {
        "staff": [
            {
                "email": "sam.lee@council.example",
                "full_name": "Sam Lee",
                "job_role": "social-worker",
                "unit_code": "assessment-north",
                "start_date": "2026-12-07",
            }
        ],
        "allocations": [
            {
                "reference": "NS104231",
                "worker_email": "sam.lee@council.example",
                "unit_code": "assessment-north",
                "allocated_at": "2026-12-07 09:00",
            }
        ],
    },
}


def bad_request(description: str, field: str, message: str) -> dict:
    """A 400 described for a write route, its example naming one of the route's own fields."""
    return {
        (400, PROBLEM_TYPE): OpenApiResponse(
            ProblemSerializer,
            description=description,
            examples=[
                OpenApiExample(
                    "A field at fault",
                    value={
                        "type": "about:blank",
                        "title": "The request is not valid",
                        "status": 400,
                        "detail": message,
                        "errors": {field: [message]},
                    },
                    response_only=True,
                )
            ],
        )
    }


def _flag(value, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in YES | NO:
        return value.strip().lower() in YES
    raise ValidationError({name: ["Enter true or false."]})


def _refused(problems: list[importing.Problem]):
    response = problem(
        422,
        f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found: nothing was imported.",
    )
    response.data["title"] = "The files have problems: nothing was imported"
    response.data["problems"] = [
        {"file": p.file, "row": p.row, "column": p.column, "message": p.message, "value": p.value}
        for p in problems
    ]
    return response


def _length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def rows_given(files: dict) -> int:
    """Rows in the files, to count in the audit (their content is never recorded)."""
    total = 0
    for name, data in files.items():
        table, _ = importing.parse_table(name, data)
        total += len(table.rows) if table else 0
    return total


@extend_schema(
    summary="Import staff, units, supervision and casework feeds",
    description=(
        "The nightly feeds from HR and case-management systems: the same files as "
        "`manage.py import_data` and Administration → Import (units, staff, relationships, "
        "agreements, sessions, cases, allocations, risk_ratings, case_supervisions), checked "
        "by the same code. Everything is checked first; either every row is written, in one "
        "transaction, or none is (422 with every problem, naming the file, row and column). "
        "Rows are matched by natural keys (emails, unit codes, child references), so sending "
        "the same files again changes nothing. With `dry_run` nothing is written and the "
        "answer says what would be created, updated or left unchanged.\n\n"
        "Send JSON (`files`: each file's rows as objects keyed by its CSV column names), or "
        "`multipart/form-data` with the CSV files (or one .zip) under `files` and `dry_run` as "
        "a form field. A body may be up to 60 MB, and each file 20 MB.\n\n"
        "Needs write_imports. Every row must lie within the token's units and those below: a "
        "row naming a unit, a member of staff or a child elsewhere is refused on that row. A "
        "new unit must sit under one of them. Choosing a policy pack is not offered here."
    ),
    request={
        "application/json": ImportRequestSerializer,
        "multipart/form-data": ImportUploadSerializer,
    },
    responses={
        200: OpenApiResponse(
            ImportResultSerializer,
            description="Imported, or (dry_run) checked: what each file's rows did or would do.",
            examples=[OpenApiExample("Imported", value=DONE_EXAMPLE, response_only=True)],
        ),
        (422, PROBLEM_TYPE): OpenApiResponse(
            ImportRefusedSerializer,
            description="The files have problems: nothing was written. `problems` lists each.",
            examples=[OpenApiExample("A bad date", value=REFUSED_EXAMPLE, response_only=True)],
        ),
        (413, PROBLEM_TYPE): OpenApiResponse(
            ProblemSerializer, description="The body is over 60 MB: import the files in parts."
        ),
        **errors(401, 403, 429),
        **bad_request(
            "The body is not of the shape described: `errors` names the field (`files`, "
            "`dry_run` or `body`).",
            "files",
            'Give each file\'s rows by its name, such as {"staff": [...]}.',
        ),
    },
    examples=[OpenApiExample("Dry run of a new starter", value=REQUEST_EXAMPLE, request_only=True)],
    tags=["Imports"],
)
class ImportCreate(ApiView):
    scopes = (Scope.WRITE_IMPORTS,)
    parser_classes = [JSONParser, MultiPartParser]
    serializer_class = ImportResultSerializer

    def post(self, request):
        # Checked before anything is read: DRF reads a JSON body whole, whatever its size.
        if _length(request) > importing.MAX_ZIP_BYTES:
            return problem(413, "The body is larger than 60 MB: import the files in parts.")
        try:
            data = request.data
        except ParseError as error:
            raise ValidationError({"body": [str(error.detail)]}) from None
        uploads = request.FILES.getlist("files") if request.FILES else []
        if uploads:
            dry_run = _flag(data.get("dry_run", False), "dry_run")
            files, problems = importing.read_uploads([(u.name, u.read()) for u in uploads])
        else:
            if not isinstance(data, dict):
                raise ValidationError({"body": ["Send an object with `files` (and `dry_run`)."]})
            dry_run = _flag(data.get("dry_run", False), "dry_run")
            given = data.get("files")
            if not isinstance(given, dict) or not given:
                raise ValidationError(
                    {"files": ['Give each file\'s rows by its name, such as {"staff": [...]}.']}
                )
            files, problems = importing.read_rows(given)
        if problems:
            return _refused(problems)
        self.rows_returned = rows_given(files)
        try:
            plan = importing.import_files(
                files,
                dry_run=dry_run,
                request=_CallSeenByAudit(request._request),
                reach=import_reach(self.account),
                audit_detail={
                    "service_account": self.account.pk,
                    "token": request.user.token.prefix,
                },
            )
        except importing.ImportRefused as refused:
            return _refused(refused.problems)
        return Response(
            {
                "dry_run": dry_run,
                "imported": not dry_run,
                "rows": self.rows_returned,
                "files": plan.counts(),
                "job_roles_created": sorted(plan.new_job_roles),
            }
        )
