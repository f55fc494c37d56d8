"""Children, their cases, and the management oversight recorded on them (rules C1–C8, R11, R12).

Staff records name children by unique reference and initials only (R11, C7). A name may be
kept for the child's own page, seen only by those with reach, and never printed elsewhere.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from supervision.models.files import Attachment
from supervision.organisation.plain_text import PlainTextValidator

USER = settings.AUTH_USER_MODEL


class FinalisedNoteError(Exception):
    """A final case note never changes, like a finalised record (rule R8)."""


class Service(models.TextChoices):
    EARLY_HELP = "early_help", "Early help"
    SOCIAL_WORK = "social_work", "Children's social work"
    YOUTH_JUSTICE = "youth_justice", "Youth justice"


class Plan(models.TextChoices):
    ASSESSMENT = "assessment", "Assessment (no plan yet)"
    EARLY_HELP = "early_help", "Early help plan"
    CHILD_IN_NEED = "child_in_need", "Child in need"
    CHILD_PROTECTION = "child_protection", "Child protection"
    CHILD_LOOKED_AFTER = "child_looked_after", "Child looked after"
    CARE_LEAVER = "care_leaver", "Care leaver (pathway plan)"
    OUT_OF_COURT = "out_of_court", "Out-of-court disposal"
    YOUTH_JUSTICE_ORDER = "youth_justice_order", "Youth justice order"


PLANS_BY_SERVICE = {
    Service.EARLY_HELP: [Plan.ASSESSMENT, Plan.EARLY_HELP],
    Service.SOCIAL_WORK: [
        Plan.ASSESSMENT,
        Plan.CHILD_IN_NEED,
        Plan.CHILD_PROTECTION,
        Plan.CHILD_LOOKED_AFTER,
        Plan.CARE_LEAVER,
    ],
    Service.YOUTH_JUSTICE: [Plan.ASSESSMENT, Plan.OUT_OF_COURT, Plan.YOUTH_JUSTICE_ORDER],
}
# The plans of a child who is, or has been, looked after: their case notes are kept 75 years
# (oversight.policy.standards.case_notes_kept_until), whatever plan they are on later.
LOOKED_AFTER_PLANS = (Plan.CHILD_LOOKED_AFTER, Plan.CARE_LEAVER)


class RiskScale(models.TextChoices):
    RAG = "rag", "Risk rating (red, amber, green)"
    SERIOUS_HARM = "serious_harm", "Risk of serious harm"
    SAFETY_WELLBEING = "safety_wellbeing", "Safety and wellbeing"


class RiskLevel(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"
    VERY_HIGH = "very_high", "Very high"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


YOUTH_JUSTICE_LEVELS = [RiskLevel.VERY_HIGH, RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW]
LEVELS_BY_SCALE = {
    RiskScale.RAG: [RiskLevel.RED, RiskLevel.AMBER, RiskLevel.GREEN],
    RiskScale.SERIOUS_HARM: YOUTH_JUSTICE_LEVELS,
    RiskScale.SAFETY_WELLBEING: YOUTH_JUSTICE_LEVELS,
}
# Every service rates red / amber / green; youth justice also rates serious harm and safety
# and wellbeing on its own four-level scale (Kent's timescales, rule C2).
SCALES_BY_SERVICE = {
    Service.EARLY_HELP: [RiskScale.RAG],
    Service.SOCIAL_WORK: [RiskScale.RAG],
    Service.YOUTH_JUSTICE: [RiskScale.RAG, RiskScale.SERIOUS_HARM, RiskScale.SAFETY_WELLBEING],
}
# The column on Child that holds each scale's current level.
SCALE_FIELDS = {
    RiskScale.RAG: "rag_rating",
    RiskScale.SERIOUS_HARM: "serious_harm_level",
    RiskScale.SAFETY_WELLBEING: "safety_wellbeing_level",
}


class ProgressionStage(models.IntegerChoices):
    """The six stages of the case progression board (Kent's group supervision)."""

    ASSESSMENT = 1, "Assessment"
    AGREEING_PLAN = 2, "Agreeing a plan and outcomes with the family"
    DESIRE_TO_CHANGE = 3, "Building the desire to change"
    MAKING_CHANGE = 4, "Making change"
    SUSTAINING_CHANGE = 5, "Sustaining the change"
    CLOSING = 6, "Closing or transferring"


class Family(models.Model):
    """Siblings linked as one family, so a front-door session counts families, not children,
    and a worker sees the brothers and sisters of the child in front of them."""

    reference = models.CharField(
        max_length=30, unique=True, validators=[PlainTextValidator("Reference")]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reference"]
        verbose_name_plural = "families"

    def __str__(self):
        return f"Family {self.reference}"


class Child(models.Model):
    class ClosureReason(models.TextChoices):
        OUTCOMES_MET = "outcomes_met", "Plan outcomes met"
        STEPPED_DOWN = "stepped_down", "Stepped down to universal or another service"
        MOVED_AWAY = "moved_away", "Moved to another local authority"
        REACHED_ADULTHOOD = "adulthood", "Reached adulthood"
        FAMILY_DECLINED = "family_declined", "Family declined the service"
        ORDER_ENDED = "order_ended", "Order or disposal completed"
        OTHER = "other", "Other"

    reference = models.CharField(
        "unique reference",
        max_length=30,
        unique=True,
        validators=[PlainTextValidator("Unique reference")],
    )
    initials = models.CharField(max_length=5, validators=[PlainTextValidator("Initials")])
    # Optional and never required: the product works on references (R11).
    name = models.CharField(max_length=200, blank=True, validators=[PlainTextValidator("Name")])
    date_of_birth = models.DateField(null=True, blank=True)
    family = models.ForeignKey(
        Family, null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    service = models.CharField(max_length=20, choices=Service.choices, default=Service.SOCIAL_WORK)
    # The day the child arrived in their current service: C4 asks whether this service has
    # held a formal case supervision since then.
    service_since = models.DateField(null=True, blank=True)
    plan = models.CharField(max_length=30, choices=Plan.choices, default=Plan.ASSESSMENT)
    # Set the first time the child's plan is one of LOOKED_AFTER_PLANS and never unset: a
    # child who was looked after and went home keeps the longer retention of their notes.
    # The product keeps no history of plans, so this is the one fact that remembers.
    has_been_looked_after = models.BooleanField("has been looked after", default=False)
    chronic_neglect = models.BooleanField(
        default=False, help_text="Only for a child protection plan for neglect (DOMAIN C8)."
    )
    rag_rating = models.CharField(
        "risk rating", max_length=10, choices=RiskLevel.choices, blank=True
    )
    serious_harm_level = models.CharField(
        "risk of serious harm", max_length=10, choices=RiskLevel.choices, blank=True
    )
    safety_wellbeing_level = models.CharField(
        "safety and wellbeing", max_length=10, choices=RiskLevel.choices, blank=True
    )
    unit = models.ForeignKey(
        "supervision.Unit", on_delete=models.PROTECT, related_name="children_held"
    )
    allocated_worker = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="caseload"
    )
    allocated_at = models.DateTimeField(null=True, blank=True)
    progression_stage = models.PositiveSmallIntegerField(
        choices=ProgressionStage.choices, default=ProgressionStage.ASSESSMENT
    )
    # Kept up to date by the note services, so a caseload of any size is one query: the last
    # formal case discussion (1:1, joint or group) and the review date its note set.
    last_discussed_at = models.DateTimeField(null=True, blank=True)
    next_review_on = models.DateField(null=True, blank=True)
    # The supervisor's mark: discuss this child at the next case supervision (Surrey's
    # supervisors highlight the children who must be discussed).
    discuss_next_marked_at = models.DateTimeField(null=True, blank=True)
    discuss_next_marked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    discuss_next_reason = models.CharField(max_length=300, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closure_reason = models.CharField(max_length=30, choices=ClosureReason.choices, blank=True)
    closure_rationale = models.TextField(blank=True)
    # C4: whether this service held a formal case supervision before closing, and if not why.
    closure_supervision_held = models.BooleanField(null=True, blank=True)
    closure_without_supervision_reason = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # As StaffProfile.next_check_at: when the scheduled job must next look at this child.
    next_check_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reference"]
        verbose_name_plural = "children"
        indexes = [
            models.Index(fields=["allocated_worker", "closed_on"]),
            models.Index(fields=["unit", "closed_on"]),
            # The flag job's order, as StaffProfile's.
            models.Index(fields=["next_check_at", "id"], name="child_next_check"),
        ]
        constraints = [
            # Every write path that puts a child on a looked-after plan must record the fact
            # (plan_set); the database refuses one that forgot.
            models.CheckConstraint(
                condition=~Q(plan__in=LOOKED_AFTER_PLANS) | Q(has_been_looked_after=True),
                name="looked_after_child_has_been_looked_after",
            ),
        ]

    def __str__(self):
        return f"{self.reference} ({self.initials})"

    def plan_set(self, plan: str) -> None:
        """The child's plan, remembering for good that they have been looked after."""
        self.plan = plan
        if plan in LOOKED_AFTER_PLANS:
            self.has_been_looked_after = True

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    @property
    def risk_scales(self) -> list[str]:
        return SCALES_BY_SERVICE[self.service]

    def current_levels(self) -> dict[str, str]:
        return {scale: getattr(self, SCALE_FIELDS[scale]) for scale in self.risk_scales}

    def clean(self):
        errors = {}
        if self.plan not in PLANS_BY_SERVICE.get(self.service, []):
            errors["plan"] = (
                f"{self.get_plan_display()} is not a plan in "
                f"{self.get_service_display().lower()}. Choose one of: "
                + ", ".join(Plan(p).label.lower() for p in PLANS_BY_SERVICE[self.service])
            )
        if self.chronic_neglect and self.plan != Plan.CHILD_PROTECTION:
            errors["chronic_neglect"] = "Chronic neglect is recorded on a child protection plan"
        for scale, field in SCALE_FIELDS.items():
            level = getattr(self, field)
            if not level:
                continue
            if scale not in SCALES_BY_SERVICE.get(self.service, []):
                errors[field] = (
                    f"{self.get_service_display()} does not use the "
                    f"{RiskScale(scale).label.lower()} scale"
                )
            elif level not in LEVELS_BY_SCALE[scale]:
                errors[field] = "Choose " + _or_list(LEVELS_BY_SCALE[scale])
        if errors:
            raise ValidationError(errors)


def _or_list(levels) -> str:
    labels = [RiskLevel(level).label.lower() for level in levels]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


class RiskRating(models.Model):
    """Every change of a child's risk level, on each scale: the history behind the rating."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="risk_ratings")
    scale = models.CharField(max_length=20, choices=RiskScale.choices)
    level = models.CharField(max_length=10, choices=RiskLevel.choices)
    previous_level = models.CharField(max_length=10, choices=RiskLevel.choices, blank=True)
    reason = models.TextField(blank=True)
    set_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()

    class Meta:
        ordering = ["-set_at", "-pk"]
        indexes = [models.Index(fields=["child", "-set_at"])]

    def __str__(self):
        return f"{self.child}: {self.get_scale_display()} {self.get_level_display()}"


class Allocation(models.Model):
    """A period in which one worker in one team and service held the child's case."""

    class Reason(models.TextChoices):
        NEW = "new", "New allocation"
        TRANSFER = "transfer", "Transfer"

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="allocations")
    worker = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="allocations")
    unit = models.ForeignKey("supervision.Unit", on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=20, choices=Service.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.NEW)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    # The first management discussion of the child after allocation (C3: within 24 hours).
    first_discussed_at = models.DateTimeField(null=True, blank=True)
    allocated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(ends_at__isnull=True),
                name="one_open_allocation_per_child",
            ),
        ]

    def __str__(self):
        return f"{self.child} allocated to {self.worker}"


class Transfer(models.Model):
    """A planned move of the child to another worker, team or service (C5)."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="transfers")
    from_worker = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_unit = models.ForeignKey("supervision.Unit", on_delete=models.PROTECT, related_name="+")
    from_service = models.CharField(max_length=20, choices=Service.choices)
    to_worker = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("supervision.Unit", on_delete=models.PROTECT, related_name="+")
    to_service = models.CharField(max_length=20, choices=Service.choices)
    planned_for = models.DateField()
    reason = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    # When it was completed, or called off (a cancellation before this was kept had none).
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-planned_for", "-pk"]

    def __str__(self):
        return f"Transfer of {self.child} on {self.planned_for:%-d %B %Y}"


class GroupSession(models.Model):
    """Group supervision (rule C6 and Kent's group formats) with its participants."""

    class Format(models.TextChoices):
        TEAM_MEETING = "team_meeting", "Team meeting"
        APPRECIATIVE_INQUIRY = "appreciative_inquiry", "Appreciative inquiry"
        CASE_PROGRESSION = "case_progression", "Case progression"
        CASE_FORMULATION = "case_formulation", "Case formulation"
        FAMILY_SAFEGUARDING = "family_safeguarding", "Family safeguarding group case supervision"

    unit = models.ForeignKey(
        "supervision.Unit", on_delete=models.PROTECT, related_name="group_sessions"
    )
    format = models.CharField(max_length=30, choices=Format.choices)
    held_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(default=60)
    facilitator = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    participants = models.ManyToManyField(USER, related_name="group_sessions")
    # Team meetings keep minutes; the other formats record each child on a case note.
    summary = models.TextField(blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_at"]
        indexes = [models.Index(fields=["unit", "-held_at"])]

    def __str__(self):
        return f"{self.get_format_display()} on {self.held_at:%-d %B %Y}"


class CaseNote(models.Model):
    """Management oversight on a child's record, written to the child (R11), at one of the
    points of R12. A case supervision note is the fullest kind; an oversight entry at another
    point records at least the decision and its rationale.
    """

    class Kind(models.TextChoices):
        CASE_SUPERVISION = "case_supervision", "Case supervision"
        GROUP_SUPERVISION = "group_supervision", "Group case supervision"
        JOINT_SUPERVISION = "joint_supervision", "Joint supervision"
        ALLOCATION = "allocation", "Allocation"
        ASSESSMENT_AUTHORISED = "assessment_authorised", "Assessment authorised"
        PLAN_SIGNED_OFF = "plan_signed_off", "Review or plan signed off"
        STEP_UP = "step_up", "Step up"
        STEP_DOWN = "step_down", "Step down"
        STEP_ACROSS = "step_across", "Step across"
        STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion approved"
        CASE_PROGRESSION = "case_progression", "Case progression"
        TRANSFER = "transfer", "Transfer"
        CLOSURE = "closure", "Closure"
        AUDIT = "audit", "Audit or moderation"
        APPRECIATIVE_INQUIRY = "appreciative_inquiry", "Appreciative inquiry"
        PRACTICE_OBSERVATION = "practice_observation", "Practice observation"
        AD_HOC = "ad_hoc", "Ad hoc (unplanned) oversight"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FINAL = "final", "Final"

    class NeglectAnswer(models.TextChoices):
        ARRANGED = "arranged", "Yes: arranged or in place"
        NOT_NEEDED = "not_needed", "Considered: not needed now"
        NOT_CONSIDERED = "not_considered", "Not yet considered"

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="notes")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    session = models.ForeignKey(
        "supervision.SupervisionSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_notes",
    )
    group_session = models.ForeignKey(
        GroupSession, null=True, blank=True, on_delete=models.PROTECT, related_name="case_notes"
    )
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="case_notes_written")
    # The worker and the service as they stood on the day: C1 and C4 ask about them, and the
    # child may since have moved on.
    worker = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("supervision.Unit", on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=20, choices=Service.choices)
    discussed_at = models.DateTimeField()
    current_situation = models.TextField(blank=True)
    working_well = models.TextField("what is working well", blank=True)
    worries = models.TextField("worries and risks", blank=True)
    decision = models.TextField("decision and direction", blank=True)
    reasons = models.TextField("reasons for the decision", blank=True)
    next_review_on = models.DateField(null=True, blank=True)
    # Case formulation's four Ps (Kent's youth justice group format).
    predisposing = models.TextField("predisposing factors", blank=True)
    precipitating = models.TextField("precipitating factors", blank=True)
    perpetuating = models.TextField("perpetuating factors", blank=True)
    protective = models.TextField("protective factors", blank=True)
    # C8: for a child on a child protection plan for chronic neglect.
    neglect_home_conditions = models.CharField(
        "independent review of home conditions",
        max_length=20,
        choices=NeglectAnswer.choices,
        blank=True,
    )
    neglect_chronology = models.CharField(
        "review of the chronology", max_length=20, choices=NeglectAnswer.choices, blank=True
    )
    neglect_written_agreements = models.CharField(
        "review of written agreements", max_length=20, choices=NeglectAnswer.choices, blank=True
    )
    neglect_comment = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    content_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-discussed_at", "-pk"]
        indexes = [
            models.Index(fields=["child", "-discussed_at"]),
            models.Index(fields=["worker", "-discussed_at"]),
        ]
        constraints = [
            # A child is written up once per group session.
            models.UniqueConstraint(
                fields=["group_session", "child"],
                condition=Q(group_session__isnull=False),
                name="one_note_per_child_per_group_session",
            ),
        ]

    # Formal case supervision in the sense of C1, C4 and C6: planned 1:1, joint or group.
    FORMAL_SUPERVISION = (Kind.CASE_SUPERVISION, Kind.GROUP_SUPERVISION, Kind.JOINT_SUPERVISION)

    def __str__(self):
        # The London day: a note made just after midnight in summer is still 23:xx in UTC.
        when = f"{timezone.localtime(self.discussed_at):%-d %B %Y}"
        return f"{self.get_kind_display()} for {self.child.reference} on {when}"

    def save(self, *args, **kwargs):
        if self.pk and CaseNote.objects.filter(pk=self.pk, status=CaseNote.Status.FINAL).exists():
            raise FinalisedNoteError("A final case note cannot be changed.")
        super().save(*args, **kwargs)

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL

    @property
    def is_formal_supervision(self) -> bool:
        return self.kind in self.FORMAL_SUPERVISION


class CaseNoteAction(models.Model):
    """A SMART action: what, who, by when (R4)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "No longer needed"

    note = models.ForeignKey(CaseNote, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="case_actions"
    )
    owner_name = models.CharField(
        max_length=200, blank=True, help_text="Someone outside the organisation, such as a parent."
    )
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | ~Q(owner_name=""),
                name="case_action_has_owner",
            ),
        ]

    def __str__(self):
        return self.description[:60]


class CaseNoteAttachment(Attachment):
    """A file attached to a case note while it is a draft (an appreciative-inquiry form, a
    scanned handwritten note): on the child's record for good once the note is final."""

    note = models.ForeignKey(CaseNote, on_delete=models.PROTECT, related_name="attachments")

    class Meta(Attachment.Meta):
        pass

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self._refuse_if_final()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_final()
        return super().delete(*args, **kwargs)

    def _refuse_if_final(self):
        # Asks the database, not the note in hand, which may be stale.
        if CaseNote.objects.filter(pk=self.note_id, status=CaseNote.Status.FINAL).exists():
            raise FinalisedNoteError("A final case note cannot be changed.")


class ProgressionMove(models.Model):
    """A child's tile moving on the case progression board, forwards or back."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="progression_moves")
    from_stage = models.PositiveSmallIntegerField(choices=ProgressionStage.choices)
    to_stage = models.PositiveSmallIntegerField(choices=ProgressionStage.choices)
    note = models.CharField(max_length=500, blank=True)
    group_session = models.ForeignKey(
        GroupSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="moves"
    )
    moved_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField()

    class Meta:
        ordering = ["moved_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_stage=F("to_stage")), name="progression_move_changes_stage"
            ),
        ]

    def __str__(self):
        return f"{self.child} moved to {self.get_to_stage_display()}"


class FrontDoorSession(models.Model):
    """Front-door case supervision (C7): at least two families a session, by reference only."""

    class Criterion(models.TextChoices):
        STRATEGY = "strategy", "Subject of a strategy discussion"
        SOCIAL_WORK_ASSESSMENT = "sw_assessment", "Progressed to a social work assessment"
        EARLY_HELP = "early_help", "Progressed for early help"
        ADVICE = "advice", "Information, advice and guidance given"

    supervisor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    supervisee = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="front_door_sessions"
    )
    held_at = models.DateTimeField()
    reflections = models.TextField("reflections on process and practice", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_at"]

    def __str__(self):
        return f"Front-door supervision of {self.supervisee} on {self.held_at:%-d %B %Y}"


class FrontDoorDiscussion(models.Model):
    session = models.ForeignKey(
        FrontDoorSession, on_delete=models.CASCADE, related_name="discussions"
    )
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+")
    criterion = models.CharField(max_length=20, choices=FrontDoorSession.Criterion.choices)
    discussion = models.TextField()
    learning = models.TextField("learning and actions", blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "child"], name="front_door_child_once")
        ]

    def __str__(self):
        return f"{self.child.reference} at {self.session}"


# The kinds of note that record a full discussion: every heading of the form is theirs.
FULL_KINDS = (
    CaseNote.Kind.CASE_SUPERVISION,
    CaseNote.Kind.GROUP_SUPERVISION,
    CaseNote.Kind.JOINT_SUPERVISION,
    CaseNote.Kind.AD_HOC,
)
