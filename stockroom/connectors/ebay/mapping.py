"""Pure translation between eBay's documents and Stockroom's contracts (no HTTP, no ORM): orders in,
shipping fulfillments and bulk price/quantity requests out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from stockroom.channels.contracts import (
    Address,
    ChannelOrder,
    ChannelOrderLine,
    ChannelOrderStatus,
    ShipmentConfirmation,
    StockUpdate,
)


class Unreadable(ValueError):
    """An eBay order Stockroom cannot take as it is (the message says what is wrong)."""


def parse_time(value) -> datetime:
    if not isinstance(value, str) or "T" not in value:
        raise Unreadable(f"not a date-time: {str(value)[:40]!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Unreadable(f"not a date-time: {value[:40]!r}") from None
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(UTC)


def format_time(moment: datetime) -> str:
    """eBay's filter format: UTC with milliseconds and Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def money(amount, *, what: str) -> Decimal:
    if not amount:
        return Decimal("0.00")
    try:
        value = Decimal(str(amount.get("value")))
    except (InvalidOperation, AttributeError):
        raise Unreadable(f"{what} is not an amount: {str(amount)[:60]}") from None
    if not value.is_finite():
        raise Unreadable(f"{what} is not an amount: {str(amount)[:60]}")
    return value.quantize(Decimal("0.01"))


def order_status(document: dict) -> ChannelOrderStatus:
    """Cancelled first; then eBay's fulfilment status; an open order whose payment is not complete is pending
    (it holds stock and cannot be dispatched)."""
    cancel_state = (document.get("cancelStatus") or {}).get("cancelState")
    if cancel_state == "CANCELED":
        return ChannelOrderStatus.CANCELLED
    fulfillment = document.get("orderFulfillmentStatus")
    if fulfillment == "FULFILLED":
        return ChannelOrderStatus.SHIPPED
    if fulfillment == "IN_PROGRESS":
        return ChannelOrderStatus.PARTIALLY_SHIPPED
    if fulfillment != "NOT_STARTED":
        return ChannelOrderStatus.UNKNOWN
    if document.get("orderPaymentStatus") != "PAID":
        return ChannelOrderStatus.PENDING
    return ChannelOrderStatus.UNSHIPPED


def _ship_to(document: dict) -> tuple[Address, str, datetime | None]:
    for instruction in document.get("fulfillmentStartInstructions") or []:
        step = instruction.get("shippingStep") or {}
        ship_to = step.get("shipTo") or {}
        contact = ship_to.get("contactAddress") or {}
        address = Address(
            name=str(ship_to.get("fullName") or ""),
            line1=str(contact.get("addressLine1") or ""),
            line2=str(contact.get("addressLine2") or ""),
            city=str(contact.get("city") or ""),
            region=str(contact.get("stateOrProvince") or ""),
            postcode=str(contact.get("postalCode") or ""),
            country_code=str(contact.get("countryCode") or ""),
            phone=str((ship_to.get("primaryPhone") or {}).get("phoneNumber") or ""),
        )
        by = instruction.get("maxEstimatedDeliveryDate")
        return address, str(step.get("shippingServiceCode") or ""), parse_time(by) if by else None
    return Address(), "", None


def channel_order(document: dict) -> ChannelOrder:
    """eBay's Order -> ChannelOrder; raises Unreadable."""
    order_id = document.get("orderId")
    if not isinstance(order_id, str) or not order_id:
        raise Unreadable("the order has no orderId")
    lines = []
    for raw in document.get("lineItems") or []:
        line_id, quantity = raw.get("lineItemId"), raw.get("quantity")
        if not isinstance(line_id, str) or not isinstance(quantity, int) or quantity < 1:
            raise Unreadable(f"line {str(line_id)[:40]!r} has no id or no whole quantity")
        cost = money(raw.get("lineItemCost"), what=f"line {line_id} cost")
        lines.append(
            ChannelOrderLine(
                external_line_id=line_id,
                channel_sku=str(raw.get("sku") or raw.get("legacyItemId") or ""),
                quantity=quantity,
                unit_price=(cost / quantity).quantize(Decimal("0.01")),
                title=str(raw.get("title") or ""),
                quantity_shipped=quantity if raw.get("lineItemFulfillmentStatus") == "FULFILLED" else 0,
            )
        )
    if not lines:
        raise Unreadable("the order has no line items")
    pricing = document.get("pricingSummary") or {}
    total = pricing.get("total") or {}
    address, service, _ = _ship_to(document)
    marketplace = str((document.get("lineItems") or [{}])[0].get("listingMarketplaceId") or "")
    return ChannelOrder(
        external_order_id=order_id,
        status=order_status(document),
        purchased_at=parse_time(document.get("creationDate")),
        last_updated_at=parse_time(document.get("lastModifiedDate") or document.get("creationDate")),
        lines=tuple(lines),
        marketplace=marketplace,
        currency=str(total.get("currency") or ""),
        buyer_name=str((document.get("buyer") or {}).get("username") or ""),
        address=address,
        channel_shipping_service=service,
        subtotal=money(pricing.get("priceSubtotal"), what="subtotal"),
        shipping_total=money(pricing.get("deliveryCost"), what="delivery cost"),
        tax_total=money(pricing.get("tax"), what="tax"),
        total=money(total, what="total"),
        channel_status=f"{document.get('orderFulfillmentStatus', '')}/{document.get('orderPaymentStatus', '')}",
    )


def fulfillment_request(shipment: ShipmentConfirmation) -> dict:
    """One Stockroom package -> createShippingFulfillment's ShippingFulfillmentDetails."""
    body: dict = {
        "lineItems": [
            {"lineItemId": line.external_line_id, "quantity": line.quantity} for line in shipment.lines
        ],
        "shippedDate": format_time(shipment.shipped_at),
    }
    tracking = tracking_number(shipment.tracking_number)
    if tracking:
        body["shippingCarrierCode"] = shipment.carrier_code or "Other"
        body["trackingNumber"] = tracking
    return body


def tracking_number(text: str) -> str:
    """eBay takes letters and digits only: spaces and hyphens sellers type ("JD-0002 43") are dropped."""
    return "".join(ch for ch in str(text or "") if ch not in " -")


def matches(fulfillment: dict, request: dict) -> bool:
    """Is an existing fulfillment (getShippingFulfillments) the one ``request`` would create?"""
    ours = sorted((line["lineItemId"], line["quantity"]) for line in request["lineItems"])
    theirs = sorted(
        (line.get("lineItemId"), line.get("quantity")) for line in fulfillment.get("lineItems") or []
    )
    return ours == theirs and (fulfillment.get("shipmentTrackingNumber") or "") == request.get(
        "trackingNumber", ""
    )


def bulk_request(updates: Sequence[StockUpdate]) -> dict:
    """At most 25 stock updates -> bulkUpdatePriceQuantity's request (quantity of the item and its offer)."""
    requests = []
    for update in updates:
        entry: dict = {"sku": update.channel_sku, "shipToLocationAvailability": {"quantity": update.quantity}}
        if update.refs.offer_ref:
            entry["offers"] = [{"offerId": update.refs.offer_ref, "availableQuantity": update.quantity}]
        requests.append(entry)
    return {"requests": requests}
