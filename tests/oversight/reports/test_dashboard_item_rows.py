"""The items page writes a flag figure's rows in the view (views_dashboard._flag_rows_html)
rather than by the template's loop: the same HTML as that loop, for every case it had."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.template import Context, Template
from django.template.defaultfilters import date as date_filter
from django.utils.timezone import template_localtime

from casework.models import Child
from oversight.models import Flag, FlagKind
from oversight.web.views_dashboard import _Days, _flag_rows, _flag_rows_html
from supervision.models import User

# The rows as templates/oversight/dashboard/items.html wrote them before.
LOOP = Template(
    """{% for item in rows %}<tr class="govuk-table__row">
    <td class="govuk-table__cell">{% if item.flag.person_id %}<a class="govuk-link" href="{{ item.person_url }}">{{ item.flag.person.full_name }}</a>{% else %}No allocated worker{% endif %}</td>
    <td class="govuk-table__cell">{% if item.flag.child_id %}{{ item.subject }}{% endif %}</td>
    <td class="govuk-table__cell"><a class="govuk-link" href="{{ item.url }}">{{ item.flag.detail|default:item.label }}</a></td>
    <td class="govuk-table__cell">{{ item.due }}</td>
    <td class="govuk-table__cell">{{ item.since }}{% if item.flag.resolved_at %}<br><strong class="govuk-tag govuk-tag--grey">Put right {{ item.resolved }}</strong>{% endif %}</td>
  </tr>{% endfor %}"""  # noqa: E501
)
AT = datetime(2026, 7, 1, 12, tzinfo=UTC)


def flags() -> list[Flag]:
    someone = User(pk=41, full_name='Ann O\'Brien <& "Co">')
    child = Child(pk=7, reference="C<0042>", initials="A&B", allocated_worker_id=None)
    late = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # 28 March in London, before BST
    summer = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 1 July in London
    found = [
        Flag(pk=1, kind=FlagKind.SESSION_OVERDUE, person=someone, due=date(2026, 3, 1),
             overdue_since=late, detail=""),
        Flag(pk=2, kind=FlagKind.CASE_REVIEW_OVERDUE, child=child, due=date(2026, 6, 2),
             overdue_since=summer, detail="Review <b>late</b> & 'due'"),
        Flag(pk=3, kind=FlagKind.ACTION_OVERDUE, person=someone, child=child, about="action 9",
             due=date(2026, 5, 9), overdue_since=summer, resolved_at=summer, detail=""),
    ]  # fmt: skip
    for flag in found:  # what `with_links` adds to a listed flag
        flag.action_session_id = 12
        flag.has_record = False
        flag.line_relationship_id = None
    return found


@pytest.mark.parametrize("query", ["", "?date=2026-07-01"])
def test_the_rows_are_the_html_the_templates_loop_wrote(query, settings):
    settings.TIME_ZONE = "Europe/London"
    rows = _flag_rows(flags(), AT, query)
    written = _flag_rows_html(rows)
    assert written == LOOP.render(Context({"rows": rows}))
    assert "No allocated worker" in written and "Put right 1 July 2026" in written
    assert "28 March 2026" in written and "&lt;b&gt;" in written and "&#x27;" in written


def test_days_are_written_as_the_date_filter_writes_them_in_the_local_time(settings):
    settings.TIME_ZONE = "Europe/London"
    days = _Days()
    moments = [
        datetime(2026, 3, 28, 23, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2026, 6, 30, 23, 30),  # naive: as it is
        date(2026, 2, 3),
        date(999, 1, 1),
    ]
    with time_machine.travel(AT):
        for moment in moments:
            assert days(moment) == date_filter(template_localtime(moment), "j F Y")
            assert days(moment) == days(moment)
    assert days(None) == days("") == ""
