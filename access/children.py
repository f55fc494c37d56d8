"""Children and their cases, caseloads, and the team case work around them.

- The allocated worker reads the child's case and rates its risk.
- The worker's supervisory line (their current supervisors) reads it and writes management
  oversight: notes, allocation, transfer, closure, marks for discussion, board moves.
- Managers of the child's team and every unit above it, and of the units above the worker,
  read it and write oversight too (a service manager approves strategy discussions, rule R12).
- Nobody else: not an auditor with a grant over the worker's staff file (that grant is for the
  staff file, not for children), never a system administrator, never a leaver.
- Retention of children's case notes (listing, legal holds, destruction) is a system
  administrator's, as for leavers' files (`case_note_retention_page`): those pages show a
  child's reference, the number of notes and dates, never a word of the notes, so they give no
  reach over the child.

A refusal about a child names the child in the audit entry (`detail.child`) and, as subject,
the worker the child is allocated to, so the worker's access log shows it.
"""

from datetime import date
from enum import StrEnum

from django.db.models import F, Q, QuerySet

from access.files import Action, restrict_files
from access.people import may_read_content, today
from access.refusals import refuse
from access.roles import role_required
from access.units import managed_paths, team_reach
from casework.models import CaseNote, CaseNoteAction, Child, FrontDoorSession, GroupSession
from supervision.models import SupervisoryRelationship, Unit, User
from supervision.organisation.roles import active_on

CHILD = "child"
GROUP = "group_session"
FRONT_DOOR = "front_door_session"


def case_note_retention_page(view):
    """Pages for keeping and destroying children's case notes: system administrators only, the
    same rule as the leavers' files' retention pages (oversight.web.views_retention); anyone
    else gets 403, audited."""
    return role_required("system_admin")(view)


class CaseAction(StrEnum):
    VIEW = "view"
    RATE = "rate"  # the worker's own RAG rating before supervision, as Surrey asks
    MANAGE = "manage"  # management oversight


def _supervisees(user, day: date) -> QuerySet:
    return SupervisoryRelationship.objects.filter(active_on(day), supervisor=user).values(
        "supervisee"
    )


def _managed(user, day: date) -> Q:
    query = Q(allocated_worker__in=_supervisees(user, day))
    for path in managed_paths(user, day):
        query |= Q(unit__path__startswith=path)
        query |= Q(allocated_worker__profile__unit__path__startswith=path)
    return query


def restrict_children(user, action: CaseAction = CaseAction.VIEW, day: date | None = None):
    """The children whose cases `user` may act on."""
    day = day or today()
    if not may_read_content(user, day):
        return Child.objects.none()
    managed = _managed(user, day)
    reach = managed if action == CaseAction.MANAGE else Q(allocated_worker=user) | managed
    return Child.objects.filter(reach).distinct()


def may_manage(user, child: Child, day: date | None = None) -> bool:
    return restrict_children(user, CaseAction.MANAGE, day).filter(pk=child.pk).exists()


def staff_reach(user, day: date | None = None) -> QuerySet:
    """Workers whose caseloads `user` may open: themselves, whom they supervise, and the staff
    of units they manage."""
    day = day or today()
    reach = Q(pk=user.pk) | Q(pk__in=_supervisees(user, day))
    for path in managed_paths(user, day):
        reach |= Q(profile__unit__path__startswith=path)
    return restrict_files(user, Action.VIEW, day).filter(reach)


def _refuse_child(request, child_id, child=None, **kwargs):
    if child is None and str(child_id).isdigit():
        child = Child.objects.select_related("allocated_worker").filter(pk=child_id).first()
    refuse(
        request,
        CHILD,
        child_id if child is None else child.pk,
        subject=child.allocated_worker if child else None,
        detail={"child": child.pk} if child else None,
        **kwargs,
    )


def get_child_for_user(
    request, child_id, action: CaseAction = CaseAction.VIEW, day: date | None = None
):
    """The child asked for, or 404 if outside reach, or 403 if readable but not this action.

    Returns (child, may_manage). Each refusal is audited.
    """
    user = request.user
    child = None
    if str(child_id).isdigit():
        child = (
            restrict_children(user, CaseAction.VIEW, day)
            .select_related("unit", "allocated_worker", "family")
            .filter(pk=child_id)
            .first()
        )
    if child is None:
        _refuse_child(request, child_id, wanted=action, message="No such child.")
    manages = may_manage(user, child, day)
    allowed = {
        CaseAction.VIEW: True,
        CaseAction.RATE: may_rate(user, child, manages),
        CaseAction.MANAGE: manages,
    }[action]
    if not allowed:
        _refuse_child(
            request,
            child.pk,
            child,
            answer=403,
            wanted=action,
            message="You may read this child's case but not do this.",
        )
    return child, manages


def may_update_action(user, note: CaseNote, action: CaseNoteAction, manages: bool) -> bool:
    """A case note's action is updated by the manager, the note's author or its owner."""
    return manages or user.pk in (note.author_id, action.owner_id)


def may_set_action_status(user, note: CaseNote, action: CaseNoteAction, manages: bool) -> bool:
    """... once the note is final."""
    return note.is_final and may_update_action(user, note, action, manages)


def may_rate(user, child: Child, manages: bool) -> bool:
    """The child's allocated worker rates the case's risk before supervision, and so does
    whoever manages it (as Surrey asks)."""
    return manages or child.allocated_worker_id == user.pk


def get_caseload_owner_for_user(request, person_id, day: date | None = None) -> User:
    """The worker whose caseload is asked for, within reach, or 404 (audited)."""
    person = None
    if str(person_id).isdigit():
        person = (
            staff_reach(request.user, day)
            .select_related("profile__unit", "profile__job_role")
            .filter(pk=person_id)
            .first()
        )
    if person is None:
        someone = User.objects.filter(pk=person_id).first() if str(person_id).isdigit() else None
        refuse(request, "caseload", person_id, subject=someone, message="No such caseload.")
    return person


def team_case_reach(user, unit: Unit, day: date | None = None) -> bool:
    """Whether `user` leads case work in the team: its manager, a manager above it, or a
    supervisor in the team who supervises someone in it. They run the team's group supervision
    and its case progression board."""
    if not may_read_content(user, day):
        return False
    if team_reach(user, unit, day)[1]:
        return True
    above = [int(part) for part in unit.path.strip("/").split("/") if part]
    return Unit.objects.filter(pk__in=above, manager=user).exists()


def teams_led(user, people, day: date | None = None) -> list[Unit]:
    """The teams whose group supervision and case progression board `user` runs: the teams
    they manage and those of the people listed (their supervisees), where they lead its case
    work."""
    if not may_read_content(user, day):
        return []
    candidates = Unit.objects.filter(
        Q(kind=Unit.Kind.TEAM)
        & (Q(manager=user) | Q(pk__in=[person.profile.unit_id for person in people]))
    )
    return [unit for unit in candidates if team_case_reach(user, unit, day)]


def teams_led_by(user, day: date | None = None):
    """The teams whose case work `user` leads, as team_case_reach has it: the
    teams at or below the units they manage, and their own team where they supervise someone
    in it. One query, so the form's list does not cost a query per team."""
    day = day or today()
    if not may_read_content(user, day):
        return Unit.objects.none()
    query = Q(
        pk__in=SupervisoryRelationship.objects.filter(
            active_on(day),
            supervisor=user,
            supervisor__profile__unit=F("supervisee__profile__unit"),
        ).values("supervisor__profile__unit")
    )
    for path in managed_paths(user, day):
        query |= Q(path__startswith=path)
    # Children are held by teams; a directorate or a service allocates through its teams.
    return (
        Unit.objects.filter(query)
        .exclude(kind__in=[Unit.Kind.DIRECTORATE, Unit.Kind.SERVICE])
        .order_by("name")
    )


def get_team_for_user(request, unit_id, day: date | None = None) -> Unit:
    """A team whose case work `user` leads, or 404 (audited)."""
    unit = None
    if str(unit_id).isdigit():
        unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None or not team_case_reach(request.user, unit, day):
        refuse(request, "team_casework", unit_id, message="No such team.")
    return unit


def get_group_for_user(request, group_id) -> tuple[GroupSession, bool]:
    """The group session, for those who lead the team's case work and those who took part.

    Returns (group, leads). Anyone else gets a 404, audited."""
    user = request.user
    group = None
    if str(group_id).isdigit() and may_read_content(user):
        group = (
            GroupSession.objects.select_related("unit", "facilitator").filter(pk=group_id).first()
        )
    leads = group is not None and team_case_reach(user, group.unit)
    if group is None or not (leads or group.participants.filter(pk=user.pk).exists()):
        refuse(request, GROUP, group_id, message="No such group session.")
    return group, leads


def get_front_door_for_user(request, session_id) -> FrontDoorSession:
    """The session, if the user may read the supervisee's staff file; otherwise 404, audited."""
    session = None
    if str(session_id).isdigit():
        session = (
            FrontDoorSession.objects.select_related("supervisor", "supervisee")
            .filter(
                pk=session_id,
                supervisee__in=restrict_files(request.user, Action.VIEW).values("pk"),
            )
            .first()
        )
    if session is None:
        other = (
            FrontDoorSession.objects.select_related("supervisee").filter(pk=session_id).first()
            if str(session_id).isdigit()
            else None
        )
        refuse(
            request,
            FRONT_DOOR,
            session_id,
            subject=other.supervisee if other else None,
            message="No such front-door session.",
        )
    return session
