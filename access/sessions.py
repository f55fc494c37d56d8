"""Supervision sessions and their records: reach follows the supervisee's file."""

from datetime import date

from access.files import Action, restrict_files
from access.refusals import refuse
from supervision.models import SupervisionSession

SESSION = "supervision_session"


def restrict_sessions(user, action: Action = Action.VIEW, day: date | None = None):
    return SupervisionSession.objects.filter(
        supervisee__in=restrict_files(user, action, day).values("pk")
    )


def _supervisee_of(session_id):
    session = (
        SupervisionSession.objects.select_related("supervisee").filter(pk=session_id).first()
        if str(session_id).isdigit()
        else None
    )
    return session.supervisee if session else None


def get_session_for_user(
    request, session_id, action: Action = Action.VIEW, day: date | None = None
):
    """A supervision session within the user's reach over its supervisee's file.

    Returns (session, may_edit). The same 404/403 rules and audit entries as files.
    """
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
        refuse(
            request,
            SESSION,
            session_id,
            subject=_supervisee_of(session_id),
            wanted=action,
            message="No such session.",
        )
    may_edit = restrict_files(user, Action.EDIT, day).filter(pk=session.supervisee_id).exists()
    if action == Action.EDIT and not may_edit:
        refuse(
            request,
            SESSION,
            session.pk,
            answer=403,
            subject=session.supervisee,
            wanted=action,
            message="You may read this session but not change it.",
        )
    return session, may_edit


def is_party(user, session) -> bool:
    """One of the session's two people: its supervisor or its supervisee."""
    return user.pk in (session.supervisor_id, session.supervisee_id)


def is_supervisee(user, session) -> bool:
    return user.pk == session.supervisee_id


def refuse_unless_party(request, session, wanted: str) -> None:
    """Adding to the agenda is for the session's two people: others who read it get a 403."""
    if not is_party(request.user, session):
        refuse(request, SESSION, session.pk, answer=403, subject=session.supervisee, wanted=wanted)


def refuse_unless_supervisee(request, session, wanted: str) -> None:
    """Signing as a correct record and asking for changes are the supervisee's alone."""
    if not is_supervisee(request.user, session):
        refuse(request, SESSION, session.pk, answer=403, subject=session.supervisee, wanted=wanted)
