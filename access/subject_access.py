"""Subject access exports (UK GDPR article 15): who may make and download the zip of everything
held about one member of staff.

- The person it is about, always (while they may act at all): it is theirs.
- An information governance officer (a member of
  `supervision.organisation.roles.INFORMATION_GOVERNANCE_GROUP`)
  answering a request, for anyone who has a staff profile: answering requests is their job, so
  they reach everyone's export without reaching their file. Each export they start needs a
  reason (the request it answers), which is kept on the export, audited, and shown to the
  person beside the export and on their file's access log.
- Never a system administrator, whatever else they are (an information governance officer
  too, a superuser): administrators run the system and never read it. A subject access
  request is answered by information governance, not by whoever runs the servers.
- Nobody else, not even the person's supervisor or the managers above: the export holds
  everything, personal sections included.

Refusals, each audited and naming the person when there is one:
- 404 to anyone who cannot even read the person's file (so an id reveals nothing);
- 403 to those who can read the file but may not export it (a supervisor, a manager, a grant
  holder), and to an administrator: they list every account in the Django admin already, so a
  404 would hide nothing from them, and the 403 says plainly that this is not theirs to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from access.files import Action, restrict_files
from access.people import may_act
from access.refusals import refuse
from access.roles import roles_for
from oversight.models import SubjectAccessExport
from supervision.models import Concern, ConcernEntry, StaffProfile, User

EXPORT = "subject_access_export"


@dataclass(frozen=True)
class SubjectAccess:
    """The person whose data is asked for, and on what footing the user asks."""

    person: object
    is_self: bool

    @property
    def needs_reason(self) -> bool:
        """An information governance officer says why; the person never has to."""
        return not self.is_self


def may_export(user, person) -> bool:
    """Whether `user` may start and download subject access exports of `person`."""
    if person is None or not may_act(user):
        return False
    if user.pk == person.pk:
        return True
    if user.is_staff:
        return False
    return roles_for(user).information_governance and _has_profile(person)


def _has_profile(person) -> bool:
    return StaffProfile.objects.filter(user_id=person.pk).exists()


def concerns_in_export(person) -> tuple[QuerySet, QuerySet]:
    """(concerns given in full, concerns only outlined) in `person`'s export.

    In full, every entry with its author and date: those they raised, and those about their
    own supervision (an escalation of a disagreement on their record, whoever escalated it).
    They are a party to each and read it all in the product; the manager's replies are about
    them, as the other side's view in a disagreement on their own record, which the export
    gives in full too.

    Outlined (what kind, whose supervision, when, their part, status; no words): those raised
    with them as the manager, those they answered before they were passed on, and escalations
    of disagreements on someone else's record where they are the supervisor. Each is part of
    the supervisee's file (it is destroyed with it), and the export treats the supervisee's
    file as it treats the records of people they supervised: that it happened, with whom and
    when, never what was written, not even their own replies.

    Left out altogether: a concern about supervision they gave that was not raised with them.
    It goes past them to their manager, and they never reach it (access.concerns): their
    export must not tell them it exists, still less who raised it (the third party's data,
    Data Protection Act 2018 schedule 2 paragraph 16)."""

    theirs = Q(supervisee=person) | Q(raised_by=person)
    with_them = (
        Q(raised_with=person)
        | Q(pk__in=ConcernEntry.objects.filter(author=person).values("concern"))
        | Q(kind=Concern.Kind.DISAGREEMENT, supervisor=person)
    )
    return (
        Concern.objects.filter(theirs),
        Concern.objects.filter(with_them).exclude(theirs),
    )


def get_person_for_subject_access(request, person_id) -> SubjectAccess:
    """The person, if the user may export their data; otherwise an audited 404 or 403 (see the
    module's docstring)."""

    user = request.user
    person = User.objects.filter(pk=person_id).first() if str(person_id).isdigit() else None
    if may_export(user, person):
        return SubjectAccess(person=person, is_self=person.pk == user.pk)
    wanted = "subject_access"
    if person is not None and may_act(user) and user.is_staff:
        refuse(
            request,
            EXPORT,
            person_id,
            answer=403,
            subject=person,
            wanted=wanted,
            message="System administrators do not export people's data. "
            "Information governance answers subject access requests.",
        )
    readable = (
        person is not None and restrict_files(user, Action.VIEW).filter(pk=person.pk).exists()
    )
    if readable:
        refuse(
            request,
            EXPORT,
            person_id,
            answer=403,
            subject=person,
            wanted=wanted,
            message="Only the person themself or information governance may export this.",
        )
    refuse(request, EXPORT, person_id, subject=person, wanted=wanted, message="No such person.")


def get_export(request, person, export_id, *, ready: bool = False):
    """One of `person`'s exports, reached through get_person_for_subject_access; an audited 404
    if there is no such export of theirs or, when `ready` is asked, if it cannot be
    downloaded (not made yet, failed, or its file destroyed)."""

    export = (
        SubjectAccessExport.objects.filter(pk=export_id, person=person).first()
        if str(export_id).isdigit()
        else None
    )
    if export is None:
        refuse(
            request, EXPORT, export_id, subject=person, wanted="export", message="No such export."
        )
    if ready and (export.status != SubjectAccessExport.Status.DONE or not export.file):
        refuse(
            request,
            EXPORT,
            export.pk,
            subject=person,
            wanted="download",
            message="This export is not ready, or its file has been destroyed.",
        )
    return export


def refuse_unless_answering_requests(request) -> None:
    """The page for finding whose data is asked for: information governance only (never an
    administrator, whatever else they are). Others get an audited 403."""
    user = request.user
    if may_act(user) and not user.is_staff and roles_for(user).information_governance:
        return
    refuse(request, EXPORT, "", answer=403, wanted="find a person for a subject access request")


def people_for_requests(query: str):
    """Everyone with a staff profile (leavers too: their files are kept and can be asked for)
    whose name or email contains `query`."""

    return (
        User.objects.filter(profile__isnull=False)
        .filter(Q(full_name__icontains=query) | Q(email__icontains=query))
        .select_related("profile__unit", "profile__job_role")
        .order_by("full_name", "pk")
    )
