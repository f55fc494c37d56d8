"""Matters raised above a supervisor: a supervisee's concern about their supervision (Surrey
001 §3) and a disagreement on a record escalated to the supervisor's manager (Kent 004
Appendix C, "discuss with the Service Manager ... where not possible").

Both are one kind of row, `Concern`: raised by someone, with the person it is raised with, a
conversation of entries, and an outcome. An escalation points at its disagreement and never
changes it or its record: a signed record stays as it was signed (rule R8).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from supervision.models.organisation import Unit
from supervision.models.sessions import Disagreement

USER = settings.AUTH_USER_MODEL


class Concern(models.Model):
    class Kind(models.TextChoices):
        SUPERVISION = "supervision", "Concern about supervision"
        DISAGREEMENT = "disagreement", "Disagreement escalated"

    class Status(models.TextChoices):
        RAISED = "raised", "Raised"
        RESPONDED = "responded", "Responded"
        RESOLVED = "resolved", "Resolved"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN = (Status.RAISED, Status.RESPONDED)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RAISED)
    # Whose supervision it is about, and their supervisor on the day it was raised (for an
    # escalation, the record's signatory: the other side of the disagreement).
    supervisee = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="concerns")
    supervisor = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    # Who answers it now: resolved from the organisation when it is raised, and passed up when
    # they leave (supervision.concerns.services.concerns_pass_on), so it is never stuck.
    raised_with = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="concerns_raised_with"
    )
    # The supervisee's unit when it was raised: where the dashboard counts it, as a flag's unit.
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disagreement = models.OneToOneField(
        Disagreement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalation",
    )
    text = models.TextField()
    outcome = models.TextField(blank=True)
    raised_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="supervision", disagreement__isnull=True)
                | Q(kind="disagreement", disagreement__isnull=False),
                name="an_escalation_names_its_disagreement",
            ),
        ]
        indexes = [
            # Each person's list of what is raised with them.
            models.Index(fields=["raised_with", "status"]),
            # The dashboard counts those open at a moment, by unit.
            models.Index(fields=["unit", "raised_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class ConcernEntry(models.Model):
    """One step of a concern, in the order it happened: append-only, never edited."""

    class Kind(models.TextChoices):
        ADDED = "added", "Added to it"
        RESPONSE = "response", "Response"
        OUTCOME = "outcome", "Outcome"
        WITHDRAWN = "withdrawn", "Withdrawn"
        PASSED_ON = "passed_on", "Passed on"

    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Empty for a step the product took itself (passing on after a leaver).
    author = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.concern}"
