"""Diagnostic background task: proves that a worker is consuming the queue and can reach the database."""

import os
import socket

from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import db_task

# A check nobody waits for any more must not run minutes later on a worker that starts late.
HEALTHCHECK_EXPIRES_SECONDS = 120


@db_task(expires=HEALTHCHECK_EXPIRES_SECONDS)
def healthcheck_task(nonce: str) -> dict:
    """Answer who ran it, when, and with which database; ``nonce`` is echoed back to the asker."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {
        "nonce": nonce,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "database": connection.vendor,
        "ran_at": timezone.now().isoformat(),
    }
