"""Planning supervision sessions: series agreed ahead, cancellations and what happened.

Writes own their transaction and audit entry, like `services`. Calendar invitations go out
only once the transaction has committed, so nobody is invited to a session that was rolled
back.
"""

import calendar as month_calendar
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from supervision.models import SupervisionSession, User
from supervision.organisation import audit
from supervision.sessions import calendar as session_calendar

SESSION = "supervision_session"
SHORTEST_SESSION = timedelta(minutes=15)
LONGEST_SESSION = timedelta(hours=4)
INTERVAL_WEEKS = range(1, 9)
# S3: dates are agreed at least six months ahead; a year is as far as any policy looks.
DEFAULT_MONTHS_AHEAD = 6
FURTHEST_MONTHS_AHEAD = 12
# S4: a cancelled session is rescheduled no later than two weeks after the cancellation.
RESCHEDULE_WITHIN = timedelta(days=14)
# Sessions that take up the time of the people in them: a cancelled one frees the slot.
OCCUPYING = (SupervisionSession.Status.PLANNED, SupervisionSession.Status.HELD)


def long_date(day: date | datetime) -> str:
    if isinstance(day, datetime):
        day = timezone.localtime(day).date()
    return f"{day:%-d %B %Y}"


def add_months(day: date, months: int, on_day: int | None = None) -> date:
    """The same day of the month `months` later, or the month's last day where it is shorter
    (31 January + 1 month is 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = month_calendar.monthrange(year, month)[1]
    return date(year, month, min(on_day or day.day, last))


def _at_local_time(day: date, like: datetime) -> datetime:
    # Wall-clock time is kept across the change to and from British Summer Time: a 10:00
    # session stays at 10:00, whatever that is in UTC.
    local = timezone.localtime(like)
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=local.tzinfo)


def series_start_times(
    *,
    first_start: datetime,
    duration: timedelta,
    interval_weeks: int | None = None,
    monthly: bool = False,
    until: date | None = None,
    today: date | None = None,
) -> list[datetime]:
    """Start times of the sessions of a series, checked against the planning rules.

    Raises ValidationError keyed by the argument at fault.
    """
    if timezone.is_naive(first_start):
        raise ValueError("first_start must be timezone-aware")
    today = today or timezone.localdate()
    first_day = timezone.localtime(first_start).date()
    errors: dict[str, str] = {}
    if first_start <= timezone.now():
        errors["first_start"] = "Enter a date and time in the future for the first session"
    if not SHORTEST_SESSION <= duration <= LONGEST_SESSION:
        errors["duration"] = "Enter a length from 15 minutes to 4 hours"
    if monthly and interval_weeks is not None:
        errors["interval_weeks"] = "Choose either a number of weeks or monthly, not both"
    elif not monthly and interval_weeks not in INTERVAL_WEEKS:
        errors["interval_weeks"] = "Enter a number of weeks between sessions from 1 to 8"
    until = until or add_months(first_day, DEFAULT_MONTHS_AHEAD)
    furthest = add_months(today, FURTHEST_MONTHS_AHEAD)
    if until <= first_day:
        errors["until"] = f"Enter an end date after the first session, {long_date(first_day)}"
    elif until > furthest:
        errors["until"] = (
            f"Enter an end date no more than 12 months ahead, {long_date(furthest)} at the latest"
        )
    if errors:
        raise ValidationError(errors)

    days = []
    step = 0
    while True:
        if monthly:
            # Counted from the first date, not the previous one, so 31 January gives
            # 28 February and then 31 March again.
            day = add_months(first_day, step, on_day=first_day.day)
        else:
            day = first_day + timedelta(weeks=interval_weeks * step)
        if day > until:
            break
        days.append(day)
        step += 1
    return [_at_local_time(day, first_start) for day in days]


def session_clashes(
    *,
    supervisor: User,
    supervisee: User,
    starts_at: datetime,
    ends_at: datetime,
    exclude_ids: Iterable[int] = (),
) -> list[SupervisionSession]:
    """Planned or held sessions of either person that overlap the slot."""
    return series_clashes(
        supervisor=supervisor,
        supervisee=supervisee,
        slots=[(starts_at, ends_at)],
        exclude_ids=exclude_ids,
    )


def series_clashes(
    *,
    supervisor: User,
    supervisee: User,
    slots: list[tuple[datetime, datetime]],
    exclude_ids: Iterable[int] = (),
) -> list[SupervisionSession]:
    """Clashes for many slots in one query, for a whole series at once."""
    if not slots:
        return []
    people = [supervisor.pk, supervisee.pk]
    candidates = (
        SupervisionSession.objects.filter(
            Q(supervisor__in=people) | Q(supervisee__in=people),
            status__in=OCCUPYING,
            starts_at__lt=max(end for _, end in slots),
            ends_at__gt=min(start for start, _ in slots),
        )
        .exclude(pk__in=list(exclude_ids))
        .select_related("supervisor", "supervisee")
        .order_by("starts_at", "pk")
    )
    return [
        session
        for session in candidates
        if any(session.starts_at < end and session.ends_at > start for start, end in slots)
    ]


def already_booked(
    *,
    supervisee: User,
    session_type: str,
    slots: list[tuple[datetime, datetime]],
    interval_weeks: int | None,
    monthly: bool,
) -> dict[datetime, SupervisionSession]:
    """The new series' start times that fall in a period already covered by a session of the
    same type planned or held for the supervisee (within half the interval either side, or in
    the same calendar month for a monthly series), each with that session. Planning over sessions
    already booked doubles them up, and cancelling the extras would count as cancellations.
    A session at an overlapping time is a clash instead (`series_clashes`)."""
    if not slots:
        return {}
    half = timedelta(days=7 * (interval_weeks or 4) / 2)
    existing = list(
        SupervisionSession.objects.filter(
            supervisee=supervisee,
            session_type=session_type,
            status__in=OCCUPYING,
            starts_at__gte=min(start for start, _ in slots) - timedelta(days=31),
            starts_at__lte=max(start for start, _ in slots) + timedelta(days=31),
        )
        .select_related("supervisor")
        .order_by("starts_at", "pk")
    )
    found = {}
    for start, end in slots:
        local = timezone.localtime(start)
        for session in existing:
            if session.starts_at < end and session.ends_at > start:
                continue  # a clash, asked about on its own
            other = timezone.localtime(session.starts_at)
            if monthly:
                near = (other.year, other.month) == (local.year, local.month)
            else:
                near = abs(other - local) < half
            if near:
                found[start] = session
                break
    return found


@dataclass(frozen=True)
class Clash:
    """How a clash is told to the person planning: who is busy and when, never with whom,
    because the other session may belong to a file the planner cannot read."""

    people: tuple[User, ...]
    session: SupervisionSession

    def __str__(self):
        starts = timezone.localtime(self.session.starts_at)
        ends = timezone.localtime(self.session.ends_at)
        who = " and ".join(person.full_name for person in self.people)
        has = "has" if len(self.people) == 1 else "have"
        return (
            f"{who} already {has} a session on {long_date(starts)} "
            f"from {starts:%H:%M} to {ends:%H:%M}"
        )


def describe_clashes(clashes: list[SupervisionSession], *, supervisor, supervisee) -> list[Clash]:
    return [
        Clash(
            people=tuple(
                person
                for person in (supervisor, supervisee)
                if person.pk in (session.supervisor_id, session.supervisee_id)
            ),
            session=session,
        )
        for session in clashes
    ]


def _invite(session: SupervisionSession, method: str) -> None:
    # Written to the outbox with the session: a mail server that is down delays the
    # invitation and never turns a saved plan into an error page.
    session_calendar.send_session_invitations(session, method)


@transaction.atomic
def sessions_plan_series(
    *,
    supervisee: User,
    supervisor: User,
    session_type: str,
    first_start: datetime,
    duration: timedelta,
    interval_weeks: int | None = None,
    monthly: bool = False,
    until: date | None = None,
    mode: str = SupervisionSession.Mode.IN_PERSON,
    location: str = "",
    skip: Iterable[datetime] = (),
    by: User,
    request=None,
) -> list[SupervisionSession]:
    """Plan a series of sessions ahead (rule S3), all or none, leaving out the start times
    in `skip` (dates already booked: `already_booked`)."""
    if supervisor == supervisee:
        raise ValidationError({"supervisor": "A person cannot supervise themselves."})
    starts = series_start_times(
        first_start=first_start,
        duration=duration,
        interval_weeks=interval_weeks,
        monthly=monthly,
        until=until,
    )
    skipped = set(skip)
    starts = [start for start in starts if start not in skipped]
    if not starts:
        raise ValidationError(
            {"first_start": "Every date of this series already has a session booked near it"}
        )
    series = uuid.uuid4()
    sessions = []
    for starts_at in starts:
        session = SupervisionSession(
            supervisee=supervisee,
            supervisor=supervisor,
            session_type=session_type,
            starts_at=starts_at,
            ends_at=starts_at + duration,
            mode=mode,
            location=location,
            series=series,
            created_by=by,
        )
        session.full_clean()
        sessions.append(session)
    for session in sessions:
        session.save()
    session_calendar.send_series_invitations(sessions)
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type=SESSION,
        object_id=sessions[0].pk,
        subject=supervisee,
        detail={
            "change": "sessions planned",
            "series": str(series),
            "sessions": [session.pk for session in sessions],
            "supervisor": supervisor.pk,
            "first": sessions[0].starts_at.isoformat(),
            "last": sessions[-1].starts_at.isoformat(),
        },
    )
    return sessions


def _check_cancellation(
    session: SupervisionSession, reason: str, new_start: datetime | None, now: datetime
) -> str:
    """Refuse a cancellation the rules do not allow; the reason given, trimmed."""
    if session.status != SupervisionSession.Status.PLANNED:
        raise ValidationError(
            f"Only a planned session can be cancelled; this one is "
            f"{session.get_status_display().lower()}."
        )
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Enter why the session is cancelled"
    latest = timezone.localdate(now) + RESCHEDULE_WITHIN
    if new_start is not None:
        if timezone.is_naive(new_start):
            raise ValueError("new_start must be timezone-aware")
        if new_start <= now:
            errors["new_start"] = "Enter a new date and time in the future"
        elif timezone.localtime(new_start).date() > latest:
            errors["new_start"] = (
                "Enter a new date no later than 14 days after the cancellation, "
                f"{long_date(latest)}"
            )
    if errors:
        raise ValidationError(errors)
    return reason


def _rebook(session: SupervisionSession, new_start: datetime, by: User) -> SupervisionSession:
    """The cancelled session booked again: same people, type, length, place and series."""
    replacement = SupervisionSession(
        supervisee=session.supervisee,
        supervisor=session.supervisor,
        session_type=session.session_type,
        starts_at=new_start,
        ends_at=new_start + (session.ends_at - session.starts_at),
        mode=session.mode,
        location=session.location,
        series=session.series,
        replaces=session,
        created_by=by,
    )
    replacement.full_clean()
    replacement.save()
    _invite(replacement, "REQUEST")
    return replacement


@transaction.atomic
def session_cancel(
    *,
    session: SupervisionSession,
    by: User,
    reason: str,
    new_start: datetime | None = None,
    request=None,
) -> SupervisionSession | None:
    """Cancel a planned session and, if a new time is given, rebook it (rule S4).

    Returns the replacement session, or None when none was booked.
    """
    session = SupervisionSession.objects.select_for_update().get(pk=session.pk)
    now = timezone.now()
    reason = _check_cancellation(session, reason, new_start, now)

    session.status = SupervisionSession.Status.CANCELLED
    session.cancelled_by = by
    session.cancelled_at = now
    session.cancellation_reason = reason
    # A changed SEQUENCE is what makes calendars replace the entry rather than ignore it.
    session.ics_sequence += 1
    session.full_clean()
    session.save(
        update_fields=[
            "status",
            "cancelled_by",
            "cancelled_at",
            "cancellation_reason",
            "ics_sequence",
        ]
    )
    _invite(session, "CANCEL")

    replacement = None
    if new_start is not None:
        replacement = _rebook(session, new_start, by)

    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type=SESSION,
        object_id=session.pk,
        subject=session.supervisee,
        detail={
            "change": "session cancelled",
            "rescheduled_as": replacement.pk if replacement else None,
            "new_start": new_start.isoformat() if new_start else None,
        },
    )
    return replacement


@transaction.atomic
def session_record_outcome(
    *,
    session: SupervisionSession,
    by: User,
    status: str,
    lateness_notes: str = "",
    interruption_notes: str = "",
    request=None,
) -> SupervisionSession:
    """Record whether a planned session was held, and any lateness or interruptions (S4)."""
    session = SupervisionSession.objects.select_for_update().get(pk=session.pk)
    outcomes = (SupervisionSession.Status.HELD, SupervisionSession.Status.DID_NOT_TAKE_PLACE)
    lateness_notes = (lateness_notes or "").strip()
    interruption_notes = (interruption_notes or "").strip()
    if session.status != SupervisionSession.Status.PLANNED:
        raise ValidationError(
            f"What happened has already been recorded: this session is "
            f"{session.get_status_display().lower()}."
        )
    errors = {}
    if status not in outcomes:
        errors["status"] = "Select whether the session was held"
    elif session.starts_at > timezone.now():
        errors["status"] = (
            "You can record what happened once the session has started, "
            f"on {long_date(session.starts_at)}"
        )
    elif status == SupervisionSession.Status.DID_NOT_TAKE_PLACE and (
        lateness_notes or interruption_notes
    ):
        errors["status"] = "Lateness and interruptions can only be recorded for a session held"
    if errors:
        raise ValidationError(errors)

    session.status = status
    session.lateness_notes = lateness_notes
    session.interruption_notes = interruption_notes
    session.full_clean()
    session.save(update_fields=["status", "lateness_notes", "interruption_notes"])
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type=SESSION,
        object_id=session.pk,
        subject=session.supervisee,
        detail={
            "change": "outcome recorded",
            "status": status,
            "lateness": bool(lateness_notes),
            "interruptions": bool(interruption_notes),
        },
    )
    return session
