"""Never two workers on one account: a lease per account.

With ``settings.REDIS_URL`` the lease is a redis-py ``Lock`` with a timeout (so a crashed worker's
lease runs out), extended by the engine at every checkpoint. Without Redis it is a row of
``AccountLease`` taken by an atomic compare-and-set on ``locked_until`` (one UPDATE ... WHERE), which
works across processes on SQLite and PostgreSQL alike.

A worker that cannot take the lease skips the account; a worker that finds its lease lost (it ran
past the timeout and another worker took over) stops at its next checkpoint.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from stockroom.sync.models import AccountLease

LEASE_SECONDS = 300


class LeaseLost(Exception):
    """Another worker holds the account now: stop touching it."""


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"[:100]


class DatabaseLease:
    def __init__(self, account_id: int, *, seconds: int = LEASE_SECONDS):
        self.account_id = account_id
        self.seconds = seconds
        self.owner = _owner()

    def acquire(self) -> bool:
        AccountLease.objects.bulk_create([AccountLease(account_id=self.account_id)], ignore_conflicts=True)
        now = timezone.now()
        taken = (
            AccountLease.objects.filter(account_id=self.account_id)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .update(owner=self.owner, locked_until=now + timedelta(seconds=self.seconds))
        )
        return taken == 1

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


class RedisLease:
    def __init__(self, account_id: int, *, seconds: int = LEASE_SECONDS):
        import redis

        self.account_id = account_id
        self.seconds = seconds
        client = redis.Redis.from_url(settings.REDIS_URL)
        self.lock = client.lock(
            f"{lock_prefix()}:sync:account:{account_id}", timeout=seconds, blocking=False, thread_local=False
        )

    def acquire(self) -> bool:
        return bool(self.lock.acquire(blocking=False))

    def extend(self) -> None:
        from redis.exceptions import LockError

        try:
            self.lock.extend(self.seconds, replace_ttl=True)
        except LockError as error:
            raise LeaseLost(f"the lease on account {self.account_id} was lost: {error}") from error

    def release(self) -> None:
        from redis.exceptions import LockError

        try:
            self.lock.release()
        except LockError:  # ran out meanwhile: nothing of ours to release
            pass


def lock_prefix() -> str:
    return getattr(settings, "STOCKROOM_LOCK_PREFIX", "") or settings.HUEY.get("name", "stockroom")


def new_lease(account_id: int) -> DatabaseLease | RedisLease:
    seconds = int(getattr(settings, "STOCKROOM_SYNC_LEASE_SECONDS", LEASE_SECONDS))
    if settings.REDIS_URL:
        return RedisLease(account_id, seconds=seconds)
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
