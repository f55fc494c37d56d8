"""The senior managers' dashboard: for the units below them, for today or any past
date, how supervision is going, with the items behind every figure.

It is the compliance-as-of report counted in the database. What was overdue at a moment is
what the flags held then (`flags_held_at`; tests/oversight/flags/test_scheduled.py holds the flags
equal to the
rules' own evaluation), so a figure for 5 March is read from `overdue_since` and
`resolved_at`, not worked out again from the facts. Each level (a unit, a person) runs the same
fixed set of aggregate queries whatever the size of the organisation:

- flags held at the date, grouped by the unit responsible and kind (and, for the breakdowns,
  by role, age and risk), and the same held at each month end for the trends, as conditional
  counts in one SELECT;
- staff in post, from the staff profiles, grouped the same way;
- records finalised (with the functions of supervision each covered), cancellations, in the
  quarter to the date and in each month.

A unit's page counts that way only the open month and the date: each closed month of its
trends (ended before the current London month began) is read from a summary of the unit and
everything below it, kept from the first page that asked and deleted by any write that changes
it (`summaries`, `forgetting`), so its cost does not grow with the organisation's history. A
person's page counts every month.

Which unit a flag counts in: a member of staff's flags in their unit; a child's in the unit of
the allocation in force when the flag's spell began, else the child's own unit, which the flag
job writes on the flag (`Flag.unit`). The job ends a child's flags at a transfer and raises new
ones for the new worker, so the allocation of a spell's start is the allocation throughout it,
and `compliance_rows(at, unit)`, which looks up the allocation in force at `at`, agrees.
"""

from oversight.reports.dashboard.feedback import FeedbackRow, feedback
from oversight.reports.dashboard.figures import build
from oversight.reports.dashboard.items import (
    cancellation_items,
    cancelled_sessions,
    finalised_records,
    flag_items,
    flags_held_for,
    listed_flags,
    record_items,
    staff_items,
)
from oversight.reports.dashboard.measures import (
    CANCELLATIONS,
    FLAG_KINDS,
    FUNCTION_KEYS,
    FUNCTIONS,
    FUNCTIONS_ANSWERED,
    FUNCTIONS_RECORDED,
    GROUP_ORDER,
    MEASURE_BY_KEY,
    MEASURES,
    RECORD_MEASURES,
    RECORDS_FINALISED,
    REFLECTION,
    REFLECTION_KEYS,
    RISKS,
    SHARE_OF,
    SIGNOFF_AGES,
    STAFF,
    STAFF_ON_TIME,
    TREND_MONTHS,
    WELLBEING,
    WELLBEING_KEYS,
    WINDOW_DAYS,
    Measure,
)
from oversight.reports.dashboard.scope import (
    Dashboard,
    Figures,
    Month,
    Row,
    Scope,
    end_of_day,
    flags_with_unit,
    held,
    in_post,
    moment_for,
    percent,
    trend_months,
)

__all__ = [
    "TREND_MONTHS",
    "WINDOW_DAYS",
    "REFLECTION_KEYS",
    "WELLBEING_KEYS",
    "SIGNOFF_AGES",
    "RISKS",
    "Measure",
    "STAFF",
    "STAFF_ON_TIME",
    "RECORDS_FINALISED",
    "REFLECTION",
    "WELLBEING",
    "CANCELLATIONS",
    "FUNCTIONS_RECORDED",
    "FUNCTIONS",
    "FUNCTION_KEYS",
    "FUNCTIONS_ANSWERED",
    "RECORD_MEASURES",
    "SHARE_OF",
    "MEASURES",
    "MEASURE_BY_KEY",
    "FLAG_KINDS",
    "GROUP_ORDER",
    "end_of_day",
    "moment_for",
    "Month",
    "trend_months",
    "held",
    "in_post",
    "flags_with_unit",
    "Scope",
    "Figures",
    "percent",
    "Row",
    "Dashboard",
    "finalised_records",
    "cancelled_sessions",
    "flag_items",
    "flags_held_for",
    "listed_flags",
    "staff_items",
    "record_items",
    "cancellation_items",
    "build",
    "FeedbackRow",
    "feedback",
]
