"""Service accounts and their tokens: how the council's other systems (Power BI, the HR and
case-management feeds) reach the API. A person's own session never does.

A token is shown once, when it is issued; only its SHA-256 is kept, with a short public
prefix to find the row by. SHA-256 rather than a slow password hash: the secret is 32 random
bytes, so there is nothing to guess, and every call checks it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from supervision.organisation.plain_text import PlainTextValidator


class Scope(models.TextChoices):
    READ_FIGURES = "read_figures", "Read figures"
    READ_PEOPLE = "read_people", "Read people"
    WRITE_IMPORTS = "write_imports", "Write imports"


SCOPE_HINTS = {
    Scope.READ_FIGURES: "Units, flags, the compliance report and the dashboard figures",
    Scope.READ_PEOPLE: (
        "Units, staff, supervisory relationships, agreements' status and sessions' dates "
        "(never what was written)"
    ),
    Scope.WRITE_IMPORTS: "The nightly staff and allocation feeds from HR and case systems",
}


class ServiceAccount(models.Model):
    """Another system of the council's, with what it may do (scopes) and the units whose
    data it may see. A unit covers everything below it, as a dashboard's drill-down does."""

    name = models.CharField(max_length=100, unique=True, validators=[PlainTextValidator("Name")])
    description = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    units = models.ManyToManyField("supervision.Unit", related_name="+", blank=True)
    read_figures = models.BooleanField(default=False)
    read_people = models.BooleanField(default=False)
    write_imports = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def scopes(self) -> list[str]:
        return [scope for scope in Scope.values if getattr(self, scope)]

    @property
    def scope_labels(self) -> list[str]:
        return [Scope(scope).label for scope in self.scopes]

    def has_scope(self, scope: str) -> bool:
        return scope in Scope.values and bool(getattr(self, scope))


class ApiToken(models.Model):
    account = models.ForeignKey(ServiceAccount, on_delete=models.PROTECT, related_name="tokens")
    # The token's first characters after "sr_", shown in lists and the audit trail so a token
    # can be named without being revealed.
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_it_is_made",
            ),
        ]

    def __str__(self):
        return f"{self.account} token sr_{self.prefix}…"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now and self.account.is_active

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"
