"""The development side of a person's supervision file (rules Q1, Q2, Q3, Q5, after Kent's
policy: practice observations on its observation form, development conversations, probation
reviews, and personal and team wellbeing plans).

Each item belongs to the person, not to a supervisory relationship, so it passes with the file
to a new supervisor (S1). Signed items freeze once both people have signed; wellbeing plans
never change in place: a review writes a new version and the old one is kept.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

USER = settings.AUTH_USER_MODEL


class DevelopmentRecordLockedError(Exception):
    """Signed by both, or superseded by a newer version: the item no longer changes."""


class SignedByBoth(models.Model):
    """Something two people sign. Once both have signed, the row refuses any further write,
    whoever asks: the services refuse first, with a message a person can act on."""

    signed_by_both_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._signed_by_both_in_db():
            raise DevelopmentRecordLockedError(
                f"This {self._meta.verbose_name} has been signed by both and cannot be changed."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.pk and self.signatures.exists():
            raise DevelopmentRecordLockedError(
                f"A signed {self._meta.verbose_name} cannot be deleted."
            )
        return super().delete(*args, **kwargs)

    def _signed_by_both_in_db(self) -> bool:
        # Asks the database, not this object, which may be stale.
        return bool(self.pk) and (
            type(self).objects.filter(pk=self.pk, signed_by_both_at__isnull=False).exists()
        )

    @property
    def is_locked(self) -> bool:
        return self.signed_by_both_at is not None


class DevelopmentSignature(models.Model):
    """A signature: who, when (UTC) and the SHA-256 of the canonical content they signed."""

    signer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    method = models.CharField(max_length=100, default="Password re-entered in the browser")
    content_hash = models.CharField(max_length=64)

    class Meta:
        abstract = True
        ordering = ["signed_at"]

    def __str__(self):
        return f"{self.signer} signed as {self.role}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise DevelopmentRecordLockedError("A signature never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DevelopmentRecordLockedError("A signature cannot be deleted.")


class PracticeObservation(SignedByBoth):
    """A formal observation of direct work (rule Q1, on Kent's observation of practice form).
    The observer writes and signs the feedback first; the practitioner then adds comments and
    signs."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OBSERVER_SIGNED = "observer_signed", "Waiting for the practitioner"
        SIGNED = "signed", "Signed by both"

    practitioner = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="practice_observations"
    )
    # As it stood on the day: roles change over a career and a signed form must not.
    practitioner_role = models.CharField("role of observed practitioner", max_length=200)
    observer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="observations_made")
    observer_role = models.CharField(
        "role of observer",
        max_length=200,
        help_text="For example, line manager, practice educator or senior practitioner.",
    )
    observed_on = models.DateField("date of observation")
    observed_at_time = models.TimeField("time of observation", null=True, blank=True)
    venue = models.CharField(max_length=200)
    permission_gained = models.BooleanField(default=False)
    permission_details = models.TextField(
        "who gave permission",
        blank=True,
        help_text="Service users and colleagues, as appropriate.",
    )
    background = models.TextField("background to the observation", blank=True)
    observer_feedback = models.TextField("feedback from observer", blank=True)
    practitioner_comments = models.TextField("comments from practitioner", blank=True)
    development_areas = models.TextField("agreed areas for development", blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Written and signed by the observer; the practitioner's comments come after.
    OBSERVER_FIELDS = (
        "observed_on",
        "observed_at_time",
        "venue",
        "permission_gained",
        "permission_details",
        "background",
        "observer_feedback",
        "development_areas",
    )

    class Meta:
        verbose_name = "practice observation"
        ordering = ["-observed_on", "-pk"]
        indexes = [models.Index(fields=["practitioner", "-observed_on"])]
        constraints = [
            # No observation of a family's life is kept without their permission.
            models.CheckConstraint(
                condition=Q(permission_gained=True), name="observation_has_permission"
            ),
            models.CheckConstraint(
                condition=~Q(observer=F("practitioner")), name="observation_not_of_self"
            ),
        ]

    def __str__(self):
        return f"Practice observation of {self.practitioner} on {self.observed_on:%-d %B %Y}"


class ObservationSignature(DevelopmentSignature):
    class Role(models.TextChoices):
        OBSERVER = "observer", "Observer"
        PRACTITIONER = "practitioner", "Practitioner"

    observation = models.ForeignKey(
        PracticeObservation, on_delete=models.PROTECT, related_name="signatures"
    )
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta(DevelopmentSignature.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["observation", "role"], name="one_observation_signature_per_side"
            )
        ]


class DevelopmentConversation(SignedByBoth):
    """A personal development plan conversation: the plan, then its review, each year
    (rule Q2). The supervisor writes and signs; the person then signs."""

    class Kind(models.TextChoices):
        PLAN = "plan", "Development plan"
        REVIEW = "review", "Development review"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUPERVISOR_SIGNED = "supervisor_signed", "Waiting for the supervisee"
        SIGNED = "signed", "Signed by both"

    person = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="development_conversations"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    year = models.PositiveSmallIntegerField("plan year")
    held_on = models.DateField("date of the conversation")
    goals = models.TextField("development goals", blank=True)
    progress = models.TextField("progress against the goals", blank=True)
    agreed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "development conversation"
        ordering = ["-year", "kind", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "year"], name="one_development_conversation_per_year"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100), name="development_year_sane"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.year} for {self.person}"


class ConversationSignature(DevelopmentSignature):
    class Role(models.TextChoices):
        SUPERVISOR = "supervisor", "Supervisor"
        SUPERVISEE = "supervisee", "Supervisee"

    conversation = models.ForeignKey(
        DevelopmentConversation, on_delete=models.PROTECT, related_name="signatures"
    )
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta(DevelopmentSignature.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "role"], name="one_conversation_signature_per_side"
            )
        ]


class ProbationReview(models.Model):
    """The assessment of progress at the end of month 1, 4 or 5 of probation (rule Q3)."""

    class Month(models.IntegerChoices):
        ONE = 1, "End of month 1"
        FOUR = 4, "End of month 4"
        FIVE = 5, "End of month 5"

    class Outcome(models.TextChoices):
        ON_TRACK = "on_track", "On track"
        CONCERNS = "concerns", "Concerns"
        EXTEND = "extend", "Extend probation"
        CONFIRM = "confirm", "Confirm in post"
        NOT_CONFIRMED = "not_confirmed", "Not confirmed in post"

    # Confirming or not is the end of probation, decided at the last review.
    FINAL_OUTCOMES = (Outcome.CONFIRM, Outcome.NOT_CONFIRMED)

    person = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="probation_reviews")
    month = models.PositiveSmallIntegerField(choices=Month.choices)
    due_on = models.DateField()
    held_on = models.DateField("date of the review")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    notes = models.TextField("assessment of overall performance")
    reviewer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["person", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "month"], name="one_probation_review_a_month"
            ),
            models.CheckConstraint(
                condition=Q(month__in=[1, 4, 5]), name="probation_review_month_1_4_or_5"
            ),
        ]

    def __str__(self):
        return f"{self.get_month_display()} probation review of {self.person}"


class VersionedPlan(models.Model):
    """A plan that is reviewed, not edited: each review is a new row and the old one stays,
    so the file shows what was agreed at each point."""

    version = models.PositiveIntegerField(default=1)
    agreed_on = models.DateField("date agreed")
    review_on = models.DateField("review date")
    written_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise DevelopmentRecordLockedError("A plan is not edited: review it to make a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DevelopmentRecordLockedError("Earlier versions of a plan are kept.")


class WellbeingPlan(VersionedPlan):
    """A practitioner's own wellbeing plan (rule Q5). Personal: read only by the person, their
    supervisors and the line above, and by a grant holder whose grant includes personal
    sections."""

    person = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="wellbeing_plans")
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )
    keeps_me_well = models.TextField("what keeps me well at work", blank=True)
    signs_not_coping = models.TextField("signs that I am not coping", blank=True)
    what_helps = models.TextField("what helps when I am not coping", blank=True)
    support_agreed = models.TextField("support agreed")

    SECTIONS = ("keeps_me_well", "signs_not_coping", "what_helps", "support_agreed")

    class Meta:
        ordering = ["person", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["person", "version"], name="wellbeing_plan_version"),
            models.CheckConstraint(
                condition=Q(review_on__gt=F("agreed_on")), name="wellbeing_review_after_agreed"
            ),
        ]

    def __str__(self):
        return f"Wellbeing plan v{self.version} of {self.person}"


class TeamWellbeingPlan(VersionedPlan):
    """A team's wellbeing plan, made together as a team (rule Q5; Kent's template,
    which each team may adapt)."""

    unit = models.ForeignKey(
        "supervision.Unit", on_delete=models.PROTECT, related_name="wellbeing_plans"
    )
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )
    working_arrangements = models.TextField(
        "current and intended working arrangements",
        blank=True,
        help_text="In the workplace and when working remotely.",
    )
    working_styles = models.TextField("working styles and containment", blank=True)
    staying_healthy = models.TextField(
        "staying physically and mentally healthy",
        blank=True,
        help_text="At work and when working remotely.",
    )
    triggers_and_behaviours = models.TextField("triggers and behaviours", blank=True)
    plan = models.TextField("plan for team wellbeing")
    led_by = models.CharField("who leads the plan", max_length=200, blank=True)

    SECTIONS = (
        "working_arrangements",
        "working_styles",
        "staying_healthy",
        "triggers_and_behaviours",
        "plan",
        "led_by",
    )

    class Meta:
        ordering = ["unit", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "version"], name="team_wellbeing_plan_version"),
            models.CheckConstraint(
                condition=Q(review_on__gt=F("agreed_on")),
                name="team_wellbeing_review_after_agreed",
            ),
        ]

    def __str__(self):
        return f"Team wellbeing plan v{self.version} of {self.unit}"
