"""Who signs and finalises a supervision record as its supervisor (rules R5, R8), after a
change of supervisor or a leaver too.

- The supervisor who held the session signs their views on its disagreements and signs and
  finalises its record, until it is finalised, even after their supervisory relationship with
  the supervisee has ended: they were there, so they vouch for the account. This right covers
  that one record only: not the rest of the file, not other sessions.
- Once they have left (from the day after their leaving date) or their account is closed, the
  supervisee's current line supervisor does it instead, and the signed copy says so.
- With neither, nobody can finalise the record until a line supervisor is recorded.

The same person writes and amends the record (`record_editor`): the supervisee's change
requests go to them, and they may amend that one record while it is a draft or sent back.

`get_session_to_sign` gives views the session for its signatory even where their reach over
the file has ended, and `get_session_to_edit` gives it to them to write or amend it; everyone
else gets exactly what `access.sessions.get_session_for_user` gives them.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from access.files import Action, reach_over, restrict_files, supervises
from access.people import has_left, may_read_content, today
from access.refusals import refuse
from access.sessions import SESSION, get_session_for_user
from supervision.models import (
    Disagreement,
    Signature,
    SupervisionRecord,
    SupervisionSession,
    SupervisoryRelationship,
    User,
)
from supervision.organisation.kept_sql import KeptQuery
from supervision.organisation.roles import active_on

LINE = SupervisoryRelationship.Kind.LINE


def day_text(day: date) -> str:
    """5 March 2026."""
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Signatory:
    """The person who signs a record as its supervisor, and in which capacity."""

    user: User
    held_session: bool
    line_from: date | None = None  # when acting as the supervisee's line supervisor

    @property
    def how(self) -> str:
        """ "held the session" or "line supervisor from 1 September 2025"."""
        if self.held_session:
            return "held the session"
        if self.line_from is not None:
            return f"line supervisor from {day_text(self.line_from)}"
        return ""

    @property
    def name(self) -> str:
        return self.user.full_name


def may_still_act(user, day: date | None = None) -> bool:
    """An open account of someone who has not left: able to sign on `day`."""
    return user is not None and user.is_active and not has_left(user, day)


def _acting_line(supervisee_id, day: date):
    """The supervisee's line relationship on `day` whose supervisor may act, or None."""
    relationships = (
        SupervisoryRelationship.objects.filter(
            active_on(day), supervisee_id=supervisee_id, kind=LINE
        )
        .select_related("supervisor__profile")
        .order_by("-starts_on", "-pk")
    )
    return next((rel for rel in relationships if may_still_act(rel.supervisor, day)), None)


def acting_line_supervisor(supervisee_id, day: date | None = None) -> User | None:
    """The supervisee's line supervisor on `day` who may act, or None."""
    line = _acting_line(supervisee_id, day or today())
    return line.supervisor if line is not None else None


def acting_line_supervisor_ids(supervisee_ids, day: date | None = None) -> dict[int, int]:
    """`acting_line_supervisor` for many supervisees in one query: {supervisee id: the id of
    their line supervisor who may act}, without those who have none."""
    day = day or today()
    found: dict[int, int] = {}
    relationships = (
        SupervisoryRelationship.objects.filter(
            active_on(day), supervisee_id__in=set(supervisee_ids), kind=LINE
        )
        .select_related("supervisor__profile")
        .order_by("supervisee_id", "-starts_on", "-pk")
    )
    for rel in relationships:
        if rel.supervisee_id not in found and may_still_act(rel.supervisor, day):
            found[rel.supervisee_id] = rel.supervisor_id
    return found


def record_signatory(session: SupervisionSession, day: date | None = None) -> Signatory | None:
    """Who signs and finalises `session`'s record as its supervisor on `day`, or None."""
    day = day or today()
    if may_still_act(session.supervisor, day):
        return Signatory(user=session.supervisor, held_session=True)
    line = _acting_line(session.supervisee_id, day)
    if line is None:
        return None
    return Signatory(user=line.supervisor, held_session=False, line_from=line.starts_on)


def signed_as(session: SupervisionSession, signer, day: date) -> Signatory:
    """In which capacity `signer` signed `session`'s record as its supervisor on `day`: for
    the signed copy. One query, and only when the signer did not hold the session."""
    if signer.pk == session.supervisor_id:
        return Signatory(user=signer, held_session=True)
    line = (
        SupervisoryRelationship.objects.filter(
            active_on(day), supervisee_id=session.supervisee_id, supervisor=signer, kind=LINE
        )
        .order_by("-starts_on")
        .first()
    )
    return Signatory(user=signer, held_session=False, line_from=line.starts_on if line else None)


def _record(session):
    return getattr(session, "record", None) if hasattr(session, "record") else None


def _open_record(session) -> bool:
    record = _record(session)
    return record is not None and record.status != SupervisionRecord.Status.FINALISED


def may_sign_as_supervisor(user, session: SupervisionSession, day: date | None = None) -> bool:
    """Whether `user` signs as the supervisor on `session`'s record on `day` (their view on a
    disagreement, the record itself): its signatory, while the record is not finalised."""
    day = day or today()
    if user is None or user.pk == session.supervisee_id or not may_read_content(user, day):
        return False
    if not _open_record(session):
        return False
    signatory = record_signatory(session, day)
    return signatory is not None and signatory.user.pk == user.pk


def supervisee_has_gone(session: SupervisionSession, day: date | None = None) -> bool:
    """The supervisee has left (from the day after their leaving date) or their account is
    closed: they can no longer sign, so the record's signatory finalises it without them."""
    return not may_still_act(session.supervisee, day or today())


def may_finalise(user, session: SupervisionSession, day: date | None = None) -> bool:
    """Whether `user` signs and finalises `session`'s record on `day`. The record's state (signed
    by the supervisee, every disagreement signed) is the service's to check."""
    return may_sign_as_supervisor(user, session, day)


def signed_as_supervisor(user, session: SupervisionSession) -> bool:
    """`user` signed `session`'s finalised record as its supervisor (rule R9: both parties
    keep a signed copy)."""
    record = _record(session)
    return (
        record is not None
        and record.status == SupervisionRecord.Status.FINALISED
        and Signature.objects.filter(
            record=record, role=Signature.Role.SUPERVISOR, signer_id=user.pk
        ).exists()
    )


def _as_signatory(user, session, day: date) -> bool:
    """Reach over this one record, and only it, given by signing it as supervisor."""
    return may_sign_as_supervisor(user, session, day) or (
        may_read_content(user, day) and signed_as_supervisor(user, session)
    )


def may_read_in_full(user, session: SupervisionSession, may_read_personal: bool, day=None) -> bool:
    """Personal sections included: whoever `access.files.may_read_personal_sections` lets read
    them (`may_read_personal`), and the record's signatory, who must read what they sign."""
    return may_read_personal or _as_signatory(user, session, day or today())


def may_take_part(user, session: SupervisionSession, day: date | None = None) -> bool:
    """Whether `user` adds to `session`'s record as one of its people (a disagreement, an
    addendum): its supervisee, its supervisor while they may act, or a supervisor of the
    supervisee now (reach to edit the file)."""
    day = day or today()
    if not may_read_content(user, day):
        return False
    if user.pk in (session.supervisee_id, session.supervisor_id):
        return True
    return restrict_files(user, Action.EDIT, day).filter(pk=session.supervisee_id).exists()


def _session_to_sign(user: int, day: date, session: int) -> QuerySet:
    """The session of `get_session_to_sign`, with what its pages show of it and its people,
    and whether `user` supervises its supervisee on `day`. By primary key, so neither ordered
    nor limited: without them PostgreSQL plans this join of nine tables in half the time."""
    return (
        SupervisionSession.objects.select_related(
            "supervisee__profile__job_role",
            "supervisee__profile__unit",
            "supervisor__profile",
            "record__template",
        )
        # The one branch of reach asked in the query (a probe): the rest need no query
        # for the people who mostly read records (their supervisee, their supervisor).
        .annotate(supervising=supervises(User(pk=user), day, OuterRef("supervisee_id")))
        .filter(pk=session)
        .order_by()
    )


# Read on every request for a record page: compiled once (supervision.organisation.kept_sql).
_SESSION_TO_SIGN = KeptQuery(_session_to_sign)


def get_session_to_sign(request, session_id, day: date | None = None):
    """The session of a record, for its record page, PDF and signing pages.

    Returns (session, may_edit). Someone within reach of the supervisee's file gets what
    `get_session_for_user` gives them (VIEW); the record's signatory gets it too even when
    their reach over the file has ended, without the right to edit (may_edit False), and so
    does whoever signed it as supervisor, once it is finalised. Anyone else: 404, audited.
    """
    user = request.user
    day = day or today()
    session = None
    if str(session_id).isdigit():
        found = _SESSION_TO_SIGN.instances(user=user.pk, day=day, session=int(session_id))
        session = found[0] if found else None
    if session is not None:
        # Read by the record page's "Back to the session" link.
        session.in_reach, session.in_reach_to_edit = reach_over(
            user, session.supervisee, day, supervising=session.supervising
        )
    if session is not None and session.in_reach:
        may_edit = session.in_reach_to_edit
        return session, may_edit or may_amend_as_editor(user, session, day)
    if session is not None and _as_signatory(user, session, day):
        return session, may_amend_as_editor(user, session, day)
    refuse(
        request,
        SESSION,
        session_id,
        subject=session.supervisee if session is not None else None,
        wanted=Action.VIEW,
        message="No such session.",
    )


def get_session_to_edit(request, session_id, day: date | None = None):
    """The session of a record, for the pages that write or amend it: for whoever may edit the
    supervisee's file (as `get_session_for_user` with EDIT, refusing the same way), and for
    the record's editor (`may_amend_as_editor`) even where their reach over the file ended."""
    day = day or today()
    session = None
    if str(session_id).isdigit():
        session = (
            SupervisionSession.objects.select_related(
                "supervisee__profile__job_role", "supervisor__profile", "record__template"
            )
            .filter(pk=session_id)
            .first()
        )
    if session is not None and may_amend_as_editor(request.user, session, day):
        return session
    session, _ = get_session_for_user(request, session_id, Action.EDIT, day)
    return session


def refuse_unless_finalising(request, session, day: date | None = None) -> None:
    """403 for anyone but the record's signatory, naming who does it."""
    if may_finalise(request.user, session, day):
        return
    signatory = record_signatory(session, day)
    refuse(
        request,
        SESSION,
        session.pk,
        answer=403,
        subject=session.supervisee,
        wanted="finalise",
        message=(
            f"{signatory.name} signs and finalises this record."
            if signatory is not None and _open_record(session)
            else "You may not sign and finalise this record."
        ),
    )


def may_disagree(user, session: SupervisionSession, day: date | None = None) -> bool:
    """A disagreement on a record (R5) is between its supervisee and its signatory, each
    writing and signing their own view."""
    if user.pk == session.supervisee_id:
        return may_read_content(user, day)
    return may_sign_as_supervisor(user, session, day)


def refuse_unless_disagreeing(request, session, day: date | None = None) -> None:
    """403 for anyone but the two sides of a disagreement (see `may_disagree`)."""
    if may_disagree(request.user, session, day):
        return
    refuse(request, SESSION, session.pk, answer=403, subject=session.supervisee, wanted="disagree")


def refuse_unless_taking_part(request, session, day: date | None = None) -> None:
    """403 for anyone but the record's people (see `may_take_part`)."""
    if may_take_part(request.user, session, day):
        return
    refuse(request, SESSION, session.pk, answer=403, subject=session.supervisee, wanted="take part")


def records_to_finalise_by(user, day: date | None = None) -> QuerySet:
    """The records signed by their supervisee that `user` is now to sign and finalise: those of
    sessions they held, while they may act, and, as line supervisor on `day`, those of sessions
    held by someone who has left or whose account is closed. Matches `record_signatory`."""
    day = day or today()
    if not may_still_act(user, day):
        return SupervisionRecord.objects.none()
    return SupervisionRecord.objects.filter(
        _signed_by(user, day), status=SupervisionRecord.Status.SUPERVISEE_SIGNED
    )


def records_waiting_for_view_by(user, day: date | None = None) -> QuerySet:
    """Shared records with a disagreement on which `user`, their signatory, has still to give
    and sign the supervisor's view: the supervisee cannot sign the record until then, so it is
    their work now, though the record is with the supervisee."""
    day = day or today()
    if not may_still_act(user, day):
        return SupervisionRecord.objects.none()
    unsigned = Disagreement.objects.filter(record=OuterRef("pk"), supervisor_signed_at__isnull=True)
    return SupervisionRecord.objects.filter(
        _signed_by(user, day),
        Exists(unsigned),
        status__in=[SupervisionRecord.Status.SHARED, SupervisionRecord.Status.SUPERVISEE_SIGNED],
    )


def records_waiting_on(user, day: date | None = None) -> QuerySet:
    """`records_to_edit_by`, `records_to_finalise_by` and `records_waiting_for_view_by`
    together, in one query for a page that lists all three (the home page): each record
    annotated `view_missing`, and `waiting_lists` sorts them into the three."""
    values = waiting_values(user, day)
    if values is None:
        return SupervisionRecord.objects.none()
    return records_waiting(values)


def waiting_values(user, day: date | None = None) -> dict | None:
    """What decides the records and sessions waiting on `user` on `day` (`records_waiting`,
    `sessions_to_write_up`): their id, the day and the people they line supervise. None when
    they may not act, so nothing waits on them. For a page that compiles those queries once
    and fills in each request's values (oversight.reports.home_queries)."""
    day = day or today()
    if not may_still_act(user, day):
        return None
    return {"user": user.pk, "day": day, "mine": _line_supervisees(user, day)}


def records_waiting(values: dict) -> QuerySet:
    """`records_waiting_on`, from `waiting_values`."""
    Status = SupervisionRecord.Status
    unsigned = Disagreement.objects.filter(record=OuterRef("pk"), supervisor_signed_at__isnull=True)
    return (
        SupervisionRecord.objects.filter(
            _signed_by_values(values),
            status__in=[*EDITABLE, Status.SUPERVISEE_SIGNED, Status.SHARED],
        )
        .annotate(view_missing=Exists(unsigned))
        .filter(~Q(status=Status.SHARED) | Q(view_missing=True))
    )


def waiting_lists(records) -> dict[str, list]:
    """Records read by `records_waiting_on`, in their order, as the three queries would list
    them: to write or amend, to finalise, and waiting for the supervisor's view."""
    Status = SupervisionRecord.Status
    records = list(records)
    return {
        "to_write": [r for r in records if r.status in EDITABLE],
        "to_finalise": [r for r in records if r.status == Status.SUPERVISEE_SIGNED],
        "to_give_view": [
            r
            for r in records
            if r.view_missing and r.status in (Status.SHARED, Status.SUPERVISEE_SIGNED)
        ],
    }


def _line_supervisees(user, day: date) -> list[int]:
    """The people `user` line supervises on `day`, as a list rather than a subquery: PostgreSQL
    then finds the sessions by two indexes (supervisor, supervisee) where for the subquery it
    read every session (15 to 40 ms a query on a 24,000-session organisation, four of them on
    a supervisor's home page). Read once for the user object and day."""
    found = getattr(user, "_line_supervisees_cache", None)
    if found is None or found[0] != day:
        people = _LINE_SUPERVISEES.instances(user=user.pk, day=day)
        found = (day, [rel.supervisee_id for rel in people])
        user._line_supervisees_cache = found
    return found[1]


def _line_relationships(user: int, day: date) -> QuerySet:
    return (
        SupervisoryRelationship.objects.filter(active_on(day), kind=LINE, supervisor_id=user)
        .only("pk", "supervisee_id")
        .order_by("pk")
    )


# Read on every home page, by someone who supervises nobody too: compiled once (kept_sql).
_LINE_SUPERVISEES = KeptQuery(_line_relationships)


def _signed_by(user, day: date, session: str = "session__") -> Q:
    """Records whose signatory (`record_signatory`) is `user` on `day`, who may still act;
    with session="" the sessions whose record they would sign."""
    values = {"user": user.pk, "day": day, "mine": _line_supervisees(user, day)}
    return _signed_by_values(values, session)


def _signed_by_values(values: dict, session: str = "session__") -> Q:
    """`_signed_by` from `waiting_values`."""
    gone = Q(**{f"{session}supervisor__is_active": False}) | Q(
        **{f"{session}supervisor__profile__leaving_date__lt": values["day"]}
    )
    # A supervisee has one line supervisor on a day (SupervisoryRelationship.clean), so a
    # record is never listed for two people.
    return Q(**{f"{session}supervisor_id": values["user"]}) | (
        gone & Q(**{f"{session}supervisee__in": values["mine"]})
    )


def sessions_to_write_up_by(user, day: date | None = None) -> QuerySet:
    """Sessions that have taken place with no record yet, whose record `user` would write
    (`record_editor`): those they held, even after a change of supervisor, and as line
    supervisor those held by someone who has left. In one query."""
    values = waiting_values(user, day)
    if values is None:
        return SupervisionSession.objects.none()
    return sessions_to_write_up({**values, "now": timezone.now()})


def sessions_to_write_up(values: dict) -> QuerySet:
    """`sessions_to_write_up_by`, from `waiting_values` and the moment, `values["now"]`."""
    return SupervisionSession.objects.filter(
        _signed_by_values(values, session=""),
        status__in=[SupervisionSession.Status.PLANNED, SupervisionSession.Status.HELD],
        starts_at__lte=values["now"],
        # The stored marker, read from a partial index, rather than a look for a record.
        no_record=True,
    )


def may_start_record(user, session: SupervisionSession, day: date | None = None) -> bool:
    """`user` will write the record of `session`, which has taken place and has none yet."""
    day = day or today()
    if _record(session) is not None or session.starts_at > timezone.now():
        return False
    if session.status not in (SupervisionSession.Status.PLANNED, SupervisionSession.Status.HELD):
        return False
    if user is None or user.pk == session.supervisee_id or not may_read_content(user, day):
        return False
    signatory = record_signatory(session, day)
    return signatory is not None and signatory.user.pk == user.pk


def get_session_to_start(request, session_id, action: Action = Action.VIEW, day=None):
    """The session page and starting its record: as `get_session_for_user`, and also for the
    person who will write its record (`may_start_record`) where their reach over the file has
    ended, such as the supervisor who held it before a change of supervisor. (session,
    may_edit)."""
    day = day or today()
    session = None
    if str(session_id).isdigit():
        session = (
            SupervisionSession.objects.select_related(
                "supervisee__profile__job_role", "supervisor__profile"
            )
            .filter(pk=session_id)
            .first()
        )
    if session is not None and may_start_record(request.user, session, day):
        reach = restrict_files(request.user, Action.VIEW, day)
        if not reach.filter(pk=session.supervisee_id).exists():
            return session, True
    return get_session_for_user(request, session_id, action, day)


def record_editor(session: SupervisionSession, day: date | None = None):
    """Who writes and amends `session`'s record now (the supervisee's change requests go to
    them): the one person who also signs and finalises it, `record_signatory`. After a change
    of supervisor that is still the supervisor who held the session while they have not left,
    else the supervisee's line supervisor now. None when there is neither."""
    signatory = record_signatory(session, day)
    return signatory.user if signatory is not None else None


EDITABLE = (SupervisionRecord.Status.DRAFT, SupervisionRecord.Status.AMENDMENT_REQUESTED)


def may_amend_as_editor(user, session: SupervisionSession, day: date | None = None) -> bool:
    """`user` is `record_editor` of `session`'s record, which is a draft or sent back for
    changes: they write or amend this one record even where their reach over the file has
    ended (a change of supervisor), and nothing else of the file."""
    record = _record(session)
    if record is None or record.status not in EDITABLE:
        return False
    return may_sign_as_supervisor(user, session, day)


def records_to_edit_by(user, day: date | None = None) -> QuerySet:
    """The drafts and records sent back for changes that `user` is to write or amend now, as
    `record_editor` has it, in one query: those of sessions they held, while they may act,
    and, as line supervisor, those of sessions held by someone who has left or whose account
    is closed. The same people as `records_to_finalise_by`, for the earlier statuses."""
    day = day or today()
    if not may_still_act(user, day):
        return SupervisionRecord.objects.none()
    return SupervisionRecord.objects.filter(_signed_by(user, day), status__in=EDITABLE)
