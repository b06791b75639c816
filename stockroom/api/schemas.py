"""Request and response shapes of the REST API. Money is a decimal string, times ISO 8601 UTC."""

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from stockroom.catalog.models import StockItem
from stockroom.core.limits import max_length
from stockroom.inventory.models import StockMovement
from stockroom.orders.models import Order
from stockroom.orders.pipeline import AllocationState, OrderStatus


class ErrorOut(Schema):
    error: str
    message: str
    details: dict | None = None


class OrderFilters(Schema):
    source: str = Field("", max_length=30, description="channel key (e.g. amazon) or manual")
    account: int | None = Field(None, ge=1, le=2**63 - 1, description="channel account id")
    status: OrderStatus | None = None
    search: str = Field("", max_length=200, description="order id, buyer name or SKU")
    allocation_state: AllocationState | None = None
    on_hold: bool | None = None
    unlinked: bool | None = Field(None, description="only orders with (or without) unlinked lines")
    limit: int = Field(50, ge=1, le=200)
    cursor: str = Field("", max_length=200, description="next_cursor of the previous page")


class OrderSummaryOut(Schema):
    id: int
    external_order_id: str
    source: str
    account_id: int | None
    account_name: str | None
    marketplace: str
    status: str
    channel_status: str
    on_hold: bool
    allocation_state: str
    has_unlinked_lines: bool
    fulfilled_by_channel: bool
    buyer_name: str
    purchased_at: datetime
    dispatch_by: datetime | None
    processed_at: datetime | None
    currency: str
    total: Decimal
    shipping_method: str
    tracking_number: str

    @staticmethod
    def resolve_account_name(order) -> str | None:
        return order.account.name if order.account_id else None


class OrderPageOut(Schema):
    items: list[OrderSummaryOut]
    next_cursor: str | None


class OrderLineOut(Schema):
    id: int
    external_line_id: str
    channel_sku: str
    title: str
    sku: str | None = Field(description="SKU of the linked stock item, null if the line is unlinked")
    quantity: int
    allocated_quantity: int
    shipped_quantity: int = Field(description="units that have left in packages")
    unit_price: Decimal

    @staticmethod
    def resolve_sku(line) -> str | None:
        return line.stock_item.sku if line.stock_item_id else None


class OrderEventOut(Schema):
    created_at: datetime
    kind: str
    message: str
    user: str | None = Field(description="username, null for the system")

    @staticmethod
    def resolve_user(event) -> str | None:
        return event.user.username if event.user_id else None


class ShipmentLineOut(Schema):
    external_line_id: str
    quantity: int

    @staticmethod
    def resolve_external_line_id(row) -> str:
        return row.order_line.external_line_id


class ShipmentOut(Schema):
    number: int = Field(description="the package's number within the order, from 1")
    status: str
    shipping_method: str
    tracking_number: str
    carrier_code: str = Field(description="set by a correction; empty: the carrier mapped for the method")
    carrier_name: str
    shipped_at: datetime
    attempts: int
    last_error: str
    sent_at: datetime | None
    lines: list[ShipmentLineOut] = Field(description="the order lines and units in this package")

    @staticmethod
    def resolve_lines(shipment):
        return list(shipment.lines.all())


class AddressOut(Schema):
    name: str = Field(alias="ship_name")
    line1: str = Field(alias="ship_line1")
    line2: str = Field(alias="ship_line2")
    line3: str = Field(alias="ship_line3")
    city: str = Field(alias="ship_city")
    region: str = Field(alias="ship_region")
    postcode: str = Field(alias="ship_postcode")
    country_code: str = Field(alias="ship_country_code")
    phone: str = Field(alias="ship_phone")


class OrderDetailOut(OrderSummaryOut):
    buyer_email: str
    address: AddressOut
    channel_shipping_service: str
    cancelled_at: datetime | None
    subtotal: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    lines: list[OrderLineOut]
    events: list[OrderEventOut]
    shipments: list[ShipmentOut] = Field(
        description="the order's packages, in order, each with its confirmation"
    )
    shipment: ShipmentOut | None = Field(
        description="the latest package (the whole order when it left in one), if any; see shipments"
    )

    @staticmethod
    def resolve_address(order):
        return order

    @staticmethod
    def resolve_shipments(order):
        return list(order.shipments.all())

    @staticmethod
    def resolve_shipment(order):
        packages = list(order.shipments.all())
        return packages[-1] if packages else None


class ProcessIn(Schema):
    tracking_number: str = Field(
        "",
        max_length=max_length(Order, "tracking_number"),
        description="required when the order's channel needs one (e.g. Amazon)",
    )
    shipping_method: str = Field(
        "",
        max_length=max_length(Order, "shipping_method"),
        description="an active shipping method; empty: the default the order's account sets for the "
        "service its buyer chose",
    )
    shipped_at: datetime | None = Field(None, description="ISO 8601 with a time zone; default now")


class ShipmentLineIn(Schema):
    external_line_id: str = Field(max_length=100, description="the order line's id on the channel")
    quantity: int = Field(description="units of the line in this package, at least 1")


class ShipmentIn(ProcessIn):
    lines: list[ShipmentLineIn] | None = Field(
        None, description="the lines and units in this package; omitted: every unit still to ship"
    )


class ShipmentCorrectionIn(Schema):
    tracking_number: str = Field("", max_length=100)
    shipping_method: str = Field("", max_length=100, description="empty: keep the confirmation's method")
    carrier_code: str = Field(
        "", max_length=100, description="one of the channel's carrier codes; empty: the method's mapping"
    )
    carrier_name: str = Field("", max_length=100, description="the carrier's name, for carrier code Other")
    package: int | None = Field(
        None, description="the package's number; omitted: the order's only package, or its only refused one"
    )


class StockFilters(Schema):
    sku: str = Field("", max_length=max_length(StockItem, "sku"), description="SKU prefix, case-insensitive")
    limit: int = Field(50, ge=1, le=500)
    cursor: str = Field("", max_length=200, description="next_cursor of the previous page")


class StockOut(Schema):
    sku: str
    title: str
    barcode: str
    on_hand: int
    allocated: int
    available: int = Field(description="on hand - allocated, all locations")
    available_to_sell: int = Field(description="on hand - allocated at the locations that feed channels")


class StockPageOut(Schema):
    items: list[StockOut]
    next_cursor: str | None


class LevelOut(Schema):
    location: str
    feeds_channels: bool
    on_hand: int
    allocated: int
    available: int


class StockDetailOut(StockOut):
    levels: list[LevelOut]


# Quantities are strict JSON integers: true, 1.0 or "3" are refused, not read as a number.
class AdjustIn(Schema):
    set: int | None = Field(None, ge=0, strict=True, description="new on-hand level (a stock count)")
    delta: int | None = Field(None, strict=True, description="signed change of on hand")
    reason: str = Field(min_length=1, max_length=max_length(StockMovement, "note"))
    reference: str = Field("", max_length=max_length(StockMovement, "reference"))


class ReceiveIn(Schema):
    quantity: int = Field(ge=1, strict=True)
    reference: str = Field(
        "", max_length=max_length(StockMovement, "reference"), description="e.g. a purchase order number"
    )
    note: str = Field("", max_length=max_length(StockMovement, "note"))


class ItemIn(Schema):
    sku: str = Field(min_length=1, max_length=max_length(StockItem, "sku"))
    title: str = Field(min_length=1, max_length=max_length(StockItem, "title"))
    barcode: str = Field("", max_length=max_length(StockItem, "barcode"))


class ItemOut(Schema):
    id: int
    sku: str
    title: str
    barcode: str
    created_at: datetime
