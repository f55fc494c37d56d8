"""Concerns about supervision and escalated disagreements: who reads them and who acts.

A concern about supervision (Surrey 001 §3) is the supervisee's way past their supervisor to
the supervisor's line manager, for when talking to the supervisor has not resolved it. So its
readers are only the supervisee and the person it is raised with: NOT the supervisor, who gets
the same 404 as for anything else out of reach. A supervisee who could be seen raising it
might not raise it at all; the manager may still talk to the supervisor, and says so in their
response. Senior managers above see counts on the dashboard, never the concern.

An escalated disagreement (Kent 004 Appendix C) is different: the disagreement is already on
the record both parties signed, so both of them read the escalation, with the manager.

Nobody else reads either: not managers further up, auditors or administrators.
"""

from datetime import date

from django.db.models import Q, QuerySet

from access.people import may_read_content, today
from access.records import (
    LINE,
    acting_line_supervisor,
    acting_line_supervisor_ids,
    may_still_act,
    record_signatory,
)
from access.refusals import refuse
from supervision.models import Concern, Disagreement, SupervisionSession, SupervisoryRelationship
from supervision.organisation.roles import active_on

CONCERN = "concern"


def part_in(user, concern: Concern, day: date | None = None) -> str | None:
    """ "raised_with", "supervisee", "supervisor" (an escalation's other party) or None."""
    if not may_read_content(user, day):
        return None
    if user.pk == concern.raised_with_id:
        return "raised_with"
    if user.pk == concern.supervisee_id:
        return "supervisee"
    if concern.kind == Concern.Kind.DISAGREEMENT and user.pk in (
        concern.supervisor_id,
        concern.raised_by_id,
    ):
        return "supervisor"
    if concern.kind == Concern.Kind.DISAGREEMENT and _is_pk(standing_in_for(concern, day), user):
        return "supervisor"
    return None


def _is_pk(person, user) -> bool:
    return person is not None and person.pk == user.pk


def standing_in_for(concern: Concern, day: date | None = None):
    """Who speaks for the supervisor's side of an escalation once the supervisor can no
    longer act (they left): the supervisee's line supervisor now, who also signs the record's
    outstanding parts (access.records.record_signatory). Without them the escalation would be
    left to the supervisee and the manager alone, with nobody able to answer for the record."""
    if concern.supervisor_id is None or may_still_act(concern.supervisor, day or today()):
        return None
    return acting_line_supervisor(concern.supervisee_id, day or today())


def get_concern_for_user(request, concern_id, day: date | None = None) -> tuple[Concern, str]:
    """(concern, the viewer's part in it); 404, audited, for everyone else."""
    concern = None
    if str(concern_id).isdigit():
        concern = (
            Concern.objects.select_related(
                "supervisee", "supervisor", "raised_by", "raised_with", "disagreement__record"
            )
            .filter(pk=concern_id)
            .first()
        )
    part = part_in(request.user, concern, day) if concern is not None else None
    if part is None:
        # Nobody named as its subject: a refusal in the supervisee's access log would tell
        # those who read that log that a concern exists.
        refuse(request, CONCERN, concern_id, message="No such concern.")
    return concern, part


def may_list(user, day: date | None = None) -> bool:
    """Everyone who may read content has the list (empty or not); administrators do not."""
    return may_read_content(user, day)


def concerns_raised_with(user, day: date | None = None) -> QuerySet:
    """What is raised with `user` now (their list), open first."""
    if not may_read_content(user, day):
        return Concern.objects.none()
    return Concern.objects.filter(raised_with=user)


def concerns_of(user, day: date | None = None) -> QuerySet:
    """What `user` raised or is a party to, other than as the person it is raised with: their
    own concerns, and escalations of disagreements on their records."""
    if not may_read_content(user, day):
        return Concern.objects.none()
    escalation_party = Q(kind=Concern.Kind.DISAGREEMENT) & (Q(supervisor=user) | Q(raised_by=user))
    day = day or today()
    # Escalations of the user's line supervisees raised under a supervisor who has since left:
    # the user stands in for them if they are the acting line supervisor (standing_in_for),
    # asked for all of them in one query.
    orphaned = [
        concern
        for concern in Concern.objects.filter(
            kind=Concern.Kind.DISAGREEMENT,
            supervisor__isnull=False,
            supervisee__in=SupervisoryRelationship.objects.filter(
                active_on(day), supervisor=user, kind=LINE
            ).values("supervisee"),
        )
        .exclude(supervisor=user)
        .select_related("supervisor__profile")
        if not may_still_act(concern.supervisor, day)
    ]
    acting = acting_line_supervisor_ids([c.supervisee_id for c in orphaned], day)
    standing_in = [c.pk for c in orphaned if acting.get(c.supervisee_id) == user.pk]
    return Concern.objects.filter(
        Q(supervisee=user) | escalation_party | Q(pk__in=standing_in)
    ).exclude(raised_with=user)


def may_add_to(part: str, concern: Concern) -> bool:
    """The supervisee, and for an escalation its other party, add to it while it is open."""
    return concern.is_open and part in ("supervisee", "supervisor")


def may_answer(part: str, concern: Concern) -> bool:
    return concern.is_open and part == "raised_with"


def may_withdraw(user, concern: Concern) -> bool:
    return concern.is_open and user.pk == concern.raised_by_id


def refuse_unless(request, concern: Concern, allowed: bool, wanted: str) -> None:
    """403: the viewer reads it but may not do this."""
    if not allowed:
        refuse(request, CONCERN, concern.pk, answer=403, wanted=wanted)


def may_raise_concern(user, roles) -> bool:
    """Any member of staff: their concern is about the supervision they receive, or do not
    (someone with no supervisor has the plainest concern about its quantity; it goes to the
    manager of their unit)."""
    return may_read_content(user) and roles.supervisee


def disagreement_parties(session: SupervisionSession, day: date | None = None) -> set[int]:
    """The two sides of a record's disagreements: its supervisee and its signatory, the
    supervisor who held the session or, after they have left, the supervisee's line
    supervisor now (access.records)."""
    parties = {session.supervisee_id}
    signatory = record_signatory(session, day or today())
    if signatory is not None:
        parties.add(signatory.user.pk)
    return parties


def may_escalate_on(user, session: SupervisionSession, day: date | None = None) -> bool:
    """Either party escalates a disagreement on the record the two of them have not resolved
    (once each), and reads what became of it."""
    return may_read_content(user, day) and user.pk in disagreement_parties(session, day)


def may_escalate(user, disagreement: Disagreement, day: date | None = None) -> bool:
    return may_escalate_on(user, disagreement.record.session, day)


def refuse_unless_escalating(request, disagreement: Disagreement) -> None:
    if not may_escalate(request.user, disagreement):
        session = disagreement.record.session
        refuse(request, "session", session.pk, answer=403, wanted="escalate")
