"""What `/healthz/` reports: the database, the broker and the scheduler, each on its own, so
a monitor (and docker compose) can tell which is down."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

# Beat sends the outbox job every 5 minutes and the flags every 15: nothing sent for this long
# means no scheduler is running.
SCHEDULER_SILENT_FOR = timedelta(minutes=30)


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


def report() -> dict[str, tuple[bool, str]]:
    return {"database": database(), "broker": broker(), "scheduler": scheduler()}
