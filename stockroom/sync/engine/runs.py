"""Run bookkeeping of the sync engine: the state of one pass (``_Pass``), the account lease
waited for, the run's summary and its end.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from stockroom.channels.contracts import ChannelConnector
from stockroom.channels.models import ChannelAccount
from stockroom.sync.engine.issues import open_issue, resolve_issues
from stockroom.sync.locks import account_lease
from stockroom.sync.models import (
    IssueKind,
    SyncIssue,
    SyncRun,
    SyncRunStatus,
)
from stockroom.sync.tokens import store_rotated_credentials

CHECKPOINT_SECONDS = 1.0
SKIPPED_SHOWN = 5  # order ids a run's summary names when it skipped orders bought before the cut-off
LEASE_POLL_SECONDS = 0.5


class _Pass:
    """State of one run: the account, its connector, its lease and the run record's counters."""

    def __init__(self, account: ChannelAccount, run: SyncRun, connector: ChannelConnector, lease):
        self.account = account
        self.run = run
        self.connector = connector
        self.lease = lease
        self.orders_downloaded = False
        self.issues = 0
        self.open_order_issues: set[str] = set()  # external refs; read when the orders step starts
        self.cut_off: datetime | None = None  # "Do not download orders prior to", read by the orders step
        self.skipped: dict[str, None] = {}  # orders bought before the cut-off, in the order met
        self.open_report_issues: set[str] = set()  # the same, for documents that could not be read
        self.location = None  # the default location, read once when the orders step starts
        self.checkpointed = float("-inf")

    def count(self, **increments: int) -> None:
        increments = {k: v for k, v in increments.items() if v}
        if not increments:
            return
        SyncRun.objects.filter(pk=self.run.pk).update(**{k: F(k) + v for k, v in increments.items()})
        for k, v in increments.items():
            setattr(self.run, k, getattr(self.run, k) + v)

    def progress(
        self, phase: str | None = None, *, done: int | None = None, total: int | None = None
    ) -> None:
        """A checkpoint: keep the lease and show where the run is (one commit).

        A bare count of records done is written at most every CHECKPOINT_SECONDS (a page of orders
        takes milliseconds; the lease lasts minutes)."""
        now = time.monotonic()
        if phase is None and now - self.checkpointed < CHECKPOINT_SECONDS:
            return
        self.checkpointed = now
        fields = {}
        if phase is not None:
            fields["phase"] = phase
            fields["progress_total"] = total
            fields["progress_done"] = done or 0
        elif done is not None:
            fields["progress_done"] = done
        with transaction.atomic():
            self.lease.extend()
            if fields:
                SyncRun.objects.filter(pk=self.run.pk).update(**fields)
        store_rotated_credentials(self.connector)  # handed back from the read-ahead thread

    def error(self, step: str, message: str) -> None:
        self.run.errors = [*self.run.errors, f"{step}: {message}"[:2000]]
        SyncRun.objects.filter(pk=self.run.pk).update(errors=self.run.errors)

    def issue(self, **kwargs) -> SyncIssue:
        self.issues += 1
        issue = open_issue(account=self.account, run=self.run, **kwargs)
        if issue.kind == IssueKind.ORDER:
            self.open_order_issues.add(issue.external_ref)
        elif issue.kind == IssueKind.REPORT:
            self.open_report_issues.add(issue.external_ref)
        return issue

    def resolve_order_issues(
        self, external_ids: Iterable[str], *, resolution: str = "imported on a later run"
    ) -> None:
        """Resolve the open issues of orders now imported; no query when none of them has one."""
        self._resolve(IssueKind.ORDER, self.open_order_issues, external_ids, resolution)

    def resolve_report_issues(self, refs: Iterable[str]) -> None:
        """Resolve the open issues of documents now read completely; no query when none has one."""
        self._resolve(IssueKind.REPORT, self.open_report_issues, refs, "read completely on a later run")

    def _resolve(self, kind: str, open_refs: set[str], external_ids: Iterable[str], resolution: str) -> None:
        refs = {ref[:200] for ref in external_ids} & open_refs
        if refs:
            resolve_issues(account=self.account, kind=kind, external_ref=sorted(refs), resolution=resolution)
            open_refs -= refs


@contextmanager
def _account_lease_within(account_id: int, wait: float) -> Iterator:
    """``account_lease``, asking again every LEASE_POLL_SECONDS for up to ``wait`` seconds."""
    waited = 0.0
    while True:
        with account_lease(account_id) as lease:
            if lease is not None or waited >= wait:
                yield lease
                return
        _pause(LEASE_POLL_SECONDS)
        waited += LEASE_POLL_SECONDS


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def _skipped_run(account, trigger, steps, message) -> SyncRun:
    now = timezone.now()
    return SyncRun.objects.create(
        account=account,
        trigger=trigger,
        steps=",".join(steps),
        started_at=now,
        finished_at=now,
        status=SyncRunStatus.SKIPPED,
        message=message,
    )


def _summary(run: SyncRun, skipped: Sequence[str] = (), cut_off: datetime | None = None) -> str:
    parts = [
        f"{run.orders_in} order(s) downloaded ({run.orders_new} new, {run.orders_updated} updated)",
        f"{run.confirmations_sent} confirmation(s) sent",
        f"{run.stock_updates_sent} stock update(s) sent",
    ]
    if skipped and cut_off is not None:
        parts.insert(1, skipped_before_cut_off(list(skipped), cut_off))
    errors = run.order_errors + run.confirmations_failed + run.stock_update_errors + len(run.errors)
    if errors:
        parts.append(f"{errors} error(s)")
    return ", ".join(parts)


def _finish(run: SyncRun, *, failed: bool, partial: bool = False, message: str = "") -> SyncRun:
    run.refresh_from_db()
    run.status = SyncRunStatus.FAILED if failed else SyncRunStatus.PARTIAL if partial else SyncRunStatus.OK
    run.finished_at = timezone.now()
    run.message = message[:5000]
    run.phase = "Finished"
    run.save(update_fields=["status", "finished_at", "message", "phase"])
    return run


def skipped_before_cut_off(external_ids: Sequence[str], cut_off: datetime) -> str:
    """What the seller reads about orders left out by "Do not download orders prior to"."""
    shown = ", ".join(external_ids[:SKIPPED_SHOWN]) + (", ..." if len(external_ids) > SKIPPED_SHOWN else "")
    return (
        f"{len(external_ids)} order(s) skipped as bought before {cut_off:%Y-%m-%d %H:%M:%S} UTC, "
        f'"Do not download orders prior to" ({shown})'
    )
