"""Figures for business intelligence: flags (open and resolved), the compliance report as of
any moment (the same evaluation as `manage.py compliance`) and the dashboard's figures per
unit and month. Each over the token's units only."""

from datetime import datetime

from django.core.management.base import CommandError
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from access.api import flag_in_reach, top_units, unit_in_reach
from api.framework.views import ApiListView, ApiView
from api.models import Scope
from api.v1 import filters
from api.v1.described import ITEM_ERRORS, LIST_ERRORS, UPDATED_SINCE, errors
from api.v1.listing import ID, UNIT, narrowed
from oversight.flags.compliance import compliance_rows
from oversight.management.commands.compliance import parse_as_of
from oversight.models import Flag, FlagKind
from oversight.policy.choice import NoPolicyPack
from oversight.policy.due import local_date
from oversight.reports import dashboard
from supervision.models import Unit

FIGURES = (Scope.READ_FIGURES,)
TAGS = ["Figures"]


# --- Flags -----------------------------------------------------------------------------------


class FlagSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(
        source="person_id",
        allow_null=True,
        help_text="The member of staff it is about (or whose case it is), by person id.",
    )
    child = serializers.IntegerField(
        source="child_id", allow_null=True, help_text="The child it is about, by id, if any."
    )
    unit = serializers.IntegerField(
        source="unit_id",
        allow_null=True,
        help_text="For a child's or a team's flag, the unit it counts in; null for a member "
        "of staff's, which counts in their unit.",
    )
    state = serializers.SerializerMethodField(help_text="open or resolved.")

    class Meta:
        model = Flag
        fields = [
            "id",
            "kind",
            "state",
            "person",
            "child",
            "unit",
            "rule",
            "due",
            "due_at",
            "overdue_since",
            "raised_at",
            "resolved_at",
        ]
        extra_kwargs = {
            "kind": {"help_text": "What is overdue."},
            "rule": {"help_text": "The rule in docs/rules.md that raised it."},
            "due": {"help_text": "The day it was due."},
            "due_at": {"help_text": "The moment it was due, where the rule has one."},
            "overdue_since": {"help_text": "When it became overdue by the rules."},
            "raised_at": {"help_text": "When the scheduled job raised it."},
            "resolved_at": {"help_text": "When the fact that resolved it took effect."},
        }

    def get_state(self, flag) -> str:
        return "open" if flag.resolved_at is None else "resolved"


@extend_schema(
    summary="List flags",
    description="Overdue items, open and resolved, in the token's units: a member of staff's "
    "counts in their unit, a child's in the unit written on the flag. Rows are never deleted, "
    "so a resolved flag stays. Needs read_figures.",
    parameters=[
        UNIT,
        UPDATED_SINCE,
        OpenApiParameter(
            "state", OpenApiTypes.STR, enum=["open", "resolved"], description="Open or resolved."
        ),
        OpenApiParameter(
            "kind", OpenApiTypes.STR, enum=FlagKind.values, description="Only this kind."
        ),
        OpenApiParameter(
            "overdue_from",
            OpenApiTypes.DATE,
            description="Only flags overdue since this day or later (London).",
        ),
        OpenApiParameter(
            "overdue_before",
            OpenApiTypes.DATE,
            description="Only flags overdue since before this day (London).",
        ),
    ],
    responses={200: FlagSerializer(many=True), **errors(*LIST_ERRORS)},
    examples=[
        OpenApiExample(
            "Supervision overdue",
            value={
                "id": 501,
                "kind": "session_overdue",
                "state": "open",
                "person": 42,
                "child": None,
                "unit": None,
                "rule": "F1",
                "due": "2026-03-02",
                "due_at": None,
                "overdue_since": "2026-03-03T00:00:00Z",
                "raised_at": "2026-03-03T00:05:00Z",
                "resolved_at": None,
            },
            response_only=True,
        )
    ],
    tags=TAGS,
)
class FlagList(ApiListView):
    serializer_class = FlagSerializer
    scopes = FIGURES

    def get_queryset(self):
        state = filters.choice(self.request, "state", ["open", "resolved"])
        kind = filters.choice(self.request, "kind", FlagKind.values)
        since = filters.moment(self.request, "updated_since")
        overdue_from = filters.day(self.request, "overdue_from")
        overdue_before = filters.day(self.request, "overdue_before")
        unit_id = filters.whole_number(self.request, "unit")
        flags = Flag.objects.filter(flag_in_reach(self.reach())).only(*_FLAG_FIELDS)
        if unit_id is not None:
            path = Unit.objects.filter(pk=unit_id).values_list("path", flat=True).first()
            flags = flags.filter(flag_in_reach([path] if path else []))
        return narrowed(
            flags,
            Q(resolved_at__isnull=state == "open") if state else None,
            Q(kind=kind) if kind else None,
            # Raised, or seen resolved, since: a resolution dated earlier is still new to a
            # client that last looked before the job noticed it.
            Q(raised_at__gte=since) | Q(noticed_resolved_at__gte=since) if since else None,
            Q(overdue_since__gte=_start_of(overdue_from)) if overdue_from else None,
            Q(overdue_since__lt=_start_of(overdue_before)) if overdue_before else None,
        )


_FLAG_FIELDS = [
    "id",
    "kind",
    "person_id",
    "child_id",
    "unit_id",
    "rule",
    "due",
    "due_at",
    "overdue_since",
    "raised_at",
    "resolved_at",
]


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


# --- The compliance report -------------------------------------------------------------------


class ComplianceRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FlagKind.choices, help_text="What is overdue.")
    staff = serializers.CharField(
        help_text="The member of staff's email address (for a child, the allocated worker's "
        "at the moment; empty when none).",
        allow_blank=True,
    )
    case = serializers.CharField(
        allow_blank=True, help_text="The child's case reference, or empty for staff items."
    )
    due = serializers.CharField(help_text="When it was due: a date, or a moment in London time.")
    since = serializers.DateTimeField(help_text="When it became overdue (London time).")


class ComplianceSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(help_text="The moment the report is for.")
    rows = ComplianceRowSerializer(many=True, help_text="One row per overdue item.")


@extend_schema(
    summary="The compliance report as of a moment",
    description="Every item overdue at `as_of`, worked out from the facts dated up to then "
    "with the policy pack version in force that day: the same evaluation, and the same rows "
    "in the same order, as `manage.py compliance --as-of … --format json`. Over the token's "
    "units, or one of them. The whole report in one answer (not paged): it is one evaluation "
    "at one moment. Needs read_figures.",
    parameters=[
        OpenApiParameter(
            "as_of",
            OpenApiTypes.STR,
            description="A date (2026-03-05: the end of that day in London) or a date and time "
            "(2026-03-05T14:30, London time unless it carries an offset). Now when not given.",
        ),
        OpenApiParameter(
            "unit",
            ID,
            description="Only this unit and the units below it; it must be in the token's reach.",
        ),
    ],
    responses={200: ComplianceSerializer, **errors(400, *ITEM_ERRORS)},
    examples=[
        OpenApiExample(
            "One item overdue",
            value={
                "as_of": "2026-03-05T23:59:59.999999Z",
                "rows": [
                    {
                        "kind": "session_overdue",
                        "staff": "sam.patel@example.org",
                        "case": "",
                        "due": "2026-03-02",
                        "since": "2026-03-03T00:00:00+00:00",
                    }
                ],
            },
            response_only=True,
        )
    ],
    tags=TAGS,
)
class ComplianceReport(ApiView):
    serializer_class = ComplianceSerializer
    scopes = FIGURES
    pagination_class = None

    def get(self, request):
        raw = request.query_params.get("as_of")
        try:
            at = parse_as_of(raw) if raw is not None else timezone.now()
        except CommandError as error:
            raise ValidationError({"as_of": [str(error).removeprefix("--as-of: ")]}) from None
        filters.in_range("as_of", at)
        rows = []
        try:
            for unit in _units_asked(self, request):
                rows.extend(compliance_rows(at, unit))
        except NoPolicyPack as error:
            raise ValidationError({"as_of": [str(error)]}) from None
        # Each unit's rows come sorted; together they are sorted again the command's way.
        rows.sort(key=lambda r: (r.since, r.kind, r.staff, r.case, r.due))
        self.rows_returned = len(rows)
        return Response({"as_of": at.isoformat(), "rows": [row.as_dict() for row in rows]})


def _units_asked(view, request) -> list[Unit]:
    """The unit asked for (404 when outside the reach), else the reach's top units."""
    unit_id = filters.whole_number(request, "unit")
    if unit_id is None:
        return top_units(view.reach())
    unit = Unit.objects.filter(pk=unit_id).first()
    if not unit_in_reach(view.reach(), unit):
        raise NotFound("There is no such unit among this token's units.")
    return [unit]


# --- The dashboard's figures -----------------------------------------------------------------


class MeasureSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The figure's key in `totals` and `months`.")
    label = serializers.CharField(help_text="What it counts, as the dashboard says it.")
    group = serializers.CharField(help_text="The dashboard section it is in.")


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="The month, as YYYY-MM.")
    end = serializers.DateTimeField(
        help_text="The moment its figures are for: its last moment, or `as_of` for its month."
    )
    figures = serializers.DictField(
        child=serializers.IntegerField(allow_null=True),
        help_text="Each measure's figure at the month's end (a percentage may be null).",
    )


class UnitRowSerializer(serializers.Serializer):
    unit = serializers.IntegerField(help_text="A unit directly below.")
    figures = serializers.DictField(
        child=serializers.IntegerField(allow_null=True),
        help_text="Its figures as of `as_of`.",
    )


class UnitFiguresSerializer(serializers.Serializer):
    unit = serializers.IntegerField(help_text="The unit, covering every unit below it.")
    totals = serializers.DictField(
        child=serializers.IntegerField(allow_null=True),
        help_text="Each measure's figure as of `as_of`.",
    )
    months = MonthSerializer(many=True, help_text="The last twelve months, oldest first.")
    below = UnitRowSerializer(many=True, help_text="The units directly below, each its figures.")


class DashboardSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(help_text="The moment the figures are for.")
    measures = MeasureSerializer(many=True, help_text="What each key counts.")
    units = UnitFiguresSerializer(many=True, help_text="One entry per unit reported.")


@extend_schema(
    summary="The dashboard's figures per unit and month",
    description="The senior managers' dashboard as numbers: for a unit (or each of the "
    "token's units), every measure as of a day and at the end of each of the twelve months "
    "before, and the units directly below it. The same selectors as the dashboard pages, so "
    "the numbers agree. No rows for individual people. Needs read_figures.",
    parameters=[
        OpenApiParameter(
            "as_of",
            OpenApiTypes.DATE,
            description="The day (its end, London time); now when not given or today.",
        ),
        OpenApiParameter(
            "unit",
            ID,
            description="Only this unit (and below); it must be in the token's reach.",
        ),
    ],
    responses={200: DashboardSerializer, **errors(400, *ITEM_ERRORS)},
    examples=[
        OpenApiExample(
            "A service",
            value={
                "as_of": "2026-03-05T23:59:59.999999Z",
                "measures": [
                    {"key": "staff", "label": "Staff in post", "group": "Supervision of staff"}
                ],
                "units": [
                    {
                        "unit": 4,
                        "totals": {"staff": 31, "session_overdue": 2},
                        "months": [
                            {
                                "month": "2026-03",
                                "end": "2026-03-05T23:59:59.999999Z",
                                "figures": {"staff": 31, "session_overdue": 2},
                            }
                        ],
                        "below": [{"unit": 9, "figures": {"staff": 12, "session_overdue": 1}}],
                    }
                ],
            },
            response_only=True,
        )
    ],
    tags=TAGS,
)
class DashboardFigures(ApiView):
    serializer_class = DashboardSerializer
    scopes = FIGURES
    pagination_class = None

    def get(self, request):
        day = filters.day(request, "as_of")
        now = timezone.now()
        at = dashboard.moment_for(day, now)
        units = _units_asked(self, request)
        reported = [
            _unit_figures(dashboard.build(dashboard.Scope(unit=unit), at, is_now=at == now), unit)
            for unit in units
        ]
        self.rows_returned = len(reported)
        return Response(
            {
                "as_of": at.isoformat(),
                "measures": [
                    {"key": m.key, "label": m.label, "group": m.group} for m in dashboard.MEASURES
                ],
                "units": reported,
            }
        )


def _unit_figures(board, unit) -> dict:
    keys = [measure.key for measure in dashboard.MEASURES]
    return {
        "unit": unit.pk,
        "totals": {key: board.totals.get(key) for key in keys},
        "months": [
            {
                "month": local_date(month.at).strftime("%Y-%m"),
                "end": month.at.isoformat(),
                "figures": {
                    key: board.trends[key][index] if key in board.trends else None for key in keys
                },
            }
            for index, month in enumerate(board.months)
        ],
        "below": [
            {"unit": row.unit.pk, "figures": {key: row.figures.get(key) for key in keys}}
            for row in board.rows
            if row.unit is not None
        ],
    }
