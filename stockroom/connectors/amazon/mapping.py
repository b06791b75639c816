"""Pure translations between Amazon's documents and Stockroom's channel contracts.

No HTTP, no ORM: every function takes a payload (dict, bytes, text) and returns contract dataclasses,
so it is tested with Amazon's real sample documents alone.
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree
from pydantic import ValidationError

from stockroom.channels.contracts import (
    Address,
    ChannelListing,
    ChannelOrder,
    ChannelOrderLine,
    ChannelOrderStatus,
    ShipmentConfirmation,
    WriteOutcome,
)

from . import schemas
from .marketplaces import BY_DOMAIN, CARRIER_BY_LOWER, MARKETPLACES, marketplace_code

FEED_MAX_MESSAGES = 25_000  # JSON_LISTINGS_FEED: at most 25,000 messages per feed (listings-feed-schema-v2)
FA_PATH = "/attributes/fulfillment_availability"
MAX_REPORT_BYTES = 512 * 1024 * 1024


class MappingError(ValueError):
    """A record that cannot be translated; the message says what is wrong with it."""


class DocumentError(ValueError):
    """A whole document is unusable (truncated, garbled, hostile): retry the download later."""


# ---------------------------------------------------------------------------------------------- basics
def parse_time(value: str | None, *, field: str = "date") -> datetime | None:
    """ISO 8601 (``Z`` or an offset; naive is taken as UTC) -> aware UTC datetime; "" -> None."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MappingError(f"{field} {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso_z(value: datetime) -> str:
    """Amazon's request format: UTC with a ``Z``, whole seconds."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: Stockroom keeps times timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(value, *, field: str) -> Decimal:
    if value is None or value == "":
        return Decimal("0.00")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise MappingError(f"{field} {value!r} is not an amount") from None


def _quantity(value, *, field: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise MappingError(f"{field} {value!r} is not a whole number") from None
    if number < 0:
        raise MappingError(f"{field} {value!r} is negative")
    return number


def _cents(value: Decimal, currency: str) -> Decimal:
    return value.quantize(Decimal("1") if currency == "JPY" else Decimal("0.01"))


def _tax_on_top(marketplace: str) -> bool:
    """US and Canadian prices exclude sales tax; elsewhere Amazon prices include VAT/GST."""
    return marketplace in ("US", "CA")


def _total(
    subtotal: Decimal, shipping: Decimal, tax: Decimal, discounts: Decimal, marketplace: str
) -> Decimal:
    return subtotal + shipping + discounts + (tax if _tax_on_top(marketplace) else Decimal(0))


# ---------------------------------------------------------------------------------------------- Orders API 2026-01-01
FULFILLMENT_STATUS = {
    "PENDING_AVAILABILITY": ChannelOrderStatus.PENDING,
    "PENDING": ChannelOrderStatus.PENDING,
    "UNSHIPPED": ChannelOrderStatus.UNSHIPPED,
    "PARTIALLY_SHIPPED": ChannelOrderStatus.PARTIALLY_SHIPPED,
    "SHIPPED": ChannelOrderStatus.SHIPPED,
    "CANCELLED": ChannelOrderStatus.CANCELLED,
    "CANCELED": ChannelOrderStatus.CANCELLED,
}


def order_from_api(raw: Mapping) -> ChannelOrder:
    """One ``Order`` of Orders API 2026-01-01 (with includedData FULFILLMENT, BUYER, RECIPIENT, PROCEEDS)."""
    try:
        order = schemas.Order.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MappingError(f"order payload invalid at {where}: {first['msg']}") from None
    fulfillment = order.fulfillment or schemas.OrderFulfillment()
    raw_status = fulfillment.fulfillment_status
    status = FULFILLMENT_STATUS.get(raw_status.upper(), ChannelOrderStatus.UNKNOWN)
    marketplace = marketplace_code(order.sales_channel.marketplace_id) if order.sales_channel else ""
    currency = ""
    subtotal = shipping = tax = discounts = Decimal("0.00")
    lines = []
    for item in order.order_items:
        unit = item.product.price.unit_price if item.product.price else None
        unit_price = unit.amount if unit and unit.amount is not None else Decimal("0.00")
        currency = currency or (unit.currency_code if unit else "")
        item_subtotal = None
        for part in item.proceeds.breakdowns if item.proceeds else []:
            amount = (
                part.subtotal.amount if part.subtotal and part.subtotal.amount is not None else Decimal(0)
            )
            kind = part.type.upper()
            if kind == "ITEM":
                item_subtotal = (item_subtotal or Decimal(0)) + amount
            elif kind == "SHIPPING":
                shipping += amount
            elif kind == "TAX":
                tax += amount
            elif kind == "DISCOUNT":
                discounts += amount
        subtotal += item_subtotal if item_subtotal is not None else unit_price * item.quantity_ordered
        if not item.product.seller_sku:
            raise MappingError(f"order item {item.order_item_id} has no seller SKU")
        lines.append(
            ChannelOrderLine(
                external_line_id=item.order_item_id,
                channel_sku=item.product.seller_sku,
                quantity=item.quantity_ordered,
                unit_price=unit_price,
                title=item.product.title,
                quantity_shipped=item.fulfillment.quantity_fulfilled if item.fulfillment else 0,
            )
        )
    grand = order.proceeds.grand_total if order.proceeds else None
    if grand and grand.currency_code:
        currency = grand.currency_code
    if not currency and marketplace in MARKETPLACES:
        currency = MARKETPLACES[marketplace].currency
    total = (
        grand.amount
        if grand and grand.amount is not None
        else _total(subtotal, shipping, tax, discounts, marketplace)
    )
    address = Address()
    if order.recipient and order.recipient.delivery_address:
        a = order.recipient.delivery_address
        address = Address(
            name=a.name,
            line1=a.address_line1,
            line2=a.address_line2,
            line3=a.address_line3,
            city=a.city,
            region=a.state_or_region or a.district_or_county,
            postcode=a.postal_code,
            country_code=a.country_code,
            phone=a.phone,
        )
    window = fulfillment.ship_by_window
    return ChannelOrder(
        external_order_id=order.order_id,
        status=status,
        purchased_at=parse_time(order.created_time, field="createdTime"),
        lines=tuple(lines),
        last_updated_at=parse_time(order.last_updated_time, field="lastUpdatedTime"),
        marketplace=marketplace,
        currency=currency,
        buyer_name=order.buyer.buyer_name if order.buyer else "",
        buyer_email=order.buyer.buyer_email if order.buyer else "",
        address=address,
        channel_shipping_service=fulfillment.fulfillment_service_level,
        fulfilled_by_channel=fulfillment.fulfilled_by.upper() == "AMAZON",
        dispatch_by=parse_time(window.latest, field="shipByWindow.latestDateTime") if window else None,
        subtotal=subtotal,
        shipping_total=shipping,
        tax_total=tax,
        total=total,
        channel_status=raw_status,
    )


def orders_from_api(raw_orders: Iterable[Mapping]) -> tuple[list[ChannelOrder], list[tuple[str, str, str]]]:
    """A page of raw orders -> (translated orders, failed (id, message, raw JSON))."""
    orders, failed = [], []
    for raw in raw_orders:
        try:
            orders.append(order_from_api(raw))
        except MappingError as exc:
            order_id = str(raw.get("orderId", "")) if isinstance(raw, Mapping) else ""
            failed.append((order_id, str(exc), json.dumps(raw, default=str, ensure_ascii=False)))
    return orders, failed


# ---------------------------------------------------------------------------------------------- report documents
def decode_report(data: bytes, *, content_type: str = "", japanese: bool = False) -> str:
    """Bytes of a flat-file report -> text: the declared charset, else UTF-8, else Windows-1252
    (Europe/Americas) or Shift_JIS (Japan)."""
    charset = ""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset":
            charset = value.strip().strip('"').lower()
    if charset in ("shift_jis", "shift-jis", "sjis", "windows-31j", "ms932"):
        charset = "cp932"
    candidates = [c for c in (charset, "utf-8-sig", "cp932" if japanese else "cp1252") if c]
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise DocumentError("the report is in no known text encoding (tried " + ", ".join(candidates) + ")")


FLAT_STATUS = {
    "pending": ChannelOrderStatus.PENDING,
    "pendingavailability": ChannelOrderStatus.PENDING,
    "unshipped": ChannelOrderStatus.UNSHIPPED,
    "shipping": ChannelOrderStatus.PARTIALLY_SHIPPED,
    "partiallyshipped": ChannelOrderStatus.PARTIALLY_SHIPPED,
    "shipped": ChannelOrderStatus.SHIPPED,
    "cancelled": ChannelOrderStatus.CANCELLED,
    "canceled": ChannelOrderStatus.CANCELLED,
}


def _status_word(value: str) -> ChannelOrderStatus:
    return FLAT_STATUS.get(value.replace(" ", "").replace("-", "").lower(), ChannelOrderStatus.UNKNOWN)


def _marketplace_from_sales_channel(value: str, default: str) -> str:
    found = BY_DOMAIN.get(value.strip().lower().removeprefix("www."))
    return found.code if found else default


def orders_from_flat_report(
    text: str, *, default_marketplace: str = ""
) -> tuple[list[ChannelOrder], list[tuple[str, str, str]]]:
    """A tab-separated order report (any of Amazon's flat order report types), read by header name.

    Unknown columns are ignored; rows are grouped into orders by order id. Raises ``DocumentError`` when
    the document is cut short (its last row has fewer fields than the header).
    """
    rows = list(csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        return [], []
    header = [h.strip().lower() for h in rows[0]]
    missing = [
        name
        for name, options in (
            ("order-id", ("order-id", "amazon-order-id")),
            ("purchase-date", ("purchase-date",)),
            ("sku", ("sku",)),
            ("quantity", ("quantity-purchased", "quantity")),
        )
        if not any(option in header for option in options)
    ]
    if missing:
        raise DocumentError(
            f"the report has no {', '.join(missing)} column: it was cut short or is not an order report"
        )
    data_rows = rows[1:]
    if not data_rows and not text.endswith(("\n", "\r")):
        raise DocumentError("the report ends inside its header row: the download was cut short")
    if (
        data_rows
        and len(data_rows[-1]) < len(header)
        and (len(data_rows) == 1 or len(data_rows[-1]) < max(len(r) for r in data_rows[:-1]))
    ):
        raise DocumentError("the report ends in the middle of a row: the download was cut short")
    grouped: dict[str, list[dict[str, str]]] = {}
    raw_lines: dict[str, list[str]] = {}
    for row in rows[1:]:
        record = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        order_id = record.get("order-id") or record.get("amazon-order-id") or ""
        grouped.setdefault(order_id, []).append(record)
        raw_lines.setdefault(order_id, []).append("\t".join(row))
    orders, failed = [], []
    for order_id, records in grouped.items():
        try:
            if not order_id:
                raise MappingError("a row has no order id")
            orders.append(_order_from_flat(order_id, records, default_marketplace))
        except MappingError as exc:
            failed.append((order_id, str(exc), "\t".join(rows[0]) + "\n" + "\n".join(raw_lines[order_id])))
    return orders, failed


def _order_from_flat(order_id: str, records: list[dict[str, str]], default_marketplace: str) -> ChannelOrder:
    first = records[0]
    marketplace = _marketplace_from_sales_channel(first.get("sales-channel", ""), default_marketplace)
    currency = first.get("currency", "") or (
        MARKETPLACES[marketplace].currency if marketplace in MARKETPLACES else ""
    )
    subtotal = shipping = tax = discounts = Decimal("0.00")
    lines = []
    seen: dict[str, int] = {}
    for rec in records:
        sku = rec.get("sku", "")
        if not sku:
            raise MappingError(f"order {order_id} has a row without a SKU")
        quantity = _quantity(rec.get("quantity-purchased") or rec.get("quantity") or "0", field="quantity")
        price = _money(rec.get("item-price"), field="item-price")
        subtotal += price
        shipping += _money(rec.get("shipping-price"), field="shipping-price")
        tax += _money(rec.get("item-tax"), field="item-tax") + _money(
            rec.get("shipping-tax"), field="shipping-tax"
        )
        discounts += _money(rec.get("item-promotion-discount"), field="item-promotion-discount")
        discounts += _money(rec.get("ship-promotion-discount"), field="ship-promotion-discount")
        line_id = rec.get("order-item-id", "")
        if not line_id:  # order-tracking reports carry no order item id: the SKU identifies the line
            seen[sku] = seen.get(sku, 0) + 1
            line_id = sku if seen[sku] == 1 else f"{sku}#{seen[sku]}"
        shipped = rec.get("quantity-shipped", "")
        if not shipped and rec.get("item-status", "").lower() == "shipped":
            shipped = str(quantity)
        lines.append(
            ChannelOrderLine(
                external_line_id=line_id,
                channel_sku=sku,
                quantity=quantity,
                unit_price=_cents(price / quantity, currency) if quantity else Decimal("0.00"),
                title=rec.get("product-name", ""),
                quantity_shipped=_quantity(shipped or "0", field="quantity-shipped"),
            )
        )
    status_word = first.get("order-status", "")
    status = _status_word(status_word) if "order-status" in first else ChannelOrderStatus.UNSHIPPED
    purchased = parse_time(first.get("purchase-date"), field="purchase-date")
    if purchased is None:
        raise MappingError(f"order {order_id} has no purchase-date")
    return ChannelOrder(
        external_order_id=order_id,
        status=status,
        purchased_at=purchased,
        lines=tuple(lines),
        last_updated_at=parse_time(first.get("last-updated-date"), field="last-updated-date"),
        marketplace=marketplace,
        currency=currency,
        buyer_name=first.get("buyer-name", ""),
        buyer_email=first.get("buyer-email", ""),
        address=Address(
            name=first.get("recipient-name", ""),
            line1=first.get("ship-address-1", ""),
            line2=first.get("ship-address-2", ""),
            line3=first.get("ship-address-3", ""),
            city=first.get("ship-city", ""),
            region=first.get("ship-state", ""),
            postcode=first.get("ship-postal-code", ""),
            country_code=first.get("ship-country", ""),
            phone=first.get("ship-phone-number", "") or first.get("buyer-phone-number", ""),
        ),
        channel_shipping_service=first.get("ship-service-level", ""),
        fulfilled_by_channel=first.get("fulfillment-channel", "").lower() == "amazon",
        dispatch_by=parse_time(first.get("promise-date"), field="promise-date"),
        subtotal=subtotal,
        shipping_total=shipping,
        tax_total=tax,
        total=_total(subtotal, shipping, tax, discounts, marketplace),
        channel_status=status_word or "Unshipped",
    )


# -- XML
def _safe_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML: no entity expansion, no DTD loading, no network, no huge trees; a DOCTYPE is
    refused outright (the defusedxml rules, applied to lxml)."""
    if len(data) > MAX_REPORT_BYTES:
        raise DocumentError("the XML report is larger than Stockroom accepts")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"the XML report is not well-formed (cut short or garbled): {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise DocumentError("the XML report declares a DOCTYPE; Stockroom refuses DTDs and entities")
    return root


def _text(el, path: str) -> str:
    found = el.find(path)
    return (found.text or "").strip() if found is not None else ""


def _components(item) -> tuple[dict[str, Decimal], str]:
    amounts: dict[str, Decimal] = {}
    currency = ""
    for comp in item.iterfind("ItemPrice/Component"):
        kind = _text(comp, "Type")
        amount_el = comp.find("Amount")
        if amount_el is None:
            continue
        currency = currency or amount_el.get("currency", "")
        amounts[kind] = amounts.get(kind, Decimal(0)) + _money(amount_el.text, field=f"{kind} amount")
    for promo in item.iterfind("Promotion"):
        for el in promo:
            if el.tag.endswith("Promotion") and el.tag != "Promotion":
                amounts["Promotion"] = amounts.get("Promotion", Decimal(0)) + _money(el.text, field=el.tag)
    return amounts, currency


def orders_from_xml_report(
    data: bytes, *, default_marketplace: str = ""
) -> tuple[list[ChannelOrder], list[tuple[str, str, str]]]:
    """An XML order report (``OrderReport`` messages, or the order-tracking ``Order`` messages)."""
    root = _safe_xml(data)
    orders, failed = [], []
    for message in root.iterfind("Message"):
        element = message.find("OrderReport")
        if element is None:
            element = message.find("Order")
        if element is None:
            continue
        order_id = _text(element, "AmazonOrderID")
        try:
            if not order_id:
                raise MappingError("a message has no AmazonOrderID")
            if element.tag == "OrderReport":
                orders.append(_order_from_order_report(order_id, element, default_marketplace))
            else:
                orders.append(_order_from_tracking(order_id, element, default_marketplace))
        except MappingError as exc:
            failed.append((order_id, str(exc), etree.tostring(message, encoding="unicode")))
    return orders, failed


def _xml_lines(element, item_tag: str, id_tag: str, title_tag: str):
    lines, currency = [], ""
    subtotal = shipping = tax = discounts = Decimal("0.00")
    seen: dict[str, int] = {}
    for item in element.iterfind(item_tag):
        sku = _text(item, "SKU")
        if not sku:
            raise MappingError("an item has no SKU")
        quantity = _quantity(_text(item, "Quantity") or "0", field="Quantity")
        amounts, item_currency = _components(item)
        currency = currency or item_currency
        price = amounts.get("Principal", Decimal(0))
        subtotal += price
        shipping += amounts.get("Shipping", Decimal(0))
        tax += sum((v for k, v in amounts.items() if k.endswith("Tax")), Decimal(0))
        discounts += amounts.get("Promotion", Decimal(0))
        line_id = _text(item, id_tag) if id_tag else ""
        if not line_id:
            seen[sku] = seen.get(sku, 0) + 1
            line_id = sku if seen[sku] == 1 else f"{sku}#{seen[sku]}"
        lines.append(
            ChannelOrderLine(
                external_line_id=line_id,
                channel_sku=sku,
                quantity=quantity,
                unit_price=_cents(price / quantity, currency) if quantity and price else Decimal("0.00"),
                title=_text(item, title_tag),
                quantity_shipped=quantity if _text(item, "ItemStatus").lower() == "shipped" else 0,
            )
        )
    return lines, currency, subtotal, shipping, tax, discounts


def _order_from_order_report(order_id: str, el, default_marketplace: str) -> ChannelOrder:
    lines, currency, subtotal, shipping, tax, discounts = _xml_lines(
        el, "Item", "AmazonOrderItemCode", "Title"
    )
    marketplace = default_marketplace
    purchased = parse_time(_text(el, "OrderDate"), field="OrderDate")
    if purchased is None:
        raise MappingError(f"order {order_id} has no OrderDate")
    return ChannelOrder(
        external_order_id=order_id,
        status=ChannelOrderStatus.UNSHIPPED,
        purchased_at=purchased,
        lines=tuple(lines),
        marketplace=marketplace,
        currency=currency or (MARKETPLACES[marketplace].currency if marketplace in MARKETPLACES else ""),
        buyer_name=_text(el, "BillingData/BuyerName"),
        buyer_email=_text(el, "BillingData/BuyerEmailAddress"),
        address=Address(
            name=_text(el, "FulfillmentData/Address/Name"),
            line1=_text(el, "FulfillmentData/Address/AddressFieldOne"),
            line2=_text(el, "FulfillmentData/Address/AddressFieldTwo"),
            line3=_text(el, "FulfillmentData/Address/AddressFieldThree"),
            city=_text(el, "FulfillmentData/Address/City"),
            region=_text(el, "FulfillmentData/Address/StateOrRegion"),
            postcode=_text(el, "FulfillmentData/Address/PostalCode"),
            country_code=_text(el, "FulfillmentData/Address/CountryCode"),
            phone=_text(el, "FulfillmentData/Address/PhoneNumber"),
        ),
        channel_shipping_service=_text(el, "FulfillmentData/FulfillmentServiceLevel"),
        fulfilled_by_channel=False,
        subtotal=subtotal,
        shipping_total=shipping,
        tax_total=tax,
        total=_total(subtotal, shipping, tax, discounts, marketplace),
        channel_status="Unshipped",
    )


def _order_from_tracking(order_id: str, el, default_marketplace: str) -> ChannelOrder:
    lines, currency, subtotal, shipping, tax, discounts = _xml_lines(el, "OrderItem", "", "ProductName")
    marketplace = _marketplace_from_sales_channel(_text(el, "SalesChannel"), default_marketplace)
    status_word = _text(el, "OrderStatus")
    purchased = parse_time(_text(el, "PurchaseDate"), field="PurchaseDate")
    if purchased is None:
        raise MappingError(f"order {order_id} has no PurchaseDate")
    return ChannelOrder(
        external_order_id=order_id,
        status=_status_word(status_word),
        purchased_at=purchased,
        lines=tuple(lines),
        last_updated_at=parse_time(_text(el, "LastUpdatedDate"), field="LastUpdatedDate"),
        marketplace=marketplace,
        currency=currency or (MARKETPLACES[marketplace].currency if marketplace in MARKETPLACES else ""),
        address=Address(
            city=_text(el, "FulfillmentData/Address/City"),
            region=_text(el, "FulfillmentData/Address/State"),
            postcode=_text(el, "FulfillmentData/Address/PostalCode"),
            country_code=_text(el, "FulfillmentData/Address/Country"),
        ),
        channel_shipping_service=_text(el, "FulfillmentData/ShipServiceLevel"),
        fulfilled_by_channel=_text(el, "FulfillmentData/FulfillmentChannel").lower() == "amazon",
        subtotal=subtotal,
        shipping_total=shipping,
        tax_total=tax,
        total=_total(subtotal, shipping, tax, discounts, marketplace),
        channel_status=status_word,
    )


# ---------------------------------------------------------------------------------------------- stock
def inventory_patches(quantity: int) -> list[dict]:
    """The one JSON Patch that sets a merchant-fulfilled quantity and touches nothing else."""
    return [
        {
            "op": "merge",
            "path": FA_PATH,
            "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": int(quantity)}],
        }
    ]


def patch_listings_item_body(quantity: int, product_type: str = "PRODUCT") -> dict:
    return {"productType": product_type or "PRODUCT", "patches": inventory_patches(quantity)}


@dataclass(frozen=True)
class FeedMessage:
    message_id: int
    sku: str
    quantity: int


def listings_feed_messages(updates: Sequence[tuple[str, int]]) -> list[FeedMessage]:
    """messageId = position (1-based) of the update in the feed; the same input gives the same feed."""
    if len(updates) > FEED_MAX_MESSAGES:
        raise ValueError(f"a JSON_LISTINGS_FEED holds at most {FEED_MAX_MESSAGES} messages")
    return [FeedMessage(n, sku, int(qty)) for n, (sku, qty) in enumerate(updates, start=1)]


def build_listings_feed(
    seller_id: str, messages: Sequence[FeedMessage], *, product_type: str = "PRODUCT"
) -> bytes:
    """A deterministic JSON_LISTINGS_FEED document (listings-feed-schema-v2): PATCH messages that merge
    ``fulfillment_availability`` with channel DEFAULT and the quantity."""
    document = {
        "header": {"sellerId": seller_id, "version": "2.0"},
        "messages": [
            {
                "messageId": m.message_id,
                "sku": m.sku,
                "operationType": "PATCH",
                "productType": product_type,
                "patches": inventory_patches(m.quantity),
            }
            for m in messages
        ],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def feed_outcomes(report: Mapping, messages: Sequence[tuple[int, str, str]]) -> list[WriteOutcome]:
    """A JSON_LISTINGS_FEED processing report -> one outcome per submitted message.

    ``messages`` are (messageId, SKU, submission ref). An ERROR issue of a message makes it an error;
    warnings are kept in the message of a confirmed outcome.
    """
    parsed = schemas.ProcessingReport.model_validate(report)
    by_id: dict[int, list[schemas.ProcessingIssue]] = {}
    by_sku: dict[str, list[schemas.ProcessingIssue]] = {}
    for issue in parsed.issues:
        if issue.message_id is not None:
            by_id.setdefault(issue.message_id, []).append(issue)
        elif issue.sku:
            by_sku.setdefault(issue.sku, []).append(issue)
    outcomes = []
    for message_id, sku, ref in messages:
        issues = by_id.get(message_id, []) + by_sku.get(sku, [])
        errors = [i for i in issues if i.severity.upper() == "ERROR"]
        text = "; ".join(f"{i.code}: {i.message}" if i.code else i.message for i in (errors or issues))
        if errors:
            outcomes.append(WriteOutcome(key=sku, status="error", message=text, submission_ref=ref))
        else:
            outcomes.append(WriteOutcome(key=sku, status="confirmed", message=text, submission_ref=ref))
    return outcomes


def patch_outcome(sku: str, response: Mapping, quantity: int) -> WriteOutcome:
    """The 200 answer of patchListingsItem -> outcome (ACCEPTED = confirmed, INVALID = error)."""
    parsed = schemas.ListingsItemSubmission.model_validate(response)
    messages = "; ".join(f"{i.code}: {i.message}" if i.code else i.message for i in parsed.issues)
    if parsed.status.upper() in ("ACCEPTED", "VALID"):
        return WriteOutcome(sku, "confirmed", messages, parsed.submission_id, quantity=quantity)
    return WriteOutcome(
        sku,
        "error",
        messages or f"Amazon answered status {parsed.status or 'missing'}",
        parsed.submission_id,
        quantity=quantity,
    )


# ---------------------------------------------------------------------------------------------- shipments
def package_reference_id(reference: str) -> str:
    """Amazon wants a positive number, unique per order. A numeric reference is used as it is (so a
    retry sends the same one); anything else is turned into a stable number."""
    text = (reference or "").strip()
    if text.isdigit() and int(text) > 0:
        return str(int(text))
    if not text:
        return "1"
    return str(zlib.crc32(text.encode("utf-8")) % 999_999_999 + 1)


def confirm_shipment_body(shipment: ShipmentConfirmation, marketplace_id: str) -> dict:
    """Orders v0 ``confirmShipment`` body. A carrier not in Amazon's list is sent as ``Other`` with its name."""
    if not shipment.lines:
        raise MappingError("the shipment names no order lines")
    if not shipment.tracking_number.strip():
        raise MappingError("Amazon needs a tracking number to confirm a shipment")
    code = CARRIER_BY_LOWER.get(shipment.carrier_code.strip().lower())
    name = shipment.carrier_name.strip()
    if code is None:
        if shipment.carrier_code.strip().lower() != "other":
            name = name or shipment.carrier_code.strip()
        code = "Other"
    if code == "Other" and not name:
        raise MappingError(
            "the carrier is 'Other' but has no name: set the carrier name of the shipping method"
        )
    detail = {
        "packageReferenceId": package_reference_id(shipment.package_reference),
        "carrierCode": code,
        "trackingNumber": shipment.tracking_number.strip(),
        "shipDate": iso_z(shipment.shipped_at),
        "orderItems": [
            {"orderItemId": ln.external_line_id, "quantity": ln.quantity} for ln in shipment.lines
        ],
    }
    if code == "Other":
        detail["carrierName"] = name
    if shipment.ship_method.strip():
        detail["shippingMethod"] = shipment.ship_method.strip()
    return {"marketplaceId": marketplace_id, "packageDetail": detail}


# ---------------------------------------------------------------------------------------------- listings
def listing_from_item(raw: Mapping, *, default_marketplace: str = "") -> ChannelListing:
    try:
        item = schemas.ListingItem.model_validate(raw)
    except ValidationError as exc:
        raise MappingError(f"listing payload invalid: {exc.errors()[0]['msg']}") from None
    summary = item.summaries[0] if item.summaries else schemas.ListingSummary()
    quantity = None
    fba = False
    for entry in item.fulfillment_availability:
        if entry.fulfillment_channel_code.upper() == "DEFAULT":
            quantity = entry.quantity
        elif entry.fulfillment_channel_code:
            fba = True
            if quantity is None:
                quantity = entry.quantity
    return ChannelListing(
        channel_sku=item.sku,
        external_ref=summary.asin,
        title=summary.item_name,
        quantity=quantity,
        fulfilled_by_channel=fba,
        marketplace=marketplace_code(summary.marketplace_id)
        if summary.marketplace_id
        else default_marketplace,
    )
