"""Background work of the sync engine (Huey). Thin: each task calls one engine function.

Tasks are idempotent (a queue may deliver twice): a sync run takes the account's lease, and every
outbox it drains is deleted by id once handled.

Stock changes reach channels within seconds: the ``stock_changed`` hook schedules
``push_stock_task`` about ``STOCKROOM_STOCK_PUSH_DELAY_SECONDS`` later, once per burst (a flag in
Huey's key-value store collapses duplicates), and the task pushes only the accounts whose listings
changed. It does not wait for the periodic full sync.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from stockroom.channels.models import ChannelAccount
from stockroom.sync import accounts, engine
from stockroom.sync.deferral import defer_stock_push
from stockroom.sync.engine import pushed_orders
from stockroom.sync.models import SyncRun, SyncRunStatus, SyncTrigger

logger = logging.getLogger(__name__)

PUSH_FLAG = "stockroom:sync:stock-push-scheduled"
LAST_FULL_SYNC = "stockroom:sync:last-full-sync"


def _push_delay() -> float:
    return float(getattr(settings, "STOCKROOM_STOCK_PUSH_DELAY_SECONDS", 1.5))


# --- hooks (named in settings.STOCKROOM_HOOKS) -------------------------------------------------------------


def hooks_enabled() -> bool:
    """False only in the test settings: other apps' tests then never reach a channel through a hook
    (their accounts point at no simulator); the sync tests switch it on."""
    return bool(getattr(settings, "STOCKROOM_SYNC_HOOKS_ENABLED", True))


def enqueue_stock_push(item_ids=(), **_) -> None:
    """``stock_changed`` hook: push soon, once per burst."""
    if not hooks_enabled():
        return
    if defer_stock_push(item_ids):
        return
    schedule_stock_push()


def schedule_stock_push() -> None:
    if HUEY.immediate:
        push_stock_task()
        return
    if HUEY.put_if_empty(PUSH_FLAG, "1"):
        push_stock_task.schedule(delay=_push_delay())


def enqueue_shipments(order_id=None, account_id=None, **_) -> None:
    """``order_dispatched`` hook: send the confirmation now rather than at the next full sync."""
    if account_id and hooks_enabled():
        send_shipments_task(account_id)


# --- tasks -----------------------------------------------------------------------------------------------


@db_task()
def push_stock_task() -> int:
    """Push changed quantities of every account with changed listings: one task per account, so the
    worker's threads push the accounts side by side (each has its own rate limits at the channel).
    Returns the accounts handed out (in-process: the runs made)."""
    if HUEY.immediate:
        runs, _ = engine.push_changed_stock()
        return len(runs)
    HUEY.get(PUSH_FLAG)  # pop the flag first: a change from now on schedules another push
    accounts = engine.accounts_to_push()
    for account in accounts:
        push_account_stock_task(account.pk)
    return len(accounts)


@db_task()
def push_account_stock_task(account_id: int) -> int | None:
    account = ChannelAccount.objects.filter(pk=account_id).first()
    if account is None:
        return None
    run = engine.push_account_stock(account)
    if run is None:  # busy: the holder may have passed its stock step already, look again shortly
        schedule_stock_push()
        return None
    return run.pk


@db_task()
def sync_account_task(account_id: int, trigger: str = SyncTrigger.MANUAL) -> int | None:
    account = ChannelAccount.objects.filter(pk=account_id).first()
    if account is None:
        return None
    run = engine.sync_account(account, trigger=trigger)
    return run.pk if run else None


class AccountBusy(Exception):
    """Another worker holds the account: the task is tried again shortly."""


@db_task(retries=5, retry_delay=2)
def import_webhook_orders_task(account_id: int) -> int | None:
    """A channel's webhook said an order changed: import the account's orders now (webhooks.py)."""
    account = ChannelAccount.objects.filter(pk=account_id, enabled=True).first()
    if account is None:
        return None
    run = engine.sync_account(account, trigger=SyncTrigger.WEBHOOK, steps=("orders",), lease_wait=5.0)
    if run is None or run.status == SyncRunStatus.SKIPPED:
        raise AccountBusy(f"account {account_id} is busy")
    return run.pk


@db_task()
def send_shipments_task(account_id: int) -> int | None:
    account = ChannelAccount.objects.filter(pk=account_id, enabled=True).first()
    if account is None:
        return None
    run = engine.sync_account(account, trigger=SyncTrigger.DISPATCH, steps=("shipments",))
    return run.pk if run else None


@db_task()
def import_listings_task(run_id: int) -> int | None:
    run = accounts.run_listings_import(run_id)
    return run.pk if run else None


def start_listings_import(account: ChannelAccount) -> tuple[SyncRun, bool]:
    """Record the import and hand it to the worker (run in-process when Huey is immediate)."""
    run, started = accounts.start_listings_import(account)
    if started:
        transaction.on_commit(lambda: import_listings_task(run.pk))
    return run, started


def due_for_full_sync() -> bool:
    """The periodic task wakes every minute; sync when the configured interval has passed."""
    interval = int(getattr(settings, "STOCKROOM_SYNC_INTERVAL_SECONDS", 60))
    last = SyncRun.objects.filter(trigger=SyncTrigger.SCHEDULE).order_by("-started_at").first()
    if last is None:
        return True
    return last.started_at <= timezone.now() - timedelta(seconds=interval) + timedelta(seconds=5)


@db_periodic_task(crontab(minute="*"))
def sync_all_accounts_task() -> int:
    HUEY.get(PUSH_FLAG)  # a lost push task must not block pushes for good
    if not due_for_full_sync():
        return 0
    return len(engine.sync_all(trigger=SyncTrigger.SCHEDULE))


ORDER_PUSHES_SECONDS = 55  # each minute's listener reads the queues this long (long polls of up to 20 s)


@db_periodic_task(crontab(minute="*"))
@HUEY.lock_task("stockroom:sync:order-pushes")
def receive_pushed_orders_task() -> int:
    """Orders pushed by channels (ADR 0016): keep the subscriptions, then read the queues for most of
    the minute; returns at once when no account uses pushes. One listener at a time (a lock)."""
    return pushed_orders.listen(seconds=ORDER_PUSHES_SECONDS)
