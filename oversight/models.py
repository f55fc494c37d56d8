from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.utils import timezone

from supervision.models.organisation import StaffProfile, Unit
from supervision.models.work import QueuedWork

_LONDON = ZoneInfo("Europe/London")

# How long a claimed row (a person or child due a look, a notice to send, a digest to write) is
# left alone, were the claim ever committed without its result.
CLAIM_LEASE = timedelta(minutes=30)

# Leaving, retention and destruction (rule S2) and subject access (UK GDPR art. 15).
# None of these rows is ever deleted: together they are the evidence that a file was kept as
# long as the policy said, and no longer, and who decided.


class RecordKind(models.TextChoices):
    """The kinds of content a supervision file holds, each with its own retention period."""

    SUPERVISION_RECORD = "supervision_record", "Supervision records"
    SESSION = "session", "Supervision sessions"
    AGREEMENT = "agreement", "Supervision agreements"
    OBSERVATION = "observation", "Practice observations"
    DEVELOPMENT = "development", "Personal development plans"
    PROBATION = "probation", "Probation reviews"
    WELLBEING = "wellbeing", "Wellbeing plans"


DEFAULT_RETENTION_YEARS = 7  # Surrey's policy §4.3


class RetentionRule(models.Model):
    """How many years after the person leaves a kind of record is kept. 7 by default (seed
    001 §4.3); some councils keep files of staff who work with children for 25."""

    kind = models.CharField(max_length=30, choices=RecordKind.choices, unique=True)
    years_after_leaving = models.PositiveSmallIntegerField(default=DEFAULT_RETENTION_YEARS)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(years_after_leaving__gte=1, years_after_leaving__lte=100),
                name="retention_between_1_and_100_years",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.years_after_leaving} years after leaving"


class Hold(models.Model):
    """Keeps records past their destruction date, for litigation, an inquiry, a claim or a
    regulator's investigation. Lifting it is a new fact, so the row stays."""

    reason = models.CharField(max_length=500)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField()
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class LegalHold(Hold):
    """A hold on a person's supervision file."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="legal_holds"
    )

    class Meta:
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["person", "lifted_at"])]

    def __str__(self):
        return f"Legal hold on {self.person} from {self.placed_at:%-d %B %Y}"


class DestructionBatch(models.Model):
    """One run of the daily listing job: who it found due and who it took off the list."""

    listed_at = models.DateTimeField()
    listed_for = models.DateField(help_text="The day the job judged 'due' against.")
    newly_listed = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    skipped_on_hold = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-listed_at"]

    def __str__(self):
        return f"Destruction listing of {self.listed_for:%-d %B %Y}"


class DestructionCandidate(models.Model):
    """A person whose file is due for destruction, waiting for an administrator to confirm.

    Nothing is destroyed by the job itself: a person decides, by typing the name.
    """

    batch = models.ForeignKey(DestructionBatch, on_delete=models.PROTECT, related_name="candidates")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    leaving_date = models.DateField()
    due_on = models.DateField()
    listed_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    # Taken off the list because the person is no longer due (returned, leaving date
    # corrected): a later run may list them again.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            # Running the job twice, or two workers at once, lists a person once.
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_open_destruction_listing_per_person",
            )
        ]

    def __str__(self):
        return f"{self.person} due for destruction on {self.due_on:%-d %B %Y}"

    @property
    def is_pending(self) -> bool:
        return self.destroyed_at is None and self.withdrawn_at is None


class DestroyedFile(models.Model):
    """The tombstone of a destroyed file: that it existed, whose it was and what went.

    The account itself is kept (audit entries name it); this row is what answers "where is
    X's supervision file?" after it has gone.
    """

    candidate = models.OneToOneField(
        DestructionCandidate, on_delete=models.PROTECT, related_name="tombstone"
    )
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person_name = models.CharField(max_length=200)
    leaving_date = models.DateField()
    destroyed_at = models.DateTimeField()
    destroyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    counts = models.JSONField(default=dict, help_text="Rows destroyed, by kind.")
    files_removed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-destroyed_at"]

    def __str__(self):
        return f"{self.person_name}'s file, destroyed {self.destroyed_at:%-d %B %Y}"

    def delete(self, *args, **kwargs):
        raise PermissionError("The record of a destruction is kept.")


# Children's case notes (the child's record, rule R11) kept as the pack says
# (case_note_retention), then destroyed as a whole when an administrator confirms: the same
# steps as a leaver's file, with the child's unique reference where the file has a name.


class CaseNoteHold(Hold):
    """A hold on a child's case notes."""

    child = models.ForeignKey("casework.Child", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            # One active hold at a time keeps "are these notes held?" a plain yes or no.
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(lifted_at__isnull=True),
                name="one_active_case_note_hold_per_child",
            )
        ]

    def __str__(self):
        return f"Legal hold on {self.child.reference}'s case notes from {self.placed_at:%-d %B %Y}"


class CaseNotesDue(models.Model):
    """A child whose case notes are due for destruction, waiting for an administrator to
    confirm. The daily job lists; a person decides, by typing the child's reference."""

    child = models.ForeignKey("casework.Child", on_delete=models.PROTECT, related_name="+")
    # What the date was worked out from, on the day: a later change withdraws the listing.
    date_of_birth = models.DateField()
    been_looked_after = models.BooleanField()
    due_on = models.DateField()
    listed_for = models.DateField(help_text="The day the job judged 'due' against.")
    listed_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    destroyed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name_plural = "case notes due"
        constraints = [
            # Running the job twice, or two workers at once, lists a child once.
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_open_case_note_listing_per_child",
            )
        ]

    def __str__(self):
        return f"{self.child.reference}'s case notes due on {self.due_on:%-d %B %Y}"

    @property
    def is_pending(self) -> bool:
        return self.destroyed_at is None and self.withdrawn_at is None


class DestroyedCaseNotes(models.Model):
    """The tombstone of a child's destroyed case notes: that they existed, how many, who
    destroyed them and when. The child's row is kept (the case system's record)."""

    listing = models.OneToOneField(CaseNotesDue, on_delete=models.PROTECT, related_name="tombstone")
    child = models.ForeignKey("casework.Child", on_delete=models.PROTECT, related_name="+")
    child_reference = models.CharField(max_length=30)
    due_on = models.DateField()
    destroyed_at = models.DateTimeField()
    destroyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    counts = models.JSONField(default=dict, help_text="Rows destroyed or cleared, by kind.")
    files_removed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-destroyed_at", "-pk"]
        verbose_name_plural = "destroyed case notes"

    def __str__(self):
        return f"{self.child_reference}'s case notes, destroyed {self.destroyed_at:%-d %B %Y}"

    def delete(self, *args, **kwargs):
        raise PermissionError("The record of a destruction is kept.")


class SubjectAccessExport(QueuedWork):
    """Everything held about one member of staff, as a zip, for a subject access request."""

    TASK_NAME = "oversight.tasks.subject_access_export_build"
    LIMITS_KEY = "subject_access"
    ASKED_AT = "requested_at"
    GAVE_UP = "The export could not be made. Try again, or tell your system administrator."

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being made"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subject_access_exports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    # Why an information governance officer made it (the request it answers). Empty when the
    # person made their own. The person sees it beside the export, and on their access log.
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    # Not under MEDIA_URL's reach: the view hands it out, after checking and auditing.
    file = models.FileField(upload_to="subject-access/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="export_progress_at_most_100"
            )
        ]

    def __str__(self):
        return f"Subject access export for {self.person} ({self.get_status_display()})"


# Supervisee feedback on the supervision received (rule Q4; Surrey's policy §6, 002 §Senior
# Managers). Senior managers see it only added up over at least five people: see
# oversight/quality/feedback.py for the rules that keep a single answer from being traced.


class Agreement(models.IntegerChoices):
    STRONGLY_DISAGREE = 1, "Strongly disagree"
    DISAGREE = 2, "Disagree"
    NEITHER = 3, "Neither agree nor disagree"
    AGREE = 4, "Agree"
    STRONGLY_AGREE = 5, "Strongly agree"


# (field, the statement as the supervisee reads it, a short column heading for the report)
FEEDBACK_STATEMENTS = (
    ("happens_when_planned", "My supervision happens when planned", "Happens when planned"),
    ("time_to_reflect", "I have time to reflect on my practice", "Time to reflect"),
    (
        "wellbeing_support",
        "I get the support I need for my wellbeing",
        "Support for wellbeing",
    ),
    (
        "decisions_explained",
        "Decisions about my work are clear and explained",
        "Decisions clear and explained",
    ),
    (
        "records_accurate_and_shared",
        "My supervision records are accurate and shared on time",
        "Records accurate and shared on time",
    ),
)


def _agreement_field(statement: str):
    return models.PositiveSmallIntegerField(
        statement,
        choices=Agreement.choices,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )


class FeedbackResponse(models.Model):
    """One supervisee's answers about the supervision they received in a quarter.

    The supervisor and unit are copied as they stood on the day, so a later move or change of
    supervisor does not shift old answers into another group's figures.
    """

    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_given"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "supervision.Unit", on_delete=models.PROTECT, related_name="feedback_responses"
    )
    # "2026-Q1": calendar quarters, the period the questionnaire asks about.
    period = models.CharField(max_length=7)
    happens_when_planned = _agreement_field(FEEDBACK_STATEMENTS[0][1])
    time_to_reflect = _agreement_field(FEEDBACK_STATEMENTS[1][1])
    wellbeing_support = _agreement_field(FEEDBACK_STATEMENTS[2][1])
    decisions_explained = _agreement_field(FEEDBACK_STATEMENTS[3][1])
    records_accurate_and_shared = _agreement_field(FEEDBACK_STATEMENTS[4][1])
    # Never shown in the service: see oversight/quality/feedback.py.
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-period", "pk"]
        indexes = [models.Index(fields=["period", "unit"])]
        constraints = [
            models.UniqueConstraint(
                fields=["respondent", "period"], name="one_feedback_response_per_quarter"
            ),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{field}__gte": 1, f"{field}__lte": 5}),
                    name=f"feedback_{field}_1_to_5",
                )
                for field, _, _ in FEEDBACK_STATEMENTS
            ],
        ]

    def __str__(self):
        # Deliberately without the respondent's name: this string can reach logs and admin.
        return f"Supervision feedback for {self.period}"


# --- Policy packs, flags and notifications -----------------------------------------


class PolicyPackVersion(models.Model):
    """One version of a policy pack, as data (oversight.policy.packs validates it). A version
    applies from its effective date; a report for an earlier date uses the version then in force."""

    code = models.SlugField(max_length=50)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    effective_from = models.DateField()
    data = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="pack_version_unique"),
        ]

    def __str__(self):
        return f"{self.name} version {self.version} from {self.effective_from:%-d %B %Y}"


class OrganisationPolicy(models.Model):
    """Which pack this organisation runs, from when: one row per choice, never changed, so a
    report for a date before a switch uses the pack chosen then."""

    pack_code = models.SlugField(max_length=50)
    # The first choice runs from the beginning of time: facts imported from before the
    # organisation adopted the product are judged by it.
    effective_from = models.DateField(default=date(2000, 1, 1))
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-effective_from", "-pk"]

    def __str__(self):
        return f"Runs the {self.pack_code} policy pack from {self.effective_from:%-d %B %Y}"

    @classmethod
    def current(cls, day=None):
        day = day or timezone.localdate()
        return cls.objects.filter(effective_from__lte=day).first() or cls.objects.last()


class FlagKind(models.TextChoices):
    SESSION_OVERDUE = "session_overdue", "Supervision overdue"
    RECORD_OVERDUE = "record_overdue", "Record not written up"
    SIGNOFF_OVERDUE = "signoff_overdue", "Record not signed off"
    AGREEMENT_MISSING = "agreement_missing", "No supervision agreement"
    AGREEMENT_REVIEW_OVERDUE = "agreement_review_overdue", "Agreement review overdue"
    CANCELLATION_NOT_RESCHEDULED = "cancellation_not_rescheduled", "Cancelled, not rescheduled"
    COVER_NEEDED = "cover_needed", "Cover supervision needed"
    CASE_REVIEW_OVERDUE = "case_review_overdue", "Child not discussed in time"
    ALLOCATION_NOT_DISCUSSED = "allocation_not_discussed", "New allocation not discussed"
    CLOSURE_WITHOUT_SUPERVISION = "closure_without_supervision", "Closed without supervision"
    ACTION_OVERDUE = "action_overdue", "Action overdue"
    OBSERVATION_DUE = "observation_due", "Practice observation overdue"
    DEVELOPMENT_PLAN_DUE = "development_plan_due", "Development conversation overdue"
    PROBATION_REVIEW_DUE = "probation_review_due", "Probation review overdue"
    SUPPORT_TIME_SHORT = "support_time_short", "Less than the monthly supervision time"
    SESSIONS_NOT_PLANNED_AHEAD = "sessions_not_planned_ahead", "Dates not agreed far enough ahead"
    WELLBEING_PLAN_DUE = "wellbeing_plan_due", "Wellbeing plan missing or due for review"
    GROUP_SUPERVISION_OVERDUE = "group_supervision_overdue", "Team group supervision overdue"
    TRANSFER_NOT_PREPARED = "transfer_not_prepared", "No joint supervision before a transfer"


class Flag(models.Model):
    """An overdue item, raised once when it becomes overdue and resolved when the awaited fact
    arrives. Rows are never deleted, so what was overdue at any moment can be reported.

    `overdue_since` is when the rules say it became overdue (not when the job noticed), and
    `resolved_at` when the fact that resolved it took effect, so the flags held at a moment
    match the compliance report for that moment however late the job ran.
    """

    kind = models.CharField(max_length=40, choices=FlagKind.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="flags",
    )
    child = models.ForeignKey(
        "casework.Child", null=True, blank=True, on_delete=models.PROTECT, related_name="flags"
    )
    # A child's flag: the unit holding the child when the spell began (the allocation's, else
    # the child's own). The dashboard counts it there without looking up allocations.
    unit = models.ForeignKey(
        "supervision.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Which one, where a person or child can have several of a kind (a session date, an action).
    about = models.CharField(max_length=100, blank=True)
    due = models.DateField()
    due_at = models.DateTimeField(null=True, blank=True)
    overdue_since = models.DateTimeField()
    detail = models.CharField(max_length=300, blank=True)
    rule = models.CharField(max_length=10, blank=True)
    raised_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    noticed_resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-overdue_since", "pk"]
        constraints = [
            # Raised once: two workers racing to raise the same flag cannot both succeed.
            models.UniqueConstraint(
                fields=["kind", "person", "child", "about"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_flag_per_item",
                nulls_distinct=False,
            ),
        ]
        indexes = [
            models.Index(fields=["person", "resolved_at"]),
            models.Index(fields=["child", "resolved_at"]),
            models.Index(fields=["overdue_since"]),
            # The dashboard reads flags held at past moments: resolved after them, or open.
            models.Index(fields=["resolved_at", "overdue_since"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} since {self.overdue_since:%-d %B %Y}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class NotificationPreference(models.Model):
    class Mode(models.TextChoices):
        EACH = "each", "An email for each new flag"
        DAILY = "daily", "One email a day"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.EACH)

    def __str__(self):
        return f"{self.user}: {self.get_mode_display()}"


class Notification(models.Model):
    """An email, written here before it is sent and marked after: the outbox and its history."""

    class Kind(models.TextChoices):
        FLAG = "flag", "New flag"
        DAILY_DIGEST = "daily_digest", "Daily digest"
        WEEKLY_DIGEST = "weekly_digest", "Weekly digest for senior managers"
        UNIT_WITHOUT_MANAGER = "unit_without_manager", "A unit's manager left"
        SET_PASSWORD = "set_password", "A link to set one's password"
        RECORD_SHARED = "record_shared", "A record shared to read"
        AMENDMENT_REQUESTED = "amendment_requested", "Changes asked to a record"
        RECORD_SIGNED = "record_signed", "A record signed by the supervisee"
        RECORD_FINALISED = "record_finalised", "A record finalised"
        SESSION_INVITATION = "session_invitation", "A calendar invitation"
        AUDIT_CHECKPOINT = "audit_checkpoint", "An audit checkpoint, to its keeper"
        CONCERN = "concern", "A concern about supervision or an escalated disagreement"
        REMINDER = "reminder", "A reminder before something falls due"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    # An address that is nobody's account (AUDIT_CHECKPOINT_EMAIL), where there is no recipient.
    address = models.EmailField(blank=True)
    flag = models.ForeignKey(
        Flag, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    # A digest's period, so a digest is written once per person per period; for a notice that
    # a unit has lost its manager, "<unit id>:<leaver id>", so it is written once; for a link
    # to set one's password, the second it was asked for.
    period = models.CharField(max_length=20, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # A file sent with the email: a calendar invitation (.ics).
    attachment_name = models.CharField(max_length=100, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(address=""),
                name="notification_goes_to_someone",
            ),
            models.UniqueConstraint(
                fields=["recipient", "flag"],
                condition=models.Q(kind="flag"),
                name="one_notice_per_flag_and_person",
            ),
            models.UniqueConstraint(
                fields=["recipient", "kind", "period"],
                condition=models.Q(
                    kind__in=[
                        "daily_digest",
                        "weekly_digest",
                        "unit_without_manager",
                        "set_password",
                    ]
                ),
                name="one_digest_per_period",
            ),
        ]
        indexes = [models.Index(fields=["sent_at", "claimed_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient}"


class Reminder(models.Model):
    """A reminder to one person that something falls due soon (oversight.notices.reminders):
    the next session with a supervisee, writing up a record, signing it off. One per person,
    item and due date ever, whatever how often the job runs. `notification` is the email that
    told them: their own, or the daily digest that carried it; empty while a digest is to come.
    """

    class Kind(models.TextChoices):
        SESSION = "session", "Supervision due"
        RECORD = "record", "Record to write up"
        SIGNOFF = "signoff", "Record to sign off"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The supervisee whose supervision it is.
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reminders"
    )
    # Which one: the record's session ("session 12"); empty for the next session.
    about = models.CharField(max_length=100, blank=True)
    due = models.DateField()
    # For a session: the day one is planned for, on or before the due date, if any.
    planned_on = models.DateField(null=True, blank=True)
    session = models.ForeignKey(
        "supervision.SupervisionSession",
        null=True,
        blank=True,
        # A destroyed file takes its sessions; the reminder, which says nothing of them, stays.
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField()
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.PROTECT, related_name="reminders"
    )

    class Meta:
        ordering = ["due", "pk"]
        constraints = [
            # Told once: a second run, a second worker or a retry after a crash writes nothing.
            models.UniqueConstraint(
                fields=["recipient", "kind", "person", "about", "due"],
                name="one_reminder_per_item_due_date_and_person",
            ),
        ]
        indexes = [
            # The daily digest's question: whose reminders wait for it.
            models.Index(fields=["recipient", "notification"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.due:%-d %B %Y}, to {self.recipient}"


# --- Quality assurance sampling and exports ----------------------------------------


class QualitySample(models.Model):
    """A random sample of finalised records drawn for a quality audit (rule Q4; Surrey's policy §6:
    "supervision audits ... to ensure that supervision is reflective and addresses the needs of
    children and their families and of the staff member")."""

    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quality_samples"
    )
    drawn_at = models.DateTimeField()
    # The part of the organisation drawn from; empty for an auditor drawing from their grants.
    unit = models.ForeignKey(
        "supervision.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finalised_from = models.DateField("records finalised from")
    finalised_to = models.DateField("records finalised to")
    size = models.PositiveSmallIntegerField("number of records")
    # Kept so the draw can be shown to have been random, and repeated.
    seed = models.CharField(max_length=32)

    class Meta:
        ordering = ["-drawn_at", "-pk"]

    def __str__(self):
        return f"Sample of {self.size} records drawn {self.drawn_at:%-d %B %Y}"


class QualityAnswer(models.TextChoices):
    YES = "yes", "Yes"
    PARTLY = "partly", "Partly"
    NO = "no", "No"


class QualityReview(models.Model):
    """One sampled record, audited on a short form."""

    QUESTIONS = (
        ("reflective", "Is the supervision reflective?"),
        ("childs_voice", "Is the child's voice heard?"),
        ("actions_smart", "Are the actions SMART?"),
        ("wellbeing_discussed", "Was the supervisee's wellbeing discussed?"),
    )

    sample = models.ForeignKey(QualitySample, on_delete=models.CASCADE, related_name="reviews")
    record = models.ForeignKey(
        "supervision.SupervisionRecord", on_delete=models.PROTECT, related_name="quality_reviews"
    )
    # The supervisee's team when drawn, so results stay with the team the work was done in.
    unit = models.ForeignKey("supervision.Unit", on_delete=models.PROTECT, related_name="+")
    reflective = models.CharField(max_length=10, choices=QualityAnswer.choices, blank=True)
    childs_voice = models.CharField(max_length=10, choices=QualityAnswer.choices, blank=True)
    actions_smart = models.CharField(max_length=10, choices=QualityAnswer.choices, blank=True)
    wellbeing_discussed = models.CharField(max_length=10, choices=QualityAnswer.choices, blank=True)
    comments = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sample", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["sample", "record"], name="one_review_per_sampled_record"
            )
        ]

    def __str__(self):
        return f"Quality review {self.pk}"

    @property
    def is_done(self) -> bool:
        return self.reviewed_at is not None


class Export(QueuedWork):
    """A download too large to build within a request, built by a Celery task."""

    TASK_NAME = "oversight.tasks.export_build"
    LIMITS_KEY = "export"
    DONE = "ready"
    GAVE_UP = "Something went wrong while the file was being made."

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being built"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports"
    )
    table = models.CharField(max_length=60)
    params = models.JSONField(default=dict)
    file_format = models.CharField(max_length=4)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    file_name = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.title} ({self.file_format.upper()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class DashboardSummary(models.Model):
    """The dashboard's trend figures of one unit and everything below it for one closed calendar
    month (London): what the unit's page shows for that month, so a page counts only the open
    month and the date (oversight.reports.dashboard.summaries). A copy of a recount, made when
    a page first asks for it and deleted by any write that changes it (`forget_summaries`):
    never the only place a figure is kept. `manage.py check_dashboard_summaries` recounts them.
    """

    unit = models.ForeignKey("supervision.Unit", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # its first day
    figures = models.JSONField()  # measure key → the count at the month's end (or in it)
    counted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="one_summary_a_unit_month")
        ]

    def __str__(self):
        return f"{self.unit_id} {self.month:%B %Y}"


class EarliestCheck(models.Model):
    """The earliest moment any row of one table the flag job looks at (people, children) can be
    due: at or before every row's next check, a marked row (NULL) counting as 1970. The idle
    tick reads these rows alone (oversight.flags.earliest_check): the tables' own indexes are
    asked only once the moment has come. Lowered by triggers on the tables (oversight 0026),
    so no write can forget it; raised only by the job, to the true earliest moment."""

    subject = models.CharField(max_length=63, primary_key=True)  # the table's name
    due_at = models.DateTimeField()

    def __str__(self):
        return f"{self.subject} {self.due_at:%Y-%m-%d %H:%M}"


def _month_of(moment) -> date:
    """The first day of the London month of a moment, or of a day."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(_LONDON).date()
    return moment.replace(day=1)


def unit_chain(path: str | None) -> set[int]:
    """A unit and every unit above it, from its materialised path ("/1/4/9/")."""
    return {int(part) for part in (path or "").strip("/").split("/") if part}


# The lock that orders a page filling summaries and the writes deleting them (PostgreSQL).
SUMMARIES_LOCK = 21_2026


def hold_summaries(*, shared: bool) -> None:
    """Until the transaction ends: a write deleting summaries holds it shared, a page
    counting and storing them exclusively. So a write whose delete comes while a page counts
    waits, and deletes what the page stored (which may not have seen the write); and a page
    counting waits for the writes already deleting, so it sees them. Writes do not wait for
    one another. (SQLite, for development and the tests, takes no lock: one process.)"""
    if connection.vendor != "postgresql":
        return
    kind = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {kind}(%s)", [SUMMARIES_LOCK])


def forget_summaries(changes) -> int:
    """Delete the dashboard summaries a write changed, in the write's transaction. `changes`
    holds (unit ids, since, until): the units whose subtree changed (`unit_chain`) and the
    months whose last moment (or last day) falls in [since, until), as moments or days, None
    for no bound. Only closed months are kept, so a change within the open month deletes
    nothing and costs no query. Returns the rows deleted."""
    current = _month_of(timezone.now())
    spans = defaultdict(list)  # unit id -> [(first month, month after the last)]
    for units, since, until in changes:
        last = current if until is None else min(current, _month_of(until))
        first = date.min if since is None else _month_of(since)
        if first < last:
            for unit in units:
                spans[unit].append((first, last))
    # The same rows in few conditions: a batch of the flag job changes hundreds of spans,
    # mostly running to the open month, and a condition each costs more to build than to run.
    units_of = defaultdict(list)  # (first, last) -> the units whose months those are
    for unit, ranges in spans.items():
        for first, last in _merged(ranges):
            units_of[first, last].append(unit)
    conditions = [
        models.Q(unit_id__in=sorted(units), month__gte=first, month__lt=last)
        for (first, last), units in sorted(units_of.items())
    ]
    if not conditions:
        return 0
    hold_summaries(shared=True)
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    return DashboardSummary.objects.filter(condition).delete()[0]


def _merged(ranges) -> list[tuple[date, date]]:
    """Half-open ranges of months, those that overlap or touch joined."""
    merged = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def forget_month_summaries(path: str | None, moment) -> int:
    """A record finalised or a session cancelled at `moment`: the month it falls in, for the
    chain of the unit at `path` (nothing if the month is open)."""
    first = _month_of(moment)
    following = (first + timedelta(days=31)).replace(day=1)
    return forget_summaries([(unit_chain(path), first, following)])


def forget_flag_summaries(*, written=(), resolved=(), reopened=()) -> int:
    """The flag job's writes: flags `written` (raised, or recorded already resolved) change
    the months they were held at the end of; flags `resolved` the months from their resolution
    on (held before, not now); flags `reopened` every month from when they began. A member of
    staff's flag counts in their unit now, a child's in the unit on the flag."""
    current = _month_of(timezone.now())
    spans = [(f, f.overdue_since, f.resolved_at) for f in written]
    spans += [(f, f.resolved_at, None) for f in resolved]
    spans += [(f, f.overdue_since, None) for f in reopened]
    # Most writes are of this month: they change no summary and read nothing.
    spans = [s for s in spans if s[1] is not None and _month_of(s[1]) < current]
    if not spans:
        return 0
    staff = {f.person_id for f, _, _ in spans if f.child_id is None}
    paths = dict(
        StaffProfile.objects.filter(user_id__in=staff).values_list("user_id", "unit__path")
    )
    units = dict(
        Unit.objects.filter(pk__in={f.unit_id for f, _, _ in spans}).values_list("pk", "path")
    )
    return forget_summaries(
        (
            unit_chain(paths.get(f.person_id) if f.child_id is None else units.get(f.unit_id)),
            since,
            until,
        )
        for f, since, until in spans
    )


class HomeChange(models.Model):
    """A note, written by a database trigger with every write to a row a home page shows, of
    a person that row is about (0: everyone). A kept home is good while these notes are the
    ones it was made under (oversight.reports.home_kept, migration 0027)."""

    id = models.BigAutoField(primary_key=True)
    person_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["person_id", "id"], name="oversight_home_person")]

    def __str__(self):
        return f"Write noted for person {self.person_id}"
