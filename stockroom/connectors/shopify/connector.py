"""The Shopify connector: a seller's own shop through the Admin GraphQL API (2026-04).

Orders: pages of ``orders`` sorted by ``UPDATED_AT`` from the cursor (the last ``updatedAt`` seen, inclusive:
an order seen again is an unchanged upsert). Shipments: each package becomes one ``fulfillmentCreate`` of the
matching fulfillment order lines, after reading the order back (a fulfilment with the same tracking number
already there is the earlier attempt: confirmed, not sent twice). Stock: ``inventorySetQuantities`` on
``available`` at the managed location, compare-and-swap with an idempotency key: ``changeFromQuantity`` =
the quantity Stockroom last confirmed less the shop's own sales imported since (``StockUpdate``), never
what the shop happens to show (a listing never confirmed: what the shop shows, read in the same push). A
``CHANGE_FROM_QUANTITY_STALE`` answer is ``WriteStatus.STALE``: the shop sold or was changed in a way
Stockroom has not imported; the engine imports the shop's orders, recomputes and sends again. Webhooks: ``register_webhooks`` and ``read_webhook`` (HMAC checked with the app's client secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
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
    Permanent,
    ShipmentConfirmation,
    StockUpdate,
    WebhookNotice,
    WebhookRefused,
    WriteOutcome,
    WriteStatus,
)
from stockroom.connectors.jsonbody import read_json

from . import mapping
from . import operations as ops
from .client import ShopifyClient, UnknownShop
from .spec import CHANNEL, REQUIRED_SCOPES, SPEC

ORDER_PAGE_SIZE = 8  # x (30 lines) stays under the 1,000-point cost of one query
VARIANT_PAGE_SIZE = 100
FIRST_RUN_LOOKBACK = timedelta(days=7)
WEBHOOK_TOPICS = ("ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "ORDERS_FULFILLED")


def _now() -> datetime:
    return datetime.now(UTC)


def _expected(update: StockUpdate, shown: int) -> int:
    """The quantity the shop must show for Stockroom's write to go through: the last confirmed one less
    the shop's own sales imported since; what it shows when Stockroom never confirmed one."""
    if update.last_quantity is None:
        return shown
    return update.last_quantity - update.channel_sold_since


def _stale(update: StockUpdate, shown: int | None, expected: int) -> WriteOutcome:
    now = "the shop's quantity is" if shown is None else f"the shop shows {shown},"
    return WriteOutcome(
        update.channel_sku,
        WriteStatus.STALE,
        f"{now} not the {expected} Stockroom expected: it sold or was changed since Stockroom last "
        f"confirmed {update.last_quantity}, and {update.quantity} was not written over it",
        quantity=shown,
    )


class ShopifyConnector(ConnectorLifecycle):
    channel = CHANNEL
    spec = SPEC
    capabilities = SPEC.capabilities
    max_stock_batch = 100

    def __init__(self, config: AccountConfig) -> None:
        self.config = config
        self._client: ShopifyClient | None = None
        self._location: str | None = None

    @property
    def client(self) -> ShopifyClient:
        if self._client is None:
            self._client = ShopifyClient(self.config)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ------------------------------------------------------------------ check
    def check(self, *, orders_since: datetime | None) -> CheckResult:
        problems = SPEC.check_credentials(self.config.credentials) if SPEC.check_credentials else []
        if problems:
            return CheckResult(False, problems[0].capitalize() + ".")
        try:
            data = self.client.graphql(ops.CHECK)
        except (UnknownShop, AuthFailed) as error:
            return CheckResult(False, error.message + ".")
        except ChannelError as error:
            return CheckResult(
                False, f"Shopify could not be reached ({error.message}); try again in a few minutes."
            )
        granted = {scope["handle"] for scope in data["currentAppInstallation"]["accessScopes"]}
        implied = {s.replace("write_", "read_") for s in granted if s.startswith("write_")}
        missing = [s for s in REQUIRED_SCOPES if s not in granted | implied]
        shop = data["shop"]
        if missing:
            needs = "; ".join(f"{s} (to {REQUIRED_SCOPES[s]})" for s in missing)
            return CheckResult(
                False,
                f"Connected to {shop['name']} ({shop['myshopifyDomain']}), but the app lacks the access "
                f"scopes {needs}: add them in the app's configuration and install it again.",
            )
        try:
            location = self.location()
            since = orders_since or (_now() - FIRST_RUN_LOOKBACK)
            count = self.client.graphql(
                ops.ORDERS_COUNT, {"query": f"updated_at:>='{mapping.shopify_time(since)}'"}
            )["ordersCount"]
        except ChannelError as error:
            return CheckResult(False, error.message + ".")
        waiting = count["count"] if count else 0
        return CheckResult(
            True,
            f"Connected to Shopify shop {shop['name']} ({shop['myshopifyDomain']}); Stockroom manages the stock "
            f"of location {location['name']}; {waiting} order{'s' if waiting != 1 else ''} to download.",
            orders_waiting=waiting,
        )

    def location(self) -> dict:
        """The managed location ({id, name}): the account's option, or the shop's first active location."""
        wanted = self.config.options.get("location") or ""
        nodes = self.client.graphql(ops.LOCATIONS)["locations"]["nodes"]
        for node in nodes:
            if (wanted and node["id"] == wanted) or (not wanted and node["isActive"]):
                self._location = node["id"]
                return node
        raise Permanent(
            f"The shop has no location {wanted}: pick one of "
            + ", ".join(f"{n['name']} ({n['id']})" for n in nodes)
            if wanted
            else "The shop has no active location"
        )

    def _location_id(self) -> str:
        if self._location is None:
            self.location()
        return self._location

    # ------------------------------------------------------------------ orders
    def fetch_orders(self, *, cursor: str | None, since: datetime | None) -> Iterator[OrderPage]:
        if cursor:
            start = cursor
        else:
            start = mapping.shopify_time(since or (_now() - FIRST_RUN_LOOKBACK))
        after = None
        while True:
            data = self.client.graphql(
                ops.ORDERS,
                {"first": ORDER_PAGE_SIZE, "after": after, "query": f"updated_at:>='{start}'"},
            )["orders"]
            orders, failed, newest = [], [], None
            for node in data["nodes"]:
                newest = node.get("updatedAt") or newest
                try:
                    orders.append(mapping.order(node))
                except mapping.Unreadable as error:
                    failed.append(
                        FailedRecord(
                            mapping.numeric(node.get("id") or ""), str(error), json.dumps(node)[:4000]
                        )
                    )
            more = data["pageInfo"]["hasNextPage"]
            yield OrderPage(orders=tuple(orders), next_cursor=newest, failed=tuple(failed), done=not more)
            if not more:
                return
            after = data["pageInfo"]["endCursor"]

    def fetch_order(self, external_order_id: str):
        """The order as the shop has it now (a webhook's import), or None if the shop has no such order."""
        node = self.client.graphql(ops.ORDER, {"id": f"gid://shopify/Order/{external_order_id}"})["order"]
        return None if node is None else mapping.order(node)

    # ------------------------------------------------------------------ shipments
    def confirm_shipments(self, shipments: Sequence[ShipmentConfirmation]) -> list[WriteOutcome]:
        outcomes = []
        for shipment in shipments:
            try:
                outcomes.append(self._confirm(shipment))
            except ChannelError as error:
                outcomes.append(
                    WriteOutcome(
                        shipment.external_order_id,
                        WriteStatus.ERROR,
                        error.message,
                        retryable=error.retryable,
                    )
                )
        return outcomes

    def _confirm(self, shipment: ShipmentConfirmation) -> WriteOutcome:
        """One package: read the order back, leave out what an earlier attempt of this package (same
        tracking number) already fulfilled, then one ``fulfillmentCreate`` per location for the rest."""
        key = shipment.external_order_id
        node = self.client.graphql(ops.FULFILLMENT_ORDERS, {"id": f"gid://shopify/Order/{key}"})["order"]
        if node is None:
            return WriteOutcome(key, WriteStatus.ERROR, f"Shopify has no order {key}")
        earlier: dict[str, int] = {}  # line item id -> units an earlier attempt of this package fulfilled
        earlier_ids = []
        for done in node["fulfillments"]:
            numbers = {info.get("number") for info in done["trackingInfo"]}
            if shipment.tracking_number and shipment.tracking_number in numbers:
                earlier_ids.append(done["id"])
                for item in done["fulfillmentLineItems"]["nodes"]:
                    line_id = mapping.numeric(item["lineItem"]["id"])
                    earlier[line_id] = earlier.get(line_id, 0) + (item.get("quantity") or 0)
        slots: dict[str, list[list]] = {}  # line item id -> [[location, fo id, fo line id, remaining], ...]
        for fo in node["fulfillmentOrders"]["nodes"]:
            if fo["status"] not in ("OPEN", "IN_PROGRESS"):
                continue
            location = ((fo.get("assignedLocation") or {}).get("location") or {}).get("id", "")
            for line in fo["lineItems"]["nodes"]:
                if line["remainingQuantity"] > 0:
                    slots.setdefault(mapping.numeric(line["lineItem"]["id"]), []).append(
                        [location, fo["id"], line["id"], line["remainingQuantity"]]
                    )
        wanted = {}
        for line in shipment.lines:
            covered = min(line.quantity, earlier.get(line.external_line_id, 0))
            earlier[line.external_line_id] = earlier.get(line.external_line_id, 0) - covered
            if line.quantity - covered:
                wanted[line.external_line_id] = wanted.get(line.external_line_id, 0) + line.quantity - covered
        if not wanted:
            return WriteOutcome(
                key, WriteStatus.CONFIRMED, "already on Shopify", submission_ref=",".join(earlier_ids)
            )
        if node["fulfillments"] and not earlier_ids and not any(slots.get(line_id) for line_id in wanted):
            # nothing of the package is left to fulfil and the order has fulfilments: an earlier attempt
            # without a tracking number, or the seller fulfilled it in Shopify's admin. Not sent twice.
            return WriteOutcome(key, WriteStatus.CONFIRMED, "already fulfilled on Shopify")
        by_location: dict[str, dict[str, list[dict]]] = {}  # location -> fo id -> lines
        for line_id, quantity in wanted.items():
            left = quantity
            for slot in slots.get(line_id, []):
                take = min(left, slot[3])
                if take:
                    by_location.setdefault(slot[0], {}).setdefault(slot[1], []).append(
                        {"id": slot[2], "quantity": take}
                    )
                    slot[3] -= take
                    left -= take
            if left:
                return WriteOutcome(
                    key,
                    WriteStatus.ERROR,
                    f"Shopify has {quantity - left} of line {line_id} left to fulfil, not {quantity}: "
                    "it was fulfilled or cancelled on Shopify",
                )
        company = shipment.carrier_name if shipment.carrier_code == "Other" else shipment.carrier_code
        tracking = {"number": shipment.tracking_number or None, "company": company or None}
        made = list(earlier_ids)
        for groups in by_location.values():  # Shopify fulfils the orders of one location at a time
            data = self.client.graphql(
                ops.FULFILLMENT_CREATE,
                {
                    "fulfillment": {
                        "trackingInfo": tracking,
                        "notifyCustomer": True,
                        "lineItemsByFulfillmentOrder": [
                            {"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": lines}
                            for fo_id, lines in groups.items()
                        ],
                    }
                },
            )["fulfillmentCreate"]
            if data["userErrors"]:
                return WriteOutcome(
                    key, WriteStatus.ERROR, "Shopify: " + "; ".join(e["message"] for e in data["userErrors"])
                )
            made.append(data["fulfillment"]["id"])
        return WriteOutcome(key, WriteStatus.CONFIRMED, submission_ref=",".join(made))

    # ------------------------------------------------------------------ stock
    def _variants(self, query: str | None) -> Iterator[dict]:
        after = None
        while True:
            page = self.client.graphql(
                ops.VARIANTS,
                {"first": VARIANT_PAGE_SIZE, "after": after, "query": query, "location": self._location_id()},
            )["productVariants"]
            yield from page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]

    @staticmethod
    def _available(variant: dict) -> int | None:
        level = variant["inventoryItem"]["inventoryLevel"]
        if level is None:
            return None
        return next((q["quantity"] for q in level["quantities"] if q["name"] == "available"), None)

    def push_stock(self, updates: Sequence[StockUpdate]) -> list[WriteOutcome]:
        sent = [u for u in updates if not u.fulfilled_by_channel]
        if not sent:
            return []
        location = self._location_id()
        query = " OR ".join("sku:'{}'".format(u.channel_sku.replace("'", "\\'")) for u in sent)
        shown = {v["sku"]: v for v in self._variants(query) if v.get("sku")}
        outcomes: dict[str, WriteOutcome] = {}
        quantities, by_item = [], {}
        for update in sent:
            variant = shown.get(update.channel_sku)
            if variant is None:
                outcomes[update.channel_sku] = WriteOutcome(
                    update.channel_sku,
                    WriteStatus.ERROR,
                    f"the shop has no variant with SKU {update.channel_sku}",
                )
                continue
            current = self._available(variant)
            if current is None:
                outcomes[update.channel_sku] = WriteOutcome(
                    update.channel_sku,
                    WriteStatus.ERROR,
                    "the variant is not stocked at the location Stockroom manages: stock it there in Shopify",
                )
                continue
            expected = _expected(update, current)
            if current == update.quantity:  # the shop shows it already: nothing to write
                outcomes[update.channel_sku] = WriteOutcome(
                    update.channel_sku, WriteStatus.CONFIRMED, quantity=update.quantity
                )
                continue
            if current != expected:  # known before writing: the shop would answer stale
                outcomes[update.channel_sku] = _stale(update, current, expected)
                continue
            item = variant["inventoryItem"]["id"]
            by_item[item] = update
            quantities.append(
                {
                    "inventoryItemId": item,
                    "locationId": location,
                    "quantity": update.quantity,
                    "changeFromQuantity": expected,
                }
            )
        if quantities:
            outcomes.update(self._set(quantities, by_item))
        return [outcomes[u.channel_sku] for u in sent]

    def _set(self, quantities: list[dict], by_item: dict[str, StockUpdate]) -> dict[str, WriteOutcome]:
        payload = {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": f"stockroom://accounts/{self.config.account_id}/stock",
            "quantities": quantities,
        }
        # one key per write: the client's retries of this call reuse it, a later write of the same
        # quantities (1 -> 0 again after a restock and a sale) is a new write, not a replay of the first
        key = uuid.uuid4().hex
        data = self.client.graphql(ops.SET_QUANTITIES, {"input": payload, "key": key})[
            "inventorySetQuantities"
        ]
        errors = data["userErrors"]
        if not errors:
            group = (data.get("inventoryAdjustmentGroup") or {}).get("id", "")
            return {
                u.channel_sku: WriteOutcome(
                    u.channel_sku, WriteStatus.CONFIRMED, submission_ref=group, quantity=u.quantity
                )
                for u in by_item.values()
            }
        failed: dict[int, dict] = {}
        for error in errors:  # field: ["input", "quantities", "<index>", ...]
            field = error.get("field") or []
            index = int(field[2]) if len(field) > 2 and str(field[2]).isdigit() else -1
            failed[index] = error
        outcomes: dict[str, WriteOutcome] = {}
        retry = []
        for index, quantity in enumerate(quantities):
            update = by_item[quantity["inventoryItemId"]]
            error = failed.get(index)
            if error is None:
                retry.append(quantity)  # refused only because the batch is all or nothing
            elif error.get("code") == "CHANGE_FROM_QUANTITY_STALE":  # it changed between read and write
                outcomes[update.channel_sku] = _stale(update, None, quantity["changeFromQuantity"])
            else:
                outcomes[update.channel_sku] = WriteOutcome(
                    update.channel_sku, WriteStatus.ERROR, f"Shopify: {error.get('message')}"
                )
        if retry and -1 not in failed:
            outcomes.update(self._set(retry, by_item))
        for quantity in retry:
            update = by_item[quantity["inventoryItemId"]]
            outcomes.setdefault(
                update.channel_sku,
                WriteOutcome(
                    update.channel_sku, WriteStatus.ERROR, "Shopify refused the batch", retryable=True
                ),
            )
        return outcomes

    def collect_stock_results(self, submission_refs: Sequence[str]) -> list[WriteOutcome]:
        return []  # inventorySetQuantities answers at once

    # ------------------------------------------------------------------ listings
    def list_listings(self) -> Iterator[ChannelListing]:
        location = self._location_id()
        for variant in self._variants(None):
            if not variant.get("sku"):
                continue
            yield ChannelListing(
                channel_sku=variant["sku"],
                external_ref=mapping.numeric(variant["id"]),
                title=variant.get("displayName") or "",
                quantity=self._available(variant),
                refs=ListingRefs(inventory_item_ref=variant["inventoryItem"]["id"], location_ref=location),
            )

    # ------------------------------------------------------------------ webhooks
    def register_webhooks(self, url: str) -> list[str]:
        """Subscribe ``url`` to the order topics not yet subscribed; the topics subscribed now."""
        existing = self.client.graphql(ops.WEBHOOKS)["webhookSubscriptions"]["nodes"]
        have = {(n["topic"], (n.get("endpoint") or {}).get("callbackUrl")) for n in existing}
        added = []
        for topic in WEBHOOK_TOPICS:
            if (topic, url) in have:
                continue
            data = self.client.graphql(ops.WEBHOOK_CREATE, {"topic": topic, "url": url})[
                "webhookSubscriptionCreate"
            ]
            if data["userErrors"]:
                raise Permanent(
                    "Shopify refused the webhook: " + "; ".join(e["message"] for e in data["userErrors"])
                )
            added.append(topic)
        return added

    def read_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
        """Verify a webhook's signature and read which order it is about; raises WebhookRefused."""
        secret = self.config.credentials.get("client_secret") or ""
        given = headers.get("x-shopify-hmac-sha256") or ""
        if not secret:
            raise WebhookRefused("the account has no app client secret to verify webhooks with")
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, given):
            raise WebhookRefused("the webhook's signature (X-Shopify-Hmac-SHA256) does not match")
        if (headers.get("x-shopify-shop-domain") or "") != self.config.external_account_id:
            raise WebhookRefused("the webhook is from another shop")
        webhook_id = headers.get("x-shopify-webhook-id") or ""
        if not webhook_id:
            raise WebhookRefused("the webhook has no X-Shopify-Webhook-Id")
        try:
            payload = read_json(body)
            order_id = str(int(payload["id"]))
        except (ValueError, KeyError, TypeError):
            raise WebhookRefused("the webhook's body is not an order") from None
        return WebhookNotice(
            delivery_id=webhook_id[:100],
            topic=(headers.get("x-shopify-topic") or "")[:60],
            external_order_id=order_id,
        )
