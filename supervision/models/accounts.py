from django.db import models


class IdentityFailure(models.Model):
    """One failed attempt to prove who one is: a wrong password or code at sign-in, or when
    confirming one's identity to sign. Counted by supervision.accounts.limits over the last
    few minutes; the audit trail keeps every failure for good, so these rows are pruned."""

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", "Signing in"
        CONFIRM = "confirm", "Confirming identity to sign"

    at = models.DateTimeField(db_index=True)
    # The address typed, case-folded and trimmed, whether or not an account has it.
    account = models.CharField(max_length=254)
    address = models.GenericIPAddressField(null=True, blank=True)
    # The id of the browser's trusted-device cookie for this account, when it had one.
    device = models.CharField(max_length=64, blank=True)
    purpose = models.CharField(max_length=10, choices=Purpose.choices)

    class Meta:
        indexes = [
            models.Index(fields=["account", "at"]),
            models.Index(fields=["address", "at"]),
            models.Index(fields=["device", "at"]),
        ]

    def __str__(self):
        return (
            f"{self.get_purpose_display()} failed for {self.account} at {self.at:%Y-%m-%d %H:%M:%S}"
        )
