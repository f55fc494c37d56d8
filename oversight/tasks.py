import os
import socket

from celery import shared_task
from django.db import connection


@shared_task
def worker_ping() -> dict:
    """Proves a worker is consuming the queue and can reach the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"pid": os.getpid(), "host": socket.gethostname(), "database": connection.vendor}
