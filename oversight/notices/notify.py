"""Who is told about a flag, and what is written to the outbox for them.

A notice is written to the outbox in the same transaction that raises the flag, so a flag is
never raised without its notice nor noticed twice; sending happens later, from the outbox
(`oversight.notices.outbox.send_due`).

People choose how they hear (`NotificationPreference`): an email for each new flag (the
default), or one email a day listing the flags raised for them since the last one
(`daily_digests_write`, 07:00 London). Each Monday every senior manager (the manager of a unit
that is not a team) gets a weekly digest of the units at and below theirs
(`weekly_digests_write`).

What an email may say: email leaves the organisation's control, so a child is named by their
reference only (never a name or initials) and no case text is carried: the flag's kind, the
rule, its due date, the member of staff concerned and a link to the page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from access.people import may_act
from oversight.models import (
    CLAIM_LEASE,
    Flag,
    FlagKind,
    Notification,
    NotificationPreference,
    Reminder,
)
from oversight.notices.reminder_text import reminder_text
from oversight.policy.due import local_date
from supervision.models import SupervisoryRelationship, Unit, User
from supervision.organisation import audit
from supervision.organisation.site import site_link

# Who must act on each kind: the supervisee, their line supervisor, or the worker's supervisor
# for a child. Signing off waits on whoever has not signed yet; the flag's detail says which.
SUPERVISEE_ACTS = {FlagKind.ACTION_OVERDUE}

# A daily digest covers the flags raised up to this long before it is written. A tick that
# started earlier may still be committing flags dated from its start (`raised_at` is the tick's
# moment); a tick holding a row longer than the claim lease has lost it to another worker, so
# by then every flag dated before the window's end is visible. Consecutive windows meet exactly,
# so no flag falls between two digests nor appears in both.
DIGEST_SETTLE = CLAIM_LEASE
WEEK = timedelta(days=7)


def recipients(flag: Flag, on) -> list:
    """The people who must act on this flag."""
    return _recipients_of([flag], on)[0]


# --- Preferences -------------------------------------------------------------------------------


def preference_mode(user) -> str:
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference.mode if preference else NotificationPreference.Mode.EACH


def wants_each(user) -> bool:
    return preference_mode(user) == NotificationPreference.Mode.EACH


@transaction.atomic
def preference_set(*, user, mode: str, request=None) -> NotificationPreference:
    """Save how this person hears about new flags; audited as a write."""

    if mode not in NotificationPreference.Mode.values:
        raise ValidationError({"mode": "Select how you would like to hear about overdue items"})
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"mode": mode}
    )
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=user,
        object_type="notification_preference",
        object_id=user.pk,
        subject=user,
        detail={"mode": mode},
    )
    return preference


# --- A notice for each new flag ---------------------------------------------------------------


def _reachable(person) -> bool:
    # A leaver hears nothing more, even before the job that closes their account has run.
    return bool(person.email) and may_act(person)


def flag_raised(flag: Flag, now: datetime) -> list[Notification]:
    """One notice per person who must act and wants one per flag; the daily digest covers the
    others."""
    return flags_raised([flag], now)


def flags_raised(flags: list[Flag], now: datetime) -> list[Notification]:
    """`flag_raised` for a batch of new flags, in a fixed number of queries whatever their
    number: who must act on each (line supervisors read at once), those people with their
    profiles and their choices of how they hear (read once), then the notices written in one
    INSERT. Each flag's person and child must be attached (the job attaches them)."""

    if not flags:
        return []
    on = local_date(now)
    wanted = _recipients_of(flags, on)
    people = _people_with_profiles({person.pk for found in wanted for person in found})
    daily = set(
        NotificationPreference.objects.filter(
            user_id__in=list(people), mode=NotificationPreference.Mode.DAILY
        ).values_list("user_id", flat=True)
    )
    notices, links = [], notice_links()
    for flag, found in zip(flags, wanted, strict=True):
        subject_line = f"{flag.get_kind_display()}: {_subject_name(flag)}"
        for person in (people[p.pk] for p in found if p.pk in people):
            if person.pk in daily or not _reachable(person):
                continue
            notices.append(
                Notification(
                    kind=Notification.Kind.FLAG,
                    recipient=person,
                    flag=flag,
                    subject=subject_line[:200],
                    body=render_to_string("email/flag.txt", _flag_context(flag, person, links)),
                    created_at=now,
                )
            )
    if not notices:
        return []
    try:
        # A savepoint: a notice already written for one of these flags and people (a second
        # worker, a retried task) undoes only this insert, and they go in one by one below.
        with transaction.atomic():
            return Notification.objects.bulk_create(notices)
    except IntegrityError:
        pass
    written = []
    for notice in notices:
        notice.pk = None
        try:
            with transaction.atomic():
                notice.save()
        except IntegrityError:
            continue
        written.append(notice)
    return written


def _recipients_of(flags: list[Flag], on) -> list[list]:
    """`recipients` for each flag, reading every line supervisor concerned at once (and, for
    cover, theirs in turn): two queries at most."""
    supervised = {
        flag.person_id
        for flag in flags
        if flag.person_id is not None and not _supervisee_acts(flag)
    }
    supervisors = _line_supervisors(supervised, on)
    covering = {
        supervisors[flag.person_id].pk
        for flag in flags
        if flag.kind == FlagKind.COVER_NEEDED and flag.person_id in supervisors
    }
    managers = _line_supervisors(covering, on)
    found = []
    for flag in flags:
        if flag.person_id is None:
            found.append([])
        elif _supervisee_acts(flag):
            found.append([flag.person])
        else:
            supervisor = supervisors.get(flag.person_id)
            if flag.kind == FlagKind.COVER_NEEDED and supervisor is not None:
                supervisor = managers.get(supervisor.pk)
            found.append([supervisor] if supervisor is not None else [])
    return found


def _supervisee_acts(flag: Flag) -> bool:
    return flag.kind in SUPERVISEE_ACTS or (
        flag.kind == FlagKind.SIGNOFF_OVERDUE and "supervisee to sign" in flag.detail
    )


def _line_supervisors(user_ids, on) -> dict:
    """`line_supervisor` for many people at once: supervisee id -> their line supervisor."""
    if not user_ids:
        return {}
    found = {}
    for relationship in (
        SupervisoryRelationship.objects.filter(
            supervisee_id__in=list(user_ids),
            kind=SupervisoryRelationship.Kind.LINE,
            starts_on__lte=on,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("supervisor")
        .order_by("supervisee_id", "-starts_on", "pk")
    ):
        found.setdefault(relationship.supervisee_id, relationship.supervisor)
    return found


def _people_with_profiles(user_ids) -> dict:
    # With their profiles: whether each may still act turns on their leaving date.
    if not user_ids:
        return {}
    return User.objects.select_related("profile").in_bulk(list(user_ids))


def _subject_name(flag: Flag) -> str:
    # A child by reference only: never their name or initials (R11).
    if flag.child_id:
        return flag.child.reference
    return flag.person.full_name if flag.person_id else ""


def settings_link() -> str:
    try:
        return site_link(reverse("notification-settings"))
    except NoReverseMatch:
        # Until the settings page is routed, point at the home page rather than fail the tick
        # that is raising the flag.
        return site_link(reverse("home"))


# A number no row has, reversed in its place and then replaced by each flag's id.
_MARK = 987654321


@dataclass(frozen=True)
class Links:
    """The links a batch of notices carries, each reversed once (`notice_links()`) and numbered
    for each flag: reverse() costs more than the rest of a notice, thousands of times a tick."""

    child: tuple[str, str]
    staff_file: tuple[str, str]
    home: str
    settings: str

    def flag(self, flag: Flag, recipient) -> str:
        if flag.child_id:
            before, after = self.child
            return f"{before}{flag.child_id}{after}"
        if flag.person_id and flag.person_id != recipient.pk:
            before, after = self.staff_file
            return f"{before}{flag.person_id}{after}"
        return self.home


def _numbered(name: str) -> tuple[str, str]:
    before, _, after = site_link(reverse(name, args=[_MARK])).partition(str(_MARK))
    return before, after


def notice_links() -> Links:
    return Links(
        child=_numbered("child"),
        staff_file=_numbered("staff-file"),
        home=site_link(reverse("home")),
        settings=settings_link(),
    )


def _flag_line(flag: Flag) -> dict:
    return {
        "kind": flag.get_kind_display(),
        "rule": flag.rule,
        "detail": flag.detail,
        "due": flag.due,
        "child_reference": flag.child.reference if flag.child_id else "",
        "staff_name": flag.person.full_name if flag.person_id and not flag.child_id else "",
        "worker_name": flag.person.full_name if flag.person_id and flag.child_id else "",
        "resolved": flag.resolved_at is not None,
    }


def _flag_context(flag: Flag, recipient, links: Links | None = None) -> dict:
    links = links or notice_links()
    return {
        "recipient": recipient,
        "flag": _flag_line(flag),
        "link": links.flag(flag, recipient),
        "settings_link": links.settings,
    }


# --- Digests -----------------------------------------------------------------------------------


@dataclass
class DigestResult:
    daily: int = 0
    weekly: int = 0


def digests_write(now: datetime | None = None) -> DigestResult:
    """The morning run (07:00 London): daily digests, and on Mondays the weekly ones. Running it
    again the same day (or the same week) writes nothing more."""
    now = now or timezone.now()
    return DigestResult(daily=daily_digests_write(now), weekly=weekly_digests_write(now))


def _create_once(**fields) -> bool:
    try:
        with transaction.atomic():
            Notification.objects.create(kind=fields.pop("kind"), **fields)
    except IntegrityError:
        return False  # this period's digest is already written (a second run or worker)
    return True


def daily_digests_write(now: datetime) -> int:
    """For each person who chose one email a day: the flags raised for them to act on since
    their previous digest, or since ever for their first, leaving out any they already had an
    email for (raised while they still wanted one per flag), and the reminders of things coming
    due recorded for them since (`oversight.notices.reminders`, 06:30) and not yet told.
    Nobody with nothing new gets one."""

    period = local_date(now).isoformat()
    people = {
        user.pk: user
        for user in User.objects.filter(
            notification_preference__mode=NotificationPreference.Mode.DAILY, is_active=True
        ).exclude(email="")
    }
    previous = dict(
        Notification.objects.filter(kind=Notification.Kind.DAILY_DIGEST, recipient__in=list(people))
        .values("recipient")
        .annotate(last=Max("created_at"))
        .values_list("recipient", "last")
    )
    done_today = set(
        Notification.objects.filter(
            kind=Notification.Kind.DAILY_DIGEST, recipient__in=list(people), period=period
        ).values_list("recipient_id", flat=True)
    )
    for pk in done_today:
        people.pop(pk, None)
    if not people:
        return 0
    until = now - DIGEST_SETTLE
    since = {pk: previous[pk] - DIGEST_SETTLE if pk in previous else None for pk in people}
    found = _flags_new_to_each(people, since=since, until=until)
    coming = _reminders_waiting(people, local_date(now))

    written = 0
    for pk in sorted(set(found) | set(coming)):
        written += _daily_digest_write(
            people[pk],
            found.get(pk, []),
            coming.get(pk, []),
            first=pk not in previous,
            period=period,
            now=now,
        )
    return written


def _reminders_waiting(people: dict, today) -> dict[int, list[Reminder]]:
    # Still to fall due: one whose day has passed is a flag's to tell of now.
    waiting = defaultdict(list)
    for reminder in (
        Reminder.objects.filter(
            recipient__in=list(people), notification__isnull=True, due__gte=today
        )
        .select_related("person", "session__supervisor")
        .order_by("due", "pk")
    ):
        waiting[reminder.recipient_id].append(reminder)
    return waiting


def _flags_new_to_each(people: dict, *, since: dict, until: datetime) -> dict[int, list[Flag]]:
    starts = [start for start in since.values() if start is not None]
    earliest = None if len(starts) < len(since) else min(starts)

    # Whose flags they may be: their own, or those of anyone they have ever line-supervised;
    # `recipients` then decides, as it did when each flag was raised.
    supervisees = SupervisoryRelationship.objects.filter(
        supervisor__in=people, kind=SupervisoryRelationship.Kind.LINE
    ).values("supervisee_id")
    candidates = (
        acted_on(Flag.objects.all())
        .filter(raised_at__lte=until)
        .filter(Q(person__in=list(people)) | Q(person__in=supervisees))
    )
    if earliest is not None:
        candidates = candidates.filter(raised_at__gt=earliest)
    candidates = list(candidates.select_related("person", "child").order_by("raised_at", "pk"))
    already_told = set(
        Notification.objects.filter(
            kind=Notification.Kind.FLAG,
            recipient__in=list(people),
            flag__in=[flag.pk for flag in candidates],
        ).values_list("recipient_id", "flag_id")
    )
    found = defaultdict(list)
    for flag in candidates:
        for person in recipients(flag, local_date(flag.raised_at)):
            if person.pk not in since or (person.pk, flag.pk) in already_told:
                continue
            start = since[person.pk]
            if start is None or flag.raised_at > start:
                found[person.pk].append(flag)
    return found


def _digest_subject(flags: int, reminders: int) -> str:
    overdue = f"{flags} new overdue item{'s' if flags != 1 else ''}"
    coming = f"{reminders} thing{'s' if reminders != 1 else ''} coming due"
    if not reminders:
        return f"{overdue} for you to act on"
    if not flags:
        return f"{coming} for you to act on"
    return f"{overdue} and {coming} for you to act on"


def _daily_digest_write(
    person, flags, reminders, *, first: bool, period: str, now: datetime
) -> bool:
    count, links = len(flags), notice_links()
    body = render_to_string(
        "email/daily_digest.txt",
        {
            "recipient": person,
            "count": count,
            "first": first,
            "flags": [_flag_line(flag) | {"link": links.flag(flag, person)} for flag in flags],
            "reminders": [reminder_text(reminder) for reminder in reminders],
            "link": links.home,
            "settings_link": links.settings,
        },
    )
    try:
        with transaction.atomic():
            digest = Notification.objects.create(
                kind=Notification.Kind.DAILY_DIGEST,
                recipient=person,
                period=period,
                subject=_digest_subject(count, len(reminders)),
                body=body,
                created_at=now,
            )
            # The reminders it tells of are told: never again, by digest or email.
            Reminder.objects.filter(
                pk__in=[reminder.pk for reminder in reminders], notification__isnull=True
            ).update(notification=digest)
    except IntegrityError:
        return False  # today's digest is already written (a second run or worker)
    return True


def acted_on(flags):
    """Leave out flags recorded as already resolved when first written: an overdue spell that
    began and ended before anyone could see it (a fact entered late). Nobody was told of those
    and nobody can act on them, so digests neither list nor count them."""
    return flags.exclude(noticed_resolved_at=F("raised_at"))


def iso_week(day) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_digests_write(now: datetime) -> int:
    """On Mondays: for each senior manager, the units at and below theirs, each with its open
    flags by kind and the numbers raised and resolved in the last 7 days.

    A flag belongs to the child's unit if it is about a child, otherwise to the staff member's.
    "Raised" and "resolved" count when the job noticed (`raised_at`, `noticed_resolved_at`), so
    a fact entered late still shows in the next digest rather than in a week already reported.
    """

    today = local_date(now)
    if today.weekday() != 0:
        return 0
    period = iso_week(today)
    managed = _managers_without_this_weeks_digest(period)
    if not managed:
        return 0

    week_ago = now - WEEK
    open_by_kind, raised, resolved = _flag_counts_by_unit(now, week_ago=week_ago)
    all_units = list(Unit.objects.only("pk", "name", "kind", "path").order_by("path"))
    labels = dict(FlagKind.choices)

    written = 0
    for person, units in managed.items():
        roots = [unit.path for unit in units]
        rows = []
        for unit in all_units:
            if not any(unit.path.startswith(root) for root in roots):
                continue
            by_kind = open_by_kind.get(unit.pk, {})
            counts = (sum(by_kind.values()), raised.get(unit.pk, 0), resolved.get(unit.pk, 0))
            # Every team is listed, even a clear one; a service or directorate only where its
            # own staff have flags.
            if unit.kind != Unit.Kind.TEAM and not any(counts):
                continue
            rows.append(
                {
                    "name": unit.name,
                    "open": counts[0],
                    "raised": counts[1],
                    "resolved": counts[2],
                    "kinds": sorted((labels.get(k, k), n) for k, n in by_kind.items()),
                }
            )
        body = render_to_string(
            "email/weekly_digest.txt",
            {
                "recipient": person,
                "units": units,
                "rows": rows,
                "open": sum(row["open"] for row in rows),
                "raised": sum(row["raised"] for row in rows),
                "resolved": sum(row["resolved"] for row in rows),
                "week_from": local_date(week_ago),
                "today": today,
                "link": site_link(reverse("home")),
            },
        )
        written += _create_once(
            kind=Notification.Kind.WEEKLY_DIGEST,
            recipient=person,
            period=period,
            subject=f"Weekly oversight digest: the 7 days to {today:%-d %B %Y}",
            body=body,
            created_at=now,
        )
    return written


def _managers_without_this_weeks_digest(period: str) -> dict:
    managed = defaultdict(list)
    for unit in (
        Unit.objects.exclude(kind=Unit.Kind.TEAM)
        .filter(manager__isnull=False, manager__is_active=True)
        .exclude(manager__email="")
        .select_related("manager")
    ):
        managed[unit.manager].append(unit)
    if not managed:
        return {}
    already = set(
        Notification.objects.filter(
            kind=Notification.Kind.WEEKLY_DIGEST, period=period
        ).values_list("recipient_id", flat=True)
    )
    return {person: units for person, units in managed.items() if person.pk not in already}


def _flag_counts_by_unit(now: datetime, *, week_ago: datetime) -> tuple[dict, dict, dict]:
    flags = acted_on(Flag.objects.all()).annotate(
        counts_in=Coalesce(F("child__unit"), F("person__profile__unit"))
    )
    open_now = flags.filter(raised_at__lte=now).filter(
        Q(noticed_resolved_at__isnull=True) | Q(noticed_resolved_at__gt=now)
    )
    open_by_kind = defaultdict(dict)
    for unit_id, kind, count in (
        open_now.values("counts_in", "kind")
        .annotate(n=Count("pk"))
        .values_list("counts_in", "kind", "n")
    ):
        open_by_kind[unit_id][kind] = count
    raised = dict(
        flags.filter(raised_at__gt=week_ago, raised_at__lte=now)
        .values("counts_in")
        .annotate(n=Count("pk"))
        .values_list("counts_in", "n")
    )
    resolved = dict(
        flags.filter(noticed_resolved_at__gt=week_ago, noticed_resolved_at__lte=now)
        .values("counts_in")
        .annotate(n=Count("pk"))
        .values_list("counts_in", "n")
    )
    return open_by_kind, raised, resolved
