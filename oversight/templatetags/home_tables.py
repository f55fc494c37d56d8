"""`{% supervisee_rows supervisees %}`: the rows of the supervisor's table on the home page
(templates/supervision/home/_supervisees.html), written in one pass from the rows the table has
prepared (oversight.reports.home.SuperviseeTable.display) rather than by some 25 template
variables and tags a row: for a supervisor of 65 that was most of the page's rendering."""

from django import template
from django.utils.safestring import mark_safe

from oversight.templatetags.flag_lists import esc

register = template.Library()


OVERDUE = ' <strong class="govuk-tag govuk-tag--red">Overdue</strong>'
CELL = '      <td class="govuk-table__cell">\n        {}\n      </td>\n'


def _due(row: dict) -> str:
    if not row["next_due"]:
        return '<span class="govuk-hint govuk-!-margin-bottom-0">Not due</span>'
    return (
        f'{esc(row["next_due"])}<br><span class="govuk-body-s">'
        f"{esc(row['next_due_phrase'])}</span>{OVERDUE if row['next_due_overdue'] else ''}"
    )


def _session(row: dict, name: str) -> str:
    if row["session_url"]:
        return (
            f'<a class="govuk-link" href="{esc(row["session_url"])}">{esc(row["next_session"])}</a>'
        )
    return (
        f'None booked<br><a class="govuk-link govuk-body-s" href="{esc(row["plan_url"])}">'
        f'Plan sessions<span class="govuk-visually-hidden"> for {name}</span></a>'
    )


def _items(row: dict, name: str) -> str:
    if not row["overdue_items"]:
        return "0"
    return (
        f'<a class="govuk-link" href="#flags-in-team">{esc(row["overdue_items"])}'
        f'<span class="govuk-visually-hidden"> overdue for {name}</span></a>{OVERDUE}'
    )


def _waiting(row: dict, name: str) -> str:
    by_supervisee, by_supervisor = row["by_supervisee"], row["by_supervisor"]
    # Four lines, as the template's four tags left them, empty where nothing is shown.
    return "\n        ".join(
        [
            (
                f'<a class="govuk-link" href="{esc(row["by_supervisee_url"])}">'
                f"{esc(by_supervisee)} waiting for {name}</a>"
                if by_supervisee
                else ""
            ),
            "<br>" if by_supervisee and by_supervisor else "",
            (
                f'<a class="govuk-link" href="{esc(row["by_supervisor_url"])}">'
                f"{esc(by_supervisor)} waiting for the supervisor"
                f'<span class="govuk-visually-hidden"> ({name})</span></a>'
                if by_supervisor
                else ""
            ),
            "0" if not by_supervisee and not by_supervisor else "",
        ]
    )


def _actions(row: dict, name: str) -> str:
    if not row["open_actions"]:
        return "0"
    actions = (
        f'<a class="govuk-link" href="{esc(row["actions_url"])}">{esc(row["open_actions"])}'
        f'<span class="govuk-visually-hidden"> open for {name}</span></a>'
    )
    if row["overdue_actions"]:
        actions += f'<br><span class="govuk-body-s">{esc(row["overdue_actions"])} overdue</span>'
    return actions


def _children(row: dict, name: str) -> str:
    if not row["children_due"]:
        if row["holds_cases"]:
            return "0"
        return '<span class="govuk-hint govuk-!-margin-bottom-0">No caseload</span>'
    children = (
        f'<a class="govuk-link" href="{esc(row["caseload_url"])}">{esc(row["children_due"])}'
        f'<span class="govuk-visually-hidden"> on {name}\'s caseload</span></a>'
    )
    if row["children_overdue"]:
        children += f'<br><span class="govuk-body-s">{esc(row["children_overdue"])} overdue</span>'
    return children


def _row(row: dict) -> str:
    name = esc(row["name"])
    kinds = "".join(
        f'<br><span class="govuk-body-s">{esc(kind)}</span>' for kind in row["relationships"]
    )
    cells = (
        _due(row),
        _session(row, name),
        _items(row, name),
        _waiting(row, name),
        _actions(row, name),
        _children(row, name),
    )
    return (
        f'\n    <tr class="govuk-table__row" id="supervisee-{esc(row["pk"])}">\n'
        f'      <th scope="row" class="govuk-table__header"><a class="govuk-link" '
        f'href="{esc(row["file_url"])}">{name}</a>{kinds}</th>\n'
        f'      <td class="govuk-table__cell">{esc(row["role"])}</td>\n'
        + "".join(CELL.format(cell) for cell in cells)
        + "    </tr>\n  "
    )


@register.simple_tag
def supervisee_rows(table):
    """The table's rows as `<tr>`s, with the whitespace the template's loop gave them."""
    return mark_safe("".join(_row(row) for row in table.display))  # noqa: S308 - all escaped


@register.simple_tag
def unit_items(units):
    """`{% unit_items overseen_units %}`: each unit overseen as `<li>`, with its kind and
    manager (a head of service oversees some 50: five template lookups a unit before)."""
    items = []
    for unit in units:
        manager = unit.manager
        managed = f", managed by {esc(manager.full_name)}" if manager else ""
        items.append(
            f'<li>{esc(unit.name)} <span class="govuk-hint govuk-!-display-inline">'
            f"({esc(str(unit.get_kind_display()).lower())}{managed})</span></li>"
        )
    return mark_safe("".join(items))  # noqa: S308 - every value above is escaped


@register.simple_tag
def link_items(lines):
    """`{% link_items work.upcoming %}`: lines of `url` and `text` as `<li>` links."""
    return mark_safe(  # noqa: S308 - every value is escaped
        "".join(
            f'<li><a class="govuk-link" href="{esc(line["url"])}">{esc(line["text"])}</a></li>'
            for line in lines
        )
    )
