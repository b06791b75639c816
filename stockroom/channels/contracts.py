"""The only vocabulary shared between the domain and channel connectors.

Frozen dataclasses only: no ORM, no HTTP, nothing channel-specific. A connector translates its
channel's payloads into these at the edge; the domain's services accept them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol, Self

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
class ListingRefs:
    """The channel's own references of one listing, as the listing import read them (all opaque, ""
    when the channel has no such thing): what a stock update needs besides the SKU on channels that
    address an offer, an inventory item or a location rather than a SKU (eBay's offer id and
    inventory item, a web shop's inventory item and location)."""

    offer_ref: str = ""  # the listing / offer on the channel (eBay offerId)
    inventory_item_ref: str = ""  # the channel's inventory item the quantity belongs to
    location_ref: str = ""  # the channel's location (warehouse) that holds the quantity

    def __post_init__(self) -> None:
        _require_strings(self, "offer_ref", "inventory_item_ref", "location_ref")


@dataclass(frozen=True)
class StockUpdate:
    channel_sku: str
    quantity: int
    # True when the channel fulfils this listing from its own warehouses (e.g. Amazon FBA): the channel
    # owns the quantity and a connector must not send one.
    fulfilled_by_channel: bool = False
    refs: ListingRefs = field(default_factory=ListingRefs)  # the channel's references of the listing
    # the quantity the channel last confirmed for the listing (None: never): a connector that must choose
    # which changes to send first (a daily call quota) ranks a drop to 0 and a big drop above a rise
    last_quantity: int | None = None
    # net units the account's own orders took from the listing since ``last_quantity`` was confirmed, as
    # Stockroom has imported them (orders imported since, less those cancelled since): a channel that
    # lowers its own quantity on every sale shows ``last_quantity - channel_sold_since`` now. A
    # compare-and-swap connector expects exactly that (ADR 0014).
    channel_sold_since: int = 0

    def __post_init__(self) -> None:
        _require_strings(self, "channel_sku")


@dataclass(frozen=True)
class ChannelListing:
    channel_sku: str
    external_ref: str = ""  # the channel's product id (e.g. a catalogue number)
    title: str = ""
    quantity: int | None = None
    fulfilled_by_channel: bool = False
    marketplace: str = ""
    refs: ListingRefs = field(default_factory=ListingRefs)  # kept on the listing, sent with its updates


@dataclass(frozen=True)
class ChannelCapabilities:
    """Small facts a connector declares about its channel that the domain must honour.

    The domain reads them through ``stockroom.channels.capabilities`` (never from a connector)."""

    # the channel refuses a shipping confirmation without a tracking number (e.g. Amazon's confirmShipment)
    requires_tracking_number: bool = False
    # the channel can tell of a new or changed order at once (a queue or webhook): the connector offers
    # ``OrderPushes`` (ADR 0016); polling stays on as the reconciler
    order_pushes: bool = False
    # seconds from the channel taking a new quantity until its buyers see it (Amazon: about two minutes);
    # until then the old one still sells, which the reserve counts at low stock (ADR 0015)
    quantity_visible_after_seconds: float = 0.0


# --- what the sync engine gives a connector, and what it gets back -----------------------------------


class TokenCache(Protocol):
    """Where a connector keeps the short-lived access tokens of one account between runs (the sync
    engine gives one, kept encrypted and scoped to the account's current credentials), so a run or a
    stock push does not exchange the refresh token again while a token is still good."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str, *, expires_at: datetime) -> None: ...

    def forget(self, name: str) -> None: ...


class NoTokenCache:
    """A cache that keeps nothing: the default where no one gives a connector a cache."""

    def get(self, name: str) -> str | None:
        return None

    def set(self, name: str, value: str, *, expires_at: datetime) -> None:
        return None

    def forget(self, name: str) -> None:
        return None


def _ignore_credentials(credentials: dict) -> None:
    return None


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
    # access tokens kept across runs (see TokenCache)
    token_cache: TokenCache = field(default_factory=NoTokenCache, repr=False, compare=False)
    # a connector whose channel refreshed or rotated a credential (a new refresh token) calls this at
    # once with the changed values (e.g. {"refresh_token": ...}); the engine merges them into the
    # account's credentials, stored encrypted. The connector goes on with them itself.
    credentials_changed: Callable[[dict], None] = field(
        default=_ignore_credentials, repr=False, compare=False
    )


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str  # what the seller reads: on failure, the likely cause and what to do
    marketplaces: tuple[str, ...] = ()
    orders_waiting: int | None = None  # orders (or, in report mode, report documents) to download
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FailedRecord:
    """A record (an order) or a whole document the connector could not read."""

    external_id: str  # the channel's id of the record or document; "" when even that was unreadable
    message: str  # why, for the seller
    raw: str = ""  # the channel's raw text (or an excerpt or reference of a document), kept on the issue

    def __post_init__(self) -> None:
        _require_strings(self, "external_id", "message", "raw")


@dataclass(frozen=True)
class OrderPage:
    """One page of orders. The engine stores every order of the page, then saves ``next_cursor``.

    ``failed`` holds records the connector could not translate; the engine turns each into a
    visible, retryable sync issue and goes on.

    ``unreadable`` holds whole documents (e.g. order reports) that could not be read (``external_id``
    is the document's ref, ``raw`` an excerpt or reference of it). The connector keeps them for a
    retry of its own (the cursor may move past them: they are recorded), the engine shows each as a
    sync issue. ``documents_read`` names documents read completely in this page, so their issues are
    resolved.
    """

    orders: tuple[ChannelOrder, ...]
    next_cursor: str | None  # opaque; None = nothing changes the stored cursor
    failed: tuple[FailedRecord, ...] = ()
    done: bool = True  # False when more pages follow in this run
    unreadable: tuple[FailedRecord, ...] = ()
    documents_read: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("failed", "unreadable"):
            if not all(isinstance(record, FailedRecord) for record in getattr(self, name)):
                raise TypeError(f"OrderPage.{name} holds FailedRecord values only")
        if self.next_cursor is not None and not isinstance(self.next_cursor, str):
            raise TypeError("OrderPage.next_cursor is an opaque string (or None)")


class WriteStatus(enum.StrEnum):
    """How a channel answered one write. Stored as these words (a StrEnum equals its value)."""

    CONFIRMED = "confirmed"  # done
    PENDING = "pending"  # accepted; the result comes later (collect_stock_results)
    ERROR = "error"  # refused, or failed: see ``retryable``
    # not written: the channel's quantity is not the one expected (a compare-and-swap refused). The
    # channel sold or changed something Stockroom has not imported: the engine imports the account's
    # orders, recomputes and sends again; a second STALE is a conflict shown to the seller. The
    # outcome's ``quantity`` is what the channel shows, when known.
    STALE = "stale"


@dataclass(frozen=True)
class WriteOutcome:
    """Outcome of one write (a shipment confirmation or a stock update) for one record."""

    key: str  # external order id, or channel SKU
    status: WriteStatus  # a plain word ("confirmed", ...) is taken and turned into the enum
    message: str = ""
    submission_ref: str = ""  # request id / feed id, for the log
    retryable: bool = False  # an error worth retrying unchanged (throttling, 5xx, network)
    quantity: int | None = None
    # how many more writes the channel takes for this record until ``writes_reset_at`` (e.g. eBay's 250
    # revisions of a listing a day); None: the channel sets no such limit, or did not say
    writes_left: int | None = None
    writes_reset_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", WriteStatus(self.status))  # ValueError for anything else
        _require_strings(self, "key", "submission_ref")


def _require_strings(record, *names: str) -> None:
    """Every identifier crossing the contract is an opaque string (a number is refused, not guessed)."""
    for name in names:
        value = getattr(record, name)
        if not isinstance(value, str):
            raise TypeError(f"{type(record).__name__}.{name} must be a string, got {type(value).__name__}")


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


class WebhookRefused(Permanent):
    """A webhook the connector would not take: its signature does not match, or it is not readable."""


@dataclass(frozen=True)
class WebhookNotice:
    """What a channel's webhook says once its connector verified it: an order changed. The receiver
    imports the order as the channel has it now (so a late or out-of-order delivery does no harm)."""

    delivery_id: str  # the channel's id of this delivery; a duplicate carries the same one
    topic: str
    external_order_id: str

    def __post_init__(self) -> None:
        _require_strings(self, "delivery_id", "topic", "external_order_id")


class ConnectorLifecycle:
    """A connector is a context manager: the engine opens one per run (or per push) with ``with`` and
    it is closed at the end, so its HTTP clients are closed. Subclasses release what they hold in
    ``close()`` (called once or more: it must be safe to call again)."""

    def close(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class ChannelConnector(Protocol):
    """What every channel connector offers the sync engine. Implementations live in
    ``stockroom.connectors.<channel>`` (built with an ``AccountConfig``; usually subclassing
    ``ConnectorLifecycle``); the engine is their only caller, always inside ``with connector:``."""

    def __enter__(self) -> ChannelConnector: ...

    def __exit__(self, *exc_info) -> None: ...

    def close(self) -> None: ...

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


# --- orders pushed by the channel (ADR 0016) ----------------------------------------------------------


@dataclass(frozen=True)
class PushedOrder:
    """One message of a channel saying that an order is new or changed, read from where the channel
    delivers them (e.g. an SQS queue). The order itself is fetched with ``fetch_order``.

    ``message_id`` is the channel's id of the message (the same message delivered twice has the same
    id); ``receipt`` acknowledges it (``acknowledge_order_push``). A message the connector could not
    read has ``problem`` set and no order id; ``raw`` is the message as received."""

    account_ref: str  # the channel's identity of the account it concerns (Amazon's seller id)
    external_order_id: str
    message_id: str
    receipt: str
    raw: str = ""
    problem: str = ""

    def __post_init__(self) -> None:
        _require_strings(self, "account_ref", "external_order_id", "message_id", "receipt", "raw", "problem")


class OrderPushes(Protocol):
    """What a connector whose channel pushes orders offers (``capabilities.order_pushes``).

    Pushes of several accounts may share one address (one queue); the engine reads each address once
    with any of its accounts' connectors and hands every message to the account it names."""

    # where this account's pushes arrive (a queue URL), or None when the account does not use them
    def order_push_address(self) -> str | None: ...

    # creates what the channel needs to push this account's orders to the address; returns the refs
    # to keep (and give back to ``unsubscribe_order_pushes``)
    def subscribe_order_pushes(self) -> dict[str, str]: ...

    def unsubscribe_order_pushes(self, refs: Mapping[str, str]) -> None: ...

    # waits up to ``wait_seconds`` for messages at the address (long polling)
    def receive_order_pushes(self, *, wait_seconds: int) -> list[PushedOrder]: ...

    # removes the message from the address for good (only after its order is stored)
    def acknowledge_order_push(self, push: PushedOrder) -> None: ...

    def fetch_order(self, external_order_id: str) -> ChannelOrder: ...
