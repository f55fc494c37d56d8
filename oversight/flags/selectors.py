"""Open and resolved flags, read for the pages people already look at.

Each read is one query whatever the number of flags: the link each flag needs (the record of
the session it is about, the agreement of the person's line relationship, the record an action
was agreed in) comes from subqueries in the same SELECT, not a query per flag.

Who sees which flag follows the reach rules already in force:
- a person's own flags are theirs to see;
- the flags about a member of staff are seen by their current supervisors, and on the file by
  everyone who may read the file;
- a child's flags are seen only by those with reach over the child's case (the allocated
  worker and the worker's current supervisors, as casework.access has it), never on a file,
  where a grant over the staff file would otherwise reveal children.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, partial

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, Substr
from django.urls import reverse
from django.utils import timezone

from access.people import may_read_content
from oversight.models import Flag, FlagKind
from oversight.notices.notify import SUPERVISEE_ACTS
from oversight.policy.due import local_date
from supervision.models import Action, SupervisionRecord, SupervisoryRelationship
from supervision.organisation.roles import active_on

CHILD_KINDS = (
    FlagKind.CASE_REVIEW_OVERDUE,
    FlagKind.ALLOCATION_NOT_DISCUSSED,
    FlagKind.CLOSURE_WITHOUT_SUPERVISION,
    FlagKind.TRANSFER_NOT_PREPARED,
)
RECORD_KINDS = (FlagKind.RECORD_OVERDUE, FlagKind.SIGNOFF_OVERDUE)
# Short words for a tag beside a child on the caseload, where the column says the rest.
CHILD_TAG_TEXT = {
    FlagKind.CASE_REVIEW_OVERDUE: "Not discussed in time",
    FlagKind.ALLOCATION_NOT_DISCUSSED: "New allocation not discussed",
    FlagKind.CLOSURE_WITHOUT_SUPERVISION: "Closed without supervision",
    FlagKind.TRANSFER_NOT_PREPARED: "Transfer not prepared",
}
# How many resolved flags the file's history shows: the newest, since the oldest matter less
# and a long career would otherwise make the page grow without end.
HISTORY_LIMIT = 50


# --- Rows for the pages -----------------------------------------------------------------------


@dataclass(frozen=True)
class FlagRow:
    flag: Flag
    label: str
    subject: str  # the person's name or the child's reference and initials
    detail: str
    due: date
    overdue_since: datetime
    overdue_text: str  # "3 days overdue"
    url: str
    due_text: str = ""  # "3 March 2026", written once here rather than by a filter per row

    @property
    def about_child(self) -> bool:
        return self.flag.child_id is not None


@dataclass
class FlagGroup:
    kind: str
    label: str
    rows: list[FlagRow] = field(default_factory=list)

    @cached_property
    def label_lower(self) -> str:
        return str(self.label).lower()


@dataclass(frozen=True)
class ResolvedRow:
    flag: Flag
    label: str
    detail: str
    raised_at: datetime
    overdue_since: datetime
    resolved_at: datetime


def overdue_text(flag: Flag, now: datetime) -> str:
    """ "1 day overdue", "12 days overdue", counted from the due day; an item due at a moment
    (C3) and overdue the same day says since when."""
    days = (local_date(now) - flag.due).days
    if days >= 2:
        return f"{days} days overdue"
    if days == 1:
        return "1 day overdue"
    since = timezone.localtime(flag.overdue_since)
    hour = since.hour % 12 or 12
    minutes = f":{since.minute:02d}" if since.minute else ""
    return f"overdue since {hour}{minutes}{'am' if since.hour < 12 else 'pm'}"


def acts_on_it_themselves(flag: Flag) -> bool:
    """Whether the person the flag is about is the one who must act, as
    oversight.notices.notify.recipients decides (an overdue action of theirs, a record waiting for
    their signature); otherwise their supervisor acts."""
    if flag.child_id is not None:
        return False
    if flag.kind in SUPERVISEE_ACTS:
        return True
    return flag.kind == FlagKind.SIGNOFF_OVERDUE and "supervisee to sign" in flag.detail


def _number_after(about: str, word: str) -> int | None:
    prefix = f"{word} "
    if about.startswith(prefix) and about[len(prefix) :].isdigit():
        return int(about[len(prefix) :])
    return None


class Links:
    """Links by URL name, each reversed once and then numbered: a page of 150 flags would
    otherwise reverse 150 times. For one request (the URLconf may differ between them)."""

    MARK = 987654321

    def __init__(self):
        self._parts: dict[str, tuple[str, str]] = {}

    def __call__(self, name: str, kwargs: dict) -> str:
        ((key, value),) = kwargs.items()
        if not isinstance(value, int):  # what reverse() makes of anything else, or refuses
            return reverse(name, kwargs=kwargs)
        parts = self._parts.get(name)
        if parts is None:
            before, _, after = reverse(name, kwargs={key: self.MARK}).partition(str(self.MARK))
            parts = self._parts[name] = (before, after)
        return f"{parts[0]}{value}{parts[1]}"


def _reverse(name: str, kwargs: dict) -> str:
    return reverse(name, kwargs=kwargs)


def flag_url(flag: Flag, *, may_plan: bool, links=None) -> str:
    """Where the flag is acted on. `may_plan`: the viewer supervises the person, so a missing
    session or cover is arranged on the plan-sessions page rather than read on the file.
    `links`: a Links, where many flags are linked at once."""
    reverse = links or _reverse
    kind = flag.kind
    person = flag.person_id
    if kind == FlagKind.CASE_REVIEW_OVERDUE and flag.child.allocated_worker_id:
        return reverse("caseload", {"person_id": flag.child.allocated_worker_id})
    if kind in CHILD_KINDS:
        return reverse("child", {"child_id": flag.child_id})
    session = _number_after(flag.about, "session")
    if kind == FlagKind.RECORD_OVERDUE and session is not None:
        name = "record" if flag.has_record else "session"
        return reverse(name, {"session_id": session})
    if kind == FlagKind.SIGNOFF_OVERDUE and session is not None:
        return reverse("record", {"session_id": session})
    if kind == FlagKind.CANCELLATION_NOT_RESCHEDULED and session is not None:
        return reverse("session", {"session_id": session})
    if kind == FlagKind.ACTION_OVERDUE and flag.action_session_id:
        return reverse("record", {"session_id": flag.action_session_id})
    agreement = kind in (FlagKind.AGREEMENT_MISSING, FlagKind.AGREEMENT_REVIEW_OVERDUE)
    if agreement and flag.line_relationship_id:
        return reverse("relationship-agreements", {"relationship_id": flag.line_relationship_id})
    if kind in (
        FlagKind.SESSION_OVERDUE,
        FlagKind.COVER_NEEDED,
        FlagKind.SUPPORT_TIME_SHORT,
        FlagKind.SESSIONS_NOT_PLANNED_AHEAD,
    ):
        name = "plan-sessions" if may_plan else "person-sessions"
        return reverse(name, {"person_id": person})
    pages = {
        FlagKind.OBSERVATION_DUE: "person-observations",
        FlagKind.DEVELOPMENT_PLAN_DUE: "person-development",
        FlagKind.PROBATION_REVIEW_DUE: "person-probation",
        FlagKind.WELLBEING_PLAN_DUE: "person-wellbeing",
    }
    if kind == FlagKind.GROUP_SUPERVISION_OVERDUE:
        team = _number_after(" ".join(flag.about.split()[:2]), "unit")  # "unit 12 team_meeting"
        if team is not None:
            return reverse("group-sessions", {"unit_id": team})
    if kind in pages:
        return reverse(pages[kind], {"person_id": person})
    return reverse("staff-file", {"person_id": person}) + "#flags"


def flag_subject(flag: Flag) -> str:
    if flag.child_id is not None:
        child = flag.child
        return f"{child.reference} {child.initials}".strip()
    return flag.person.full_name if flag.person_id else ""


def _row(flag: Flag, now: datetime, *, may_plan: bool, links=None, labels=None) -> FlagRow:
    """`links` (Links) and `labels` (the kinds' labels, a dict): where many rows are made at once,
    so that neither is worked out again for each flag."""
    return FlagRow(
        flag=flag,
        label=labels[flag.kind] if labels and flag.kind in labels else flag.get_kind_display(),
        subject=flag_subject(flag),
        detail=flag.detail,
        due=flag.due,
        overdue_since=flag.overdue_since,
        overdue_text=overdue_text(flag, now),
        url=flag_url(flag, may_plan=may_plan, links=links),
        due_text=f"{flag.due.day} {flag.due:%B %Y}",
    )


@dataclass
class FlagGroups:
    """Flags grouped by kind: the group holding the most overdue flag first, and in each group
    the most overdue first."""

    groups: list[FlagGroup]
    count: int

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self):
        return iter(self.groups)


def grouped(rows: list[FlagRow]) -> FlagGroups:
    groups: dict[str, FlagGroup] = {}
    for row in sorted(rows, key=lambda r: (r.overdue_since, r.subject, r.flag.pk)):
        kind = row.flag.kind
        if kind not in groups:
            groups[kind] = FlagGroup(kind=kind, label=row.label)
        groups[kind].rows.append(row)
    return FlagGroups(groups=list(groups.values()), count=len(rows))


# --- The one query ----------------------------------------------------------------------------


def _open_flags(day: date):
    """Open flags with what their links need, in one SELECT."""
    return with_links(Flag.objects.filter(resolved_at__isnull=True), day).order_by(
        "overdue_since", "pk"
    )


def with_links(flags, day: date):
    """Flags with what `_url` needs to link each to where it is acted on, in the same SELECT."""

    # The session or action a flag is about, by key: its number read off `about` ("session
    # 12", "action 7"), so each subquery is an index lookup by primary key rather than a
    # comparison of `about` with the text of every record or action (two correlated subplans
    # that cost most of the home page's flag list).
    record = SupervisionRecord.objects.filter(
        session_id=OuterRef("about_session"), session__supervisee_id=OuterRef("person_id")
    )
    action = Action.objects.filter(
        pk=OuterRef("about_action"), supervisee_id=OuterRef("person_id")
    ).values("record__session_id")[:1]
    line = (
        SupervisoryRelationship.objects.filter(
            active_on(day),
            supervisee_id=OuterRef("person_id"),
            kind=SupervisoryRelationship.Kind.LINE,
        )
        .order_by("-starts_on")
        .values("pk")[:1]
    )
    agreement_kinds = [FlagKind.AGREEMENT_MISSING, FlagKind.AGREEMENT_REVIEW_OVERDUE]
    return (
        flags.select_related("person", "child")
        .alias(about_session=_number_in_about("session"), about_action=_number_in_about("action"))
        .annotate(
            # Each subquery only for the kinds whose link needs it.
            has_record=Case(
                When(kind=FlagKind.RECORD_OVERDUE, then=Exists(record)),
                default=Value(False),
            ),
            action_session_id=Case(
                When(kind=FlagKind.ACTION_OVERDUE, then=Subquery(action)),
                default=None,
                output_field=IntegerField(),
            ),
            line_relationship_id=Case(
                When(kind__in=agreement_kinds, then=Subquery(line)),
                default=None,
                output_field=IntegerField(),
            ),
        )
    )


def _number_in_about(word: str):
    """The number in a flag's `about` of "<word> <number>", else NULL: what `_number_after`
    reads in Python, as SQL. Only a number written as the flag job writes one (no sign, no
    leading zero, within a bigint) is cast, so the cast never fails."""
    pattern = rf"^{word} [1-9][0-9]{{0,17}}$"
    return Case(
        When(about__regex=pattern, then=Cast(Substr("about", len(word) + 2), BigIntegerField())),
        default=None,
        output_field=BigIntegerField(),
    )


# --- Home -------------------------------------------------------------------------------------

# The columns of each open flag the home page reads, as a tuple: what its rows (_row, flag_url,
# flag_subject, acts_on_it_themselves) and the supervisor's table (oversight.reports.home) use
# of a flag, its person and its child, and the links' keys.
# The flag's own columns and its links' keys, kept on a HomeFlag as they are read.
_HOME_FLAG_OWN = ("pk", "kind", "person_id", "child_id", "about", "due", "overdue_since", "detail")
_HOME_FLAG_LINKS = ("has_record", "action_session_id", "line_relationship_id")
# The columns of each open flag the home page reads, as a tuple: what its rows (_row, flag_url,
# flag_subject, acts_on_it_themselves) and the supervisor's table (oversight.reports.home) use
# of a flag, its person and its child, and the links' keys.
HOME_FLAG_COLUMNS = (
    *_HOME_FLAG_OWN,
    "person__full_name",
    "child__reference",
    "child__initials",
    "child__allocated_worker_id",
    *_HOME_FLAG_LINKS,
)


class _Named:
    __slots__ = ("full_name",)

    def __init__(self, full_name):
        self.full_name = full_name


class _HeldChild:
    __slots__ = ("reference", "initials", "allocated_worker_id")

    def __init__(self, reference, initials, allocated_worker_id):
        self.reference = reference
        self.initials = initials
        self.allocated_worker_id = allocated_worker_id


class HomeFlag:
    """An open flag as the home page reads it, from one row of HOME_FLAG_COLUMNS: the
    attributes of a Flag read `with_links` that the rows and links use, without making three
    model instances a flag (a supervisor of 65 has some 150 open flags in their team)."""

    __slots__ = (*_HOME_FLAG_OWN, *_HOME_FLAG_LINKS, "person", "child")

    def __init__(self, row):
        own = len(_HOME_FLAG_OWN)
        for name, value in zip(_HOME_FLAG_OWN, row[:own], strict=True):
            setattr(self, name, value)
        for name, value in zip(_HOME_FLAG_LINKS, row[own + 4 :], strict=True):
            setattr(self, name, value)
        person_name, reference, initials, worker_id = row[own : own + 4]
        self.person = _Named(person_name) if self.person_id is not None else None
        self.child = (
            _HeldChild(reference, initials, worker_id) if self.child_id is not None else None
        )

    def get_kind_display(self) -> str:
        return str(FlagKind(self.kind).label)


def _read(name: str, build, values: dict) -> list[tuple]:
    return list(build(values))


def home_flags(user, roles, now: datetime | None = None, supervisee_ids=None, *, read=None) -> dict:
    """What is overdue on the home page, in one query:
    - `flags_to_act_on`: the person's own flags that are theirs to act on;
    - `flags_about_you`: their other flags (their supervisor acts), and their children's;
    - `flags_in_team`: flags about the people they supervise and those people's children.
    Each FlagGroups of rows whose `flag` is a HomeFlag. Nothing (and no query) for someone who
    is neither supervised nor a supervisor. `supervisee_ids`: the people they supervise now,
    where the caller has read them already (the home page has); else a subquery finds them.
    `read(name, build, values)`: the rows of `build(values)`, a values_list queryset (the home
    page passes oversight.reports.home_queries.tuples, which compiles each shape once); by
    default read through Django."""
    if not (roles.supervisee or roles.supervisor):
        return {}

    now = now or timezone.now()
    day = local_date(now)
    people = [user.pk]
    values = {"people": people, "day": day}
    subquery = roles.supervisor and supervisee_ids is None
    if roles.supervisor and supervisee_ids is not None:
        people += [pk for pk in supervisee_ids if pk != user.pk]
    elif subquery:
        values["user"] = user.pk
    # A system administrator reaches no child (access.children).
    children = may_read_content(user, day)
    name = f"home flags{' and children' if children else ''}{' by subquery' if subquery else ''}"
    rows = (read or _read)(name, _HOME_FLAG_QUERIES[children, subquery], values)
    to_act, about, in_team = [], [], []
    many = {"links": Links(), "labels": _kind_labels()}
    for row in rows:
        flag = HomeFlag(row)
        is_mine = (flag.child_id is None and flag.person_id == user.pk) or (
            flag.child_id is not None and flag.child.allocated_worker_id == user.pk
        )
        if not is_mine:
            in_team.append(_row(flag, now, may_plan=True, **many))
        elif acts_on_it_themselves(flag):
            to_act.append(_row(flag, now, may_plan=False, **many))
        else:
            about.append(_row(flag, now, may_plan=False, **many))
    return {
        "flags_to_act_on": grouped(to_act),
        "flags_about_you": grouped(about),
        "flags_in_team": grouped(in_team),
    }


def _kind_labels() -> dict:
    # Per request: the labels are lazy translations, whose language may differ between them.
    return {kind: str(label) for kind, label in FlagKind.choices}


def _home_flag_query(values: dict, *, children: bool, subquery: bool):
    """The open flags of `home_flags`: the people's own (`values["people"]`, and with
    `subquery` the people `values["user"]` supervises on `values["day"]`), and with `children`
    those of the children they hold now."""
    day = values["day"]
    # Two index reads put together (the people's own flags, and those of the children they
    # hold), where one filter ORing the two read every open flag joined to every child.
    open_flags = Flag.objects.filter(resolved_at__isnull=True).order_by()
    staff = Q(person_id__in=values["people"])
    supervisees = None
    if subquery:
        supervisees = SupervisoryRelationship.objects.filter(
            active_on(day), supervisor_id=values["user"]
        ).values("supervisee")
        staff |= Q(person__in=supervisees)
    found = open_flags.filter(staff, child__isnull=True).values("pk")
    # The child's worker now, not the worker named when it was raised: a transferred child's
    # flag follows the child.
    if children:
        workers = Q(child__allocated_worker_id__in=values["people"])
        if supervisees is not None:
            workers |= Q(child__allocated_worker__in=supervisees)
        found = found.union(open_flags.filter(workers).values("pk"), all=True)
    return _open_flags(day).filter(pk__in=found).values_list(*HOME_FLAG_COLUMNS)


_HOME_FLAG_QUERIES = {
    (children, subquery): partial(_home_flag_query, children=children, subquery=subquery)
    for children in (False, True)
    for subquery in (False, True)
}


# --- The staff file ---------------------------------------------------------------------------


def file_flags(person, *, may_edit: bool, now: datetime | None = None) -> dict:
    """The person's own flags for their file: open ones, most overdue first, and the newest
    resolved ones. Two queries. Never a child's flag: a file's readers (an auditor with a
    grant, say) may have no reach over the children the person works with."""
    now = now or timezone.now()
    open_rows = [
        _row(flag, now, may_plan=may_edit)
        for flag in _open_flags(local_date(now)).filter(person=person, child__isnull=True)
    ]
    resolved = list(
        Flag.objects.filter(person=person, child__isnull=True, resolved_at__isnull=False).order_by(
            "-resolved_at", "-pk"
        )[: HISTORY_LIMIT + 1]
    )
    return {
        "open_flags": open_rows,
        "resolved_flags": [
            ResolvedRow(
                flag=flag,
                label=flag.get_kind_display(),
                detail=flag.detail,
                raised_at=flag.raised_at,
                overdue_since=flag.overdue_since,
                resolved_at=flag.resolved_at,
            )
            for flag in resolved[:HISTORY_LIMIT]
        ],
        "more_resolved_flags": len(resolved) > HISTORY_LIMIT,
    }


# --- The caseload -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagTag:
    text: str
    colour: str = "red"


def caseload_flags(worker, child_ids, now: datetime | None = None) -> dict:
    """One query: the open flags of each child on the caseload as tags ({child id: [tag]}),
    and the worker's own open flags (rows). The caller has already checked that the viewer
    may open this caseload, so every child listed is within their reach."""
    now = now or timezone.now()
    tags: dict[int, list[FlagTag]] = {}
    own = []
    query = Q(person=worker, child__isnull=True)
    if child_ids:
        query |= Q(child_id__in=list(child_ids))
    for flag in _open_flags(local_date(now)).filter(query):
        if flag.child_id is None:
            own.append(_row(flag, now, may_plan=False))
            continue
        text = CHILD_TAG_TEXT.get(flag.kind, flag.get_kind_display())
        tags.setdefault(flag.child_id, []).append(FlagTag(text))
    return {"child_flag_tags": tags, "worker_flags": own}


# --- A supervision record ---------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFlag:
    kind: str
    label: str
    detail: str
    due: date
    overdue_text: str

    @property
    def is_write_up(self) -> bool:
        return self.kind == FlagKind.RECORD_OVERDUE


def with_open_record_flag(records):
    """Annotate supervision records with their open write-up or sign-off flag (flags.py names
    a record's flags "session <session id>"), so the record page learns it in the query that
    loads the record."""
    about = Concat(Value("session "), Cast(OuterRef("session_id"), output_field=CharField()))
    flags = Flag.objects.filter(
        person_id=OuterRef("session__supervisee_id"),
        child__isnull=True,
        resolved_at__isnull=True,
        kind__in=RECORD_KINDS,
        about=about,
    ).order_by("-overdue_since")
    return records.annotate(
        open_flag_kind=Subquery(flags.values("kind")[:1]),
        open_flag_due=Subquery(flags.values("due")[:1]),
        open_flag_since=Subquery(flags.values("overdue_since")[:1]),
        open_flag_detail=Subquery(flags.values("detail")[:1]),
    )


def read_open_record_flag(record) -> None:
    """What `with_open_record_flag` annotates, for a record already loaded: one query."""
    row = (
        Flag.objects.filter(
            person_id=record.session.supervisee_id,
            child__isnull=True,
            resolved_at__isnull=True,
            kind__in=RECORD_KINDS,
            about=f"session {record.session_id}",
        )
        .order_by("-overdue_since")
        .values_list("kind", "due", "overdue_since", "detail")
        .first()
    )
    kind, due, since, detail = row or (None, None, None, None)
    record.open_flag_kind, record.open_flag_due = kind, due
    record.open_flag_since, record.open_flag_detail = since, detail


def record_flag(record, now: datetime | None = None) -> RecordFlag | None:
    """The open flag of a record loaded through `with_open_record_flag`, or None."""
    kind = getattr(record, "open_flag_kind", None)
    if not kind:
        return None
    flag = Flag(
        kind=kind,
        due=record.open_flag_due,
        overdue_since=record.open_flag_since,
        detail=record.open_flag_detail,
    )
    return RecordFlag(
        kind=kind,
        label=flag.get_kind_display(),
        detail=flag.detail,
        due=flag.due,
        overdue_text=overdue_text(flag, now or timezone.now()),
    )
