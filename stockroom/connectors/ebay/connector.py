"""The eBay connector: Sell Fulfillment (orders, shipping fulfillments) and Sell Inventory (bulk price and
quantity, inventory items and offers) through one client (client.py), translated by mapping.py."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from stockroom.channels.contracts import (
    AccountConfig,
    AuthFailed,
    ChannelError,
    ChannelListing,
    CheckResult,
    ConnectorLifecycle,
    FailedRecord,
    ListingRefs,
    OrderPage,
    RateLimited,
    ShipmentConfirmation,
    StockUpdate,
    WriteOutcome,
    WriteStatus,
)

from . import mapping
from .client import REFRESH_ENDS, EbayClient, EbayError
from .spec import CHANNEL, DAILY_CALL_QUOTA, LANGUAGES, SPEC

FULFILLMENT = "/sell/fulfillment/v1"
INVENTORY = "/sell/inventory/v1"
OVERLAP = timedelta(minutes=2)  # each run reads again the last two minutes before its cursor
LOOKBACK = timedelta(days=7)  # the first run without a cut-off
BATCH = 25  # bulkUpdatePriceQuantity takes at most 25 entries
REVISIONS_PER_DAY = 250
INVENTORY_CALLS = "inventory_calls"  # the day's bulkUpdatePriceQuantity calls, in the token cache
CONSENT_WARNING = timedelta(days=30)
NOT_AN_INVENTORY_ITEM = 25702  # "SKU ... is not available in the system": not an Inventory API listing


def _now() -> datetime:
    return datetime.now(UTC)


def _midnight() -> datetime:
    """The next midnight UTC, when eBay's daily counts start again."""
    return (_now() + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _is_drop(update: StockUpdate) -> bool:
    """A change that lowers what buyers can buy (or whose previous level is unknown): never oversells."""
    return update.quantity == 0 or update.last_quantity is None or update.quantity < update.last_quantity


def _importance(update: StockUpdate) -> tuple[int, int]:
    """Sort key: a drop to 0 first, then the biggest drops, then rises (smallest first)."""
    drop = (update.last_quantity - update.quantity) if update.last_quantity is not None else 0
    return (0 if update.quantity == 0 else 1, -drop)


class EbayConnector(ConnectorLifecycle):
    channel = CHANNEL
    spec = SPEC
    capabilities = SPEC.capabilities
    max_stock_batch = BATCH

    def __init__(self, config: AccountConfig) -> None:
        self.config = config
        self._limit_reached = False  # eBay answered 429 during the current stock push
        self.marketplace = config.marketplaces[0] if config.marketplaces else "EBAY_GB"
        self.client = EbayClient(
            credentials=config.credentials,
            endpoint=config.endpoint,
            token_url=config.token_url,
            token_cache=config.token_cache,
            language=LANGUAGES.get(self.marketplace, "en-US"),
            marketplace=self.marketplace,
        )

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ check
    def check(self, *, orders_since: datetime | None) -> CheckResult:
        since = orders_since or (_now() - LOOKBACK)
        try:
            waiting = self.client.json(
                "GET",
                f"{FULFILLMENT}/order",
                operation="getOrders",
                params={"filter": f"lastmodifieddate:[{mapping.format_time(since)}..]", "limit": 1},
            ).get("total", 0)
            self.client.json(
                "GET", f"{INVENTORY}/inventory_item", operation="getInventoryItems", params={"limit": 1}
            )
        except ChannelError as error:
            return CheckResult(ok=False, message=error.message)
        warnings = self._consent_warnings()
        return CheckResult(
            ok=True,
            warnings=warnings,
            message=f"Connected to eBay seller {self.config.external_account_id} on {self.marketplace}: "
            f"{waiting} order(s) wait to be downloaded.",
            marketplaces=(self.marketplace,),
            orders_waiting=int(waiting),
        )

    def _consent_warnings(self) -> tuple[str, ...]:
        """The seller's consent (the refresh token, about 18 months) ends: warned 30 days before."""
        text = str(self.config.credentials.get(REFRESH_ENDS) or "")
        if not text:
            return ()
        try:
            ends = mapping.parse_time(text)
        except mapping.Unreadable:
            return ()
        if ends - _now() > CONSENT_WARNING:
            return ()
        return (
            f"eBay's consent for this account ends on {ends:%d %b %Y} (UTC): connect the account to eBay "
            "again before then, or orders and stock stop",
        )

    # ------------------------------------------------------------------ orders
    def fetch_orders(self, *, cursor: str | None, since: datetime | None) -> Iterator[OrderPage]:
        """Orders modified since the cursor (``lastmodifieddate:[cursor..]``, open-ended), page by page
        (eBay's record offset, newest first). An order changed during the run stays in the range (its
        date only moves on); an order created during the run comes in at the top and shifts the pages,
        so an order can come twice (given once) but none is skipped.

        The cursor is where the next run reads from: the run's own start on every page but the last (a
        killed run resumes there), then the latest ``lastModifiedDate`` eBay returned (bounded by what
        the API said it has), no later than the moment this run began, less a two-minute overlap: an
        order created or changed while the run read its pages is read again by the next run."""
        began = _now()
        if cursor:
            start = mapping.parse_time(cursor)
        else:
            start = since or (began - LOOKBACK)
        if since and start < since:
            start = since
        filter_text = f"lastmodifieddate:[{mapping.format_time(start)}..]"
        limit = int(self.config.options.get("order_page_size") or 100)
        seen: set[str] = set()
        latest: datetime | None = None
        offset = 0
        while True:
            page = self.client.json(
                "GET",
                f"{FULFILLMENT}/order",
                operation="getOrders",
                params={"filter": filter_text, "limit": limit, "offset": offset},
            )
            orders, failed = [], []
            for document in page.get("orders") or []:
                order_id = str(document.get("orderId") or "")
                if order_id in seen:
                    continue
                seen.add(order_id)
                try:
                    order = mapping.channel_order(document)
                except mapping.Unreadable as error:
                    failed.append(
                        FailedRecord(order_id, f"eBay order {order_id}: {error}", str(document)[:2000])
                    )
                    continue
                orders.append(order)
                if order.last_updated_at and (latest is None or order.last_updated_at > latest):
                    latest = order.last_updated_at
            more = bool(page.get("next"))
            offset += limit
            after = start
            if not more and latest is not None:
                after = max(start, min(latest, began) - OVERLAP)
            yield OrderPage(
                orders=tuple(orders),
                failed=tuple(failed),
                next_cursor=mapping.format_time(after),
                done=not more,
            )
            if not more:
                return

    # ------------------------------------------------------------------ shipping
    def confirm_shipments(self, shipments: Sequence[ShipmentConfirmation]) -> list[WriteOutcome]:
        """Each package -> one createShippingFulfillment. eBay's call is not idempotent, so the order's
        fulfillments are read first: one that matches (same lines and quantities, same tracking number) is
        this package, already received (a lost answer, a killed worker): confirmed, not sent again."""
        outcomes = []
        for shipment in shipments:
            key = shipment.external_order_id
            body = mapping.fulfillment_request(shipment)
            path = f"{FULFILLMENT}/order/{key}/shipping_fulfillment"
            try:
                existing = self.client.json("GET", path, operation="getShippingFulfillments")
                match = next(
                    (f for f in existing.get("fulfillments") or [] if mapping.matches(f, body)), None
                )
                if match is not None:
                    outcomes.append(
                        WriteOutcome(
                            key,
                            WriteStatus.CONFIRMED,
                            "already on eBay",
                            submission_ref=str(match.get("fulfillmentId", "")),
                        )
                    )
                    continue
                response = self.client.request("POST", path, operation="createShippingFulfillment", json=body)
            except AuthFailed as error:
                outcomes.append(WriteOutcome(key, WriteStatus.ERROR, error.message))
            except EbayError as error:
                outcomes.append(WriteOutcome(key, WriteStatus.ERROR, error.message))
            except ChannelError as error:
                outcomes.append(WriteOutcome(key, WriteStatus.ERROR, error.message, retryable=True))
            else:
                location = response.headers.get("location", "")
                outcomes.append(
                    WriteOutcome(key, WriteStatus.CONFIRMED, submission_ref=location.rsplit("/", 1)[-1])
                )
        return outcomes

    # ------------------------------------------------------------------ stock
    def _day_key(self, name: str) -> str:
        return f"{name}:{_now().strftime('%Y-%m-%d')}"

    def _count(self, key: str) -> int:
        try:
            return int(self.config.token_cache.get(self._day_key(key)) or 0)
        except ValueError:
            return 0

    def _set_count(self, key: str, value: int) -> None:
        """A count of today (UTC) in the account's token cache; it expires at midnight UTC."""
        self.config.token_cache.set(self._day_key(key), str(value), expires_at=_midnight())

    def _revisions_key(self, update: StockUpdate) -> str:
        return f"revisions:{update.refs.offer_ref or update.channel_sku}"

    def revisions_used(self, update: StockUpdate) -> int:
        return self._count(self._revisions_key(update))

    def _count_revision(self, update: StockUpdate) -> None:
        self._set_count(self._revisions_key(update), self.revisions_used(update) + 1)

    def calls_used(self) -> int:
        """bulkUpdatePriceQuantity calls made today (UTC) for this account."""
        return self._count(INVENTORY_CALLS)

    def _held(self, update: StockUpdate, message: str, left: int) -> WriteOutcome:
        return WriteOutcome(
            update.channel_sku,
            WriteStatus.ERROR,
            f"held back: {message}",
            retryable=True,
            writes_left=max(left, 0),
            writes_reset_at=_midnight(),
        )

    def push_stock(self, updates: Sequence[StockUpdate]) -> list[WriteOutcome]:
        """bulkUpdatePriceQuantity in groups of 25, one status per entry, planned within two limits.

        A listing's 250 revisions a day: with ``2 x revision_reserve`` or fewer left only drops are sent,
        with ``revision_reserve`` or fewer only a drop to 0, none when none is left; every outcome reports
        the revisions left (``writes_left``). The app's daily Inventory API calls (``daily_call_quota``,
        counted per UTC day in the token cache): the changes are ranked (a drop to 0, then the biggest
        drops, then the rest) and what the calls left cannot carry waits; with ``call_reserve`` or fewer
        calls left only drops are sent. A change held back is a retryable error naming why: the engine
        sends the latest quantity later."""
        options = self.config.options
        reserve = int(options.get("revision_reserve", 20) or 0)
        quota = int(options.get("daily_call_quota") or DAILY_CALL_QUOTA)
        call_reserve = int(options.get("call_reserve", 100) or 0)
        outcomes: list[WriteOutcome] = []
        sendable: list[StockUpdate] = []
        self._limit_reached = False
        for update in updates:
            if update.fulfilled_by_channel:
                continue
            left = REVISIONS_PER_DAY - self.revisions_used(update)
            if left <= 0:
                why = f"none of eBay's {REVISIONS_PER_DAY} revisions of this listing is left today"
            elif left <= reserve and update.quantity != 0:
                why = f"{left} of eBay's {REVISIONS_PER_DAY} revisions of this listing left today, kept for a drop to 0"
            elif left <= 2 * reserve and not _is_drop(update):
                why = f"{left} of eBay's {REVISIONS_PER_DAY} revisions of this listing left today, kept for drops"
            else:
                sendable.append(update)
                continue
            outcomes.append(self._held(update, why + "; sent tomorrow (UTC)", left))
        calls_left = quota - self.calls_used()
        planned = sorted(sendable, key=_importance)
        if calls_left <= call_reserve:
            planned = [u for u in planned if _is_drop(u)]
        planned = planned[: max(calls_left, 0) * BATCH]
        chosen = {id(u) for u in planned}
        for update in sendable:
            if id(update) in chosen:
                continue
            if calls_left <= 0:
                why = f"eBay's daily Inventory API call limit ({quota:,}) is spent"
            elif calls_left <= call_reserve and not _is_drop(update):
                why = f"{calls_left:,} of the day's {quota:,} Inventory API calls left, kept for drops"
            else:
                why = f"{calls_left:,} of the day's {quota:,} Inventory API calls left, used for bigger drops"
            left = REVISIONS_PER_DAY - self.revisions_used(update)
            outcomes.append(self._held(update, why + "; sent when calls are left (after midnight UTC)", left))
        for start in range(0, len(planned), BATCH):
            outcomes += self._send_batch(planned[start : start + BATCH], reserve)
            # spent (eBay said so, or our count): the rest waits, no more calls in this push
            if self._limit_reached or self.calls_used() >= quota:
                why = (
                    "eBay's daily Inventory API call limit is reached (eBay answered 429); a later run tries again"
                    if self._limit_reached
                    else f"eBay's daily Inventory API call limit ({quota:,}) is spent; sent after midnight UTC"
                )
                outcomes += [
                    self._held(u, why, REVISIONS_PER_DAY - self.revisions_used(u))
                    for u in planned[start + BATCH :]
                ]
                break
        return outcomes

    def _send_batch(self, batch: Sequence[StockUpdate], reserve: int) -> list[WriteOutcome]:
        self._set_count(INVENTORY_CALLS, self.calls_used() + 1)  # eBay counts every call, refused or not
        try:
            answer = self.client.json(
                "POST",
                f"{INVENTORY}/bulk_update_price_quantity",
                operation="bulkUpdatePriceQuantity",
                json=mapping.bulk_request(batch),
            )
        except RateLimited as error:  # eBay's daily limit is reached: no more calls in this push
            self._limit_reached = True
            return [
                WriteOutcome(u.channel_sku, WriteStatus.ERROR, error.message, retryable=True) for u in batch
            ]
        except EbayError as error:
            return [WriteOutcome(u.channel_sku, WriteStatus.ERROR, error.message) for u in batch]
        except AuthFailed as error:
            return [WriteOutcome(u.channel_sku, WriteStatus.ERROR, error.message) for u in batch]
        except ChannelError as error:
            return [
                WriteOutcome(u.channel_sku, WriteStatus.ERROR, error.message, retryable=True) for u in batch
            ]
        quota = int(self.config.options.get("daily_call_quota") or DAILY_CALL_QUOTA)
        calls_left = quota - self.calls_used()
        calls_note = ""
        if calls_left <= int(self.config.options.get("call_reserve", 100) or 0):
            calls_note = (
                f"{max(calls_left, 0):,} of the day's {quota:,} eBay Inventory API calls left: "
                "only drops are sent until midnight UTC"
            )
        by_sku: dict[str, list[dict]] = {}
        for response in answer.get("responses") or []:
            by_sku.setdefault(str(response.get("sku")), []).append(response)
        outcomes = []
        for update in batch:
            responses = by_sku.get(update.channel_sku) or []
            failed = [r for r in responses if r.get("statusCode") != 200]
            if responses and not failed:
                self._count_revision(update)
                left = REVISIONS_PER_DAY - self.revisions_used(update)
                note = ""
                if left <= 2 * reserve:  # warned before eBay refuses
                    note = (
                        f"{left} of eBay's {REVISIONS_PER_DAY} revisions of this listing left today; "
                        f"with {2 * reserve} or fewer left only drops are sent, with {reserve} or fewer only "
                        "a drop to 0"
                    )
                if calls_note:
                    note = f"{note}; {calls_note}" if note else calls_note
                outcomes.append(
                    WriteOutcome(
                        update.channel_sku,
                        WriteStatus.CONFIRMED,
                        note,
                        quantity=update.quantity,
                        writes_left=max(left, 0),
                        writes_reset_at=_midnight(),
                    )
                )
                continue
            errors = [e for r in failed for e in r.get("errors") or []]
            text = "; ".join(f"{e.get('message')} (errorId {e.get('errorId')})" for e in errors)
            retry = any("revisions" in str(e.get("message", "")) for e in errors)
            if any(e.get("errorId") == NOT_AN_INVENTORY_ITEM for e in errors):
                text += (
                    ": eBay cannot update this listing through its Inventory API (it was not created with it); "
                    "migrate it (bulkMigrateListing) or list it again with the Inventory API"
                )
            message = f"eBay refused the quantity: {text or 'no answer for this SKU'}"
            outcomes.append(WriteOutcome(update.channel_sku, WriteStatus.ERROR, message, retryable=retry))
        return outcomes

    def collect_stock_results(self, submission_refs: Sequence[str]) -> list[WriteOutcome]:
        return []  # bulkUpdatePriceQuantity answers each entry at once

    # ------------------------------------------------------------------ listings
    def list_listings(self) -> Iterator[ChannelListing]:
        page = 0
        while True:
            items = self.client.json(
                "GET",
                f"{INVENTORY}/inventory_item",
                operation="getInventoryItems",
                params={"limit": 100, "offset": page},
            )
            for item in items.get("inventoryItems") or []:
                sku = str(item.get("sku") or "")
                offers = self._offers(sku)
                offer = next(
                    (o for o in offers if o.get("marketplaceId") == self.marketplace),
                    offers[0] if offers else {},
                )
                quantity = offer.get("availableQuantity")
                if quantity is None:
                    quantity = ((item.get("availability") or {}).get("shipToLocationAvailability") or {}).get(
                        "quantity"
                    )
                yield ChannelListing(
                    channel_sku=sku,
                    external_ref=str((offer.get("listing") or {}).get("listingId") or ""),
                    title=str((item.get("product") or {}).get("title") or ""),
                    quantity=quantity if isinstance(quantity, int) else None,
                    marketplace=str(offer.get("marketplaceId") or self.marketplace),
                    refs=ListingRefs(offer_ref=str(offer.get("offerId") or ""), inventory_item_ref=sku),
                )
            if not items.get("next"):
                return
            page += 1

    def _offers(self, sku: str) -> list[dict]:
        try:
            return (
                self.client.json("GET", f"{INVENTORY}/offer", operation="getOffers", params={"sku": sku}).get(
                    "offers"
                )
                or []
            )
        except EbayError:
            return []  # an item without an offer: nothing listed yet
