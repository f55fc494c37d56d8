"""Who may do what to which member of staff's supervision file. The one place that decides.

Reach follows the organisation, worked out on the day of the request:
- a member of staff reads their own file;
- their current supervisors (line, designated, practice educator, and temporary cover for the
  cover period only) read and write it, including everything earlier supervisors wrote, since
  the file passes with the person (DOMAIN S1);
- the managers of the units at or above the person's unit read it, never write;
- someone holding an AccessGrant (a django-guardian object permission, honoured only inside
  the grant's period) reads it;
- system administrators read no file at all, whatever else they are (separation of duties).

Outside reach is a 404, never a 403, so an id typed into a URL does not reveal that a person
exists; inside reach without the right to write, a write is a 403. Both are audited.
"""

from datetime import date
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from oversight import audit

from .models import AccessGrant, SupervisoryRelationship, Unit, User
from .roles import active_on

FILE = "staff_file"


class Action(StrEnum):
    VIEW = "view"
    EDIT = "edit"
    VIEW_ACCESS_LOG = "view_access_log"


def _supervised_by(user, day: date) -> Q:
    return Q(
        pk__in=SupervisoryRelationship.objects.filter(active_on(day), supervisor=user).values(
            "supervisee"
        )
    )


def _below_managed_units(user) -> Q:
    paths = list(Unit.objects.filter(manager=user).values_list("path", flat=True))
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(profile__unit__path__startswith=path)
    return query


def _granted(user, day: date) -> Q:
    permitted = get_objects_for_user(
        user,
        "supervision.read_supervision_file",
        klass=User,
        accept_global_perms=False,
        with_superuser=False,
    )
    in_period = AccessGrant.objects.filter(
        grantee=user, starts_on__lte=day, ends_on__gte=day, revoked_at__isnull=True
    ).values("subject")
    return Q(pk__in=permitted.values("pk")) & Q(pk__in=in_period)


def restrict_files(user, action: Action = Action.VIEW, day: date | None = None) -> QuerySet:
    """The people whose files `user` may act on: a queryset of User, each with a profile."""
    if not user.is_authenticated or user.is_staff:
        return User.objects.none()
    day = day or timezone.localdate()
    if action == Action.EDIT:
        # An archived file (DOMAIN S2) is read-only from the leaving date.
        reach = (
            _supervised_by(user, day)
            & Q(profile__is_active=True)
            & (Q(profile__leaving_date__isnull=True) | Q(profile__leaving_date__gt=day))
        )
    elif action == Action.VIEW_ACCESS_LOG:
        reach = _below_managed_units(user) & ~Q(pk=user.pk) | _granted(user, day)
    else:
        reach = (
            Q(pk=user.pk)
            | _supervised_by(user, day)
            | _below_managed_units(user)
            | _granted(user, day)
        )
    return User.objects.filter(reach, profile__isnull=False)


def get_file_for_user(request, person_id, action: Action = Action.VIEW, day: date | None = None):
    """The person whose file is asked for, or 404 if outside reach, or 403 if readable only.

    Returns (person, may_edit). Each denial is written to the audit log.
    """
    user = request.user
    person = (
        restrict_files(user, Action.VIEW, day)
        .select_related("profile__job_role", "profile__unit")
        .filter(pk=person_id)
        .first()
        if str(person_id).isdigit()
        else None
    )
    if person is None:
        audit.record(
            audit.AuditAction.DENIED,
            request=request,
            object_type=FILE,
            object_id=str(person_id)[:64],
            detail={"wanted": str(action), "answer": 404},
        )
        raise Http404("No such file.")
    may_edit = restrict_files(user, Action.EDIT, day).filter(pk=person.pk).exists()
    if action != Action.VIEW:
        allowed = (
            may_edit
            if action == Action.EDIT
            else (restrict_files(user, action, day).filter(pk=person.pk).exists())
        )
        if not allowed:
            audit.record(
                audit.AuditAction.DENIED,
                request=request,
                object_type=FILE,
                object_id=person.pk,
                subject=person,
                detail={"wanted": str(action), "answer": 403},
            )
            raise PermissionDenied("You may read this file but not do this.")
    return person, may_edit


def may_read_personal_sections(user, person, day: date | None = None) -> bool:
    """Personal and wellbeing sections: the person, their supervisors and the line above, and
    a grant holder only where the grant says so."""
    day = day or timezone.localdate()
    if user.is_staff:
        return False
    line = restrict_files(user, Action.VIEW, day).filter(
        Q(pk=user.pk) | _supervised_by(user, day) | _below_managed_units(user)
    )
    if line.filter(pk=person.pk).exists():
        return True
    return AccessGrant.objects.filter(
        grantee=user,
        subject=person,
        starts_on__lte=day,
        ends_on__gte=day,
        revoked_at__isnull=True,
        includes_personal_sections=True,
    ).exists()


def get_session_for_user(
    request, session_id, action: Action = Action.VIEW, day: date | None = None
):
    """A supervision session within the user's reach over its supervisee's file.

    Returns (session, may_edit). The same 404/403 rules and audit entries as files.
    """
    from .models import SupervisionSession

    user = request.user
    session = None
    if str(session_id).isdigit():
        session = (
            SupervisionSession.objects.select_related(
                "supervisee__profile__job_role", "supervisor", "record__template"
            )
            .filter(
                pk=session_id, supervisee__in=restrict_files(user, Action.VIEW, day).values("pk")
            )
            .first()
        )
    if session is None:
        audit.record(
            audit.AuditAction.DENIED,
            request=request,
            object_type="supervision_session",
            object_id=str(session_id)[:64],
            detail={"wanted": str(action), "answer": 404},
        )
        raise Http404("No such session.")
    may_edit = restrict_files(user, Action.EDIT, day).filter(pk=session.supervisee_id).exists()
    if action == Action.EDIT and not may_edit:
        audit.record(
            audit.AuditAction.DENIED,
            request=request,
            object_type="supervision_session",
            object_id=session.pk,
            subject=session.supervisee,
            detail={"wanted": str(action), "answer": 403},
        )
        raise PermissionDenied("You may read this session but not change it.")
    return session, may_edit
