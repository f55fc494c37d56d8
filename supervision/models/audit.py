"""The audit trail's rows: an append-only log of every read, write, sign-in and refusal,
chained by SHA-256. Part of the organisation's bottom layer, so every package above can write
to it. The tables keep the names they were created with."""

import hashlib
import json

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_OUT = "sign_out", "Signed out"
    READ = "read", "Read"
    WRITE = "write", "Changed"
    DENIED = "denied", "Access denied"
    EXPORT = "export", "Exported"
    DOWNLOAD = "download", "Downloaded"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AuditEvent(models.Model):
    """One entry of the append-only audit log, chained to the one before by SHA-256.

    `sequence` is assigned under a lock on AuditChainHead, so the chain has no forks and no
    gaps: a missing entry shows as a gap, an edited one as a hash that no longer matches.
    """

    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # The member of staff whose file the object belongs to, so "who has seen this person's
    # file" is one indexed query.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64, editable=False)
    content_hash = models.CharField(max_length=64, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        db_table = "oversight_auditevent"
        ordering = ["-sequence"]
        indexes = [
            models.Index(fields=["subject", "-sequence"]),
            models.Index(fields=["actor", "-sequence"]),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")

    OBJECT_LABELS = {
        "staff_file": "supervision file",
        "staff_file_access_log": "file access log",
        "access_grant": "access grant",
        "supervisory_relationship": "supervisory relationship",
        "audit_log": "access log",
        "page": "page",
        "admin_change": "change in the Django admin",
        "set_password_link": "link to set their password",
    }
    # Entries whose reason is shown on the access log: the reason is why someone who is not
    # the person took a copy of everything held about them.
    REASON_SHOWN = {"subject_access_export"}

    @property
    def object_label(self) -> str:
        return self.OBJECT_LABELS.get(self.object_type, self.object_type.replace("_", " "))

    @property
    def reason_shown(self) -> str:
        if self.object_type not in self.REASON_SHOWN or not isinstance(self.detail, dict):
            return ""
        return str(self.detail.get("reason", ""))

    def canonical_content(self) -> bytes:
        return json.dumps(self._content(), sort_keys=True, separators=(",", ":")).encode()

    def _content(self) -> dict:
        return {
            "sequence": self.sequence,
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "subject": self.subject_id,
            "path": self.path,
            "ip_address": self.ip_address,
            "detail": self.detail,
            "previous_hash": self.previous_hash,
        }

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical_content()).hexdigest()

    def content_around_the_link(self) -> tuple[str, str]:
        """`canonical_content` without its link to the chain, as the text before the previous
        hash and the text after the sequence: the database, holding the chain's head, puts the
        two between them and hashes the whole (supervision.organisation.audit), so the entry is
        chained in one statement. The keys are sorted: "previous_hash", "sequence" and "subject"
        come last, in that order, and "subject" holds a number or null, so the text cut at is
        found only where it is meant to be."""
        content = self._content()
        del content["previous_hash"], content["sequence"]
        text = json.dumps(content, sort_keys=True, separators=(",", ":"))
        cut = text.rindex(',"subject":')
        return text[:cut] + ',"previous_hash":"', text[cut:]


GENESIS_HASH = "0" * 64


class AuditChainHead(models.Model):
    """A single row holding the last sequence and hash. Each entry moves it on in the statement
    that writes the entry (supervision.organisation.audit), which locks it until committed, so
    entries are chained one at a time even with many web and worker processes."""

    sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        db_table = "oversight_auditchainhead"

    def __str__(self):
        return f"Audit chain at #{self.sequence}"
