from django.conf import settings
from django.db import models


class Child(models.Model):
    """A child known to the service. Staff records name children by reference and initials
    only (DOMAIN R11, C7), so no name is held here."""

    reference = models.CharField("unique reference", max_length=30, unique=True)
    initials = models.CharField(max_length=5)
    date_of_birth = models.DateField(null=True, blank=True)
    unit = models.ForeignKey(
        "supervision.Unit", on_delete=models.PROTECT, related_name="children_held"
    )
    allocated_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="caseload",
    )
    allocated_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["reference"]
        verbose_name_plural = "children"

    def __str__(self):
        return f"{self.reference} ({self.initials})"
