"""Writes to supervision records: the workflow of rules R6–R8.

draft -> shared -> (amendment_requested -> shared)* -> supervisee_signed -> finalised

Each function owns its transaction and audit entry, and refuses anything the record's state
does not allow, so a view cannot get it wrong.
"""

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.text import Truncator

from access import records as signing
from supervision import work
from supervision.accounts.identity import confirmed_first
from supervision.models import (
    Action,
    ActionReview,
    Addendum,
    AgendaItem,
    AmendmentRequest,
    Decision,
    Disagreement,
    RecordPdfWork,
    RecordSection,
    RecordTemplate,
    SharedText,
    Signature,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    User,
)
from supervision.organisation import audit, plain_text
from supervision.organisation.kept_sql import KeptQuery
from supervision.records import notifications
from supervision.records.canonical import content_hash as hash_of
from supervision.records.canonical import load_record_for_content, record_hash

EDITABLE = (SupervisionRecord.Status.DRAFT, SupervisionRecord.Status.AMENDMENT_REQUESTED)

# Long enough for the longest heading seen in the councils' forms written in full (a case
# discussion runs to two or three thousand characters); the count shows the writer how close
# they are, and it keeps a pasted document out of a heading.
HEADING_MAX_CHARACTERS = 10_000


def heading_problem(text: str, heading: str) -> str | None:
    """What is wrong with a heading's text, as the error message, or None."""
    if kind := plain_text.problem(text, one_line=False):
        return plain_text.message(kind, heading)
    if len(text) > HEADING_MAX_CHARACTERS:
        return f"{heading} must be {HEADING_MAX_CHARACTERS:,} characters or fewer"
    return None


class RecordConflict(Exception):
    """Someone else saved the record since this person loaded it."""

    def __init__(self, record: SupervisionRecord):
        super().__init__("The record was changed by someone else.")
        self.record = record


def open_actions_of(supervisee, before=None) -> list[Action]:
    """Open actions agreed in sessions before `before` (all of them if None): R10's first item."""
    actions = Action.objects.filter(supervisee=supervisee, status=Action.Status.OPEN)
    if before is not None:
        actions = actions.filter(record__session__starts_at__lt=before)
    return list(actions.select_related("record__session").order_by("due_date", "pk"))


def _previous_records(supervisee: int, before: datetime):
    supervisee_signed_at = Signature.objects.filter(
        record=OuterRef("pk"), role=Signature.Role.SUPERVISEE
    ).values("signed_at")[:1]
    return (
        SupervisionRecord.objects.filter(
            session__supervisee_id=supervisee, session__starts_at__lt=before
        )
        .select_related("session")
        .annotate(supervisee_signed_at=Subquery(supervisee_signed_at))
        .order_by("-session__starts_at")[:1]
    )


# Read for every record page: compiled once (supervision.organisation.kept_sql).
_PREVIOUS = KeptQuery(_previous_records)


def previous_record(record: SupervisionRecord) -> SupervisionRecord | None:
    """The supervisee's record before this one, with its signatures: R7 asks that its approval
    is noted on the next record."""
    session = record.session
    found = _PREVIOUS.instances(supervisee=session.supervisee_id, before=session.starts_at)
    return found[0] if found else None


def _audit(request, by, record, change: str, **detail):
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="supervision_record",
        object_id=record.pk,
        subject=record.session.supervisee,
        detail={"change": change, **detail},
    )


def _require_status(record: SupervisionRecord, *allowed: str) -> None:
    if record.status not in allowed:
        raise ValidationError(
            f"This cannot be done while the record is {record.get_status_display().lower()}."
        )


def _require_signatory(record: SupervisionRecord, by: User, does: str) -> None:
    """Only the record's signatory signs as its supervisor (access.records): the supervisor
    who held the session, or after they have left the supervisee's line supervisor now."""
    if signing.may_sign_as_supervisor(by, record.session, timezone.localdate()):
        return
    signatory = signing.record_signatory(record.session, timezone.localdate())
    raise PermissionDenied(
        f"{signatory.name} {does}." if signatory else "Nobody may sign this record as supervisor."
    )


def _locked(record: SupervisionRecord) -> SupervisionRecord:
    return SupervisionRecord.objects.select_for_update().select_related("session").get(pk=record.pk)


@transaction.atomic
def agenda_item_add(
    *, session: SupervisionSession, text: str, by: User, request=None
) -> AgendaItem:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Enter the agenda item"})
    if session.status in (SupervisionSession.Status.CANCELLED,):
        raise ValidationError("The session was cancelled: add the item to the new session.")
    if hasattr(session, "record") and session.record.status != SupervisionRecord.Status.DRAFT:
        raise ValidationError("The record has been shared: the agenda is closed.")
    position = session.agenda_items.count() + 1
    item = AgendaItem.objects.create(session=session, added_by=by, text=text, position=position)
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="supervision_session",
        object_id=session.pk,
        subject=session.supervisee,
        detail={"change": "agenda item added"},
    )
    return item


@transaction.atomic
def record_start(*, session: SupervisionSession, by: User, request=None) -> SupervisionRecord:
    session = SupervisionSession.objects.select_for_update().get(pk=session.pk)
    existing = SupervisionRecord.objects.filter(session=session).first()
    if existing:
        return existing
    if session.status in (
        SupervisionSession.Status.CANCELLED,
        SupervisionSession.Status.DID_NOT_TAKE_PLACE,
    ):
        raise ValidationError("There is no record for a session that did not take place.")
    if session.starts_at > timezone.now():
        raise ValidationError("You can write the record once the session has started.")
    if session.status == SupervisionSession.Status.PLANNED:
        session.status = SupervisionSession.Status.HELD
        session.save(update_fields=["status"])
    template = current_template(session.session_type, _category_of(session.supervisee))
    record = SupervisionRecord.objects.create(session=session, template=template)
    agenda = _agreed_agenda_text(session)
    RecordSection.objects.bulk_create(
        [
            RecordSection(
                record=record,
                template_section=section,
                text=agenda if section.key == "agreed-agenda" else "",
                progress=(
                    RecordSection.Progress.IN_PROGRESS
                    if section.key == "agreed-agenda" and agenda
                    else RecordSection.Progress.NOT_STARTED
                ),
            )
            for section in template.sections.all()
        ]
    )
    _audit(request, by, record, "record started", template=f"{template.code} v{template.version}")
    return record


# Which staff a template's audience is for (RecordTemplate.audience).
AUDIENCES = {
    "asye": {"asye"},
    "managers": {"manager", "senior_manager", "support", "independent"},
}


def audience_for(category: str | None) -> str:
    return next((name for name, kinds in AUDIENCES.items() if category in kinds), "")


def current_template(session_type: str, category: str | None = None) -> RecordTemplate:
    """The current template for the session type: the one for the supervisee's kind of job
    where there is one (Kent's professional support supervision record for managers, the ASYE
    form), else the general one."""
    wanted = audience_for(category)
    templates = RecordTemplate.objects.filter(
        session_type=session_type, is_current=True, audience__in={wanted, ""}
    )
    return sorted(templates, key=lambda t: t.audience != wanted)[0]


def _category_of(person) -> str | None:
    return (
        StaffProfile.objects.filter(user=person)
        .values_list("job_role__category", flat=True)
        .first()
    )


def _agreed_agenda_text(session) -> str:
    lines = []
    open_count = Action.objects.filter(
        supervisee=session.supervisee,
        status=Action.Status.OPEN,
        record__session__starts_at__lt=session.starts_at,
    ).count()
    if open_count:
        lines.append(f"1. Actions from the last supervision ({open_count} open)")
    for item in session.agenda_items.all():
        lines.append(f"{len(lines) + 1}. {item.text}")
    return "\n".join(lines)


def claim_edit(record: SupervisionRecord, expected_version: int) -> None:
    """Move the record's version on, if it is still at `expected_version` and editable: one
    conditional update, so of two saves from the same version only one goes through. Raises
    ValidationError once it is no longer editable, RecordConflict if someone saved first."""
    changed = SupervisionRecord.objects.filter(
        pk=record.pk, version=expected_version, status__in=EDITABLE
    ).update(version=F("version") + 1, updated_at=timezone.now())
    if not changed:
        current = SupervisionRecord.objects.select_related("session").get(pk=record.pk)
        if current.status not in EDITABLE:
            raise ValidationError(
                f"The record is {current.get_status_display().lower()} and cannot be edited now."
            )
        raise RecordConflict(current)


@transaction.atomic
def record_section_save(
    *,
    record: SupervisionRecord,
    section_key: str,
    text: str,
    completed: bool,
    expected_version: int,
    by: User,
    request=None,
) -> SupervisionRecord:
    """Save one heading. Fails with RecordConflict if the record moved on since it was read."""
    section = RecordSection.objects.select_related("template_section").get(
        record=record, template_section__key=section_key
    )
    if problem := heading_problem(text, section.template_section.heading):
        raise ValidationError({"text": problem})
    claim_edit(record, expected_version)
    section.text = text
    if completed:
        section.progress = RecordSection.Progress.COMPLETED
    elif text.strip():
        section.progress = RecordSection.Progress.IN_PROGRESS
    else:
        section.progress = RecordSection.Progress.NOT_STARTED
    section.save(update_fields=["text", "progress"])
    _audit(request, by, record, "section saved", section=section_key)
    return SupervisionRecord.objects.select_related("session").get(pk=record.pk)


def _bump(record: SupervisionRecord) -> None:
    SupervisionRecord.objects.filter(pk=record.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )


@transaction.atomic
def decision_add(*, record, decision: str, reasons: str, by: User, request=None) -> Decision:
    record = _locked(record)
    _require_status(record, *EDITABLE)
    errors = {}
    if not decision.strip():
        errors["decision"] = "Enter the decision"
    if not reasons.strip():
        errors["reasons"] = "Enter the reasons for the decision"
    if errors:
        raise ValidationError(errors)
    item = Decision.objects.create(
        record=record, decision=decision, reasons=reasons, position=record.decisions.count() + 1
    )
    _bump(record)
    _audit(request, by, record, "decision added")
    return item


@transaction.atomic
def action_add(
    *,
    record,
    description: str,
    owner: str,
    owner_name: str,
    due_date: date,
    by: User,
    request=None,
) -> Action:
    record = _locked(record)
    _require_status(record, *EDITABLE)
    errors = {}
    if not description.strip():
        errors["description"] = "Enter what is to be done"
    if owner not in Action.Owner.values:
        errors["owner"] = "Choose who will do it"
    if owner == Action.Owner.OTHER and not owner_name.strip():
        errors["owner_name"] = "Enter the name of the person who will do it"
    session_day = timezone.localtime(record.session.starts_at).date()
    if due_date and due_date < session_day:
        errors["due_date"] = f"Enter a date on or after the session, {session_day:%-d %B %Y}"
    if errors:
        raise ValidationError(errors)
    action = Action.objects.create(
        record=record,
        supervisee=record.session.supervisee,
        description=description,
        owner=owner,
        owner_name=owner_name if owner == Action.Owner.OTHER else "",
        due_date=due_date,
        position=record.actions.count() + 1,
    )
    _bump(record)
    _audit(request, by, record, "action added")
    return action


@transaction.atomic
def action_review(
    *, record, action: Action, outcome: str, note: str, by: User, request=None
) -> ActionReview:
    """Say in this record what became of an earlier action (R10): done, still open, dropped."""
    record = _locked(record)
    _require_status(record, *EDITABLE)
    if action.supervisee_id != record.session.supervisee_id:
        raise PermissionDenied("That action belongs to someone else.")
    if outcome not in Action.Status.values:
        raise ValidationError({"outcome": "Choose done, still open or dropped"})
    if outcome == Action.Status.DROPPED and not note.strip():
        raise ValidationError({"note": "Enter why the action is dropped"})
    review, _ = ActionReview.objects.update_or_create(
        record=record, action=action, defaults={"outcome": outcome, "note": note}
    )
    Action.objects.filter(pk=action.pk).update(
        status=outcome,
        status_reason=note if outcome == Action.Status.DROPPED else "",
        status_changed_at=timezone.now(),
    )
    _bump(record)
    _audit(request, by, record, "action reviewed", action=action.pk, outcome=outcome)
    return review


@transaction.atomic
def disagreement_add(*, record, subject: str, view: str, by: User, request=None) -> Disagreement:
    record = _locked(record)
    _require_status(record, *EDITABLE, SupervisionRecord.Status.SHARED)
    errors = {}
    if not subject.strip():
        errors["subject"] = "Enter what you disagree about"
    if not view.strip():
        errors["view"] = "Enter your view in your own words"
    if errors:
        raise ValidationError(errors)
    is_supervisee = by.pk == record.session.supervisee_id
    if not is_supervisee:
        _require_signatory(record, by, "gives the supervisor's view on this record")
    disagreement = Disagreement.objects.create(
        record=record,
        subject=subject,
        supervisee_view=view if is_supervisee else "",
        supervisor_view="" if is_supervisee else view,
        raised_by=by,
    )
    _bump(record)
    _audit(request, by, record, "disagreement recorded")
    return disagreement


@confirmed_first
@transaction.atomic
def disagreement_sign_view(
    *, disagreement: Disagreement, view: str, identity_method: str, by: User, request=None
) -> Disagreement:
    """Each person writes their own view and signs it (R5). A signed view does not change.

    Either of them may still give theirs after the supervisee has signed the record (a record
    shared before a view was signed, from before the supervisee's signing waited for both):
    the record then goes back to the supervisee to sign again, since what they signed has
    changed. No state is left from which nobody can move."""
    record = _locked(disagreement.record)
    signed = SupervisionRecord.Status.SUPERVISEE_SIGNED
    is_supervisee = by.pk == record.session.supervisee_id
    _require_status(record, *EDITABLE, SupervisionRecord.Status.SHARED, signed)
    if not view.strip():
        raise ValidationError({"view": "Enter your view in your own words"})
    now = timezone.now()
    if is_supervisee:
        if disagreement.supervisee_signed_at:
            raise ValidationError("You have already signed your view.")
        disagreement.supervisee_view, disagreement.supervisee_signed_at = view, now
    else:
        _require_signatory(record, by, "signs the supervisor's view on this record")
        if disagreement.supervisor_signed_at:
            raise ValidationError("You have already signed your view.")
        disagreement.supervisor_view, disagreement.supervisor_signed_at = view, now
    disagreement.save()
    _audit(request, by, record, "disagreement view signed", disagreement=disagreement.pk)
    if record.status == signed:
        record.status = SupervisionRecord.Status.SHARED
        record.version += 1
        record.save()
        _audit(request, by, record, "shared again: a view was added after the supervisee signed")
        if not is_supervisee:  # the supervisee, who signs again, is the one acting now
            notifications.record_shared(record.pk, by.pk)
    else:
        _bump(record)
    return disagreement


def views_missing(record: SupervisionRecord) -> list[tuple[Disagreement, str]]:
    """Each disagreement still without a signed view, with whose view it waits for
    ("supervisee" or "supervisor"): the supervisee signs the record only once none is left."""
    missing = []
    for disagreement in sorted(record.disagreements.all(), key=lambda d: d.pk):
        if not disagreement.supervisee_signed_at:
            missing.append((disagreement, "supervisee"))
        if not disagreement.supervisor_signed_at:
            missing.append((disagreement, "supervisor"))
    return missing


def _snapshot(record: SupervisionRecord) -> None:
    session = record.session
    record.organisation_name = settings.ORGANISATION_NAME
    for side in ("supervisee", "supervisor"):
        person = getattr(session, side)
        profile = getattr(person, "profile", None)
        setattr(record, f"{side}_name", person.full_name)
        setattr(record, f"{side}_role", profile.job_role.name if profile else "")


@transaction.atomic
def record_share(*, record, by: User, request=None) -> SupervisionRecord:
    record = _locked(record)
    _require_status(record, *EDITABLE)
    if signing.supervisee_has_gone(record.session, timezone.localdate()):
        raise ValidationError(
            f"{record.session.supervisee.full_name} has left and cannot sign it: sign and "
            "finalise the record without their signature."
        )
    # R10: actions from earlier sessions are the first item of the next. Each is reviewed
    # (done, still open, dropped with a reason) before the record goes to the supervisee.
    unreviewed = list(
        Action.objects.filter(
            supervisee=record.session.supervisee,
            status=Action.Status.OPEN,
            record__session__starts_at__lt=record.session.starts_at,
        )
        .exclude(reviews__record=record)
        .order_by("due_date", "pk")
    )
    if unreviewed:
        listed = "; ".join(
            f"“{Truncator(a.description).chars(60)}” (due {a.due_date.day} {a.due_date:%B %Y})"
            for a in unreviewed[:5]
        )
        more = f" and {len(unreviewed) - 5} more" if len(unreviewed) > 5 else ""
        raise ValidationError(
            "Review each action from earlier sessions before you share the record: say whether "
            f"it is done, still open or dropped. Not yet reviewed: {listed}{more}."
        )
    _snapshot(record)
    record.status = SupervisionRecord.Status.SHARED
    record.shared_at = timezone.now()
    # What the supervisee reads now: the next share shows them what changed since.
    SharedText.objects.create(
        record=record,
        shared_at=record.shared_at,
        texts=dict(record.sections.values_list("template_section__key", "text")),
    )
    record.version += 1
    record.save()
    AmendmentRequest.objects.filter(record=record, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )
    _audit(request, by, record, "shared with supervisee")
    notifications.record_shared(record.pk, by.pk)
    return record


@transaction.atomic
def record_request_amendment(
    *, record, comments: list[tuple], by: User, request=None
) -> SupervisionRecord:
    """comments: (TemplateSection or None, text) pairs; at least one with text."""
    record = _locked(record)
    if by.pk != record.session.supervisee_id:
        raise PermissionDenied("Only the supervisee asks for changes.")
    _require_status(record, SupervisionRecord.Status.SHARED)
    comments = [(section, text.strip()) for section, text in comments if text and text.strip()]
    if not comments:
        raise ValidationError({"comment": "Enter what should change"})
    for section, text in comments:
        AmendmentRequest.objects.create(
            record=record, requested_by=by, section=section, comment=text
        )
    record.status = SupervisionRecord.Status.AMENDMENT_REQUESTED
    record.version += 1
    record.save()
    _audit(request, by, record, "amendment asked", comments=len(comments))
    notifications.amendment_requested(record.pk)
    return record


@confirmed_first
@transaction.atomic
def record_sign(*, record, identity_method: str, by: User, request=None) -> Signature:
    """The supervisee signs the shared record as a correct account."""
    record = _locked(record)
    if by.pk != record.session.supervisee_id:
        raise PermissionDenied("Only the supervisee signs here.")
    _require_status(record, SupervisionRecord.Status.SHARED)
    # Both views on every disagreement come before the signature (R5): signing first would
    # sign a record without the supervisor's view, which could then only be added by
    # sending it back.
    for disagreement, whose in views_missing(record):
        if whose == "supervisee":
            raise ValidationError(
                f"Give and sign your view on “{disagreement.subject}” before you sign the record."
            )
        signatory = signing.record_signatory(record.session, timezone.localdate())
        who = signatory.name if signatory else "Your supervisor"
        raise ValidationError(
            f"{who} must give and sign their view on “{disagreement.subject}” before you can "
            "sign the record. The record shows them it is waiting for them."
        )
    signature = Signature.objects.create(
        record=record,
        signer=by,
        role=Signature.Role.SUPERVISEE,
        signed_at=timezone.now(),
        method=identity_method,
        content_hash=record_hash(load_record_for_content(record.pk)),
    )
    record.status = SupervisionRecord.Status.SUPERVISEE_SIGNED
    record.version += 1
    record.save()
    _audit(request, by, record, "signed by supervisee", hash=signature.content_hash)
    notifications.record_signed(record.pk)
    return signature


def _check_may_finalise(record: SupervisionRecord, by: User) -> bool:
    """Refuse anyone but the signatory, and a record not ready to finalise; whether the
    supervisee has left, when the record may be finalised without their signature."""
    if by.pk == record.session.supervisee_id:
        raise PermissionDenied("The supervisor finalises the record.")
    signed = SupervisionRecord.Status.SUPERVISEE_SIGNED
    gone = signing.supervisee_has_gone(record.session, timezone.localdate())
    if gone:
        _require_status(record, *EDITABLE, SupervisionRecord.Status.SHARED, signed)
    else:
        _require_status(record, signed)
    _require_signatory(record, by, "signs and finalises this record")
    return gone


def _check_views_before_finalising(record: SupervisionRecord, gone: bool) -> None:
    for disagreement, whose in views_missing(record):
        if whose == "supervisee" and gone:
            continue  # the record shows their view as not given
        # Not reached through the pages, which send the record back to the supervisee when a
        # view is signed after they signed; this names who acts, never a dead end.
        if whose == "supervisor":
            raise ValidationError(
                f"Give and sign your view on “{disagreement.subject}” first: the record then "
                "goes back to the supervisee to sign again."
            )
        raise ValidationError(
            f"{record.session.supervisee.full_name} must give and sign their view on "
            f"“{disagreement.subject}” first, then sign the record again."
        )


def _check_unchanged_since_supervisee_signed(record: SupervisionRecord, content_hash: str) -> None:
    # The latest: a record sent back for a view added after signing is signed again.
    supervisee_signature = record.signatures.filter(role=Signature.Role.SUPERVISEE).latest(
        "signed_at", "pk"
    )
    if supervisee_signature.content_hash != content_hash:
        raise ValidationError(
            "The record changed after the supervisee signed it: share it again for signature."
        )


def _audit_finalised(
    request,
    by: User,
    record: SupervisionRecord,
    *,
    now: datetime,
    content_hash: str,
    unsigned_by_supervisee: bool,
) -> None:
    signatory = signing.signed_as(record.session, by, timezone.localdate(now))
    if unsigned_by_supervisee:
        _audit(
            request,
            by,
            record,
            "finalised without the supervisee's signature: they have left",
            hash=content_hash,
            signed_as=signatory.how,
        )
    else:
        _audit(request, by, record, "finalised", hash=content_hash, signed_as=signatory.how)


def _notify_on_finalise(record: SupervisionRecord, by: User, now) -> None:
    # The PDF is owed from this transaction on: a row, which a worker takes once it commits,
    # and the janitor hands over again if the broker is down now or a worker dies making it.
    # The download makes the PDF itself if nobody has yet. The email is written with the
    # record (outbox).
    pdf_work = RecordPdfWork.objects.create(record=record, requested_by=by, created_at=now)
    work.queue(pdf_work)
    notifications.record_finalised(record.pk)


@confirmed_first
@transaction.atomic
def record_finalise(*, record, identity_method: str, by: User, request=None) -> SupervisionRecord:
    """The supervisor signs after the supervisee and the record is closed for good (R8).

    Once the supervisee has left they can no longer sign: the signatory then finalises the
    record from whatever state it is in, without the supervisee's signature (the record says
    so), so that a leaver's records are never left open for good."""
    record = _locked(record)
    gone = _check_may_finalise(record, by)
    signed = SupervisionRecord.Status.SUPERVISEE_SIGNED
    _check_views_before_finalising(record, gone)
    now = timezone.now()
    if record.status != signed:
        # Finalised without the supervisee: their open requests for changes are answered by
        # finalising. Before the status changes, since nothing of a final record changes.
        AmendmentRequest.objects.filter(record=record, resolved_at__isnull=True).update(
            resolved_at=now
        )
    if record.status == SupervisionRecord.Status.DRAFT:
        _snapshot(record)  # never shared: names and roles as they stand now
        record.save()
    content_hash = record_hash(load_record_for_content(record.pk))
    if record.status == signed:
        _check_unchanged_since_supervisee_signed(record, content_hash)
    unsigned_by_supervisee = record.status != signed
    Signature.objects.create(
        record=record,
        signer=by,
        role=Signature.Role.SUPERVISOR,
        signed_at=now,
        method=identity_method,
        content_hash=content_hash,
    )
    record.status = SupervisionRecord.Status.FINALISED
    record.finalised_at = now
    record.content_hash = content_hash
    record.version += 1
    record.save()
    _audit_finalised(
        request,
        by,
        record,
        now=now,
        content_hash=content_hash,
        unsigned_by_supervisee=unsigned_by_supervisee,
    )
    _notify_on_finalise(record, by, now)
    return record


@confirmed_first
@transaction.atomic
def addendum_add(*, record, text: str, identity_method: str, by: User, request=None) -> Addendum:
    """A dated, signed correction linked to a finalised record; the record stays as it was."""
    record = SupervisionRecord.objects.select_related("session").get(pk=record.pk)
    _require_status(record, SupervisionRecord.Status.FINALISED)
    if not text.strip():
        raise ValidationError({"text": "Enter the correction or addition"})

    now = timezone.now()
    addendum = Addendum.objects.create(
        record=record,
        author=by,
        text=text,
        signed_at=now,
        content_hash=hash_of(
            {
                "record_hash": record.content_hash,
                "author": by.pk,
                "text": text,
                "signed_at": now.isoformat(),
            }
        ),
    )
    _audit(request, by, record, "addendum added", addendum=addendum.pk)
    return addendum
