"""What `/healthz/` reports: the database, the broker, the scheduler and the workers, each on
its own, so a monitor (and docker compose) can tell which is down."""

from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Min, Q
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from supervision.work import KINDS

# Beat sends the outbox job every 5 minutes and the flags every 15: nothing sent for this long
# means no scheduler is running.
SCHEDULER_SILENT_FOR = timedelta(minutes=30)
# Background work handed over this long ago and not taken means no worker is taking work (the
# janitor hands it over again every few minutes, so a lost message does not look like this).
WORK_WAITING_FOR = timedelta(minutes=30)


def database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return False, type(error).__name__
    return True, "answers"


def broker() -> tuple[bool, str]:
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=settings.REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=settings.REDIS_TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        except redis.RedisError as error:
            return False, type(error).__name__
        finally:
            client.close()
        return True, "Redis answers"
    queue = Path(settings.BROKER_DIR) / "queue"
    if not queue.is_dir():
        return False, "no broker folder"
    return True, "broker folder present"


def scheduler() -> tuple[bool, str]:
    try:
        last = (
            PeriodicTask.objects.filter(enabled=True, last_run_at__isnull=False)
            .order_by("-last_run_at")
            .values_list("last_run_at", flat=True)
            .first()
        )
    except DatabaseError:
        return False, "unknown: no database"
    if last is None:
        return False, "has never sent a job"
    silent = timezone.now() - last
    if silent > SCHEDULER_SILENT_FOR:
        return False, f"last sent a job {int(silent.total_seconds() // 60)} minutes ago"
    return True, f"last sent a job {int(silent.total_seconds())} seconds ago"


def workers() -> tuple[bool, str]:
    """Whether background work is being taken: down when a PDF, export or subject access
    export has waited, ready to run, for longer than WORK_WAITING_FOR. One query per kind."""
    now = timezone.now()
    waiting = failed = 0
    oldest = None
    try:
        for label in KINDS:
            model = apps.get_model(label)
            ready = Q(status=model.WAITING) & (Q(not_before__isnull=True) | Q(not_before__lte=now))
            figures = model.objects.aggregate(
                waiting=Count("pk", filter=ready),
                failed=Count("pk", filter=Q(status=model.FAILED)),
                oldest=Min(model.ASKED_AT, filter=ready),
            )
            waiting += figures["waiting"]
            failed += figures["failed"]
            if figures["oldest"] is not None and (oldest is None or figures["oldest"] < oldest):
                oldest = figures["oldest"]
    except DatabaseError:
        return False, "unknown: no database"
    said = f"{waiting} waiting, {failed} failed"
    if oldest is not None and now - oldest > WORK_WAITING_FOR:
        minutes = int((now - oldest).total_seconds() // 60)
        return False, f"{said}; the oldest has waited {minutes} minutes: no worker is taking work"
    return True, said


def report() -> dict[str, tuple[bool, str]]:
    return {
        "database": database(),
        "broker": broker(),
        "scheduler": scheduler(),
        "workers": workers(),
    }
