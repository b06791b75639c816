"""Never two workers on one account: a lease per account, that dies with its holder.

Without Redis the lease is a row of ``AccountLease`` taken by an atomic compare-and-set (one UPDATE
... WHERE), which works across processes on SQLite and PostgreSQL alike. Its ``owner`` names the
holder: host, process id and the process's start time. A lease whose holder is gone is free at once,
not when ``locked_until`` runs out:

- on the holder's own host (always the case with SQLite, a local file) the process is looked up:
  no such process, or another one that reused its id, means the holder is gone;
- on PostgreSQL the holder also keeps a session-level advisory lock on the account, which the server
  lets go when the holder's connection dies; a worker on another host that can take that advisory
  lock knows the holder is gone.

With ``settings.REDIS_URL`` the lease is a redis-py ``Lock`` with a short timeout that a heartbeat
thread of the holder renews: a holder killed with ``kill -9`` stops renewing, and the lock runs out
within ``REDIS_LEASE_SECONDS``.

``locked_until`` (and the engine's ``extend`` at every checkpoint) still bound a holder that is alive
but stuck. A worker that cannot take the lease skips the account; a worker that finds its lease lost
stops at its next checkpoint.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from stockroom.sync.models import AccountLease

LEASE_SECONDS = 300
# Redis: the lock's timeout, renewed by the holder's heartbeat every third of it
REDIS_LEASE_SECONDS = 10
# PostgreSQL advisory locks of account leases: (this class id, account id)
ADVISORY_CLASS_ID = 0x53524C53  # "SRLS"


class LeaseLost(Exception):
    """Another worker holds the account now: stop touching it."""


def _process_started(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, Linux), "" when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def _owner() -> str:
    pid = os.getpid()
    return "|".join(
        [
            socket.gethostname()[:40],
            str(pid),
            _process_started(pid),
            str(threading.get_ident()),
            uuid.uuid4().hex[:8],
        ]
    )[:100]


def holder_is_gone(owner: str) -> bool | None:
    """True when the process named by ``owner`` has ended, False when it runs, None when it cannot be
    told from here (another host, or an owner written by an older release)."""
    parts = owner.split("|")
    if len(parts) != 5 or parts[0] != socket.gethostname()[:40] or not parts[1].isdigit():
        return None
    pid, started = int(parts[1]), parts[2]
    if not _process_exists(pid):
        return True
    return bool(started) and _process_started(pid) not in ("", started)


class DatabaseLease:
    def __init__(self, account_id: int, *, seconds: int = LEASE_SECONDS):
        self.account_id = account_id
        self.seconds = seconds
        self.owner = _owner()
        self.advisory = False

    def acquire(self) -> bool:
        AccountLease.objects.bulk_create([AccountLease(account_id=self.account_id)], ignore_conflicts=True)
        now = timezone.now()
        free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
        held = AccountLease.objects.filter(account_id=self.account_id).values_list("owner", flat=True).first()
        if held and self._holder_gone(held):
            free |= Q(owner=held)  # compare-and-set on the gone holder: one taker wins
        taken = (
            AccountLease.objects.filter(account_id=self.account_id)
            .filter(free)
            .update(owner=self.owner, locked_until=now + timedelta(seconds=self.seconds))
        )
        if taken != 1:
            self._unlock_advisory()
            return False
        self._lock_advisory()
        return True

    def _holder_gone(self, owner: str) -> bool:
        gone = holder_is_gone(owner)
        if gone is None and connection.vendor == "postgresql":
            # a holder elsewhere keeps the advisory lock while its session lives
            gone = self._lock_advisory()
        return bool(gone)

    def _lock_advisory(self) -> bool:
        if connection.vendor != "postgresql" or self.advisory:
            return self.advisory
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_CLASS_ID, self.account_id])
            self.advisory = bool(cursor.fetchone()[0])
        return self.advisory

    def _unlock_advisory(self) -> None:
        if self.advisory:
            self.advisory = False
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_CLASS_ID, self.account_id])

    def extend(self) -> None:
        kept = AccountLease.objects.filter(account_id=self.account_id, owner=self.owner).update(
            locked_until=timezone.now() + timedelta(seconds=self.seconds)
        )
        if not kept:
            raise LeaseLost(f"the lease on account {self.account_id} was taken over by another worker")

    def release(self) -> None:
        AccountLease.objects.filter(account_id=self.account_id, owner=self.owner).update(
            owner="", locked_until=None
        )
        self._unlock_advisory()


class RedisLease:
    def __init__(self, account_id: int, *, seconds: int = REDIS_LEASE_SECONDS):
        import redis

        self.account_id = account_id
        self.seconds = seconds
        client = redis.Redis.from_url(settings.REDIS_URL)
        self.lock = client.lock(
            f"{lock_prefix()}:sync:account:{account_id}", timeout=seconds, blocking=False, thread_local=False
        )
        self.stopped = threading.Event()
        self.heartbeat: threading.Thread | None = None

    def acquire(self) -> bool:
        if not self.lock.acquire(blocking=False):
            return False
        self.heartbeat = threading.Thread(
            target=self._beat, name=f"lease-heartbeat-{self.account_id}", daemon=True
        )
        self.heartbeat.start()
        return True

    def _beat(self) -> None:
        from redis.exceptions import RedisError

        while not self.stopped.wait(self.seconds / 3):
            try:
                self.lock.extend(self.seconds, replace_ttl=True)
            except RedisError:  # lost or unreachable: the holder finds out at its next checkpoint
                return

    def extend(self) -> None:
        from redis.exceptions import LockError

        try:
            self.lock.extend(self.seconds, replace_ttl=True)
        except LockError as error:
            raise LeaseLost(f"the lease on account {self.account_id} was lost: {error}") from error

    def release(self) -> None:
        from redis.exceptions import LockError

        self.stopped.set()
        if self.heartbeat is not None:
            self.heartbeat.join(timeout=5)
        try:
            self.lock.release()
        except LockError:  # ran out meanwhile: nothing of ours to release
            pass


def lock_prefix() -> str:
    return getattr(settings, "STOCKROOM_LOCK_PREFIX", "") or settings.HUEY.get("name", "stockroom")


def new_lease(account_id: int) -> DatabaseLease | RedisLease:
    if settings.REDIS_URL:
        return RedisLease(account_id)
    seconds = int(getattr(settings, "STOCKROOM_SYNC_LEASE_SECONDS", LEASE_SECONDS))
    return DatabaseLease(account_id, seconds=seconds)


@contextmanager
def account_lease(account_id: int) -> Iterator[DatabaseLease | RedisLease | None]:
    """Yield the held lease, or None when another worker holds the account."""
    lease = new_lease(account_id)
    if not lease.acquire():
        yield None
        return
    try:
        yield lease
    finally:
        lease.release()
