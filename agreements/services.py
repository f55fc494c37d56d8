"""Writes to supervision agreements. Each owns its transaction and audit entry."""

import hashlib
import json
from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agreements.models import AgreementSignature, SupervisionAgreement
from oversight.policy.choice import NoPolicyPack, pack_on, pack_versions
from oversight.policy.packs import (
    Interval,
    agreement_interval_problem,
    at_least_as_frequent,
    interval_from_agreement,
)
from supervision.accounts.identity import confirmed_first
from supervision.organisation import audit

# Kent's agreement template wording, offered as a starting point the two people then make their own.
DEFAULT_TEXT = {
    "purpose_and_aims": (
        "Supervision makes sure children and families get the best service possible and that "
        "staff get the help and support they need. Its aims: to discuss methods of work, "
        "competence and knowledge so as to improve practice; to be accountable for work "
        "undertaken; to reflect on practice, including the feelings it raises; and to plan "
        "development."
    ),
    "agenda_expectations": (
        "Both of us bring items. Every agenda starts with the actions from the previous session, "
        "then health and wellbeing, health and safety including lone working, workload, "
        "professional development, and any other business including this agreement."
    ),
    "contact_between_sessions": (
        "Matters that cannot wait are raised with the supervisor between sessions; if the "
        "supervisor is not working, the service manager is consulted where an immediate "
        "decision is needed. Non-urgent matters wait for the next session."
    ),
    "cover_when_absent": "The team's practice manager, or the service manager if they are away.",
    "records_and_signing": (
        "The supervisor writes the record within two working days and shares it. The supervisee "
        "reads it and signs it or asks for changes; the supervisor then signs and finalises it. "
        "Both keep a copy. Unresolved disagreements are recorded with both views."
    ),
    "confidentiality": (
        "Personal information stays between us unless it affects practice or more support is "
        "needed; if it is to be shared, we tell each other first. Records belong to the "
        "organisation and may be read by managers above the supervisor and by auditors."
    ),
    "supervisee_expectations": (
        "Prepares for supervision and adds to the agenda; attends or gives notice and a reason; "
        "raises anything that affects their work, the team or the service."
    ),
    "supervisor_expectations": (
        "Makes time and keeps to it; gives clear support, accountability and guidance; raises "
        "concerns about practice early with how to put them right; gives constructive feedback."
    ),
    "resolving_differences": (
        "We acknowledge and value each other's view, stay focused on the child, record any "
        "difference, and try to reach consensus. Where we cannot, the supervisor decides and the "
        "difference is escalated to the service manager or another agreed person."
    ),
}


def canonical_content(agreement: SupervisionAgreement) -> dict:
    relationship = agreement.relationship
    content = {
        "agreement": agreement.pk,
        "version": agreement.version,
        "supervisee": relationship.supervisee_id,
        "supervisor": relationship.supervisor_id,
    }
    for field in SupervisionAgreement.CONTENT_FIELDS:
        value = getattr(agreement, field)
        content[field] = value.isoformat() if isinstance(value, date) else value
    return content


def agreement_hash(agreement: SupervisionAgreement) -> str:
    encoded = json.dumps(canonical_content(agreement), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


# Agreement frequency against the policy pack (rule F7)

CATEGORY_PEOPLE = {
    "practitioner": "practitioners",
    "asye": "newly qualified social workers (ASYE)",
    "student": "students",
    "independent": "IROs, CP chairs and LADOs",
    "manager": "managers",
    "senior_manager": "senior managers",
    "support": "business support and administration staff",
}
_ADVERBS = {(1, "weeks"): "weekly", (2, "weeks"): "fortnightly", (1, "months"): "monthly"}


def _how_often(interval) -> str:
    return _ADVERBS.get((interval.every, interval.unit)) or interval.describe()


def _longest_allowed(limit, unit_first: str, counting: str) -> str:
    """The least frequent agreement, in the unit chosen if any fits, that meets `limit` with
    months counted as the pack counts them: what to suggest ("4 weeks" for monthly)."""

    for unit in (unit_first, "weeks" if unit_first == "months" else "months"):
        every = 0
        # Whatever meets the limit, anything more frequent meets it too.
        while every < 104 and at_least_as_frequent(Interval(every + 1, unit), limit, counting):
            every += 1
        if every:
            return f"{every} {unit[:-1] if every == 1 else unit}"
    return "a shorter interval"


def agreement_frequency_problem(agreement) -> str | None:
    """Why this agreement's frequency breaks the policy pack, or None (rule F7: an agreement
    may be more frequent than the pack; less frequent only where the pack allows it, and never
    below its floor).

    Judged for the supervisee's job-role category against every version of the pack in force
    while the agreement runs: the one in force on its start date and any that starts before
    its review date, so an agreement made today cannot fall foul of a version already
    scheduled."""

    try:
        interval = interval_from_agreement(agreement.frequency_value, agreement.frequency_unit)
    except ValueError:
        return None  # the model's own check names a bad unit
    profile = getattr(agreement.relationship.supervisee, "profile", None)
    if interval is None or profile is None or not agreement.starts_on:
        return None
    return frequency_problem(
        profile.job_role.category,
        interval,
        starts_on=agreement.starts_on,
        review_due_on=agreement.review_due_on,
    )


def frequency_problem(
    category: str, interval, *, starts_on, review_due_on=None, versions=None
) -> str | None:
    """Why an agreement of this frequency, for someone of this job-role category, running from
    `starts_on` to its review, breaks the pack in force on any day of it; or None. The one
    test of rule F7, for the form, the service and the importer alike."""
    try:
        versions = pack_versions() if versions is None else versions
        first = pack_on(starts_on, versions)
    except NoPolicyPack:
        return None  # no pack chosen: no minimum to hold an agreement to
    ends = review_due_on or starts_on
    later_starts = sorted(
        {v.effective_from for v in versions if starts_on < v.effective_from < ends}
    )
    for day in [None, *later_starts]:
        pack = first if day is None else pack_on(day, versions)
        if agreement_interval_problem(pack, category, interval) is None:
            continue
        rules = pack.agreement
        people = CATEGORY_PEOPLE.get(category, category)
        if rules.less_frequent_allowed and rules.floor is not None:
            limit = rules.floor
            said = (
                f"{pack.name}'s policy lets an agreement set supervision no less often than "
                f"{_how_often(limit)}"
            )
        else:
            limit = pack.schedule_for(category).settled
            said = f"{pack.name}'s policy asks for supervision at least {_how_often(limit)}"
        when = f"From {day:%-d %B %Y}, " if day else ""
        return (
            f"{when}{said} for {people}: choose a frequency of "
            f"{_longest_allowed(limit, interval.unit, pack.monthly_counting)} or more often"
        )
    return None


def _check(agreement) -> None:
    """The model's checks and the pack's, together, so every problem is named at once."""
    errors: dict = {}
    try:
        agreement.full_clean()
    except ValidationError as error:
        errors = dict(error.error_dict)
    if not {"frequency_value", "frequency_unit"} & set(errors):
        problem = agreement_frequency_problem(agreement)
        if problem:
            errors["frequency_value"] = [ValidationError(problem)]
    if errors:
        raise ValidationError(errors)


def _role_in(agreement, user) -> str:
    relationship = agreement.relationship
    if user.pk == relationship.supervisee_id:
        return AgreementSignature.Role.SUPERVISEE
    if user.pk == relationship.supervisor_id:
        return AgreementSignature.Role.SUPERVISOR
    raise PermissionDenied("Only the two people in the relationship draw up and sign it.")


def _audit(request, by, agreement, change, **detail):
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="supervision_agreement",
        object_id=agreement.pk,
        subject=agreement.relationship.supervisee,
        detail={"change": change, **detail},
    )


@transaction.atomic
def agreement_draft(*, relationship, by, request=None, **fields) -> SupervisionAgreement:
    """Start the agreement of a relationship (A1): its first version, with Kent's template text."""
    if SupervisionAgreement.objects.filter(relationship=relationship).exists():
        raise ValidationError("This relationship already has an agreement: review it instead.")
    starts_on = fields.pop("starts_on", None) or max(relationship.starts_on, timezone.localdate())
    agreement = SupervisionAgreement(
        relationship=relationship,
        version=1,
        starts_on=starts_on,
        review_due_on=fields.pop("review_due_on", None) or starts_on + relativedelta(years=1),
        created_by=by,
        **{**DEFAULT_TEXT, **fields},
    )
    _role_in(agreement, by)
    _check(agreement)
    agreement.save()
    _audit(request, by, agreement, "agreement drafted")
    return agreement


@transaction.atomic
def agreement_update(*, agreement, by, request=None, **fields) -> SupervisionAgreement:
    agreement = SupervisionAgreement.objects.select_for_update().get(pk=agreement.pk)
    _role_in(agreement, by)
    if agreement.status != SupervisionAgreement.Status.DRAFT:
        raise ValidationError("A signed agreement cannot be changed; review it instead.")
    if agreement.signatures.exists():
        raise ValidationError(
            "One of you has signed this draft. Withdraw the signature before changing it."
        )
    for field, value in fields.items():
        setattr(agreement, field, value)
    _check(agreement)
    agreement.save()
    _audit(request, by, agreement, "agreement edited")
    return agreement


@confirmed_first
@transaction.atomic
def agreement_sign(*, agreement, identity_method: str, by, request=None) -> SupervisionAgreement:
    agreement = SupervisionAgreement.objects.select_for_update().get(pk=agreement.pk)
    role = _role_in(agreement, by)
    if agreement.status == SupervisionAgreement.Status.SUPERSEDED:
        raise ValidationError(
            "This agreement was replaced when the supervision changed and cannot be signed. "
            "Draw up a new agreement for the supervision as it is now."
        )
    if agreement.status != SupervisionAgreement.Status.DRAFT:
        raise ValidationError("This agreement is already signed by both of you.")
    if agreement.signatures.filter(role=role).exists():
        raise ValidationError("You have already signed this agreement.")
    agreement.full_clean()
    # The pack may have changed since the draft was written: it comes into force as signed.
    problem = agreement_frequency_problem(agreement)
    if problem:
        raise ValidationError(f"Change the draft before signing it. {problem}")
    content_hash = agreement_hash(agreement)
    AgreementSignature.objects.create(
        agreement=agreement,
        signer=by,
        role=role,
        signed_at=timezone.now(),
        content_hash=content_hash,
        method=identity_method,
    )
    _audit(request, by, agreement, f"agreement signed by {role}", hash=content_hash)
    if agreement.signatures.count() == 2:
        previous = agreement.previous
        if previous is not None and previous.status == SupervisionAgreement.Status.ACTIVE:
            _supersede(previous, f"reviewed: replaced by version {agreement.version}")
        agreement.status = SupervisionAgreement.Status.ACTIVE
        agreement.content_hash = content_hash
        agreement.save()
        _audit(request, by, agreement, "agreement in force", hash=content_hash)
    return agreement


@transaction.atomic
def agreement_withdraw_signature(*, agreement, by, request=None) -> SupervisionAgreement:
    """Before both have signed, either may take their signature back to change the draft."""
    agreement = SupervisionAgreement.objects.select_for_update().get(pk=agreement.pk)
    role = _role_in(agreement, by)
    if agreement.status != SupervisionAgreement.Status.DRAFT:
        raise ValidationError("A signed agreement cannot be changed; review it instead.")
    AgreementSignature.objects.filter(agreement=agreement, role=role).delete()
    _audit(request, by, agreement, "signature withdrawn")
    return agreement


@transaction.atomic
def agreement_review(*, agreement, by, request=None) -> SupervisionAgreement:
    """A2: reviewing makes a new draft version from the signed one; the old one stays in force
    until both sign the new one, and is kept after."""
    agreement = SupervisionAgreement.objects.select_for_update().get(pk=agreement.pk)
    _role_in(agreement, by)
    if agreement.status != SupervisionAgreement.Status.ACTIVE:
        raise ValidationError("Only the agreement in force can be reviewed.")
    existing = SupervisionAgreement.objects.filter(
        relationship=agreement.relationship, status=SupervisionAgreement.Status.DRAFT
    ).first()
    if existing:
        return existing
    starts_on = timezone.localdate()
    review = SupervisionAgreement(
        relationship=agreement.relationship,
        version=agreement.version + 1,
        previous=agreement,
        starts_on=starts_on,
        review_due_on=starts_on + relativedelta(years=1),
        created_by=by,
        **{
            field: getattr(agreement, field)
            for field in SupervisionAgreement.CONTENT_FIELDS
            if field not in ("starts_on", "review_due_on")
        },
    )
    review.full_clean()
    review.save()
    _audit(request, by, review, "agreement review started", previous=agreement.pk)
    return review


def _supersede(agreement, reason: str) -> None:
    # A status change only: the signed content is untouched (the model refuses any save).
    SupervisionAgreement.objects.filter(pk=agreement.pk).update(
        status=SupervisionAgreement.Status.SUPERSEDED,
        superseded_at=timezone.now(),
        superseded_reason=reason,
    )


def agreements_supersede_for_relationship(*, relationship, reason: str, by=None, request=None):
    """A change of supervisor ends the relationship, so its agreement stops being in force."""
    for agreement in SupervisionAgreement.objects.filter(
        relationship=relationship,
        status__in=[SupervisionAgreement.Status.ACTIVE, SupervisionAgreement.Status.DRAFT],
    ):
        _supersede(agreement, reason)
        _audit(request, by, agreement, "agreement superseded", reason=reason)


def agreements_supersede_ended(today: date | None = None) -> int:
    """The daily job's part (supervision.people.leaving.leavers_close): the agreements of
    relationships whose last day has passed stop being in force. A change of supervisor or a
    leaving recorded ahead of its day leaves the agreement in force until then. Safe to run
    again: what is superseded is not found twice."""
    today = today or timezone.localdate()
    ended = SupervisionAgreement.objects.filter(
        relationship__ends_on__lt=today,
        status__in=[SupervisionAgreement.Status.ACTIVE, SupervisionAgreement.Status.DRAFT],
    ).select_related("relationship")
    count = 0
    for agreement in ended:
        _supersede(agreement, "the supervision ended")
        _audit(None, None, agreement, "agreement superseded", reason="the supervision ended")
        count += 1
    return count


def agreement_in_force(relationship) -> SupervisionAgreement | None:
    return SupervisionAgreement.objects.filter(
        relationship=relationship, status=SupervisionAgreement.Status.ACTIVE
    ).first()
