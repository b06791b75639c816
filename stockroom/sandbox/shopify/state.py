"""The Shopify simulator's state: shops (each with its app's credentials and scopes), locations, products'
variants with their inventory items and levels per location, orders with fulfillment orders per location,
fulfillments, webhook subscriptions and deliveries.

Stock follows Shopify's quantity names at each location: an order moves units from ``available`` to
``committed``; a fulfilment takes them out of ``committed`` and ``on_hand``; a cancellation with restock
gives ``committed`` back to ``available``. ``on_hand`` = ``available`` + ``committed``.

Every public method must be called with ``lock`` held (the HTTP layer does this).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..common.errors import ControlError
from ..common.store import BaseStore

__all__ = ["ControlError", "Store", "gid", "iso", "numeric_id"]

SCOPES = (
    "read_orders",
    "write_orders",
    "read_products",
    "read_inventory",
    "write_inventory",
    "read_locations",
    "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders",
)
TOPICS = ("ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "ORDERS_FULFILLED", "ORDERS_PAID")
QUANTITY_MAX = 1_000_000_000
FIRST_ID = 5_500_000_000_001  # 64-bit ids, beyond what a 32-bit integer holds

DEFAULT_SETTINGS: dict[str, Any] = {
    "rate_limits_enabled": True,
    "bucket_size": 2000,  # cost points (Standard plan)
    "restore_rate": 100,  # points per simulated second
    "max_query_cost": 1000,
    "token_lifetime_seconds": 86399,  # client-credentials access tokens (about 24 h)
    "webhook_hold": False,  # keep deliveries queued until /_sim/webhooks/release
    "webhook_duplicates": False,  # deliver every webhook twice (same X-Shopify-Webhook-Id)
    "webhook_retry_seconds": 5,  # first retry after a failed delivery; doubles each time
    "webhook_max_attempts": 8,
}


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def gid(kind: str, number: int | str) -> str:
    return f"gid://shopify/{kind}/{number}"


def numeric_id(value: str, kind: str) -> str | None:
    """'gid://shopify/Order/123' -> '123' (None for anything else)."""
    prefix = f"gid://shopify/{kind}/"
    if isinstance(value, str) and value.startswith(prefix) and value[len(prefix) :].isdigit():
        return value[len(prefix) :]
    return None


def _money(value: Any, field: str) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ControlError(400, f"{field} must be a decimal amount") from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("99999999.99"):
        raise ControlError(400, f"{field} must be between 0 and 99999999.99")
    return str(amount.quantize(Decimal("0.01")))


def _quantity(value: Any, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= QUANTITY_MAX:
        raise ControlError(400, f"{field} must be a whole number from 0 to {QUANTITY_MAX}")
    return value


class Store(BaseStore):
    DEFAULT_SETTINGS = DEFAULT_SETTINGS
    FAULT_KINDS = BaseStore.FAULT_KINDS | {"http_429", "throttled", "lost_answer"}

    def new_state(self, seed: int) -> dict:
        return (
            super().new_state(seed)
            | {
                "next_id": FIRST_ID,
                "shops": {},  # domain -> shop
                "apps": {},  # client id -> app (one shop)
                "tokens": {},  # access token -> {shop, client_id, expires_at}
                "locations": {},
                "variants": {},
                "items": {},  # inventory item id -> {variant_id, levels: {location id: {available, committed, on_hand}}}
                "orders": {},
                "fulfillment_orders": {},
                "fulfillments": {},
                "idempotency": {},  # "shop|key" -> the first result
                "webhooks": {},  # subscription id -> subscription
                "deliveries": [],
                "cost_buckets": {},  # "client id|shop" -> [available, last]
            }
        )

    def apply_event(self, kind: str, key: str, due: float, now: float) -> None:  # no timed events
        return None

    def fault_operations(self) -> set[str]:
        from .schema import schema

        root = schema("2026-04")
        return set(root.query_type.fields) | set(root.mutation_type.fields) | {"access_token"}

    def rate_limit(self, operation: str) -> tuple[float, int]:  # cost-based instead: see cost.py
        return (1000.0, 1000)

    def new_id(self) -> str:
        self.s["next_id"] += 1
        return str(self.s["next_id"])

    def token(self, prefix: str) -> str:
        return prefix + uuid.UUID(int=self.token_rng.getrandbits(128)).hex

    # ------------------------------------------------------------------ shops, apps, tokens
    def create_shop(self, data: dict) -> dict:
        name = str(data.get("shop") or "").strip().lower().removesuffix(".myshopify.com")
        if not name or not name.replace("-", "").isalnum():
            raise ControlError(400, "shop must be a name of letters, digits and dashes (name.myshopify.com)")
        domain = f"{name}.myshopify.com"
        if domain in self.s["shops"]:
            raise ControlError(409, f"shop {domain} already exists")
        scopes = data.get("scopes", list(SCOPES))
        if not isinstance(scopes, list) or any(s not in SCOPES for s in scopes):
            raise ControlError(400, f"scopes must be a list of {list(SCOPES)}")
        currency = data.get("currency", "GBP")
        if currency not in ("GBP", "EUR", "USD"):
            raise ControlError(400, "currency must be GBP, EUR or USD")
        shop = {
            "id": self.new_id(),
            "domain": domain,
            "name": data.get("name") or name.replace("-", " ").title(),
            "currency": currency,
            "locations": [],
            "order_number": 1000,
        }
        self.s["shops"][domain] = shop
        client_id = self.token("")[:32]
        app = {
            "client_id": client_id,
            "client_secret": self.token("shpss_"),
            "shop": domain,
            "scopes": list(scopes),
        }
        self.s["apps"][client_id] = app
        admin_token = self.token("shpat_")
        self.s["tokens"][admin_token] = {"shop": domain, "client_id": client_id, "expires_at": None}
        location = self.create_location(domain, {"name": data.get("location_name") or "Shop location"})
        return self.shop_view(domain) | {
            "access_token": admin_token,
            "client_id": client_id,
            "client_secret": app["client_secret"],
            "location_id": location["id"],
        }

    def shop(self, domain: str) -> dict:
        shop = self.s["shops"].get(domain) or self.s["shops"].get(f"{domain}.myshopify.com")
        if shop is None:
            raise ControlError(404, f"no shop {domain!r}")
        return shop

    def app_of(self, domain: str) -> dict:
        return next(app for app in self.s["apps"].values() if app["shop"] == domain)

    def shop_view(self, domain: str) -> dict:
        shop = self.shop(domain)
        app = self.app_of(shop["domain"])
        return {
            "shop": shop["domain"],
            "name": shop["name"],
            "currency": shop["currency"],
            "scopes": app["scopes"],
            "locations": [self.s["locations"][loc] for loc in shop["locations"]],
        }

    def set_scopes(self, domain: str, scopes: list) -> dict:
        if not isinstance(scopes, list) or any(s not in SCOPES for s in scopes):
            raise ControlError(400, f"scopes must be a list of {list(SCOPES)}")
        self.app_of(self.shop(domain)["domain"])["scopes"] = list(scopes)
        return self.shop_view(domain)

    def issue_token(self, client_id: str, client_secret: str) -> dict | None:
        app = self.s["apps"].get(client_id)
        if app is None or app["client_secret"] != client_secret:
            return None
        token = self.token("shpat_")
        lifetime = self.settings["token_lifetime_seconds"]
        self.s["tokens"][token] = {
            "shop": app["shop"],
            "client_id": client_id,
            "expires_at": self.now() + lifetime,
        }
        return {"access_token": token, "scope": ",".join(app["scopes"]), "expires_in": lifetime}

    def authenticate(self, token: str | None) -> dict | None:
        info = self.s["tokens"].get(token or "")
        if info is None or (info["expires_at"] is not None and info["expires_at"] <= self.now()):
            return None
        return info

    # ------------------------------------------------------------------ locations, products, stock
    def create_location(self, domain: str, data: dict) -> dict:
        shop = self.shop(domain)
        location = {
            "id": self.new_id(),
            "shop": shop["domain"],
            "name": str(data.get("name") or f"Location {len(shop['locations']) + 1}"),
            "active": True,
        }
        self.s["locations"][location["id"]] = location
        shop["locations"].append(location["id"])
        return location

    def location(self, domain: str, location_id: str) -> dict | None:
        location = self.s["locations"].get(location_id or "")
        return location if location and location["shop"] == domain else None

    def create_variant(self, domain: str, data: dict) -> dict:
        shop = self.shop(domain)
        sku = data.get("sku")
        if not isinstance(sku, str) or not sku.strip():
            raise ControlError(400, "sku is required")
        if any(v["shop"] == shop["domain"] and v["sku"] == sku for v in self.s["variants"].values()):
            raise ControlError(409, f"a variant with SKU {sku!r} already exists")
        quantities = data.get("quantities")
        if quantities is None:
            quantities = {shop["locations"][0]: data.get("quantity", 0)}
        if not isinstance(quantities, dict):
            raise ControlError(400, "quantities must map location ids to quantities")
        variant = {
            "id": self.new_id(),
            "shop": shop["domain"],
            "sku": sku,
            "title": str(data.get("title") or "Default Title"),
            "product_id": self.new_id(),
            "product_title": str(data.get("product_title") or data.get("title") or sku),
            "price": _money(data.get("price", "10.00"), "price"),
            "inventory_item_id": self.new_id(),
        }
        levels = {}
        for location_id, quantity in quantities.items():
            if self.location(shop["domain"], str(location_id)) is None:
                raise ControlError(400, f"no location {location_id!r} in {shop['domain']}")
            quantity = _quantity(quantity, "quantity")
            levels[str(location_id)] = {"available": quantity, "committed": 0, "on_hand": quantity}
        self.s["variants"][variant["id"]] = variant
        self.s["items"][variant["inventory_item_id"]] = {"variant_id": variant["id"], "levels": levels}
        return self.variant_view(variant)

    def variant_by_sku(self, domain: str, sku: str) -> dict:
        for variant in self.s["variants"].values():
            if variant["shop"] == domain and variant["sku"] == sku:
                return variant
        raise ControlError(404, f"no variant with SKU {sku!r} in {domain}")

    def variant_view(self, variant: dict) -> dict:
        item = self.s["items"][variant["inventory_item_id"]]
        return variant | {
            "levels": item["levels"],
            "available": sum(lv["available"] for lv in item["levels"].values()),
        }

    def level(self, item_id: str, location_id: str) -> dict | None:
        item = self.s["items"].get(item_id)
        return None if item is None else item["levels"].get(location_id)

    # ------------------------------------------------------------------ orders
    def place_order(self, domain: str, data: dict) -> dict:
        shop = self.shop(domain)
        lines = data.get("lines") or data.get("items")
        if not isinstance(lines, list) or not lines:
            raise ControlError(400, "an order needs lines: [{sku, quantity}]")
        financial = str(data.get("financial_status", "PAID")).upper()
        if financial not in ("PAID", "PENDING", "AUTHORIZED"):
            raise ControlError(400, "financial_status must be PAID, PENDING or AUTHORIZED")
        force = bool(data.get("force", False))
        wanted = []
        for line in lines:
            variant = self.variant_by_sku(shop["domain"], str(line.get("sku")))
            quantity = _quantity(line.get("quantity", 1), "quantity")
            if quantity < 1:
                raise ControlError(400, "quantity must be at least 1")
            location_id = str(line.get("location_id") or self._stocking_location(variant, quantity))
            level = self.level(variant["inventory_item_id"], location_id)
            if level is None:
                raise ControlError(400, f"{variant['sku']} is not stocked at location {location_id}")
            if level["available"] < quantity and not force:
                raise ControlError(
                    409, f"only {level['available']} of {variant['sku']} available (pass force)"
                )
            wanted.append((variant, quantity, location_id, line))
        now = self.now()
        shop["order_number"] += 1
        order = {
            "id": self.new_id(),
            "shop": shop["domain"],
            "name": f"#{shop['order_number']}",
            "created_at": now,
            "updated_at": now,
            "cancelled_at": None,
            "cancel_reason": None,
            "financial_status": financial,
            "currency": shop["currency"],
            "email": data.get("email", "buyer@example.com"),
            "address": data.get("address")
            or {
                "name": "Sam Buyer",
                "address1": "1 High Street",
                "city": "London",
                "zip": "N1 1AA",
                "country_code": "GB",
            },
            "shipping": _money(data.get("shipping", "0.00"), "shipping"),
            "lines": [],
            "fulfillment_orders": [],
            "fulfillments": [],
        }
        by_location: dict[str, list] = {}
        for variant, quantity, location_id, line in wanted:
            line_id = self.new_id()
            order["lines"].append(
                {
                    "id": line_id,
                    "variant_id": variant["id"],
                    "sku": variant["sku"],
                    "title": variant["product_title"],
                    "quantity": quantity,
                    "price": _money(line.get("price", variant["price"]), "price"),
                    "location_id": location_id,
                }
            )
            level = self.level(variant["inventory_item_id"], location_id)
            level["available"] -= quantity
            level["committed"] += quantity
            by_location.setdefault(location_id, []).append((line_id, variant, quantity))
        for location_id, fo_lines in by_location.items():
            fo = {
                "id": self.new_id(),
                "order_id": order["id"],
                "location_id": location_id,
                "status": "OPEN",
                "updated_at": now,
                "lines": [
                    {
                        "id": self.new_id(),
                        "line_item_id": line_id,
                        "sku": variant["sku"],
                        "inventory_item_id": variant["inventory_item_id"],
                        "total": quantity,
                        "remaining": quantity,
                    }
                    for line_id, variant, quantity in fo_lines
                ],
            }
            self.s["fulfillment_orders"][fo["id"]] = fo
            order["fulfillment_orders"].append(fo["id"])
        self.s["orders"][order["id"]] = order
        self.emit(order, "ORDERS_CREATE")
        if financial == "PAID":
            self.emit(order, "ORDERS_PAID")
        return self.order_view(order)

    def _stocking_location(self, variant: dict, quantity: int) -> str:
        levels = self.s["items"][variant["inventory_item_id"]]["levels"]
        shop = self.s["shops"][variant["shop"]]
        for location_id in shop["locations"]:
            if location_id in levels and levels[location_id]["available"] >= quantity:
                return location_id
        return next(loc for loc in shop["locations"] if loc in levels)

    def order(self, domain: str, order_id: str) -> dict:
        order = self.s["orders"].get(order_id)
        if order is None or order["shop"] != domain:
            raise ControlError(404, f"no order {order_id} in {domain}")
        return order

    def touch(self, order: dict) -> None:
        """The order changed: a later updated_at than any before (whole seconds, strictly increasing)."""
        order["updated_at"] = max(self.now(), order["updated_at"] + 1)

    def cancel_order(self, order: dict, *, reason: str = "CUSTOMER", restock: bool = True) -> str | None:
        """None when done, else why not."""
        if order["cancelled_at"] is not None:
            return "Order has already been cancelled."
        if order["fulfillments"]:
            return "Cannot cancel an order that has fulfillments."
        for fo_id in order["fulfillment_orders"]:
            fo = self.s["fulfillment_orders"][fo_id]
            for line in fo["lines"]:
                level = self.level(line["inventory_item_id"], fo["location_id"])
                level["committed"] -= line["remaining"]
                if restock:
                    level["available"] += line["remaining"]
                else:
                    level["on_hand"] -= line["remaining"]
                line["remaining"] = 0
            fo["status"] = "CLOSED"
            fo["updated_at"] = self.now()
        order["cancelled_at"] = self.now()
        order["cancel_reason"] = reason
        if order["financial_status"] == "PAID":
            order["financial_status"] = "REFUNDED"
        elif order["financial_status"] in ("PENDING", "AUTHORIZED"):
            order["financial_status"] = "VOIDED"
        self.touch(order)
        self.emit(order, "ORDERS_CANCELLED")
        self.emit(order, "ORDERS_UPDATED")
        return None

    def fulfil(
        self, order: dict, requests: list[tuple[dict, list[tuple[dict, int]]]], tracking: dict
    ) -> dict:
        """Carry out a checked fulfilment: ``requests`` are (fulfillment order, [(its line, quantity)])."""
        now = self.now()
        fulfillment = {
            "id": self.new_id(),
            "order_id": order["id"],
            "name": f"{order['name']}-F{len(order['fulfillments']) + 1}",
            "created_at": now,
            "tracking": tracking,
            "lines": [],
        }
        for fo, lines in requests:
            for line, quantity in lines:
                level = self.level(line["inventory_item_id"], fo["location_id"])
                level["committed"] -= quantity
                level["on_hand"] -= quantity
                line["remaining"] -= quantity
                fulfillment["lines"].append({"line_item_id": line["line_item_id"], "quantity": quantity})
            fo["status"] = "CLOSED" if all(x["remaining"] == 0 for x in fo["lines"]) else "IN_PROGRESS"
            fo["updated_at"] = now
        self.s["fulfillments"][fulfillment["id"]] = fulfillment
        order["fulfillments"].append(fulfillment["id"])
        self.touch(order)
        if self.fulfillment_status(order) == "FULFILLED":
            self.emit(order, "ORDERS_FULFILLED")
        self.emit(order, "ORDERS_UPDATED")
        return fulfillment

    def remaining(self, order: dict) -> dict[str, int]:
        """line item id -> units still to fulfil"""
        left: dict[str, int] = {}
        for fo_id in order["fulfillment_orders"]:
            for line in self.s["fulfillment_orders"][fo_id]["lines"]:
                left[line["line_item_id"]] = left.get(line["line_item_id"], 0) + line["remaining"]
        return left

    def fulfillment_status(self, order: dict) -> str:
        left = sum(self.remaining(order).values())
        if order["cancelled_at"] is not None or not order["fulfillments"]:
            return "UNFULFILLED" if left or not order["fulfillments"] else "FULFILLED"
        return "FULFILLED" if left == 0 else "PARTIALLY_FULFILLED"

    def order_view(self, order: dict) -> dict:
        return order | {
            "fulfillment_status": self.fulfillment_status(order),
            "remaining": self.remaining(order),
            "fulfillments": [self.s["fulfillments"][f] for f in order["fulfillments"]],
            "created_at": iso(order["created_at"]),
            "updated_at": iso(order["updated_at"]),
        }

    # ------------------------------------------------------------------ webhooks
    def emit(self, order: dict, topic: str) -> None:
        """Queue a delivery of ``order`` (REST-shaped JSON) to every subscription of ``topic`` in its shop."""
        for sub in self.s["webhooks"].values():
            if sub["shop"] != order["shop"] or sub["topic"] != topic:
                continue
            self.s["deliveries"].append(
                {
                    "id": len(self.s["deliveries"]) + 1,
                    "webhook_id": str(uuid.UUID(int=self.token_rng.getrandbits(128), version=4)),
                    "subscription_id": sub["id"],
                    "shop": order["shop"],
                    "topic": topic.lower().replace("_", "/", 1),
                    "url": sub["callback_url"],
                    "api_version": sub["api_version"],
                    "body": json.dumps(self.rest_order(order), separators=(",", ":")),
                    "triggered_at": iso(self.now()),
                    "status": "queued",
                    "attempts": 0,
                    "next_at": self.now(),
                    "responses": [],
                }
            )

    def rest_order(self, order: dict) -> dict:
        """The order as a webhook carries it (REST Admin API shape, numeric 64-bit ids)."""
        subtotal = sum(Decimal(line["price"]) * line["quantity"] for line in order["lines"])
        status = self.fulfillment_status(order)
        address = order["address"]
        return {
            "id": int(order["id"]),
            "admin_graphql_api_id": gid("Order", order["id"]),
            "name": order["name"],
            "email": order["email"],
            "created_at": iso(order["created_at"]),
            "updated_at": iso(order["updated_at"]),
            "cancelled_at": iso(order["cancelled_at"]) if order["cancelled_at"] else None,
            "cancel_reason": (order["cancel_reason"] or "").lower() or None,
            "currency": order["currency"],
            "financial_status": order["financial_status"].lower(),
            "fulfillment_status": {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}.get(status),
            "subtotal_price": str(subtotal),
            "total_price": str(subtotal + Decimal(order["shipping"])),
            "total_tax": "0.00",
            "shipping_address": {
                "name": address.get("name"),
                "address1": address.get("address1"),
                "city": address.get("city"),
                "zip": address.get("zip"),
                "country_code": address.get("country_code"),
            },
            "line_items": [
                {
                    "id": int(line["id"]),
                    "admin_graphql_api_id": gid("LineItem", line["id"]),
                    "sku": line["sku"],
                    "title": line["title"],
                    "quantity": line["quantity"],
                    "price": line["price"],
                    "variant_id": int(line["variant_id"]),
                }
                for line in order["lines"]
            ],
        }
