"""Reads for the caseload and the child's page: plain data, a fixed number of queries whatever
the size of the caseload or the length of the child's history.

The date rules themselves live in casework.rules; this module feeds them the child's own
columns (last_discussed_at, allocated_at, the levels) so a caseload of any size is one query.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import OuterRef, Q, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from access.children import CaseAction, restrict_children
from casework import rules
from casework.models import (
    SCALE_FIELDS,
    Allocation,
    CaseNote,
    Child,
    ProgressionMove,
    RiskLevel,
    RiskRating,
    RiskScale,
)
from oversight.policy import standards
from oversight.policy.choice import pack_on
from oversight.policy.packs import PolicyPack
from supervision.models import User

# A new allocation's C3 state is shown on the caseload for this long after it was made.
NEW_ALLOCATION_DAYS = 14

LEVEL_COLOURS = {
    RiskLevel.RED: "red",
    RiskLevel.AMBER: "orange",
    RiskLevel.GREEN: "green",
    RiskLevel.VERY_HIGH: "red",
    RiskLevel.HIGH: "orange",
    RiskLevel.MEDIUM: "yellow",
    RiskLevel.LOW: "green",
}
SCALE_SHORT = {
    RiskScale.RAG: "",
    RiskScale.SERIOUS_HARM: "Serious harm",
    RiskScale.SAFETY_WELLBEING: "Safety and wellbeing",
}


@dataclass(frozen=True)
class Tag:
    text: str
    colour: str = ""  # a govuk-tag--<colour> modifier; empty for the default blue


# --- Words for dates and times ----------------------------------------------------------------


def clock(moment: datetime) -> str:
    """2:30pm, 9am, midday: the GOV.UK style for times."""
    local = timezone.localtime(moment)
    if local.hour == 12 and local.minute == 0:
        return "midday"
    if local.hour == 0 and local.minute == 0:
        return "midnight"
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{hour}{minutes}{'am' if local.hour < 12 else 'pm'}"


def day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def moment_text(moment: datetime) -> str:
    """2:30pm 6 March 2026"""
    return f"{clock(moment)} {day_text(timezone.localtime(moment).date())}"


def due_phrase(due: date, today: date) -> str:
    days = (due - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 1:
        return f"in {days} days"
    if days == -1:
        return "1 day overdue"
    return f"{-days} days overdue"


# --- Tags -------------------------------------------------------------------------------------


def risk_tags(child: Child) -> list[Tag]:
    """The child's current levels on each scale their service uses, as tags with words."""
    tags = []
    for scale in child.risk_scales:
        level = getattr(child, SCALE_FIELDS[scale])
        prefix = SCALE_SHORT[scale]
        if level:
            words = RiskLevel(level).label
            text = f"{prefix}: {words.lower()}" if prefix else words
            tags.append(Tag(text, LEVEL_COLOURS[RiskLevel(level)]))
        else:
            tags.append(Tag(f"{prefix}: not rated" if prefix else "Not rated", "grey"))
    return tags


def allocation_tag(
    allocated_at: datetime, first_discussed_at: datetime | None, now, pack: PolicyPack
) -> Tag | None:
    """C3: newly allocated work is discussed within the pack's hours (24 in Kent's)."""
    hours = pack.cases.allocation_hours
    if hours is None:
        return None  # this organisation's pack sets no window
    check = rules.allocation_check(allocated_at, first_discussed_at, pack=pack)
    if check.discussed_in_time:
        return Tag(f"Discussed within {hours} hours", "green")
    if check.overdue(now):
        return Tag(f"Not discussed within {hours} hours", "red")
    return Tag(f"Discuss by {moment_text(check.due_by)}", "yellow")


# --- When the child is next due for case supervision (C1, C2) ----------------------------------


@dataclass(frozen=True)
class Due:
    on: date
    phrase: str
    overdue: bool


def discussion_due(child: Child, today: date, pack: PolicyPack) -> Due:
    allocated = child.allocated_at or child.created_at
    due_on = rules.discussion_due_on(
        pack=pack,
        allocated_on=timezone.localtime(allocated).date(),
        last_discussed_on=(
            timezone.localtime(child.last_discussed_at).date() if child.last_discussed_at else None
        ),
        service=child.service,
        serious_harm=child.serious_harm_level,
        safety_wellbeing=child.safety_wellbeing_level,
    )
    return Due(on=due_on, phrase=due_phrase(due_on, today), overdue=due_on < today)


# --- The caseload ----------------------------------------------------------------------------


@dataclass
class CaseloadRow:
    child: Child
    risk: list[Tag]
    allocated_at: datetime | None
    new_allocation: Tag | None
    due: Due
    may_mark: bool
    marked: bool = field(init=False)
    # What the supervisor's form shows: the saved mark, or what they just sent back.
    form_ticked: bool = field(init=False)
    form_reason: str = field(init=False)
    form_error: str = ""

    def __post_init__(self):
        self.marked = self.child.discuss_next_marked_at is not None
        self.form_ticked = self.marked
        self.form_reason = self.child.discuss_next_reason


@dataclass
class Caseload:
    worker: object
    rows: list[CaseloadRow]
    may_mark: bool

    @property
    def overdue(self) -> int:
        return sum(1 for row in self.rows if row.due.overdue)

    @property
    def marked(self) -> int:
        return sum(1 for row in self.rows if row.marked)

    def for_print(self) -> list[CaseloadRow]:
        """The children the supervisor marked first, then the most urgent (as Surrey's
        supervisors prepare the case list)."""
        return sorted(self.rows, key=lambda row: (not row.marked, row.due.on, row.child.reference))


def open_children_of(worker):
    current = Allocation.objects.filter(child=OuterRef("pk"), ends_at__isnull=True)
    return (
        Child.objects.filter(allocated_worker=worker, closed_on__isnull=True)
        .select_related("discuss_next_marked_by")
        .annotate(
            allocation_starts_at=Subquery(current.values("starts_at")[:1]),
            allocation_first_discussed_at=Subquery(current.values("first_discussed_at")[:1]),
        )
        .order_by("reference")
    )


def caseload_for(worker, viewer, now: datetime | None = None) -> Caseload:
    """The worker's open children, most urgent first, and which of them `viewer` may mark for
    discussion (those whose case they manage). Two queries."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    children = list(open_children_of(worker))
    manageable = set(
        restrict_children(viewer, CaseAction.MANAGE, today)
        .filter(pk__in=[child.pk for child in children])
        .values_list("pk", flat=True)
    )
    recent = now - timedelta(days=NEW_ALLOCATION_DAYS)
    pack = pack_on(today)
    rows = []
    for child in children:
        allocated_at = child.allocation_starts_at or child.allocated_at
        new = None
        if allocated_at and allocated_at >= recent:
            new = allocation_tag(allocated_at, child.allocation_first_discussed_at, now, pack)
        rows.append(
            CaseloadRow(
                child=child,
                risk=risk_tags(child),
                allocated_at=allocated_at,
                new_allocation=new,
                due=discussion_due(child, today, pack),
                may_mark=child.pk in manageable,
            )
        )
    rows.sort(key=lambda row: (row.due.on, row.child.reference))
    return Caseload(worker=worker, rows=rows, may_mark=bool(manageable))


# --- Allocating a new child ----------------------------------------------------------------


def case_holders_in(teams, day: date | None = None):
    """Active staff of these teams whose job role holds cases."""
    day = day or timezone.localdate()
    return (
        User.objects.filter(
            is_active=True,
            profile__is_active=True,
            profile__job_role__holds_cases=True,
            profile__unit__in=teams,
        )
        .filter(Q(profile__leaving_date__isnull=True) | Q(profile__leaving_date__gt=day))
        .select_related("profile__unit")
        .order_by("full_name")
    )


# --- The child's page -----------------------------------------------------------------------


def safe_url(name: str, query: str = "", **kwargs) -> str | None:
    """A link to a page that may not be built yet (another part of the casework): None then,
    and the page shows no link rather than failing."""
    try:
        url = reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass
class Sibling:
    child: Child
    url: str | None


@dataclass
class AllocationLine:
    allocation: Allocation
    c3: Tag


@dataclass
class NoteLine:
    note: CaseNote
    url: str | None


def child_page(child: Child, viewer, now: datetime | None = None) -> dict:
    """Everything the child's page shows beyond the child row itself: six queries."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    siblings = []
    if child.family_id:
        family = list(
            Child.objects.filter(family_id=child.family_id)
            .exclude(pk=child.pk)
            .order_by("reference")
        )
        visible = set(
            restrict_children(viewer, CaseAction.VIEW, today)
            .filter(pk__in=[s.pk for s in family])
            .values_list("pk", flat=True)
        )
        siblings = [
            Sibling(s, reverse("child", kwargs={"child_id": s.pk}) if s.pk in visible else None)
            for s in family
        ]
    ratings = list(RiskRating.objects.filter(child=child).select_related("set_by"))
    pack = pack_on(today)
    allocations = [
        AllocationLine(a, allocation_tag(a.starts_at, a.first_discussed_at, now, pack))
        for a in Allocation.objects.filter(child=child).select_related(
            "worker", "unit", "allocated_by"
        )
    ]
    moves = list(ProgressionMove.objects.filter(child=child).select_related("moved_by"))
    notes = [
        NoteLine(note, safe_url("case-note", child_id=child.pk, note_id=note.pk))
        for note in CaseNote.objects.filter(child=child).select_related("author")
    ]
    return {
        "age": age_on(child.date_of_birth, today) if child.date_of_birth else None,
        "risk": risk_tags(child),
        "due": discussion_due(child, today, pack) if child.is_open else None,
        "kept_until": standards.case_notes_kept_until(
            pack, child.date_of_birth, child.has_been_looked_after
        ),
        "siblings": siblings,
        "ratings": ratings,
        "allocations": allocations,
        "moves": moves,
        "notes": notes,
    }
