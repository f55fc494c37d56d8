"""Supervision agreements (rules A1–A3; Kent's agreement template).

One agreement per supervisory relationship at a time, drawn up jointly, signed by both and
then locked. A review makes a new version and keeps the old one; a change of supervisor
supersedes the agreement, and the new relationship has none until both sign one.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

USER = settings.AUTH_USER_MODEL


class AgreementLockedError(Exception):
    """A signed agreement never changes: a review makes a new version."""


class SupervisionAgreement(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Signed and in force"
        SUPERSEDED = "superseded", "Superseded"

    class FrequencyUnit(models.TextChoices):
        WEEKS = "weeks", "weeks"
        MONTHS = "months", "months"

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        VIRTUAL = "virtual", "Virtual"
        EITHER = "either", "In person or virtual, as agreed each time"

    relationship = models.ForeignKey(
        "supervision.SupervisoryRelationship", on_delete=models.PROTECT, related_name="agreements"
    )
    version = models.PositiveIntegerField(default=1)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    starts_on = models.DateField()
    review_due_on = models.DateField("review date")
    # Read by the due-date rules: how often supervision happens, and for how long.
    frequency_value = models.PositiveSmallIntegerField("frequency", null=True)
    frequency_unit = models.CharField(
        max_length=10, choices=FrequencyUnit.choices, default=FrequencyUnit.MONTHS
    )
    duration_minutes = models.PositiveSmallIntegerField("duration in minutes", default=90)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.IN_PERSON)
    purpose_and_aims = models.TextField("purpose and aims")
    agenda_expectations = models.TextField("agenda")
    contact_between_sessions = models.TextField("contact between sessions")
    cover_when_absent = models.TextField("who covers when the supervisor is away")
    records_and_signing = models.TextField("how records are kept and signed")
    confidentiality = models.TextField("confidentiality and its limits")
    supervisee_expectations = models.TextField("expectations of the supervisee")
    supervisor_expectations = models.TextField("expectations of the supervisor")
    resolving_differences = models.TextField("how differences are resolved")
    specific_provisions = models.TextField(
        "specific provisions",
        blank=True,
        help_text="Differences of background, gender, race; power; anything else agreed.",
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    content_hash = models.CharField(max_length=64, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["relationship", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "version"], name="agreement_version_unique"
            ),
            models.UniqueConstraint(
                fields=["relationship"],
                condition=Q(status="active"),
                name="one_agreement_in_force_per_relationship",
            ),
            models.UniqueConstraint(
                fields=["relationship"],
                condition=Q(status="draft"),
                name="one_draft_agreement_per_relationship",
            ),
            models.CheckConstraint(
                condition=Q(frequency_value__isnull=True) | Q(frequency_value__gte=1),
                name="agreement_frequency_at_least_one",
            ),
            models.CheckConstraint(
                condition=Q(review_due_on__gt=F("starts_on")),
                name="agreement_review_after_start",
            ),
        ]

    def __str__(self):
        return f"Supervision agreement v{self.version}: {self.relationship}"

    def save(self, *args, **kwargs):
        # Asks the database, not this object, which may be stale.
        if (
            self.pk
            and SupervisionAgreement.objects.filter(
                pk=self.pk, status__in=[self.Status.ACTIVE, self.Status.SUPERSEDED]
            ).exists()
        ):
            raise AgreementLockedError("A signed agreement cannot be changed; review it instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status != self.Status.DRAFT or self.signatures.exists():
            raise AgreementLockedError("A signed agreement cannot be deleted.")
        return super().delete(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.frequency_value is None:
            errors["frequency_value"] = "Enter how often supervision will happen"
        elif self.frequency_value < 1:
            errors["frequency_value"] = "Enter a frequency of at least 1"
        if self.starts_on and self.review_due_on and self.review_due_on <= self.starts_on:
            errors["review_due_on"] = "Enter a review date after the start date"
        if self.duration_minutes is not None and not 15 <= self.duration_minutes <= 240:
            errors["duration_minutes"] = "Enter a duration between 15 and 240 minutes"
        if errors:
            raise ValidationError(errors)

    @property
    def frequency_display(self) -> str:
        if self.frequency_value is None:
            return "Not agreed"
        unit = self.get_frequency_unit_display()
        return f"Every {self.frequency_value} {unit[:-1] if self.frequency_value == 1 else unit}"

    CONTENT_FIELDS = (
        "starts_on",
        "review_due_on",
        "frequency_value",
        "frequency_unit",
        "duration_minutes",
        "mode",
        "purpose_and_aims",
        "agenda_expectations",
        "contact_between_sessions",
        "cover_when_absent",
        "records_and_signing",
        "confidentiality",
        "supervisee_expectations",
        "supervisor_expectations",
        "resolving_differences",
        "specific_provisions",
    )
    TEXT_SECTIONS = CONTENT_FIELDS[6:]


class AgreementSignature(models.Model):
    class Role(models.TextChoices):
        SUPERVISEE = "supervisee", "Supervisee"
        SUPERVISOR = "supervisor", "Supervisor"

    agreement = models.ForeignKey(
        SupervisionAgreement, on_delete=models.PROTECT, related_name="signatures"
    )
    signer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=Role.choices)
    signed_at = models.DateTimeField()
    method = models.CharField(max_length=100, default="Password re-entered in the browser")
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "role"], name="one_signature_per_side")
        ]

    def __str__(self):
        return f"{self.signer} signed as {self.role}"
