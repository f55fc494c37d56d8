"""Who is told about a flag, and the outbox the emails wait in (issue 7, point 5).

A notice is written to the outbox in the same transaction that raises the flag, so a flag is
never raised without its notice nor noticed twice; sending happens later, from the outbox.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q

from .models import Flag, FlagKind, Notification, NotificationPreference

# Who must act on each kind: the supervisee, their line supervisor, or the worker's supervisor
# for a child. Signing off waits on whoever has not signed yet; the flag's detail says which.
SUPERVISEE_ACTS = {FlagKind.ACTION_OVERDUE}


def line_supervisor(user_id, on):
    from supervision.models import SupervisoryRelationship

    relationship = (
        SupervisoryRelationship.objects.filter(
            supervisee_id=user_id,
            kind=SupervisoryRelationship.Kind.LINE,
            starts_on__lte=on,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("supervisor")
        .first()
    )
    return relationship.supervisor if relationship else None


def recipients(flag: Flag, on) -> list:
    """The people who must act on this flag."""
    if flag.person_id is None:
        return []
    if flag.kind in SUPERVISEE_ACTS:
        return [flag.person]
    if flag.kind == FlagKind.SIGNOFF_OVERDUE and "supervisee to sign" in flag.detail:
        return [flag.person]
    supervisor = line_supervisor(flag.person_id, on)
    return [supervisor] if supervisor is not None else []


def wants_each(user) -> bool:
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference is None or preference.mode == NotificationPreference.Mode.EACH


def flag_raised(flag: Flag, now: datetime) -> list[Notification]:
    """One notice per person who must act and wants one per flag; the daily digest covers the
    others."""
    from .due import local_date

    notices = []
    for person in recipients(flag, local_date(now)):
        if not wants_each(person):
            continue
        subject_line = f"{flag.get_kind_display()}: {_subject_name(flag)}"
        try:
            with transaction.atomic():
                notices.append(
                    Notification.objects.create(
                        kind=Notification.Kind.FLAG,
                        recipient=person,
                        flag=flag,
                        subject=subject_line[:200],
                        body=_body(flag),
                        created_at=now,
                    )
                )
        except IntegrityError:
            continue
    return notices


def _subject_name(flag: Flag) -> str:
    if flag.child_id:
        return flag.child.reference
    return flag.person.full_name if flag.person_id else ""


def _body(flag: Flag) -> str:
    from django.conf import settings

    lines = [
        f"{flag.get_kind_display()} ({flag.rule}).",
        flag.detail,
        f"Due {flag.due:%-d %B %Y}.",
    ]
    if flag.child_id:
        lines.append(f"Child: {flag.child.reference}")
    else:
        lines.append(f"Member of staff: {flag.person.full_name}")
    lines.append(f"Open {settings.SITE_URL.rstrip('/')}/ to see what needs you.")
    return "\n".join(line for line in lines if line)
