"""Order book write operations. Each runs in one transaction and writes its audit event.

Lock order everywhere: the order row(s) first (pk order), then stock levels (pk order, through
``inventory.locks``). Stock effects go through ``inventory.allocation`` only.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from stockroom.catalog.models import StockItem
from stockroom.channels import selectors as channel_selectors
from stockroom.channels.capabilities import capabilities_of
from stockroom.channels.contracts import ChannelOrder, ChannelOrderStatus
from stockroom.channels.models import ChannelAccount, ShippingServiceDefault
from stockroom.core.bulk import insert_new, refresh_statistics, unsaved
from stockroom.core.errors import Conflict, InvalidInput, NotFound, TransitionNotAllowed
from stockroom.core.hooks import after_commit
from stockroom.core.limits import money_value, text_value
from stockroom.core.quantities import parse_currency, parse_money, parse_quantity
from stockroom.inventory import allocation
from stockroom.inventory.locks import default_location
from stockroom.inventory.models import Location
from stockroom.orders.models import (
    ChannelShipment,
    Order,
    OrderEvent,
    OrderLine,
    ShipmentLine,
    ShipmentStatus,
    ShippingMethod,
)
from stockroom.orders.pipeline import (
    DISPATCHABLE,
    HOLDS_STOCK,
    ORDER_STATUS_PIPELINE,
    AllocationState,
    OrderStatus,
)
from stockroom.orders.selectors import orders_in_book

TEXT_LIMITS = {
    "buyer_name": 300,
    "buyer_email": 300,
    "ship_name": 300,
    "ship_line1": 300,
    "ship_line2": 300,
    "ship_line3": 300,
    "ship_city": 200,
    "ship_region": 200,
    "ship_postcode": 50,
    "ship_country_code": 2,
    "ship_phone": 50,
    "channel_shipping_service": 100,
    "marketplace": 40,
    "channel_status": 50,
    "currency": 3,
}


def _clip(field: str, value: str) -> str:
    return (value or "")[: TEXT_LIMITS[field]]


def record_event(order: Order, kind: str, message: str, user=None) -> OrderEvent:
    return OrderEvent.objects.create(order=order, kind=kind, message=message[:5000], user=user)


def _order_for_update(order_id: int) -> Order:
    try:
        return Order.objects.select_for_update().get(pk=order_id)
    except Order.DoesNotExist:
        raise NotFound(f"order {order_id} does not exist (deleted?)") from None


def _transition(order: Order, to: str, *, user=None, message: str = "") -> None:
    if to == order.status:
        return
    if to not in ORDER_STATUS_PIPELINE[order.status]:
        raise TransitionNotAllowed(
            f"order {order.external_order_id} is {order.get_status_display().lower()}; "
            f"it cannot become {OrderStatus(to).label.lower()}",
            status=order.status,
            wanted=to,
        )
    old = order.get_status_display()
    order.status = to
    record_event(order, "status", message or f"{old} → {OrderStatus(to).label}", user)


def _refresh_state(order: Order, lines: list[OrderLine]) -> None:
    order.has_unlinked_lines = not order.fulfilled_by_channel and any(
        line.stock_item_id is None for line in lines
    )
    if order.status not in HOLDS_STOCK or order.fulfilled_by_channel:
        order.allocation_state = AllocationState.NOT_NEEDED
        return
    linked = [line for line in lines if line.stock_item_id]
    if not linked:
        order.allocation_state = AllocationState.NONE
    elif all(line.allocated_quantity >= line.unshipped for line in linked):
        order.allocation_state = AllocationState.FULL
    elif any(line.allocated_quantity for line in linked):
        order.allocation_state = AllocationState.PARTIAL
    else:
        order.allocation_state = AllocationState.NONE


def _allocate_lines(order: Order, lines: list[OrderLine]) -> None:
    """Hold stock for the lines' missing units, sharing per-item grants in line order."""
    wanted: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.stock_item_id and line.allocated_quantity < line.unshipped:
            wanted[line.stock_item_id] += line.unshipped - line.allocated_quantity
    if not wanted:
        return
    granted = allocation.allocate(location=order.location, wanted=dict(wanted))
    for line in lines:
        if line.stock_item_id and line.allocated_quantity < line.unshipped:
            take = min(granted.get(line.stock_item_id, 0), line.unshipped - line.allocated_quantity)
            if take:
                granted[line.stock_item_id] -= take
                line.allocated_quantity += take
                OrderLine.objects.filter(pk=line.pk).update(allocated_quantity=line.allocated_quantity)


def _release_lines(order: Order, lines: list[OrderLine]) -> None:
    held: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.stock_item_id and line.allocated_quantity:
            held[line.stock_item_id] += line.allocated_quantity
            line.allocated_quantity = 0
    if held:
        allocation.release(location=order.location, quantities=dict(held))
        OrderLine.objects.filter(order=order).update(allocated_quantity=0)


def _consume_lines(order: Order, lines: list[OrderLine], *, user=None) -> list[tuple[OrderLine, int]]:
    """Every unit still to ship has left (shipped on the channel): consume them, count them shipped.
    Returns the (line, units) that left."""
    left = [(line, line.unshipped) for line in lines if line.unshipped > 0]
    dispatched: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for line, count in left:
        if line.stock_item_id:
            dispatched[line.stock_item_id][0] += count
            dispatched[line.stock_item_id][1] += line.allocated_quantity
    if dispatched:
        allocation.consume(
            location=order.location,
            dispatched={k: tuple(v) for k, v in dispatched.items()},
            reference=f"order {order.external_order_id}",
            user=user,
        )
    OrderLine.objects.filter(order=order).update(allocated_quantity=0, shipped_quantity=F("quantity"))
    for line in lines:
        line.allocated_quantity = 0
        line.shipped_quantity = line.quantity
    return left


def _record_shipped_on_channel(order: Order, left: list[tuple[OrderLine, int]]) -> None:
    """A package for the units the channel reports shipped without us: nothing to confirm."""
    if left:
        _add_package(
            order,
            left,
            number=_next_package_number(order),
            status=ShipmentStatus.NOT_NEEDED,
            package_reference="",
            shipping_method="",
            tracking_number="",
            shipped_at=order.processed_at,
        )


def _next_package_number(order: Order) -> int:
    """The next package number of a locked order (unique per order: a constraint backs it)."""
    return (order.shipments.aggregate(top=Max("number"))["top"] or 0) + 1


def _add_package(order: Order, package: list[tuple[OrderLine, int]], **fields) -> ChannelShipment:
    """Write a package row and its lines."""
    shipment = ChannelShipment.objects.create(order=order, account_id=order.account_id, **fields)
    ShipmentLine.objects.bulk_create(
        [ShipmentLine(shipment=shipment, order_line=line, quantity=count) for line, count in package]
    )
    return shipment


def _save(order: Order, lines: list[OrderLine]) -> None:
    _refresh_state(order, lines)
    order.save()


# --- import from a channel -------------------------------------------------------------------------

STATUS_FROM_CHANNEL = {
    ChannelOrderStatus.PENDING: OrderStatus.PENDING,
    ChannelOrderStatus.UNKNOWN: OrderStatus.PENDING,
    ChannelOrderStatus.UNSHIPPED: OrderStatus.OPEN,
    ChannelOrderStatus.PARTIALLY_SHIPPED: OrderStatus.OPEN,
    ChannelOrderStatus.SHIPPED: OrderStatus.PROCESSED,
    ChannelOrderStatus.CANCELLED: OrderStatus.CANCELLED,
}


@dataclass(frozen=True)
class ImportResult:
    order_id: int
    created: bool
    changed: bool


def _validate_channel_order(data: ChannelOrder) -> None:
    if not data.external_order_id or len(data.external_order_id) > 100:
        raise InvalidInput(f"order id {data.external_order_id!r} is missing or longer than 100 characters")
    if not data.lines:
        raise InvalidInput(f"order {data.external_order_id} has no lines")
    if data.purchased_at is None or timezone.is_naive(data.purchased_at):
        raise InvalidInput(f"order {data.external_order_id}: purchase time must be timezone-aware")
    seen = set()
    for line in data.lines:
        if not line.external_line_id or line.external_line_id in seen:
            raise InvalidInput(
                f"order {data.external_order_id}: line id {line.external_line_id!r} missing or repeated"
            )
        seen.add(line.external_line_id)
        parse_quantity(
            line.quantity, field=f"order {data.external_order_id} line {line.external_line_id} quantity"
        )
        _check_price(
            line.unit_price, label=f"order {data.external_order_id} line {line.external_line_id} unit price"
        )
    parse_currency(data.currency, field=f"order {data.external_order_id}: currency")
    for field in ("subtotal", "shipping_total", "tax_total", "total"):
        money_value(
            getattr(data, field),
            model=Order,
            field=field,
            label=f"order {data.external_order_id}: {field.replace('_', ' ')}",
        )


def _check_price(value, *, label: str) -> Decimal:
    """A unit price as stored: not negative, within the column (a channel's refund is not a price)."""
    price = money_value(value, model=OrderLine, field="unit_price", label=label)
    if price < 0:
        raise InvalidInput(f"{label} cannot be negative, got {price}")
    return price


def import_channel_order(*, account: ChannelAccount, data: ChannelOrder) -> ImportResult:
    """Upsert an order from a channel on (account, external order id); never fails for lack of stock.

    A new order is allocated at once (pending and open orders hold stock); one that arrives already
    shipped is recorded as processed with its stock consumed and no confirmation to send; a
    cancellation releases stock whenever it arrives.
    """
    _validate_channel_order(data)
    with transaction.atomic():
        existing = (
            Order.objects.select_for_update()
            .filter(account=account, external_order_id=data.external_order_id)
            .first()
        )
        if existing is None:
            try:
                with transaction.atomic():
                    order = _create_from_channel(account, data)
                return ImportResult(order.pk, True, True)
            except IntegrityError:
                # another worker inserted it between our look-up and insert: update that one instead
                existing = Order.objects.select_for_update().get(
                    account=account, external_order_id=data.external_order_id
                )
        changed = _update_from_channel(existing, data)
        return ImportResult(existing.pk, False, changed)


def import_new_channel_orders(
    *,
    account: ChannelAccount,
    orders: Sequence[ChannelOrder],
    location: Location | None = None,
    savepoint: bool = True,
) -> dict[str, ImportResult]:
    """Create a page of orders new to the book in one transaction, with one allocation pass.

    The fast path of a download: a fixed number of queries per page instead of some twenty per order.
    It takes only orders that are valid, not yet in the book, not repeated in the page and that hold
    stock (pending or open) or are fulfilled by the channel; it allocates them in page order, exactly as
    importing them one by one would. Returns ``{external order id: ImportResult}`` for the orders it
    created; every other order is left for ``import_channel_order`` (which updates it, or raises the
    error the caller records). If another worker inserted one of the orders meanwhile, nothing is
    created and every order is left.

    ``location``: the default location when the caller has it already (a download reads it once per
    run), else it is looked up. ``savepoint=False`` is for a caller that runs this in a savepoint of
    its own and undoes it on any error: then it opens none, and that IntegrityError reaches the caller.
    """
    counts = Counter(data.external_order_id for data in orders)
    candidates: dict[str, ChannelOrder] = {}
    for data in orders:
        if counts[data.external_order_id] > 1:
            continue
        try:
            _validate_channel_order(data)
        except InvalidInput:
            continue
        status = STATUS_FROM_CHANNEL[data.status]
        if status in HOLDS_STOCK or data.fulfilled_by_channel:
            candidates[data.external_order_id] = data
    if not candidates:
        return {}
    if not savepoint:
        return _create_page(account, candidates, location or default_location())
    try:
        with transaction.atomic():
            return _create_page(account, candidates, location or default_location())
    except IntegrityError:
        return {}


def refresh_order_book_statistics() -> None:
    """After a bulk import grew the book: the database's planner sees its new size (PostgreSQL), so
    looking up a page's known orders keeps probing the unique key, whatever the book's size."""
    refresh_statistics(Order)


def _create_page(
    account: ChannelAccount, candidates: dict[str, ChannelOrder], location: Location
) -> dict[str, ImportResult]:
    known = orders_in_book(account=account, external_ids=list(candidates))
    page = [data for external_id, data in candidates.items() if external_id not in known]
    if not page:
        return {}
    links = channel_selectors.linked_stock_items(
        account, {line.channel_sku for data in page for line in data.lines}
    )
    orders = [_order_from_channel(account, data, location) for data in page]
    lines_of = [
        _lines_from_channel(order, data.lines, links) for order, data in zip(orders, page, strict=True)
    ]
    # allocation: what every order wants, granted per item in page order (as one by one would)
    wanted: dict[int, int] = defaultdict(int)
    for order, lines in zip(orders, lines_of, strict=True):
        if not order.fulfilled_by_channel:
            for line in lines:
                if line.stock_item_id:
                    wanted[line.stock_item_id] += line.quantity
    granted = allocation.allocate(location=location, wanted=dict(wanted)) if wanted else {}
    for order, lines in zip(orders, lines_of, strict=True):
        if not order.fulfilled_by_channel:
            for line in lines:
                if line.stock_item_id:
                    take = min(granted.get(line.stock_item_id, 0), line.quantity)
                    granted[line.stock_item_id] = granted.get(line.stock_item_id, 0) - take
                    line.allocated_quantity = take
        _refresh_state(order, lines)
    insert_new(orders)
    for order, lines in zip(orders, lines_of, strict=True):
        for line in lines:
            line.order_id = order.pk
    insert_new([line for lines in lines_of for line in lines], keys=False)
    insert_new(
        [
            unsaved(OrderEvent, order=order, kind="imported", message=_imported_message(account, order))
            for order in orders
        ],
        keys=False,
    )
    return {order.external_order_id: ImportResult(order.pk, True, True) for order in orders}


def _address_fields(data: ChannelOrder) -> dict:
    a = data.address
    return {
        "buyer_name": _clip("buyer_name", data.buyer_name),
        "buyer_email": _clip("buyer_email", data.buyer_email),
        "ship_name": _clip("ship_name", a.name),
        "ship_line1": _clip("ship_line1", a.line1),
        "ship_line2": _clip("ship_line2", a.line2),
        "ship_line3": _clip("ship_line3", a.line3),
        "ship_city": _clip("ship_city", a.city),
        "ship_region": _clip("ship_region", a.region),
        "ship_postcode": _clip("ship_postcode", a.postcode),
        "ship_country_code": _clip("ship_country_code", a.country_code.upper()),
        "ship_phone": _clip("ship_phone", a.phone),
    }


def _order_from_channel(account: ChannelAccount, data: ChannelOrder, location) -> Order:
    """An unsaved order for ``data`` (the fields every import path sets alike)."""
    status = STATUS_FROM_CHANNEL[data.status]
    return unsaved(
        Order,
        account=account,
        source=account.channel,
        external_order_id=data.external_order_id,
        marketplace=_clip("marketplace", data.marketplace),
        status=status,
        channel_status=_clip("channel_status", data.channel_status or data.status.value),
        fulfilled_by_channel=data.fulfilled_by_channel,
        location=location,
        channel_shipping_service=_clip("channel_shipping_service", data.channel_shipping_service),
        purchased_at=data.purchased_at,
        dispatch_by=data.dispatch_by,
        channel_updated_at=data.last_updated_at,
        currency=_clip("currency", data.currency.upper()),
        subtotal=parse_money(data.subtotal),
        shipping_total=parse_money(data.shipping_total),
        tax_total=parse_money(data.tax_total),
        total=parse_money(data.total),
        processed_at=(data.last_updated_at or timezone.now()) if status == OrderStatus.PROCESSED else None,
        cancelled_at=timezone.now() if status == OrderStatus.CANCELLED else None,
        **_address_fields(data),
    )


def _lines_from_channel(order: Order, lines, links: dict[str, int | None]) -> list[OrderLine]:
    return [
        unsaved(
            OrderLine,
            order=order,
            external_line_id=line.external_line_id[:100],
            channel_sku=line.channel_sku[:200],
            title=line.title[:500],
            stock_item_id=links.get(line.channel_sku),
            quantity=line.quantity,
            unit_price=parse_money(line.unit_price),
        )
        for line in lines
    ]


def _imported_message(account: ChannelAccount, order: Order) -> str:
    # the status's label straight from the choices (``get_status_display`` hashes its way there)
    return (
        f"Imported from {account.name} as {OrderStatus(order.status).label.lower()} ({order.channel_status})"
    )


def _create_from_channel(account: ChannelAccount, data: ChannelOrder) -> Order:
    status = STATUS_FROM_CHANNEL[data.status]
    order = _order_from_channel(account, data, default_location())
    order.save(force_insert=True)
    links = channel_selectors.linked_stock_items(account, [line.channel_sku for line in data.lines])
    OrderLine.objects.bulk_create(_lines_from_channel(order, data.lines, links))
    lines = list(order.lines.all())
    record_event(order, "imported", _imported_message(account, order))
    if not order.fulfilled_by_channel:
        if status in HOLDS_STOCK:
            _allocate_lines(order, lines)
        elif status == OrderStatus.PROCESSED:
            _record_shipped_on_channel(order, _consume_lines(order, lines))
            record_event(
                order, "dispatched", "Already shipped on the channel: stock consumed, no confirmation sent"
            )
    _save(order, lines)
    return order


def _update_from_channel(order: Order, data: ChannelOrder) -> bool:
    changed = False
    lines = list(order.lines.select_for_update().order_by("pk"))
    new_status = STATUS_FROM_CHANNEL[data.status]
    channel_status = _clip("channel_status", data.channel_status or data.status.value)
    if order.channel_status != channel_status:
        order.channel_status = channel_status
        changed = True
    known = {line.external_line_id for line in lines}
    added = [line for line in data.lines if line.external_line_id not in known]
    if added and order.status in HOLDS_STOCK:
        links = channel_selectors.linked_stock_items(order.account, [line.channel_sku for line in added])
        OrderLine.objects.bulk_create(_lines_from_channel(order, added, links))
        lines = list(order.lines.select_for_update().order_by("pk"))
        record_event(order, "lines", f"{len(added)} new line(s) from the channel")
        changed = True
    if data.last_updated_at and data.last_updated_at != order.channel_updated_at:
        order.channel_updated_at = data.last_updated_at
    for field, value in _address_fields(data).items():
        if value and getattr(order, field) != value:
            setattr(order, field, value)
            changed = True
    if new_status != order.status:
        if order.status == OrderStatus.PENDING and new_status == OrderStatus.OPEN:
            _transition(order, OrderStatus.OPEN, message="Confirmed by the channel: ready to dispatch")
        elif new_status == OrderStatus.CANCELLED and order.status in HOLDS_STOCK:
            if not order.fulfilled_by_channel:
                _release_lines(order, lines)
            order.cancelled_at = timezone.now()
            _transition(order, OrderStatus.CANCELLED, message="Cancelled on the channel: stock released")
        elif new_status == OrderStatus.PROCESSED and order.status in HOLDS_STOCK:
            left = _consume_lines(order, lines) if not order.fulfilled_by_channel else []
            order.processed_at = data.last_updated_at or timezone.now()
            _transition(
                order,
                OrderStatus.PROCESSED,
                message="Shipped on the channel: stock consumed, no confirmation sent",
            )
            if not order.fulfilled_by_channel:
                _record_shipped_on_channel(order, left)
        elif new_status == OrderStatus.CANCELLED and order.status == OrderStatus.PROCESSED:
            record_event(
                order, "warning", "The channel reports this order cancelled after it was dispatched here"
            )
        changed = True
    if order.status in HOLDS_STOCK and not order.fulfilled_by_channel:
        _allocate_lines(order, lines)
    _save(order, lines)
    return changed


# --- manual orders --------------------------------------------------------------------------------

_manual_counter = itertools.count(1)


def create_manual_order(
    *,
    lines: list[tuple[StockItem, int, object]],
    buyer_name: str = "",
    currency: str = "GBP",
    external_order_id: str = "",
    user=None,
    purchased_at: datetime | None = None,
    address: dict | None = None,
) -> Order:
    """An order typed in by staff (phone, counter sale): lines are (stock item, quantity, unit price)."""
    if not lines:
        raise InvalidInput("an order needs at least one line")
    fields = {
        "buyer_name": text_value(buyer_name, model=Order, field="buyer_name", label="buyer name"),
        "currency": parse_currency(currency),
        **{
            f"ship_{k}": text_value(v, model=Order, field=f"ship_{k}", label=f"address {k}")
            for k, v in (address or {}).items()
        },
    }
    prices = [
        _check_price(price, label=f"line {n} unit price") for n, (_, _, price) in enumerate(lines, start=1)
    ]
    with transaction.atomic():
        order = Order.objects.create(
            source="manual",
            external_order_id=external_order_id or f"M-{timezone.now():%Y%m%d%H%M%S%f}",
            status=OrderStatus.OPEN,
            location=default_location(),
            purchased_at=purchased_at or timezone.now(),
            **fields,
        )
        created = []
        for n, ((item, quantity, _), price) in enumerate(zip(lines, prices, strict=True), start=1):
            quantity = parse_quantity(quantity)
            if quantity == 0:
                raise InvalidInput(f"line {n}: quantity must be at least 1")
            created.append(
                OrderLine(
                    order=order,
                    external_line_id=str(n),
                    channel_sku=item.sku,
                    title=item.title,
                    stock_item=item,
                    quantity=quantity,
                    unit_price=price,
                )
            )
        OrderLine.objects.bulk_create(created)
        order.subtotal = order.total = money_value(
            sum((line.unit_price * line.quantity for line in created), parse_money(0)),
            model=Order,
            field="total",
            label="order total",
        )
        record_event(order, "created", "Created by hand", user)
        order_lines = list(order.lines.all())
        _allocate_lines(order, order_lines)
        _save(order, order_lines)
        return order


# --- allocation and dispatch ------------------------------------------------------------------------


def allocate_order(*, order_id: int) -> Order:
    """Try again to hold stock for an order's missing units (e.g. after a receipt). May stay short."""
    with transaction.atomic():
        order = _order_for_update(order_id)
        lines = list(order.lines.select_for_update().order_by("pk"))
        if order.status in HOLDS_STOCK and not order.fulfilled_by_channel:
            _allocate_lines(order, lines)
        _save(order, lines)
        return order


def shipping_method_named(name: str) -> ShippingMethod:
    """The active internal shipping method called ``name`` (case-insensitively), else a clear error."""
    name = " ".join((name or "").split())
    method = ShippingMethod.objects.filter(name__iexact=name).first() if name else None
    if method is None:
        offered = ", ".join(ShippingMethod.objects.filter(active=True).values_list("name", flat=True))
        raise InvalidInput(
            f"unknown shipping method {name[:100]!r}: "
            + (
                f"choose one of {offered}"
                if offered
                else "an administrator adds methods under Shipping methods"
            ),
            field="shipping_method",
        )
    if not method.active:
        raise InvalidInput(
            f"shipping method {method.name} is no longer offered: choose an active one, or an administrator "
            "can offer it again under Shipping methods",
            field="shipping_method",
        )
    return method


def default_shipping_method(order: Order) -> str:
    """The method set on the order's account for the service its buyer chose; "" when none is set."""
    if not order.account_id or not order.channel_shipping_service:
        return ""
    default = ShippingServiceDefault.objects.filter(
        account_id=order.account_id, channel_service__iexact=order.channel_shipping_service
    ).first()
    return default.shipping_method if default else ""


def _method_for(order: Order, shipping_method: str) -> ShippingMethod:
    """The method given, else the default for the buyer's service; exists and is active, or an error."""
    if shipping_method:
        return shipping_method_named(shipping_method)
    default = default_shipping_method(order)
    if default:
        return shipping_method_named(default)
    service = order.channel_shipping_service
    raise InvalidInput(
        f"order {order.external_order_id}: choose a shipping method"
        + (
            f"; {order.account.name} has no default for the buyer's service {service!r} "
            "(set one under the account's shipping methods)"
            if service and order.account_id
            else " (no default applies: the channel did not say which service the buyer chose)"
        ),
        field="shipping_method",
    )


def _check_tracking(order: Order, tracking_number: str) -> None:
    """Refuse an empty tracking number when the order's channel needs one to confirm the shipment."""
    if tracking_number or not order.account_id:
        return
    if capabilities_of(order.account.channel).requires_tracking_number:
        raise InvalidInput(
            f"order {order.external_order_id} needs a tracking number: {order.account.name} "
            f"({order.account.channel.capitalize()}) refuses a shipping confirmation without one",
            field="tracking_number",
        )


def process_order(
    *,
    order_id: int,
    tracking_number: str,
    shipping_method: str = "",
    shipped_at: datetime | None = None,
    user=None,
) -> Order:
    """Dispatch everything the order still has to ship, as one package (see ``dispatch_shipment``).

    Returns the order, processed."""
    shipment = dispatch_shipment(
        order_id=order_id,
        lines=None,
        tracking_number=tracking_number,
        shipping_method=shipping_method,
        shipped_at=shipped_at,
        user=user,
    )
    return shipment.order


def parse_package_lines(lines) -> list[tuple[str, int]]:
    """``[(external line id, quantity), ...]`` (or a mapping) as a package's lines: each line once,
    each quantity a whole number of at least 1. Raises ``InvalidInput`` naming the bad line."""
    pairs = list(lines.items()) if isinstance(lines, dict) else list(lines)
    if not pairs:
        raise InvalidInput("a package needs at least one line and quantity", field="lines")
    parsed: list[tuple[str, int]] = []
    seen: set[str] = set()
    for external_line_id, quantity in pairs:
        ref = str(external_line_id or "").strip()
        if not ref:
            raise InvalidInput("a package line needs the order line's id", field="lines")
        if ref in seen:
            raise InvalidInput(f"line {ref[:100]} is named twice in the package: name it once", field="lines")
        seen.add(ref)
        count = parse_quantity(quantity, field=f"line {ref[:100]} quantity")
        if count == 0:
            raise InvalidInput(
                f"line {ref[:100]}: quantity must be at least 1 (leave the line out to ship none of it)",
                field="lines",
            )
        parsed.append((ref, count))
    return parsed


def _package_reference(order: Order, number: int) -> str:
    """The package's reference for the channel: a positive number unique within the order (package 1
    keeps the order's id, as single-package confirmations always had)."""
    return str(order.pk) if number == 1 else f"{order.pk}{number:04d}"


def dispatch_shipment(
    *,
    order_id: int,
    lines=None,
    tracking_number: str,
    shipping_method: str = "",
    shipped_at: datetime | None = None,
    user=None,
) -> ChannelShipment:
    """Dispatch one package of an order: consume its units' stock, write the ledger, queue its
    shipping confirmation.

    ``lines``: ``[(external line id, quantity), ...]`` (or a mapping) for a partial dispatch; None
    ships every unit still to ship. Each quantity is at least 1 and at most what the line still has
    to ship; unknown lines are refused. The order must be open or partially dispatched, not on hold,
    ours to ship; ``shipping_method`` "" uses the default its account sets for the buyer's chosen
    service, and must exist and be active; a channel that needs a tracking number gets one. Lock,
    compute, write in one transaction: the order row is locked first, so two dispatches of the same
    line run one after the other and the second sees what the first shipped. The order becomes
    partially dispatched, or processed once every unit has left. The package is the outbox row of its
    confirmation, sent exactly once by the sync engine (or held when the account does not submit
    shipping data); a manual order's package has nothing to send.
    """
    wanted = None if lines is None else parse_package_lines(lines)
    tracking_number = text_value(
        tracking_number, model=Order, field="tracking_number", label="tracking number"
    )
    shipping_method = text_value(
        shipping_method, model=Order, field="shipping_method", label="shipping method"
    )
    shipped_at = shipped_at or timezone.now()
    if timezone.is_naive(shipped_at):
        raise InvalidInput("ship date must be timezone-aware")
    if shipped_at > timezone.now() + timezone.timedelta(minutes=5):
        raise InvalidInput("ship date cannot be in the future")
    with transaction.atomic():
        order = _order_for_update(order_id)
        if order.status not in DISPATCHABLE:
            hint = " (wait until the channel confirms payment)" if order.status == OrderStatus.PENDING else ""
            raise TransitionNotAllowed(
                f"order {order.external_order_id} is {order.get_status_display().lower()}; only open orders "
                f"can be processed{hint}",
                status=order.status,
            )
        if order.on_hold:
            raise TransitionNotAllowed(f"order {order.external_order_id} is on hold; release the hold first")
        if order.fulfilled_by_channel:
            raise TransitionNotAllowed(f"order {order.external_order_id} is fulfilled by the channel")
        shipping_method = _method_for(order, shipping_method).name
        _check_tracking(order, tracking_number)
        lines_now = list(order.lines.select_for_update().order_by("pk"))
        package = _package_quantities(order, lines_now, wanted)
        _allocate_lines(order, lines_now)
        short = [line for line, count in package if line.stock_item_id and line.allocated_quantity < count]
        if short:
            details = ", ".join(
                f"{line.channel_sku} short by {count - line.allocated_quantity}"
                for line, count in package
                if line in short
            )
            raise TransitionNotAllowed(
                f"order {order.external_order_id} cannot be dispatched: not enough stock ({details}). "
                "Receive or adjust stock, then try again."
            )
        _ship_units(order, package, user=user)
        number = _next_package_number(order)
        order.tracking_number = tracking_number
        order.shipping_method = shipping_method
        done = all(line.shipped_quantity >= line.quantity for line in lines_now)
        tracking = f", tracking {tracking_number}" if tracking_number else ""
        if done:
            order.processed_at = shipped_at
            message = f"Processed: {shipping_method}{tracking}"
            if number > 1:
                message = f"Processed: the last package ({number}) left, {shipping_method}{tracking}"
            _transition(order, OrderStatus.PROCESSED, user=user, message=message)
        else:
            units = ", ".join(f"{count} × {line.channel_sku}" for line, count in package)
            message = f"Package {number} dispatched ({units}): {shipping_method}{tracking}"
            if order.status == OrderStatus.PARTIALLY_DISPATCHED:
                record_event(order, "status", message, user)
            else:
                _transition(order, OrderStatus.PARTIALLY_DISPATCHED, user=user, message=message)
        held = bool(order.account_id and order.account.options.get("hold_shipping_data"))
        if not order.account_id:
            status = ShipmentStatus.LOCAL
        else:
            status = ShipmentStatus.HELD if held else ShipmentStatus.PENDING
        shipment = _add_package(
            order,
            package,
            number=number,
            status=status,
            package_reference=_package_reference(order, number),
            shipping_method=shipping_method,
            tracking_number=tracking_number,
            shipped_at=shipped_at,
        )
        if held:
            record_event(
                order,
                "shipment",
                "Shipping confirmation held: this account does not submit shipping data",
                user,
            )
        elif order.account_id:
            after_commit("order_dispatched", order_id=order.pk, account_id=order.account_id)
        _save(order, lines_now)
        shipment.order = order
        return shipment


def _package_quantities(
    order: Order, lines: list[OrderLine], wanted: list[tuple[str, int]] | None
) -> list[tuple[OrderLine, int]]:
    """The (line, units) a package takes: what was asked for, checked against the locked lines, or
    (None) every unit still to ship."""
    if wanted is None:
        package = [(line, line.unshipped) for line in lines if line.unshipped > 0]
        if not package:
            raise TransitionNotAllowed(f"order {order.external_order_id} has nothing left to ship")
        return package
    by_ref = {line.external_line_id: line for line in lines}
    package = []
    for ref, count in wanted:
        line = by_ref.get(ref)
        if line is None:
            known = ", ".join(line.external_line_id for line in lines)
            raise InvalidInput(
                f"order {order.external_order_id} has no line {ref[:100]!r} (its lines: {known})",
                field="lines",
            )
        if count > line.unshipped:
            left = (
                f"only {line.unshipped} of {line.quantity} left to ship"
                if line.unshipped
                else f"all {line.quantity} already shipped"
            )
            raise Conflict(
                f"order {order.external_order_id} line {ref} ({line.channel_sku}): cannot ship {count}, "
                f"{left}",
                field="lines",
            )
        package.append((line, count))
    return package


def _ship_units(order: Order, package: list[tuple[OrderLine, int]], *, user=None) -> None:
    """The package's units leave: consume their allocation (the lines hold them, checked by the
    caller) and count them shipped on their lines."""
    dispatched: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for line, count in package:
        if line.stock_item_id:
            dispatched[line.stock_item_id][0] += count
            dispatched[line.stock_item_id][1] += min(count, line.allocated_quantity)
    if dispatched:
        allocation.consume(
            location=order.location,
            dispatched={k: tuple(v) for k, v in dispatched.items()},
            reference=f"order {order.external_order_id}",
            user=user,
        )
    for line, count in package:
        line.allocated_quantity -= min(count, line.allocated_quantity) if line.stock_item_id else 0
        line.shipped_quantity += count
        OrderLine.objects.filter(pk=line.pk).update(
            allocated_quantity=line.allocated_quantity, shipped_quantity=line.shipped_quantity
        )


@dataclass(frozen=True)
class BatchOutcome:
    order_id: int
    ok: bool
    message: str


def process_orders(
    *,
    items: list[tuple[int, str]],
    shipping_method: str = "",
    user=None,
    shipped_at: datetime | None = None,
) -> list[BatchOutcome]:
    """Process many orders (order id, tracking number) with one method, or ("") each with the default
    for its buyer's service; each stands alone: a refused order is reported and the others go on."""
    from stockroom.core.errors import StockroomError

    outcomes = []
    for order_id, tracking in items:
        try:
            order = process_order(
                order_id=order_id,
                tracking_number=tracking,
                shipping_method=shipping_method,
                shipped_at=shipped_at,
                user=user,
            )
            outcomes.append(
                BatchOutcome(order_id, True, f"{order.external_order_id} processed ({order.shipping_method})")
            )
        except StockroomError as error:
            outcomes.append(BatchOutcome(order_id, False, error.message))
    return outcomes


def correct_refused_shipment(
    *,
    order_id: int,
    tracking_number: str,
    shipping_method: str,
    carrier_code: str = "",
    carrier_name: str = "",
    package: int | None = None,
    user=None,
) -> ChannelShipment:
    """Mend a shipping confirmation the channel refused and queue it to be sent again, once.

    ``package``: the package's number within the order; None picks the order's only package, or its
    only refused one.

    Only a refused confirmation (status error) can be corrected: the row goes back to pending in the
    same transaction as the correction, so a second submission (a double click, another user) finds it
    pending and is refused, and the sync engine sends it once through the shipment's journal row, with
    the same in-doubt handling as the first send. ``carrier_code`` (checked against the channel's
    carriers by the sync layer) replaces the carrier of the method's mapping; "" keeps the mapping's.
    """
    tracking_number = (tracking_number or "").strip()
    carrier_code = (carrier_code or "").strip()
    carrier_name = (carrier_name or "").strip()
    for label, value in (
        ("tracking number", tracking_number),
        ("carrier code", carrier_code),
        ("carrier name", carrier_name),
    ):
        if len(value) > 100:
            raise InvalidInput(f"{label} is longer than 100 characters")
    with transaction.atomic():
        order = _order_for_update(order_id)
        shipment = _shipment_to_correct(order, package)
        what = f"order {order.external_order_id}" + (
            f" package {shipment.number}" if shipment.number > 1 else ""
        )
        if shipment.status != ShipmentStatus.ERROR:
            raise Conflict(
                f"the shipping confirmation of {what} is "
                f"{shipment.get_status_display().lower()}: only a refused confirmation can be corrected"
            )
        method = _method_for(order, (shipping_method or "").strip() or shipment.shipping_method).name
        _check_tracking(order, tracking_number)
        changes = [
            f"{label} {old or '(none)'} → {new or '(none)'}"
            for label, old, new in (
                ("tracking", shipment.tracking_number, tracking_number),
                ("method", shipment.shipping_method, method),
                ("carrier", shipment.carrier_code or "as mapped", carrier_code or "as mapped"),
            )
            if old != new
        ]
        shipment.tracking_number = tracking_number
        shipment.shipping_method = method
        shipment.carrier_code = carrier_code
        shipment.carrier_name = carrier_name if carrier_code else ""
        shipment.status = ShipmentStatus.PENDING
        shipment.save(
            update_fields=[
                "tracking_number",
                "shipping_method",
                "carrier_code",
                "carrier_name",
                "status",
                "updated_at",
            ]
        )
        order.tracking_number = tracking_number
        order.shipping_method = method
        order.save(update_fields=["tracking_number", "shipping_method", "updated_at"])
        record_event(
            order,
            "shipment",
            "Shipping confirmation "
            + (f"of package {shipment.number} " if shipment.number > 1 else "")
            + "corrected"
            + (f" ({'; '.join(changes)})" if changes else " (unchanged)")
            + ": it will be sent again",
            user,
        )
        after_commit("order_dispatched", order_id=order.pk, account_id=order.account_id)
        return shipment


def _shipment_to_correct(order: Order, package: int | None) -> ChannelShipment:
    shipments = list(ChannelShipment.objects.select_for_update().filter(order=order).order_by("number"))
    if not shipments:
        raise NotFound(f"order {order.external_order_id} has no shipping confirmation to correct")
    if package is not None:
        for shipment in shipments:
            if shipment.number == package:
                return shipment
        raise NotFound(
            f"order {order.external_order_id} has no package {package} "
            f"(its packages: {', '.join(str(s.number) for s in shipments)})"
        )
    if len(shipments) == 1:
        return shipments[0]
    refused = [s for s in shipments if s.status == ShipmentStatus.ERROR]
    if len(refused) == 1:
        return refused[0]
    raise InvalidInput(
        f"order {order.external_order_id} has {len(shipments)} packages"
        + (f", {len(refused)} of them refused" if refused else ", none of them refused")
        + ": say which package to correct",
        field="package",
    )


def cancel_order(*, order_id: int, user=None, reason: str = "") -> Order:
    with transaction.atomic():
        order = _order_for_update(order_id)
        if order.status == OrderStatus.CANCELLED:
            return order
        lines = list(order.lines.select_for_update().order_by("pk"))
        _transition(
            order,
            OrderStatus.CANCELLED,
            user=user,
            message="Cancelled" + (f": {reason.strip()[:500]}" if reason.strip() else ""),
        )
        _release_lines(order, lines)
        order.cancelled_at = timezone.now()
        _save(order, lines)
        return order


def delete_order(*, order_id: int, user=None) -> str:
    """Remove an order and release its stock. Returns the deleted order's external id."""
    with transaction.atomic():
        order = _order_for_update(order_id)
        if order.status in (OrderStatus.PROCESSED, OrderStatus.PARTIALLY_DISPATCHED):
            raise TransitionNotAllowed(
                f"order {order.external_order_id} was "
                f"{'partially ' if order.status == OrderStatus.PARTIALLY_DISPATCHED else ''}dispatched; "
                "it cannot be deleted"
            )
        lines = list(order.lines.select_for_update().order_by("pk"))
        if order.status in HOLDS_STOCK:
            _release_lines(order, lines)
        external_id = order.external_order_id
        order.delete()
        return external_id


def set_hold(*, order_id: int, on_hold: bool, user=None) -> Order:
    with transaction.atomic():
        order = _order_for_update(order_id)
        if order.status not in HOLDS_STOCK:
            raise TransitionNotAllowed(
                f"order {order.external_order_id} is {order.get_status_display().lower()}"
            )
        if order.on_hold != on_hold:
            order.on_hold = on_hold
            order.save(update_fields=["on_hold", "updated_at"])
            record_event(order, "hold", "Put on hold" if on_hold else "Hold released", user)
        return order


def relink_order_lines(*, account: ChannelAccount, channel_sku: str, stock_item_id: int | None) -> int:
    """After a listing is linked, re-linked or unlinked, move the lines of open orders that carry its
    channel SKU to the new item (or to no item): units they held of the old item are given back (and
    offered to orders waiting for it), and the new item is allocated.

    Returns how many orders changed.
    """
    ids = list(
        OrderLine.objects.filter(
            order__account=account,
            channel_sku=channel_sku,
            order__status__in=HOLDS_STOCK,
            order__fulfilled_by_channel=False,
        )
        .exclude(stock_item_id=stock_item_id)
        .values_list("order_id", flat=True)
        .distinct()
    )
    freed: set[int] = set()
    changed = 0
    target = None
    if stock_item_id:
        target = StockItem.objects.only("sku").filter(pk=stock_item_id).first()
    for order_id in sorted(ids):
        with transaction.atomic():
            order = _order_for_update(order_id)
            lines = list(order.lines.select_for_update().order_by("pk"))
            moving = [
                ln for ln in lines if ln.channel_sku == channel_sku and ln.stock_item_id != stock_item_id
            ]
            if not moving or order.status not in HOLDS_STOCK:
                continue
            held: dict[int, int] = defaultdict(int)
            for line in moving:
                if line.stock_item_id and line.allocated_quantity:
                    held[line.stock_item_id] += line.allocated_quantity
                line.stock_item_id, line.allocated_quantity = stock_item_id, 0
                OrderLine.objects.filter(pk=line.pk).update(stock_item_id=stock_item_id, allocated_quantity=0)
            if held:
                allocation.release(location=order.location, quantities=dict(held))
                freed.update(held)
            changed += 1
            if target is not None:
                record_event(order, "linked", f"Line {channel_sku} linked to stock item {target.sku}")
            else:
                record_event(order, "linked", f"Line {channel_sku} unlinked: its listing has no stock item")
            _allocate_lines(order, lines)
            _save(order, lines)
    if freed:
        allocate_waiting_orders(item_ids=freed)
    return changed


def offer_freed_stock(*, freed_item_ids=(), **_) -> int:
    """``stock_changed`` subscriber: stock freed (received, adjusted up, released) is offered to the
    orders waiting for it, right after the change commits; no channel sync is involved. Returns the
    orders tried."""
    if not freed_item_ids:
        return 0
    return allocate_waiting_orders(item_ids=freed_item_ids)


def allocate_waiting_orders(*, item_ids) -> int:
    """Offer newly available stock to open orders that are short, oldest first."""
    ids = list(
        OrderLine.objects.filter(
            stock_item_id__in=list(item_ids),
            order__status__in=HOLDS_STOCK,
            order__fulfilled_by_channel=False,
            order__allocation_state__in=[AllocationState.PARTIAL, AllocationState.NONE],
        )
        .order_by("order__purchased_at", "order_id")
        .values_list("order_id", flat=True)
        .distinct()
    )
    for order_id in dict.fromkeys(ids):
        allocate_order(order_id=order_id)
    return len(ids)


def release_held_shipments(*, account: ChannelAccount, user=None) -> int:
    """Send the shipping confirmations an account held ("Do not submit shipping data").

    Flips the account's HELD channel shipments to PENDING and marks them released, so the next sync
    sends each of them once, with its original ship date (which may be older than the channel
    accepts), even while the account still holds new dispatches. Returns how many.
    """
    with transaction.atomic():
        held = list(
            ChannelShipment.objects.select_for_update()
            .filter(account=account, status=ShipmentStatus.HELD)
            .select_related("order")
            .order_by("pk")
        )
        if not held:
            return 0
        now = timezone.now()
        ChannelShipment.objects.filter(pk__in=[s.pk for s in held]).update(
            status=ShipmentStatus.PENDING, released_at=now, updated_at=now
        )
        for shipment in held:
            record_event(
                shipment.order,
                "shipment",
                "Held shipping confirmation released: the next sync sends it once, with the original "
                f"ship date {shipment.shipped_at:%Y-%m-%d %H:%M} UTC",
                user,
            )
        after_commit("order_dispatched", order_id=held[-1].order_id, account_id=account.pk)
    return len(held)


# --- shipping methods ---------------------------------------------------------------------------------


def create_shipping_method(*, name: str) -> ShippingMethod:
    """Add an internal shipping method staff can choose when processing orders."""
    name = " ".join(
        text_value(name, model=ShippingMethod, field="name", label="shipping method name").split()
    )
    if not name:
        raise InvalidInput("a shipping method needs a name")
    if ShippingMethod.objects.filter(name__iexact=name).exists():
        raise Conflict(f"a shipping method named {name} already exists")
    try:
        with transaction.atomic():
            return ShippingMethod.objects.create(name=name)
    except IntegrityError:
        raise Conflict(f"a shipping method named {name} already exists") from None


def set_shipping_method_active(*, method_id: int, active: bool) -> ShippingMethod:
    updated = ShippingMethod.objects.filter(pk=method_id).update(active=active)
    if not updated:
        raise NotFound(f"shipping method {method_id} does not exist")
    return ShippingMethod.objects.get(pk=method_id)
