"""Helpers for the concurrency tests of the sync engine."""

import threading

from django.db import connection

from stockroom.sync import engine
from stockroom.sync.models import SyncRun


def sync_all_in_threads(count: int = 2, *, timeout: float = 120) -> list[Exception]:
    """Run ``engine.sync_all`` in ``count`` threads released together; returns their errors."""
    barrier = threading.Barrier(count)
    errors = []

    def worker():
        try:
            barrier.wait()
            engine.sync_all(trigger="schedule")
        except Exception as error:  # returned to the test, which asserts there are none
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a sync thread hung"
    return errors


def runs_that_worked(account) -> list[SyncRun]:
    """The account's runs that held the lease, oldest first; asserts no two overlapped in time."""
    runs = list(
        SyncRun.objects.filter(account=account).exclude(status="skipped").order_by("started_at", "pk")
    )
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert earlier.finished_at is not None, f"run {earlier.pk} never finished"
        assert earlier.finished_at <= later.started_at, f"runs {earlier.pk} and {later.pk} overlap"
    return runs
