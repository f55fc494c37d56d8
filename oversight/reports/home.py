"""The home page's two dashboards: a supervisor's table of the people
they supervise, and a supervisee's own supervision at a glance.

Reads only, in a fixed number of queries whatever the number of supervisees, actions or children:
each figure of the table is one query over all the supervisees at once, and the next supervision due
is the one the flag job keeps on each person's profile (read with the relationships), as
`oversight.flags.next_due` trusts it: worked out again (ten queries) only for people a write has
marked since the job last looked. The rules are the ones the flags and the caseload already
apply, with the organisation's pack, so the figures here agree with the lists beside them and
the pages they link to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from agreements.models import AgreementSignature, SupervisionAgreement
from casework.models import Child
from casework.selectors import clock as casework_clock
from casework.selectors import discussion_due
from casework.selectors import due_phrase as casework_phrase
from oversight.flags.next_due import supervision_due_dates
from oversight.policy import due as rules
from oversight.policy.choice import pack_on, pack_versions
from oversight.reports import home_queries as kept
from supervision.models import (
    Action,
    AgendaItem,
    Disagreement,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
)

# A child whose next case discussion falls due within this many days is listed as due.
CHILDREN_DUE_WITHIN_DAYS = 14


# --- Words and the pack --------------------------------------------------------------------


def day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def clock(moment: datetime) -> str:
    """9am, 2:30pm, midday: the GOV.UK style for times."""

    return casework_clock(moment)


def due_phrase(due: date, today: date) -> str:
    """In 3 days, today, 4 days overdue."""

    return casework_phrase(due, today)


def pack_timeline() -> list:
    """The organisation's pack versions, read once per page (two queries)."""
    return pack_versions()


# --- Children due for case supervision (C1, C2) -------------------------------------------------


@dataclass(frozen=True)
class ChildDue:
    child_id: int
    reference: str
    initials: str
    due_on: date
    phrase: str
    overdue: bool

    @property
    def url(self) -> str:
        return reverse("child", kwargs={"child_id": self.child_id})


def children_due(worker_ids, today: date, pack) -> dict[int, list[ChildDue]]:
    """{worker id: [their open children due for case supervision within 14 days or overdue]},
    soonest first, by the rule the caseload page shows (casework.selectors.discussion_due).
    One query. Never the child's name: the home page knows children by reference."""

    found: dict[int, list[ChildDue]] = defaultdict(list)
    if not worker_ids:
        return found
    limit = today + timedelta(days=CHILDREN_DUE_WITHIN_DAYS)
    rows = kept.tuples("children due", _open_children, {"workers": list(worker_ids)})
    for row in rows:
        child = _OpenChild(*row)
        due = discussion_due(child, today, pack)
        if due.on <= limit:
            found[child.allocated_worker_id].append(
                ChildDue(
                    child_id=child.pk,
                    reference=child.reference,
                    initials=child.initials,
                    due_on=due.on,
                    phrase=due.phrase,
                    overdue=due.overdue,
                )
            )
    for rows in found.values():
        rows.sort(key=lambda row: (row.due_on, row.reference))
    return found


# What children_due reads of each open child: its columns for discussion_due, as a tuple.
OPEN_CHILD_COLUMNS = (
    "pk",
    "reference",
    "initials",
    "allocated_worker_id",
    "allocated_at",
    "created_at",
    "last_discussed_at",
    "service",
    "serious_harm_level",
    "safety_wellbeing_level",
)


class _OpenChild:
    """The fields of a Child that casework.selectors.discussion_due reads, from one row of
    OPEN_CHILD_COLUMNS: a supervisor of 65 has some 100 open children between their people,
    and a model instance each cost more than the rules."""

    __slots__ = OPEN_CHILD_COLUMNS

    def __init__(self, *row):
        for name, value in zip(OPEN_CHILD_COLUMNS, row, strict=True):
            setattr(self, name, value)


def _open_children(values):
    return Child.objects.filter(
        allocated_worker_id__in=values["workers"], closed_on__isnull=True
    ).values_list(*OPEN_CHILD_COLUMNS)


# --- The supervisor's table --------------------------------------------------------------------


@dataclass
class SuperviseeRow:
    person: object
    role: str
    relationships: list[str]  # how this person is supervised by the viewer, when not line
    next_due: date | None = None
    next_due_phrase: str = ""
    next_due_overdue: bool = False
    next_session_id: int | None = None
    next_session_at: datetime | None = None
    overdue_items: int = 0
    to_sign_by_supervisee: list[int] = field(default_factory=list)  # session ids
    to_sign_by_supervisor: list[int] = field(default_factory=list)
    open_actions: int = 0
    overdue_actions: int = 0
    children_due: int = 0
    children_overdue: int = 0
    holds_cases: bool = False

    @property
    def file_url(self) -> str:
        return reverse("staff-file", kwargs={"person_id": self.person.pk})

    def _records_url(self, sessions: list[int]) -> str:
        if len(sessions) == 1:
            return reverse("record", kwargs={"session_id": sessions[0]})
        return f"{self.file_url}?kind=session"

    @property
    def to_sign_by_supervisee_url(self) -> str:
        return self._records_url(self.to_sign_by_supervisee)

    @property
    def to_sign_by_supervisor_url(self) -> str:
        return self._records_url(self.to_sign_by_supervisor)

    @property
    def awaiting_signature(self) -> int:
        return len(self.to_sign_by_supervisee) + len(self.to_sign_by_supervisor)

    @property
    def actions_url(self) -> str:
        return f"{self.file_url}?kind=action"

    @property
    def caseload_url(self) -> str:
        return reverse("caseload", kwargs={"person_id": self.person.pk})

    @property
    def session_url(self) -> str:
        return reverse("session", kwargs={"session_id": self.next_session_id})

    @property
    def plan_url(self) -> str:
        return reverse("plan-sessions", kwargs={"person_id": self.person.pk})


def _urgency(row: SuperviseeRow):
    """The default order: the most overdue items first, then the earliest next due."""
    return (-row.overdue_items, row.next_due or date.max, row.person.full_name, row.person.pk)


# Each sortable column by its name in `?sort=`: the header's text, the direction a first click
# sorts by, and the value sorted on (None sorts last in either direction).
COLUMNS = {
    "name": ("Name", "ascending", lambda r: r.person.full_name.lower()),
    "role": ("Role", "ascending", lambda r: r.role.lower()),
    "due": ("Next supervision due", "ascending", lambda r: r.next_due),
    "session": ("Next session booked", "ascending", lambda r: r.next_session_at),
    "overdue": ("Overdue items", "descending", lambda r: r.overdue_items),
    "records": ("Records awaiting signature", "descending", lambda r: r.awaiting_signature),
    "actions": ("Open actions", "descending", lambda r: r.open_actions),
    "children": ("Children due for case supervision", "descending", lambda r: r.children_due),
}
DEFAULT_SORT = ("overdue", "descending")


@dataclass(frozen=True)
class Header:
    key: str
    text: str
    aria_sort: str  # ascending | descending | none
    url: str  # the link that sorts by this column (the other way, when it is the sorted one)


def parse_sort(value: str | None) -> tuple[str, str] | None:
    """'name' -> ('name', 'ascending'), '-overdue' -> ('overdue', 'descending'); anything else
    None (the default order)."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value[1:] if descending else value
    if key not in COLUMNS:
        return None
    return key, "descending" if descending else "ascending"


def sorted_rows(rows: list[SuperviseeRow], sort: tuple[str, str] | None) -> list[SuperviseeRow]:
    rows = sorted(rows, key=_urgency)
    if sort is None:
        return rows
    key, direction = sort
    value = COLUMNS[key][2]
    known = [row for row in rows if value(row) is not None]
    unknown = [row for row in rows if value(row) is None]
    # Stable: rows with the same value stay in the default (most urgent first) order.
    return sorted(known, key=value, reverse=direction == "descending") + unknown


def headers(sort: tuple[str, str] | None) -> list[Header]:
    current = sort or DEFAULT_SORT
    found = []
    for key, (text, first, _) in COLUMNS.items():
        if key == current[0]:
            aria = current[1]
            then = "descending" if aria == "ascending" else "ascending"
        else:
            aria, then = "none", first
        query = f"-{key}" if then == "descending" else key
        found.append(Header(key=key, text=text, aria_sort=aria, url=f"?sort={query}#supervisees"))
    return found


@dataclass
class SuperviseeTable:
    rows: list[SuperviseeRow]
    headers: list[Header]
    sort: tuple[str, str] | None

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    @cached_property
    def display(self) -> list[dict]:
        """The rows as the page shows them: each cell's words, dates and links worked out once
        here, so the template only places them (the table of a supervisor of 65 people took
        27 ms to render from the rows themselves, most of it in links and date filters)."""
        return display_rows(self.rows)


class _Links:
    """Each page's link for any person or session, reversed once per table rather than once a
    cell: the link is the same but for the number."""

    MARK = 987654321

    def __init__(self):
        self._parts: dict[str, tuple[str, str]] = {}

    def __call__(self, name: str, key: str, value: int) -> str:
        parts = self._parts.get(name)
        if parts is None:
            before, _, after = reverse(name, kwargs={key: self.MARK}).partition(str(self.MARK))
            parts = self._parts[name] = (before, after)
        return f"{parts[0]}{value}{parts[1]}"


def display_rows(rows: list[SuperviseeRow]) -> list[dict]:
    link = _Links()
    found = []
    for row in rows:
        pk = row.person.pk
        file_url = link("staff-file", "person_id", pk)

        def records_url(sessions: list[int], file_url=file_url) -> str:
            if len(sessions) == 1:
                return link("record", "session_id", sessions[0])
            return f"{file_url}?kind=session"

        session_at = row.next_session_at
        found.append(
            {
                "pk": pk,
                "name": row.person.full_name,
                "file_url": file_url,
                "relationships": row.relationships,
                "role": row.role or "Not recorded",
                "next_due": day_text(row.next_due) if row.next_due else "",
                "next_due_phrase": row.next_due_phrase,
                "next_due_overdue": row.next_due_overdue,
                "next_session": (
                    day_text(timezone.localtime(session_at).date()) if session_at else ""
                ),
                "session_url": (
                    link("session", "session_id", row.next_session_id)
                    if row.next_session_id
                    else ""
                ),
                "plan_url": link("plan-sessions", "person_id", pk),
                "overdue_items": row.overdue_items,
                "by_supervisee": len(row.to_sign_by_supervisee),
                "by_supervisee_url": (
                    records_url(row.to_sign_by_supervisee) if row.to_sign_by_supervisee else ""
                ),
                "by_supervisor": len(row.to_sign_by_supervisor),
                "by_supervisor_url": (
                    records_url(row.to_sign_by_supervisor) if row.to_sign_by_supervisor else ""
                ),
                "open_actions": row.open_actions,
                "overdue_actions": row.overdue_actions,
                "actions_url": f"{file_url}?kind=action",
                "children_due": row.children_due,
                "children_overdue": row.children_overdue,
                "caseload_url": link("caseload", "person_id", pk),
                "holds_cases": row.holds_cases,
            }
        )
    return found


def _people(relationships) -> list[tuple[object, list[str]]]:
    """Each current supervisee once, with the kinds of relationship other than line supervision
    the viewer holds with them (a practice educator, a cover)."""
    people: dict[int, tuple[object, list[str]]] = {}
    for rel in relationships:
        person, kinds = people.setdefault(rel.supervisee_id, (rel.supervisee, []))
        if rel.kind != SupervisoryRelationship.Kind.LINE:
            text = rel.get_kind_display()
            if rel.ends_on:
                text += f" until {day_text(rel.ends_on)}"
            kinds.append(text)
    return list(people.values())


def _profile(person):
    try:
        return person.profile
    except ObjectDoesNotExist:  # someone with no staff profile (an administrator, say)
        return None


def supervisee_table(
    relationships, *, team_flags, versions, now: datetime, sort: str | None = None
) -> SuperviseeTable:
    """One row per current supervisee. `relationships`: the viewer's current supervisory
    relationships with supervisee__profile__job_role and __unit selected (as
    supervision.people.selectors.current_supervisees_of gives them); `team_flags`: the home page's
    `flags_in_team` (oversight.flags.selectors.home_flags), whose open flags are counted here
    rather than read again. Four queries whatever the number of supervisees, one each for booked
    sessions, records, actions and children, and ten more when any supervisee's next check has
    come (their histories: see _add_next_supervision_due)."""

    today = timezone.localdate(now)
    people = _people(relationships)
    ids = [person.pk for person, _ in people]
    rows: dict[int, SuperviseeRow] = {}
    profiles = []
    for person, kinds in people:
        profile = _profile(person)
        rows[person.pk] = SuperviseeRow(
            person=person,
            role=profile.job_role.name if profile else "",
            relationships=kinds,
            holds_cases=bool(profile and profile.job_role.holds_cases),
        )
        if profile is not None:
            profiles.append(profile)

    _add_next_supervision_due(rows, profiles, versions=versions, now=now, today=today)
    if ids:
        _add_next_session_booked(rows, ids, today=today)
        _add_records_to_sign(rows, ids)
        _add_open_actions(rows, ids, today=today)
        pack = pack_on(today, versions)
        for worker_id, children in children_due(ids, today, pack).items():
            row = rows[worker_id]
            row.children_due = len(children)
            row.children_overdue = sum(1 for child in children if child.overdue)
    _add_overdue_items(rows, team_flags)

    chosen = parse_sort(sort)
    return SuperviseeTable(
        rows=sorted_rows(list(rows.values()), chosen), headers=headers(chosen), sort=chosen
    )


def _add_next_supervision_due(rows, profiles, *, versions, now: datetime, today: date) -> None:
    pack = pack_on(today, versions)
    for user_id, due in supervision_due_dates(profiles, versions, now).items():
        _show_due(rows[user_id], due, pack, now, today)


def _show_due(row, due: date, pack, now: datetime, today: date) -> None:
    row.next_due = due
    row.next_due_phrase = due_phrase(due, today)
    row.next_due_overdue = rules.state_of(due, now, pack.due_soon_days) == rules.OVERDUE


def _add_next_session_booked(rows, ids, *, today: date) -> None:
    # The next session booked, from today on (one still to be marked held counts today).
    booked = kept.tuples(
        "sessions booked", _sessions_booked, {"ids": ids, "from": rules.day_start(today)}
    )
    for supervisee_id, pk, starts_at in booked:
        row = rows[supervisee_id]
        if row.next_session_id is None:
            row.next_session_id, row.next_session_at = pk, starts_at


def _sessions_booked(values):
    return (
        SupervisionSession.objects.filter(
            supervisee_id__in=values["ids"],
            status=SupervisionSession.Status.PLANNED,
            starts_at__gte=values["from"],
        )
        .order_by("supervisee_id", "starts_at", "pk")
        .values_list("supervisee_id", "pk", "starts_at")
    )


def _records_waiting(values):
    Status = SupervisionRecord.Status
    # A shared record with a disagreement whose supervisor's view is still to come waits
    # for the supervisor, not the supervisee, who cannot sign it until then.
    view_missing = Disagreement.objects.filter(
        record=OuterRef("pk"), supervisor_signed_at__isnull=True
    )
    return (
        SupervisionRecord.objects.filter(
            session__supervisee_id__in=values["ids"],
            status__in=[Status.SHARED, Status.SUPERVISEE_SIGNED],
        )
        .annotate(view_missing=Exists(view_missing))
        .order_by("session__starts_at", "pk")
        .values_list("session__supervisee_id", "session_id", "status", "view_missing")
    )


def _add_records_to_sign(rows, ids) -> None:
    Status = SupervisionRecord.Status
    waiting = kept.tuples("records waiting", _records_waiting, {"ids": ids})
    for supervisee_id, session_id, status, missing in waiting:
        row = rows[supervisee_id]
        if status == Status.SHARED and not missing:
            row.to_sign_by_supervisee.append(session_id)
        else:
            row.to_sign_by_supervisor.append(session_id)


def _open_actions(values):
    return (
        Action.objects.filter(supervisee_id__in=values["ids"], status=Action.Status.OPEN)
        .values("supervisee_id")
        .annotate(total=Count("pk"), late=Count("pk", filter=Q(due_date__lt=values["today"])))
        .order_by()
        .values_list("supervisee_id", "total", "late")
    )


def _add_open_actions(rows, ids, *, today: date) -> None:
    actions = kept.tuples("open actions", _open_actions, {"ids": ids, "today": today})
    for supervisee_id, total, late in actions:
        row = rows[supervisee_id]
        row.open_actions, row.overdue_actions = total, late


def _add_overdue_items(rows, team_flags) -> None:
    # Overdue items: the open flags already read for the list on the same page, the person's
    # own and those of the children they hold now.
    for group in team_flags or ():
        for flag_row in group.rows:
            flag = flag_row.flag
            person_id = flag.person_id if flag.child_id is None else flag.child.allocated_worker_id
            if person_id in rows:
                rows[person_id].overdue_items += 1


# --- The supervisee's own supervision --------------------------------------------------------


@dataclass(frozen=True)
class AgreementStatus:
    """The supervision agreement of the person's line relationship, as a tag and what to do."""

    tag: str
    colour: str
    text: str = ""
    link_text: str = ""
    url: str = ""
    review_due: date | None = None
    review_phrase: str = ""
    review_overdue: bool = False


def agreement_status(user, line, *, pack, today: date) -> AgreementStatus:
    """One query: the agreement in force (or being drawn up) for the line relationship."""

    if line is None:
        return AgreementStatus(
            tag="No agreement",
            colour="red",
            text="You have no line supervisor recorded, so there is no agreement to draw up. "
            "Ask your manager to record who supervises you.",
        )
    Status = SupervisionAgreement.Status
    agreements = kept.instances("agreements", _agreements, {"relationship": line.pk})
    active = next((a for a in agreements if a.status == Status.ACTIVE), None)
    draft = next((a for a in agreements if a.status == Status.DRAFT), None)
    supervisor = line.supervisor.full_name
    if active is not None:
        # A2, as the flags judge it: the review date agreed, or sooner where the pack says.
        changed = active.starts_on < line.starts_on
        review_due = rules.agreement_review_due(
            pack,
            rules.AgreementFacts(
                starts_on=active.starts_on, in_force=True, review_due_on=active.review_due_on
            ),
            line.starts_on if changed else None,
        )
        overdue = review_due < today
        text = ""
        if draft is not None:
            text = f"A review (version {draft.version}) is being drawn up."
        return AgreementStatus(
            tag=active.get_status_display(),
            colour="green",
            text=text,
            link_text="Read your agreement" if draft is None else "Read the review",
            url=reverse("agreement", kwargs={"agreement_id": (draft or active).pk}),
            review_due=review_due,
            review_phrase=due_phrase(review_due, today),
            review_overdue=overdue,
        )
    if draft is not None:
        waiting = (
            f"Waiting for {supervisor} to sign."
            if draft.signed_by_me
            else "Waiting for your signature."
        )
        return AgreementStatus(
            tag="Draft",
            colour="yellow",
            text=f"Not yet in force. {waiting}",
            link_text="Read and sign the draft" if not draft.signed_by_me else "Read the draft",
            url=reverse("agreement", kwargs={"agreement_id": draft.pk}),
        )
    return AgreementStatus(
        tag="No agreement",
        colour="red",
        text=f"Draw up your supervision agreement with {supervisor}; it comes into force when "
        "you have both signed it.",
        link_text="Draw up the agreement",
        url=reverse("agreement-new", kwargs={"relationship_id": line.pk}),
    )


def _agreements(values):
    Status = SupervisionAgreement.Status
    return SupervisionAgreement.objects.filter(
        relationship_id=values["relationship"], status__in=[Status.ACTIVE, Status.DRAFT]
    ).annotate(
        signed_by_me=Exists(
            AgreementSignature.objects.filter(
                agreement=OuterRef("pk"),
                role=AgreementSignature.Role.SUPERVISEE,
            )
        )
    )


@dataclass
class NextSession:
    session: SupervisionSession
    when: str  # "12 March 2026 at 10am"
    agenda: list[AgendaItem]
    agenda_open: bool

    @property
    def url(self) -> str:
        return reverse("session", kwargs={"session_id": self.session.pk})

    @property
    def add_agenda_url(self) -> str:
        # agenda-add takes the form's POST; the form itself is on the session page.
        return f"{self.url}#id_text"


def next_session_of(user, today: date) -> NextSession | None:
    """Two queries: the next session booked for the person as supervisee, and its agenda."""
    found = kept.instances(
        "next session", _next_session, {"person": user.pk, "from": rules.day_start(today)}
    )
    if not found:
        return None
    session = found[0]
    record = getattr(session, "record", None) if hasattr(session, "record") else None
    local = timezone.localtime(session.starts_at)
    return NextSession(
        session=session,
        when=f"{day_text(local.date())} at {clock(session.starts_at)}",
        agenda=kept.instances("agenda", _agenda, {"session": session.pk}),
        agenda_open=record is None or record.status == SupervisionRecord.Status.DRAFT,
    )


def _next_session(values):
    return (
        SupervisionSession.objects.filter(
            supervisee_id=values["person"],
            status=SupervisionSession.Status.PLANNED,
            starts_at__gte=values["from"],
        )
        .select_related("supervisor", "record")
        .order_by("starts_at", "pk")[:1]
    )


def _agenda(values):
    return AgendaItem.objects.filter(session_id=values["session"]).select_related("added_by")


@dataclass
class OwnSupervision:
    agreement: AgreementStatus
    next_session: NextSession | None
    holds_cases: bool
    children_due: list[ChildDue]


def own_supervision(user, *, profile, supervisors, versions, now: datetime) -> OwnSupervision:
    """A supervisee's own: agreement, next session and agenda, children due. At most four
    queries: the agenda only with a session booked, the children only for a case holder.
    `supervisors`: their current relationships as supervisee, with the supervisor selected
    (supervision.people.selectors.current_supervisors_of)."""

    today = timezone.localdate(now)
    pack = pack_on(today, versions)
    lines = [rel for rel in supervisors if rel.kind == SupervisoryRelationship.Kind.LINE]
    line = max(lines, key=lambda rel: rel.starts_on, default=None)
    holds_cases = bool(profile and profile.job_role.holds_cases)
    return OwnSupervision(
        agreement=agreement_status(user, line, pack=pack, today=today),
        next_session=next_session_of(user, today),
        holds_cases=holds_cases,
        children_due=children_due([user.pk], today, pack).get(user.pk, []) if holds_cases else [],
    )


# --- The page ---------------------------------------------------------------------------------


def home_dashboards(user, roles, context: dict, *, now: datetime, sort: str | None) -> dict:
    """What the two dashboards add to the home page's context (built by
    oversight.reports.home_work.home_page_for and oversight.flags.selectors.home_flags, whose lists
    are reused rather than read again)."""
    if not (roles.supervisee or roles.supervisor):
        return {}
    versions = pack_timeline()
    found = {}
    if roles.supervisor:
        found["supervisees"] = supervisee_table(
            context.get("my_supervisees", []),
            team_flags=context.get("flags_in_team"),
            versions=versions,
            now=now,
            sort=sort,
        )
    if roles.supervisee:
        found["own"] = own_supervision(
            user,
            profile=context.get("profile"),
            supervisors=context.get("my_supervisors", []),
            versions=versions,
            now=now,
        )
    return found
