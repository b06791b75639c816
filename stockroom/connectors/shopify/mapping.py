"""Pure translations between Shopify's GraphQL payloads and Stockroom's contracts (no HTTP, no ORM)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from stockroom.channels.contracts import (
    AMOUNT_MAX_DIGITS,
    QUANTITY_MAX,
    Address,
    ChannelOrder,
    ChannelOrderLine,
    ChannelOrderStatus,
)


class Unreadable(ValueError):
    """An order Stockroom cannot take as it is; the message says why."""


def parse_time(text: str | None, *, field: str) -> datetime:
    if not isinstance(text, str) or not text:
        raise Unreadable(f"{field} is missing")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Unreadable(f"{field} {text[:40]!r} is not a date-time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def shopify_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def numeric(gid: str) -> str:
    """'gid://shopify/LineItem/123' -> '123' (the REST id, which webhooks carry too)."""
    return str(gid).rsplit("/", 1)[-1]


def _amount(money_bag: dict | None, field: str) -> Decimal:
    if not money_bag:
        return Decimal("0.00")
    try:
        amount = Decimal(str(money_bag["shopMoney"]["amount"])).quantize(Decimal("0.01"))
    except (InvalidOperation, KeyError, TypeError):
        raise Unreadable(f"{field} is not an amount") from None
    if len(amount.as_tuple().digits) > AMOUNT_MAX_DIGITS or amount < 0:
        raise Unreadable(f"{field} {amount} is beyond what Stockroom stores")
    return amount


def order_status(node: dict) -> ChannelOrderStatus:
    if node.get("cancelledAt"):
        return ChannelOrderStatus.CANCELLED
    fulfilment = node.get("displayFulfillmentStatus")
    if fulfilment == "FULFILLED":
        return ChannelOrderStatus.SHIPPED
    if fulfilment == "PARTIALLY_FULFILLED":
        return ChannelOrderStatus.PARTIALLY_SHIPPED
    financial = node.get("displayFinancialStatus")
    if financial in ("PENDING", None):
        return ChannelOrderStatus.PENDING  # unpaid: holds stock, not dispatchable yet
    if financial in ("PAID", "AUTHORIZED", "PARTIALLY_PAID", "PARTIALLY_REFUNDED"):
        return ChannelOrderStatus.UNSHIPPED
    return ChannelOrderStatus.UNKNOWN


def order(node: dict) -> ChannelOrder:
    """A GraphQL ``Order`` (the ``OrderFields`` fragment) -> ChannelOrder; raises Unreadable."""
    order_id = numeric(node.get("id") or "")
    if not order_id.isdigit():
        raise Unreadable("the order has no id")
    items = node.get("lineItems") or {}
    if (items.get("pageInfo") or {}).get("hasNextPage"):
        raise Unreadable(
            "the order has more than 30 lines (the most one order query reads within Shopify's cost limit)"
        )
    lines = []
    for raw in items.get("nodes") or []:
        quantity = raw.get("quantity")
        if not isinstance(quantity, int) or not 0 < quantity <= QUANTITY_MAX:
            raise Unreadable(f"line {numeric(raw.get('id', ''))} has quantity {quantity!r}")
        unfulfilled = raw.get("unfulfilledQuantity") or 0
        lines.append(
            ChannelOrderLine(
                external_line_id=numeric(raw["id"]),
                channel_sku=(raw.get("sku") or "").strip(),
                quantity=quantity,
                unit_price=_amount(raw.get("originalUnitPriceSet"), "unit price"),
                title=raw.get("title") or "",
                quantity_shipped=max(0, quantity - unfulfilled) if not node.get("cancelledAt") else 0,
            )
        )
    if not lines:
        raise Unreadable("the order has no lines")
    address = node.get("shippingAddress") or {}
    return ChannelOrder(
        external_order_id=order_id,
        status=order_status(node),
        purchased_at=parse_time(node.get("createdAt"), field="createdAt"),
        last_updated_at=parse_time(node.get("updatedAt"), field="updatedAt"),
        lines=tuple(lines),
        currency=node.get("currencyCode") or "",
        buyer_name=address.get("name") or "",
        buyer_email=node.get("email") or "",
        address=Address(
            name=address.get("name") or "",
            line1=address.get("address1") or "",
            line2=address.get("address2") or "",
            city=address.get("city") or "",
            region=address.get("province") or "",
            postcode=address.get("zip") or "",
            country_code=address.get("countryCodeV2") or "",
            phone=address.get("phone") or "",
        ),
        subtotal=_amount(node.get("subtotalPriceSet"), "subtotal"),
        shipping_total=_amount(node.get("totalShippingPriceSet"), "shipping"),
        tax_total=_amount(node.get("totalTaxSet"), "tax"),
        total=_amount(node.get("totalPriceSet"), "total"),
        channel_status=f"{node.get('displayFinancialStatus') or ''} / {node.get('displayFulfillmentStatus') or ''}".lower(),
    )
