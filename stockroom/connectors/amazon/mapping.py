"""Pure translations between Amazon's documents and Stockroom's channel contracts.

No HTTP, no ORM: every function takes a payload (dict, bytes, text) and returns contract dataclasses,
so it is tested with Amazon's real sample documents alone.
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import io
import json
import operator
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import BinaryIO

from lxml import etree
from pydantic import ValidationError

from stockroom.channels.contracts import (
    AMOUNT_DECIMAL_PLACES,
    AMOUNT_MAX_DIGITS,
    CHANNEL_SKU_MAX_LENGTH,
    LINE_ID_MAX_LENGTH,
    ORDER_ID_MAX_LENGTH,
    QUANTITY_MAX,
    Address,
    ChannelListing,
    ChannelOrder,
    ChannelOrderLine,
    ChannelOrderStatus,
    PushedOrder,
    ShipmentConfirmation,
    WriteOutcome,
    WriteStatus,
)
from stockroom.connectors.jsonbody import TooDeep, read_json
from stockroom.core.text import clean_text, identifier_problem

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
# Dates a channel may send: what Python and both databases hold, with room for date arithmetic.
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(9000, 1, 1, tzinfo=UTC)


def parse_time(value: str | None, *, field: str = "date") -> datetime | None:
    """ISO 8601 (``Z`` or an offset; naive is taken as UTC) -> aware UTC datetime; "" -> None."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MappingError(f"{field} {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:59 is past the last date Python holds
        parsed = None
    if parsed is None or not EARLIEST_TIME <= parsed < LATEST_TIME:
        raise MappingError(
            f"{field} {value!r} is outside the dates Stockroom keeps "
            f"({EARLIEST_TIME:%Y-%m-%d} to {LATEST_TIME:%Y-%m-%d})"
        )
    return parsed


def iso_z(value: datetime) -> str:
    """Amazon's request format: UTC with a ``Z``, whole seconds."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: Stockroom keeps times timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_ZERO = Decimal("0.00")
_NOTHING = Decimal(0)  # the start of a sum that keeps the exponent of what is added to it


# An amount as channels write it: plain decimal digits (ASCII only: Decimal and int would also take
# "١٢", "1_000", "Infinity", "sNaN" and "1e999999").
_AMOUNT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
_AMOUNT_LIMIT = Decimal(10) ** (AMOUNT_MAX_DIGITS - AMOUNT_DECIMAL_PLACES)  # 10^12: the columns hold less
_CENT = Decimal(1).scaleb(-AMOUNT_DECIMAL_PLACES)


def _amount_text(text: str) -> Decimal:
    """An amount's text -> Decimal; ValueError when it is not plain digits or beyond what is stored."""
    if not _AMOUNT_TEXT.match(text):
        raise ValueError("not an amount")
    amount = Decimal(text)
    if amount.adjusted() >= AMOUNT_MAX_DIGITS - AMOUNT_DECIMAL_PLACES:
        raise ValueError("too large")
    return amount


def _money(value, *, field: str) -> Decimal:
    if value is None or value == "":
        return _ZERO
    text = str(value).strip()
    try:
        return _amount_text(text)
    except ValueError as exc:
        if str(exc) == "too large":
            raise MappingError(
                f"{field} {text[:40]!r} is too large: Stockroom keeps amounts below 10^12"
            ) from None
        raise MappingError(f"{field} {text[:40]!r} is not an amount") from None


def checked_amount(value: Decimal, *, field: str) -> Decimal:
    """``value`` if the order book can hold it (finite, rounded to cents below 10^12), else MappingError."""
    if not value.is_finite():
        raise MappingError(f"{field} {value} is not a finite amount")
    if value.adjusted() >= AMOUNT_MAX_DIGITS or abs(value.quantize(_CENT)) >= _AMOUNT_LIMIT:
        raise MappingError(f"{field} {value} is too large: Stockroom keeps amounts below 10^12")
    return value


def _quantity(value, *, field: str) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        if text[:1] == "-" and text[1:].isascii() and text[1:].isdigit():
            raise MappingError(f"{field} {value!r} is negative")
        raise MappingError(f"{field} {text[:40]!r} is not a whole number")
    number = int(text)
    if number > QUANTITY_MAX:
        raise MappingError(f"{field} {number} is too large (at most {QUANTITY_MAX:,})")
    return number


_CENTS = {False: Decimal("0.01"), True: Decimal("1")}  # keyed by "is the currency JPY"


def _cents(value: Decimal, currency: str) -> Decimal:
    return value.quantize(_CENTS[currency == "JPY"])


def _tax_on_top(marketplace: str) -> bool:
    """US and Canadian prices exclude sales tax; elsewhere Amazon prices include VAT/GST."""
    return marketplace in ("US", "CA")


def _total(
    subtotal: Decimal, shipping: Decimal, tax: Decimal, discounts: Decimal, marketplace: str
) -> Decimal:
    return subtotal + shipping + discounts + (tax if _tax_on_top(marketplace) else Decimal(0))


# ---------------------------------------------------------------------------------------------- the edge
_ORDER_TEXT = (
    "marketplace",
    "currency",
    "buyer_name",
    "buyer_email",
    "channel_shipping_service",
    "channel_status",
)
_ADDRESS_TEXT = tuple(f.name for f in dataclasses.fields(Address))
_ORDER_AMOUNTS = {"subtotal": "subtotal", "shipping_total": "shipping", "tax_total": "tax", "total": "total"}


def order_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be an Amazon order id; None when it can. Amazon's order ids are ASCII
    (digits, letters and dashes, "026-1234567-1234567"): a letter from beyond ASCII there is a byte
    changed in transit, never another order."""
    problem = identifier_problem(value)
    if problem is None and not value.isascii():
        odd = next(ch for ch in value if not ch.isascii())
        problem = f"holds {odd!r} (U+{ord(odd):04X}): Amazon order ids are ASCII letters, digits and dashes"
    return problem


def _identifier(value: str, *, what: str, longest: int, check=identifier_problem) -> None:
    problem = check(value)
    if problem is None and len(value) > longest:
        problem = f"is {len(value)} characters long (at most {longest})"
    if problem:
        raise MappingError(f"{what} {value[:longest]!r} {problem}")


def checked_order(order: ChannelOrder) -> ChannelOrder:
    """The order as Stockroom may store it, the same on every database: identifiers (order id, SKUs,
    line ids) refused when they hold control or invisible characters, free text NFC with control
    characters removed (``core.text.clean_text``), amounts and quantities within what the order book's
    columns hold. Raises ``MappingError`` naming the first field that cannot be kept."""
    order_id = order.external_order_id
    _identifier(order_id, what="order id", longest=ORDER_ID_MAX_LENGTH, check=order_id_problem)
    lines = []
    for line in order.lines:
        _identifier(line.channel_sku, what=f"order {order_id}: SKU", longest=CHANNEL_SKU_MAX_LENGTH)
        _identifier(line.external_line_id, what=f"order {order_id}: line id", longest=LINE_ID_MAX_LENGTH)
        for quantity in (line.quantity, line.quantity_shipped):
            if not 0 <= quantity <= QUANTITY_MAX:
                raise MappingError(
                    f"order {order_id}: SKU {line.channel_sku} has quantity {quantity} (0 to {QUANTITY_MAX:,})"
                )
        checked_amount(line.unit_price, field=f"order {order_id}: unit price of SKU {line.channel_sku}")
        title = clean_text(line.title)
        lines.append(line if title == line.title else dataclasses.replace(line, title=title))
    for name, label in _ORDER_AMOUNTS.items():
        checked_amount(getattr(order, name), field=f"order {order_id}: {label}")
    changes: dict = {}
    for name in _ORDER_TEXT:
        value = getattr(order, name)
        cleaned = clean_text(value)
        if cleaned != value:
            changes[name] = cleaned
    address = order.address
    address_changes = {}
    for name in _ADDRESS_TEXT:
        value = getattr(address, name)
        cleaned = clean_text(value)
        if cleaned != value:
            address_changes[name] = cleaned
    if address_changes:
        changes["address"] = dataclasses.replace(address, **address_changes)
    if any(new is not old for new, old in zip(lines, order.lines, strict=True)):
        changes["lines"] = tuple(lines)
    return dataclasses.replace(order, **changes) if changes else order


def _unreadable(exc: Exception) -> str:
    """What is wrong with a record, in words: a ``MappingError`` says it; anything else is named."""
    if isinstance(exc, MappingError):
        return str(exc)
    return f"the record could not be read ({type(exc).__name__}: {exc})"[:500]


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
            orders.append(checked_order(order_from_api(raw)))
        except Exception as exc:  # noqa: BLE001 - a record nobody can read is kept, never raised
            order_id = str(raw.get("orderId", "")) if isinstance(raw, Mapping) else ""
            failed.append((order_id, _unreadable(exc), json.dumps(raw, default=str, ensure_ascii=False)))
    return orders, failed


# ---------------------------------------------------------------------------------------------- report documents
def decode_report(data: bytes, *, content_type: str = "", japanese: bool = False) -> str:
    """Bytes of a flat-file report -> text, in the encoding ``report_encoding`` chooses."""
    return data.decode(report_encoding(io.BytesIO(data), content_type=content_type, japanese=japanese))


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


@functools.lru_cache(maxsize=64)  # a report names a handful of sales channels, once per order
def _marketplace_from_sales_channel(value: str, default: str) -> str:
    found = BY_DOMAIN.get(value.strip().lower().removeprefix("www."))
    return found.code if found else default


def _marketplace_of_xml_order(buyer_email: str, currency: str, default: str) -> str:
    """The XML order report names no marketplace (the flat one has sales-channel). Amazon's buyer
    e-mail relay names the site (``...@marketplace.amazon.de``); else a currency only one marketplace
    uses tells it (GBP: UK); else the report's own marketplace (``default``)."""
    domain = buyer_email.rpartition("@")[2].strip().lower().removeprefix("marketplace.")
    found = BY_DOMAIN.get(domain)
    if found is not None:
        return found.code
    if default in MARKETPLACES and MARKETPLACES[default].currency == currency:
        return default
    sites = [m.code for m in MARKETPLACES.values() if m.currency == currency]
    return sites[0] if len(sites) == 1 else default


def _all_pages(pages) -> tuple[list[ChannelOrder], list[tuple[str, str, str]]]:
    orders, failed = [], []
    for page_orders, page_failed in pages:
        orders += page_orders
        failed += page_failed
    return orders, failed


def orders_from_flat_report(
    text: str, *, default_marketplace: str = ""
) -> tuple[list[ChannelOrder], list[tuple[str, str, str]]]:
    """A whole tab-separated order report already decoded: ``flat_report_pages`` in one go."""
    return _all_pages(
        flat_report_pages(
            io.BytesIO(text.encode("utf-8")),
            default_marketplace=default_marketplace,
            content_type="text/tab-separated-values; charset=utf-8",
            page_size=1 << 30,
        )
    )


_LINE_COLUMNS = (
    "sku",
    "quantity-purchased",
    "quantity",
    "item-price",
    "shipping-price",
    "item-tax",
    "shipping-tax",
    "item-promotion-discount",
    "ship-promotion-discount",
    "order-item-id",
    "quantity-shipped",
    "item-status",
    "product-name",
)
_ORDER_COLUMNS = (
    "sales-channel",
    "currency",
    "order-status",
    "purchase-date",
    "last-updated-date",
    "buyer-name",
    "buyer-email",
    "recipient-name",
    "ship-address-1",
    "ship-address-2",
    "ship-address-3",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "ship-phone-number",
    "buyer-phone-number",
    "ship-service-level",
    "fulfillment-channel",
    "promise-date",
)


_AMOUNTS_KEPT = 4096


class _Amounts(dict):
    """Amount texts already read, each parsed once: a report repeats the same few ("0.00", "2.99").
    Holds at most ``_AMOUNTS_KEPT``; an invalid amount raises ``InvalidOperation`` (the caller names
    the column)."""

    def __init__(self):
        super().__init__({"": _ZERO})

    def __missing__(self, text: str) -> Decimal:
        amount = _amount_text(text)
        if len(self) < _AMOUNTS_KEPT:
            self[text] = amount
        return amount


class _FlatColumns:
    """Where the columns the mapping reads sit in a row, found once from the header (by name, the last
    of a repeated name winning). A row is read as its cells plus one blank cell at the end, which is
    where a column the report lacks points: no dict per row."""

    def __init__(self, header: list[str]):
        position = {name: i for i, name in enumerate(header)}
        self.width = len(header)
        self.has_status = "order-status" in position
        self.order_id_at = position.get("order-id", -1)
        self.amazon_order_id_at = position.get("amazon-order-id", -1)
        self.line_cells = operator.itemgetter(*(position.get(name, -1) for name in _LINE_COLUMNS))
        self.order_cells = operator.itemgetter(*(position.get(name, -1) for name in _ORDER_COLUMNS))
        self.amounts = _Amounts()

    def cells(self, row: list[str]) -> list[str]:
        """A row as read (missing cells blank, extra cells kept) with the blank cell appended."""
        missing = self.width - len(row)
        return row + [""] * (missing + 1) if missing >= 0 else [*row, ""]

    def order_id(self, cells: list[str]) -> str:
        return cells[self.order_id_at].strip() or cells[self.amazon_order_id_at].strip()


def _explain_flat_line(
    quantity_text: str, amount_texts: tuple[str, ...], shipped: str, totals: tuple, cents: Decimal
) -> None:
    """A row the quick path could not read, read again step by step in the order the mapping always
    used, so it raises what the first bad value raises: a ``MappingError`` naming its column, or the
    arithmetic error of a sum (e.g. of two infinite amounts)."""
    subtotal, shipping, tax, discounts = totals
    quantity = _quantity(quantity_text, field="quantity")
    price, shipping_price, item_tax, shipping_tax, item_discount, ship_discount = amount_texts
    price = _money(price, field="item-price")
    subtotal += price
    shipping += _money(shipping_price, field="shipping-price")
    tax += _money(item_tax, field="item-tax") + _money(shipping_tax, field="shipping-tax")
    discounts += _money(item_discount, field="item-promotion-discount")
    discounts += _money(ship_discount, field="ship-promotion-discount")
    if quantity:
        (price / quantity).quantize(cents)
    _quantity(shipped or "0", field="quantity-shipped")


def _order_from_flat(
    order_id: str, rows: list[list[str]], columns: _FlatColumns, default_marketplace: str
) -> ChannelOrder:
    (
        sales_channel,
        currency,
        status_word,
        purchase_date,
        last_updated,
        buyer_name,
        buyer_email,
        recipient,
        address_1,
        address_2,
        address_3,
        city,
        region,
        postcode,
        country,
        ship_phone,
        buyer_phone,
        service_level,
        fulfillment_channel,
        promise_date,
    ) = map(str.strip, columns.order_cells(rows[0]))
    marketplace = _marketplace_from_sales_channel(sales_channel, default_marketplace)
    currency = currency or (MARKETPLACES[marketplace].currency if marketplace in MARKETPLACES else "")
    cents = _CENTS[currency == "JPY"]
    amounts = columns.amounts
    subtotal = shipping = tax = discounts = _ZERO
    lines = []
    seen: dict[str, int] = {}
    for row in rows:
        (
            sku,
            quantity_purchased,
            quantity_text,
            item_price,
            shipping_price,
            item_tax,
            shipping_tax,
            item_discount,
            ship_discount,
            line_id,
            shipped,
            item_status,
            title,
        ) = map(str.strip, columns.line_cells(row))
        if not sku:
            raise MappingError(f"order {order_id} has a row without a SKU")
        quantity_text = quantity_purchased or quantity_text or "0"
        if not shipped and item_status.lower() == "shipped":
            shipped = quantity_text
        try:  # the common case, quickly: no dict per row, each amount text parsed once per report
            if not (quantity_text.isascii() and quantity_text.isdigit()):  # int() takes "٣", "+3", "1_0"
                raise ValueError("not a whole number")
            quantity = int(quantity_text)
            if quantity > QUANTITY_MAX:
                raise ValueError("too large")
            price = amounts[item_price]
            shipping_amount = amounts[shipping_price]
            tax_amount = amounts[item_tax] + amounts[shipping_tax]
            item_discount_amount = amounts[item_discount]
            ship_discount_amount = amounts[ship_discount]
            unit_price = (price / quantity).quantize(cents) if quantity else _ZERO
            if shipped and not (shipped.isascii() and shipped.isdigit()):
                raise ValueError("not a whole number")
            quantity_shipped = int(shipped) if shipped else 0
            if quantity_shipped > QUANTITY_MAX:
                raise ValueError("too large")
            subtotal, shipping, tax, discounts = (  # all or none: the explanation starts from these
                subtotal + price,
                shipping + shipping_amount,
                tax + tax_amount,
                discounts + item_discount_amount + ship_discount_amount,
            )
        except (ValueError, ArithmeticError):
            _explain_flat_line(
                quantity_text,
                (item_price, shipping_price, item_tax, shipping_tax, item_discount, ship_discount),
                shipped,
                (subtotal, shipping, tax, discounts),
                cents,
            )
            raise
        if not line_id:  # order-tracking reports carry no order item id: the SKU identifies the line
            seen[sku] = seen.get(sku, 0) + 1
            line_id = sku if seen[sku] == 1 else f"{sku}#{seen[sku]}"
        lines.append(
            ChannelOrderLine(
                external_line_id=line_id,
                channel_sku=sku,
                quantity=quantity,
                unit_price=unit_price,
                title=title,
                quantity_shipped=quantity_shipped,
            )
        )
    status = _status_word(status_word) if columns.has_status else ChannelOrderStatus.UNSHIPPED
    purchased = parse_time(purchase_date, field="purchase-date")
    if purchased is None:
        raise MappingError(f"order {order_id} has no purchase-date")
    return ChannelOrder(
        external_order_id=order_id,
        status=status,
        purchased_at=purchased,
        lines=tuple(lines),
        last_updated_at=parse_time(last_updated, field="last-updated-date"),
        marketplace=marketplace,
        currency=currency,
        buyer_name=buyer_name,
        buyer_email=buyer_email,
        address=Address(
            name=recipient,
            line1=address_1,
            line2=address_2,
            line3=address_3,
            city=city,
            region=region,
            postcode=postcode,
            country_code=country,
            phone=ship_phone or buyer_phone,
        ),
        channel_shipping_service=service_level,
        fulfilled_by_channel=fulfillment_channel.lower() == "amazon",
        dispatch_by=parse_time(promise_date, field="promise-date"),
        subtotal=subtotal,
        shipping_total=shipping,
        tax_total=tax,
        total=_total(subtotal, shipping, tax, discounts, marketplace),
        channel_status=status_word or "Unshipped",
    )


# -- XML
def _first_elements(el, nested: frozenset[str] = frozenset(), prefix: str = "", found: dict | None = None):
    """What ``el.find(path)`` answers, for every path of ``el``'s children and of the children of the
    ``nested`` paths, in one walk (``find`` runs ElementPath in Python on each call, which made it the
    larger part of reading an XML report)."""
    if found is None:
        found = {}
    for child in el:
        tag = child.tag
        if type(tag) is not str:  # a processing instruction: no path names one
            continue
        path = prefix + tag
        if path not in found:
            found[path] = child
        if path in nested:
            _first_elements(child, nested, path + "/", found)
    return found


def _texts_at(found: dict, paths: tuple[str, ...]) -> list[str]:
    """``_text`` of each path: the element's text, stripped; "" when there is no such element."""
    return [(el.text or "").strip() if el is not None else "" for el in map(found.get, paths)]


def _components(prices: list, promotions: list) -> tuple[dict[str, Decimal], str]:
    """Amounts by component type of an item's ``ItemPrice`` and ``Promotion`` elements, and the currency."""
    amounts: dict[str, Decimal] = {}
    currency = ""
    for price in prices:
        for comp in price.iterchildren("Component"):
            type_el = amount_el = None
            for part in comp:  # the first Type and the first Amount
                tag = part.tag
                if tag == "Amount":
                    if amount_el is None:
                        amount_el = part
                elif tag == "Type" and type_el is None:
                    type_el = part
            if amount_el is None:
                continue
            kind = (type_el.text or "").strip() if type_el is not None else ""
            if not currency:
                currency = amount_el.get("currency", "")
            amounts[kind] = amounts.get(kind, _NOTHING) + _money(amount_el.text, field=f"{kind} amount")
    for promo in promotions:
        for el in promo:
            if el.tag.endswith("Promotion") and el.tag != "Promotion":
                amounts["Promotion"] = amounts.get("Promotion", _NOTHING) + _money(el.text, field=el.tag)
    return amounts, currency


def orders_from_xml_report(
    data: bytes, *, default_marketplace: str = ""
) -> tuple[list[ChannelOrder], list[tuple[str, str, str]]]:
    """A whole XML order report in memory: ``xml_report_pages`` in one go."""
    if len(data) > MAX_REPORT_BYTES:
        raise DocumentError("the XML report is larger than Stockroom accepts")
    return _all_pages(
        xml_report_pages(io.BytesIO(data), default_marketplace=default_marketplace, page_size=1 << 30)
    )


_REPORT_NESTED = frozenset({"BillingData", "FulfillmentData", "FulfillmentData/Address"})
_TRACKING_NESTED = frozenset({"FulfillmentData", "FulfillmentData/Address"})


def _read_message(message, default_marketplace: str, orders: list, failed: list) -> None:
    """One ``Message``: its order to ``orders``, or (id, what is wrong, the message's XML) to ``failed``."""
    element = None
    for child in message:  # the first OrderReport, else the first Order
        tag = child.tag
        if tag == "OrderReport":
            element = child
            break
        if tag == "Order" and element is None:
            element = child
    if element is None:  # a message of an order report always holds an order: this one was altered
        failed.append(
            ("", "a message holds no OrderReport or Order", etree.tostring(message, encoding="unicode"))
        )
        return
    report = element.tag == "OrderReport"
    item_tag = "Item" if report else "OrderItem"
    found = _first_elements(element, _REPORT_NESTED if report else _TRACKING_NESTED)
    (order_id,) = _texts_at(found, ("AmazonOrderID",))
    try:
        if not order_id:
            raise MappingError("a message has no AmazonOrderID")
        items = list(element.iterchildren(item_tag))
        if report:
            order = _order_from_order_report(order_id, found, items, default_marketplace)
        else:
            order = _order_from_tracking(order_id, found, items, default_marketplace)
        orders.append(checked_order(order))
    except Exception as exc:  # noqa: BLE001 - a record nobody can read is kept, never raised
        failed.append((order_id, _unreadable(exc), etree.tostring(message, encoding="unicode")))


def _xml_lines(items: list, id_tag: str, title_tag: str):
    lines, currency = [], ""
    subtotal = shipping = tax = discounts = Decimal("0.00")
    seen: dict[str, int] = {}
    paths = ("SKU", "Quantity", id_tag, title_tag, "ItemStatus")
    for item in items:
        fields, prices, promotions = {}, [], []
        for child in item:
            tag = child.tag
            if tag == "ItemPrice":
                prices.append(child)
            elif tag == "Promotion":
                promotions.append(child)
            if tag not in fields:
                fields[tag] = child
        sku, quantity_text, line_id, title, item_status = _texts_at(fields, paths)
        if not sku:
            raise MappingError("an item has no SKU")
        quantity = _quantity(quantity_text or "0", field="Quantity")
        amounts, item_currency = _components(prices, promotions)
        currency = currency or item_currency
        price = amounts.get("Principal", _NOTHING)
        subtotal += price
        shipping += amounts.get("Shipping", _NOTHING)
        tax += sum((v for k, v in amounts.items() if k.endswith("Tax")), _NOTHING)
        discounts += amounts.get("Promotion", _NOTHING)
        if not line_id:  # the order-tracking report has no item id: the SKU identifies the line
            seen[sku] = seen.get(sku, 0) + 1
            line_id = sku if seen[sku] == 1 else f"{sku}#{seen[sku]}"
        lines.append(
            ChannelOrderLine(
                external_line_id=line_id,
                channel_sku=sku,
                quantity=quantity,
                unit_price=_cents(price / quantity, currency) if quantity and price else Decimal("0.00"),
                title=title,
                quantity_shipped=quantity if item_status.lower() == "shipped" else 0,
            )
        )
    return lines, currency, subtotal, shipping, tax, discounts


_REPORT_FIELDS = tuple(
    "OrderDate BillingData/BuyerName BillingData/BuyerEmailAddress FulfillmentData/FulfillmentServiceLevel".split()
) + tuple(
    f"FulfillmentData/Address/{name}"
    for name in (
        "Name AddressFieldOne AddressFieldTwo AddressFieldThree City StateOrRegion PostalCode CountryCode PhoneNumber"
    ).split()
)


def _order_from_order_report(
    order_id: str, found: dict, items: list, default_marketplace: str
) -> ChannelOrder:
    lines, currency, subtotal, shipping, tax, discounts = _xml_lines(items, "AmazonOrderItemCode", "Title")
    (
        order_date,
        buyer_name,
        buyer_email,
        service_level,
        name,
        line1,
        line2,
        line3,
        city,
        region,
        postcode,
        country_code,
        phone,
    ) = _texts_at(found, _REPORT_FIELDS)
    marketplace = _marketplace_of_xml_order(buyer_email, currency, default_marketplace)
    purchased = parse_time(order_date, field="OrderDate")
    if purchased is None:
        raise MappingError(f"order {order_id} has no OrderDate")
    return ChannelOrder(
        external_order_id=order_id,
        status=ChannelOrderStatus.UNSHIPPED,
        purchased_at=purchased,
        lines=tuple(lines),
        marketplace=marketplace,
        currency=currency or (MARKETPLACES[marketplace].currency if marketplace in MARKETPLACES else ""),
        buyer_name=buyer_name,
        buyer_email=buyer_email,
        address=Address(
            name=name,
            line1=line1,
            line2=line2,
            line3=line3,
            city=city,
            region=region,
            postcode=postcode,
            country_code=country_code,
            phone=phone,
        ),
        channel_shipping_service=service_level,
        fulfilled_by_channel=False,
        subtotal=subtotal,
        shipping_total=shipping,
        tax_total=tax,
        total=_total(subtotal, shipping, tax, discounts, marketplace),
        channel_status="Unshipped",
    )


_TRACKING_FIELDS = (
    "SalesChannel",
    "OrderStatus",
    "PurchaseDate",
    "LastUpdatedDate",
    "FulfillmentData/Address/City",
    "FulfillmentData/Address/State",
    "FulfillmentData/Address/PostalCode",
    "FulfillmentData/Address/Country",
    "FulfillmentData/ShipServiceLevel",
    "FulfillmentData/FulfillmentChannel",
)


def _order_from_tracking(order_id: str, found: dict, items: list, default_marketplace: str) -> ChannelOrder:
    lines, currency, subtotal, shipping, tax, discounts = _xml_lines(items, "", "ProductName")
    (
        sales_channel,
        status_word,
        purchase_date,
        last_updated,
        city,
        region,
        postcode,
        country_code,
        service_level,
        fulfillment_channel,
    ) = _texts_at(found, _TRACKING_FIELDS)
    marketplace = _marketplace_from_sales_channel(sales_channel, default_marketplace)
    purchased = parse_time(purchase_date, field="PurchaseDate")
    if purchased is None:
        raise MappingError(f"order {order_id} has no PurchaseDate")
    return ChannelOrder(
        external_order_id=order_id,
        status=_status_word(status_word),
        purchased_at=purchased,
        lines=tuple(lines),
        last_updated_at=parse_time(last_updated, field="LastUpdatedDate"),
        marketplace=marketplace,
        currency=currency or (MARKETPLACES[marketplace].currency if marketplace in MARKETPLACES else ""),
        address=Address(city=city, region=region, postcode=postcode, country_code=country_code),
        channel_shipping_service=service_level,
        fulfilled_by_channel=fulfillment_channel.lower() == "amazon",
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
            outcomes.append(WriteOutcome(key=sku, status=WriteStatus.ERROR, message=text, submission_ref=ref))
        else:
            outcomes.append(
                WriteOutcome(key=sku, status=WriteStatus.CONFIRMED, message=text, submission_ref=ref)
            )
    return outcomes


def patch_outcome(sku: str, response: Mapping, quantity: int) -> WriteOutcome:
    """The 200 answer of patchListingsItem -> outcome (ACCEPTED = confirmed, INVALID = error)."""
    parsed = schemas.ListingsItemSubmission.model_validate(response)
    messages = "; ".join(f"{i.code}: {i.message}" if i.code else i.message for i in parsed.issues)
    if parsed.status.upper() in ("ACCEPTED", "VALID"):
        return WriteOutcome(sku, WriteStatus.CONFIRMED, messages, parsed.submission_id, quantity=quantity)
    return WriteOutcome(
        sku,
        WriteStatus.ERROR,
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
    _identifier(item.sku, what="SKU", longest=CHANNEL_SKU_MAX_LENGTH)
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
        external_ref=clean_text(summary.asin),
        title=clean_text(summary.item_name),
        quantity=quantity,
        fulfilled_by_channel=fba,
        marketplace=marketplace_code(summary.marketplace_id)
        if summary.marketplace_id
        else default_marketplace,
    )


# ---------------------------------------------------------------------------------- streaming reports
# A report document can hold a million lines: these read it from a file row by row (or message by
# message) and yield pages of orders, so memory stays flat whatever the document's size.
#
# One rule for every document: it is read completely, or refused (``DocumentError``) with the reason
# before any page of it is yielded, so a caller never imports part of a document it then refuses. A
# first pass over the file checks what makes a document whole (its encoding, its header, its final
# line break; for XML: well-formed, no DOCTYPE, an ``AmazonEnvelope`` of order messages), the second
# reads the orders. A bad row or message fails its order alone (``failed``), never the document.

REPORT_CHUNK = 1 << 18
_JAPANESE_CHARSETS = {"shift_jis", "shift-jis", "sjis", "x-sjis", "windows-31j", "ms932", "cp932"}
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_CODEC_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "Windows-1252", "cp932": "Shift_JIS"}


def _declared_charset(content_type: str) -> tuple[str, str]:
    """The codec of the charset a Content-Type declares and its name there (("", "") when none);
    DocumentError if Python knows no such codec."""
    charset = ""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').strip().lower()
    if not charset:
        return "", ""
    label = charset.upper()
    if charset in _JAPANESE_CHARSETS:
        return "cp932", label
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        raise DocumentError(f"the report declares charset {charset!r}, which Stockroom cannot read") from None
    return ("utf-8-sig" if name == "utf-8" else name), label  # a BOM is not part of the first column


def _decoded(handle: BinaryIO, encoding: str) -> Iterator[str]:
    """The file decoded chunk by chunk; a ``DocumentError`` names the first byte ``encoding`` cannot read."""
    handle.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    chunk = b""
    try:
        while chunk := handle.read(REPORT_CHUNK):
            yield decoder.decode(chunk)
            offset += len(chunk)
        yield decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        at = offset - (len(exc.object) - len(chunk)) + exc.start
        bad = exc.object[exc.start : exc.start + 1]
        name = _CODEC_NAMES.get(encoding, encoding)
        raise _EncodingError(f"byte 0x{bad.hex().upper() or '??'} at offset {at:,} is not {name}") from None


class _EncodingError(DocumentError):
    pass


def _has_utf8_sequences(handle: BinaryIO) -> bool:
    handle.seek(0)
    tail = b""
    while chunk := handle.read(REPORT_CHUNK):
        if _UTF8_SEQUENCE.search(tail + chunk):
            return True
        tail = chunk[-3:]
    return False


def report_encoding(handle: BinaryIO, *, content_type: str = "", japanese: bool = False) -> str:
    """The encoding of a flat report, checked over the whole file (``_settle_encoding``)."""
    return _settle_encoding(handle, content_type, japanese)[0]


def _settle_encoding(handle: BinaryIO, content_type: str, japanese: bool) -> tuple[str, str, str]:
    """(encoding, the first 64 KiB of text up to its first line break, the last character), in one
    decoding pass over the file when it is in its first candidate encoding. The rule:

    - a declared charset is the encoding; a byte it cannot read refuses the document;
    - undeclared: a byte-order mark says UTF-8 or UTF-16; else UTF-8;
    - a document that is not UTF-8 is read in the region's legacy encoding (Windows-1252, or Shift_JIS
      for Japan), but only when it holds no UTF-8 multi-byte sequence: UTF-8 with a stray byte is
      refused, never decoded as Windows-1252 as a whole.
    """
    declared, label = _declared_charset(content_type)
    handle.seek(0)
    head = handle.read(4)
    legacy = "cp932" if japanese else "cp1252"
    if declared:
        candidates = [declared]
    elif head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8-sig", legacy]
    reasons = []
    for encoding in candidates:
        head, last = "", ""
        try:
            for text in _decoded(handle, encoding):
                if len(head) < 65536 and "\n" not in head.lstrip("\r\n\t "):
                    head = (head + text)[:65536]
                if text:
                    last = text[-1]
        except _EncodingError as exc:
            reasons.append(str(exc))
            if not declared and encoding == "utf-8-sig" and not japanese and _has_utf8_sequences(handle):
                raise DocumentError(
                    f"the report is UTF-8 but {exc}: it was altered or damaged (Stockroom does not read "
                    "it as Windows-1252 because of one byte)"
                ) from None
            continue
        handle.seek(0)
        return encoding, head, last
    if declared:
        raise DocumentError(
            f"the report declares charset {label} but {reasons[0]}: it was altered or damaged"
        )
    raise DocumentError("the report is in no encoding Stockroom reads: " + "; ".join(reasons))


def _is_empty(handle: BinaryIO) -> bool:
    handle.seek(0)
    empty = not handle.read(1)
    handle.seek(0)
    return empty


_EMPTY = "the report document is empty (0 bytes): even a report without orders has its header row"


def report_kind(report_type: str) -> str:
    """Is a report "flat" (Amazon's tab-separated types, ``GET_FLAT_FILE_...``) or "xml"? Returns which. tab-separated report types (``GET_FLAT_FILE_...``), else "xml"."""
    return "flat" if "FLAT_FILE" in report_type.upper() else "xml"


def report_pages(
    handle: BinaryIO,
    *,
    default_marketplace: str = "",
    content_type: str = "",
    japanese: bool = False,
    page_size: int = 100,
    kind: str = "",
) -> Iterator[tuple[list[ChannelOrder], list[tuple[str, str, str]]]]:
    """Pages of (orders, failed) from a report file: ``kind`` "flat" or "xml" (the report type says
    which, see ``report_kind``); without it a document starting with ``<`` is read as XML."""
    if not kind:
        handle.seek(0)
        start = handle.read(4096)
        handle.seek(0)
        utf16 = start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or start[:2] in (b"<\x00", b"\x00<")
        kind = "xml" if utf16 or start.removeprefix(codecs.BOM_UTF8).lstrip()[:1] == b"<" else "flat"
    if kind == "xml":
        yield from xml_report_pages(handle, default_marketplace=default_marketplace, page_size=page_size)
    else:
        yield from flat_report_pages(
            handle,
            default_marketplace=default_marketplace,
            content_type=content_type,
            japanese=japanese,
            page_size=page_size,
        )


def check_flat_report(handle: BinaryIO, *, content_type: str = "", japanese: bool = False) -> str:
    """The first pass over a flat report: its encoding (``report_encoding``), a header row naming the
    order columns, and a line break at its very end (a document cut short, inside a row or at the end
    of one before its line break, has none). Returns the encoding; raises ``DocumentError``."""
    if _is_empty(handle):
        raise DocumentError(_EMPTY)
    encoding, head, last = _settle_encoding(handle, content_type, japanese)
    first = head.lstrip("\r\n\t ")
    if not first:
        raise DocumentError("the report document holds only blank space, not even a header row")
    if "\n" not in first and "\r" not in first:
        raise DocumentError("the report ends inside its header row: the download was cut short")
    _check_flat_header([h.strip().lower() for h in re.split(r"\r\n|\r|\n", first, maxsplit=1)[0].split("\t")])
    if last not in ("\n", "\r"):
        raise DocumentError(
            "the report does not end with a line break: the download was cut short in its last row"
        )
    handle.seek(0)
    return encoding


def flat_report_pages(
    handle: BinaryIO,
    *,
    default_marketplace: str = "",
    content_type: str = "",
    japanese: bool = False,
    page_size: int = 100,
) -> Iterator[tuple[list[ChannelOrder], list[tuple[str, str, str]]]]:
    """A tab-separated order report (any of Amazon's flat order report types), read by header name,
    as a stream; ``check_flat_report`` first. Unknown columns are ignored. Amazon writes the rows of
    an order one after another; an order whose rows were apart comes as two orders with the same id,
    which the import merges.

    A row is its line split at tabs: Amazon's reports have no quoting, so a row has exactly as many
    cells as the header. A line with more cells (a tab inside a value) or fewer (a line break inside
    a value: the rest of the row follows on the next lines, taken with it until the cells are all
    there) is not a row Stockroom can trust, nor is a row whose order id holds a control or invisible
    character; it fails the order it belongs to, with every row of that order: never a fake order
    from half a row, never an order without some of its lines. It belongs to the order whose id it
    holds (the one before it, else the one after it), else it is a failed record of its own; the
    report ending inside a row cut before its id cell is whole fails the order read before it."""
    encoding = check_flat_report(handle, content_type=content_type, japanese=japanese)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    try:
        line = next((line for line in text if line.strip()), None)  # blank lines before it are skipped
        if line is None:
            return
        header_line = line.rstrip("\r\n")
        header = [h.strip().lower() for h in header_line.split("\t")]
        columns = _FlatColumns(header)
        width = columns.width
        order_id_at, amazon_order_id_at = columns.order_id_at, columns.amazon_order_id_at
        orders: list[ChannelOrder] = []
        failed: list[tuple[str, str, str]] = []
        group: _FlatGroup | None = None  # the order being read
        pending = _FlatGroup("")  # rows not whole whose order is not known yet (told by the next row)
        parts: list[str] = []  # lines of a row cut by line breaks inside its values, until it is whole
        cells = 0  # the cells of those lines, counted as one row
        line_number = first_line = 1

        def flush(done: _FlatGroup) -> None:
            try:
                if done.broken:
                    raise MappingError(done.broken)
                if not done.order_id:
                    raise MappingError("a row has no order id")
                orders.append(
                    checked_order(_order_from_flat(done.order_id, done.rows, columns, default_marketplace))
                )
            except Exception as exc:  # noqa: BLE001 - a record nobody can read is kept, never raised
                failed.append((done.order_id, _unreadable(exc), "\n".join([header_line, *done.raw])))

        def untrusted(raw: list[str], reason: str) -> None:
            """A row not whole goes to the order it names: the one read now, else the next one."""
            if group is not None and not pending.raw and group.mentioned_in(raw):
                group.fail(reason, raw)
                return
            if not pending.raw:  # its own id, should no order claim it: the end of its id cell
                pending.order_id = _cell("\n".join(raw), order_id_at, amazon_order_id_at).split("\n")[-1]
            pending.fail(reason, raw)

        for line in text:
            line_number += 1
            text_line = line.rstrip("\r\n")
            if parts:  # the rest of a row cut by a line break inside a value
                parts.append(text_line)
                cells += text_line.count("\t")
            else:
                row = text_line.split("\t")
                row_width = len(row)
                if row_width == width:
                    row.append("")
                    order_id = row[order_id_at].strip() or row[amazon_order_id_at].strip()
                    if not order_id and not text_line.strip():  # a blank line (tabs are blank too)
                        continue
                    problem = order_id_problem(order_id)
                    if problem:
                        untrusted([text_line], f"line {line_number}: the order id {order_id!r} {problem}")
                        continue
                elif not text_line.strip():
                    continue
                else:
                    parts, cells, first_line = [text_line], row_width, line_number
            if parts:
                if cells < width:
                    continue  # the row goes on in the next line
                if len(parts) == 1:
                    reason = f"line {first_line} has {cells} cells where the header has {width}: a value holds a tab"
                elif cells == width:
                    reason = (
                        f"line {first_line} is one row over {len(parts)} lines: a value holds a line break"
                    )
                else:
                    reason = (
                        f"line {first_line} has {cells} cells where the header has {width} over {len(parts)} "
                        "lines: values hold a line break and a tab"
                    )
                reason += " (altered in transit?)"
                raw, parts = parts, []
                untrusted(raw, reason)
                continue
            if pending.raw:  # rows not whole before this row: whose are they?
                if group is not None and group.mentioned_in(pending.raw):
                    group.take(pending)
                else:
                    if group is not None:
                        flush(group)
                    group = _FlatGroup(order_id)
                    if group.mentioned_in(pending.raw):
                        group.take(pending)
                    else:
                        flush(pending)
                pending = _FlatGroup("")
            if group is None:
                group = _FlatGroup(order_id)
            elif order_id != group.order_id:
                flush(group)
                group = _FlatGroup(order_id)
                if len(orders) + len(failed) >= page_size:
                    yield orders, failed
                    orders, failed = [], []
            group.rows.append(row)
            group.raw.append(text_line)
        if parts:
            reason = (
                f"line {first_line} has {cells} cells where the header has {width}: the report ends inside it"
            )
            if group is not None and not pending.raw and cells <= max(order_id_at, amazon_order_id_at) + 1:
                # the row is cut before its order id is whole: what it holds is no order's id, and
                # the row before it may be the one the line break cut (its last value)
                group.fail(reason, parts)
            else:
                untrusted(parts, reason)
        if pending.raw:
            if group is not None and group.mentioned_in(pending.raw):
                group.take(pending)
            else:
                flush(pending)
        if group is not None:
            flush(group)
        if orders or failed:
            yield orders, failed
    finally:
        text.detach()


class _FlatGroup:
    """The rows of one order in a flat report, as read (cells) and as written (raw lines), and why
    the order cannot be read when one of its lines is not a whole row."""

    __slots__ = ("order_id", "rows", "raw", "broken")

    def __init__(self, order_id: str):
        self.order_id = order_id
        self.rows: list[list[str]] = []
        self.raw: list[str] = []
        self.broken = ""

    def mentioned_in(self, lines: list[str]) -> bool:
        """Do these lines hold this order's id (also when a tab or line break was put inside it)?"""
        return bool(self.order_id) and self.order_id in _NOT_IN_IDS.sub("", "".join(lines))

    def fail(self, reason: str, lines: list[str]) -> None:
        self.broken = self.broken or reason
        self.raw += lines

    def take(self, other: _FlatGroup) -> None:
        self.broken = self.broken or other.broken
        self.raw += other.raw


_NOT_IN_IDS = re.compile(r"[\t\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def _cell(line: str, *positions: int) -> str:
    cells = line.split("\t")
    return next((cells[i].strip() for i in positions if 0 <= i < len(cells) and cells[i].strip()), "")


def _check_flat_header(header: list[str]) -> None:
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


_XML_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}
XML_MESSAGE_TYPES = ("OrderReport", "AllOrdersReport")  # the shipping report; the order-tracking report


def _check_envelope(tree) -> None:
    """No DOCTYPE (wherever it sits, in any encoding); the root is Amazon's ``AmazonEnvelope``, in no
    namespace."""
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DocumentError("the XML report declares a DOCTYPE; Stockroom refuses DTDs and entities")
    root = tree.getroot()
    name = etree.QName(root)
    if name.namespace:
        raise DocumentError(
            f"the XML report's elements are in the namespace {name.namespace!r}; Amazon's order reports "
            "use none, so this is not a report Stockroom can read"
        )
    if name.localname != "AmazonEnvelope":
        raise DocumentError(
            f"the document is not an Amazon order report: its root element is <{name.localname}>, not "
            "<AmazonEnvelope> (an error page?)"
        )


def check_xml_report(handle: BinaryIO) -> None:
    """The first pass over an XML report: well-formed to its end, no DOCTYPE, an ``AmazonEnvelope`` in
    no namespace whose ``MessageType`` (when given) is an order report's. Raises ``DocumentError``."""
    if _is_empty(handle):
        raise DocumentError(_EMPTY)
    events = etree.iterparse(handle, events=("end",), tag=("Message", "MessageType"), **_XML_OPTIONS)
    checked = False
    try:
        for _, element in events:
            if not checked:
                _check_envelope(element.getroottree())
                checked = True
            if element.tag == "MessageType" and (element.text or "").strip() not in XML_MESSAGE_TYPES:
                raise DocumentError(
                    f"the XML report's MessageType is {(element.text or '').strip()[:40]!r}, not an order report"
                )
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]
        if not checked:
            _check_envelope(events.root.getroottree())
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"the XML report is not well-formed (cut short or garbled): {exc}") from None
    finally:
        handle.seek(0)


def xml_report_pages(
    handle: BinaryIO, *, default_marketplace: str = "", page_size: int = 100
) -> Iterator[tuple[list[ChannelOrder], list[tuple[str, str, str]]]]:
    """An XML order report (``OrderReport`` messages, or the order-tracking ``Order`` messages), one
    ``Message`` at a time, each freed once read; ``check_xml_report`` first. No DOCTYPE, no entity
    expansion, no network."""
    check_xml_report(handle)
    events = etree.iterparse(handle, events=("end",), tag="Message", **_XML_OPTIONS)
    orders: list[ChannelOrder] = []
    failed: list[tuple[str, str, str]] = []
    try:
        for _, message in events:
            _read_message(message, default_marketplace, orders, failed)
            message.clear(keep_tail=True)
            while message.getprevious() is not None:
                del message.getparent()[0]
            if len(orders) + len(failed) >= page_size:
                yield orders, failed
                orders, failed = [], []
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"the XML report is not well-formed (cut short or garbled): {exc}") from None
    if orders or failed:
        yield orders, failed


# ---------------------------------------------------------------------------------------------- notifications
def order_push_from_sqs(message: Mapping) -> PushedOrder:
    """An SQS message (boto3's ``receive_message`` entry) carrying an ORDER_CHANGE notification ->
    ``PushedOrder``. A message that is not one (or cannot be read) comes back with ``problem`` set."""
    body = message.get("Body")
    body = body if isinstance(body, str) else ""
    message_id = str(message.get("MessageId") or "")
    receipt = str(message.get("ReceiptHandle") or "")

    def unreadable(problem: str, seller: str = "") -> PushedOrder:
        return PushedOrder(
            account_ref=seller, external_order_id="", message_id=message_id, receipt=receipt, raw=body,
            problem=problem,
        )  # fmt: skip

    try:
        notification = read_json(body)
    except TooDeep:
        return unreadable("the message is JSON nested too deeply to read")
    except ValueError:
        return unreadable("the message is not JSON")
    if not isinstance(notification, dict):
        return unreadable("the message is not a notification (a JSON object)")
    kind = notification.get("NotificationType")
    if kind != "ORDER_CHANGE":
        return unreadable(f"not an ORDER_CHANGE notification (NotificationType {str(kind)[:60]!r})")
    change = (notification.get("Payload") or {}).get("OrderChangeNotification")
    if not isinstance(change, dict):
        return unreadable("ORDER_CHANGE without Payload.OrderChangeNotification")
    seller = change.get("SellerId")
    order_id = change.get("AmazonOrderId")
    if not isinstance(seller, str) or not seller.strip():
        return unreadable("ORDER_CHANGE without SellerId")
    if not isinstance(order_id, str) or not order_id.strip() or len(order_id) > ORDER_ID_MAX_LENGTH:
        return unreadable("ORDER_CHANGE without a readable AmazonOrderId", seller.strip())
    notification_id = (notification.get("NotificationMetadata") or {}).get("NotificationId")
    return PushedOrder(
        account_ref=seller.strip(),
        external_order_id=order_id.strip(),
        # Amazon's NotificationId names the notification however often SQS delivers it
        message_id=str(notification_id or message_id),
        receipt=receipt,
        raw=body,
    )
