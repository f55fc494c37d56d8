"""Group supervision, the case progression board and front-door supervision (C6, C7).

Each write owns its transaction and its audit entry and refuses what the rules do not allow,
so a view cannot get it wrong. Who may call them is decided by casework.access (teams and
children) and supervision.access (the supervisee's staff file, for the front door).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from access.children import CaseAction, restrict_children
from casework import services
from casework.models import (
    CaseNote,
    Child,
    FrontDoorDiscussion,
    FrontDoorSession,
    GroupSession,
    ProgressionMove,
    ProgressionStage,
)
from oversight.policy.due import front_door_families_enough
from supervision.models import Unit, User
from supervision.organisation import audit

Format = GroupSession.Format

# Kent's group supervision timescales: how often, how long, and what each format is for.
# Family safeguarding group case supervision comes from Surrey's policy (rule C6).
FORMAT_GUIDANCE = {
    Format.TEAM_MEETING: (
        "Monthly, up to 2 hours. Leadership messages, policy and guidance, the practice "
        "framework, learning from audits and sharing best practice. Minutes are kept here; "
        "individual children are not discussed."
    ),
    Format.APPRECIATIVE_INQUIRY: (
        "Monthly, up to 1.5 hours, when required or as part of the audit cycle. Develops "
        "reflective and analytical practice and shares good practice."
    ),
    Format.CASE_PROGRESSION: (
        "Every two weeks, up to 1 hour. Drift and delay, risk and safeguarding, the impact on "
        "the child, and mapping each child on the case progression board."
    ),
    Format.CASE_FORMULATION: (
        "Every two weeks, up to 3 hours (youth justice). The origins of the problem behaviour, "
        "what keeps it going, and intervention planning, using the four Ps."
    ),
    Format.FAMILY_SAFEGUARDING: (
        "Each child or family monthly, whatever their risk rating. A child discussed here that "
        "month need not also be discussed in one-to-one case supervision."
    ),
}

# The point of oversight (R12) a child's note records, by the session it was discussed in.
# Team meetings are not about individual children, so they have none.
NOTE_KIND_BY_FORMAT = {
    Format.FAMILY_SAFEGUARDING: CaseNote.Kind.GROUP_SUPERVISION,
    Format.CASE_FORMULATION: CaseNote.Kind.GROUP_SUPERVISION,
    Format.CASE_PROGRESSION: CaseNote.Kind.CASE_PROGRESSION,
    Format.APPRECIATIVE_INQUIRY: CaseNote.Kind.APPRECIATIVE_INQUIRY,
}

MIN_MINUTES, MAX_MINUTES = 15, 240
RECENT_MOVES = 50


def _audit(request, by, object_type: str, obj, change: str, subject=None, **detail):
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type=object_type,
        object_id=obj.pk,
        subject=subject,
        detail={"change": change, **detail},
    )


# --- Group supervision ----------------------------------------------------------------------


def active_team_staff(unit: Unit, day: date | None = None) -> QuerySet:
    """Who can be ticked as a participant: the team's staff still in post on the day."""
    day = day or timezone.localdate()
    return (
        User.objects.filter(is_active=True, profile__unit=unit, profile__is_active=True)
        .filter(Q(profile__leaving_date__isnull=True) | Q(profile__leaving_date__gt=day))
        .select_related("profile__job_role")
        .order_by("full_name")
    )


def group_sessions_for_team(unit: Unit) -> QuerySet:
    return (
        GroupSession.objects.filter(unit=unit)
        .select_related("facilitator")
        .annotate(
            participant_count=Count("participants", distinct=True),
            children_count=Count("case_notes", distinct=True),
        )
        .order_by("-held_at", "-pk")
    )


@transaction.atomic
def group_session_create(
    *,
    unit: Unit,
    format: str,
    held_at: datetime,
    duration_minutes: int,
    participants,
    by: User,
    summary: str = "",
    request=None,
) -> GroupSession:
    """A group supervision held in the team, with whoever took part. The facilitator is always
    one of them."""
    errors = {}
    if format not in Format.values:
        errors["format"] = "Choose the kind of group supervision"
    if held_at > timezone.now():
        errors["held_at"] = "Enter a date and time in the past: record a session once it is held"
    if not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
        errors["duration_minutes"] = f"Enter a length from {MIN_MINUTES} to {MAX_MINUTES} minutes"
    people = {person.pk: person for person in participants}
    allowed = set(
        active_team_staff(unit, timezone.localtime(held_at).date()).values_list("pk", flat=True)
    )
    strangers = set(people) - allowed - {by.pk}
    if strangers:
        errors["participants"] = "Choose participants from the team's current staff"
    people[by.pk] = by
    if len(people) < 2:
        errors["participants"] = (
            "Choose at least one other participant: group supervision has at least two people, "
            "including you"
        )
    summary = (summary or "").strip()
    if format == Format.TEAM_MEETING and not summary:
        errors["summary"] = "Enter the minutes of the team meeting"
    if errors:
        raise ValidationError(errors)
    group = GroupSession.objects.create(
        unit=unit,
        format=format,
        held_at=held_at,
        duration_minutes=duration_minutes,
        facilitator=by,
        summary=summary,
        created_by=by,
    )
    group.participants.set(people.values())
    _audit(request, by, "group_session", group, "recorded", format=format, unit=unit.pk)
    return group


@transaction.atomic
def group_child_add(
    *, group: GroupSession, reference: str, by: User, field: str = "reference", request=None
) -> CaseNote:
    """A child discussed in the session: their own draft case note, tied to it (C6)."""
    kind = NOTE_KIND_BY_FORMAT.get(group.format)
    if kind is None:
        raise ValidationError(
            {
                field: "Team meetings do not discuss individual children. Record the child in "
                "a case progression, appreciative inquiry, case formulation or family "
                "safeguarding session"
            }
        )
    # Only children of this team that the person may write oversight on: anything else reads
    # as unknown, so a reference typed here does not reveal another team's child.
    reach = restrict_children(by, CaseAction.MANAGE).filter(unit=group.unit)
    child = services.child_by_reference(reference, reach, field)
    # Serialise additions to one session, so the check below cannot race.
    GroupSession.objects.select_for_update().filter(pk=group.pk).first()
    if CaseNote.objects.filter(group_session=group, child=child).exists():
        raise ValidationError({field: f"{child.reference} is already discussed in this session"})
    try:
        return services.case_note_create(
            child=child,
            kind=kind,
            by=by,
            discussed_at=group.held_at,
            group_session=group,
            request=request,
        )
    except ValidationError as error:
        if hasattr(error, "error_dict") and "child" in error.error_dict:
            raise ValidationError({field: error.message_dict["child"]}) from None
        raise


# --- Case progression board -----------------------------------------------------------------


def board_children(unit: Unit) -> QuerySet:
    """The team's open children, each with the moment they entered their current stage: the
    last move on the board, or their allocation if they have not moved yet. One query."""
    last_move = (
        ProgressionMove.objects.filter(child=OuterRef("pk"))
        .order_by("-moved_at", "-pk")
        .values("moved_at")[:1]
    )
    return (
        Child.objects.filter(unit=unit, closed_on__isnull=True)
        .select_related("allocated_worker")
        .only(
            "reference",
            "initials",
            "rag_rating",
            "progression_stage",
            "allocated_at",
            "created_at",
            "allocated_worker__full_name",
        )
        .annotate(stage_since=Coalesce(Subquery(last_move), F("allocated_at"), F("created_at")))
        .order_by("stage_since", "reference")
    )


def recent_moves(unit: Unit, limit: int = RECENT_MOVES) -> list[ProgressionMove]:
    return list(
        ProgressionMove.objects.filter(child__unit=unit)
        .select_related("child", "moved_by")
        .order_by("-moved_at", "-pk")[:limit]
    )


def progression_group(group_id, unit_id) -> GroupSession | None:
    """The case progression session a board move belongs to, if it is this team's."""
    if not str(group_id or "").isdigit():
        return None
    return GroupSession.objects.filter(
        pk=group_id, unit_id=unit_id, format=Format.CASE_PROGRESSION
    ).first()


@transaction.atomic
def progression_move(
    child: Child,
    to_stage,
    by: User,
    note: str = "",
    group_session: GroupSession | None = None,
    request=None,
) -> ProgressionMove:
    """Move the child's tile. Forwards, backwards and skipping stages are all allowed: work
    with a family is not always linear. Each move is kept, in order."""
    try:
        to_stage = ProgressionStage(int(to_stage))
    except (TypeError, ValueError):
        raise ValidationError({"to_stage": "Choose the stage to move the child to"}) from None
    note = (note or "").strip()
    max_note = ProgressionMove._meta.get_field("note").max_length
    if len(note) > max_note:
        raise ValidationError({"note": f"Keep the note to {max_note} characters or fewer"})
    if group_session is not None and (
        group_session.unit_id != child.unit_id or group_session.format != Format.CASE_PROGRESSION
    ):
        raise ValidationError({"group": "Choose a case progression session of the child's team"})
    # Two people moving the same tile at once: the second sees the first's move.
    locked = Child.objects.select_for_update().get(pk=child.pk)
    if locked.progression_stage == to_stage:
        raise ValidationError(
            {
                "to_stage": f"{locked.reference} is already in {to_stage.label.lower()}: "
                "choose another stage"
            }
        )
    move = ProgressionMove.objects.create(
        child=locked,
        from_stage=locked.progression_stage,
        to_stage=to_stage,
        note=note,
        group_session=group_session,
        moved_by=by,
        moved_at=timezone.now(),
    )
    Child.objects.filter(pk=locked.pk).update(progression_stage=to_stage)
    child.progression_stage = to_stage
    _audit(
        request,
        by,
        "child",
        locked,
        "progression stage",
        from_stage=move.from_stage,
        to_stage=int(to_stage),
        group_session=group_session.pk if group_session else None,
    )
    return move


# --- Front-door supervision -----------------------------------------------------------------

FRONT_DOOR_TEXT = ["discussion", "learning"]
NAME_REFUSED = "Remove the child's name: front-door records use the unique reference only"
TOO_FEW_FAMILIES = "Discuss at least two families in a front-door session"


@dataclass
class FamilyRow:
    """One family discussed, as typed: row numbers count from 1 and name the form fields."""

    number: int
    reference: str = ""
    criterion: str = ""
    discussion: str = ""
    learning: str = ""

    def field(self, name: str) -> str:
        return f"{name}_{self.number}"

    @property
    def is_blank(self) -> bool:
        return not any(
            (value or "").strip()
            for value in (self.reference, self.criterion, self.discussion, self.learning)
        )


def _name_patterns(children) -> list[re.Pattern]:
    """A recorded name, whole or first name alone, as a word in any case."""
    patterns = []
    for child in children:
        name = " ".join((child.name or "").split())
        if not name:
            continue
        for part in {name, name.split(" ")[0]}:
            patterns.append(re.compile(rf"(?<!\w){re.escape(part)}(?!\w)", re.IGNORECASE))
    return patterns


def _names_in(text: str, patterns) -> bool:
    return any(pattern.search(text or "") for pattern in patterns)


def front_door_sessions_for(person: User) -> QuerySet:
    return (
        FrontDoorSession.objects.filter(supervisee=person)
        .select_related("supervisor")
        .annotate(children_count=Count("discussions"))
        .order_by("-held_at", "-pk")
    )


def _check_held_at(held_at: datetime | None, refuse) -> None:
    if held_at is None:
        refuse("held_at", "Enter the date of the session")
    elif held_at > timezone.now():
        refuse("held_at", "Enter a date and time in the past: record a session once it is held")


def _children_discussed(families: list[FamilyRow], refuse) -> list[tuple[FamilyRow, Child]]:
    """Each filled row with its child, found by unique reference and discussed once only;
    a row without a reason or a discussion is refused."""
    criteria = FrontDoorSession.Criterion
    discussed: list[tuple[FamilyRow, Child]] = []
    seen: dict[int, int] = {}
    for row in families:
        if row.is_blank:
            continue
        try:
            # Any known child: their files are closed or held by other workers (rule C7).
            child = services.child_by_reference(row.reference, field=row.field("reference"))
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    refuse(field, f"{message} (family {row.number})")
            child = None
        if child is not None:
            if child.pk in seen:
                refuse(
                    row.field("reference"),
                    f"{child.reference} is already discussed as family {seen[child.pk]}",
                )
            else:
                seen[child.pk] = row.number
                discussed.append((row, child))
        if row.criterion not in criteria.values:
            refuse(row.field("criterion"), f"Choose why family {row.number} was discussed")
        if not (row.discussion or "").strip():
            refuse(row.field("discussion"), f"Enter the discussion of family {row.number}")
    return discussed


def _check_two_families(
    families: list[FamilyRow],
    discussed: list[tuple[FamilyRow, Child]],
    families_discussed: dict[object, list[tuple[FamilyRow, Child]]],
    refuse,
) -> None:
    filled = [row for row in families if not row.is_blank]
    if len(filled) < 2:
        # Beside the first empty row: that is where the second family goes.
        empty = next((row for row in families if row.is_blank), None)
        refuse(empty.field("reference") if empty else "__all__", TOO_FEW_FAMILIES)
    elif len(discussed) == len(filled) and not front_door_families_enough(families_discussed):
        # Every reference is known, but they are brothers and sisters.
        (siblings,) = families_discussed.values()
        refuse(
            siblings[1][0].field("reference"),
            f"{TOO_FEW_FAMILIES}. "
            + " and ".join(child.reference for _row, child in siblings)
            + " are in the same family, so they count as one",
        )


def _check_no_names(
    families: list[FamilyRow], reflections: str, discussed: list[tuple[FamilyRow, Child]], refuse
) -> None:
    patterns = _name_patterns(child for _row, child in discussed)
    if patterns:
        for row in families:
            for name in FRONT_DOOR_TEXT:
                if _names_in(getattr(row, name), patterns):
                    refuse(row.field(name), NAME_REFUSED)
        if _names_in(reflections, patterns):
            refuse("reflections", NAME_REFUSED)


@transaction.atomic
def front_door_record(
    *,
    supervisor: User,
    supervisee: User,
    held_at: datetime | None,
    families: list[FamilyRow],
    reflections: str = "",
    request=None,
) -> FrontDoorSession:
    """A front-door session (C7): at least two families, by the child's unique reference and
    never by name. Everything is checked before anything is saved, and all of it is saved or
    none of it."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str):
        errors.setdefault(field, []).append(message)

    _check_held_at(held_at, refuse)
    discussed = _children_discussed(families, refuse)
    families_discussed: dict[object, list[tuple[FamilyRow, Child]]] = {}
    for row, child in discussed:
        key = child.family_id or f"child {child.pk}"
        families_discussed.setdefault(key, []).append((row, child))
    _check_two_families(families, discussed, families_discussed, refuse)
    _check_no_names(families, reflections, discussed, refuse)
    if errors:
        raise ValidationError(errors)
    session = FrontDoorSession.objects.create(
        supervisor=supervisor,
        supervisee=supervisee,
        held_at=held_at,
        reflections=(reflections or "").strip(),
    )
    FrontDoorDiscussion.objects.bulk_create(
        FrontDoorDiscussion(
            session=session,
            child=child,
            criterion=row.criterion,
            discussion=row.discussion.strip(),
            learning=(row.learning or "").strip(),
        )
        for row, child in discussed
    )
    _audit(
        request,
        supervisor,
        "front_door_session",
        session,
        "recorded",
        subject=supervisee,
        children=[child.reference for _row, child in discussed],
        families=len(families_discussed),
    )
    return session
