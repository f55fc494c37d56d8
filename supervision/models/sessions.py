"""Supervision sessions and their records (rules R1–R10, S3, S4)."""

import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q

from supervision.models.files import Attachment
from supervision.models.work import QueuedWork

USER = settings.AUTH_USER_MODEL


class FinalisedRecordError(Exception):
    """A finalised record never changes (rule R8): corrections are signed addenda."""


class SessionType(models.TextChoices):
    INDIVIDUAL = "individual", "Individual staff supervision"
    PERSONAL_SUPPORT = "personal_support", "Personal and professional support supervision"
    CASE = "case", "Case supervision"
    MANAGEMENT = "management", "Management supervision"
    IRO_CP_CHAIR = "iro_cp_chair", "IRO and CP chair supervision"
    LADO = "lado", "LADO supervision"
    AD_HOC = "ad_hoc", "Ad hoc supervision"
    TRANSITION = "transition", "Transition supervision"
    JOINT_INTER_SERVICE = "joint_inter_service", "Joint inter-service supervision"


class SupervisionFunction(models.TextChoices):
    """The four functions of supervision (rule R3: Surrey 001 §1.1 and §1.3, after Morrison's
    4x4x4 model; Kent 004, Kent's Supervision Model). A session need not cover all four: 001
    §1.1 says one-to-one supervision cannot meet them all fully, so the balance is read over
    time (the dashboard), and each record says which it covered."""

    MANAGEMENT = "management", "Management"
    DEVELOPMENT = "development", "Development"
    SUPPORT = "support", "Support"
    MEDIATION = "mediation", "Mediation"


# The hint under each function, in the policies' words (001 §1.3, 004 "The four functions").
SUPERVISION_FUNCTION_HINTS = {
    SupervisionFunction.MANAGEMENT: "Competent, accountable practice: role and responsibilities, "
    "policies and standards, workload and cases reviewed, feedback on performance.",
    SupervisionFunction.DEVELOPMENT: "Continuing professional development: learning needs, "
    "training applied to practice, feedback and progress.",
    SupervisionFunction.SUPPORT: "Personal support: the emotional impact of the work, wellbeing, "
    "stress, safety and personal matters that affect practice.",
    SupervisionFunction.MEDIATION: "Engaging the supervisee with the organisation: resources, "
    "decisions and matters to escalate, their relationship with the service.",
}


class SupervisionSession(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"
        DID_NOT_TAKE_PLACE = "did_not_take_place", "Did not take place"

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        VIRTUAL = "virtual", "Virtual"

    supervisee = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="sessions_as_supervisee"
    )
    # The supervisor at the time: kept when the supervisee later moves on (rule S1).
    supervisor = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="sessions_as_supervisor"
    )
    session_type = models.CharField(max_length=30, choices=SessionType.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.IN_PERSON)
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.PLANNED)
    cancelled_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.TextField(blank=True)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rescheduled_as"
    )
    # A session recorded after it was held, not planned first: why it was not planned.
    unplanned_reason = models.TextField("why it was not planned", blank=True)
    lateness_notes = models.TextField(blank=True)
    interruption_notes = models.TextField(blank=True)
    series = models.UUIDField(null=True, blank=True, db_index=True)
    # Calendar identity: invitations for the same session update one calendar entry.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ics_sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # When the session last changed (moved, held, cancelled), for the API's `updated_since`.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # True while no record of the session exists: kept by SupervisionRecord.save and
    # delete, so that "sessions with no record yet" is read from a small partial index
    # rather than by checking every past session of a supervisor for a record (some 9,000
    # on a ten-year organisation). Never written by a save of the session itself.
    no_record = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["supervisee", "-starts_at"]),
            models.Index(fields=["supervisor", "-starts_at"]),
            # The dashboard counts cancellations in a period across an organisation.
            models.Index(fields=["status", "cancelled_at"]),
            # Sessions with no record yet (access.records.sessions_to_write_up_by), by who
            # held them and, for a supervisor who has left, by supervisee.
            models.Index(
                fields=["supervisor", "starts_at"],
                condition=Q(no_record=True, status__in=["planned", "held"]),
                name="session_no_record_supervisor",
            ),
            models.Index(
                fields=["supervisee", "starts_at"],
                condition=Q(no_record=True, status__in=["planned", "held"]),
                name="session_no_record_supervisee",
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_session_type_display()} of {self.supervisee} on {self.starts_at:%-d %B %Y}"
        )

    def save(self, *args, **kwargs):
        if (
            self.pk
            and SupervisionRecord.objects.filter(
                session_id=self.pk, status=SupervisionRecord.Status.FINALISED
            ).exists()
        ):
            raise FinalisedRecordError("The session of a finalised record cannot be changed.")
        if kwargs.get("update_fields") is not None:
            # A save of some fields still moves `updated_at` on, for the API's refresh.
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        elif not self._state.adding and self.pk is not None and not kwargs.get("force_insert"):
            # `no_record` is the record's to keep: a session read before its record was
            # started must not put the marker back when saved.
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "no_record"
            ]
        super().save(*args, **kwargs)


class AgendaItem(models.Model):
    session = models.ForeignKey(
        SupervisionSession, on_delete=models.CASCADE, related_name="agenda_items"
    )
    added_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "created_at", "pk"]

    def __str__(self):
        return self.text[:60]


class RecordTemplate(models.Model):
    """A versioned template for one kind of session. A record keeps the version it was
    written on, so changing a template never changes a record already written."""

    code = models.SlugField(max_length=50)
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(max_length=200)
    session_type = models.CharField(max_length=30, choices=SessionType.choices)
    introduction = models.TextField(blank=True)
    is_current = models.BooleanField(default=True)
    # Some policies give one kind of session a form of its own for some staff: Kent's
    # professional support supervision record for managers and support staff beside the
    # personal supervision record for frontline practitioners; an ASYE form for
    # newly qualified social workers. Blank: everyone else.
    audience = models.CharField(
        max_length=30,
        blank=True,
        choices=[("managers", "Managers and support staff"), ("asye", "Newly qualified (ASYE)")],
    )
    # The form ends with the date of the next supervision, which books that session.
    asks_next_session = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="template_version_unique"),
            models.UniqueConstraint(
                fields=["session_type", "audience"],
                condition=Q(is_current=True),
                name="one_current_template_per_type_and_audience",
            ),
        ]

    def __str__(self):
        return f"{self.name} (version {self.version})"


class TemplateSection(models.Model):
    template = models.ForeignKey(RecordTemplate, on_delete=models.PROTECT, related_name="sections")
    position = models.PositiveIntegerField()
    key = models.SlugField(max_length=60)
    heading = models.CharField(max_length=200)
    # Reflective prompts (experience, reflection, analysis, plans: rule R3), shown as hint text.
    prompts = models.TextField(blank=True)
    # Wellbeing and personal sections: seen by the supervisee, the supervisor and the line
    # above, and by no auditor without an explicit grant.
    is_personal = models.BooleanField(default=False)

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="section_key_unique")
        ]

    def __str__(self):
        return self.heading


class SupervisionRecord(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SHARED = "shared", "Shared"
        AMENDMENT_REQUESTED = "amendment_requested", "Amendment asked"
        SUPERVISEE_SIGNED = "supervisee_signed", "Signed by supervisee"
        FINALISED = "finalised", "Finalised"

    session = models.OneToOneField(
        SupervisionSession, on_delete=models.PROTECT, related_name="record"
    )
    template = models.ForeignKey(RecordTemplate, on_delete=models.PROTECT, related_name="records")
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.DRAFT)
    # Optimistic lock: every save of the draft checks and bumps it, so two people editing at
    # once never overwrite each other silently.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    shared_at = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    # Who and what, as they stood when the record was shared: names and roles change over a
    # career, and a signed record must say what it said on the day.
    organisation_name = models.CharField(max_length=200, blank=True)
    supervisee_name = models.CharField(max_length=200, blank=True)
    supervisee_role = models.CharField(max_length=200, blank=True)
    supervisor_name = models.CharField(max_length=200, blank=True)
    supervisor_role = models.CharField(max_length=200, blank=True)
    # "Date of next supervision" (on Kent's record templates): part of the signed record, and
    # the session it booked. PROTECT: a finalised record is never updated, so never nulled.
    next_session_at = models.DateTimeField("date of next supervision", null=True, blank=True)
    next_session = models.ForeignKey(
        SupervisionSession,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="booked_by_record",
    )

    # Which of the four functions of supervision the session covered (R3). Null on records
    # written before the record asked, which keep their signed content as it was; each is set
    # (true or false) once the write-up answers the question.
    covers_management = models.BooleanField(null=True, blank=True)
    covers_development = models.BooleanField(null=True, blank=True)
    covers_support = models.BooleanField(null=True, blank=True)
    covers_mediation = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-session__starts_at"]
        # The dashboard counts records finalised in a period across an organisation.
        indexes = [models.Index(fields=["status", "finalised_at"])]

    def __str__(self):
        return f"Record of {self.session}"

    def save(self, *args, **kwargs):
        if self._finalised_in_db():
            raise FinalisedRecordError("A finalised record cannot be changed; add an addendum.")
        if not self._state.adding:
            super().save(*args, **kwargs)
            return
        # The session's marker goes with the record (SupervisionSession.no_record), and before
        # it: the database refuses any change to the session of a finalised record.
        with transaction.atomic(savepoint=False):
            SupervisionSession.objects.filter(pk=self.session_id).update(no_record=False)
            super().save(*args, **kwargs)
        if SupervisionRecord.session.is_cached(self):
            self.session.no_record = False

    def delete(self, *args, **kwargs):
        if self._finalised_in_db():
            raise FinalisedRecordError("A finalised record cannot be deleted.")
        with transaction.atomic(savepoint=False):
            deleted = super().delete(*args, **kwargs)
            SupervisionSession.objects.filter(pk=self.session_id).update(no_record=True)
        return deleted

    def _finalised_in_db(self) -> bool:
        # Asks the database, not this object, which may be stale.
        return (
            bool(self.pk)
            and SupervisionRecord.objects.filter(pk=self.pk, status=self.Status.FINALISED).exists()
        )

    @property
    def is_finalised(self) -> bool:
        return self.status == self.Status.FINALISED

    @property
    def functions_answered(self) -> bool:
        """Whether the record says which functions of supervision it covered at all."""
        return any(getattr(self, f"covers_{code}") is not None for code in SupervisionFunction)

    @property
    def functions_covered(self) -> list[str]:
        """The codes of the functions covered, in the policy's order."""
        return [code for code in SupervisionFunction.values if getattr(self, f"covers_{code}")]

    @property
    def functions_covered_labels(self) -> list[str]:
        labels = dict(SupervisionFunction.choices)
        return [labels[code] for code in self.functions_covered]

    @property
    def finalised_without_supervisee(self) -> bool:
        """Finalised without the supervisee's signature on what was finalised: they left
        before signing it (record_services.record_finalise)."""
        return self.is_finalised and not any(
            s.role == "supervisee" and s.content_hash == self.content_hash
            for s in self.signatures.all()
        )

    @property
    def current_signatures(self) -> list:
        """The signature that stands for each role, the latest: a record sent back to the
        supervisee after a view was added is signed again, and the earlier one is history."""
        latest = {}
        for signature in self.signatures.all():
            latest[signature.role] = signature
        return sorted(latest.values(), key=lambda s: (s.signed_at, s.pk))


class RecordPart(models.Model):
    """Something written in a record: refused once the record is finalised."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)

    def _guard(self):
        if SupervisionRecord.objects.filter(
            pk=self.record_id, status=SupervisionRecord.Status.FINALISED
        ).exists():
            raise FinalisedRecordError("A finalised record cannot be changed; add an addendum.")


class RecordSection(RecordPart):
    class Progress(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    record = models.ForeignKey(SupervisionRecord, on_delete=models.PROTECT, related_name="sections")
    template_section = models.ForeignKey(
        TemplateSection, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(blank=True)
    progress = models.CharField(
        max_length=20, choices=Progress.choices, default=Progress.NOT_STARTED
    )

    class Meta:
        ordering = ["template_section__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "template_section"], name="one_section_per_heading"
            )
        ]

    def __str__(self):
        return f"{self.template_section.heading} ({self.record_id})"


class Decision(RecordPart):
    record = models.ForeignKey(
        SupervisionRecord, on_delete=models.PROTECT, related_name="decisions"
    )
    decision = models.TextField()
    reasons = models.TextField()
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.decision[:60]


class Action(models.Model):
    """An action agreed in a record (rule R4). What, who and by when are part of the record
    and fixed once it is finalised; its status is tracked afterwards, session to session,
    until it is done or dropped (R10)."""

    class Owner(models.TextChoices):
        SUPERVISOR = "supervisor", "Supervisor"
        SUPERVISEE = "supervisee", "Supervisee"
        OTHER = "other", "Someone else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    record = models.ForeignKey(SupervisionRecord, on_delete=models.PROTECT, related_name="actions")
    # Denormalised from the record's session, so a person's open actions are one indexed query.
    supervisee = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="supervision_actions"
    )
    description = models.TextField()
    owner = models.CharField(max_length=20, choices=Owner.choices)
    owner_name = models.CharField(max_length=200, blank=True, help_text="Who, when someone else.")
    due_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["supervisee", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="dropped") | ~Q(status_reason=""),
                name="dropped_action_has_reason",
            )
        ]

    def __str__(self):
        return self.description[:60]


class ActionReview(RecordPart):
    """What a later session said about an earlier action: part of that later record."""

    record = models.ForeignKey(
        SupervisionRecord, on_delete=models.PROTECT, related_name="action_reviews"
    )
    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="reviews")
    outcome = models.CharField(max_length=20, choices=Action.Status.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["record", "action"], name="one_review_per_action")
        ]

    def __str__(self):
        return f"{self.action}: {self.outcome}"


class Disagreement(RecordPart):
    """Both views in each person's own words, signed by both (rule R5)."""

    record = models.ForeignKey(
        SupervisionRecord, on_delete=models.PROTECT, related_name="disagreements"
    )
    subject = models.CharField(max_length=300)
    supervisor_view = models.TextField(blank=True)
    supervisee_view = models.TextField(blank=True)
    supervisor_signed_at = models.DateTimeField(null=True, blank=True)
    supervisee_signed_at = models.DateTimeField(null=True, blank=True)
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.subject


class SharedText(RecordPart):
    """The headings as they read each time the record was shared. When it is shared again after
    changes were asked for, the supervisee is shown, heading by heading, what changed since the
    version they read, rather than having to read the whole record again to find it."""

    record = models.ForeignKey(
        SupervisionRecord, on_delete=models.PROTECT, related_name="shared_texts"
    )
    shared_at = models.DateTimeField()
    # {template section key: text}: the keys stay fixed for the record's template version.
    texts = models.JSONField()

    class Meta:
        ordering = ["shared_at", "pk"]

    def __str__(self):
        return f"Record {self.record_id} as shared at {self.shared_at:%Y-%m-%d %H:%M}"


class AmendmentRequest(RecordPart):
    record = models.ForeignKey(
        SupervisionRecord, on_delete=models.PROTECT, related_name="amendment_requests"
    )
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    section = models.ForeignKey(
        TemplateSection, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.comment[:60]


class Signature(models.Model):
    class Role(models.TextChoices):
        SUPERVISEE = "supervisee", "Supervisee"
        SUPERVISOR = "supervisor", "Supervisor"

    record = models.ForeignKey(
        SupervisionRecord, on_delete=models.PROTECT, related_name="signatures"
    )
    signer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=Role.choices)
    signed_at = models.DateTimeField()
    method = models.CharField(max_length=100, default="Password re-entered in the browser")
    # SHA-256 of the record's canonical content at the moment of signing.
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at"]

    def __str__(self):
        return f"{self.signer} signed as {self.role}"


class Addendum(models.Model):
    """A dated, signed correction to a finalised record (the regulator's "supplementary
    statement"). The record itself never changes."""

    record = models.ForeignKey(SupervisionRecord, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    signed_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at"]

    def __str__(self):
        return f"Addendum by {self.author} on {self.signed_at:%-d %B %Y}"


class RecordAttachment(RecordPart, Attachment):
    """A file attached to a record while it is written: fixed with the record once it is
    shared, and never changed once finalised (the model, the services and the database
    refuse)."""

    record = models.ForeignKey(
        SupervisionRecord, on_delete=models.PROTECT, related_name="attachments"
    )

    class Meta(Attachment.Meta):
        pass

    def __str__(self):
        return self.name


class RecordPdf(models.Model):
    """The signed PDF, made once after finalising and stored (rule R9)."""

    record = models.OneToOneField(SupervisionRecord, on_delete=models.PROTECT, related_name="pdf")
    file = models.FileField(upload_to="records/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    generated_at = models.DateTimeField()
    render_seconds = models.FloatField(default=0)

    def __str__(self):
        return f"PDF of {self.record}"


class RecordPdfWork(QueuedWork):
    """The making of a finalised record's signed PDF: written in the finalising transaction,
    so the PDF is made even if the broker is down then, or a worker dies making it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being made"
        DONE = "done", "Made"
        FAILED = "failed", "Failed"

    record = models.OneToOneField(
        SupervisionRecord, on_delete=models.PROTECT, related_name="pdf_work"
    )
    # Who finalised the record, and so asked for its PDF.
    requested_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    TASK_NAME = "supervision.tasks.record_pdf_generate"
    LIMITS_KEY = "record_pdf"
    GAVE_UP = "The signed PDF could not be made. It is made when someone downloads the record."

    def __str__(self):
        return f"PDF of {self.record} ({self.get_status_display()})"
