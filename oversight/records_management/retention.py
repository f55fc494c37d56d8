"""Keeping a leaver's supervision file as long as the policy says, then destroying it (rule S2).

The daily job only *lists* files that are due; an administrator confirms each destruction by
typing the person's name. A legal hold stops both. What was destroyed is kept as a tombstone
and in the audit log, which is never destroyed: its entries are hash-chained, so removing any
would break the chain that proves the rest untouched.

A file is destroyed whole, on the latest date any kind of content in it is due: its parts
refer to one another (records to sessions, reviews to earlier actions), so destroying kinds on
different days would leave records that point at nothing.
"""

import logging
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from agreements.models import AgreementSignature, SupervisionAgreement
from casework.models import CaseNote, FrontDoorDiscussion, FrontDoorSession
from oversight.models import (
    DEFAULT_RETENTION_YEARS,
    DestroyedFile,
    DestructionBatch,
    DestructionCandidate,
    FeedbackResponse,
    LegalHold,
    QualityReview,
    RecordKind,
    RetentionRule,
    SubjectAccessExport,
)
from oversight.records_management import holds
from supervision.models import (
    Action,
    ActionReview,
    Addendum,
    AgendaItem,
    AmendmentRequest,
    Concern,
    ConcernEntry,
    ConversationSignature,
    Decision,
    DevelopmentConversation,
    Disagreement,
    FormDraft,
    ObservationSignature,
    PracticeObservation,
    ProbationReview,
    RecordAttachment,
    RecordPdf,
    RecordPdfWork,
    RecordSection,
    SharedText,
    Signature,
    StaffProfile,
    SupervisionRecord,
    SupervisionSession,
    WellbeingPlan,
)
from supervision.models.organisation import SupervisorAbsence
from supervision.organisation import audit
from supervision.records import kept_copies

logger = logging.getLogger(__name__)

# Models of the project's own apps and what destruction does with them. A model in none of the
# three sets fails tests/oversight/records_management/test_retention.py, so new content cannot
# be left behind in a destroyed file.
DESTROYED_MODELS = {
    "supervision.SupervisionSession",
    "supervision.AgendaItem",
    "supervision.SupervisionRecord",
    "supervision.RecordSection",
    # What a finalised record counts for on the dashboard: the database deletes it with the
    # record (migration supervision 0029).
    "supervision.FinalisedRecord",
    "supervision.Decision",
    "supervision.Action",
    "supervision.ActionReview",
    "supervision.Disagreement",
    # Concerns about their supervision and escalations of their records' disagreements.
    "supervision.Concern",
    "supervision.ConcernEntry",
    "supervision.AmendmentRequest",
    "supervision.SharedText",
    # What someone was typing about the person and had not saved.
    "supervision.FormDraft",
    "supervision.Signature",
    "supervision.Addendum",
    "supervision.RecordPdf",
    "supervision.RecordPdfWork",
    # Files attached to the records, with their stored bytes (_stored_files_of).
    "supervision.RecordAttachment",
    "agreements.SupervisionAgreement",
    "agreements.AgreementSignature",
    "supervision.PracticeObservation",
    "supervision.ObservationSignature",
    "supervision.DevelopmentConversation",
    "supervision.ConversationSignature",
    "supervision.ProbationReview",
    "supervision.WellbeingPlan",
    "oversight.FeedbackResponse",
    # A supervisor's absences are about them (rule S5), so they go with their file.
    "supervision.SupervisorAbsence",
    # Front-door supervision is the supervisee's own supervision, held on their file.
    "casework.FrontDoorSession",
    "casework.FrontDoorDiscussion",
}
KEPT_MODELS = {
    # The council's other systems' accounts for the API and their hashed tokens: nobody's
    # file, and the audit entries of their calls name them.
    "api.ServiceAccount",
    "api.ApiToken",
    # Files are deleted through the storage, with the rows that name them (_stored_files_of).
    "supervision.StoredFile",
    # The account and its employment details: audit entries point at the account, and HR
    # records have their own retention outside this product.
    "supervision.User",
    "supervision.StaffProfile",
    # Who supervised whom, and who was allowed to read the file, on which dates: needed to
    # read the audit log, and part of the supervisors' and grantees' own history.
    "supervision.SupervisoryRelationship",
    "supervision.AccessGrant",
    # The organisation, not anybody's file.
    "supervision.Unit",
    "supervision.JobRole",
    "supervision.RecordTemplate",
    "supervision.TemplateSection",
    "supervision.TeamWellbeingPlan",
    # The audit trail is append-only and outlives every file: it is the evidence of who read
    # what, and of the destruction itself.
    "supervision.AuditEvent",
    "supervision.AuditChainHead",
    # Failed sign-ins are pruned after a day by the sign-in limits themselves; the audit trail
    # keeps the record of them.
    "supervision.IdentityFailure",
    # The child's record, not the worker's: it outlives any one member of staff's file. A
    # case note written in a session of a destroyed file loses only the link to that session.
    # When the child's notes are destroyed (case_note_retention.py) these rows stay, their
    # free text about the child cleared.
    "casework.Child",
    "casework.Family",
    "casework.RiskRating",
    "casework.Allocation",
    "casework.Transfer",
    "casework.GroupSession",
    "casework.ProgressionMove",
}
# The child's own notes, kept by the child's date under the pack's case_note_retention and
# destroyed with the rest of that child's notes (case_note_retention.py), never with a file.
DESTROYED_WITH_CHILDS_NOTES = {
    "casework.CaseNote",
    "casework.CaseNoteAction",
    "casework.CaseNoteAttachment",
}


# --- Pure rules -----------------------------------------------------------------------------


def destruction_due_on(leaving_date: date, years: int) -> date:
    """The day a file becomes due for destruction: the leaving date's anniversary `years` on.

    A leaver of 29 February is due on 28 February when that year has no 29th: the earlier
    day, since keeping personal data a day beyond the period is the failure, not a day short.
    """
    if years < 0:
        raise ValueError("A retention period cannot be negative.")
    try:
        return leaving_date.replace(year=leaving_date.year + years)
    except ValueError:
        return leaving_date.replace(year=leaving_date.year + years, day=28)


def file_due_on(leaving_date: date, years_of_kinds_held: Iterable[int]) -> date | None:
    """When a whole file is due: the longest period of any kind it holds; None if it holds
    nothing."""
    years = list(years_of_kinds_held)
    if not years:
        return None
    return destruction_due_on(leaving_date, max(years))


# --- What a file holds ----------------------------------------------------------------------


def retention_years() -> dict[str, int]:
    """Years by kind: the configured rule, or the policy default for a kind with no row."""
    configured = dict(RetentionRule.objects.values_list("kind", "years_after_leaving"))
    return {kind: configured.get(kind, DEFAULT_RETENTION_YEARS) for kind in RecordKind.values}


def file_holdings(person) -> dict[str, int]:
    """How many items of each kind the person's file holds."""

    return {
        RecordKind.SESSION: SupervisionSession.objects.filter(supervisee=person).count(),
        RecordKind.SUPERVISION_RECORD: SupervisionRecord.objects.filter(
            session__supervisee=person
        ).count(),
        RecordKind.AGREEMENT: SupervisionAgreement.objects.filter(
            relationship__supervisee=person
        ).count(),
        RecordKind.OBSERVATION: PracticeObservation.objects.filter(practitioner=person).count(),
        RecordKind.DEVELOPMENT: DevelopmentConversation.objects.filter(person=person).count(),
        RecordKind.PROBATION: ProbationReview.objects.filter(person=person).count(),
        RecordKind.WELLBEING: WellbeingPlan.objects.filter(person=person).count(),
    }


def due_on_for(person, leaving_date: date, years: dict[str, int] | None = None) -> date | None:
    years = years or retention_years()
    held = [years[kind] for kind, count in file_holdings(person).items() if count]
    return file_due_on(leaving_date, held)


def active_hold(person) -> LegalHold | None:
    return LegalHold.objects.filter(person=person, lifted_at__isnull=True).first()


# --- The daily listing ----------------------------------------------------------------------


def list_files_due_for_destruction(*, today: date | None = None) -> DestructionBatch:
    """List every leaver whose file is due, once; withdraw listings no longer due.

    Idempotent: a person with an open listing is not listed again, and the partial unique
    constraint settles a race between two workers.
    """

    today = today or timezone.localdate()
    now = timezone.now()
    years = retention_years()
    batch = DestructionBatch.objects.create(listed_at=now, listed_for=today)

    withdrawn = 0
    for candidate in DestructionCandidate.objects.filter(
        destroyed_at__isnull=True, withdrawn_at__isnull=True
    ).select_related("person__profile"):
        reason = _no_longer_due(candidate, today, years)
        if reason:
            DestructionCandidate.objects.filter(pk=candidate.pk, withdrawn_at__isnull=True).update(
                withdrawn_at=now, withdrawn_reason=reason
            )
            withdrawn += 1

    listed = skipped = 0
    already = DestructionCandidate.objects.filter(withdrawn_at__isnull=True).values("person")
    leavers = (
        StaffProfile.objects.filter(
            is_active=False, leaving_date__isnull=False, leaving_date__lte=today
        )
        .exclude(user__in=already)
        .select_related("user")
    )
    on_hold = set(
        LegalHold.objects.filter(lifted_at__isnull=True).values_list("person_id", flat=True)
    )
    for profile in leavers:
        due_on = due_on_for(profile.user, profile.leaving_date, years)
        if due_on is None or due_on > today:
            continue
        if profile.user_id in on_hold:
            skipped += 1
            continue
        try:
            with transaction.atomic():
                DestructionCandidate.objects.create(
                    batch=batch,
                    person=profile.user,
                    leaving_date=profile.leaving_date,
                    due_on=due_on,
                    listed_at=now,
                )
        except IntegrityError:
            continue  # another run listed them a moment ago
        listed += 1

    DestructionBatch.objects.filter(pk=batch.pk).update(
        newly_listed=listed, withdrawn=withdrawn, skipped_on_hold=skipped
    )
    batch.refresh_from_db()
    audit.record(
        audit.AuditAction.WRITE,
        object_type="destruction_listing",
        object_id=batch.pk,
        detail={
            "listed_for": today.isoformat(),
            "newly_listed": listed,
            "withdrawn": withdrawn,
            "skipped_on_legal_hold": skipped,
        },
    )
    return batch


def _no_longer_due(candidate, today: date, years: dict[str, int]) -> str:
    profile = getattr(candidate.person, "profile", None)
    if profile is None or profile.is_active or profile.leaving_date is None:
        return "The person is no longer recorded as having left."
    if profile.leaving_date != candidate.leaving_date:
        return "The leaving date has changed since the file was listed."
    due_on = due_on_for(candidate.person, profile.leaving_date, years)
    if due_on is None:
        return "The file holds nothing to destroy."
    if due_on > today:
        return "A longer retention period now applies."
    return ""


# --- Rules and holds ------------------------------------------------------------------------


def retention_rule_set(*, kind: str, years: int, by, request=None) -> RetentionRule:
    if not 1 <= years <= 100:
        raise ValidationError({"years": "Enter a number of years between 1 and 100"})
    rule, _ = RetentionRule.objects.get_or_create(kind=kind)
    before = rule.years_after_leaving
    if before == years:
        return rule
    rule.years_after_leaving = years
    rule.changed_by = by
    rule.changed_at = timezone.now()
    rule.save()
    audit.record(
        audit.AuditAction.WRITE,
        request=request,
        actor=by,
        object_type="retention_rule",
        object_id=rule.pk,
        detail={"kind": kind, "years_before": before, "years_after": years},
    )
    return rule


def legal_hold_place(*, person, reason: str, by, request=None) -> LegalHold:
    return holds.place(
        LegalHold,
        on={"person": person},
        reason=reason,
        by=by,
        request=request,
        reason_missing="Enter why the file must be kept",
        already_held=("person", f"{person.full_name}'s file is already on hold"),
        object_type="legal_hold",
        subject=person,
    )


def legal_hold_lift(*, hold: LegalHold, reason: str, by, request=None) -> LegalHold:
    return holds.lift(
        hold, reason=reason, by=by, request=request, object_type="legal_hold", subject=hold.person
    )


# --- Destruction ----------------------------------------------------------------------------


def file_destroy(*, candidate: DestructionCandidate, typed_name: str, by, request=None):
    """Destroy a listed person's supervision file, in one transaction, and keep a tombstone.

    Refuses (ValidationError naming the field) unless the typed name matches, the listing is
    still pending, no legal hold is active and the file is still due today.
    """
    today = timezone.localdate()
    with transaction.atomic():
        candidate = (
            DestructionCandidate.objects.select_for_update(of=("self",))
            .select_related("person__profile")
            .get(pk=candidate.pk)
        )
        person = candidate.person
        if " ".join((typed_name or "").split()).casefold() != person.full_name.casefold():
            raise ValidationError(
                {"confirm_name": f"Type {person.full_name} exactly to confirm the destruction"}
            )
        if not candidate.is_pending:
            raise ValidationError(
                {NON_FIELD_ERRORS: "This file is no longer waiting to be destroyed"}
            )
        if active_hold(person):
            raise ValidationError(
                {None: f"{person.full_name}'s file is on legal hold: lift the hold first"}
            )
        reason = _no_longer_due(candidate, today, retention_years())
        if reason:
            raise ValidationError(
                {NON_FIELD_ERRORS: f"This file is not due for destruction. {reason}"}
            )

        record_ids = list(
            SupervisionRecord.objects.filter(session__supervisee=person).values_list(
                "pk", flat=True
            )
        )
        counts, files = _delete_file_content(person)
        now = timezone.now()
        DestructionCandidate.objects.filter(pk=candidate.pk).update(
            confirmed_by=by, confirmed_at=now, destroyed_at=now
        )
        tombstone = DestroyedFile.objects.create(
            candidate=candidate,
            person=person,
            person_name=person.full_name,
            leaving_date=candidate.leaving_date,
            destroyed_at=now,
            destroyed_by=by,
            counts=counts,
            files_removed=len(files),
        )
        audit.record(
            audit.AuditAction.WRITE,
            request=request,
            actor=by,
            object_type="staff_file_destruction",
            object_id=tombstone.pk,
            subject=person,
            detail={
                "event": "file destroyed",
                "leaving_date": candidate.leaving_date.isoformat(),
                "due_on": candidate.due_on.isoformat(),
                "counts": counts,
                "files_removed": len(files),
            },
        )
        # Files go only once the rows are gone for good: a rollback must not leave rows
        # pointing at deleted PDFs.
        transaction.on_commit(lambda: _remove_files(files, person.pk))
        # The record page's kept renderings of the records go too. Once the rows are gone for
        # good, so that a page read meanwhile cannot keep a copy again after the deletion.
        transaction.on_commit(lambda: kept_copies.forget(record_ids))
    return tombstone


def _delete_file_content(person) -> tuple[dict[str, int], list[tuple]]:
    _allow_destroying_frozen_rows(True)
    counts: dict[str, int] = {}

    def gone(label, queryset):
        # Queryset deletes, deliberately: the models' own delete() refuses finalised records,
        # and that refusal is right everywhere except here. PROTECT still stops us if something
        # outside the file points in, and the whole destruction rolls back.
        counts[label] = counts.get(label, 0) + queryset.delete()[0]

    records = SupervisionRecord.objects.filter(session__supervisee=person)
    files = _stored_files_of(person, records=records)
    counts["subject_access_exports"] = (
        SubjectAccessExport.objects.filter(person=person).exclude(file="").update(file="")
    )

    concerns = Concern.objects.filter(supervisee=person)
    gone("concern_entries", ConcernEntry.objects.filter(concern__in=concerns))
    gone("concerns", concerns)
    _delete_records(records, gone=gone)

    gone("drafts", FormDraft.objects.filter(subject=person))
    gone("agenda_items", AgendaItem.objects.filter(session__supervisee=person))

    counts["case_notes_unlinked"] = CaseNote.objects.filter(session__supervisee=person).update(
        session=None
    )
    front_door = FrontDoorSession.objects.filter(supervisee=person)
    gone("front_door_discussions", FrontDoorDiscussion.objects.filter(session__in=front_door))
    gone("front_door_sessions", front_door)

    gone("absences", SupervisorAbsence.objects.filter(supervisor=person))
    _delete_chain(
        gone, "sessions", SupervisionSession.objects.filter(supervisee=person), "replaces"
    )

    agreements = SupervisionAgreement.objects.filter(relationship__supervisee=person)
    gone("agreement_signatures", AgreementSignature.objects.filter(agreement__in=agreements))
    _delete_chain(gone, "agreements", agreements, "previous")

    _delete_development_records(person, gone=gone)
    # Their answers about the supervision they received go with the file. Reports of closed
    # quarters change by it, which is what destroying the data means.

    gone("feedback_responses", FeedbackResponse.objects.filter(respondent=person))

    _allow_destroying_frozen_rows(False)
    return counts, files


def _stored_files_of(person, *, records) -> list[tuple]:
    files = [
        (pdf.file.storage, pdf.file.name)
        for pdf in RecordPdf.objects.filter(record__in=records)
        if pdf.file
    ]
    files += [
        (attachment.file.storage, attachment.file.name)
        for attachment in RecordAttachment.objects.filter(record__in=records)
    ]
    for export in SubjectAccessExport.objects.filter(person=person).exclude(file=""):
        files.append((export.file.storage, export.file.name))
    return files


def _delete_records(records, *, gone) -> None:
    for label, model in [
        ("record_pdfs", RecordPdf),
        ("record_pdf_work", RecordPdfWork),
        ("record_attachments", RecordAttachment),
        ("signatures", Signature),
        ("addenda", Addendum),
        ("sections", RecordSection),
        ("decisions", Decision),
        ("action_reviews", ActionReview),
        ("disagreements", Disagreement),
        ("amendment_requests", AmendmentRequest),
        ("shared_texts", SharedText),
        ("actions", Action),
    ]:
        gone(label, model.objects.filter(record__in=records))

    # A quality audit of a destroyed record goes with it: the audit quotes nothing, but its
    # answers are about this person's supervision.
    gone("quality_reviews", QualityReview.objects.filter(record__in=records))
    gone("records", records)


def _delete_development_records(person, *, gone) -> None:
    observations = PracticeObservation.objects.filter(practitioner=person)
    gone(
        "observation_signatures", ObservationSignature.objects.filter(observation__in=observations)
    )
    gone("observations", observations)
    conversations = DevelopmentConversation.objects.filter(person=person)
    gone(
        "development_signatures",
        ConversationSignature.objects.filter(conversation__in=conversations),
    )
    gone("development_conversations", conversations)
    gone("probation_reviews", ProbationReview.objects.filter(person=person))
    _delete_chain(gone, "wellbeing_plans", WellbeingPlan.objects.filter(person=person), "previous")


def _delete_chain(gone, label, queryset, link: str) -> None:
    """Rows that point at each other (a rescheduled session at the one it replaces, a
    reviewed agreement at its previous version) are deleted newest first, so PROTECT holds."""
    while True:
        pointed_at = queryset.filter(**{f"{link}__isnull": False}).values(link)
        ends = queryset.exclude(pk__in=pointed_at)
        if not ends.exists():
            break
        gone(label, ends)
    if queryset.exists():
        raise ValidationError(
            {NON_FIELD_ERRORS: f"Some {label} could not be destroyed; nothing was."}
        )


def _allow_destroying_frozen_rows(on: bool) -> None:
    """Finalised records and signed agreements are refused UPDATE and DELETE by triggers
    (PostgreSQL's, and SQLite's of supervision 0022). Destruction at the end of the retention
    period is the one lawful deletion, so oversight migration 0006 lets those triggers pass a
    DELETE (never an UPDATE) while the transaction-local setting `supervision.destroying` is
    'on' (on SQLite, while supervision_destroying holds a row).

    Why not `SET session_replication_role = replica`: it needs a superuser, which the
    application's role must not be, and it silences every trigger, the audit log's included.
    The setting is no defence against someone who can run SQL; it keeps the application from
    deleting frozen rows by mistake anywhere but here. It is switched off again straight after,
    since inside an outer transaction SET LOCAL would otherwise last until that one ends.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT set_config('supervision.destroying', %s, true)", ["on" if on else "off"]
            )
        elif connection.vendor == "sqlite":
            # SQLite's triggers (supervision 0022) look for a row here instead.
            cursor.execute(
                "INSERT INTO supervision_destroying VALUES (1)"
                if on
                else "DELETE FROM supervision_destroying"
            )


def _remove_files(files, person_id) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            # The rows are gone and the tombstone says so; a file left behind is logged so an
            # administrator can remove it by hand.
            logger.exception("Could not remove %s of destroyed file %s", name, person_id)
