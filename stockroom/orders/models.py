from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from stockroom.catalog.models import StockItem
from stockroom.channels.models import ChannelAccount
from stockroom.core.fields import MoneyField
from stockroom.core.models import TimeStampedModel
from stockroom.inventory.models import Location
from stockroom.orders.pipeline import DISPATCHABLE, HOLDS_STOCK, AllocationState, OrderStatus

MONEY = {"max_digits": 14, "decimal_places": 2}


class ShippingMethod(models.Model):
    """An internal shipping method staff choose when dispatching (mapped per channel account)."""

    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Order(TimeStampedModel):
    account = models.ForeignKey(
        ChannelAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    source = models.CharField(max_length=30, default="manual")  # channel key, or "manual"
    external_order_id = models.CharField(max_length=100)
    marketplace = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    channel_status = models.CharField(max_length=50, blank=True)
    on_hold = models.BooleanField(default=False)
    allocation_state = models.CharField(
        max_length=20, choices=AllocationState.choices, default=AllocationState.NONE
    )
    has_unlinked_lines = models.BooleanField(default=False)
    fulfilled_by_channel = models.BooleanField(default=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="orders")

    buyer_name = models.CharField(max_length=300, blank=True)
    buyer_email = models.CharField(max_length=300, blank=True)
    ship_name = models.CharField(max_length=300, blank=True)
    ship_line1 = models.CharField(max_length=300, blank=True)
    ship_line2 = models.CharField(max_length=300, blank=True)
    ship_line3 = models.CharField(max_length=300, blank=True)
    ship_city = models.CharField(max_length=200, blank=True)
    ship_region = models.CharField(max_length=200, blank=True)
    ship_postcode = models.CharField(max_length=50, blank=True)
    ship_country_code = models.CharField(max_length=2, blank=True)
    ship_phone = models.CharField(max_length=50, blank=True)

    channel_shipping_service = models.CharField(max_length=100, blank=True)
    shipping_method = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)

    purchased_at = models.DateTimeField()
    dispatch_by = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    channel_updated_at = models.DateTimeField(null=True, blank=True)

    currency = models.CharField(max_length=3, blank=True)
    subtotal = MoneyField(default=0, **MONEY)
    shipping_total = MoneyField(default=0, **MONEY)
    tax_total = MoneyField(default=0, **MONEY)
    total = MoneyField(default=0, **MONEY)

    class Meta:
        ordering = ["-purchased_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_order_id"], name="orders_order_account_external_unique"
            ),
            models.UniqueConstraint(
                fields=["external_order_id"],
                condition=Q(account__isnull=True),
                name="orders_order_manual_external_unique",
            ),
        ]
        indexes = [
            # the unfiltered order book, newest first, keyset-paged (API, web): no sort of every row
            models.Index(fields=["-purchased_at", "-id"], name="orders_purchased_id"),
            models.Index(fields=["status", "-purchased_at"], name="orders_status_purchased"),
            models.Index(fields=["source", "status", "-purchased_at"], name="orders_src_status_purch"),
            models.Index(fields=["account", "status", "-purchased_at"], name="orders_acct_status_purch"),
            models.Index(fields=["buyer_name"], name="orders_buyer_name"),
            # search (orders.selectors.order_list): an order id equal to the term, case-insensitively;
            # buyer-name substrings use a trigram index outside model state (migration 0003):
            # pg_trgm GIN on UPPER(buyer_name) on PostgreSQL, the FTS5 table orders_order_search on SQLite
            models.Index(Upper("external_order_id"), name="orders_external_id_upper"),
        ]

    def __str__(self) -> str:
        return self.external_order_id

    @property
    def can_hold(self) -> bool:
        """Still holds stock: can be put on hold, released or cancelled."""
        return self.status in HOLDS_STOCK

    @property
    def can_process(self) -> bool:
        return self.status in DISPATCHABLE and not self.on_hold and not self.fulfilled_by_channel


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    external_line_id = models.CharField(max_length=100)
    channel_sku = models.CharField(max_length=200)
    title = models.CharField(max_length=500, blank=True)
    stock_item = models.ForeignKey(
        StockItem, null=True, blank=True, on_delete=models.PROTECT, related_name="order_lines"
    )
    quantity = models.PositiveIntegerField()
    unit_price = MoneyField(default=0, **MONEY)
    allocated_quantity = models.PositiveIntegerField(default=0)  # held for the units not yet shipped
    shipped_quantity = models.PositiveIntegerField(default=0)  # units that left in packages

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "external_line_id"], name="orders_line_order_external_unique"
            ),
            models.CheckConstraint(
                condition=Q(allocated_quantity__lte=models.F("quantity")),
                name="orders_line_allocated_within_quantity",
            ),
            # never more units leave than were ordered, and only the units still to ship are held
            models.CheckConstraint(
                condition=Q(shipped_quantity__lte=models.F("quantity")),
                name="orders_line_shipped_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(allocated_quantity__lte=models.F("quantity") - models.F("shipped_quantity")),
                name="orders_line_allocated_within_unshipped",
            ),
        ]
        indexes = [
            models.Index(fields=["channel_sku"], name="orders_line_channel_sku"),
            models.Index(Upper("channel_sku"), name="orders_line_sku_upper"),  # search by SKU
        ]

    @property
    def unshipped(self) -> int:
        """Units still to leave in a package."""
        return self.quantity - self.shipped_quantity

    @property
    def short_by(self) -> int:
        return self.unshipped - self.allocated_quantity if self.stock_item_id else 0


class OrderEvent(models.Model):
    """Audit trail: who did what to an order, when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=40)
    message = models.TextField()

    class Meta:
        ordering = ["created_at", "id"]


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    HELD = "held", "Held (shipping data not submitted)"
    SENT = "sent", "Confirmed to channel"
    ERROR = "error", "Error"
    NOT_NEEDED = "not_needed", "Not sent (already shipped on the channel)"
    LOCAL = "local", "Not sent (no channel: a manual order)"


class ChannelShipment(TimeStampedModel):
    """A package (shipment) of an order: some units of some lines that left together, with their
    tracking number and method. Also the outbox row of its shipping confirmation: written in the
    dispatch transaction, sent once by sync. An order leaves in one or more packages, numbered from 1.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    number = models.PositiveIntegerField(default=1)  # the package's number within its order
    # None for a manual order's package: there is no channel to confirm it to
    account = models.ForeignKey(
        ChannelAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="shipments"
    )
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING)
    package_reference = models.CharField(max_length=40)
    shipping_method = models.CharField(max_length=100)
    tracking_number = models.CharField(max_length=100)
    # set when a refused confirmation was corrected with another carrier than the method's mapping
    carrier_code = models.CharField(max_length=100, blank=True)
    carrier_name = models.CharField(max_length=100, blank=True)
    shipped_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # set when a held confirmation is released: the seller's decision to send this one, honoured by
    # the next sync even while the account holds new dispatches ("Do not submit shipping data")
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order_id", "number"]
        indexes = [models.Index(fields=["account", "status"], name="orders_shipment_acct_status")]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="orders_shipment_order_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} package {self.number}"


class ShipmentLine(models.Model):
    """Units of one order line in one package."""

    shipment = models.ForeignKey(ChannelShipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="shipment_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="orders_shipline_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orders_shipline_quantity_positive"),
        ]
