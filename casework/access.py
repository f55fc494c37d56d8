"""Who may see and act on which child's case. The one place that decides (issue 6, point 9).

- The allocated worker reads the child's case and rates its risk.
- The worker's supervisory line (their current supervisors) reads it and writes management
  oversight: notes, allocation, transfer, closure, marks for discussion, board moves.
- Managers of the child's team and every unit above it, and of the units above the worker,
  read it and write oversight too (a service manager approves strategy discussions, seed 004).
- Nobody else: not an auditor with a grant over the worker's staff file (that grant is for the
  staff file, not for children), and never a system administrator.

Outside reach is a 404, never a 403, and both are audited, as for staff files.
"""

from datetime import date
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from oversight import audit
from supervision.models import SupervisoryRelationship, Unit, User
from supervision.roles import active_on

from .models import Child

CHILD = "child"


class CaseAction(StrEnum):
    VIEW = "view"
    RATE = "rate"  # the worker's own RAG rating before supervision (seed 001 §5.1)
    MANAGE = "manage"  # management oversight


def _managed_paths(user) -> list[str]:
    return list(Unit.objects.filter(manager=user).values_list("path", flat=True))


def _supervisees(user, day: date) -> QuerySet:
    return SupervisoryRelationship.objects.filter(active_on(day), supervisor=user).values(
        "supervisee"
    )


def _managed(user, day: date) -> Q:
    query = Q(allocated_worker__in=_supervisees(user, day))
    for path in _managed_paths(user):
        query |= Q(unit__path__startswith=path)
        query |= Q(allocated_worker__profile__unit__path__startswith=path)
    return query


def restrict_children(user, action: CaseAction = CaseAction.VIEW, day: date | None = None):
    """The children whose cases `user` may act on."""
    if not user.is_authenticated or user.is_staff:
        return Child.objects.none()
    day = day or timezone.localdate()
    managed = _managed(user, day)
    reach = managed if action == CaseAction.MANAGE else Q(allocated_worker=user) | managed
    return Child.objects.filter(reach).distinct()


def may_manage(user, child: Child, day: date | None = None) -> bool:
    return restrict_children(user, CaseAction.MANAGE, day).filter(pk=child.pk).exists()


def staff_reach(user, day: date | None = None) -> QuerySet:
    """Workers whose caseloads `user` may open: themselves, whom they supervise, and the staff
    of units they manage."""
    from supervision.access import Action, restrict_files

    day = day or timezone.localdate()
    reach = Q(pk=user.pk) | Q(pk__in=_supervisees(user, day))
    for path in _managed_paths(user):
        reach |= Q(profile__unit__path__startswith=path)
    return restrict_files(user, Action.VIEW, day).filter(reach)


def get_child_for_user(
    request, child_id, action: CaseAction = CaseAction.VIEW, day: date | None = None
):
    """The child asked for, or 404 if outside reach, or 403 if readable but not this action.

    Returns (child, may_manage). Each denial is written to the audit log.
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
        audit.record(
            audit.AuditAction.DENIED,
            request=request,
            object_type=CHILD,
            object_id=str(child_id)[:64],
            detail={"wanted": str(action), "answer": 404},
        )
        raise Http404("No such child.")
    manages = may_manage(user, child, day)
    allowed = {
        CaseAction.VIEW: True,
        CaseAction.RATE: manages or child.allocated_worker_id == user.pk,
        CaseAction.MANAGE: manages,
    }[action]
    if not allowed:
        audit.record(
            audit.AuditAction.DENIED,
            request=request,
            object_type=CHILD,
            object_id=child.pk,
            detail={"wanted": str(action), "answer": 403},
        )
        raise PermissionDenied("You may read this child's case but not do this.")
    return child, manages


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
        audit.record(
            audit.AuditAction.DENIED,
            request=request,
            object_type="caseload",
            object_id=str(person_id)[:64],
            detail={"answer": 404},
        )
        raise Http404("No such caseload.")
    return person


def team_case_reach(user, unit: Unit, day: date | None = None) -> bool:
    """Whether `user` leads case work in the team: its manager, a manager above it, or a
    supervisor in the team who supervises someone in it. They run the team's group supervision
    and its case progression board."""
    from supervision.development_services import team_reach

    if not user.is_authenticated or user.is_staff:
        return False
    if team_reach(user, unit, day)[1]:
        return True
    above = [int(part) for part in unit.path.strip("/").split("/") if part]
    return Unit.objects.filter(pk__in=above, manager=user).exists()


def get_team_for_user(request, unit_id, day: date | None = None) -> Unit:
    """A team whose case work `user` leads, or 404 (audited)."""
    unit = None
    if str(unit_id).isdigit():
        unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None or not team_case_reach(request.user, unit, day):
        audit.record(
            audit.AuditAction.DENIED,
            request=request,
            object_type="team_casework",
            object_id=str(unit_id)[:64],
            detail={"answer": 404},
        )
        raise Http404("No such team.")
    return unit
