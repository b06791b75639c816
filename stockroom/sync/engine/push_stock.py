"""Step ``stock``: fan the stock-change outbox out to listings and push changed quantities."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from stockroom.channels.contracts import ChannelError, ListingRefs, StockUpdate, WriteOutcome
from stockroom.channels.contracts import WriteStatus as OutcomeStatus
from stockroom.channels.models import ChannelAccount, Listing, ListingStatus, ListingStatusLog
from stockroom.channels.quantity_rules import ListingQuantity
from stockroom.inventory.models import PendingStockPush
from stockroom.orders.models import OrderLine
from stockroom.orders.pipeline import OrderStatus
from stockroom.sync.engine.issues import resolve_issues
from stockroom.sync.engine.runs import _Pass
from stockroom.sync.models import (
    ChannelWrite,
    IssueKind,
    IssueStatus,
    ListingPushMarker,
    PendingSubmission,
    RetryAction,
    SyncIssue,
    WriteKind,
    WriteStatus,
)
from stockroom.sync.quantities import listing_quantities

BULK_CHUNK = 1000  # rows per bulk statement
FAN_OUT_BATCH = 5000


def fan_out_stock_changes() -> int:
    """Turn the shared stock outbox into per-listing markers.

    Reads a batch of ``PendingStockPush`` rows, writes one marker per linked listing (any account) and
    deletes exactly the rows read, in one transaction. Waiting orders were offered the stock when it
    changed (``orders.services.offer_freed_stock``, a ``stock_changed`` subscriber), so the outbox
    already holds their allocations too: one fan-out pushes the final quantities.
    Safe to run concurrently: a duplicate marker only causes a comparison. Returns rows consumed.
    """
    consumed = 0
    while True:
        rows = list(PendingStockPush.objects.order_by("id").values_list("id", "item_id")[:FAN_OUT_BATCH])
        if not rows:
            return consumed
        item_ids = sorted({item_id for _, item_id in rows})
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
    # a listing the reserve held back is looked at again on every push: it shows the units as soon
    # as the reserve lets them go (ADR 0015)
    wanted = Q(pk__in=marked) | Q(status=ListingStatus.NOT_SENT) | Q(reserve_held__gt=0)
    if all_listings:
        wanted = Q()
    listings = list(
        Listing.objects.filter(wanted)
        .filter(account=account, stock_item__isnull=False, ignore_sync=False, fulfilled_by_channel=False)
        .select_related("account")
        .order_by("pk")
    )
    shown = listing_quantities(listings)
    changes = [
        (listing, shown[listing.pk])
        for listing in listings
        if shown[listing.pk].quantity is not None and _wants_quantity(listing, shown[listing.pk].quantity)
    ]
    # a listing whose quantity is unchanged still records what the reserve holds back now
    changing = {listing.pk for listing, _ in changes}
    _record_unchanged_reserves(
        [(listing, shown[listing.pk]) for listing in listings if listing.pk not in changing]
    )
    done = marked - {listing.pk for listing, _ in changes}
    batch_size = max(1, int(current.connector.max_stock_batch))
    try:
        if changes:
            current.progress("Sending stock levels", total=len(changes))
        stale: list[int] = []
        for start in range(0, len(changes), batch_size):
            batch = changes[start : start + batch_size]
            done |= _push_stock_batch(current, batch, stale=stale)
            current.progress(done=start + len(batch))
        if stale:
            done |= _import_orders_and_send_again(current, stale, batch_size)
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


def _record_unchanged_reserves(unchanged: Sequence[tuple[Listing, ListingQuantity]]) -> None:
    _update_grouped(
        Listing,
        [
            (listing.pk, {"reserve_held": shown.reserve.held})
            for listing, shown in unchanged
            if listing.reserve_held != shown.reserve.held
        ],
    )


def _import_orders_and_send_again(current: _Pass, stale: list[int], batch_size: int) -> set[int]:
    """The channel refused writes as stale (WriteStatus.STALE): it sold or changed something Stockroom has
    not imported. Import the account's orders now, recompute those listings and send once more, in the
    same push; a second stale answer is a conflict shown to the seller (``again``). If the import fails
    the listings keep their markers: the next run imports the orders first, then sends."""
    from stockroom.sync.engine.download_orders import _download_orders  # the orders step, run early

    _download_orders(current)
    listings = list(Listing.objects.filter(pk__in=stale).select_related("account").order_by("pk"))
    shown = listing_quantities(listings)
    changes = [(listing, shown[listing.pk]) for listing in listings if shown[listing.pk].quantity is not None]
    settled = {listing.pk for listing in listings} - {listing.pk for listing, _ in changes}
    for start in range(0, len(changes), batch_size):
        settled |= _push_stock_batch(current, changes[start : start + batch_size], again=True)
    return settled


def channel_sold_since(account: ChannelAccount, listings: Sequence[Listing]) -> dict[int, int]:
    """Per listing: the net units the account's own orders took since the listing's quantity was last
    confirmed, as imported (lines of orders imported since, less lines of orders imported before and
    cancelled since: the channel gives those back). What ``StockUpdate.channel_sold_since`` carries."""
    # a quantity recorded without its time (set by hand): counted from when the listing was made
    confirmed = {
        listing.channel_sku: listing.last_confirmed_at or listing.created_at
        for listing in listings
        if listing.last_confirmed_quantity is not None
    }
    if not confirmed:
        return {}
    oldest = min(confirmed.values())
    lines = OrderLine.objects.filter(order__account=account, channel_sku__in=list(confirmed)).filter(
        Q(order__created_at__gt=oldest) | Q(order__cancelled_at__gt=oldest)
    )
    units: dict[str, int] = {}
    for sku, quantity, imported, status, cancelled in lines.values_list(
        "channel_sku", "quantity", "order__created_at", "order__status", "order__cancelled_at"
    ):
        since = confirmed[sku]
        if imported > since and status != OrderStatus.CANCELLED:
            units[sku] = units.get(sku, 0) + quantity
        elif imported <= since and status == OrderStatus.CANCELLED and cancelled and cancelled > since:
            units[sku] = units.get(sku, 0) - quantity
    return {listing.pk: units.get(listing.channel_sku, 0) for listing in listings}


def _push_stock_batch(
    current: _Pass,
    batch: list[tuple[Listing, ListingQuantity]],
    *,
    stale: list[int] | None = None,
    again: bool = False,
) -> set[int]:
    """Journal, send, record. Returns the listings settled (retryable failures are not); the listings the
    channel answered stale are added to ``stale`` (not settled), or, sent ``again``, are conflicts."""
    sending = _journal_stock_batch(current, batch)
    sold = channel_sold_since(current.account, [listing for listing, _ in batch])
    try:
        outcomes = current.connector.push_stock(
            [
                StockUpdate(
                    listing.channel_sku,
                    shown.quantity,
                    refs=ListingRefs(listing.offer_ref, listing.inventory_item_ref, listing.location_ref),
                    last_quantity=listing.last_confirmed_quantity,
                    channel_sold_since=sold.get(listing.pk, 0),
                )
                for listing, shown in batch
            ]
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
            sku, OutcomeStatus.ERROR, "the channel gave no result for this SKU", retryable=True
        )
        if result.outcome.status == OutcomeStatus.STALE and (again or stale is None):
            result.outcome = _conflict(result.outcome)
        elif result.outcome.status == OutcomeStatus.STALE:
            stale.append(result.listing.pk)
        if result.outcome.status == OutcomeStatus.PENDING and result.outcome.submission_ref:
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


def _conflict(outcome: WriteOutcome) -> WriteOutcome:
    """Still stale after the account's orders were imported: no order explains what the channel shows
    (changed by hand on the channel, or a sale not visible yet). Not written over: the seller decides."""
    return WriteOutcome(
        outcome.key,
        OutcomeStatus.ERROR,
        f"conflict: {outcome.message}; no order Stockroom could import explains it (changed by hand on the "
        "channel?): check the listing there, then Retry sends Stockroom's quantity over it",
        submission_ref=outcome.submission_ref,
    )


def _journal_stock_batch(current: _Pass, batch: list[tuple[Listing, ListingQuantity]]) -> list[_StockResult]:
    """Before anything is sent: a journal row per write (with the sentence saying why the quantity),
    and each listing Pending with a log row."""
    now = timezone.now()
    sending = [
        _StockResult(
            listing,
            shown.quantity,
            write=ChannelWrite(
                account=current.account,
                run=current.run,
                kind=WriteKind.STOCK,
                key=listing.channel_sku,
                listing=listing,
                payload={"channel_sku": listing.channel_sku, "quantity": shown.quantity, "why": shown.reason},
                idempotency_key=f"stock:{listing.pk}:{uuid.uuid4().hex}",
                attempts=1,
                last_attempt_at=now,
            ),
            log=ListingStatusLog(listing=listing, quantity=shown.quantity, outcome=ListingStatus.PENDING),
        )
        for listing, shown in batch
    ]
    with transaction.atomic():
        ChannelWrite.objects.bulk_create([result.write for result in sending], batch_size=BULK_CHUNK)
        ListingStatusLog.objects.bulk_create([result.log for result in sending], batch_size=BULK_CHUNK)
        _update_grouped(
            Listing,
            [
                (
                    listing.pk,
                    {
                        "status": ListingStatus.PENDING,
                        "last_sent_quantity": shown.quantity,
                        "reserve_held": shown.reserve.held,
                    },
                )
                for listing, shown in batch
            ],
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


_LISTING_STATUS = {
    OutcomeStatus.CONFIRMED: ListingStatus.CONFIRMED,
    OutcomeStatus.PENDING: ListingStatus.PENDING,
}
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
        if outcome.writes_left is not None:  # the channel's count of writes left (eBay: revisions today)
            values.update(writes_left=outcome.writes_left, writes_reset_at=outcome.writes_reset_at)
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
        if outcome.status == OutcomeStatus.STALE:  # imported, recomputed and sent again (push below)
            continue
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
