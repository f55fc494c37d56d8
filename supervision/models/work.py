"""Background work as rows: the signed PDF of a record, a large table download, a subject
access export. Each is written in the transaction that asks for it, before any task is queued;
the Celery task carries only its id. A worker takes the work by a conditional update that sets
a lease (`lease_expires_at`, `lease_owner`) and counts the attempt, so a second delivery of the
same message, or a second worker, does nothing while the lease holds. Work whose worker died
(its lease ran out, or its process is gone) or that no broker ever delivered is queued again by
the janitor (supervision.work), with back-off, until it fails for good: the person then sees
"Failed" and a "Try again" button.

The state itself is each model's own `status` field (the person reads it); the model names
which of its statuses means waiting, running, done and failed.
"""

from django.db import models


class QueuedWork(models.Model):
    attempts = models.PositiveSmallIntegerField(default=0)
    # The last time its task was handed to the broker: the janitor hands it again when it has
    # waited a while since, as a broker that was down never got it.
    queued_at = models.DateTimeField(null=True, blank=True)
    # After a failed attempt: not taken again before this (back-off).
    not_before = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # The worker process holding the lease, as "host:pid".
    lease_owner = models.CharField(max_length=200, blank=True)

    # Set by each kind of work.
    TASK_NAME = ""
    # The key of the kind in settings.BACKGROUND_WORK_LIMITS: its soft and hard time limits.
    LIMITS_KEY = ""
    WAITING = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    # When it was asked for: the field that says so.
    ASKED_AT = "created_at"
    # What the person reads when every attempt failed.
    GAVE_UP = "Something went wrong while this was being made."

    class Meta:
        abstract = True
