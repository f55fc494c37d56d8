"""Writes to concerns about supervision and escalated disagreements.

raised -> responded* -> resolved (with an outcome), by the person it is raised with;
raised | responded -> withdrawn, by whoever raised it. While it is open the supervisee (and,
for an escalation, the supervisor) may add to it, and when the person it is raised with
leaves it passes to their manager. Every step is an entry, audited, and tells the other side
by email (through the outbox), an email that never carries what was written.

An escalation is a row of its own pointing at the disagreement: the disagreement and its
record are never touched, so a signed record stays byte for byte what was signed (R8).
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from access import concerns as reach
from access.people import leaving_date
from access.records import may_still_act, record_signatory
from oversight.models import Notification
from supervision.concerns import routing
from supervision.models import (
    Concern,
    ConcernEntry,
    Disagreement,
    StaffProfile,
    SupervisoryRelationship,
    User,
)
from supervision.organisation import audit, plain_text
from supervision.organisation.roles import active_on
from supervision.organisation.site import site_link
from supervision.outbox import write_email

# Room for a page of text; the character count shows how close the writer is.
MOST_CHARACTERS = 5_000


def text_problem(text: str, name: str, *, required: bool = True) -> str | None:
    if required and not text.strip():
        return f"Enter {name.lower()}"
    if kind := plain_text.problem(text, one_line=False):
        return plain_text.message(kind, name)
    if len(text) > MOST_CHARACTERS:
        return f"{name} must be {MOST_CHARACTERS:,} characters or fewer"
    return None


def _check(field: str, text: str, name: str, *, required: bool = True) -> None:
    if problem := text_problem(text, name, required=required):
        raise ValidationError({field: problem})


def _audit(request, by, concern: Concern, change: str, **detail) -> None:
    # No subject: entries with one show in the access log of the supervisee's file, which
    # managers above and auditors read, and would tell them who raised a concern. The
    # concern's own row names the supervisee.
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type=reach.CONCERN,
        object_id=concern.pk,
        detail={"change": change, "kind": concern.kind, **detail},
    )


def _entry(concern, kind, by, text="", now=None) -> ConcernEntry:
    return ConcernEntry.objects.create(
        concern=concern, kind=kind, author=by, text=text, created_at=now or timezone.now()
    )


def _tell(concern: Concern, people, subject: str, what: str) -> None:
    """An email to each of `people` (not the one acting): what happened and the link."""
    link = site_link(reverse("concern", args=[concern.pk]))
    for person in dict.fromkeys(p for p in people if p is not None):
        write_email(
            Notification.Kind.CONCERN,
            to=person,
            subject=subject,
            body=f"Dear {person.full_name},\n\n{what}\n\nRead it here:\n{link}\n",
        )


def _noun(concern: Concern) -> str:
    return (
        "a concern about supervision"
        if concern.kind == Concern.Kind.SUPERVISION
        else "an escalated disagreement"
    )


def _parties(concern: Concern) -> list:
    """Who reads it besides the person it is raised with."""
    if concern.kind == Concern.Kind.SUPERVISION:
        return [concern.supervisee]
    # Nobody who has left is written to about it; whoever stands in for a departed
    # supervisor (access.concerns.standing_in_for) is, in their place.
    parties = [concern.supervisee, concern.supervisor, concern.raised_by]
    return [p for p in parties if p is not None and may_still_act(p)] + [
        reach.standing_in_for(concern)
    ]


def _locked(concern: Concern) -> Concern:
    return (
        Concern.objects.select_for_update(of=("self",))
        .select_related("supervisee", "supervisor", "raised_by", "raised_with")
        .get(pk=concern.pk)
    )


def _require_open(concern: Concern) -> None:
    if not concern.is_open:
        raise ValidationError(f"This has been {concern.get_status_display().lower()}.")


def current_supervisor(supervisee: User, day: date) -> User | None:
    """Whose supervision a concern is about: the line supervisor, else any current one."""
    relationship = (
        SupervisoryRelationship.objects.filter(active_on(day), supervisee=supervisee)
        .select_related("supervisor")
        .order_by("kind", "-starts_on")
        .first()
    )
    return relationship.supervisor if relationship is not None else None


def _unit_of(person: User):
    return StaffProfile.objects.filter(user=person).values_list("unit", flat=True).first()


NOBODY = (
    "There is nobody above your supervisor to raise this with. Ask your organisation's "
    "system administrator to record your supervisor's line manager."
)


@transaction.atomic
def concern_raise(*, supervisee: User, text: str, request=None) -> Concern:
    """A supervisee raises a concern about the quality or quantity of their supervision with
    their supervisor's line manager (001 §3), found at this moment from the organisation."""
    _check("text", text, "Your concern")
    day = timezone.localdate()
    supervisor = current_supervisor(supervisee, day)
    parties = {supervisee.pk} | ({supervisor.pk} if supervisor else set())
    raised_with = routing.manager_above(supervisor or supervisee, day, parties=parties)
    if raised_with is None:
        raise ValidationError(NOBODY)
    concern = Concern.objects.create(
        kind=Concern.Kind.SUPERVISION,
        supervisee=supervisee,
        supervisor=supervisor,
        raised_by=supervisee,
        raised_with=raised_with,
        unit_id=_unit_of(supervisee),
        text=text,
        raised_at=timezone.now(),
    )
    _audit(request, supervisee, concern, "concern raised", raised_with=raised_with.pk)
    _tell(
        concern,
        [raised_with],
        "A concern about supervision has been raised with you",
        "A member of staff has raised a concern about their supervision with you, as their "
        "supervisor's line manager.",
    )
    return concern


@transaction.atomic
def disagreement_escalate(
    *, disagreement: Disagreement, text: str, by: User, request=None
) -> Concern:
    """Either party escalates a disagreement on a record to the supervisor's manager. The
    disagreement and its record are read, never written."""
    _check("text", text, "Why you are escalating it")
    disagreement = (
        Disagreement.objects.select_for_update(of=("self",))
        .select_related("record__session__supervisee", "record__session__supervisor")
        .get(pk=disagreement.pk)
    )
    if Concern.objects.filter(disagreement=disagreement).exists():
        raise ValidationError("This disagreement has already been escalated.")
    day = timezone.localdate()
    session = disagreement.record.session
    if not reach.may_escalate(by, disagreement, day):
        raise PermissionDenied("Only the supervisee and the supervisor may escalate this.")
    signatory = record_signatory(session, day)
    supervisor = signatory.user if signatory is not None else None
    parties = {session.supervisee_id} | ({supervisor.pk} if supervisor else set())
    raised_with = routing.manager_above(supervisor or session.supervisee, day, parties=parties)
    if raised_with is None:
        raise ValidationError(NOBODY.replace("your supervisor", "the supervisor"))
    concern = Concern.objects.create(
        kind=Concern.Kind.DISAGREEMENT,
        supervisee=session.supervisee,
        supervisor=supervisor,
        raised_by=by,
        raised_with=raised_with,
        unit_id=_unit_of(session.supervisee),
        disagreement=disagreement,
        text=text,
        raised_at=timezone.now(),
    )
    _audit(
        request,
        by,
        concern,
        "disagreement escalated",
        disagreement=disagreement.pk,
        record=disagreement.record_id,
        raised_with=raised_with.pk,
    )
    _tell(
        concern,
        [raised_with],
        "A disagreement on a supervision record has been escalated to you",
        "A disagreement recorded on a supervision record has been escalated to you, as the "
        "supervisor's manager, for a decision.",
    )
    _tell(
        concern,
        [p for p in (session.supervisee, supervisor) if p is not None and p.pk != by.pk],
        "A disagreement on your supervision record has been escalated",
        f"{by.full_name} has escalated a disagreement on your supervision record to "
        f"{raised_with.full_name}.",
    )
    return concern


@transaction.atomic
def concern_add(*, concern: Concern, text: str, by: User, request=None) -> ConcernEntry:
    concern = _locked(concern)
    _require_open(concern)
    if not reach.may_add_to(reach.part_in(by, concern) or "", concern):
        raise PermissionDenied("You may not add to this.")
    _check("text", text, "What you want to add")
    entry = _entry(concern, ConcernEntry.Kind.ADDED, by, text)
    _audit(request, by, concern, "added to", entry=entry.pk)
    _tell(
        concern,
        [concern.raised_with],
        f"More has been added to {_noun(concern)} raised with you",
        f"More has been added to {_noun(concern)} raised with you.",
    )
    return entry


@transaction.atomic
def concern_answer(
    *, concern: Concern, text: str, resolve: bool, by: User, request=None
) -> ConcernEntry:
    """The person it is raised with responds (it stays open for more) or records the outcome
    (it is resolved)."""
    concern = _locked(concern)
    _require_open(concern)
    if by.pk != concern.raised_with_id:
        raise PermissionDenied("Only the person it is raised with answers it.")
    _check("text", text, "The outcome" if resolve else "Your response")
    now = timezone.now()
    if resolve:
        concern.status, concern.outcome, concern.closed_at = Concern.Status.RESOLVED, text, now
        entry = _entry(concern, ConcernEntry.Kind.OUTCOME, by, text, now)
    else:
        concern.status = Concern.Status.RESPONDED
        entry = _entry(concern, ConcernEntry.Kind.RESPONSE, by, text, now)
    concern.save(update_fields=["status", "outcome", "closed_at"])
    _audit(request, by, concern, "resolved" if resolve else "responded", entry=entry.pk)
    done = "resolved, with its outcome" if resolve else "answered"
    _tell(
        concern,
        [p for p in _parties(concern) if p is not None and p.pk != by.pk],
        f"{by.full_name} has {'resolved' if resolve else 'responded to'} {_noun(concern)}",
        f"{by.full_name} has {done} {_noun(concern)}.",
    )
    return entry


@transaction.atomic
def concern_withdraw(*, concern: Concern, text: str = "", by: User, request=None) -> Concern:
    concern = _locked(concern)
    _require_open(concern)
    if by.pk != concern.raised_by_id:
        raise PermissionDenied("Only the person who raised it withdraws it.")
    _check("text", text, "Why you are withdrawing it", required=False)
    now = timezone.now()
    concern.status, concern.closed_at = Concern.Status.WITHDRAWN, now
    concern.save(update_fields=["status", "closed_at"])
    entry = _entry(concern, ConcernEntry.Kind.WITHDRAWN, by, text, now)
    _audit(request, by, concern, "withdrawn", entry=entry.pk)
    _tell(
        concern,
        [p for p in [concern.raised_with, *_parties(concern)] if p is not None and p.pk != by.pk],
        f"{_noun(concern).capitalize()} has been withdrawn",
        f"{by.full_name} has withdrawn {_noun(concern)}.",
    )
    return concern


def concerns_pass_on(person: User, day: date | None = None, *, by=None, request=None) -> int:
    """Pass every open concern raised with `person`, who has left, to the manager above
    them (routing): nothing is left waiting for someone who has gone. Safe to run again: a
    concern already passed on is no longer theirs. With nobody above, it stays, and the
    supervisee's page says it is waiting for someone to be named."""
    day = day or timezone.localdate()
    passed = 0
    last_day = leaving_date(person)
    if last_day is None or last_day >= day:
        return 0
    for concern in Concern.objects.filter(raised_with=person, status__in=Concern.OPEN):
        with transaction.atomic():
            concern = _locked(concern)
            if concern.raised_with_id != person.pk or not concern.is_open:
                continue  # another run passed it on first
            parties = {concern.supervisee_id} | (
                {concern.supervisor_id} if concern.supervisor_id else set()
            )
            successor = routing.manager_above(person, day, parties=parties)
            if successor is None:
                continue
            concern.raised_with = successor
            concern.save(update_fields=["raised_with"])
            entry = _entry(
                concern,
                ConcernEntry.Kind.PASSED_ON,
                None,
                f"Passed from {person.full_name}, who left on {last_day.day} "
                f"{last_day:%B %Y}, to {successor.full_name}.",
            )
            _audit(
                request,
                by,
                concern,
                "passed on",
                reason="the person it was raised with left",
                from_person=person.pk,
                to_person=successor.pk,
                entry=entry.pk,
            )
            _tell(
                concern,
                [successor],
                f"{_noun(concern).capitalize()} has passed to you",
                f"{_noun(concern).capitalize()} raised with {person.full_name}, who has left, "
                "has passed to you as the manager above them.",
            )
            passed += 1
    return passed


def open_at(moment) -> Q:
    """Concerns open at `moment`: raised by then, not yet closed."""
    return Q(raised_at__lte=moment) & (Q(closed_at__isnull=True) | Q(closed_at__gt=moment))
