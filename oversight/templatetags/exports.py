"""`{% export_links "table-name" unit=unit.pk date=day %}`: the two download links UX.md asks
for under a table. Keyword arguments become the query string the table's builder reads."""

from datetime import date

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from oversight.reports.exports import registered

register = template.Library()


def _query_value(value) -> str:
    if isinstance(value, date):
        return value.isoformat()  # what exports.param_date reads
    return str(getattr(value, "pk", value))  # a model instance stands for its id


@register.inclusion_tag("oversight/exports/links.html")
def export_links(table: str, **params):
    # An unknown name is a mistake in the template: better a loud error in development than
    # two links that 404.
    title = registered(table).title
    query = urlencode({k: _query_value(v) for k, v in params.items() if v not in (None, "")})
    suffix = f"?{query}" if query else ""
    return {
        "title": title,
        "csv_url": reverse("export-table", kwargs={"table": table, "file_format": "csv"}) + suffix,
        "xlsx_url": reverse("export-table", kwargs={"table": table, "file_format": "xlsx"})
        + suffix,
    }
