"""Bar charts drawn on the server as SVG: no JavaScript, nothing to download, printable.

A chart is a picture of a table printed beside it, so the SVG is labelled for what it shows
and its figures are in the table, not read out bar by bar.
"""

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

WIDTH = 640
HEIGHT = 220
LEFT = 44
BOTTOM = 36
TOP = 14


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_text: str
    value_y: float


def _n(value: float) -> str:
    return f"{value:.1f}"


def _scale_top(values: list[float], percent: bool) -> float:
    if percent:
        return 100
    highest = max(values, default=0)
    if highest <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if highest <= step * 4:
            return step * 4
    return highest


@register.simple_tag
def bar_chart(points, title: str, chart_id: str, percent: bool = False):
    """`points`: (label, value) pairs; a value of None is drawn as no bar and said as "no data"."""
    points = list(points)
    values = [v for _, v in points if v is not None]
    top = _scale_top(values, percent)
    plot_height = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(points), 1)
    bars = []
    for i, (label, value) in enumerate(points):
        height = 0 if value is None else plot_height * value / top
        x = LEFT + i * slot + slot * 0.15
        y = TOP + plot_height - height
        text = "–" if value is None else (f"{value}%" if percent else f"{value:,}")
        bars.append(Bar(x, y, slot * 0.7, height, label, text, max(y - 3, TOP - 2)))
    ticks = [top * i / 4 for i in range(5)]
    # Written with f-strings, not format_html_join: six charts a page, and only the labels and
    # the title are text (escaped); the rest are numbers.
    grid = "".join(
        f'<line x1="{LEFT}" x2="{WIDTH}" y1="{_n(TOP + plot_height - plot_height * t / top)}" '
        f'y2="{_n(TOP + plot_height - plot_height * t / top)}" class="app-chart__grid"/>'
        f'<text x="{LEFT - 6}" y="{_n(TOP + plot_height - plot_height * t / top + 4)}" '
        'class="app-chart__axis" text-anchor="end">'
        f"{f'{int(t)}%' if percent else f'{int(t):,}'}</text>"
        for t in ticks
    )
    shapes = "".join(
        f'<rect x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.width)}" height="{_n(b.height)}" '
        'class="app-chart__bar"/>'
        f'<text x="{_n(b.x + b.width / 2)}" y="{_n(b.value_y)}" class="app-chart__value" '
        f'text-anchor="middle">{escape(b.value_text)}</text>'
        f'<text x="{_n(b.x + b.width / 2)}" y="{_n(HEIGHT - BOTTOM + 16)}" '
        f'class="app-chart__axis" text-anchor="middle">{escape(b.label)}</text>'
        for b in bars
    )
    chart_id = escape(chart_id)
    return mark_safe(  # noqa: S308 - every text above is escaped
        f'<svg class="app-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title" focusable="false" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)} (the table beside it gives the figures)'
        f"</title>{grid}{shapes}</svg>"
    )


@register.filter
def figure(figures, key):
    return figures.get(key)


@register.filter
def share(figures, key):
    return figures.share(key)


@register.simple_tag
def figure_url(row, key, query="", unit=None, person=None):
    """The list behind a figure of a row (a unit or a person), or of the page's own scope."""

    if row is not None and getattr(row, "person", None) is not None and row.unit is None:
        person = row.person
    if person is not None:
        url = reverse("dashboard-person-items", kwargs={"person_id": person.pk, "measure": key})
    else:
        target = row.unit if row is not None else unit
        url = reverse("dashboard-items", kwargs={"unit_id": target.pk, "measure": key})
    return url + query


@register.simple_tag
def row_url(row, query=""):
    if row.unit is not None:
        return reverse("dashboard-unit", kwargs={"unit_id": row.unit.pk}) + query
    if row.person is not None:
        return reverse("dashboard-person", kwargs={"person_id": row.person.pk}) + query
    return ""
