"""A member of staff leaving (rule S2): their file is archived, read-only, and its retention
period starts from the leaving date.

From the end of the leaving day they have no reach of any kind. `access.people` says so on
every check, whatever they are still recorded as; the daily job here (`leavers_close`, 00:05
London) then closes what they still hold: the account, its sessions, grants, supervisory
relationships and the units they managed, with a notice to the manager above each unit. A
leaving date already past when it is recorded closes them at once. Concerns raised with them
pass to the manager above them. Signing in afterwards shows
a page saying the account has closed and whom to ask for records.
"""

from dataclasses import dataclass, fields
from datetime import date
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone
from guardian.shortcuts import remove_perm

from access.people import has_left, may_act
from agreements.services import agreements_supersede_ended, agreements_supersede_for_relationship
from oversight.models import Notification
from supervision.concerns.services import concerns_pass_on
from supervision.models import (
    AccessGrant,
    Concern,
    StaffProfile,
    SupervisoryRelationship,
    Unit,
    User,
)
from supervision.organisation import audit
from supervision.organisation.site import site_link
from supervision.people.selectors import line_supervisor


def staff_mark_left(*, person: User, leaving_date: date, by: User, request=None) -> StaffProfile:
    """Record that `person` leaves on `leaving_date` (their last day).

    Every supervisory relationship still open on that day, as supervisee or as supervisor,
    ends on it, and its agreement stops being in force: nobody supervises, or is supervised
    by, someone who has gone. Calling it again corrects the leaving date. A leaving date
    already past closes the account at once, as the daily job would (`account_close`).
    """

    with transaction.atomic():
        profile = StaffProfile.objects.select_for_update().get(user=person)
        if leaving_date < profile.start_date:
            raise ValidationError(
                {"leaving_date": "Enter a leaving date on or after the start date."}
            )
        involving = Q(supervisee=person) | Q(supervisor=person)
        later = SupervisoryRelationship.objects.filter(involving, starts_on__gt=leaving_date)
        if later.exists():
            # Ending one of these before it starts would break its dates; someone must decide
            # whether it should exist at all.
            raise ValidationError(
                {
                    "leaving_date": "A supervision arrangement with this person starts after "
                    "the leaving date: remove or change it first."
                }
            )
        before = {
            "leaving_date": profile.leaving_date.isoformat() if profile.leaving_date else None,
            "is_active": profile.is_active,
        }
        profile.leaving_date = leaving_date
        profile.is_active = False
        profile.save(update_fields=["leaving_date", "is_active"])

        ended = []
        for relationship in SupervisoryRelationship.objects.select_for_update().filter(
            involving, Q(ends_on__isnull=True) | Q(ends_on__gt=leaving_date)
        ):
            relationship.ends_on = leaving_date
            relationship.save(update_fields=["ends_on"])
            # In force until the last day: recorded ahead, the daily job supersedes it then.
            if leaving_date < timezone.localdate():
                agreements_supersede_for_relationship(
                    relationship=relationship,
                    reason="a member of staff left",
                    by=by,
                    request=request,
                )
            ended.append(relationship.pk)

        # A leaving date corrected to one not yet passed reopens an account that an earlier,
        # wrong date closed: the person is still at work and must be able to sign in. What the
        # closing ended (relationships, grants, a unit) stays ended for a person to restore.
        reopened = bool(
            leaving_date >= timezone.localdate()
            and _leaving_date_had_passed(before["leaving_date"])
            and User.objects.filter(pk=person.pk, is_active=False).update(is_active=True)
        )
        if reopened:
            person.is_active = True
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="staff_file",
            object_id=person.pk,
            subject=person,
            detail={
                "event": "marked as left",
                "before": before,
                "leaving_date": leaving_date.isoformat(),
                "relationships_ended": ended,
                **({"account_reopened": True} if reopened else {}),
            },
        )
        if leaving_date < timezone.localdate():
            account_close(person=person, by=by, request=request)
    return profile


def _leaving_date_had_passed(earlier_leaving_date: str | None) -> bool:
    """Whether the leaving date being corrected had already passed, so that the account was
    closed for it (by the daily job, or at once when it was entered)."""
    return earlier_leaving_date is not None and (
        date.fromisoformat(earlier_leaving_date) < timezone.localdate()
    )


# --- Closing a leaver's account (from the day after the leaving date) ------------------------


@dataclass
class ClosingResult:
    people: int = 0
    accounts_closed: int = 0
    sessions_ended: int = 0
    grants_revoked: int = 0
    relationships_ended: int = 0
    units_without_manager: int = 0
    notices: int = 0
    concerns_passed_on: int = 0

    def add(self, other: "ClosingResult") -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def _open_on_leaving(person: User, leaving_date: date) -> Q:
    """Relationships with the person still open after their last day, that began by it."""
    return (Q(supervisee=person) | Q(supervisor=person)) & (
        Q(starts_on__lte=leaving_date) & (Q(ends_on__isnull=True) | Q(ends_on__gt=leaving_date))
    )


def leavers_to_close(today: date | None = None):
    """People whose leaving day has ended and who still hold something: an open account, a
    unit, a grant or a supervisory relationship. Their sessions end with the account."""
    today = today or timezone.localdate()
    left = StaffProfile.objects.filter(leaving_date__lt=today)
    open_relationships = SupervisoryRelationship.objects.filter(
        Q(supervisee_id=OuterRef("pk")) | Q(supervisor_id=OuterRef("pk")),
        starts_on__lte=OuterRef("profile__leaving_date"),
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=OuterRef("profile__leaving_date")))
    return (
        User.objects.filter(pk__in=left.values("user"))
        .filter(
            Q(is_active=True)
            | Exists(Unit.objects.filter(manager_id=OuterRef("pk")))
            # One with nobody above to pass to on an earlier night is tried again.
            | Exists(Concern.objects.filter(raised_with_id=OuterRef("pk"), status__in=Concern.OPEN))
            | Exists(
                AccessGrant.objects.filter(
                    grantee_id=OuterRef("pk"), revoked_at__isnull=True, ends_on__gte=today
                )
            )
            | Exists(open_relationships)
        )
        .select_related("profile")
        .order_by("pk")
    )


def leavers_close(today: date | None = None) -> ClosingResult:
    """The daily job (00:05 London): close the account of everyone whose leaving day has
    ended. Safe to run any number of times, or on two workers at once: every change is a
    conditional update that only one run can make, and a run that finds nothing left to do
    writes nothing."""

    today = today or timezone.localdate()
    result = ClosingResult()
    for person in leavers_to_close(today):
        result.add(account_close(person=person, today=today))
    # Agreements of supervision that ended yesterday (a change or a leaving recorded ahead).
    agreements_supersede_ended(today)
    return result


def account_close(*, person: User, today: date | None = None, by=None, request=None):
    """Take away everything a leaver still holds, once their leaving day has ended: the account
    stops signing in, its sessions end, grants they hold are revoked, supervisory relationships
    still open end on the leaving date, and every unit they manage is left without a manager,
    with a notice to the manager above. Each change is audited; a change already made (by an
    earlier run) is neither made nor audited again."""

    today = today or timezone.localdate()
    leaving_date = StaffProfile.objects.filter(user=person).values_list("leaving_date", flat=True)
    leaving_date = leaving_date.first()
    result = ClosingResult()
    if leaving_date is None or leaving_date >= today:
        return result
    now = timezone.now()
    with transaction.atomic():
        closed = User.objects.filter(pk=person.pk, is_active=True).update(is_active=False)
        person.is_active = False
        sessions = sessions_end_for(person)

        ended, later = [], []
        for relationship in SupervisoryRelationship.objects.filter(
            Q(supervisee=person) | Q(supervisor=person),
            Q(ends_on__isnull=True) | Q(ends_on__gt=leaving_date),
        ):
            if relationship.starts_on > leaving_date:
                # It cannot end before it starts: someone must decide whether it should exist.
                later.append(relationship.pk)
                continue
            claimed = SupervisoryRelationship.objects.filter(
                pk=relationship.pk, ends_on=relationship.ends_on
            ).update(ends_on=leaving_date)
            if claimed:
                relationship.ends_on = leaving_date
                agreements_supersede_for_relationship(
                    relationship=relationship,
                    reason="a member of staff left",
                    by=by,
                    request=request,
                )
                ended.append(relationship.pk)

        if closed or sessions or ended:
            audit.record(
                audit.AuditAction.WRITE,
                request=request,
                actor=by,
                object_type="account",
                object_id=person.pk,
                subject=person,
                detail={
                    "event": "account closed",
                    "leaving_date": leaving_date.isoformat(),
                    "account_closed": bool(closed),
                    "sessions_ended": sessions,
                    "relationships_ended": ended,
                    **({"relationships_starting_later": later} if later else {}),
                },
            )

        revoked = _grants_revoke(person, today, now, by=by, request=request)
        units, notices = _units_leave_without_manager(
            person, leaving_date, today, now, by=by, request=request
        )
        # Concerns and escalations raised with them go to the manager above, not into a void.
        passed = concerns_pass_on(person, today, by=by, request=request)

    return ClosingResult(
        people=1,
        accounts_closed=closed,
        sessions_ended=sessions,
        grants_revoked=revoked,
        relationships_ended=len(ended),
        units_without_manager=units,
        notices=notices,
        concerns_passed_on=passed,
    )


def sessions_end_for(person: User) -> int:
    """Delete every live session signed in as `person`. Sessions keep the user's id in their
    (encoded) data, so the live ones are read; those past their expiry are ignored (Django's
    `clearsessions` removes them, and they open nothing). With a session engine that keeps no
    table there is nothing to find: the access check already refuses those sessions."""
    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore
    if not hasattr(store, "get_model_class"):
        return 0
    model = store.get_model_class()
    ended = 0
    live = model.objects.filter(expire_date__gt=timezone.now())
    for key, data in live.values_list("session_key", "session_data").iterator():
        decoded = store().decode(data)
        # Through the store, so a copy in the session cache goes with the row.
        mine = str(decoded.get(SESSION_KEY)) == str(person.pk)
        if mine and model.objects.filter(session_key=key).exists():
            store().delete(key)
            ended += 1
    return ended


def _grants_revoke(person, today, now, *, by, request) -> int:
    revoked = 0
    grants = AccessGrant.objects.filter(
        grantee=person, revoked_at__isnull=True, ends_on__gte=today
    ).select_related("subject")
    for grant in grants:
        if not AccessGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
            revoked_at=now
        ):
            continue  # another run revoked it first
        revoked += 1
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="access_grant",
            object_id=grant.pk,
            subject=grant.subject,
            detail={"change": "access revoked", "reason": "the grantee left"},
        )
    # Whatever grants they held, a leaver keeps no object permission from any of them.
    for subject in User.objects.filter(access_granted_to__grantee=person).distinct():
        remove_perm("supervision.read_supervision_file", person, subject)
        remove_perm("supervision.read_personal_sections", person, subject)
    return revoked


def manager_above(unit: Unit, day: date):
    """The nearest manager above `unit` who may act on `day`, or None."""
    ancestors = [int(part) for part in unit.path.strip("/").split("/")[:-1] if part]
    managers = {
        u.pk: u.manager
        for u in Unit.objects.filter(pk__in=ancestors, manager__isnull=False).select_related(
            "manager__profile"
        )
    }
    for pk in reversed(ancestors):
        manager = managers.get(pk)
        if manager is not None and may_act(manager, day):
            return manager
    return None


def _units_leave_without_manager(person, leaving_date, today, now, *, by, request):
    units = notices = 0
    for unit in Unit.objects.filter(manager=person).order_by("path"):
        if not Unit.objects.filter(pk=unit.pk, manager=person).update(manager=None):
            continue  # another run cleared it first
        units += 1
        told = manager_above(unit, today)
        if (
            told is not None
            and told.email
            and _notice_unit_without_manager(unit, person, leaving_date, told, now)
        ):
            notices += 1
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="unit",
            object_id=unit.pk,
            subject=person,
            detail={
                "change": "manager cleared",
                "reason": "the manager left",
                "manager": person.pk,
                "leaving_date": leaving_date.isoformat(),
                "told": told.pk if told is not None else None,
            },
        )
    return units, notices


def _notice_unit_without_manager(unit, person, leaving_date, recipient, now) -> bool:
    subject = f"{unit.name} has no manager: {person.full_name} left on {leaving_date:%-d %B %Y}"
    try:
        # A savepoint: a notice already written for this unit and leaver (a second run) loses
        # here, by the outbox's one-per-period constraint, without undoing the rest.
        with transaction.atomic():
            Notification.objects.create(
                kind=Notification.Kind.UNIT_WITHOUT_MANAGER,
                recipient=recipient,
                period=f"{unit.pk}:{person.pk}"[:20],
                subject=subject[:200],
                body=render_to_string(
                    "email/unit_without_manager.txt",
                    {
                        "recipient": recipient,
                        "unit": unit,
                        "person": person,
                        "leaving_date": leaving_date,
                        "link": site_link("/"),
                    },
                ),
                created_at=now,
            )
    except IntegrityError:
        return False
    return True


# --- Signing in after leaving ------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedAccount:
    full_name: str
    leaving_date: date
    former_manager: str


def _closed_account(user) -> ClosedAccount | None:
    if user is None or not has_left(user):
        return None
    last_day = user.profile.leaving_date

    manager = line_supervisor(user.pk, last_day)
    return ClosedAccount(
        full_name=user.full_name,
        leaving_date=last_day,
        former_manager=manager.full_name if manager is not None and may_act(manager) else "",
    )


def closed_account_for_credentials(email: str, password: str) -> ClosedAccount | None:
    """The closed account these credentials open, if they are right and the person has left.

    Only the right password says anything: a wrong one, or an unknown email, gets None, after
    the same work of hashing a password, so the answer's timing says nothing either."""
    if not email or not password:
        return None
    user = User.objects.select_related("profile").filter(email__iexact=email).first()
    if user is None:
        make_password(password)  # as long as checking a real one
        return None
    if not check_password(password, user.password):
        return None
    return _closed_account(user)


def closed_account_of_session(session) -> ClosedAccount | None:
    """The closed account a session was signed in to, when it ended because its person left
    (the access check refuses it; the job may not have deleted it yet)."""
    user_id = session.get(SESSION_KEY)
    if user_id is None or not str(user_id).isdigit():
        return None
    return _closed_account(User.objects.select_related("profile").filter(pk=user_id).first())
