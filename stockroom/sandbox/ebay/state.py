"""The eBay simulator's state: applications and their sellers, OAuth codes and tokens, inventory items,
offers (listings), orders with their shipping fulfillments, daily call quotas and per-listing revisions.

Every method is called with the store lock held (the HTTP layer and the control API take it). Orders are
kept close to eBay's representation; ``render.py`` turns them into the API's documents.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar
from urllib.parse import urlsplit

from ..common.errors import ControlError
from ..common.store import BaseStore
from . import tables


def iso_ms(t: float) -> str:
    """eBay's date-time format: ISO 8601 in UTC with milliseconds and a Z suffix."""
    moment = datetime.fromtimestamp(t, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def day(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d")


class ApiError(Exception):
    """An eBay API error answer: status and one or more (errorId, parameters) entries."""

    def __init__(self, status: int, error_id: int, message: str = "", **params: str) -> None:
        super().__init__(message or str(error_id))
        self.status = status
        self.error_id = error_id
        self.message = message
        self.params = params


class Store(BaseStore):
    DEFAULT_SETTINGS: ClassVar[dict] = {
        "rate_limits_enabled": True,
        "daily_quotas": dict(tables.DAILY_QUOTAS),
        "revisions_per_day": tables.REVISIONS_PER_DAY,
    }
    FAULT_KINDS: ClassVar[frozenset[str]] = frozenset({"http_500", "http_503", "http_429", "lost_answer"})

    def new_state(self, seed: int) -> dict:
        return {
            **super().new_state(seed),
            "apps": {},
            "sellers": {},
            "codes": {},
            "access_tokens": {},
            "refresh_tokens": {},
            "quota_used": {},
            "seq": 0,
        }

    def apply_event(self, kind: str, key: str, due: float, now: float) -> None:  # no timed events
        return None

    def fault_operations(self) -> set[str]:
        return set(tables.OPERATIONS) | {"token"}

    def rate_limit(self, operation: str) -> tuple[float, int]:
        return (50.0, 100)  # eBay limits by day (quotas), not by second; this only bounds bursts

    def check_settings(self, body: dict) -> None:
        quotas = body.get("daily_quotas")
        if quotas is not None:
            if not isinstance(quotas, dict) or set(quotas) - set(tables.DAILY_QUOTAS):
                raise ControlError(400, f"daily_quotas takes {sorted(tables.DAILY_QUOTAS)}")
            if not all(isinstance(v, int) and v >= 0 for v in quotas.values()):
                raise ControlError(400, "each daily quota is a whole number >= 0")
            body["daily_quotas"] = {**self.settings["daily_quotas"], **quotas}
        revisions = body.get("revisions_per_day")
        if revisions is not None and (not isinstance(revisions, int) or revisions < 1):
            raise ControlError(400, "revisions_per_day must be a whole number >= 1")

    # ------------------------------------------------------------------ ids
    def next_id(self) -> int:
        self.s["seq"] += 1
        return self.s["seq"]

    def token(self, prefix: str) -> str:
        return f"v^1.1#i^1#{prefix}#{self._uuid(self.token_rng).replace('-', '')}"

    # ------------------------------------------------------------------ apps and sellers
    def create_seller(self, body: dict) -> dict:
        user_id = str(body.get("user_id") or f"sim_seller_{len(self.s['sellers']) + 1}").strip()
        if user_id in self.s["sellers"]:
            raise ControlError(409, f"seller {user_id!r} exists")
        marketplace = body.get("marketplace", "EBAY_GB")
        if marketplace not in tables.MARKETPLACES:
            raise ControlError(400, f"marketplace must be one of {sorted(tables.MARKETPLACES)}")
        client_id = str(body.get("client_id") or f"SimApp-{user_id}-PRD-{self._digits(8)}")
        app = self.s["apps"].get(client_id)
        if app is None:
            accept_url = body.get("accept_url") or ""
            if accept_url and urlsplit(accept_url).scheme not in ("http", "https"):
                raise ControlError(400, "accept_url must be an http(s) address")
            app = self.s["apps"][client_id] = {
                "client_id": client_id,
                "client_secret": str(body.get("client_secret") or f"PRD-{self._uuid(self.token_rng)[:23]}"),
                "ru_name": str(body.get("ru_name") or f"{user_id}-SimApp-PRD-{self._digits(6)}"),
                "accept_url": accept_url,
            }
        scopes = body.get("scopes") or list(tables.ALL_SCOPES)
        self.s["sellers"][user_id] = {
            "user_id": user_id,
            "password": str(body.get("password") or "password"),
            "marketplace": marketplace,
            "currency": tables.MARKETPLACES[marketplace],
            "items": {},
            "offers": {},
            "orders": {},
        }
        refresh = self.issue_refresh_token(user_id, client_id, scopes, token=body.get("refresh_token"))
        return {
            "user_id": user_id,
            "marketplace": marketplace,
            "client_id": client_id,
            "client_secret": app["client_secret"],
            "ru_name": app["ru_name"],
            "accept_url": app["accept_url"],
            "password": self.s["sellers"][user_id]["password"],
            "refresh_token": refresh,
        }

    def seller(self, user_id: str) -> dict:
        seller = self.s["sellers"].get(user_id)
        if seller is None:
            raise ControlError(404, f"no seller {user_id!r}")
        return seller

    def app_of(self, client_id: str) -> dict | None:
        return self.s["apps"].get(client_id)

    def app_by_ru_name(self, ru_name: str) -> dict | None:
        return next((a for a in self.s["apps"].values() if a["ru_name"] == ru_name), None)

    # ------------------------------------------------------------------ OAuth
    def issue_refresh_token(
        self, user_id: str, client_id: str, scopes: list[str], token: str | None = None
    ) -> str:
        refresh = str(token) if token else self.token("r")
        self.s["refresh_tokens"][refresh] = {
            "user_id": user_id,
            "client_id": client_id,
            "scopes": list(scopes),
            "expires": self.now() + tables.REFRESH_TOKEN_SECONDS,
        }
        return refresh

    def issue_code(self, user_id: str, client_id: str, scopes: list[str]) -> str:
        code = self.token("c")
        self.s["codes"][code] = {
            "user_id": user_id,
            "client_id": client_id,
            "scopes": list(scopes),
            "expires": self.now() + tables.CODE_SECONDS,
        }
        return code

    def issue_access_token(self, user_id: str, client_id: str, scopes: list[str]) -> str:
        access = self.token("a")
        self.s["access_tokens"][access] = {
            "user_id": user_id,
            "client_id": client_id,
            "scopes": list(scopes),
            "expires": self.now() + tables.ACCESS_TOKEN_SECONDS,
        }
        return access

    def expire_tokens(self, user_id: str, *, refresh: bool) -> int:
        """Age the seller's access tokens (and with ``refresh`` its refresh tokens) past their expiry."""
        count = 0
        kinds = ("access_tokens", "refresh_tokens") if refresh else ("access_tokens",)
        for kind in kinds:
            for entry in self.s[kind].values():
                if entry["user_id"] == user_id and entry["expires"] > self.now():
                    entry["expires"] = self.now() - 1
                    count += 1
        return count

    # ------------------------------------------------------------------ quotas and revisions
    def take_quota(self, client_id: str, api: str) -> bool:
        key = f"{client_id}|{api}|{day(self.now())}"
        used = self.s["quota_used"].get(key, 0)
        if used >= self.settings["daily_quotas"][api]:
            return False
        self.s["quota_used"][key] = used + 1
        return True

    def quota_used(self, client_id: str) -> dict:
        today = day(self.now())
        return {api: self.s["quota_used"].get(f"{client_id}|{api}|{today}", 0) for api in tables.DAILY_QUOTAS}

    def revisions_today(self, offer: dict) -> int:
        revisions = offer.get("revisions") or {}
        return revisions.get("count", 0) if revisions.get("day") == day(self.now()) else 0

    def take_revision(self, offer: dict) -> bool:
        used = self.revisions_today(offer)
        if used >= self.settings["revisions_per_day"]:
            return False
        offer["revisions"] = {"day": day(self.now()), "count": used + 1}
        return True

    # ------------------------------------------------------------------ inventory
    def put_item(self, seller: dict, sku: str, body: dict, locale: str) -> bool:
        """Create or replace an inventory item; True when it is new."""
        availability = body.get("availability") or {}
        ship_to = availability.get("shipToLocationAvailability") or {}
        quantity = ship_to.get("quantity", 0)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise ApiError(400, 25709, fieldName="availability.shipToLocationAvailability.quantity")
        product = body.get("product") or {}
        new = sku not in seller["items"]
        seller["items"][sku] = {
            "sku": sku,
            "locale": locale,
            "condition": body.get("condition", "NEW"),
            "product": {"title": str(product.get("title") or sku), **{k: v for k, v in product.items()}},
            "quantity": quantity,
        }
        for offer in seller["offers"].values():
            if offer["sku"] == sku:
                offer["availableQuantity"] = min(offer.get("availableQuantity", quantity), quantity)
        return new

    def create_offer(self, seller: dict, body: dict) -> dict:
        sku = body.get("sku")
        if not isinstance(sku, str) or sku not in seller["items"]:
            raise ApiError(400, 25702, skuValue=str(sku))
        marketplace = body.get("marketplaceId") or seller["marketplace"]
        if marketplace not in tables.MARKETPLACES:
            raise ApiError(400, 25709, fieldName="marketplaceId")
        if any(o["sku"] == sku and o["marketplaceId"] == marketplace for o in seller["offers"].values()):
            raise ApiError(400, 25002, additionalInfo="Offer entity already exists.")
        quantity = body.get("availableQuantity", seller["items"][sku]["quantity"])
        price = ((body.get("pricingSummary") or {}).get("price")) or {
            "value": "10.00",
            "currency": tables.MARKETPLACES[marketplace],
        }
        offer_id = str(5_000_000_000 + self.next_id())
        seller["offers"][offer_id] = {
            "offerId": offer_id,
            "sku": sku,
            "marketplaceId": marketplace,
            "format": body.get("format", "FIXED_PRICE"),
            "availableQuantity": int(quantity),
            "price": {"value": str(price.get("value", "10.00")), "currency": str(price.get("currency"))},
            "categoryId": str(body.get("categoryId") or "20625"),
            "status": "UNPUBLISHED",
            "listingId": "",
            "revisions": {},
        }
        return seller["offers"][offer_id]

    def publish_offer(self, seller: dict, offer_id: str) -> dict:
        offer = seller["offers"].get(offer_id)
        if offer is None:
            raise ApiError(404, 25713, additionalInfo=f"offer {offer_id}")
        if not offer["listingId"]:
            offer["listingId"] = str(110_000_000_000 + self.next_id())
        offer["status"] = "PUBLISHED"
        return offer

    def offer_for_sku(self, seller: dict, sku: str) -> dict | None:
        return next((o for o in seller["offers"].values() if o["sku"] == sku), None)

    def create_listing(self, seller: dict, body: dict) -> dict:
        """Control: an inventory item, its offer on the seller's marketplace, published."""
        sku = str(body.get("sku") or "")
        if not sku:
            raise ControlError(400, "sku is required")
        quantity = body.get("quantity", 0)
        if not isinstance(quantity, int) or quantity < 0:
            raise ControlError(400, "quantity must be a whole number >= 0")
        if body.get("via", "inventory_api") == "site":  # listed on eBay's site: not an inventory item
            if sku in seller["items"]:
                raise ControlError(409, f"{sku!r} is an inventory item already")
            seller.setdefault("site_listings", {})[sku] = {
                "sku": sku,
                "title": str(body.get("title") or sku),
                "quantity": quantity,
                "listingId": str(110_000_000_000 + self.next_id()),
                "price": str(body.get("price", "10.00")),
            }
            return self.listing_view(seller, sku)
        self.put_item(
            seller,
            sku,
            {
                "availability": {"shipToLocationAvailability": {"quantity": quantity}},
                "product": {"title": body.get("title") or sku},
            },
            "en-GB",
        )
        offer = self.create_offer(
            seller,
            {
                "sku": sku,
                "marketplaceId": seller["marketplace"],
                "availableQuantity": quantity,
                "pricingSummary": {
                    "price": {"value": str(body.get("price", "10.00")), "currency": seller["currency"]}
                },
            },
        )
        if body.get("published", True):
            self.publish_offer(seller, offer["offerId"])
        return self.listing_view(seller, sku)

    def listing_view(self, seller: dict, sku: str) -> dict:
        site = seller.get("site_listings", {}).get(sku)
        if site is not None:
            return {
                "sku": sku,
                "title": site["title"],
                "quantity": site["quantity"],
                "item_quantity": None,
                "offer_id": "",
                "listing_id": site["listingId"],
                "status": "PUBLISHED",
                "via": "site",
                "revisions_today": 0,
                "revisions_left": self.settings["revisions_per_day"],
            }
        item = seller["items"].get(sku)
        if item is None:
            raise ControlError(404, f"no listing {sku!r}")
        offer = self.offer_for_sku(seller, sku) or {}
        return {
            "sku": sku,
            "title": item["product"]["title"],
            "quantity": offer.get("availableQuantity", item["quantity"]),
            "item_quantity": item["quantity"],
            "offer_id": offer.get("offerId", ""),
            "listing_id": offer.get("listingId", ""),
            "status": offer.get("status", ""),
            "revisions_today": self.revisions_today(offer) if offer else 0,
            "revisions_left": self.settings["revisions_per_day"]
            - (self.revisions_today(offer) if offer else 0),
        }

    def bulk_update(self, seller: dict, requests: list) -> list[dict]:
        responses = []
        for entry in requests:
            responses.extend(self._bulk_entry(seller, entry))
        return responses

    def _bulk_entry(self, seller: dict, entry: dict) -> list[dict]:
        sku = entry.get("sku") if isinstance(entry, dict) else None
        offers = (entry.get("offers") or []) if isinstance(entry, dict) else []
        ship_to = (entry.get("shipToLocationAvailability") or {}) if isinstance(entry, dict) else {}

        def error(offer_id: str, status: int, error_id: int, message: str) -> dict:
            domain, category, _ = tables.ERRORS[error_id]
            out = {
                "statusCode": status,
                "sku": str(sku or ""),
                "errors": [{"errorId": error_id, "domain": domain, "category": category, "message": message}],
                "warnings": [],
            }
            if offer_id:
                out["offerId"] = offer_id
            return out

        if not isinstance(sku, str) or sku not in seller["items"]:
            return [error("", 400, 25702, f"SKU {sku} is not available in the system.")]
        item = seller["items"][sku]
        quantity = ship_to.get("quantity") if ship_to else None
        if quantity is not None and (
            not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0
        ):
            return [error("", 400, 25709, "Invalid value for shipToLocationAvailability.quantity.")]
        targets = []
        for offer_ref in offers:
            offer = seller["offers"].get(str(offer_ref.get("offerId")))
            if offer is None or offer["sku"] != sku:
                return [
                    error(str(offer_ref.get("offerId") or ""), 400, 25713, "This Offer is not available.")
                ]
            available = offer_ref.get("availableQuantity")
            if available is not None and (not isinstance(available, int) or available < 0):
                return [error(offer["offerId"], 400, 25709, "Invalid value for availableQuantity.")]
            targets.append((offer, available, offer_ref.get("price")))
        if not targets:  # the quantity of the item reaches every offer of it
            targets = [(o, quantity, None) for o in seller["offers"].values() if o["sku"] == sku]
        published = [o for o, _, _ in targets if o["status"] == "PUBLISHED"]
        refused = [o for o in published if self.revisions_today(o) >= self.settings["revisions_per_day"]]
        if refused:
            return [
                error(
                    o["offerId"],
                    400,
                    25002,
                    f"Any User error. You have reached the maximum of {self.settings['revisions_per_day']} "
                    "revisions of this listing today; try again tomorrow.",
                )
                for o in refused
            ]
        if quantity is not None:
            item["quantity"] = quantity
        out = []
        for offer, available, price in targets:
            new_quantity = available if available is not None else quantity
            if new_quantity is not None:
                offer["availableQuantity"] = new_quantity
            if price:
                offer["price"] = {"value": str(price.get("value")), "currency": str(price.get("currency"))}
            if offer["status"] == "PUBLISHED":
                self.take_revision(offer)
            out.append(
                {"statusCode": 200, "sku": sku, "offerId": offer["offerId"], "errors": [], "warnings": []}
            )
        return out or [{"statusCode": 200, "sku": sku, "errors": [], "warnings": []}]

    # ------------------------------------------------------------------ orders
    def touch(self, order: dict) -> None:
        order["lastModifiedDate"] = iso_ms(max(self.now(), order.get("_modified", 0.0) + 0.001))
        order["_modified"] = max(self.now(), order.get("_modified", 0.0) + 0.001)

    def place_order(self, seller: dict, body: dict) -> dict:
        lines = body.get("lines") or []
        if not lines:
            raise ControlError(400, "an order needs lines")
        payment = body.get("payment", "PAID")
        if payment not in ("PAID", "PENDING", "UNPAID"):
            raise ControlError(400, "payment must be PAID, PENDING or UNPAID")
        number = self.next_id()
        order_id = f"{10 + number % 90:02d}-{self._digits(5)}-{self._digits(5)}"
        now = self.now()
        currency = seller["currency"]
        line_items = []
        subtotal = 0
        for line in lines:
            sku = str(line.get("sku") or "")
            quantity = int(line.get("quantity", 1))
            if quantity < 1:
                raise ControlError(400, "quantity must be >= 1")
            site = seller.get("site_listings", {}).get(sku)
            if site is not None:
                site["quantity"] = max(0, site["quantity"] - quantity)
                listing_id, title, price = site["listingId"], site["title"], site["price"]
            else:
                offer = self.offer_for_sku(seller, sku)
                if offer is None or offer["status"] != "PUBLISHED":
                    raise ControlError(400, f"no published listing {sku!r}")
                offer["availableQuantity"] = max(0, offer["availableQuantity"] - quantity)
                seller["items"][sku]["quantity"] = max(0, seller["items"][sku]["quantity"] - quantity)
                listing_id, title = offer["listingId"], seller["items"][sku]["product"]["title"]
                price = offer["price"]["value"]
            cents = int(round(float(line.get("price") or price) * 100))
            subtotal += cents * quantity
            line_items.append(
                {
                    "lineItemId": str(10_000_000_000 + self.next_id()),
                    "legacyItemId": listing_id,
                    "sku": sku,
                    "title": title,
                    "quantity": quantity,
                    "unitCents": cents,
                    "fulfilled": 0,
                }
            )
        delivery = int(round(float(body.get("delivery_cost", "3.50")) * 100))
        address = body.get("address") or {}
        order = {
            "orderId": order_id,
            "creationDate": iso_ms(now),
            "_created": now,
            "payment": payment,
            "cancelled": False,
            "cancelDate": "",
            "buyer": str(body.get("buyer") or "sim_buyer"),
            "shipTo": {
                "fullName": str(address.get("name") or "Sim Buyer"),
                "addressLine1": str(address.get("line1") or "1 Example Street"),
                "city": str(address.get("city") or "London"),
                "postalCode": str(address.get("postcode") or "N1 1AA"),
                "countryCode": str(address.get("country_code") or "GB"),
            },
            "shippingServiceCode": str(body.get("shipping_service") or "UK_RoyalMailSecondClassStandard"),
            "currency": currency,
            "subtotalCents": subtotal,
            "deliveryCents": delivery,
            "lineItems": line_items,
            "fulfillments": [],
            "marketplaceId": seller["marketplace"],
        }
        self.touch(order)
        seller["orders"][order_id] = order
        return order

    def order(self, seller: dict, order_id: str) -> dict:
        order = seller["orders"].get(order_id)
        if order is None:
            raise ControlError(404, f"no order {order_id!r}")
        return order

    def pay(self, order: dict) -> dict:
        if order["payment"] == "PAID":
            raise ControlError(409, "the order is paid already")
        order["payment"] = "PAID"
        self.touch(order)
        return order

    def cancel(self, order: dict) -> dict:
        if order["cancelled"]:
            raise ControlError(409, "the order is cancelled already")
        if fulfillment_status(order) != "NOT_STARTED":
            raise ControlError(409, "a shipped order cannot be cancelled")
        order["cancelled"] = True
        order["cancelDate"] = iso_ms(self.now())
        self.touch(order)
        return order

    def create_fulfillment(self, order: dict, body: dict) -> dict:
        if order["cancelled"] or order["payment"] != "PAID":
            raise ApiError(400, 32600, "Invalid input data: the order is not paid or was cancelled")
        lines = body.get("lineItems")
        if not isinstance(lines, list) or not lines:
            raise ApiError(400, 32600, "Invalid input data: lineItems is required")
        by_id = {line["lineItemId"]: line for line in order["lineItems"]}
        seen = set()
        for line in lines:
            line_id = line.get("lineItemId") if isinstance(line, dict) else None
            if line_id not in by_id:
                raise ApiError(400, 32200, lineItemId=str(line_id))
            if line_id in seen:
                raise ApiError(400, 32210)
            seen.add(line_id)
            quantity = line.get("quantity", by_id[line_id]["quantity"])
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
                raise ApiError(400, 32600, "Invalid input data: quantity")
        carrier = body.get("shippingCarrierCode")
        tracking = body.get("trackingNumber")
        if tracking is not None or carrier is not None:
            carriers = {c.lower() for c in tables.CARRIERS}
            if (
                not isinstance(carrier, str)
                or carrier.lower() not in carriers
                or not isinstance(tracking, str)
                or not tracking.isalnum()
                or not 4 <= len(tracking) <= 40
            ):
                raise ApiError(400, 32300)
        shipped = body.get("shippedDate")
        if shipped is not None:
            try:
                shipped_at = datetime.fromisoformat(str(shipped).replace("Z", "+00:00")).timestamp()
            except ValueError:
                raise ApiError(400, 32500) from None
            if shipped_at > self.now() + 60:  # not in the future
                raise ApiError(400, 32500)
        if len(order["fulfillments"]) >= tables.MAX_TRACKING_NUMBERS:
            raise ApiError(400, 32600, "Maximum tracking number for order is exceeded")
        fulfillment_id = (
            str(tracking)
            if tracking and not any(f["fulfillmentId"] == tracking for f in order["fulfillments"])
            else f"{tracking or 'F'}-{len(order['fulfillments']) + 1}"
        )
        fulfillment = {
            "fulfillmentId": fulfillment_id,
            "lineItems": [
                {
                    "lineItemId": line["lineItemId"],
                    "quantity": line.get("quantity", by_id[line["lineItemId"]]["quantity"]),
                }
                for line in lines
            ],
            "shippedDate": shipped or iso_ms(self.now()),
            "shippingCarrierCode": carrier or "",
            "shipmentTrackingNumber": tracking or "",
        }
        for line in fulfillment["lineItems"]:
            target = by_id[line["lineItemId"]]
            target["fulfilled"] = min(target["quantity"], target["fulfilled"] + line["quantity"])
        order["fulfillments"].append(fulfillment)
        self.touch(order)
        return fulfillment


def line_status(line: dict) -> str:
    if line["fulfilled"] >= line["quantity"]:
        return "FULFILLED"
    return "IN_PROGRESS" if line["fulfilled"] else "NOT_STARTED"


def fulfillment_status(order: dict) -> str:
    statuses = {line_status(line) for line in order["lineItems"]}
    if statuses == {"FULFILLED"}:
        return "FULFILLED"
    if statuses == {"NOT_STARTED"} and not order["fulfillments"]:
        return "NOT_STARTED"
    return "IN_PROGRESS"
