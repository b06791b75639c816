"""Orchestration: the entry points that run the steps over accounts (``sync_all``, ``sync_account``,
the stock-change fast path).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from django.utils import timezone

from stockroom.channels.contracts import AuthFailed, ChannelError, RateLimited
from stockroom.channels.models import ChannelAccount
from stockroom.inventory.models import PendingStockPush
from stockroom.sync.engine.collect_results import _collect_results
from stockroom.sync.engine.download_orders import _download_orders
from stockroom.sync.engine.push_stock import _push_stock, accounts_with_stock_changes, fan_out_stock_changes
from stockroom.sync.engine.runs import _account_lease_within, _finish, _Pass, _skipped_run, _summary
from stockroom.sync.engine.send_shipments import _send_shipments
from stockroom.sync.locks import LeaseLost
from stockroom.sync.models import (
    ListingPushMarker,
    SyncRun,
    SyncRunStatus,
    SyncTrigger,
)
from stockroom.sync.registry import connector_for
from stockroom.sync.tokens import store_rotated_credentials

logger = logging.getLogger(__name__)

STEPS = ("orders", "shipments", "stock", "results")
# a scheduled or manual run finding its account busy (a stock push: seconds) waits this long for it
LEASE_WAIT_SECONDS = 30.0
# rounds of stock pushes that end ``sync_all`` (a round makes no new sales, so one is usually enough)
FOLLOW_UP_ROUNDS = 3


def sync_all(
    *,
    trigger: str,
    steps: Sequence[str] = STEPS,
    on_account: Callable[[ChannelAccount], None] | None = None,
    all_listings: bool = False,
) -> list[SyncRun]:
    """Every enabled account in the order added; one failing account never blocks the others.

    ``on_account`` is told of each account before its run (the CLI prints a progress line). An account
    busy with a stock push is waited for (up to LEASE_WAIT_SECONDS), not skipped: skipping would put
    its order download off by a whole sync interval. With the stock step, it ends by pushing every
    account whose listings changed after its own pass (``_push_until_current``), so a sale imported
    from the last account reaches the first in the same call, worker or not; those runs are returned
    too.
    """
    runs = []
    for account in ChannelAccount.objects.filter(enabled=True).order_by("pk"):
        if on_account is not None:
            on_account(account)
        try:
            run = sync_account(
                account,
                trigger=trigger,
                steps=steps,
                all_listings=all_listings,
                lease_wait=LEASE_WAIT_SECONDS,
            )
        except Exception:  # noqa: BLE001 - recorded in the account's run; the next account goes on
            logger.exception("sync of account %s crashed", account.pk)
            continue
        if run is not None:
            runs.append(run)
    if "stock" in steps:
        runs.extend(_push_until_current(trigger=trigger))
    return runs


def _push_until_current(*, trigger: str) -> list[SyncRun]:
    """After every account's pass: push the listings changed since their account's own stock step.

    A sale imported from a later account changes the stock of listings on accounts synchronised
    earlier in the same pass; without a worker nothing else would push them until the next sync. Each
    round pushes every account with changed listings (steps stock); it ends when none is left, or when
    a round sent nothing (what is left failed retryably and waits for the next run), at most
    FOLLOW_UP_ROUNDS rounds.
    """
    runs: list[SyncRun] = []
    for _ in range(FOLLOW_UP_ROUNDS):
        accounts = accounts_to_push()
        if not accounts:
            break
        sent = 0
        for account in accounts:
            try:
                run = sync_account(account, trigger=trigger, steps=("stock",), lease_wait=LEASE_WAIT_SECONDS)
            except Exception:  # noqa: BLE001 - recorded in the account's run; the next account goes on
                logger.exception("stock push of account %s crashed", account.pk)
                continue
            if run is not None:
                runs.append(run)
                sent += run.stock_updates_sent
        if not sent:
            break
    return runs


def sync_account(
    account: ChannelAccount,
    *,
    trigger: str,
    steps: Sequence[str] = STEPS,
    all_listings: bool = False,
    lease_wait: float = 0.0,
) -> SyncRun | None:
    """One pass over ``account``. Returns its run record (status skipped when another worker holds
    the account or the account is disabled); None for a stock-change push that found the account busy.

    ``all_listings`` compares every linked listing's quantity, not only those whose stock changed.
    ``lease_wait``: seconds to wait for another worker to let go of the account before skipping it
    (a stock-change push never waits).
    """
    steps = [s for s in STEPS if s in steps]
    if not account.enabled:
        return _skipped_run(account, trigger, steps, "the account is disabled: enable it to synchronise")
    wait = 0.0 if trigger == SyncTrigger.STOCK_CHANGE else lease_wait
    with _account_lease_within(account.pk, wait) as lease:
        if lease is None:
            if trigger == SyncTrigger.STOCK_CHANGE:
                return None
            return _skipped_run(account, trigger, steps, "another worker is synchronising this account")
        # we hold the lease: a run of this account still marked running belongs to a dead worker
        SyncRun.objects.filter(account=account, status=SyncRunStatus.RUNNING).update(
            status=SyncRunStatus.FAILED,
            finished_at=timezone.now(),
            phase="Interrupted",
            message="interrupted: the worker stopped before the run finished; the next run carried on",
        )
        run = SyncRun.objects.create(
            account=account,
            trigger=trigger,
            steps=",".join(steps),
            started_at=timezone.now(),
            phase="Starting",
        )
        try:
            connector = connector_for(account)
        except Exception as error:  # noqa: BLE001 - unknown channel, bad options: the run fails visibly
            logger.exception("no connector for account %s", account.pk)
            return _finish(run, failed=True, message=f"cannot talk to the channel: {error}")
        current = _Pass(account, run, connector, lease)
        try:
            with connector:  # closed when the run ends, however it ends: its HTTP clients with it
                failed_steps, fatal = _run_steps(current, steps, all_listings=all_listings)
        finally:
            store_rotated_credentials(connector)
        failed = bool(fatal) or (failed_steps == len(steps) and failed_steps > 0)
        # an error recorded without failing its step (a record the channel will get again) still needs
        # the seller's attention: the run is not OK
        partial = failed_steps > 0 or current.issues > 0 or bool(current.run.errors)
        return _finish(
            run,
            failed=failed,
            partial=partial,
            message=fatal or _summary(run, current.skipped, current.cut_off),
        )


def _run_steps(current: _Pass, steps: Sequence[str], *, all_listings: bool) -> tuple[int, str]:
    """Run the steps in order; returns how many failed and the error that ended the run ("" if none)."""
    failed_steps = 0
    for step in steps:
        try:
            STEP_FUNCTIONS[step](current, all_listings=all_listings)
        except RateLimited as error:
            failed_steps += 1
            current.error(step, f"rate limited by the channel; carried on in the next run ({error.message})")
        except AuthFailed as error:
            current.error(step, error.message)
            return failed_steps + 1, error.message
        except ChannelError as error:
            failed_steps += 1
            current.error(step, error.message)
        except LeaseLost as error:
            current.error(step, str(error))
            return failed_steps + 1, str(error)
        except Exception as error:  # noqa: BLE001 - a bug in one step must not hide the others' work
            logger.exception("sync step %s of account %s failed", step, current.account.pk)
            failed_steps += 1
            current.error(step, f"internal error: {error}")
    return failed_steps, ""


STEP_FUNCTIONS = {
    "orders": _download_orders,
    "shipments": _send_shipments,
    "stock": _push_stock,
    "results": _collect_results,
}


# --- the stock-change fast path -------------------------------------------------------------------------


def accounts_to_push() -> list[ChannelAccount]:
    """Fan the stock-change outbox out to listings; the accounts that now have listings to push."""
    if not PendingStockPush.objects.exists() and not ListingPushMarker.objects.exists():
        return []
    fan_out_stock_changes()
    return accounts_with_stock_changes()


def push_account_stock(account: ChannelAccount) -> SyncRun | None:
    """Push one account's changed listings now (stock and results steps); None when it is busy."""
    return sync_account(account, trigger=SyncTrigger.STOCK_CHANGE, steps=("stock",))


def push_changed_stock() -> tuple[list[SyncRun], list[ChannelAccount]]:
    """Fan the outbox out and push every account with changed listings now (stock and results steps).

    Returns the runs made and the accounts skipped because another worker held them.
    """
    runs, busy = [], []
    for account in accounts_to_push():
        run = push_account_stock(account)
        if run is None:
            busy.append(account)
        else:
            runs.append(run)
    return runs, busy
