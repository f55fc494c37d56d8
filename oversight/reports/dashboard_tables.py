"""The dashboard as its pages show it: the tables and their cells, the headline figures, the
charts and their tables, the trend lines, and sorting. The figures come from
`oversight.reports.dashboard`; nothing here reads the database."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from oversight.models import FlagKind
from oversight.reports.dashboard import (
    CANCELLATIONS,
    FUNCTION_KEYS,
    FUNCTIONS_RECORDED,
    MEASURE_BY_KEY,
    MEASURES,
    RECORDS_FINALISED,
    REFLECTION,
    STAFF,
    STAFF_ON_TIME,
    WELLBEING,
    Dashboard,
    Figures,
    percent,
)

# --- What the pages show -------------------------------------------------------------------------

TABLES = (
    (
        "supervision",
        "Supervision of staff",
        [
            STAFF,
            STAFF_ON_TIME,
            FlagKind.SESSION_OVERDUE,
            FlagKind.RECORD_OVERDUE,
            FlagKind.SIGNOFF_OVERDUE,
            FlagKind.AGREEMENT_MISSING,
            FlagKind.AGREEMENT_REVIEW_OVERDUE,
            CANCELLATIONS,
            FlagKind.CANCELLATION_NOT_RESCHEDULED,
            FlagKind.ACTION_OVERDUE,
            FlagKind.SUPPORT_TIME_SHORT,
            FlagKind.SESSIONS_NOT_PLANNED_AHEAD,
        ],
    ),
    (
        "children",
        "Children and development",
        [
            FlagKind.CASE_REVIEW_OVERDUE,
            FlagKind.ALLOCATION_NOT_DISCUSSED,
            FlagKind.CLOSURE_WITHOUT_SUPERVISION,
            FlagKind.TRANSFER_NOT_PREPARED,
            FlagKind.GROUP_SUPERVISION_OVERDUE,
            FlagKind.COVER_NEEDED,
            FlagKind.OBSERVATION_DUE,
            FlagKind.DEVELOPMENT_PLAN_DUE,
            FlagKind.PROBATION_REVIEW_DUE,
            FlagKind.WELLBEING_PLAN_DUE,
        ],
    ),
    ("quality", "Quality of records", [RECORDS_FINALISED, REFLECTION, WELLBEING]),
    (
        "functions",
        "Functions of supervision covered in the last quarter",
        [FUNCTIONS_RECORDED, *FUNCTION_KEYS],
    ),
)
# What a table's figures count, where the caption cannot say it all.
NOTES = {
    "functions": "Of the records finalised in the last quarter that say which functions of "
    "supervision the session covered, how many covered each, with their share. A session need "
    "not cover all four; over a quarter a team's supervision should (Surrey 001 §1.1; Kent 004, "
    "Kent's Supervision Model). Records finalised before the record asked are not counted.",
}

HEADLINES = (
    STAFF_ON_TIME,
    FlagKind.SESSION_OVERDUE,
    FlagKind.RECORD_OVERDUE,
    FlagKind.SIGNOFF_OVERDUE,
    FlagKind.CASE_REVIEW_OVERDUE,
    FlagKind.ACTION_OVERDUE,
)

CHARTS = (
    ("on_time_percent", "Staff supervised on time", "Share", True),
    (FlagKind.SESSION_OVERDUE, "Supervision overdue", "Staff", False),
    (FlagKind.RECORD_OVERDUE, "Records not written within 2 working days", "Records", False),
    (FlagKind.SIGNOFF_OVERDUE, "Records not signed off", "Records", False),
    (
        FlagKind.CASE_REVIEW_OVERDUE,
        "Children not case-supervised in their cycle",
        "Children",
        False,
    ),
    ("reflection_percent", "Records finalised with reflection completed", "Share", True),
)


@dataclass(frozen=True)
class Cell:
    value: int
    url: str
    share: int | None  # a percentage shown beside the count, for the shares
    label: str  # what the figure counts, for the link's hidden text


@dataclass(frozen=True)
class TableRow:
    label: str
    url: str  # the row's own dashboard; "" for a row of nobody in particular
    cells: list[Cell]

    @property
    def cells_html(self) -> SafeString:
        return cells_html(self.cells, self.label)


_TD = '<td class="govuk-table__cell govuk-table__cell--numeric">'


def cells_html(cells: list[Cell], row_label: str) -> SafeString:
    """A row's cells as the page shows them, written here rather than by the template: a
    service's table is some thirty cells for each of hundreds of rows, and a template spends
    more on its variables than the database does on the figures. Every text is escaped."""
    row_label = escape(row_label)
    parts = []
    for cell in cells:
        parts.append(_TD)
        if cell.url:
            parts.append(
                f'<a class="govuk-link" href="{escape(cell.url)}">{cell.value}'
                f'<span class="govuk-visually-hidden"> {escape(cell.label)}: {row_label}'
                "</span></a>"
            )
        else:
            parts.append(str(cell.value))
        if cell.share is not None:
            parts.append(f' <span class="app-figures__share">({cell.share}%)</span>')
        parts.append("</td>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _cells(figures: Figures, keys, items_url: str) -> list[Cell]:
    """`items_url` holds the placeholder MEASURE: one reverse() per row, not per figure."""
    return [
        Cell(
            figures.get(key),
            items_url.replace("MEASURE", key) if items_url else "",
            figures.share(key),
            MEASURE_BY_KEY[key].label.lower(),
        )
        for key in keys
    ]


def tables(board: Dashboard, query: str = "", sort: str | None = None) -> list[dict]:
    """The tables by team and person, cell by cell, with the link behind every figure, and
    their headings sorting by each measure (`sort`: the measure sorted by)."""

    def urls(unit=None, person=None) -> tuple[str, str]:
        if unit is not None:
            page = reverse("dashboard-unit", kwargs={"unit_id": unit.pk})
            items = reverse("dashboard-items", kwargs={"unit_id": unit.pk, "measure": "MEASURE"})
        elif person is not None:
            page = reverse("dashboard-person", kwargs={"person_id": person.pk})
            items = reverse(
                "dashboard-person-items", kwargs={"person_id": person.pk, "measure": "MEASURE"}
            )
        else:
            return "", ""
        return page + query, items + query

    links = [urls(row.unit, row.person) for row in board.rows]
    own_items = urls(board.scope.unit, board.scope.person)[1]
    scope_name = board.scope.person.full_name if board.scope.person else board.scope.unit.name
    found = []
    for key, caption, keys in TABLES:
        total = _cells(board.totals, keys, own_items)
        found.append(
            {
                "id": key,
                "caption": caption,
                "note": NOTES.get(key, ""),
                "measures": [MEASURE_BY_KEY[m] for m in keys],
                "rows": [
                    TableRow(row.label, page, _cells(row.figures, keys, items))
                    for row, (page, items) in zip(board.rows, links, strict=True)
                ],
                "total": total,
                "total_html": cells_html(total, f"all of {scope_name}"),
                "sortable_head_html": _sortable_head(key, keys, query, sort),
            }
        )
    return found


def _sortable_head(table_id: str, keys, query: str, sort: str | None) -> SafeString:
    """A table's column headings, each sorting the rows by its measure, most first."""
    extra = f"&amp;{escape(query[1:])}" if query else ""
    parts = []
    for key in keys:
        measure = MEASURE_BY_KEY[key]
        sorted_by = ' aria-sort="descending"' if sort == key else ""
        parts.append(
            f'<th scope="col" class="govuk-table__header govuk-table__header--numeric"{sorted_by}>'
            f'<a class="govuk-link govuk-link--no-visited-state" href="?sort={escape(key)}{extra}'
            f'#{escape(table_id)}">{escape(measure.short)}<span class="govuk-visually-hidden">'
            ": sort by most first</span></a></th>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def headlines(board: Dashboard) -> list[dict]:
    found = []
    for key in HEADLINES:
        measure = MEASURE_BY_KEY[key]
        figure, note = f"{board.totals.get(key):,}", ""
        if key == STAFF_ON_TIME:
            share = board.totals.on_time_percent
            figure = "–" if share is None else f"{share}%"
            note = f"{board.totals.get(STAFF_ON_TIME):,} of {board.totals.get(STAFF):,} staff"
        found.append({"key": key, "label": measure.label, "figure": figure, "note": note})
    return found


def charts(board: Dashboard) -> list[dict]:
    found = []
    for key, title, column, is_percent in CHARTS:
        values = board.trends[key]
        found.append(
            {
                "id": f"chart-{key.replace('_', '-')}",
                "title": title,
                "column": column,
                "percent": is_percent,
                "points": [(m.short, v) for m, v in zip(board.months, values, strict=True)],
                "rows": [(m.label, v) for m, v in zip(board.months, values, strict=True)],
                "rows_html": _chart_rows(board.months, values, is_percent),
            }
        )
    return found


def _chart_rows(months, values, is_percent: bool) -> SafeString:
    """A chart's table of months, written at once (see `cells_html`)."""
    sign = "%" if is_percent else ""
    return mark_safe(  # noqa: S308 - the months' names escaped, numbers only
        "".join(
            '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header '
            f'app-trend__month">{escape(month.label)}</th>{_TD}'
            f"{'No data' if value is None else f'{value}{sign}'}</td></tr>"
            for month, value in zip(months, values, strict=True)
        )
    )


def person_figures(board: Dashboard, query: str = "") -> list[dict]:
    """A person's figures, but for their staff counts, with the list behind each."""
    person = board.scope.person
    items = reverse("dashboard-person-items", kwargs={"person_id": person.pk, "measure": "MEASURE"})
    return [
        {
            "label": measure.label,
            "url": items.replace("MEASURE", measure.key) + query,
            "value": board.totals.get(measure.key),
            "share": board.totals.share(measure.key),
        }
        for measure in MEASURES
        if measure.key not in (STAFF, STAFF_ON_TIME)
    ]


def trend_lines(board: Dashboard) -> list[dict]:
    lines = []
    for measure in MEASURES:
        if measure.key == STAFF_ON_TIME:
            lines.append({"label": measure.label, "values": board.trends[STAFF_ON_TIME]})
            lines.append(
                {
                    "label": "Share of staff supervised on time",
                    "values": board.trends["on_time_percent"],
                    "percent": True,
                }
            )
            continue
        label = measure.label.replace(" in the last quarter", " in the month")
        lines.append({"label": label, "values": board.trends[measure.key]})
    for line in lines:
        line["cells_html"] = _trend_cells(line["values"], line.get("percent", False))
    return lines


def _trend_cells(values, is_percent: bool) -> SafeString:
    """A trend line's months as the table shows them, written at once (see `cells_html`)."""
    sign = "%" if is_percent else ""
    return mark_safe(  # noqa: S308 - numbers only
        "".join(f"{_TD}{'–' if value is None else f'{value}{sign}'}</td>" for value in values)
    )


def feedback_rows_html(rows, statements: int) -> SafeString:
    """The rows of the supervisee feedback table, a unit's own staff each, written at once
    (see `cells_html`): a directorate has a row for each of its units."""
    parts = []
    for row in rows:
        parts.append(
            '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">'
            f"{escape(row.unit.name)}</th>"
        )
        if row.cell.too_few:
            parts.append(
                f'<td class="govuk-table__cell" colspan="{statements + 1}">'
                "Fewer than five answers: not shown</td>"
            )
        else:
            parts.append(f"{_TD}{escape(localize(row.cell.responses))}</td>")
            parts.extend(f"{_TD}{escape(localize(v))}</td>" for v in row.cell.averages or ())
        parts.append("</tr>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def by_role(board: Dashboard) -> list[tuple]:
    return [(role, staff, on, percent(on, staff)) for role, staff, on in board.by_role]


def sort_rows(board: Dashboard, key: str | None) -> str | None:
    """Rows with most of a measure first; unknown keys leave the order (units, then people)."""
    if key not in MEASURE_BY_KEY:
        return None
    board.rows.sort(key=lambda row: (-row.figures.get(key), row.label))
    return key
