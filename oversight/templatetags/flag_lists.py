"""`{% flag_items group show_subject %}`: a group's flags as the list items of
templates/oversight/flags/_flag_list.html, written here in one pass rather than by some ten
template variables and tags a flag (a supervisor of 65 has some 150 open flags in their team's
list, which took most of the home page's rendering)."""

import html
import re

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


# What html.escape changes: text without any of them is returned as it is, in one search
# rather than its five replacements (some 1,800 values on a supervisor's home page).
_SPECIAL = re.compile("[&<>\"']")


def esc(value) -> str:
    """django.utils.html.conditional_escape without its lazy-string wrapper, which cost more
    than the escaping here: the same text for a str, a number or a safe string."""
    kind = type(value)
    if kind is str:
        return html.escape(value) if _SPECIAL.search(value) else value
    if kind is int:
        return str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


@register.simple_tag
def flag_items(group, show_subject):
    """Each row as `<li>`, with the whitespace the template's loop gave it. `group`:
    oversight.flags.selectors.FlagGroup; `show_subject`: name the person or child."""
    hidden = f'<span class="govuk-visually-hidden">: {esc(group.label_lower)}</span>'
    items = []
    for row in group.rows:
        named = show_subject or row.about_child
        text = f"{esc(row.subject)}{hidden}" if named else esc(row.detail or row.label)
        detail = (
            f'<br><span class="govuk-body-s">{esc(row.detail)}</span>'
            if row.detail and named
            else ""
        )
        items.append(
            f'\n  <li><a class="govuk-link" href="{esc(row.url)}">{text}</a>\n'
            '    <strong class="govuk-tag govuk-tag--red">Overdue</strong>\n'
            '    <span class="govuk-hint govuk-!-display-inline">'
            f"due {esc(row.due_text)}, {esc(row.overdue_text)}</span>{detail}</li>\n  "
        )
    return mark_safe("".join(items))  # noqa: S308 - every value above is escaped
