"""Writes to the development side of a supervision file (rules Q1, Q2, Q3, Q5).

Practice observation: draft -> observer_signed -> signed (by both, then locked).
Development conversation: draft -> supervisor_signed -> signed (by both, then locked).
Probation reviews are recorded once per month 1, 4 and 5; wellbeing plans are reviewed, never
edited, so every version stays in the file.

Each function owns its transaction and audit entry and refuses what the item's state does not
allow, so a view cannot get it wrong. Who may reach a file is the access layer's question; who
signs which side is answered here.
"""

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from access.development import author_gone
from supervision.accounts.identity import confirmed_first
from supervision.models import (
    ConversationSignature,
    DevelopmentConversation,
    ObservationSignature,
    PracticeObservation,
    ProbationReview,
    TeamWellbeingPlan,
    Unit,
    User,
    WellbeingPlan,
)
from supervision.organisation import audit
from supervision.records.canonical import content_hash

PERMISSION_MESSAGE = "Confirm that the family gave permission for the observation"
PROBATION_REVIEW_MONTHS = (1, 4, 5)  # rule Q3; policy packs may make this configurable


def _audit(request, by, object_type: str, obj, subject, change: str, **detail):
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type=object_type,
        object_id=obj.pk,
        subject=subject,
        detail={"change": change, **detail},
    )


def _not_in_future(errors: dict, field: str, day: date | None, what: str) -> None:
    if day and day > timezone.localdate():
        errors[field] = f"Enter a {what} that is today or in the past"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


# Practice observations (rule Q1, on Kent's observation of practice form)


def observation_content(observation: PracticeObservation, *, upto: str) -> dict:
    """What each side signs. The observer signs before the practitioner has commented, so the
    observer's part leaves the comments out; the practitioner signs the whole form. Both hashes
    can be recomputed from the stored form years later."""
    content = {
        "observation": observation.pk,
        "practitioner": {"id": observation.practitioner_id, "role": observation.practitioner_role},
        "observer": {"id": observation.observer_id, "role": observation.observer_role},
        "observed_on": _iso(observation.observed_on),
        "observed_at_time": _iso(observation.observed_at_time),
        "venue": observation.venue,
        "permission_gained": observation.permission_gained,
        "permission_details": observation.permission_details,
        "background": observation.background,
        "observer_feedback": observation.observer_feedback,
        "development_areas": observation.development_areas,
    }
    if upto == ObservationSignature.Role.PRACTITIONER:
        content["practitioner_comments"] = observation.practitioner_comments
    return content


def observation_hash(observation: PracticeObservation, *, upto: str) -> str:
    return content_hash(observation_content(observation, upto=upto))


def _observation_errors(fields: dict) -> dict:
    errors = {}
    if not fields.get("permission_gained"):
        errors["permission_gained"] = PERMISSION_MESSAGE
    if not fields.get("observed_on"):
        errors["observed_on"] = "Enter the date of the observation"
    _not_in_future(errors, "observed_on", fields.get("observed_on"), "date of observation")
    if not (fields.get("venue") or "").strip():
        errors["venue"] = "Enter where the observation took place"
    if not (fields.get("observer_role") or "").strip():
        errors["observer_role"] = "Enter your role, for example line manager"
    return errors


def _locked_observation(observation) -> PracticeObservation:
    return (
        PracticeObservation.objects.select_for_update()
        .select_related("practitioner", "observer")
        .get(pk=observation.pk)
    )


OBSERVATION_INPUTS = ("observer_role", *PracticeObservation.OBSERVER_FIELDS)


@transaction.atomic
def observation_record(*, practitioner: User, by: User, request=None, **fields):
    """The observer writes up the observation; nothing is kept without the family's
    permission."""
    if practitioner.pk == by.pk:
        raise ValidationError("Someone else observes your practice.")
    errors = _observation_errors(fields)
    if errors:
        raise ValidationError(errors)
    profile = getattr(practitioner, "profile", None)
    observation = PracticeObservation.objects.create(
        practitioner=practitioner,
        practitioner_role=profile.job_role.name if profile else "",
        observer=by,
        created_by=by,
        **{name: fields.get(name) for name in OBSERVATION_INPUTS if name in fields},
    )
    _audit(request, by, "practice_observation", observation, practitioner, "observation recorded")
    return observation


@transaction.atomic
def observation_update(*, observation, by: User, request=None, **fields) -> PracticeObservation:
    observation = _locked_observation(observation)
    if observation.status != PracticeObservation.Status.DRAFT:
        raise ValidationError(
            "The observer has signed this observation: it can no longer be changed."
        )
    if by.pk != observation.observer_id:
        raise PermissionDenied("Only the observer changes the observation before signing.")
    errors = _observation_errors(fields)
    if errors:
        raise ValidationError(errors)
    for name in OBSERVATION_INPUTS:
        if name in fields:
            setattr(observation, name, fields[name])
    observation.save()
    _audit(
        request,
        by,
        "practice_observation",
        observation,
        observation.practitioner,
        "observation changed",
    )
    return observation


@confirmed_first
@transaction.atomic
def observation_sign_as_observer(
    *, observation, identity_method: str, by: User, request=None
) -> ObservationSignature:
    observation = _locked_observation(observation)
    if by.pk != observation.observer_id:
        raise PermissionDenied("Only the observer signs the feedback.")
    if observation.status != PracticeObservation.Status.DRAFT:
        raise ValidationError("You have already signed this observation.")
    if not observation.observer_feedback.strip():
        raise ValidationError({"observer_feedback": "Write your feedback before you sign"})
    signature = ObservationSignature.objects.create(
        observation=observation,
        signer=by,
        role=ObservationSignature.Role.OBSERVER,
        signed_at=timezone.now(),
        method=identity_method,
        content_hash=observation_hash(observation, upto=ObservationSignature.Role.OBSERVER),
    )
    observation.status = PracticeObservation.Status.OBSERVER_SIGNED
    observation.save(update_fields=["status", "updated_at"])
    _audit(
        request,
        by,
        "practice_observation",
        observation,
        observation.practitioner,
        "signed by observer",
        hash=signature.content_hash,
    )
    return signature


@confirmed_first
@transaction.atomic
def observation_comment_and_sign(
    *, observation, comments: str, identity_method: str, by: User, request=None
) -> ObservationSignature:
    """The practitioner adds their comments and signs; the observation is then locked."""
    observation = _locked_observation(observation)
    if by.pk != observation.practitioner_id:
        raise PermissionDenied("Only the observed practitioner comments and signs here.")
    if observation.status == PracticeObservation.Status.DRAFT:
        raise ValidationError("The observer signs their feedback first; you can sign after.")
    if observation.status == PracticeObservation.Status.SIGNED:
        raise ValidationError("This observation has been signed by both and cannot be changed.")
    now = timezone.now()
    observation.practitioner_comments = comments
    signature = ObservationSignature.objects.create(
        observation=observation,
        signer=by,
        role=ObservationSignature.Role.PRACTITIONER,
        signed_at=now,
        method=identity_method,
        content_hash=observation_hash(observation, upto=ObservationSignature.Role.PRACTITIONER),
    )
    observation.status = PracticeObservation.Status.SIGNED
    observation.signed_by_both_at = now
    observation.save()
    _audit(
        request,
        by,
        "practice_observation",
        observation,
        observation.practitioner,
        "signed by practitioner; locked",
        hash=signature.content_hash,
    )
    return signature


def observation_signatures_hold(observation: PracticeObservation) -> bool:
    """True while each signature still matches what its signer signed."""
    return all(
        signature.content_hash == observation_hash(observation, upto=signature.role)
        for signature in observation.signatures.all()
    )


# Development conversations (Q2)


def conversation_content(conversation: DevelopmentConversation) -> dict:
    return {
        "conversation": conversation.pk,
        "person": conversation.person_id,
        "agreed_by": conversation.agreed_by_id,
        "kind": conversation.kind,
        "year": conversation.year,
        "held_on": _iso(conversation.held_on),
        "goals": conversation.goals,
        "progress": conversation.progress,
    }


def conversation_hash(conversation: DevelopmentConversation) -> str:
    return content_hash(conversation_content(conversation))


def _conversation_errors(person, kind, year, held_on, goals, progress, exclude_pk=None) -> dict:
    errors = {}
    if kind not in DevelopmentConversation.Kind.values:
        errors["kind"] = "Choose a development plan or a development review"
        return errors
    if not held_on:
        errors["held_on"] = "Enter the date of the conversation"
    _not_in_future(errors, "held_on", held_on, "date of the conversation")
    if not year or not 2000 <= year <= 2100:
        errors["year"] = "Enter the plan year, for example 2026"
    elif held_on and abs(year - held_on.year) > 1:
        errors["year"] = "Enter a plan year within a year of the conversation"
    if kind == DevelopmentConversation.Kind.PLAN and not (goals or "").strip():
        errors["goals"] = "Enter the development goals agreed"
    if kind == DevelopmentConversation.Kind.REVIEW and not (progress or "").strip():
        errors["progress"] = "Enter the progress made against the goals"
    if "year" in errors:
        return errors
    same = DevelopmentConversation.objects.filter(person=person, kind=kind, year=year).exclude(
        pk=exclude_pk
    )
    if same.exists():
        label = DevelopmentConversation.Kind(kind).label.lower()
        errors["year"] = (
            f"{person.full_name} already has a {label} for {year}. "
            "Open it from the list instead of adding another"
        )
    elif (
        kind == DevelopmentConversation.Kind.REVIEW
        and not DevelopmentConversation.objects.filter(
            person=person, kind=DevelopmentConversation.Kind.PLAN, year=year
        ).exists()
    ):
        errors["kind"] = f"Record the development plan for {year} before its review"
    return errors


def _duplicate_year(person, kind, year) -> ValidationError:
    label = DevelopmentConversation.Kind(kind).label.lower()
    return ValidationError(
        {"year": f"{person.full_name} already has a {label} for {year}. Open it from the list"}
    )


@transaction.atomic
def conversation_record(
    *, person: User, kind: str, year: int, held_on, goals="", progress="", by: User, request=None
) -> DevelopmentConversation:
    if person.pk == by.pk:
        raise ValidationError("Your supervisor records your development conversations.")
    errors = _conversation_errors(person, kind, year, held_on, goals, progress)
    if errors:
        raise ValidationError(errors)
    try:
        # Two supervisors saving at once: the constraint decides, with the same message.
        with transaction.atomic():
            conversation = DevelopmentConversation.objects.create(
                person=person,
                kind=kind,
                year=year,
                held_on=held_on,
                goals=goals,
                progress=progress,
                agreed_by=by,
            )
    except IntegrityError:
        raise _duplicate_year(person, kind, year) from None
    _audit(request, by, "development_conversation", conversation, person, f"{kind} {year} recorded")
    return conversation


def _locked_conversation(conversation) -> DevelopmentConversation:
    return (
        DevelopmentConversation.objects.select_for_update()
        .select_related("person", "agreed_by")
        .get(pk=conversation.pk)
    )


@transaction.atomic
def conversation_take_over(*, conversation, by: User, request=None) -> DevelopmentConversation:
    """The manager who agreed an unsigned plan or review has left, so they can never sign it,
    and the year takes only one: the person's supervisor now takes it over, reviews it with
    them and signs it as theirs. Audited, with who held it before."""

    conversation = _locked_conversation(conversation)
    if conversation.status != DevelopmentConversation.Status.DRAFT:
        raise ValidationError("This has been signed and can no longer be taken over.")
    if not author_gone(conversation.agreed_by):
        raise ValidationError(
            f"{conversation.agreed_by.full_name} holds this and can still sign it."
        )
    before = conversation.agreed_by_id
    conversation.agreed_by = by
    conversation.save(update_fields=["agreed_by"])
    _audit(
        request,
        by,
        "development_conversation",
        conversation,
        conversation.person,
        "taken over",
        held_by=before,
    )
    return conversation


@transaction.atomic
def conversation_update(
    *, conversation, held_on, year, goals="", progress="", by: User, request=None
) -> DevelopmentConversation:
    conversation = _locked_conversation(conversation)
    if conversation.status != DevelopmentConversation.Status.DRAFT:
        raise ValidationError("This has been signed and can no longer be changed.")
    if by.pk != conversation.agreed_by_id:
        raise PermissionDenied("Only the supervisor who recorded it changes it before signing.")
    errors = _conversation_errors(
        conversation.person,
        conversation.kind,
        year,
        held_on,
        goals,
        progress,
        exclude_pk=conversation.pk,
    )
    if errors:
        raise ValidationError(errors)
    conversation.held_on, conversation.year = held_on, year
    conversation.goals, conversation.progress = goals, progress
    try:
        with transaction.atomic():
            conversation.save()
    except IntegrityError:
        raise _duplicate_year(conversation.person, conversation.kind, year) from None
    _audit(
        request,
        by,
        "development_conversation",
        conversation,
        conversation.person,
        "conversation changed",
    )
    return conversation


@confirmed_first
@transaction.atomic
def conversation_sign(
    *, conversation, identity_method: str, by: User, request=None
) -> ConversationSignature:
    """The supervisor signs what they wrote; then the person signs and it is locked."""
    conversation = _locked_conversation(conversation)
    Status = DevelopmentConversation.Status
    if conversation.status == Status.SIGNED:
        raise ValidationError("This has been signed by both and cannot be changed.")
    if by.pk == conversation.agreed_by_id:
        if conversation.status != Status.DRAFT:
            raise ValidationError("You have already signed this.")
        role, next_status = ConversationSignature.Role.SUPERVISOR, Status.SUPERVISOR_SIGNED
    elif by.pk == conversation.person_id:
        if conversation.status == Status.DRAFT:
            raise ValidationError("Your supervisor signs first; you can sign after.")
        role, next_status = ConversationSignature.Role.SUPERVISEE, Status.SIGNED
    else:
        raise PermissionDenied("Only the two people in the conversation sign it.")
    now = timezone.now()
    signature = ConversationSignature.objects.create(
        conversation=conversation,
        signer=by,
        role=role,
        signed_at=now,
        method=identity_method,
        content_hash=conversation_hash(conversation),
    )
    conversation.status = next_status
    if next_status == Status.SIGNED:
        conversation.signed_by_both_at = now
    conversation.save()
    _audit(
        request,
        by,
        "development_conversation",
        conversation,
        conversation.person,
        f"signed by {role}",
        hash=signature.content_hash,
    )
    return signature


# Probation (Q3)


def probation_review_dates(start_date: date | None, probation_end_date: date | None):
    """[(month, due date)] for the reviews at the end of months 1, 4 and 5 of probation.

    A month later than the start is the same day number, or the month's last day when it has
    no such day (31 January -> 28 or 29 February). No end date means no probation is recorded
    for the person, so no reviews are due; a review falling after a shortened probation's end
    is not held.
    """
    if start_date is None or probation_end_date is None:
        return []
    return [
        (month, start_date + relativedelta(months=month))
        for month in PROBATION_REVIEW_MONTHS
        if start_date + relativedelta(months=month) <= probation_end_date
    ]


@dataclass(frozen=True)
class ProbationReviewDue:
    month: int
    due_on: date
    review: ProbationReview | None
    today: date

    @property
    def is_held(self) -> bool:
        return self.review is not None

    @property
    def is_overdue(self) -> bool:
        return self.review is None and self.due_on < self.today

    @property
    def days(self) -> int:
        """Days until due (negative once overdue)."""
        return (self.due_on - self.today).days

    @property
    def days_overdue(self) -> int:
        return -self.days


def probation_schedule(person: User, today: date) -> list[ProbationReviewDue]:
    """Every review of the person's probation, held or not, with its due date."""
    profile = getattr(person, "profile", None)
    if profile is None:
        return []
    held = {review.month: review for review in person.probation_reviews.select_related("reviewer")}
    return [
        ProbationReviewDue(month=month, due_on=due_on, review=held.get(month), today=today)
        for month, due_on in probation_review_dates(profile.start_date, profile.probation_end_date)
    ]


def probation_reviews_due(person: User, today: date) -> list[ProbationReviewDue]:
    """The reviews not yet held, overdue first then by due date."""
    return [due for due in probation_schedule(person, today) if not due.is_held]


@transaction.atomic
def probation_review_record(
    *, person: User, month: int, held_on, outcome: str, notes: str, by: User, request=None
) -> ProbationReview:
    """Record (or correct) the review for one month. The due date comes from the profile."""
    if month not in PROBATION_REVIEW_MONTHS:
        raise ValidationError({"month": "Choose the review at the end of month 1, 4 or 5"})
    if person.pk == by.pk:
        raise ValidationError("Your manager records your probation reviews.")
    profile = person.profile
    due_on = dict(probation_review_dates(profile.start_date, profile.probation_end_date)).get(month)
    if due_on is None:
        raise ValidationError(
            {"month": f"{person.full_name} has no month {month} review in their probation"}
        )
    errors = {}
    if not held_on:
        errors["held_on"] = "Enter the date of the review"
    elif held_on < profile.start_date:
        errors["held_on"] = "Enter a date on or after the start date"
    _not_in_future(errors, "held_on", held_on, "date of the review")
    if outcome not in ProbationReview.Outcome.values:
        errors["outcome"] = "Choose the outcome of the review"
    elif outcome in ProbationReview.FINAL_OUTCOMES and month != PROBATION_REVIEW_MONTHS[-1]:
        errors["outcome"] = "Confirming in post or not is decided at the month 5 review"
    if not (notes or "").strip():
        errors["notes"] = "Enter the assessment of overall performance"
    if errors:
        raise ValidationError(errors)
    review, created = ProbationReview.objects.select_for_update().get_or_create(
        person=person,
        month=month,
        defaults={
            "due_on": due_on,
            "held_on": held_on,
            "outcome": outcome,
            "notes": notes,
            "reviewer": by,
        },
    )
    if not created:
        previous = {"held_on": _iso(review.held_on), "outcome": review.outcome}
        review.due_on, review.held_on, review.outcome = due_on, held_on, outcome
        review.notes, review.reviewer = notes, by
        review.save()
    _audit(
        request,
        by,
        "probation_review",
        review,
        person,
        f"month {month} review {'recorded' if created else 'corrected'}",
        outcome=outcome,
        **({} if created else {"before": previous}),
    )
    return review


# Wellbeing plans (Q5)


def _plan_errors(fields: dict, required: str, required_message: str) -> dict:
    errors = {}
    if not (fields.get(required) or "").strip():
        errors[required] = required_message
    agreed_on, review_on = fields.get("agreed_on"), fields.get("review_on")
    if not agreed_on:
        errors["agreed_on"] = "Enter the date the plan was agreed"
    _not_in_future(errors, "agreed_on", agreed_on, "date agreed")
    if not review_on:
        errors["review_on"] = "Enter the date to review the plan"
    elif agreed_on and review_on <= agreed_on:
        errors["review_on"] = "Enter a review date after the date agreed"
    return errors


def current_wellbeing_plan(person: User) -> WellbeingPlan | None:
    return WellbeingPlan.objects.filter(person=person).order_by("-version").first()


@transaction.atomic
def wellbeing_plan_review(*, person: User, by: User, request=None, **fields) -> WellbeingPlan:
    """A new version of the person's plan; the one before stays in the file."""
    errors = _plan_errors(fields, "support_agreed", "Enter the support agreed")
    if errors:
        raise ValidationError(errors)
    # Locks the person's row so two reviews at once cannot take the same version number.
    User.objects.select_for_update().filter(pk=person.pk).first()
    previous = current_wellbeing_plan(person)
    plan = WellbeingPlan.objects.create(
        person=person,
        previous=previous,
        version=previous.version + 1 if previous else 1,
        written_by=by,
        agreed_on=fields["agreed_on"],
        review_on=fields["review_on"],
        **{name: fields.get(name, "") for name in WellbeingPlan.SECTIONS},
    )
    # The content is personal: the audit trail says that it changed, never what it says.
    _audit(request, by, "wellbeing_plan", plan, person, f"wellbeing plan version {plan.version}")
    return plan


@transaction.atomic
def team_wellbeing_plan_review(
    *, unit: Unit, by: User, request=None, **fields
) -> TeamWellbeingPlan:
    errors = _plan_errors(fields, "plan", "Enter the plan for team wellbeing")
    if errors:
        raise ValidationError(errors)
    Unit.objects.select_for_update().filter(pk=unit.pk).first()
    previous = TeamWellbeingPlan.objects.filter(unit=unit).order_by("-version").first()
    plan = TeamWellbeingPlan.objects.create(
        unit=unit,
        previous=previous,
        version=previous.version + 1 if previous else 1,
        written_by=by,
        agreed_on=fields["agreed_on"],
        review_on=fields["review_on"],
        **{name: fields.get(name, "") for name in TeamWellbeingPlan.SECTIONS},
    )
    _audit(request, by, "team_wellbeing_plan", plan, None, f"team plan version {plan.version}")
    return plan
