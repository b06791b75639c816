"""The Test Store connector: translates the Test Store shop API into Stockroom's contracts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal

import httpx

from stockroom.channels.contracts import (
    AccountConfig,
    AuthFailed,
    ChannelListing,
    ChannelOrder,
    ChannelOrderLine,
    ChannelOrderStatus,
    CheckResult,
    ConnectorLifecycle,
    OrderPage,
    Permanent,
    RateLimited,
    ShipmentConfirmation,
    StockUpdate,
    Transient,
    WriteOutcome,
    WriteStatus,
)

from .spec import CHANNEL, SPEC, shop_name

STATUSES = {
    "pending": ChannelOrderStatus.PENDING,
    "paid": ChannelOrderStatus.UNSHIPPED,
    "fulfilled": ChannelOrderStatus.SHIPPED,
    "cancelled": ChannelOrderStatus.CANCELLED,
}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class TestStoreConnector(ConnectorLifecycle):
    __test__ = False
    channel = CHANNEL
    spec = SPEC
    capabilities = SPEC.capabilities
    max_stock_batch = 100

    def __init__(self, config: AccountConfig) -> None:
        self.config = config
        self.shop = shop_name(config.external_account_id)
        base = config.endpoint or f"https://{config.external_account_id}"
        self.http = httpx.Client(
            base_url=f"{base}/api/shops",
            headers={"Authorization": f"Bearer {config.credentials.get('api_key', '')}"},
            timeout=10.0,
        )

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self.http.request(method, f"/{self.shop}{path}", **kwargs)
        except httpx.HTTPError as error:
            raise Transient(f"Test Store did not answer: {error}") from None
        if response.status_code == 401:
            raise AuthFailed("Test Store refused the API key: paste it again", status=401)
        if response.status_code == 429:
            raise RateLimited("Test Store asks to slow down", retry_after=1.0, status=429)
        if response.status_code >= 500:
            raise Transient(f"Test Store answered {response.status_code}", status=response.status_code)
        if response.status_code >= 400:
            try:
                message = response.json()["error"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:200]
            raise Permanent(f"Test Store refused the request: {message}", status=response.status_code)
        return response.json()

    def check(self, *, orders_since: datetime | None) -> CheckResult:
        shop = self._call("GET", "")
        return CheckResult(ok=True, message=f"Connected to Test Store shop {shop['shop']}.")

    def fetch_orders(self, *, cursor: str | None, since: datetime | None) -> Iterator[OrderPage]:
        after = int(cursor or 0)
        limit = int(self.config.options.get("order_page_size") or 50)
        while True:
            page = self._call("GET", "/orders", params={"after": after, "limit": limit})
            orders = tuple(self._order(raw) for raw in page["orders"])
            if page["next_after"] is not None:
                after = page["next_after"]
            yield OrderPage(orders=orders, next_cursor=str(after), done=not page["more"])
            if not page["more"]:
                return

    def _order(self, raw: dict) -> ChannelOrder:
        lines = tuple(
            ChannelOrderLine(
                external_line_id=line["id"],
                channel_sku=line["sku"],
                quantity=int(line["quantity"]),
                unit_price=Decimal(line["price"]),
            )
            for line in raw["lines"]
        )
        total = sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))
        return ChannelOrder(
            external_order_id=raw["id"],
            status=STATUSES.get(raw["status"], ChannelOrderStatus.UNKNOWN),
            purchased_at=_time(raw["created_at"]),
            last_updated_at=_time(raw["updated_at"]),
            lines=lines,
            currency=raw["currency"],
            buyer_name=raw["buyer"],
            subtotal=total,
            total=total,
            channel_status=raw["status"],
        )

    def confirm_shipments(self, shipments: Sequence[ShipmentConfirmation]) -> list[WriteOutcome]:
        outcomes = []
        for shipment in shipments:
            body = {
                "tracking_number": shipment.tracking_number,
                "carrier": shipment.carrier_name or shipment.carrier_code,
                "lines": [
                    {"id": line.external_line_id, "quantity": line.quantity} for line in shipment.lines
                ],
            }
            try:
                answer = self._call("POST", f"/orders/{shipment.external_order_id}/fulfillments", json=body)
            except (Transient, RateLimited) as error:
                outcomes.append(
                    WriteOutcome(shipment.external_order_id, WriteStatus.ERROR, error.message, retryable=True)
                )
            except Permanent as error:
                outcomes.append(WriteOutcome(shipment.external_order_id, WriteStatus.ERROR, error.message))
            else:
                outcomes.append(
                    WriteOutcome(
                        shipment.external_order_id,
                        WriteStatus.CONFIRMED,
                        submission_ref=answer["fulfillment_id"],
                    )
                )
        return outcomes

    def push_stock(self, updates: Sequence[StockUpdate]) -> list[WriteOutcome]:
        outcomes = []
        for update in updates:
            try:
                self._call("PUT", f"/products/{update.channel_sku}/stock", json={"quantity": update.quantity})
            except (Transient, RateLimited) as error:
                outcomes.append(
                    WriteOutcome(update.channel_sku, WriteStatus.ERROR, error.message, retryable=True)
                )
            except Permanent as error:
                outcomes.append(WriteOutcome(update.channel_sku, WriteStatus.ERROR, error.message))
            else:
                outcomes.append(
                    WriteOutcome(update.channel_sku, WriteStatus.CONFIRMED, quantity=update.quantity)
                )
        return outcomes

    def collect_stock_results(self, submission_refs: Sequence[str]) -> list[WriteOutcome]:
        return []  # every stock update is confirmed when sent

    def list_listings(self) -> Iterator[ChannelListing]:
        for product in self._call("GET", "/products")["products"]:
            yield ChannelListing(
                channel_sku=product["sku"], title=product["title"], quantity=product["quantity"]
            )
