"""The supervisor's home table, "Your supervisees", as a download: the same rows and
figures as the home page, built by the same function (selectors_home.supervisee_table) from the
same lists, in the order `?sort=` asks for as on the page.

Only for someone who supervises someone today, as the home page shows the table only to them:
anyone else is refused (403), since there is no table of theirs to download. There is nothing
to be out of reach: the table is always the signed-in person's own supervisees.
"""

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from access.roles import roles_for
from oversight.flags import selectors as selectors_flags
from oversight.policy.due import local_date
from oversight.reports import exports
from oversight.reports import home as selectors_home
from supervision.people import selectors


def _columns() -> list[exports.Column]:
    return [
        exports.Column("name", "Name", 24),
        exports.Column("relationship", "Relationship, when not line supervision", 24),
        exports.Column("role", "Role", 24),
        exports.Column("due", "Next supervision due"),
        exports.Column("due_overdue", "Supervision overdue"),
        exports.Column("session", "Next session booked"),
        exports.Column("overdue", "Overdue items"),
        exports.Column("to_sign_supervisee", "Records awaiting the supervisee's signature"),
        exports.Column("to_sign_supervisor", "Records awaiting the supervisor's signature"),
        exports.Column("actions", "Open actions"),
        exports.Column("actions_overdue", "Overdue actions"),
        exports.Column("children", "Children due for case supervision"),
        exports.Column("children_overdue", "Children overdue for case supervision"),
    ]


def _line(row: selectors_home.SuperviseeRow) -> list:
    # The page says "No caseload" for someone who holds no cases: an empty cell here.
    caseload = bool(row.holds_cases or row.children_due)
    return [
        row.person.full_name,
        "; ".join(row.relationships),
        row.role or "Not recorded",
        row.next_due,
        row.next_due_overdue if row.next_due else None,
        local_date(row.next_session_at) if row.next_session_at else None,
        row.overdue_items,
        len(row.to_sign_by_supervisee),
        len(row.to_sign_by_supervisor),
        row.open_actions,
        row.overdue_actions,
        row.children_due if caseload else None,
        row.children_overdue if caseload else None,
    ]


@exports.register("my-supervisees", title="Your supervisees")
def supervisees_table(user, params) -> exports.Table:
    roles = roles_for(user)
    if not roles.supervisor:
        raise PermissionDenied
    now = timezone.now()
    # As the home page builds it (supervision.web.views.home): the same lists, the same rules.
    flags = selectors_flags.home_flags(user, roles, now)
    table = selectors_home.supervisee_table(
        list(selectors.current_supervisees_of(user)),
        team_flags=flags.get("flags_in_team"),
        versions=selectors_home.pack_timeline(),
        now=now,
        sort=params.get("sort"),
    )
    rows = [_line(row) for row in table.rows]
    title = f"Supervisees of {user.full_name}, {selectors_home.day_text(local_date(now))}"
    return exports.Table("my-supervisees", title, _columns(), rows, len(rows))
