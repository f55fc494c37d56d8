"""The senior managers' dashboard pages: a unit, a person, and the items behind a figure."""

from datetime import date, datetime, timedelta
from html import escape

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from access.refusals import refuse
from access.units import dashboard_tops, get_person_for_dashboard, get_unit_for_dashboard
from oversight.flags.selectors import Links, flag_subject, flag_url, overdue_text
from oversight.models import FEEDBACK_STATEMENTS, Flag
from oversight.policy.due import local_date
from oversight.reports import dashboard, dashboard_tables
from oversight.reports.concern_counts import concern_counts
from supervision.models import Unit
from supervision.organisation import audit

# --- Reach: access.units decides ----------------------------------------------------------


def _trail(tops, unit: Unit) -> list[Unit]:
    """The breadcrumb from the top of the viewer's reach down to `unit`: the units between
    them read in one query, none when there are none (a top's page, or a unit just below)."""
    top = next(t for t in tops if unit.path.startswith(t.path))
    ids = [int(part) for part in unit.path[len(top.path) - len(f"{top.pk}/") :].split("/") if part]
    by_id = {top.pk: top, unit.pk: unit}
    if missing := [i for i in ids if i not in by_id]:
        by_id.update(Unit.objects.in_bulk(missing))
    return [by_id[i] for i in ids if i in by_id]


# --- The date asked for --------------------------------------------------------------------------


class BadDate(ValueError):
    pass


def _asked_day(request, today: date) -> date | None:
    """?date=2026-03-05, or the three fields of the date form; None for today."""
    raw = request.GET.get("date", "").strip()
    parts = [request.GET.get(f"date-{p}", "").strip() for p in ("day", "month", "year")]
    if not raw and any(parts):
        if not all(parts):
            raise BadDate("Enter the date as a day, month and year, for example 5 3 2026")
        raw = f"{parts[2]}-{parts[1].zfill(2)}-{parts[0].zfill(2)}"
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadDate("Enter a real date, for example 5 3 2026") from None
    if day > today:
        raise BadDate("The date must be today or in the past")
    return day


def _when(request):
    now = timezone.now()
    today = local_date(now)
    error = ""
    try:
        day = _asked_day(request, today)
    except BadDate as problem:
        day, error = None, str(problem)
    at = dashboard.moment_for(day, now)
    is_now = at == now
    query = "" if is_now else f"?date={local_date(at).isoformat()}"
    return at, is_now, query, error, (day or today)


def _audit_read(request, object_type, object_id, at, **detail) -> None:
    audit.record(
        audit.AuditAction.READ,
        request=request,
        object_type=object_type,
        object_id=str(object_id),
        detail={"as_at": local_date(at).isoformat(), **detail},
    )


# --- Pages ---------------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard_start(request):
    tops = dashboard_tops(request)
    if len(tops) == 1:
        url = reverse("dashboard-unit", kwargs={"unit_id": tops[0].pk})
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)
    return render(request, "oversight/dashboard/start.html", {"units": tops})


def _page_context(request, tops, scope, trail):
    at, is_now, query, error, day = _when(request)
    board = dashboard.build(scope, at, is_now=is_now)
    scope_name = scope.person.full_name if scope.person else scope.unit.name
    sort = dashboard_tables.sort_rows(board, request.GET.get("sort"))
    return {
        "board": board,
        "sort": sort,
        "tables": dashboard_tables.tables(board, query, sort),
        "headlines": dashboard_tables.headlines(board),
        "charts": dashboard_tables.charts(board),
        "trend_lines": dashboard_tables.trend_lines(board),
        "by_role": dashboard_tables.by_role(board),
        "scope_name": scope_name,
        "unit": scope.unit,
        "person": scope.person,
        "trail": trail,
        "tops": tops,
        "query": query,
        "date_error": error,
        "day": day,
        "date_param": None if is_now else local_date(at),
        "measures": dashboard.MEASURES,
        "window_from": local_date(board.window_start) + timedelta(days=1),
    }


@login_required
@require_GET
def dashboard_unit(request, unit_id):
    tops = dashboard_tops(request)
    unit = get_unit_for_dashboard(request, tops, unit_id)
    context = _page_context(request, tops, dashboard.Scope(unit=unit), _trail(tops, unit))
    _audit_read(request, "dashboard_unit", unit.pk, context["board"].at)

    context["feedback_period"], context["feedback_rows"] = dashboard.feedback(
        context["board"].scope, context["board"].at
    )
    context["feedback_statements"] = [short for _, _, short in FEEDBACK_STATEMENTS]
    context["feedback_rows_html"] = dashboard_tables.feedback_rows_html(
        context["feedback_rows"], len(context["feedback_statements"])
    )
    context["concern_counts"] = concern_counts(context["board"])
    return render(request, "oversight/dashboard/unit.html", context)


@login_required
@require_GET
def dashboard_person(request, person_id):
    tops = dashboard_tops(request)
    profile = get_person_for_dashboard(request, tops, person_id)
    scope = dashboard.Scope(person=profile.user)
    context = _page_context(request, tops, scope, _trail(tops, profile.unit))
    board = context["board"]
    _audit_read(request, "dashboard_person", profile.user_id, board.at)
    items = dashboard.listed_flags(scope, board.at, timezone.localdate())
    context.update(
        profile=profile,
        person=profile.user,
        items=_flag_items(items, board.at),
        person_figures=dashboard_tables.person_figures(board, context["query"]),
    )
    return render(request, "oversight/dashboard/person.html", context)


def _flag_item(flag, at, links=None, labels=None) -> dict:
    """`links` (Links) and `labels` (`_kind_labels`): where a list is made, so neither is worked
    out again for each flag."""
    return {
        "flag": flag,
        "label": labels[flag.kind] if labels and flag.kind in labels else flag.get_kind_display(),
        "subject": flag_subject(flag),
        "url": flag_url(flag, may_plan=False, links=links),
        "overdue": overdue_text(flag, at) if flag.resolved_at is None else "",
    }


def _kind_labels() -> dict:
    """Each kind of flag's label, as `get_kind_display` gives it, in the request's language."""
    return {kind: str(label) for kind, label in Flag._meta.get_field("kind").flatchoices}


def _flag_items(flags, at) -> list[dict]:
    links, labels = Links(), _kind_labels()
    return [_flag_item(flag, at, links, labels) for flag in flags]


# A person's dashboard with this id in place of theirs: one reverse() for a list, not one a row.
_SOMEONE = 987654321


def _flag_rows(flags, at, query: str) -> list[dict]:
    """The items of a flag figure as the list shows them: plain values, worked out here rather
    than by a tag and filters in each row of a list that may be hundreds long."""
    page = reverse("dashboard-person", kwargs={"person_id": _SOMEONE})
    day, links, labels = _Days(), Links(), _kind_labels()
    return [
        {
            **_flag_item(flag, at, links, labels),
            "person_url": page.replace(str(_SOMEONE), str(flag.person_id)) + query,
            "due": day(flag.due),
            "since": day(flag.overdue_since),
            "resolved": day(flag.resolved_at),
        }
        for flag in flags
    ]


_CELL = '<td class="govuk-table__cell">'


def _flag_rows_html(rows: list[dict]) -> SafeString:
    """The rows of `_flag_rows` as the items table shows them, written at once rather than by
    the template's loop (a figure may list hundreds); `escape` is the standard library's, which
    Django's wraps (the same characters escaped the same way)."""
    parts = []
    for item in rows:
        flag = item["flag"]
        if flag.person_id:
            staff = (
                f'<a class="govuk-link" href="{escape(item["person_url"])}">'
                f"{escape(flag.person.full_name)}</a>"
            )
        else:
            staff = "No allocated worker"
        resolved = (
            f'<br><strong class="govuk-tag govuk-tag--grey">Put right {escape(item["resolved"])}'
            "</strong>"
            if flag.resolved_at
            else ""
        )
        parts.append(
            f'<tr class="govuk-table__row">\n    {_CELL}{staff}</td>\n'
            f"    {_CELL}{escape(item['subject']) if flag.child_id else ''}</td>\n"
            f'    {_CELL}<a class="govuk-link" href="{escape(item["url"])}">'
            f"{escape(flag.detail or item['label'])}</a></td>\n"
            f"    {_CELL}{escape(item['due'])}</td>\n"
            f"    {_CELL}{escape(item['since'])}{resolved}</td>\n  </tr>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


class _Days:
    """Days as the `date` filter writes them ("5 March 2026"), in the local time as a template
    would (`template_localtime`), for one list: the time zone read once, each day written once."""

    def __init__(self):
        self.zone = timezone.get_current_timezone() if settings.USE_TZ else None
        self.written: dict = {}

    def __call__(self, value) -> str:
        if value in (None, ""):
            return ""
        if (
            self.zone is not None
            and isinstance(value, datetime)
            and not timezone.is_naive(value)
            and getattr(value, "convert_to_local_time", True)
        ):
            value = value.astimezone(self.zone)
        key = (value.year, value.month, value.day)
        text = self.written.get(key)
        if text is None:
            text = self.written[key] = f"{value.day} {MONTHS[value.month]} {value.year:04d}"
        return text


def _items(request, scope, measure, trail, back_url, name, **ids):
    if measure not in dashboard.MEASURE_BY_KEY:
        refuse(request, "dashboard_figure", measure, message="No such figure.")
    at, is_now, query, error, day = _when(request)
    start = at - timedelta(days=dashboard.WINDOW_DAYS)
    kind, rows_html = "flags", ""
    if measure == dashboard.STAFF:
        rows, kind = dashboard.staff_items(scope, at), "staff"
    elif measure == dashboard.STAFF_ON_TIME:
        rows, kind = dashboard.staff_items(scope, at, on_time=True), "staff"
    elif measure in dashboard.RECORD_MEASURES:
        rows, kind = dashboard.record_items(scope, start, at, measure), "records"
    elif measure == dashboard.CANCELLATIONS:
        rows, kind = dashboard.cancellation_items(scope, start, at), "sessions"
    else:
        flags = dashboard.listed_flags(scope, at, timezone.localdate(), measure)
        rows = _flag_rows(flags, at, query)
        rows_html = _flag_rows_html(rows)
    rows = list(rows)
    _audit_read(request, f"dashboard_{name}_items", ids, at, measure=measure, count=len(rows))
    return render(
        request,
        "oversight/dashboard/items.html",
        {
            "measure": dashboard.MEASURE_BY_KEY[measure],
            "rows": rows,
            "rows_html": rows_html,
            "kind": kind,
            "trail": trail,
            "back_url": back_url,
            "query": query,
            "at": at,
            "is_now": is_now,
            "date_error": error,
            "day": day,
            "window_from": local_date(start) + timedelta(days=1),
            "scope_name": scope.person.full_name if scope.person else scope.unit.name,
            "person": scope.person,
            "unit": scope.unit,
            "date_param": None if is_now else local_date(at),
        },
    )


@login_required
@require_GET
def dashboard_items(request, unit_id, measure):
    tops = dashboard_tops(request)
    unit = get_unit_for_dashboard(request, tops, unit_id)
    back = reverse("dashboard-unit", kwargs={"unit_id": unit.pk})
    scope = dashboard.Scope(unit=unit)
    return _items(request, scope, measure, _trail(tops, unit), back, "unit", unit=unit.pk)


@login_required
@require_GET
def dashboard_person_items(request, person_id, measure):
    tops = dashboard_tops(request)
    profile = get_person_for_dashboard(request, tops, person_id)
    back = reverse("dashboard-person", kwargs={"person_id": profile.user_id})
    scope = dashboard.Scope(person=profile.user)
    trail = _trail(tops, profile.unit)
    return _items(request, scope, measure, trail, back, "person", person=profile.user_id)
