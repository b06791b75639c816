"""The sync engine: the only caller of channel connectors.

``sync_account`` runs one pass over an account, in steps:

1. ``orders``: download orders page by page (``connector.fetch_orders``, read one page ahead in a
   thread while the page before is stored); the page's orders new to the book are created in one
   transaction (``orders.services.import_new_channel_orders``, which allocates), every other order (known, shipped or cancelled on arrival, invalid, repeated) in one
   atomic block of its own through ``orders.services.import_channel_order``; a failing order becomes
   a ``SyncIssue`` with its raw data and the run goes on. The stored cursor advances to a page's
   ``next_cursor`` once every order of that page is stored (a connector gives one where a stopped run
   can resume, e.g. Amazon's next-page token; otherwise on the final page only). An order bought before the account's cut-off ("Do not
   download orders prior to") is left out, unless already in the book, and counted in the run.
2. ``shipments``: send pending shipping confirmations (the ``orders.ChannelShipment`` outbox),
   journaled in ``ChannelWrite`` before sending; marked sent in the same transaction as the journal
   row is confirmed.
3. ``stock``: fan the shared ``inventory.PendingStockPush`` outbox out into per-listing markers
   (offering new stock to waiting orders first), then push the changed quantities of this account's
   listings (``connector.push_stock``), skipping unchanged ones.
4. ``results``: collect the results of earlier stock submissions (``connector.collect_stock_results``).

A ``RateLimited`` error ends the step it happened in (recorded; the next run carries on). A lease per
account (``stockroom.sync.locks``) keeps two workers off one account. See docs/adr/0006-sync-engine.md.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from stockroom.channels.contracts import (
    Address,
    AuthFailed,
    ChannelConnector,
    ChannelError,
    ChannelOrder,
    ChannelOrderLine,
    ChannelOrderStatus,
    RateLimited,
    ShipmentConfirmation,
    ShipmentLine,
    StockUpdate,
    WriteOutcome,
)
from stockroom.channels.models import ChannelAccount, Listing, ListingStatus, ListingStatusLog
from stockroom.core.bulk import commit_without_waiting_for_disk
from stockroom.core.errors import StockroomError
from stockroom.core.text import clean_text
from stockroom.inventory.models import PendingStockPush
from stockroom.inventory.selectors import available_to_sell_many
from stockroom.orders.models import ChannelShipment, ShipmentStatus
from stockroom.orders.models import ShipmentLine as ShipmentLineRow
from stockroom.orders.selectors import orders_in_book
from stockroom.orders.services import (
    allocate_waiting_orders,
    import_channel_order,
    import_new_channel_orders,
    record_event,
)
from stockroom.sync.accounts import orders_since
from stockroom.sync.deferral import stock_pushes_deferred
from stockroom.sync.locks import LeaseLost, account_lease
from stockroom.sync.models import (
    ChannelWrite,
    IssueKind,
    IssueStatus,
    ListingPushMarker,
    PendingSubmission,
    RetryAction,
    SyncCursor,
    SyncIssue,
    SyncRun,
    SyncRunStatus,
    SyncTrigger,
    WriteKind,
    WriteStatus,
)
from stockroom.sync.readahead import read_ahead
from stockroom.sync.registry import connector_for

logger = logging.getLogger(__name__)

STEPS = ("orders", "shipments", "stock", "results")
ORDERS_STREAM = "orders"
SHIPMENT_BATCH = 50
BULK_CHUNK = 1000  # rows per bulk statement
FAN_OUT_BATCH = 5000
SKIPPED_SHOWN = 5  # order ids a run's summary names when it skipped orders bought before the cut-off
CUT_OFF_RESOLUTION = "bought before the account's cut-off: not imported"
CHECKPOINT_SECONDS = 1.0
# a scheduled or manual run finding its account busy (a stock push: seconds) waits this long for it
LEASE_WAIT_SECONDS = 30.0
LEASE_POLL_SECONDS = 0.5
# rounds of stock pushes that end ``sync_all`` (a round makes no new sales, so one is usually enough)
FOLLOW_UP_ROUNDS = 3


def _in_doubt_grace() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "STOCKROOM_SYNC_IN_DOUBT_GRACE_SECONDS", 180)))


# --- run bookkeeping -----------------------------------------------------------------------------------


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


def open_issue(
    *,
    account: ChannelAccount,
    kind: str,
    external_ref: str,
    message: str,
    raw_data: str = "",
    retry_action: str,
    run: SyncRun | None = None,
) -> SyncIssue:
    """Open an issue for a failing record, or bump the open one (one open issue per record).

    What a channel sent is kept as text any database stores: control characters (NUL...) are removed
    from the reference and message and written as escapes in the raw data."""
    external_ref = clean_text(external_ref)[:200]
    message = clean_text(message)
    raw_data = _storable(raw_data)
    with transaction.atomic():
        issue = (
            SyncIssue.objects.select_for_update()
            .filter(account=account, kind=kind, external_ref=external_ref, status=IssueStatus.OPEN)
            .first()
        )
        if issue is None:
            return SyncIssue.objects.create(
                account=account,
                run=run,
                kind=kind,
                external_ref=external_ref,
                message=message,
                raw_data=raw_data,
                retry_action=retry_action,
            )
        issue.attempts += 1
        issue.message = message
        issue.run = run or issue.run
        if raw_data:
            issue.raw_data = raw_data
        issue.save()
        return issue


def _storable(text: str) -> str:
    """``text`` with NUL and the other control characters but tab and line breaks as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text or "")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def resolve_issues(
    *, account: ChannelAccount, kind: str, external_ref: str | Sequence[str], resolution: str
) -> int:
    """Resolve the open issues of one record, or of several (``external_ref`` a list) in one query."""
    refs = [external_ref] if isinstance(external_ref, str) else list(external_ref)
    return SyncIssue.objects.filter(
        account=account,
        kind=kind,
        external_ref__in=[(ref or "")[:200] for ref in refs],
        status=IssueStatus.OPEN,
    ).update(status=IssueStatus.RESOLVED, resolved_at=timezone.now(), resolution=resolution[:300])


# --- entry points ----------------------------------------------------------------------------------------


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
        failed_steps = 0
        fatal = ""
        for step in steps:
            try:
                STEP_FUNCTIONS[step](current, all_listings=all_listings)
            except RateLimited as error:
                failed_steps += 1
                current.error(
                    step, f"rate limited by the channel; carried on in the next run ({error.message})"
                )
            except AuthFailed as error:
                failed_steps += 1
                current.error(step, error.message)
                fatal = error.message
                break
            except ChannelError as error:
                failed_steps += 1
                current.error(step, error.message)
            except LeaseLost as error:
                failed_steps += 1
                current.error(step, str(error))
                fatal = str(error)
                break
            except Exception as error:  # noqa: BLE001 - a bug in one step must not hide the others' work
                logger.exception("sync step %s of account %s failed", step, account.pk)
                failed_steps += 1
                current.error(step, f"internal error: {error}")
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


# --- step 1: orders ------------------------------------------------------------------------------------


def order_to_raw(order: ChannelOrder) -> str:
    return json.dumps({"format": "channel_order", "order": dataclasses.asdict(order)}, default=str, indent=1)


def order_from_raw(raw: str) -> ChannelOrder:
    """Rebuild a ChannelOrder from ``order_to_raw`` text (raises ValueError if it is something else)."""
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("format") != "channel_order":
        raise ValueError("the raw data is the channel's own document, not an order the connector read")
    order = dict(data["order"])

    def when(value):
        return parse_datetime(value) if value else None

    order["status"] = ChannelOrderStatus(order["status"])
    for name in ("purchased_at", "last_updated_at", "dispatch_by"):
        order[name] = when(order.get(name))
    for name in ("subtotal", "shipping_total", "tax_total", "total"):
        order[name] = Decimal(order[name])
    order["address"] = Address(**order["address"])
    order["lines"] = tuple(
        ChannelOrderLine(**{**line, "unit_price": Decimal(line["unit_price"])}) for line in order["lines"]
    )
    return ChannelOrder(**order)


def skipped_before_cut_off(external_ids: Sequence[str], cut_off: datetime) -> str:
    """What the seller reads about orders left out by "Do not download orders prior to"."""
    shown = ", ".join(external_ids[:SKIPPED_SHOWN]) + (", ..." if len(external_ids) > SKIPPED_SHOWN else "")
    return (
        f"{len(external_ids)} order(s) skipped as bought before {cut_off:%Y-%m-%d %H:%M:%S} UTC, "
        f'"Do not download orders prior to" ({shown})'
    )


def within_cut_off(current: _Pass, orders: Sequence[ChannelOrder]) -> Sequence[ChannelOrder]:
    """The orders of a page that may be stored: no order bought before the account's cut-off enters
    the book, whatever its later updates (payment, shipping, cancellation), from any order source.

    Orders already in the book (imported before the cut-off was set) keep being updated. Each order
    left out is counted once per run, named in the run's summary and logged; an open issue of it is
    resolved (it is not wanted).
    """
    cut_off = current.cut_off
    if cut_off is None:
        return orders
    early = [data.external_order_id for data in orders if _aware(data.purchased_at) < cut_off]
    if not early:
        return orders
    left_out = set(early) - orders_in_book(account=current.account, external_ids=early)
    if not left_out:
        return orders
    new = [ref for ref in dict.fromkeys(early) if ref in left_out and ref not in current.skipped]
    if new:
        current.skipped.update(dict.fromkeys(new))
        current.count(orders_skipped=len(new))
        logger.info(
            "account %s: %d order(s) bought before the cut-off %s not imported: %s",
            current.account.pk,
            len(new),
            cut_off.isoformat(),
            ", ".join(new[:SKIPPED_SHOWN]),
        )
        current.resolve_order_issues(new, resolution=CUT_OFF_RESOLUTION)
    return [data for data in orders if data.external_order_id not in left_out]


def left_out_by_cut_off(account: ChannelAccount, data: ChannelOrder) -> datetime | None:
    """The account's cut-off if ``data`` was bought before it and is not in the book (so it may not
    enter it: a retried import obeys the same rule as a download); else None."""
    cut_off = orders_since(account)
    if cut_off is None or _aware(data.purchased_at) >= cut_off:
        return None
    return None if orders_in_book(account=account, external_ids=[data.external_order_id]) else cut_off


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if timezone.is_naive(moment) else moment


def _download_orders(current: _Pass, **_) -> None:
    account = current.account
    current.cut_off = orders_since(account)
    stored = SyncCursor.objects.filter(account=account, stream=ORDERS_STREAM).first()
    in_doubt = _in_doubt_shipments(account)
    current.open_order_issues = set(
        SyncIssue.objects.filter(account=account, kind=IssueKind.ORDER, status=IssueStatus.OPEN).values_list(
            "external_ref", flat=True
        )
    )
    current.open_report_issues = set(
        SyncIssue.objects.filter(account=account, kind=IssueKind.REPORT, status=IssueStatus.OPEN).values_list(
            "external_ref", flat=True
        )
    )
    current.progress("Downloading orders")
    finished = False
    # the cut-off goes with the cursor: a connector may narrow its requests with it (the engine filters)
    pages = current.connector.fetch_orders(cursor=stored.value if stored else None, since=current.cut_off)
    # the next page is fetched while this one is stored
    with stock_pushes_deferred(), closing(read_ahead(pages)) as pages:
        for page in pages:
            orders = within_cut_off(current, page.orders)
            created = import_new_orders(current, orders)
            for data in orders:
                if data.external_order_id not in created:
                    import_order(current, data)
                if data.external_order_id in in_doubt and data.status in (
                    ChannelOrderStatus.SHIPPED,
                    ChannelOrderStatus.PARTIALLY_SHIPPED,
                ):
                    _settle_in_doubt_shipments(data, in_doubt.pop(data.external_order_id))
            for external_id, message, raw in page.failed:
                current.count(orders_in=1, order_errors=1)
                current.issue(
                    kind=IssueKind.ORDER,
                    external_ref=external_id,
                    message=f"the order could not be read: {message}",
                    raw_data=raw,
                    retry_action=RetryAction.RESYNC_ACCOUNT,
                )
            _record_documents(current, page)
            if page.next_cursor is not None:
                # the page is stored: a run stopped after it (rate-limited, crashed) resumes from here
                SyncCursor.objects.update_or_create(
                    account=account, stream=ORDERS_STREAM, defaults={"value": page.next_cursor}
                )
            current.progress(done=current.run.orders_in)
            if page.done:
                finished = True
                break
    current.orders_downloaded = finished


def _record_documents(current: _Pass, page) -> None:
    """Documents the connector could not read become issues (kind report; the connector reads them
    again on the next runs); documents now read completely resolve theirs."""
    for ref, message, raw in page.unreadable:
        current.issue(
            kind=IssueKind.REPORT,
            external_ref=ref,
            message=message,
            raw_data=raw,
            retry_action=RetryAction.RESYNC_ACCOUNT,
        )
    current.resolve_report_issues(page.documents_read)


def import_new_orders(current: _Pass, orders: Sequence[ChannelOrder]) -> set[str]:
    """Create the page's orders new to the book in one transaction (``import_new_channel_orders``).

    Returns the external ids it created; the caller imports every other order one by one
    (``import_order``), so a bad order still becomes a sync issue alone. If the page import fails as
    a whole, nothing of it is kept and every order goes one by one.
    """
    if not orders:
        return set()
    try:
        with transaction.atomic():  # the orders, their issues resolved and the run's counts: one commit
            # a page lost in a crash is read again: the cursor moves (an ordinary, flushed commit,
            # which makes every page before it durable) only after the page it follows is stored
            commit_without_waiting_for_disk()
            created = import_new_channel_orders(account=current.account, orders=orders)
            if created:
                current.resolve_order_issues(created)
                current.count(orders_in=len(created), orders_new=len(created))
    except Exception:  # noqa: BLE001 - nothing was stored; one by one finds and isolates the bad order
        logger.exception("page import of account %s failed; importing order by order", current.account.pk)
        return set()
    return set(created)


def import_order(current: _Pass, data: ChannelOrder) -> None:
    """Store one order in its own transaction; a failure becomes a sync issue and the run goes on."""
    try:
        with transaction.atomic():
            result = import_channel_order(account=current.account, data=data)
    except StockroomError as error:
        current.count(orders_in=1, order_errors=1)
        current.issue(
            kind=IssueKind.ORDER,
            external_ref=data.external_order_id,
            message=error.message,
            raw_data=order_to_raw(data),
            retry_action=RetryAction.REIMPORT_ORDER,
        )
        return
    except Exception as error:  # noqa: BLE001 - kept with its raw data, retryable
        logger.exception(
            "order %s of account %s failed to import", data.external_order_id, current.account.pk
        )
        current.count(orders_in=1, order_errors=1)
        current.issue(
            kind=IssueKind.ORDER,
            external_ref=data.external_order_id,
            message=f"internal error while importing: {error}",
            raw_data=order_to_raw(data),
            retry_action=RetryAction.REIMPORT_ORDER,
        )
        return
    current.count(
        orders_in=1, orders_new=int(result.created), orders_updated=int(result.changed and not result.created)
    )
    current.resolve_order_issues([data.external_order_id])


# --- step 2: shipping confirmations ---------------------------------------------------------------------


def _shipment_key(shipment: ChannelShipment) -> str:
    return f"shipment:{shipment.pk}"


def _in_doubt_shipments(account: ChannelAccount) -> dict[str, list[ChannelWrite]]:
    """Journal rows of confirmations whose request left but whose outcome was never recorded, by
    external order id (an order may have several packages in doubt), in package order."""
    rows = ChannelWrite.objects.filter(
        account=account,
        kind=WriteKind.SHIPMENT,
        status=WriteStatus.QUEUED,
        attempts__gt=0,
        shipment__status=ShipmentStatus.PENDING,
    ).order_by("shipment__number", "pk")
    by_order: dict[str, list[ChannelWrite]] = defaultdict(list)
    for row in rows:
        by_order[row.key].append(row)
    return dict(by_order)


def _settle_in_doubt_shipments(data: ChannelOrder, writes: list[ChannelWrite]) -> None:
    """The channel shows the order (partly) shipped. A package in doubt whose units the channel counts
    as shipped, beyond the packages already confirmed, reached it: marked sent, nothing is sent again.
    Shipped in full settles every package; a package the channel's counts do not cover stays in doubt
    (sent again after the grace period with the same package reference, which the channel refuses as
    a duplicate if it did arrive)."""
    shipped_on_channel = {line.external_line_id: line.quantity_shipped for line in data.lines}
    whole = data.status == ChannelOrderStatus.SHIPPED
    rows = ShipmentLineRow.objects.filter(
        shipment__order__account_id=writes[0].account_id,
        shipment__order__external_order_id=data.external_order_id,
    )
    accounted: dict[str, int] = defaultdict(int)
    for ref, quantity in rows.filter(
        shipment__status__in=(ShipmentStatus.SENT, ShipmentStatus.NOT_NEEDED)
    ).values_list("order_line__external_line_id", "quantity"):
        accounted[ref] += quantity
    for write in writes:
        package = list(
            rows.filter(shipment_id=write.shipment_id).values_list("order_line__external_line_id", "quantity")
        )
        covered = all(
            shipped_on_channel.get(ref, 0) >= accounted[ref] + quantity for ref, quantity in package
        )
        if whole or (package and covered):
            _settle_in_doubt_shipment(write)
            for ref, quantity in package:
                accounted[ref] += quantity


def _settle_in_doubt_shipment(write: ChannelWrite) -> None:
    """The channel shows the package's units shipped: the earlier request reached it. Mark sent, send
    nothing."""
    with transaction.atomic():
        shipment = ChannelShipment.objects.select_for_update().get(pk=write.shipment_id)
        if shipment.status != ShipmentStatus.PENDING:
            return
        now = timezone.now()
        ChannelWrite.objects.filter(pk=write.pk).update(
            status=WriteStatus.CONFIRMED,
            response="the channel shows the order shipped: the earlier request reached it",
            updated_at=now,
        )
        shipment.status = ShipmentStatus.SENT
        shipment.sent_at = now
        shipment.last_error = ""
        shipment.save(update_fields=["status", "sent_at", "last_error", "updated_at"])
        record_event(
            shipment.order, "shipment", "Shipping confirmation confirmed by the channel's order status"
        )


def _send_shipments(current: _Pass, **_) -> None:
    account = current.account
    shipments = list(
        ChannelShipment.objects.filter(account=account, status=ShipmentStatus.PENDING)
        .select_related("order")
        .prefetch_related("lines__order_line")
        .order_by("pk")
    )
    if not shipments:
        return
    if account.options.get("hold_shipping_data"):
        # new dispatches stay held; a confirmation the seller released is sent (once: then it is sent)
        for shipment in shipments:
            if shipment.released_at is None:
                _hold_shipment(shipment)
        shipments = [shipment for shipment in shipments if shipment.released_at is not None]
        if not shipments:
            return
    current.progress("Sending shipping confirmations", total=len(shipments))
    mappings = {m.shipping_method.strip().lower(): m for m in account.shipping_mappings.all()}
    journal = {w.shipment_id: w for w in ChannelWrite.objects.filter(shipment__in=shipments)}
    ready: list[tuple[ChannelShipment, ShipmentConfirmation]] = []
    for shipment in shipments:
        write = journal.get(shipment.pk)
        if write is not None and write.status == WriteStatus.QUEUED and write.attempts > 0:
            # in doubt: sent once, outcome unknown. Re-send only after an order download that would
            # have shown the order shipped, and not before the grace period is over.
            cutoff = current.run.started_at - _in_doubt_grace()
            if not current.orders_downloaded or (write.last_attempt_at and write.last_attempt_at > cutoff):
                continue
        mapping = mappings.get(shipment.shipping_method.strip().lower())
        if mapping is None and not shipment.carrier_code:
            _fail_shipment(
                current,
                shipment,
                f"shipping method {shipment.shipping_method!r} has no mapping for account {account.name}: "
                "add a shipping mapping (carrier code and ship method), then retry",
            )
            continue
        ready.append((shipment, _confirmation(shipment, mapping)))
    done = 0
    for batch in _shipment_batches(ready):
        _send_shipment_batch(current, batch)
        done += len(batch)
        current.progress(done=done)


def _shipment_batches(ready: list[tuple[ChannelShipment, ShipmentConfirmation]]):
    """Batches of at most ``SHIPMENT_BATCH``, each holding at most one package of an order: a
    connector answers per external order id, so two packages of one order go in different batches
    (in package order)."""
    waiting = list(ready)
    while waiting:
        batch, orders, later = [], set(), []
        for item in waiting:
            order_id = item[0].order_id
            if len(batch) < SHIPMENT_BATCH and order_id not in orders:
                batch.append(item)
                orders.add(order_id)
            else:
                later.append(item)
        yield batch
        waiting = later


def _confirmation(shipment: ChannelShipment, mapping) -> ShipmentConfirmation:
    """The confirmation to send: the carrier set on the shipment (a correction), else the mapping's."""
    order = shipment.order
    if shipment.carrier_code:
        carrier_code, carrier_name = shipment.carrier_code, shipment.carrier_name
    else:
        carrier_code, carrier_name = mapping.carrier_code, mapping.carrier_name
    return ShipmentConfirmation(
        external_order_id=order.external_order_id,
        marketplace=order.marketplace,
        package_reference=shipment.package_reference or str(order.pk),
        carrier_code=carrier_code,
        carrier_name=carrier_name,
        ship_method=mapping.ship_method if mapping else "",
        tracking_number=shipment.tracking_number,
        shipped_at=shipment.shipped_at,
        lines=tuple(
            ShipmentLine(row.order_line.external_line_id, row.quantity) for row in shipment.lines.all()
        ),
    )


def _hold_shipment(shipment: ChannelShipment) -> None:
    with transaction.atomic():
        updated = ChannelShipment.objects.filter(pk=shipment.pk, status=ShipmentStatus.PENDING).update(
            status=ShipmentStatus.HELD, updated_at=timezone.now()
        )
        if updated:
            record_event(
                shipment.order,
                "shipment",
                "Shipping confirmation held: this account does not submit shipping data",
            )


def _fail_shipment(
    current: _Pass, shipment: ChannelShipment, message: str, write: ChannelWrite | None = None
):
    now = timezone.now()
    with transaction.atomic():
        if write is not None:
            ChannelWrite.objects.filter(pk=write.pk).update(
                status=WriteStatus.ERROR, response=message, updated_at=now
            )
        ChannelShipment.objects.filter(pk=shipment.pk).update(
            status=ShipmentStatus.ERROR, last_error=message[:5000], last_attempt_at=now, updated_at=now
        )
        record_event(shipment.order, "shipment_error", f"Shipping confirmation not accepted: {message}")
    current.count(confirmations_failed=1)
    current.issue(
        kind=IssueKind.SHIPMENT,
        external_ref=shipment.order.external_order_id,
        message=message,
        raw_data=json.dumps(write.payload if write else {"shipment": shipment.pk}, indent=1, default=str),
        retry_action=RetryAction.RESEND_SHIPMENT,
    )


def _journal_shipments(current: _Pass, batch) -> dict[int, ChannelWrite]:
    """Record the writes (attempt n) before anything is sent."""
    now = timezone.now()
    writes = {}
    with transaction.atomic():
        for shipment, confirmation in batch:
            payload = json.loads(json.dumps(dataclasses.asdict(confirmation), default=str))
            write, _ = ChannelWrite.objects.get_or_create(
                idempotency_key=_shipment_key(shipment),
                defaults={
                    "account": current.account,
                    "kind": WriteKind.SHIPMENT,
                    "key": confirmation.external_order_id,
                    "shipment": shipment,
                },
            )
            write.run = current.run
            write.payload = payload
            write.status = WriteStatus.QUEUED
            write.attempts += 1
            write.last_attempt_at = now
            write.save()
            ChannelShipment.objects.filter(pk=shipment.pk).update(
                attempts=F("attempts") + 1, last_attempt_at=now, updated_at=now
            )
            writes[shipment.pk] = write
    return writes


def _send_shipment_batch(current: _Pass, batch: list[tuple[ChannelShipment, ShipmentConfirmation]]) -> None:
    writes = _journal_shipments(current, batch)
    try:
        outcomes = current.connector.confirm_shipments([confirmation for _, confirmation in batch])
    except RateLimited as error:
        # refused before processing: nothing reached the channel, so not in doubt
        _release_shipment_writes(writes.values(), f"rate limited, not sent: {error.message}")
        raise
    except AuthFailed as error:
        _release_shipment_writes(writes.values(), f"not sent: {error.message}")
        raise
    except ChannelError as error:
        # a 5xx or a timeout may or may not have reached the channel: the rows stay in doubt
        ChannelWrite.objects.filter(pk__in=[w.pk for w in writes.values()]).update(
            response=error.message[:5000]
        )
        ChannelShipment.objects.filter(pk__in=list(writes)).update(last_error=error.message[:5000])
        raise
    by_key = {outcome.key: outcome for outcome in outcomes}
    for shipment, confirmation in batch:
        outcome = by_key.get(confirmation.external_order_id)
        if outcome is None:
            continue  # no answer for this one: stays in doubt, settled by the next run
        record_shipment_outcome(current, shipment, writes[shipment.pk], outcome)


def _release_shipment_writes(writes: Iterable[ChannelWrite], message: str) -> None:
    ids = [w.pk for w in writes]
    ChannelWrite.objects.filter(pk__in=ids).update(status=WriteStatus.ERROR, response=message[:5000])
    ChannelShipment.objects.filter(writes__pk__in=ids).update(last_error=message[:5000])


def record_shipment_outcome(
    current: _Pass, shipment: ChannelShipment, write: ChannelWrite, outcome: WriteOutcome
) -> None:
    now = timezone.now()
    if outcome.status in ("confirmed", "pending"):
        with transaction.atomic():  # journal confirmed and shipment sent: together or not at all
            ChannelWrite.objects.filter(pk=write.pk).update(
                status=WriteStatus.CONFIRMED if outcome.status == "confirmed" else WriteStatus.SENT,
                response=outcome.message[:5000],
                submission_ref=outcome.submission_ref[:200],
                updated_at=now,
            )
            ChannelShipment.objects.filter(pk=shipment.pk).update(
                status=ShipmentStatus.SENT, sent_at=now, last_error="", updated_at=now
            )
            record_event(shipment.order, "shipment", f"Shipping confirmation sent to {current.account.name}")
        current.count(confirmations_sent=1)
        if not ChannelShipment.objects.filter(
            order_id=shipment.order_id, status=ShipmentStatus.ERROR
        ).exists():
            # the order's issue is resolved once none of its packages is refused
            resolve_issues(
                account=current.account,
                kind=IssueKind.SHIPMENT,
                external_ref=shipment.order.external_order_id,
                resolution="sent",
            )
    elif outcome.retryable:
        with transaction.atomic():
            ChannelWrite.objects.filter(pk=write.pk).update(
                status=WriteStatus.ERROR, response=outcome.message[:5000], updated_at=now
            )
            ChannelShipment.objects.filter(pk=shipment.pk).update(
                last_error=outcome.message[:5000], updated_at=now
            )
        current.error(
            "shipments",
            f"{shipment.order.external_order_id}: {outcome.message or 'no answer'}; the confirmation is "
            "sent again in the next run",
        )
    else:
        _fail_shipment(current, shipment, outcome.message or "refused by the channel", write)


# --- step 3: stock -------------------------------------------------------------------------------------


def fan_out_stock_changes() -> int:
    """Turn the shared stock outbox into per-listing markers, offering new stock to waiting orders.

    Reads a batch of ``PendingStockPush`` rows, allocates waiting orders for those items, writes one
    marker per linked listing (any account) and deletes exactly the rows read, in one transaction.
    Safe to run concurrently: a duplicate marker only causes a comparison. Returns rows consumed.
    """
    consumed = 0
    while True:
        rows = list(PendingStockPush.objects.order_by("id").values_list("id", "item_id")[:FAN_OUT_BATCH])
        if not rows:
            return consumed
        item_ids = sorted({item_id for _, item_id in rows})
        allocate_waiting_orders(item_ids=item_ids)
        listings = Listing.objects.filter(
            stock_item_id__in=item_ids, ignore_sync=False, fulfilled_by_channel=False, account__enabled=True
        ).values_list("pk", "account_id")
        now = timezone.now()
        with transaction.atomic():
            ListingPushMarker.objects.bulk_create(
                [
                    ListingPushMarker(listing_id=pk, account_id=account_id, changed_at=now)
                    for pk, account_id in listings
                ]
            )
            PendingStockPush.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
        consumed += len(rows)
        if len(rows) < FAN_OUT_BATCH:
            return consumed


def accounts_with_stock_changes() -> list[ChannelAccount]:
    ids = set(ListingPushMarker.objects.values_list("account_id", flat=True).distinct())
    return list(ChannelAccount.objects.filter(pk__in=ids, enabled=True).order_by("pk"))


def _wants_quantity(listing: Listing, quantity: int) -> bool:
    if listing.status == ListingStatus.CONFIRMED and listing.last_confirmed_quantity == quantity:
        return False
    # accepted by the channel, result still to come. A listing left Pending without a submission
    # (journaled, then the worker stopped before the answer was recorded) is sent again.
    if (
        listing.status == ListingStatus.PENDING
        and listing.pending_submission
        and listing.last_sent_quantity == quantity
    ):
        return False
    return True


def _push_stock(current: _Pass, *, all_listings: bool = False, **_) -> None:
    account = current.account
    fan_out_stock_changes()
    markers = list(ListingPushMarker.objects.filter(account=account).values_list("pk", "listing_id"))
    if not account.options.get("inventory_update", True):
        ListingPushMarker.objects.filter(pk__in=[pk for pk, _ in markers]).delete()
        return
    marked = {listing_id for _, listing_id in markers}
    wanted = Q(pk__in=marked) | Q(status=ListingStatus.NOT_SENT)
    if all_listings:
        wanted = Q()
    listings = list(
        Listing.objects.filter(wanted)
        .filter(account=account, stock_item__isnull=False, ignore_sync=False, fulfilled_by_channel=False)
        .order_by("pk")
    )
    available = available_to_sell_many({listing.stock_item_id for listing in listings})
    changes = [(listing, available[listing.stock_item_id]) for listing in listings]
    changes = [(listing, quantity) for listing, quantity in changes if _wants_quantity(listing, quantity)]
    done = marked - {listing.pk for listing, _ in changes}
    batch_size = max(1, int(current.connector.max_stock_batch))
    try:
        if changes:
            current.progress("Sending stock levels", total=len(changes))
        for start in range(0, len(changes), batch_size):
            batch = changes[start : start + batch_size]
            done |= _push_stock_batch(current, batch)
            current.progress(done=start + len(batch))
    finally:
        _delete_markers([pk for pk, listing_id in markers if listing_id in done])


def _chunks(items: Sequence, size: int = BULK_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _delete_markers(pks: Sequence[int]) -> None:
    for chunk in _chunks(pks):
        ListingPushMarker.objects.filter(pk__in=chunk).delete()


@dataclasses.dataclass
class _StockResult:
    """One listing's quantity on its way to the channel, and what came back."""

    listing: Listing | None  # None: the listing no longer waits for this result (journal only)
    quantity: int
    outcome: WriteOutcome | None = None
    write: ChannelWrite | None = None  # the journal row of a fresh send
    log: ListingStatusLog | None = None  # its Pending row, written before the send (a fresh send)
    # the Pending row of a collected result (the send was logged in an earlier pass), given the answer
    pending_log_id: int | None = None
    # what the listing waits for while Pending, and the journal row keeps: the key of the batch's
    # PendingSubmission (one value for the whole batch, so it is written in one statement)
    submission_key: str = ""


def _push_stock_batch(current: _Pass, batch: list[tuple[Listing, int]]) -> set[int]:
    """Journal, send, record. Returns the listings settled (retryable failures are not)."""
    sending = _journal_stock_batch(current, batch)
    try:
        outcomes = current.connector.push_stock(
            [StockUpdate(listing.channel_sku, quantity) for listing, quantity in batch]
        )
    except ChannelError as error:
        _record_unsent_stock_batch(sending, error)
        raise
    current.count(stock_updates_sent=len(batch))
    by_sku = {outcome.key: outcome for outcome in outcomes}
    pending: list[dict] = []
    for position, result in enumerate(sending, start=1):
        sku = result.listing.channel_sku
        result.outcome = by_sku.get(sku) or WriteOutcome(
            sku, "error", "the channel gave no result for this SKU", retryable=True
        )
        if result.outcome.status == "pending" and result.outcome.submission_ref:
            pending.append(
                {
                    "ref": result.outcome.submission_ref,
                    "message_id": position,
                    "sku": sku,
                    "quantity": result.quantity,
                }
            )
    if pending:
        # one row per batch; the refs are opaque (one per feed, or one per record) and all kept
        key = pending[0]["ref"][:100]
        PendingSubmission.objects.update_or_create(
            account=current.account,
            submission_ref=key,
            defaults={"entries": pending, "kind": WriteKind.STOCK},
        )
        for result in sending:
            result.submission_key = key
    return _record_stock_outcomes(current, sending)


def _journal_stock_batch(current: _Pass, batch: list[tuple[Listing, int]]) -> list[_StockResult]:
    """Before anything is sent: a journal row per write, and each listing Pending with a log row."""
    now = timezone.now()
    sending = [
        _StockResult(
            listing,
            quantity,
            write=ChannelWrite(
                account=current.account,
                run=current.run,
                kind=WriteKind.STOCK,
                key=listing.channel_sku,
                listing=listing,
                payload={"channel_sku": listing.channel_sku, "quantity": quantity},
                idempotency_key=f"stock:{listing.pk}:{uuid.uuid4().hex}",
                attempts=1,
                last_attempt_at=now,
            ),
            log=ListingStatusLog(listing=listing, quantity=quantity, outcome=ListingStatus.PENDING),
        )
        for listing, quantity in batch
    ]
    by_quantity: dict[int, list[int]] = {}
    for listing, quantity in batch:
        by_quantity.setdefault(quantity, []).append(listing.pk)
    with transaction.atomic():
        ChannelWrite.objects.bulk_create([result.write for result in sending], batch_size=BULK_CHUNK)
        ListingStatusLog.objects.bulk_create([result.log for result in sending], batch_size=BULK_CHUNK)
        for quantity, pks in by_quantity.items():
            for chunk in _chunks(pks):
                Listing.objects.filter(pk__in=chunk).update(
                    status=ListingStatus.PENDING,
                    last_sent_quantity=quantity,
                    last_sent_at=now,
                    pending_submission="",
                    updated_at=now,
                )
    return sending


def _record_unsent_stock_batch(sending: list[_StockResult], error: ChannelError) -> None:
    """The whole call failed: nothing changed on the channel. Each listing gets back the status it had,
    the journal and the log say why nothing was sent; the markers stay, so the next run sends again."""
    message = f"not sent: {error.message}"[:5000]
    with transaction.atomic():
        for chunk in _chunks(sending):
            ChannelWrite.objects.filter(pk__in=[r.write.pk for r in chunk]).update(
                status=WriteStatus.ERROR, response=message
            )
            ListingStatusLog.objects.filter(pk__in=[r.log.pk for r in chunk]).update(
                outcome=ListingStatus.ERROR, message=message
            )
        _update_grouped(
            Listing,
            [
                (
                    r.listing.pk,
                    {
                        "status": r.listing.status,
                        "last_sent_quantity": r.listing.last_sent_quantity,
                        "pending_submission": r.listing.pending_submission,
                    },
                )
                for r in sending
            ],
        )


_LISTING_STATUS = {"confirmed": ListingStatus.CONFIRMED, "pending": ListingStatus.PENDING}
_WRITE_STATUS = {ListingStatus.CONFIRMED: WriteStatus.CONFIRMED, ListingStatus.PENDING: WriteStatus.PENDING}


def _record_stock_outcomes(current: _Pass, results: Sequence[_StockResult]) -> set[int]:
    """Apply each result to its listing, log and journal row, in a few statements: rows that get the
    same values are updated together (a feed's listings all at once).

    Returns the listings settled; a retryable error is not (its marker stays, it is sent again).
    """
    now = timezone.now()
    listings: list[tuple[int, dict]] = []
    writes: list[tuple[int, dict]] = []
    sent_logs: list[tuple[int, dict]] = []
    new_logs: list[ListingStatusLog] = []
    confirmed: list[str] = []
    retryable: dict[str, list[str]] = {}  # message -> SKUs
    refused: list[_StockResult] = []
    settled: set[int] = set()
    for result in results:
        outcome = result.outcome
        status = _LISTING_STATUS.get(outcome.status, ListingStatus.ERROR)
        message = outcome.message[:5000]
        kept_ref = result.submission_key if status == ListingStatus.PENDING else outcome.submission_ref
        if result.write is not None:
            values = {"status": _WRITE_STATUS.get(status, WriteStatus.ERROR), "response": message}
            if result.log is not None:  # a fresh send (a collected result keeps the batch's key)
                values["submission_ref"] = kept_ref[:200]
            writes.append((result.write.pk, values))
        listing = result.listing
        if listing is None:
            if result.pending_log_id is not None and status != ListingStatus.PENDING:
                # a newer quantity was sent since; this one's log row still gets its answer
                sent_logs.append(
                    (result.pending_log_id, {"outcome": status, "message": message, "answered_at": now})
                )
            continue
        if status == ListingStatus.CONFIRMED:
            values = {
                "last_confirmed_quantity": outcome.quantity
                if outcome.quantity is not None
                else result.quantity,
                "last_confirmed_at": now,
                "last_error": "",
                "pending_submission": "",
            }
            confirmed.append(listing.channel_sku)
        elif status == ListingStatus.PENDING:
            values = {"pending_submission": kept_ref[:100], "last_error": ""}
        else:
            values = {"last_error": message or "refused by the channel", "pending_submission": ""}
        listings.append((listing.pk, {"status": status, **values}))
        # one log row per quantity sent: the Pending row written before the send takes the answer
        log_id = result.log.pk if result.log is not None else result.pending_log_id
        if status == ListingStatus.PENDING and log_id is not None:
            sent_logs.append((log_id, {"submission_ref": kept_ref[:100], "message": message}))
        elif log_id is not None:
            answer = {"outcome": status, "message": message, "answered_at": now}
            if outcome.submission_ref:
                answer["submission_ref"] = outcome.submission_ref[:100]
            sent_logs.append((log_id, answer))
        else:
            new_logs.append(
                ListingStatusLog(
                    listing=listing,
                    quantity=result.quantity,
                    submission_ref=outcome.submission_ref[:100],
                    outcome=status,
                    message=message,
                    answered_at=None if status == ListingStatus.PENDING else now,
                )
            )
        if status == ListingStatus.ERROR and outcome.retryable:
            retryable.setdefault(outcome.message, []).append(listing.channel_sku)
            continue
        if status == ListingStatus.ERROR:
            refused.append(result)
        settled.add(listing.pk)
    with transaction.atomic():
        _update_grouped(Listing, listings, updated_at=now)
        _update_grouped(ListingStatusLog, sent_logs)
        ListingStatusLog.objects.bulk_create(new_logs, batch_size=BULK_CHUNK)
        _update_grouped(ChannelWrite, writes, updated_at=now)
    current.count(
        stock_updates_confirmed=len(confirmed),
        stock_update_errors=len(refused) + sum(len(skus) for skus in retryable.values()),
    )
    _resolve_listing_issues(current.account, confirmed)
    for message, skus in retryable.items():
        current.error("stock", _will_send_again(skus, message))
    for result in refused:
        sku = result.listing.channel_sku
        current.issue(
            kind=IssueKind.LISTING,
            external_ref=sku,
            message=result.outcome.message or "refused by the channel",
            raw_data=json.dumps(
                {
                    "channel_sku": sku,
                    "quantity": result.quantity,
                    "submission_ref": result.outcome.submission_ref,
                }
            ),
            retry_action=RetryAction.REPUSH_LISTING,
        )
    return settled


def _update_grouped(model, rows: Sequence[tuple[int, dict]], **common) -> None:
    """Set each row's values, one UPDATE per distinct set of values (and per chunk of rows)."""
    groups: dict[tuple, list[int]] = {}
    for pk, values in rows:
        groups.setdefault(tuple(sorted(values.items())), []).append(pk)
    for values, pks in groups.items():
        for chunk in _chunks(pks):
            model.objects.filter(pk__in=chunk).update(**dict(values), **common)


def _will_send_again(skus: Sequence[str], message: str) -> str:
    """One sentence for listings that failed for one reason worth retrying."""
    if len(skus) == 1:
        return f"{skus[0]}: {message or 'no answer'}; the quantity is sent again in the next run"
    shown = ", ".join(skus[:3]) + (", ..." if len(skus) > 3 else "")
    return f"{len(skus)} listings ({shown}): {message or 'no answer'}; the quantities are sent again in the next run"


def _resolve_listing_issues(account: ChannelAccount, skus: Sequence[str]) -> None:
    """Resolve the open listing issues of these SKUs (one query when there are none)."""
    if not skus:
        return
    open_refs = set(
        SyncIssue.objects.filter(
            account=account, kind=IssueKind.LISTING, status=IssueStatus.OPEN
        ).values_list("external_ref", flat=True)
    )
    for sku in open_refs.intersection(skus):
        resolve_issues(account=account, kind=IssueKind.LISTING, external_ref=sku, resolution="confirmed")


# --- step 4: results of earlier submissions ---------------------------------------------------------------


def _collect_results(current: _Pass, **_) -> None:
    account = current.account
    submissions = list(PendingSubmission.objects.filter(account=account, kind=WriteKind.STOCK).order_by("pk"))
    if not submissions:
        return
    current.progress("Collecting stock results", total=len(submissions))
    refs = list(dict.fromkeys(entry["ref"] for s in submissions for entry in s.entries))
    outcomes = current.connector.collect_stock_results(refs)
    by_ref_and_sku = {(o.submission_ref, o.key): o for o in outcomes if o.submission_ref}
    by_sku = {o.key: o for o in outcomes if not o.submission_ref}
    now = timezone.now()
    for submission in submissions:
        open_entries, answered = [], []
        for entry in submission.entries:
            outcome = by_ref_and_sku.get((entry["ref"], entry["sku"])) or by_sku.get(entry["sku"])
            if outcome is None or outcome.status == "pending":
                open_entries.append(entry)
            else:
                answered.append((entry, dataclasses.replace(outcome, submission_ref=entry["ref"])))
        if answered:
            _record_collected_results(current, submission.submission_ref, answered)
        if open_entries:
            PendingSubmission.objects.filter(pk=submission.pk).update(
                entries=open_entries, checks=F("checks") + 1, last_checked_at=now
            )
        else:
            submission.delete()


def _record_collected_results(current: _Pass, key: str, answered: list[tuple[dict, WriteOutcome]]) -> None:
    """Results of one submission (``key``): every journal row gets its outcome; a listing only when it
    still waits for exactly this submission (a newer quantity may have been sent since). A listing
    whose quantity failed for a reason worth retrying is marked, so the next stock step sends it again."""
    account = current.account
    listings: dict[tuple[str, str], Listing] = {}
    writes: dict[tuple[str, str], ChannelWrite] = {}
    for chunk in _chunks(answered):
        skus = [entry["sku"] for entry, _ in chunk]
        # the batch's key; a submission recorded before batches had one keeps a ref per entry
        refs = {key, *(entry["ref"] for entry, _ in chunk)}
        listings.update(
            ((listing.channel_sku, listing.pending_submission), listing)
            for listing in Listing.objects.filter(
                account=account, channel_sku__in=skus, pending_submission__in={r[:100] for r in refs}
            )
        )
        writes.update(
            ((write.key, write.submission_ref), write)
            for write in ChannelWrite.objects.filter(
                account=account,
                kind=WriteKind.STOCK,
                key__in=skus,
                submission_ref__in={r[:200] for r in refs},
            )
        )

    def waiting(found: dict, entry: dict, size: int):
        return found.get((entry["sku"], key[:size])) or found.get((entry["sku"], entry["ref"][:size]))

    # the Pending log rows written when these quantities were sent, keyed like the listings
    pending_logs: dict[tuple[str, str], int] = {}
    for chunk in _chunks(answered):
        refs = {key[:100], *(entry["ref"][:100] for entry, _ in chunk)}
        pending_logs.update(
            ((sku, ref), pk)
            for pk, sku, ref in ListingStatusLog.objects.filter(
                listing__account=account,
                listing__channel_sku__in=[entry["sku"] for entry, _ in chunk],
                outcome=ListingStatus.PENDING,
                submission_ref__in=refs,
            ).values_list("pk", "listing__channel_sku", "submission_ref")
        )

    results = [
        _StockResult(
            waiting(listings, entry, 100),
            entry["quantity"],
            outcome=outcome,
            write=waiting(writes, entry, 200),
            pending_log_id=waiting(pending_logs, entry, 100),
        )
        for entry, outcome in answered
    ]
    _record_stock_outcomes(current, results)
    again = [
        r.listing
        for r in results
        if r.listing is not None and r.outcome.status == "error" and r.outcome.retryable
    ]
    now = timezone.now()
    ListingPushMarker.objects.bulk_create(
        [ListingPushMarker(listing=listing, account=account, changed_at=now) for listing in again],
        batch_size=BULK_CHUNK,
    )


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
