"""In-memory state of the simulator (JSON-serialisable dicts) and its time-driven transitions.

Every public method must be called with ``Store.lock`` held (the HTTP layer does this); ``tick()`` applies
every transition that is due on the simulated clock (pending orders becoming unshipped, delayed listing
quantities, feed/report processing, scheduled reports).
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ..common.errors import ControlError, StateFileError
from ..common.store import BaseStore
from .notifications import queue_order_change
from .tables import (
    DEFAULT_ORDER_ID_PREFIXES,
    FBA_CHANNELS,
    MARKETPLACES,
    OPERATIONS_BY_NAME,
    ORDER_ID_PREFIXES,
    REGIONS,
)

__all__ = ["ApiError", "ControlError", "StateFileError", "Store"]

MAX_AMOUNT = Decimal("99999999.99")  # a price or amount the control API accepts (per unit)
MAX_QUANTITY = 1_000_000_000  # a listing quantity or an order line's quantity

DEFAULT_SETTINGS: dict[str, Any] = {
    # all durations are simulated seconds
    "pending_seconds": 600,  # Pending -> Unshipped (payment authorisation)
    "afn_ship_seconds": 3600,  # FBA orders: Unshipped -> Shipped by Amazon
    "listing_update_delay_seconds": 120,  # patch/feed quantity becomes visible after this
    "feed_queue_seconds": 30,
    "feed_processing_seconds": 60,
    "report_queue_seconds": 15,
    "report_processing_seconds": 45,
    "document_url_ttl_seconds": 300,
    "access_token_lifetime_seconds": 3600,
    "rdt_lifetime_seconds": 3600,
    "pagination_token_ttl_seconds": 600,
    "report_compression": None,  # None or "GZIP"
    "rate_limits_enabled": True,
    # ORDER_CHANGE notifications (ADR 0016): sent this long after the change, to SQS at this endpoint
    # (e.g. moto's server, http://127.0.0.1:8769); none: they wait in the outbox
    "notification_delay_seconds": 5,
    "sqs_endpoint_url": None,
}


class ApiError(Exception):
    """An error answered in Amazon's ``{"errors": [{code, message, details}]}`` shape."""

    def __init__(self, status: int, code: str, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict:
        err = {"code": self.code, "message": self.message}
        if self.details is not None:
            err["details"] = self.details
        return {"errors": [err]}


# operations a fault may target besides the SP-API operations
EXTRA_FAULT_OPERATIONS = {
    "placeOrder",
    "downloadReportDocument",
    "downloadFeedDocument",
    "createFeed",
    "createReport",
}


class Store(BaseStore):
    DEFAULT_SETTINGS = DEFAULT_SETTINGS
    FAULT_KINDS = BaseStore.FAULT_KINDS | {
        "http_429",
        "lost_answer",
        "truncated_document",
        "false_gzip",
        "late_order",
        "fatal",
    }
    SPECIAL_FAULT_KINDS = frozenset({"late_order", "truncated_document", "false_gzip", "fatal"})

    def new_state(self, seed: int) -> dict:
        return super().new_state(seed) | {
            "sellers": {},  # seller_id -> seller
            "listings": {},  # seller_id -> {sku -> listing}
            "orders": {},  # order_id -> order
            "order_index": {},  # seller_id -> [order_id] in placement order
            "tokens": {},  # access token / RDT -> token info
            "feeds": {},  # feed_id -> feed
            "feed_documents": {},  # document id -> doc
            "reports": {},  # report_id -> report
            "report_documents": {},  # document id -> doc
            "schedules": {},  # schedule_id -> schedule
            "page_tokens": {},  # token -> {kind, seller_id, ids, offset, expires, extra}
            "submissions": 0,
            "destinations": {},  # destination id -> Notifications API destination (the application's)
            "subscriptions": {},  # subscription id -> subscription (a seller's)
            "notification_outbox": [],  # ORDER_CHANGE messages waiting to be published to SQS
            "notification_log": [],  # the last messages published
        }

    def check_state(self, path: str, state: dict) -> None:
        _check_amounts(path, state)

    def fault_operations(self) -> set[str]:
        return set(OPERATIONS_BY_NAME) | EXTRA_FAULT_OPERATIONS

    def rate_limit(self, operation: str) -> tuple[float, int]:
        op = OPERATIONS_BY_NAME[operation]
        return op.rate, op.burst

    def rebuild_events(self) -> None:
        for order in self.s["orders"].values():
            if order["status"] == "Pending":
                self._schedule(order["pending_until"], "order", order["order_id"])
            elif order["status"] == "Unshipped" and order["fulfillment_channel"] == "AFN":
                self._schedule(order["afn_ship_at"], "order", order["order_id"])
        for seller_id, listings in self.s["listings"].items():
            for sku, listing in listings.items():
                for upd in listing["pending_updates"]:
                    self._schedule(upd["apply_at"], "listing", f"{seller_id}|{sku}")
        for feed in self.s["feeds"].values():
            if feed["processingStatus"] in ("IN_QUEUE", "IN_PROGRESS"):
                self._schedule(feed["_next_at"], "feed", feed["feedId"])
        for report in self.s["reports"].values():
            if report["processingStatus"] in ("IN_QUEUE", "IN_PROGRESS"):
                self._schedule(report["_next_at"], "report", report["reportId"])
        for sched in self.s["schedules"].values():
            self._schedule(sched["_next_at"], "schedule", sched["reportScheduleId"])

    def apply_event(self, kind: str, key: str, due: float, now: float) -> None:
        from . import feeds as feeds_mod
        from . import reports as reports_mod

        if kind == "order":
            self._order_due(key, due)
        elif kind == "listing":
            self._listing_due(key, now)
        elif kind == "feed":
            feeds_mod.step_feed(self, key, due)
        elif kind == "report":
            reports_mod.step_report(self, key, due)
        elif kind == "schedule":
            reports_mod.fire_schedule(self, key, due, now)

    # ------------------------------------------------------------------ sellers
    def create_seller(self, data: dict) -> dict:
        seller_id = data.get("seller_id")
        if not isinstance(seller_id, str) or not seller_id:
            raise ControlError(400, "seller_id is required")
        if seller_id in self.s["sellers"]:
            raise ControlError(409, f"seller {seller_id} already exists")
        region = data.get("region", "EU")
        if region not in REGIONS:
            raise ControlError(400, f"region must be one of {list(REGIONS)}")
        marketplaces = data.get("marketplaces") or []
        if not isinstance(marketplaces, list) or not marketplaces:
            raise ControlError(400, "marketplaces must be a non-empty list of marketplace ids")
        for mp in marketplaces:
            if mp not in MARKETPLACES:
                raise ControlError(400, f"unknown marketplace id {mp!r}")
            if MARKETPLACES[mp].region != region:
                raise ControlError(400, f"marketplace {mp} is not in region {region}")
        for field in ("client_id", "client_secret", "refresh_token"):
            if not isinstance(data.get(field), str) or not data[field]:
                raise ControlError(400, f"{field} is required")
        for other in self.s["sellers"].values():
            if other["refresh_token"] == data["refresh_token"]:
                raise ControlError(409, "refresh_token already used by another seller")
        seller = {
            "seller_id": seller_id,
            "name": data.get("name") or f"Seller {seller_id}",
            "region": region,
            "marketplaces": list(marketplaces),
            "client_id": data["client_id"],
            "client_secret": data["client_secret"],
            "refresh_token": data["refresh_token"],
            "created_at": self.now(),
            "ship_from": data.get("ship_from")
            or {
                "name": data.get("name") or f"Seller {seller_id}",
                "address_line1": "1 Warehouse Road",
                "city": "Simtown",
                "state_or_region": "Simshire",
                "postal_code": "SIM 1AA",
                "country_code": MARKETPLACES[marketplaces[0]].country,
            },
        }
        self.s["sellers"][seller_id] = seller
        self.s["listings"][seller_id] = {}
        self.s["order_index"][seller_id] = []
        return seller

    def seller(self, seller_id: str) -> dict:
        seller = self.s["sellers"].get(seller_id)
        if seller is None:
            raise ControlError(404, f"unknown seller {seller_id}")
        return seller

    # ------------------------------------------------------------------ LWA tokens
    def issue_access_token(self, *, seller_id: str | None, client_id: str, scope: str | None = None) -> dict:
        token = "Atza|" + "".join(
            self.token_rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
            for _ in range(64)
        )
        lifetime = self.settings["access_token_lifetime_seconds"]
        info = {
            "kind": "access",
            "seller_id": seller_id,
            "client_id": client_id,
            "scope": scope,
            "expires_at": self.now() + lifetime,
        }
        self.s["tokens"][token] = info
        return {"token": token, "lifetime": lifetime}

    def issue_rdt(self, *, seller_id: str, resources: list[dict]) -> dict:
        token = "Atz.sprdt|" + "".join(
            self.token_rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
            for _ in range(64)
        )
        lifetime = self.settings["rdt_lifetime_seconds"]
        self.s["tokens"][token] = {
            "kind": "rdt",
            "seller_id": seller_id,
            "resources": resources,
            "expires_at": self.now() + lifetime,
        }
        return {"token": token, "lifetime": lifetime}

    # ------------------------------------------------------------------ listings
    def create_listing(self, seller_id: str, data: dict) -> dict:
        seller = self.seller(seller_id)
        sku = data.get("sku")
        if not isinstance(sku, str) or not sku:
            raise ControlError(400, "sku is required")
        if sku in self.s["listings"][seller_id]:
            raise ControlError(409, f"listing {sku} already exists")
        quantity = check_quantity(data.get("quantity", 0), "quantity", 0)
        price = _money(data.get("price", "10.00"), "price")
        channel = data.get("fulfillment_channel", "DEFAULT")
        if channel != "DEFAULT" and channel not in FBA_CHANNELS:
            raise ControlError(400, f"fulfillment_channel must be DEFAULT or one of {sorted(FBA_CHANNELS)}")
        marketplaces = data.get("marketplaces") or seller["marketplaces"]
        for mp in marketplaces:
            if mp not in seller["marketplaces"]:
                raise ControlError(400, f"seller does not sell in marketplace {mp}")
        asin = data.get("asin") or (
            "B0" + "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(8))
        )
        now = self.now()
        listing = {
            "sku": sku,
            "asin": asin,
            "product_type": data.get("product_type") or "PRODUCT",
            "title": data.get("title") or f"Product {sku}",
            "fulfillment_channel": channel,
            "quantity": quantity,
            "price": price,
            "condition_type": data.get("condition_type", "new_new"),
            "marketplaces": list(marketplaces),
            "created_at": now,
            "last_updated": now,
            "pending_updates": [],
            "history": [{"at": now, "quantity": quantity, "previous": None, "source": "control:create"}],
            "attributes": {},
        }
        self.s["listings"][seller_id][sku] = listing
        return listing

    def listing(self, seller_id: str, sku: str) -> dict | None:
        return self.s["listings"].get(seller_id, {}).get(sku)

    def set_listing_quantity(
        self, seller_id: str, listing: dict, quantity: int, source: str, at: float
    ) -> None:
        previous = listing["quantity"]
        listing["quantity"] = quantity
        listing["last_updated"] = at
        listing["history"].append({"at": at, "quantity": quantity, "previous": previous, "source": source})

    def queue_listing_update(
        self, seller_id: str, listing: dict, quantity: int | None, source: str, *, at: float | None = None
    ) -> None:
        """A seller-submitted quantity (patch or feed), accepted at `at` (default now): becomes visible
        after the propagation delay counted from then."""
        apply_at = (self.now() if at is None else at) + self.settings["listing_update_delay_seconds"]
        listing["pending_updates"].append({"apply_at": apply_at, "quantity": quantity, "source": source})
        self._schedule(apply_at, "listing", f"{seller_id}|{listing['sku']}")

    def _listing_due(self, key: str, now: float) -> None:
        seller_id, sku = key.split("|", 1)
        listing = self.listing(seller_id, sku)
        if listing is None:
            return
        keep = []
        for upd in listing["pending_updates"]:
            if upd["apply_at"] <= now:
                self.set_listing_quantity(
                    seller_id, listing, upd["quantity"] or 0, upd["source"], upd["apply_at"]
                )
            else:
                keep.append(upd)
        listing["pending_updates"] = keep

    def next_submission_id(self) -> str:
        return uuid.UUID(int=self.token_rng.getrandbits(128), version=4).hex

    # ------------------------------------------------------------------ orders
    def new_order_id(self, marketplace_id: str) -> str:
        country = MARKETPLACES[marketplace_id].country
        prefix = self.rng.choice(ORDER_ID_PREFIXES.get(country, DEFAULT_ORDER_ID_PREFIXES))
        while True:
            oid = f"{prefix}-{self._digits(7)}-{self._digits(7)}"
            if oid not in self.s["orders"]:
                return oid

    def place_order(self, seller_id: str, data: dict) -> dict:
        from ..common.clock import parse_iso

        seller = self.seller(seller_id)
        mp = data.get("marketplace_id")
        if mp not in seller["marketplaces"]:
            raise ControlError(
                400, f"marketplace_id must be one of the seller's marketplaces {seller['marketplaces']}"
            )
        items = data.get("items")
        if not isinstance(items, list) or not items:
            raise ControlError(400, "items must be a non-empty list")
        listings = self.s["listings"][seller_id]
        channels = set()
        wanted: dict[str, int] = {}
        amounts: list[dict[str, str]] = []  # checked before anything is drawn from the RNGs or stored
        for n, item in enumerate(items):
            sku = item.get("sku") if isinstance(item, dict) else None
            if sku not in listings:
                raise ControlError(400, f"unknown sku {sku!r}")
            qty = check_quantity(item.get("quantity", 1), f"items[{n}].quantity", 1)
            wanted[sku] = wanted.get(sku, 0) + qty
            amounts.append(
                {
                    name: _money(item.get(name, default), f"items[{n}].{name}")
                    for name, default in (
                        ("unit_price", listings[sku]["price"]),
                        ("shipping_price", "0.00"),
                        ("item_tax", "0.00"),
                        ("shipping_tax", "0.00"),
                        ("promotion_discount", "0.00"),
                    )
                }
            )
            channels.add("MFN" if listings[sku]["fulfillment_channel"] == "DEFAULT" else "AFN")
        if len(channels) > 1:
            raise ControlError(400, "an order cannot mix merchant-fulfilled and FBA listings")
        channel = data.get("fulfillment_channel") or channels.pop()
        if channel not in ("MFN", "AFN"):
            raise ControlError(400, "fulfillment_channel must be MFN or AFN")
        if not data.get("force"):
            for sku, qty in wanted.items():
                if listings[sku]["quantity"] < qty:
                    raise ControlError(
                        409, f"sku {sku}: only {listings[sku]['quantity']} available, {qty} ordered"
                    )
        now = self.now()
        created = now
        if data.get("created_at"):
            try:
                created = parse_iso(data["created_at"])
            except ValueError as exc:
                raise ControlError(400, f"created_at: {exc}") from exc
        aliases = {
            "PENDING": "Pending",
            "UNSHIPPED": "Unshipped",
            "SHIPPED": "Shipped",
            "CANCELLED": "Canceled",
            "CANCELED": "Canceled",
            "Cancelled": "Canceled",
        }
        final = aliases.get(data.get("status") or "Pending", data.get("status") or "Pending")
        if final not in ("Pending", "Unshipped", "Shipped", "Canceled"):
            raise ControlError(400, "status must be Pending, Unshipped, Shipped or Canceled")
        # Shipped/Canceled orders are placed as Unshipped, then shipped/cancelled (seed data for demos)
        status = "Pending" if final == "Pending" else "Unshipped"
        pending_seconds = data.get("pending_seconds", self.settings["pending_seconds"])
        late = data.get("visible_after_seconds")
        late = self._late_order_fault(seller_id) if late is None else float(late)
        market = MARKETPLACES[mp]
        currency = data.get("currency") or market.currency
        order_id = self.new_order_id(mp)
        order_items = []
        for item, item_amounts in zip(items, amounts, strict=True):
            listing = listings[item["sku"]]
            order_items.append(
                {
                    "order_item_id": self._digits(14),
                    "sku": listing["sku"],
                    "asin": listing["asin"],
                    "title": item.get("title") or listing["title"],
                    "quantity": item.get("quantity", 1),
                    "quantity_shipped": 0,
                    **item_amounts,
                }
            )
        address = dict(data.get("address") or {})
        address.setdefault("country_code", market.country)
        buyer_name = data.get("buyer_name") or "Test Buyer"
        order = {
            "order_id": order_id,
            "seller_id": seller_id,
            "marketplace_id": mp,
            "currency": currency,
            "status": status,
            "fulfillment_channel": channel,
            "created_at": created,
            "last_updated": max(created, now) if not data.get("created_at") else created,
            "placed_at": now,
            "pending_until": created + pending_seconds if status == "Pending" else created,
            "payments_at": None if status == "Pending" else created,
            "visible_at": now + late if late else created,
            "afn_ship_at": None,
            "buyer_name": buyer_name,
            "buyer_email": data.get("buyer_email") or f"{self._digits(12)}@marketplace.{market.name.lower()}",
            "address": address,
            "shipping_level": data.get("shipping_level") or "Standard",
            "ship_service_level": data.get("ship_service_level")
            or _ship_service_level(market, data.get("shipping_level")),
            "seller_order_id": data.get("seller_order_id"),
            "is_business_order": bool(data.get("is_business_order", False)),
            "is_prime": bool(data.get("is_prime", False)),
            "items": order_items,
            "shipments": [],
            "cancellation": None,
            "history": [{"at": now, "status": status, "source": "control:place"}],
        }
        self.s["orders"][order_id] = order
        self.s["order_index"][seller_id].append(order_id)
        for sku, qty in wanted.items():
            listing = listings[sku]
            self.set_listing_quantity(
                seller_id, listing, max(0, listing["quantity"] - qty), f"order:{order_id}", now
            )
        if status == "Pending":
            self._schedule(order["pending_until"], "order", order_id)
        elif final == "Shipped":
            lines = [{"order_item_id": i["order_item_id"], "quantity": i["quantity"]} for i in order["items"]]
            shipment = {
                "package_reference_id": "1",
                "carrier_code": "Other",
                "carrier_name": "Seeded",
                "tracking_number": f"SEED{self._digits(10)}",
                "ship_date": created,
                "shipping_method": "Standard",
                "items": lines,
                "via": "control:place",
                "received_at": now,
            }
            self.record_shipment(order, shipment, max(created, order["last_updated"]))
        elif final == "Canceled":
            self.cancel_order(
                order, {"by": data.get("cancelled_by", "buyer"), "reason": data.get("cancel_reason")}
            )
        elif channel == "AFN":
            order["afn_ship_at"] = created + self.settings["afn_ship_seconds"]
            self._schedule(order["afn_ship_at"], "order", order_id)
        if final in ("Pending", "Unshipped"):  # a seeded Shipped or Canceled order told of it already
            queue_order_change(self, order, reason="NewOrder", at=now)
        return order

    def _late_order_fault(self, seller_id: str) -> float:
        fault = self.take_fault("placeOrder", seller_id, kinds=("late_order",))
        if fault is None:
            return 0.0
        return float(fault.get("delay_seconds") or 300)

    def _order_due(self, order_id: str, due: float) -> None:
        order = self.s["orders"].get(order_id)
        if order is None:
            return
        if order["status"] == "Pending" and order["pending_until"] <= due + 1e-6:
            self._set_status(order, "Unshipped", "amazon:payment-authorised", due)
            order["payments_at"] = due
            if order["fulfillment_channel"] == "AFN":
                order["afn_ship_at"] = due + self.settings["afn_ship_seconds"]
                self._schedule(order["afn_ship_at"], "order", order_id)
        elif order["status"] == "Unshipped" and order["fulfillment_channel"] == "AFN":
            for item in order["items"]:
                item["quantity_shipped"] = item["quantity"]
            order["shipments"].append(
                {
                    "package_reference_id": "1",
                    "carrier_code": "Amazon Shipping",
                    "carrier_name": None,
                    "tracking_number": "AMZ" + self._digits(10),
                    "ship_date": due,
                    "shipping_method": "Standard",
                    "items": [
                        {"order_item_id": i["order_item_id"], "quantity": i["quantity"]}
                        for i in order["items"]
                    ],
                    "via": "amazon:fba",
                    "received_at": due,
                }
            )
            self._set_status(order, "Shipped", "amazon:fba", due)

    def _set_status(self, order: dict, status: str, source: str, at: float) -> None:
        order["status"] = status
        order["last_updated"] = max(at, order["last_updated"])
        order["history"].append({"at": at, "status": status, "source": source})
        queue_order_change(self, order, reason=f"OrderStatusChange: {status}", at=at)

    def cancel_order(self, order: dict, data: dict) -> dict:
        if order["status"] == "Canceled":
            raise ControlError(409, "order is already cancelled")
        if any(i["quantity_shipped"] for i in order["items"]):
            raise ControlError(409, f"order is {order['status']}: shipped items cannot be cancelled")
        by = data.get("by", "buyer")
        if by not in ("buyer", "seller", "amazon"):
            raise ControlError(400, "by must be buyer, seller or amazon")
        now = self.now()
        order["cancellation"] = {"by": by, "reason": data.get("reason") or "", "at": now}
        self._set_status(order, "Canceled", f"control:cancel:{by}", now)
        listings = self.s["listings"][order["seller_id"]]
        for item in order["items"]:
            listing = listings.get(item["sku"])
            if listing is not None:
                self.set_listing_quantity(
                    order["seller_id"],
                    listing,
                    listing["quantity"] + item["quantity"],
                    f"cancel:{order['order_id']}",
                    now,
                )
        return order

    def record_shipment(self, order: dict, shipment: dict, at: float) -> None:
        """Apply a validated shipment confirmation (any channel)."""
        by_id = {i["order_item_id"]: i for i in order["items"]}
        for line in shipment["items"]:
            by_id[line["order_item_id"]]["quantity_shipped"] += line["quantity"]
        order["shipments"].append(shipment)
        done = all(i["quantity_shipped"] >= i["quantity"] for i in order["items"])
        self._set_status(order, "Shipped" if done else "PartiallyShipped", shipment["via"], at)

    def validate_shipment(self, order: dict, package_ref: str | None, lines: list[dict] | None) -> str | None:
        """Return an error message if a shipment for `lines` cannot be confirmed (None = ok)."""
        if order["status"] == "Canceled":
            return f"The order {order['order_id']} has been cancelled."
        if order["status"] == "Pending":
            return f"The order {order['order_id']} is Pending and cannot be shipped yet."
        if order["fulfillment_channel"] == "AFN":
            return f"The order {order['order_id']} is fulfilled by Amazon."
        if package_ref is not None and any(
            sh["package_reference_id"] == package_ref for sh in order["shipments"]
        ):
            return f"packageReferenceId {package_ref} was already used for this order."
        by_id = {i["order_item_id"]: i for i in order["items"]}
        totals: dict[str, int] = {}
        for line in lines or []:
            item = by_id.get(line["order_item_id"])
            if item is None:
                return (
                    f"The order item id {line['order_item_id']} was not found in order {order['order_id']}."
                )
            if not isinstance(line["quantity"], int) or line["quantity"] < 1:
                return f"Invalid quantity for order item {line['order_item_id']}."
            totals[item["order_item_id"]] = totals.get(item["order_item_id"], 0) + line["quantity"]
        for item_id, qty in totals.items():
            item = by_id[item_id]
            if item["quantity_shipped"] + qty > item["quantity"]:
                return (
                    f"Quantity {qty} for order item {item_id} exceeds the unshipped quantity "
                    f"{item['quantity'] - item['quantity_shipped']}."
                )
        return None

    def seller_orders(self, seller_id: str) -> list[dict]:
        return [self.s["orders"][oid] for oid in self.s["order_index"].get(seller_id, [])]


def _money(value: Any, name: str = "amount") -> str:
    """A price given to the control API, as the 2-decimal string the simulator stores. Refused (400) unless
    it is a finite number between 0 and MAX_AMOUNT, so that every stored order can be rendered."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ControlError(400, f"{name} must be a number or a decimal string, not {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ControlError(400, f"{name} is not a number: {value!r}") from None
    if not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT:
        raise ControlError(400, f"{name} must be a finite amount between 0 and {MAX_AMOUNT}, not {value!r}")
    return str(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


AMOUNT_FIELDS = ("unit_price", "shipping_price", "item_tax", "shipping_tax", "promotion_discount")


def _check_amounts(path: str, state: dict) -> None:
    """Refuse a state file (e.g. saved by an older simulator) holding an amount no order could carry."""
    for order_id, order in state.get("orders", {}).items():
        for n, item in enumerate(order["items"]):
            for name in AMOUNT_FIELDS:
                try:
                    _money(item[name], f"items[{n}].{name}")
                except ControlError as err:
                    raise StateFileError(f"{path}: order {order_id} {err.message}") from None


def check_quantity(value: Any, name: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= MAX_QUANTITY:
        raise ControlError(400, f"{name} must be an integer between {minimum} and {MAX_QUANTITY}")
    return value


def _ship_service_level(market, level: str | None) -> str:
    level = level or "Standard"
    short = {
        "Standard": "Std",
        "Expedited": "Exp",
        "NextDay": "Next",
        "SecondDay": "Second",
        "Priority": "Priority",
    }
    if market.country == "US":
        return f"{short.get(level, level)} US D2D Dom"
    return f"{short.get(level, level)} {market.country if market.country != 'GB' else 'UK'} Dom_1"
