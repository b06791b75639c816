"""The only vocabulary shared between the domain and channel connectors.

Frozen dataclasses only: no ORM, no HTTP, nothing channel-specific. A connector translates its
channel's payloads into these at the edge; the domain's services accept them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

# What the order book holds (``orders.models``; a test keeps the two in step). A connector refuses a
# record beyond these at the edge, so nothing a database would refuse, or SQLite would store and
# then fail to read back, ever reaches the domain.
AMOUNT_MAX_DIGITS = 14  # every amount column: DecimalField(max_digits=14, decimal_places=2)
AMOUNT_DECIMAL_PLACES = 2
QUANTITY_MAX = 2_000_000_000  # quantity columns are integers (PostgreSQL's integer stops at 2,147,483,647)
ORDER_ID_MAX_LENGTH = 100
LINE_ID_MAX_LENGTH = 100
CHANNEL_SKU_MAX_LENGTH = 200


class ChannelOrderStatus(enum.StrEnum):
    PENDING = "pending"  # placed, payment not confirmed: reserves stock, cannot be dispatched
    UNSHIPPED = "unshipped"  # ready to dispatch
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"  # dispatched on or by the channel
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"  # a value the connector did not recognise; kept visible, treated as pending


@dataclass(frozen=True)
class Address:
    name: str = ""
    line1: str = ""
    line2: str = ""
    line3: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country_code: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ChannelOrderLine:
    external_line_id: str
    channel_sku: str
    quantity: int
    unit_price: Decimal = Decimal("0.00")
    title: str = ""
    quantity_shipped: int = 0


@dataclass(frozen=True)
class ChannelOrder:
    external_order_id: str
    status: ChannelOrderStatus
    purchased_at: datetime
    lines: tuple[ChannelOrderLine, ...]
    last_updated_at: datetime | None = None
    marketplace: str = ""
    currency: str = ""
    buyer_name: str = ""
    buyer_email: str = ""
    address: Address = field(default_factory=Address)
    channel_shipping_service: str = ""
    fulfilled_by_channel: bool = False
    dispatch_by: datetime | None = None
    subtotal: Decimal = Decimal("0.00")
    shipping_total: Decimal = Decimal("0.00")
    tax_total: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")
    channel_status: str = ""  # the channel's own word for the status, shown to the seller


@dataclass(frozen=True)
class ShipmentLine:
    external_line_id: str
    quantity: int


@dataclass(frozen=True)
class ShipmentConfirmation:
    """What the channel is told when an order leaves the warehouse."""

    external_order_id: str
    marketplace: str
    package_reference: str
    carrier_code: str
    carrier_name: str
    ship_method: str
    tracking_number: str
    shipped_at: datetime
    lines: tuple[ShipmentLine, ...]


@dataclass(frozen=True)
class StockUpdate:
    channel_sku: str
    quantity: int
    # True when the channel fulfils this listing from its own warehouses (e.g. Amazon FBA): the channel
    # owns the quantity and a connector must not send one.
    fulfilled_by_channel: bool = False


@dataclass(frozen=True)
class ChannelListing:
    channel_sku: str
    external_ref: str = ""  # the channel's product id (e.g. a catalogue number)
    title: str = ""
    quantity: int | None = None
    fulfilled_by_channel: bool = False
    marketplace: str = ""


@dataclass(frozen=True)
class ChannelCapabilities:
    """Small facts a connector declares about its channel that the domain must honour.

    The domain reads them through ``stockroom.channels.capabilities`` (never from a connector)."""

    # the channel refuses a shipping confirmation without a tracking number (e.g. Amazon's confirmShipment)
    requires_tracking_number: bool = False


# --- what the sync engine gives a connector, and what it gets back -----------------------------------


@dataclass(frozen=True)
class AccountConfig:
    """Everything a connector needs to talk to one account; built by the sync engine."""

    account_id: int
    name: str
    external_account_id: str
    region: str
    marketplaces: tuple[str, ...]
    credentials: dict  # decrypted; never log it
    options: dict
    endpoint: str = ""  # override of the channel's API base URL (simulator, sandbox)
    token_url: str = ""  # override of the channel's token URL


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str  # what the seller reads: on failure, the likely cause and what to do
    marketplaces: tuple[str, ...] = ()
    orders_waiting: int | None = None  # orders (or, in report mode, report documents) to download
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderPage:
    """One page of orders. The engine stores every order of the page, then saves ``next_cursor``.

    ``failed`` holds records the connector could not translate: (external id or "", message, raw
    text); the engine turns each into a visible, retryable sync issue and goes on.

    ``unreadable`` holds whole documents (e.g. order reports) that could not be read: (document ref,
    reason, an excerpt or reference of the document). The connector keeps them for a retry of its
    own (the cursor may move past them: they are recorded), the engine shows each as a sync issue.
    ``documents_read`` names documents read completely in this page, so their issues are resolved.
    """

    orders: tuple[ChannelOrder, ...]
    next_cursor: str | None  # opaque; None = nothing changes the stored cursor
    failed: tuple[tuple[str, str, str], ...] = ()
    done: bool = True  # False when more pages follow in this run
    unreadable: tuple[tuple[str, str, str], ...] = ()
    documents_read: tuple[str, ...] = ()


@dataclass(frozen=True)
class WriteOutcome:
    """Outcome of one write (a shipment confirmation or a stock update) for one record."""

    key: str  # external order id, or channel SKU
    status: str  # "confirmed" | "pending" (accepted, result later) | "error"
    message: str = ""
    submission_ref: str = ""  # request id / feed id, for the log
    retryable: bool = False  # an error worth retrying unchanged (throttling, 5xx, network)
    quantity: int | None = None


class ChannelError(Exception):
    """Base of the typed errors every connector raises; ``message`` is for the seller."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, code: str = "", body: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.body = body[:2000]


class RateLimited(ChannelError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float = 1.0, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Transient(ChannelError):
    """5xx, timeouts, network errors, truncated documents: try again later, unchanged."""

    retryable = True


class Permanent(ChannelError):
    """The channel refused the request as it is (400, unknown item, ...): do not retry unchanged."""


class AuthFailed(Permanent):
    """Credentials refused (wrong client id, secret, refresh token, or app not authorised)."""


class ChannelConnector(Protocol):
    """What every channel connector offers the sync engine. Implementations live in
    ``stockroom.connectors.<channel>``; the engine is their only caller."""

    channel: str  # registry key, e.g. "amazon"
    # The most stock updates one ``push_stock`` call takes at once (e.g. the messages one bulk
    # submission holds); the engine sends changed listings in batches of at most this many.
    max_stock_batch: int
    capabilities: ChannelCapabilities  # declared facts about the channel (a class attribute)

    def check(self, *, orders_since: datetime | None) -> CheckResult: ...

    # ``since``: the account's cut-off ("Do not download orders prior to"), given on every run; where
    # there is no cursor yet, reading starts there. The engine leaves out any order bought before it.
    def fetch_orders(self, *, cursor: str | None, since: datetime | None) -> Iterator[OrderPage]: ...

    def confirm_shipments(self, shipments: Sequence[ShipmentConfirmation]) -> list[WriteOutcome]: ...

    def push_stock(self, updates: Sequence[StockUpdate]) -> list[WriteOutcome]: ...

    def collect_stock_results(self, submission_refs: Sequence[str]) -> list[WriteOutcome]: ...

    def list_listings(self) -> Iterator[ChannelListing]: ...
