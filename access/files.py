"""Staff supervision files, and everything kept in them.

Reach follows the organisation, worked out on the day of the request:
- a member of staff reads their own file;
- their current supervisors (line, designated, practice educator, and temporary cover for the
  cover period only) read and write it, including everything earlier supervisors wrote, since
  the file passes with the person (rule S1);
- the managers of the units at or above the person's unit read it, never write;
- someone holding an access grant reads it, inside the grant's period;
- system administrators read no file at all, whatever else they are (separation of duties);
- nobody has any reach from the day after their own leaving date.
"""

from datetime import date
from enum import StrEnum

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef, Q, QuerySet

from access.grants import grant_opens_personal_sections, granted
from access.people import may_read_content, today
from access.refusals import refuse
from access.units import managed_paths, under
from supervision.models import SupervisoryRelationship, Unit, User
from supervision.organisation.roles import active_on

FILE = "staff_file"


class Action(StrEnum):
    VIEW = "view"
    EDIT = "edit"
    VIEW_ACCESS_LOG = "view_access_log"


def supervised_by(user, day: date) -> Q:
    """People `user` supervises on `day`: a Q over User."""
    return Q(
        pk__in=SupervisoryRelationship.objects.filter(active_on(day), supervisor=user).values(
            "supervisee"
        )
    )


def _below_managed_units(user, day: date) -> Q:
    return under(managed_paths(user, day), "profile__unit__path")


def restrict_files(user, action: Action = Action.VIEW, day: date | None = None) -> QuerySet:
    """The people whose files `user` may act on: a queryset of User, each with a profile."""
    day = day or today()
    if not may_read_content(user, day):
        return User.objects.none()
    if action == Action.EDIT:
        # An archived file (rule S2) is read-only from the leaving date, not from the day
        # the leaving was recorded: the last weeks' supervision must still be written.
        reach = supervised_by(user, day) & (
            Q(profile__leaving_date__isnull=True, profile__is_active=True)
            | Q(profile__leaving_date__gt=day)
        )
    elif action == Action.VIEW_ACCESS_LOG:
        reach = _below_managed_units(user, day) & ~Q(pk=user.pk) | granted(user, day)
    else:
        reach = (
            Q(pk=user.pk)
            | supervised_by(user, day)
            | _below_managed_units(user, day)
            | granted(user, day)
        )
    return User.objects.filter(reach, profile__isnull=False)


def supervises(user, day: date, supervisee) -> Exists:
    """Whether `user` supervises `supervisee` (a person, or an OuterRef to one) on `day`: an
    index probe to annotate a row with, for `reach_over`."""
    relationships = SupervisoryRelationship.objects.filter(active_on(day), supervisor=user)
    return Exists(relationships.filter(supervisee=supervisee))


def reach_over(user, person, day: date | None = None, *, supervising=None) -> tuple[bool, bool]:
    """Whether `user` may view and may edit `person`'s file: the answers of `restrict_files`
    (VIEW, then EDIT) for that one person, asked branch by branch with index probes rather
    than as the whole reach's query, which costs a page more to build and plan than to run.
    `person` comes with their profile and its unit (select_related); `supervising` is
    `supervises` already asked in the caller's query, or None to ask it here."""
    day = day or today()
    if not may_read_content(user, day) or not _has_file(person):
        return False, False
    if person.pk == user.pk:
        # Nobody supervises themselves (the relationship_not_with_self constraint).
        return True, False
    if supervising is None:
        supervising = SupervisoryRelationship.objects.filter(
            active_on(day), supervisor=user, supervisee=person.pk
        ).exists()
    if supervising:
        profile = person.profile
        open_file = (profile.leaving_date is None and profile.is_active) or (
            profile.leaving_date is not None and profile.leaving_date > day
        )
        return True, open_file
    paths = managed_paths(user, day)
    unit = person.profile.unit
    if unit is not None and any(unit.path.startswith(path) for path in paths):
        return True, False
    return User.objects.filter(granted(user, day), pk=person.pk).exists(), False


def may(user, action: Action, person, day: date | None = None) -> bool:
    return restrict_files(user, action, day).filter(pk=person.pk).exists()


def get_file_for_user(request, person_id, action: Action = Action.VIEW, day: date | None = None):
    """The person whose file is asked for, or 404 if outside reach, or 403 if readable only.

    Returns (person, may_edit). Each refusal is audited, naming the person when they exist.
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
        someone = User.objects.filter(pk=person_id).first() if str(person_id).isdigit() else None
        refuse(request, FILE, person_id, subject=someone, wanted=action, message="No such file.")
    may_edit = restrict_files(user, Action.EDIT, day).filter(pk=person.pk).exists()
    if action != Action.VIEW:
        allowed = may_edit if action == Action.EDIT else may(user, action, person, day)
        if not allowed:
            refuse(
                request,
                FILE,
                person.pk,
                answer=403,
                subject=person,
                wanted=action,
                message="You may read this file but not do this.",
            )
    return person, may_edit


def may_read_personal_sections(user, person, day: date | None = None) -> bool:
    """Personal and wellbeing sections: the person, their supervisors and the line above, and
    a grant holder only where the grant says so."""
    day = day or today()
    if not may_read_content(user, day):
        return False
    if person.pk == user.pk and _has_file(person):
        return True  # their own, asked on every page of it: no query when the profile is read
    line = User.objects.filter(
        Q(pk=user.pk) | supervised_by(user, day) | _below_managed_units(user, day),
        profile__isnull=False,
    )
    if line.filter(pk=person.pk).exists():
        return True
    return grant_opens_personal_sections(user, person, day)


def _has_file(person) -> bool:
    try:
        return person.profile is not None
    except ObjectDoesNotExist:
        return False


def _ancestor_ids(person) -> list[int]:
    return [int(part) for part in person.profile.unit.path.strip("/").split("/") if part]


def may_manage_absences(user, person, may_edit: bool, day: date | None = None) -> bool:
    """Whether `user` records `person`'s absences: one of their supervisors (`may_edit`, from
    get_file_for_user) or a manager of a unit at or above theirs; never for themselves."""
    if person.pk == user.pk or not may_read_content(user, day):
        return False
    if may_edit:
        return True
    return Unit.objects.filter(pk__in=_ancestor_ids(person), manager=user).exists()


def absence_link(user, person, may_edit: bool) -> bool:
    """For the staff file, in one query: the viewer may manage this person's absences and the
    person line supervises (or has supervised) someone, so an absence means something."""
    if person.pk == user.pk or not may_read_content(user):
        return False
    row = (
        User.objects.filter(pk=person.pk)
        .annotate(
            supervises=Exists(
                SupervisoryRelationship.objects.filter(
                    supervisor=OuterRef("pk"), kind=SupervisoryRelationship.Kind.LINE
                )
            ),
            manages=Exists(Unit.objects.filter(pk__in=_ancestor_ids(person), manager=user)),
        )
        .values_list("supervises", "manages")
        .first()
    )
    return bool(row and row[0] and (may_edit or row[1]))


def files_whose_access_log(user, day: date | None = None) -> QuerySet:
    """The people whose access logs `user` may read (a manager below their units, a grant)."""
    return restrict_files(user, Action.VIEW_ACCESS_LOG, day)
