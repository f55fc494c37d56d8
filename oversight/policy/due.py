"""What is due, and what is overdue: a policy pack applied to plain facts.

Pure functions of dates. No database, no clock: the moment `at` is always a parameter and must
be time-zone aware. Facts dated after `at` are ignored, so evaluating at an earlier moment
answers "what held then" (the compliance report's as-of).

Timing rules:
- An item due on day D is overdue from the start of D+1 in Europe/London. A session on a day
  counts for that day, whatever the hour.
- A time-based item (C3, the new-allocation window) is overdue the moment after it falls due:
  discussed exactly 24 hours after allocation is in time.
- An item is "due soon" from `pack.due_soon_days` days before its due day (for a time-based
  item, that many days before the moment) until it is overdue.

Choices the councils' policies leave open, made here and written in each pack's notes:
- Phase boundaries (F2, F3): the interval that applies is the one in force on the day the next
  session falls due, not on the day of the last session. Someone whose last weekly session was
  in week 6 of their ASYE is next due a fortnight later (the fortnightly phase has begun by
  then), not a week later. Moving into a stricter phase, a session is due on the first day of
  that phase at the latest.
- A change of supervisor does not restart the clock: the interval runs on from the last formal
  session, whoever held it.
- An agreement (F7) applies where it is more frequent than the phase in force. A less frequent
  agreement applies only in the settled (last) phase, only if the pack allows it, and never
  beyond the pack's floor; otherwise the pack's interval applies.
- "Monthly" per the pack: rolling (same day next month, clamped to the month's end) or
  calendar (by the end of the next calendar month). Other month-based cycles (case reviews,
  agreement reviews, observations, probation) are always counted rolling, clamped.
- Risk changes (C2): a rise shortens the cycle, counted from the last discussion but never
  earlier than the day of the rise; a fall lengthens it back, counted from the last discussion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from oversight.policy import standards
from oversight.policy.packs import (
    Interval,
    PolicyPack,
    add_months_clamped,
    at_least_as_frequent,
    end_of_month,
    last_day,
)
from supervision.organisation.working_days import add_working_days

__all__ = [
    "KINDS",
    "LONDON",
    "AgreementFacts",
    "AllocationCheck",
    "Absence",
    "ActionFacts",
    "Cancellation",
    "ChildFacts",
    "DueItem",
    "HeldSession",
    "PersonFacts",
    "ProbationReviewHeld",
    "RecordFacts",
    "RiskChange",
    "add_months_clamped",
    "agreement_missing_due",
    "agreement_review_due",
    "allocation_check",
    "case_cycle",
    "case_review_due",
    "child_items",
    "cover_due",
    "cycle_days",
    "discussion_due_on",
    "effective_interval",
    "end_of_month",
    "group_review_due",
    "held_in_transfer_window",
    "local_date",
    "next_session_due",
    "overdue_from",
    "periodic_due",
    "person_items",
    "probation_review_dates",
    "record_due",
    "reschedule_due",
    "signoff_due",
    "state_of",
    "step",
    "supervised_in_service",
    "transfer_supervision_window",
]

LONDON = ZoneInfo("Europe/London")

NOT_YET_DUE = "not_yet_due"
DUE_SOON = "due_soon"
OVERDUE = "overdue"

SESSION_OVERDUE = "session_overdue"
RECORD_OVERDUE = "record_overdue"
SIGNOFF_OVERDUE = "signoff_overdue"
AGREEMENT_MISSING = "agreement_missing"
AGREEMENT_REVIEW_OVERDUE = "agreement_review_overdue"
CANCELLATION_NOT_RESCHEDULED = "cancellation_not_rescheduled"
COVER_NEEDED = "cover_needed"
CASE_REVIEW_OVERDUE = "case_review_overdue"
ALLOCATION_NOT_DISCUSSED = "allocation_not_discussed"
CLOSURE_WITHOUT_SUPERVISION = "closure_without_supervision"
ACTION_OVERDUE = "action_overdue"
OBSERVATION_DUE = "observation_due"
DEVELOPMENT_PLAN_DUE = "development_plan_due"
PROBATION_REVIEW_DUE = "probation_review_due"
KINDS = (
    SESSION_OVERDUE,
    RECORD_OVERDUE,
    SIGNOFF_OVERDUE,
    AGREEMENT_MISSING,
    AGREEMENT_REVIEW_OVERDUE,
    CANCELLATION_NOT_RESCHEDULED,
    COVER_NEEDED,
    CASE_REVIEW_OVERDUE,
    ALLOCATION_NOT_DISCUSSED,
    CLOSURE_WITHOUT_SUPERVISION,
    ACTION_OVERDUE,
    OBSERVATION_DUE,
    DEVELOPMENT_PLAN_DUE,
    PROBATION_REVIEW_DUE,
    *standards.PERSON_KINDS,
    *standards.CHILD_KINDS,
)


# Facts


@dataclass(frozen=True)
class HeldSession:
    """A session that took place. `supervisor` is for the reader only: the interval runs on
    from the last formal session whoever held it."""

    held_on: date
    session_type: str
    supervisor: str = ""
    minutes: int = 0  # F6


@dataclass(frozen=True)
class Cancellation:
    cancelled_on: date
    rescheduled_to: date | None = None
    about: str = ""


@dataclass(frozen=True)
class RecordFacts:
    """The record of one held session: written (shared with the supervisee, R6), signed by the
    supervisee (R7), finalised by the supervisor (R8)."""

    session_on: date
    shared_on: date | None = None
    supervisee_signed_on: date | None = None
    finalised_on: date | None = None
    about: str = ""


@dataclass(frozen=True)
class AgreementFacts:
    """The supervision agreement of the current supervisory relationship."""

    starts_on: date
    in_force: bool = True
    interval: Interval | None = None  # agreements.models frequency_value / frequency_unit
    review_due_on: date | None = None


@dataclass(frozen=True)
class Absence:
    """A period the supervisor is away; `cover_from` is when other supervision was arranged."""

    starts_on: date
    ends_on: date | None = None
    cover_from: date | None = None


@dataclass(frozen=True)
class ActionFacts:
    due_on: date
    done_on: date | None = None
    about: str = ""


@dataclass(frozen=True)
class ProbationReviewHeld:
    month: int
    held_on: date


@dataclass(frozen=True)
class PersonFacts:
    category: str  # supervision.models JobRole.Category value
    start_date: date
    person: str = ""  # how the person is named in items (e.g. email)
    asye_start: date | None = None  # anchors the ASYE phases (else start_date)
    student: bool = False  # the student schedule applies whatever the category
    phase_agreed_on: date | None = None  # F3: the agreed day a student moves on a phase
    relationship_start: date | None = None  # the current supervisor's relationship (A1, A2)
    sessions: tuple[HeldSession, ...] = ()
    cancellations: tuple[Cancellation, ...] = ()
    records: tuple[RecordFacts, ...] = ()
    agreement: AgreementFacts | None = None
    absences: tuple[Absence, ...] = ()
    observations: tuple[date, ...] = ()
    development_conversations: tuple[date, ...] = ()
    probation_end: date | None = None
    probation_reviews: tuple[ProbationReviewHeld, ...] = ()
    actions: tuple[ActionFacts, ...] = ()
    planned: tuple[standards.PlannedSession, ...] = ()  # S3
    wellbeing_plans: tuple[standards.WellbeingPlanFacts, ...] = ()  # Q5
    team_groups: tuple[standards.TeamGroups, ...] = ()  # C6: the teams the person manages

    @property
    def schedule_category(self) -> str:
        return "student" if self.student else self.category


@dataclass(frozen=True)
class RiskChange:
    """A child's level on one scale (rag, serious_harm, safety_wellbeing) from a day on."""

    on: date
    scale: str
    level: str


@dataclass(frozen=True)
class ChildFacts:
    reference: str
    service: str  # casework.models Service value
    allocated_at: datetime | None = None
    service_since: date | None = None  # C4: when the child arrived in the current service
    levels: tuple[RiskChange, ...] = ()
    discussions: tuple[datetime, ...] = ()  # formal case supervision: 1:1 or joint
    group_discussions: tuple[datetime, ...] = ()  # group case supervision (C6)
    allocation_discussed_at: datetime | None = None  # C3: an allocation oversight note
    in_group_supervision: bool = False  # C6: the family is held in group case supervision
    closed_on: date | None = None
    transfers: tuple[standards.TransferFacts, ...] = ()  # C5
    joint_days: tuple[date, ...] = ()  # C5: days of joint or transfer supervision, drafts too


# Items


@dataclass(frozen=True)
class DueItem:
    kind: str  # one of KINDS
    due: date | datetime  # a day, or an aware moment for time-based items (C3)
    state: str  # not_yet_due | due_soon | overdue
    subject: str  # "person" | "child"
    reference: str  # PersonFacts.person or ChildFacts.reference
    detail: str
    rule: str = ""  # the rule's id in docs/rules.md, e.g. "R6"
    about: str = ""  # which one, when a subject can have several of a kind

    @property
    def overdue_from(self) -> datetime:
        """The moment the item is, or will be, overdue: the report's "since"."""
        return overdue_from(self.due)


def day_start(day: date) -> datetime:
    """The first moment of a day in London."""
    return datetime.combine(day, time.min, tzinfo=LONDON)


# The flag job asks the day of the same few moments (a child's discussions) at every step of a
# walk through its history: tens of thousands of times a batch. Remembered whole: a naive
# moment never equals an aware one, so it is never answered from the cache, and refused.
@lru_cache(maxsize=1 << 16)
def local_date(moment: datetime) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Give an aware datetime: the rules run in Europe/London time")
    return moment.astimezone(LONDON).date()


def overdue_from(due: date | datetime) -> datetime:
    """Start of the day after a due day (Europe/London); a due moment itself."""
    if isinstance(due, datetime):
        return due
    return _day_after(due)


# Asked of every item at every moment of a walk, to order the items: remembered.
@lru_cache(maxsize=1 << 14)
def _day_after(due: date) -> datetime:
    return datetime.combine(due + timedelta(days=1), time(), tzinfo=LONDON)


def state_of(due: date | datetime, at: datetime, soon_days: int) -> str:
    local_date(at)  # refuses a naive moment
    if isinstance(due, datetime):
        if at > due:
            return OVERDUE
        return DUE_SOON if due - at <= timedelta(days=soon_days) else NOT_YET_DUE
    today = local_date(at)
    if today > due:
        return OVERDUE
    return DUE_SOON if (due - today).days <= soon_days else NOT_YET_DUE


def _item(pack, at, kind, due, subject, reference, detail, rule, about="") -> DueItem:
    return DueItem(
        kind=kind,
        due=due,
        state=state_of(due, at, pack.due_soon_days),
        subject=subject,
        reference=reference,
        detail=detail,
        rule=rule,
        about=about,
    )


@lru_cache(maxsize=1 << 14)
def _when(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# Building blocks: supervision sessions (F1-F7, S6)


def step(day: date, interval: Interval, counting: str = "rolling") -> date:
    """The last day of an interval starting on `day` (packs.last_day)."""
    return last_day(day, interval, counting)


def effective_interval(
    pack: PolicyPack, phase_interval: Interval, agreed: Interval | None, *, settled: bool
) -> Interval:
    """The interval that applies in one phase, given the agreement's (F7)."""
    counting = pack.monthly_counting
    if agreed is None or at_least_as_frequent(agreed, phase_interval, counting):
        return agreed or phase_interval
    rules = pack.agreement
    if not (settled and rules.less_frequent_allowed):
        return phase_interval
    if rules.floor is not None and not at_least_as_frequent(agreed, rules.floor, counting):
        return rules.floor
    return agreed


def _formal_sessions(pack: PolicyPack, facts: PersonFacts, today: date) -> list[date]:
    return sorted(
        s.held_on
        for s in facts.sessions
        if s.held_on <= today and pack.counts_as_formal(s.session_type)
    )


def _segments(pack: PolicyPack, facts: PersonFacts, agreed: Interval | None):
    """[(first day or None, first day after or None, interval)] of the person's phases."""
    category = facts.schedule_category
    schedule = pack.schedule_for(category)
    anchor = (facts.asye_start if category == "asye" else None) or facts.start_date
    segments = []
    start: date | None = None
    for index, phase in enumerate(schedule.phases):
        settled = index == len(schedule.phases) - 1
        end = phase.ends_on(anchor, facts.phase_agreed_on)
        if end is not None and start is not None:
            end = max(end, start)
        segments.append(
            (start, end, effective_interval(pack, phase.interval, agreed, settled=settled))
        )
        if end is None:
            break  # an agreed point not yet agreed: this phase runs on
        start = end
    return segments


def _agreed_interval(facts: PersonFacts, today: date) -> Interval | None:
    agreement = facts.agreement
    if agreement is None or not agreement.in_force or agreement.starts_on > today:
        return None
    return agreement.interval


def next_session_due(pack: PolicyPack, facts: PersonFacts, on: date | None = None) -> date:
    """The day by which the next formal session must be held, counting sessions up to `on`.

    From the last formal session of a type the pack counts (never ad hoc, S6), or from the
    start date if none. The interval is the one in force on the day the session falls due
    (see the module docstring): for each phase in turn, the candidate is the last session plus
    that phase's interval, but not before the phase begins; the first candidate inside its
    phase is the answer.
    """
    today = on or date.max
    held = _formal_sessions(pack, facts, today)
    last = held[-1] if held else facts.start_date
    counting = pack.monthly_counting
    agreed = _agreed_interval(facts, today)
    for start, end, interval in _segments(pack, facts, agreed):
        candidate = step(last, interval, counting)
        if agreed is not None and interval != agreed:
            # The agreement is not the interval (it is not always as frequent as the pack's,
            # or not allowed to be less): supervision is still never less frequent than
            # agreed, so whichever due date comes first (F7).
            candidate = min(candidate, step(last, agreed, counting))
        if start is not None and candidate < start:
            candidate = start
        if end is None or candidate < end:
            return candidate
    raise AssertionError("the last phase is open-ended")  # pragma: no cover


def _interval_on(pack: PolicyPack, facts: PersonFacts, day: date, today: date) -> Interval:
    for start, end, interval in _segments(pack, facts, _agreed_interval(facts, today)):
        if (start is None or day >= start) and (end is None or day < end):
            return interval
    raise AssertionError("the phases cover every day")  # pragma: no cover


# Building blocks: records, agreements, cancellations, cover (R6-R8, A1-A2, S4-S5)


def record_due(pack: PolicyPack, session_on: date) -> date:
    """R6: the record is written (shared with the supervisee) within N working days."""
    return add_working_days(session_on, pack.record_working_days)


def signoff_due(pack: PolicyPack, shared_on: date) -> date:
    """R7, R8: signed by the supervisee and finalised within N working days of sharing."""
    return add_working_days(shared_on, pack.signoff_working_days)


def agreement_missing_due(pack: PolicyPack, facts: PersonFacts, on: date | None = None) -> date:
    """A1: the day by which the current relationship's agreement must be in force."""
    if facts.relationship_start is None:
        raise ValueError("No supervisory relationship, so no agreement is due")
    due = facts.relationship_start + timedelta(days=pack.agreement.draw_up_days)
    if pack.agreement.at_first_session:
        firsts = [
            d
            for d in _formal_sessions(pack, facts, on or date.max)
            if d >= facts.relationship_start
        ]
        if firsts:
            due = min(due, firsts[0])
    return due


def agreement_review_due(
    pack: PolicyPack, agreement: AgreementFacts, relationship_start: date | None = None
) -> date:
    """A2: reviewed at least every N months (sooner if the agreement says so), and at a change
    of supervisor: an agreement older than the current relationship is due for review within
    the pack's draw-up days of the change."""
    due = add_months_clamped(agreement.starts_on, pack.agreement.review_months)
    if agreement.review_due_on is not None:
        due = min(due, agreement.review_due_on)
    if relationship_start is not None and agreement.starts_on < relationship_start:
        due = min(due, relationship_start + timedelta(days=pack.agreement.draw_up_days))
    return due


def reschedule_due(pack: PolicyPack, cancelled_on: date) -> date:
    """S4: a cancelled session is held again within N days of the cancellation."""
    return cancelled_on + timedelta(days=pack.cancellation_reschedule_days)


def cover_due(pack: PolicyPack, absence: Absence) -> date:
    """S5: the first day of absence beyond the pack's limit, by which cover is in place.
    Absent 1-14 June is two weeks, not more; from 15 June it is more than two weeks."""
    return absence.starts_on + timedelta(days=pack.cover_after_days)


def periodic_due(last: date | None, start: date, per_year: int) -> date:
    """Q1, Q2: "N a year" read as one every 12/N months, so they are spread through the year:
    from the last one, or from the start date."""
    return add_months_clamped(last or start, 12 // per_year)


def probation_review_dates(
    pack: PolicyPack, start_date: date | None, probation_end: date | None
) -> list[tuple[int, date]]:
    """Q3: [(month, due date)] at the end of each review month of probation; none without a
    probation end; none after a shortened probation's end. The same dates as
    supervision.development.services.probation_review_dates for Kent's 1, 4 and 5."""
    if start_date is None or probation_end is None:
        return []
    dates = [(m, add_months_clamped(start_date, m)) for m in pack.probation_review_months]
    return [(m, d) for m, d in dates if d <= probation_end]


# Person


def person_items(pack: PolicyPack, facts: PersonFacts, at: datetime) -> list[DueItem]:
    """Every item due for a member of staff at moment `at`, overdue or not, soonest first.
    Items whose awaited fact has arrived by `at` are not returned."""
    today = local_date(at)
    if facts.start_date > today:
        return []
    items: list[DueItem] = []
    for _, family in PERSON_RULES:
        items += family(pack, facts, at)
    return in_order(items)


def in_order(items: list[DueItem]) -> list[DueItem]:
    """Soonest first, as every list of items is given; a stable sort, so items the order
    cannot tell apart stay in the order their rules added them."""
    return sorted(items, key=_order)


def _person_family(add_items: Callable) -> Callable[..., list[DueItem]]:
    """One family of a person's rules as a function of (pack, facts, at): its items, in the
    order it adds them."""

    def family(pack: PolicyPack, facts: PersonFacts, at: datetime) -> list[DueItem]:
        ref, items = facts.person, []

        def add(kind, due, detail, rule, about=""):
            items.append(_item(pack, at, kind, due, "person", ref, detail, rule, about))

        add_items(pack, facts, local_date(at), add=add)
        return items

    return family


def _add_session_items(pack: PolicyPack, facts: PersonFacts, today: date, *, add: _Add):
    # F1-F7, S6
    formal = _formal_sessions(pack, facts, today)
    due = next_session_due(pack, facts, today)
    interval = _interval_on(pack, facts, due, today)
    last = (
        f"last held {_when(formal[-1])}" if formal else f"none yet since {_when(facts.start_date)}"
    )
    add(SESSION_OVERDUE, due, f"Formal supervision {interval.describe()}; {last}", "F1-F5")


def _add_action_items(pack: PolicyPack, facts: PersonFacts, today: date, *, add: _Add):
    # R4, R10: actions with a timescale
    for action in facts.actions:
        if action.done_on is not None and action.done_on <= today:
            continue
        # Named by its date, never its words: the text can be personal and flags go by email.
        detail = f"Action due {_when(action.due_on)} not done"
        add(ACTION_OVERDUE, action.due_on, detail, "R4", action.about)


_Add = Callable[..., None]


def standard_items(pack: PolicyPack, facts: PersonFacts, at: datetime) -> list[DueItem]:
    """Only the items of `standards` (F6, S3, Q5, C6), as `person_items` has them: for the
    synthetic organisation, which copies the other rules itself (demo/synthetic.py)."""
    today = local_date(at)
    if facts.start_date > today:
        return []
    items: list[DueItem] = []

    def add(kind, due, detail, rule, about=""):
        items.append(_item(pack, at, kind, due, "person", facts.person, detail, rule, about))

    standards.add_support_time_items(pack, facts, today, add=add)
    standards.add_planned_ahead_items(pack, facts, today, add=add)
    standards.add_wellbeing_plan_items(pack, facts, today, add=add)
    standards.add_group_supervision_items(pack, facts, today, add=add)
    return in_order(items)


def _add_record_items(pack: PolicyPack, facts: PersonFacts, today: date, *, add: _Add):
    # R6, R7, R8
    for record in facts.records:
        if record.session_on > today:
            continue
        about = record.about or record.session_on.isoformat()
        if record.shared_on is None or record.shared_on > today:
            add(
                RECORD_OVERDUE,
                record_due(pack, record.session_on),
                f"Record of the session on {_when(record.session_on)} not yet written",
                "R6",
                about,
            )
        elif record.finalised_on is None or record.finalised_on > today:
            signed = (
                record.supervisee_signed_on is not None and record.supervisee_signed_on <= today
            )
            waiting = "the supervisor to finalise" if signed else "the supervisee to sign"
            add(
                SIGNOFF_OVERDUE,
                signoff_due(pack, record.shared_on),
                f"Record of the session on {_when(record.session_on)} waiting for {waiting}",
                "R7, R8",
                about,
            )


def _add_agreement_items(pack: PolicyPack, facts: PersonFacts, today: date, *, add: _Add):
    # A1, A2
    agreement = facts.agreement
    in_force = agreement is not None and agreement.in_force and agreement.starts_on <= today
    started = facts.relationship_start is not None and facts.relationship_start <= today
    if started and not in_force:
        add(
            AGREEMENT_MISSING,
            agreement_missing_due(pack, facts, today),
            f"No supervision agreement in force since the relationship began on "
            f"{_when(facts.relationship_start)}",
            "A1",
        )
    if in_force:
        changed = (
            facts.relationship_start is not None
            and agreement.starts_on < facts.relationship_start <= today
        )
        add(
            AGREEMENT_REVIEW_OVERDUE,
            agreement_review_due(pack, agreement, facts.relationship_start if changed else None),
            "Agreement to review: change of supervisor"
            if changed
            else f"Agreement of {_when(agreement.starts_on)} to review",
            "A2",
        )


def _add_cancellation_items(
    pack: PolicyPack, facts: PersonFacts, today: date, *, add: _Add, formal=None
):
    # S4
    if formal is None:
        formal = _formal_sessions(pack, facts, today)
    for cancellation in facts.cancellations:
        if cancellation.cancelled_on > today:
            continue
        if any(cancellation.cancelled_on <= d for d in formal):
            continue
        due = reschedule_due(pack, cancellation.cancelled_on)
        if cancellation.rescheduled_to is None:
            plan = "no new date set"
        elif cancellation.rescheduled_to > due:
            plan = f"moved to {_when(cancellation.rescheduled_to)}, after the window"
        else:
            plan = f"moved to {_when(cancellation.rescheduled_to)}"
        add(
            CANCELLATION_NOT_RESCHEDULED,
            due,
            f"Session cancelled on {_when(cancellation.cancelled_on)}: {plan}",
            "S4",
            cancellation.about or cancellation.cancelled_on.isoformat(),
        )


def _add_cover_items(pack: PolicyPack, facts: PersonFacts, today: date, *, add: _Add):
    # S5
    for absence in facts.absences:
        due = cover_due(pack, absence)
        if absence.starts_on > today:
            continue
        if absence.ends_on is not None and (absence.ends_on < due or absence.ends_on < today):
            continue  # not long enough, or over: the supervisor is back
        if absence.cover_from is not None and absence.cover_from <= today:
            continue
        add(
            COVER_NEEDED,
            due,
            f"Supervisor away since {_when(absence.starts_on)}; no cover arranged",
            "S5",
            absence.starts_on.isoformat(),
        )


def _add_development_items(pack: PolicyPack, facts: PersonFacts, today: date, *, add: _Add):
    # Q1, Q2
    category = facts.schedule_category
    for schedule, dates, kind, rule, what in (
        (pack.observations, facts.observations, OBSERVATION_DUE, "Q1", "Practice observation"),
        (
            pack.development_conversations,
            facts.development_conversations,
            DEVELOPMENT_PLAN_DUE,
            "Q2",
            "Development plan conversation",
        ),
    ):
        if schedule is None or category not in schedule.categories:
            continue
        held = [d for d in dates if d <= today]
        last_held = max(held, default=None)
        add(
            kind,
            periodic_due(last_held, facts.start_date, schedule.per_year),
            f"{what}: {schedule.per_year} a year",
            rule,
        )

    # Q3
    held_months = {r.month for r in facts.probation_reviews if r.held_on <= today}
    for month, due in probation_review_dates(pack, facts.start_date, facts.probation_end):
        if month not in held_months:
            add(
                PROBATION_REVIEW_DUE,
                due,
                f"Probation review at the end of month {month}",
                "Q3",
                f"month {month}",
            )


# A person's rules in families, each reading only some of the facts, in the order
# `person_items` adds their items: the flag job's walks ask each family again only when what it
# reads has changed (oversight.flags.asked).
PERSON_RULES: tuple[tuple[str, Callable[..., list[DueItem]]], ...] = (
    ("sessions", _person_family(_add_session_items)),
    ("records", _person_family(_add_record_items)),
    ("agreement", _person_family(_add_agreement_items)),
    ("cancellations", _person_family(_add_cancellation_items)),
    ("cover", _person_family(_add_cover_items)),
    ("actions", _person_family(_add_action_items)),
    ("development", _person_family(_add_development_items)),
    # The standards (F6, S3, Q5, C6): `standard_items`, each apart.
    ("support_time", _person_family(standards.add_support_time_items)),
    ("planned_ahead", _person_family(standards.add_planned_ahead_items)),
    ("wellbeing_plan", _person_family(standards.add_wellbeing_plan_items)),
    ("group_supervision", _person_family(standards.add_group_supervision_items)),
)


# Each kind's place in KINDS (its first, as KINDS.index), looked up for every item ordered.
_KIND_ORDER = {kind: KINDS.index(kind) for kind in KINDS}


def _order(item: DueItem):
    return (overdue_from(item.due), _KIND_ORDER[item.kind], item.about)


# Children (C1-C6): a superset of casework/rules.py, with the pack's numbers


def _levels_at(changes: Iterable[RiskChange], day: date) -> dict[str, str]:
    levels: dict[str, str] = {}
    for change in sorted(changes, key=lambda c: c.on):
        if change.on <= day:
            levels[change.scale] = change.level
    return levels


def case_cycle(pack: PolicyPack, service: str, levels: Mapping[str, str] | None = None) -> Interval:
    """C1, C2: how long a child may go between formal case discussions. Where the pack grades
    the service by risk, the highest rated level on any scale sets it; unrated counts as the
    pack's `unrated` level. Levels on scales the table does not know are ignored."""
    try:
        base = pack.cases.review[service]
    except KeyError:
        raise ValueError(f"Unknown service {service!r}") from None
    cycle = pack.cases.risk_review.get(service)
    if cycle is None:
        return base
    rated = [cycle.levels[level] for level in (levels or {}).values() if level in cycle.levels]
    return Interval(min(rated) if rated else cycle.levels[cycle.unrated], "days")


def cycle_days(
    pack: PolicyPack, service: str, serious_harm: str = "", safety_wellbeing: str = ""
) -> int:
    """casework.rules.cycle_days with the pack's numbers (only for cycles in days or weeks)."""
    levels = {"serious_harm": serious_harm, "safety_wellbeing": safety_wellbeing}
    interval = case_cycle(pack, service, {k: v for k, v in levels.items() if v})
    if interval.unit == "months":
        raise ValueError(f"{pack.name} counts this cycle in months; use case_cycle")
    return interval.every * (7 if interval.unit == "weeks" else 1)


def discussion_due_on(
    pack: PolicyPack,
    *,
    allocated_on: date,
    last_discussed_on: date | None,
    service: str,
    serious_harm: str = "",
    safety_wellbeing: str = "",
) -> date:
    """casework.rules.discussion_due_on with the pack's numbers: from the later of the
    allocation and the last discussion (an earlier worker's discussion does not count)."""
    since = max(d for d in (allocated_on, last_discussed_on) if d is not None)
    levels = {"serious_harm": serious_harm, "safety_wellbeing": safety_wellbeing}
    return step(since, case_cycle(pack, service, {k: v for k, v in levels.items() if v}))


def _child_start(facts: ChildFacts) -> date | None:
    if facts.allocated_at is not None:
        return local_date(facts.allocated_at)
    return facts.service_since


def _discussion_days(pack: PolicyPack, facts: ChildFacts, at: datetime, *, group: bool):
    moments = list(facts.discussions)
    if group:
        moments += list(facts.group_discussions)
    return sorted(local_date(m) for m in moments if m <= at)


def case_review_due(pack: PolicyPack, facts: ChildFacts, at: datetime) -> date | None:
    """C1, C2 (and C6's "need not also be discussed 1:1"): the day by which the child must
    next be discussed, with risk changes since the last discussion taken into account."""
    start = _child_start(facts)
    today = local_date(at)
    if start is None or start > today:
        return None
    counts_group = pack.cases.group_counts_as_case_supervision
    held = [d for d in _discussion_days(pack, facts, at, group=counts_group) if d >= start]
    since = held[-1] if held else start
    cycle = case_cycle(pack, facts.service, _levels_at(facts.levels, since))
    due = step(since, cycle)
    for day in sorted({c.on for c in facts.levels if since < c.on <= today}):
        new_cycle = case_cycle(pack, facts.service, _levels_at(facts.levels, day))
        plain, new_plain = step(since, cycle), step(since, new_cycle)
        if new_plain < plain:
            due = min(due, max(new_plain, day))
        elif new_plain > plain:
            due = new_plain
        cycle = new_cycle
    return due


def group_review_due(pack: PolicyPack, facts: ChildFacts, at: datetime) -> date | None:
    """C6: a child held in group case supervision is discussed at least every pack.cases.group
    (Surrey: monthly, counted per the pack's monthly counting). Any formal discussion, 1:1 or
    group, meets it."""
    if pack.cases.group is None or not facts.in_group_supervision:
        return None
    start = _child_start(facts)
    if start is None or start > local_date(at):
        return None
    held = [d for d in _discussion_days(pack, facts, at, group=True) if d >= start]
    return step(held[-1] if held else start, pack.cases.group, pack.monthly_counting)


@dataclass(frozen=True)
class AllocationCheck:
    """C3 for one allocation: whether, or by when, it is discussed."""

    due_by: datetime
    discussed_at: datetime | None

    @property
    def discussed_in_time(self) -> bool:
        return self.discussed_at is not None and self.discussed_at <= self.due_by

    def overdue(self, now: datetime) -> bool:
        return not self.discussed_in_time and (self.discussed_at or now) > self.due_by


def allocation_check(
    pack: PolicyPack, allocated_at: datetime, first_discussed_at: datetime | None
) -> AllocationCheck:
    hours = pack.cases.allocation_hours
    if hours is None:
        raise ValueError(f"{pack.name} sets no window for discussing new allocations")
    return AllocationCheck(
        due_by=allocated_at + timedelta(hours=hours), discussed_at=first_discussed_at
    )


def transfer_supervision_window(pack: PolicyPack, transfer_on: date) -> tuple[date, date]:
    """C5: the days in which to hold joint supervision before a transfer, inclusive."""
    return standards.transfer_window(pack, transfer_on)


def held_in_transfer_window(
    pack: PolicyPack, transfer_on: date, discussed_on: list[date]
) -> date | None:
    earliest, latest = transfer_supervision_window(pack, transfer_on)
    inside = [d for d in discussed_on if earliest <= d <= latest]
    return max(inside) if inside else None


def supervised_in_service(service_since: date, formal_discussions_in_service: list[date]) -> bool:
    """C4: whether the closing service held formal case supervision since the child arrived."""
    return any(d >= service_since for d in formal_discussions_in_service)


def child_items(pack: PolicyPack, facts: ChildFacts, at: datetime) -> list[DueItem]:
    """Every item due for a child at moment `at`, soonest first."""
    today = local_date(at)
    ref = facts.reference
    items: list[DueItem] = []

    def add(kind, due, detail, rule, about=""):
        items.append(_item(pack, at, kind, due, "child", ref, detail, rule, about))

    counts_group = pack.cases.group_counts_as_case_supervision
    if facts.closed_on is not None and facts.closed_on <= today:
        # C4: only the closing service's own discussions, up to the day of closure.
        if pack.cases.closure_rule:
            since = facts.service_since or _child_start(facts) or date.min
            held = [
                d
                for d in _discussion_days(pack, facts, at, group=counts_group)
                if d <= facts.closed_on
            ]
            if not supervised_in_service(since, held):
                add(
                    CLOSURE_WITHOUT_SUPERVISION,
                    facts.closed_on,
                    f"Closed on {_when(facts.closed_on)} without formal case supervision in "
                    "the closing service",
                    "C4",
                )
        return items

    due = case_review_due(pack, facts, at)
    if due is not None:
        add(CASE_REVIEW_OVERDUE, due, "Case supervision cycle", "C1, C2", "cycle")

    due = group_review_due(pack, facts, at)
    if due is not None:
        add(CASE_REVIEW_OVERDUE, due, "Group case supervision cycle", "C6", "group")

    standards.add_transfer_items(pack, facts.transfers, facts.joint_days, today, add=add)

    hours = pack.cases.allocation_hours
    if hours is not None and facts.allocated_at is not None and facts.allocated_at <= at:
        moments = [*facts.discussions, *facts.group_discussions]
        if facts.allocation_discussed_at is not None:
            moments.append(facts.allocation_discussed_at)
        if not any(facts.allocated_at <= m <= at for m in moments):
            check = allocation_check(pack, facts.allocated_at, None)
            add(
                ALLOCATION_NOT_DISCUSSED,
                check.due_by,
                f"New allocation to discuss within {hours} hours",
                "C3",
                facts.allocated_at.isoformat(),
            )

    return sorted(items, key=_order)


# The remaining rules (docs/rules.md) that are checks rather than due dates: plain functions too,
# so the product's pages and the rules tests share one answer.

FRONT_DOOR_MIN_FAMILIES = 2  # C7


def front_door_families_enough(family_keys: Iterable[str]) -> bool:
    """C7: at least two families per front-door session; siblings are one family."""
    return len(set(family_keys)) >= FRONT_DOOR_MIN_FAMILIES


def needs_neglect_review(plan: str, chronic_neglect: bool) -> bool:
    """C8: a child protection plan for chronic neglect asks for independent review of home
    conditions, the chronology and written agreements."""
    return plan == "child_protection" and chronic_neglect
