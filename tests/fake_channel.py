"""The one fake channel of the test suite: a ``ChannelConnector`` implementing the whole protocol
(``stockroom/channels/contracts.py``) over an in-memory "channel", one per account.

Registered for the channel key "fake" through ``settings.STOCKROOM_CONNECTORS`` (fixture
``fake_connector_registered`` in tests/conftest.py, autouse where a conftest asks for it). Tests and the
contract suite's harness (tests/contract/harness.py) reach the channel's side through
``FakeChannel.of(account)``: add orders, set listings, read what was sent, inject failures.

Like a real channel it accepts exactly the credentials in ``GOOD_CREDENTIALS`` (exact strings) on every
call and refuses others with ``AuthFailed`` naming the credential. In another process (no shared memory)
an account's ``options["fake_orders"]`` seeds that many orders and ``options["fake_delay"]`` slows every
page down.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from stockroom.channels.contracts import (
    AccountConfig,
    AuthFailed,
    ChannelCapabilities,
    ChannelListing,
    ChannelOrder,
    ChannelOrderLine,
    ChannelOrderStatus,
    CheckResult,
    ConnectorLifecycle,
    FailedRecord,
    ListingRefs,
    OrderPage,
    ShipmentConfirmation,
    StockUpdate,
    Transient,
    WriteOutcome,
    WriteStatus,
)

CONNECTOR = "tests.fake_channel.FakeConnector"  # the dotted path registered for the channel key "fake"

GOOD_CREDENTIALS = {
    "client_id": "fake-client-0123",
    "client_secret": "fake-secret-0123456789abcdef",
    "refresh_token": "fake-refresh-token-0123456789",
}

_channels: dict[int, FakeChannel] = {}
_feed_numbers = itertools.count(1000)


@dataclass
class FakeChannel:
    """What the channel holds for one account, and the knobs a test turns."""

    orders: dict[str, tuple[int, ChannelOrder]] = field(default_factory=dict)  # id -> (update seq, order)
    sequence: int = 0
    page_size: int = 10
    delay: float = 0.0
    # what the channel shows per SKU; ``list_listings`` lists these unless ``listings`` is set
    quantities: dict[str, int] = field(default_factory=dict)
    listings: list[ChannelListing] | None = None  # the listings as the channel describes them
    listings_error: str = ""  # list_listings fails with this (retryable)
    orders_waiting: int | None = None  # what ``check`` reports; None: the orders it holds
    marketplaces: tuple[str, ...] = ("UK", "DE")
    calls: list[tuple[str, object]] = field(default_factory=list)  # (method, argument) as they arrive
    stock_calls: list[list[StockUpdate]] = field(default_factory=list)
    shipments: list[ShipmentConfirmation] = field(default_factory=list)  # every confirmation received
    shipment_errors: dict[str, tuple[str, bool]] = field(
        default_factory=dict
    )  # order id -> (message, retryable)
    stock_errors: dict[str, tuple[str, bool]] = field(default_factory=dict)
    stock_mode: str = "confirmed"  # or "feed": pending now, results collected later
    feeds: dict[str, list[StockUpdate]] = field(default_factory=dict)
    feeds_processed: bool = True
    feed_error: str = ""  # processed feeds fail as a whole with this message (retryable), like FATAL
    on_push: Callable[[list[StockUpdate]], None] | None = None  # called as each push_stock call arrives
    collect_calls: list[list[str]] = field(default_factory=list)
    # the order download as the test scripts it (e.g. pages read from report documents): when set,
    # ``fetch_orders`` yields what this gives, and ``orders`` is not read
    scripted_pages: Callable[[], Iterator[OrderPage]] | None = None
    fail_fetch_after_pages: int | None = None
    fetch_error: Exception | None = None
    raise_once: dict[str, Exception] = field(default_factory=dict)  # method name -> error
    failed_records: list[FailedRecord] = field(default_factory=list)  # served once, on the first page
    swallow_shipments: bool = False  # take the confirmation, then fail the call (a timeout after delivery)
    closed: int = 0  # how many times a connector of this account was closed
    opened: int = 0  # connectors built for the account
    listing_refs: dict[str, ListingRefs] = field(default_factory=dict)  # SKU -> the channel's references
    # the refresh token the channel accepts now (a rotating channel hands out a new one)
    refresh_token: str = GOOD_CREDENTIALS["refresh_token"]
    rotate_every: int = 0  # a new refresh token with every n-th token exchange (0: never rotates)
    exchanges: int = 0  # refresh-token exchanges made (an access token cached across runs saves them)

    @classmethod
    def of(cls, account) -> FakeChannel:
        return _channels.setdefault(account.pk if hasattr(account, "pk") else account, cls())

    @classmethod
    def reset(cls) -> None:
        _channels.clear()

    @classmethod
    def every(cls) -> list[FakeChannel]:
        """The channel state of every account a test touched."""
        return list(_channels.values())

    def add_order(self, order: ChannelOrder) -> None:
        """A new order, or a new version of one (it is listed again after the newest cursor)."""
        self.sequence += 1
        self.orders[order.external_order_id] = (self.sequence, order)

    def order(self, order_id: str) -> ChannelOrder:
        return self.orders[order_id][1]

    def cancel_order(self, order_id: str) -> None:
        self.add_order(replace(self.order(order_id), status=ChannelOrderStatus.CANCELLED))

    @property
    def updates(self) -> list[StockUpdate]:
        return [update for call in self.stock_calls for update in call]

    def _raise_once(self, method: str) -> None:
        error = self.raise_once.pop(method, None)
        if error is not None:
            raise error


def of(account) -> FakeChannel:
    return FakeChannel.of(account)


def reset() -> None:
    FakeChannel.reset()


def seeded_order(n: int, sku: str) -> ChannelOrder:
    when = datetime(2026, 11, 20, tzinfo=UTC) + timedelta(minutes=n)
    order_id = f"P-{n:05d}"
    return ChannelOrder(
        external_order_id=order_id,
        status=ChannelOrderStatus.UNSHIPPED,
        purchased_at=when,
        last_updated_at=when,
        lines=(ChannelOrderLine(external_line_id=f"{order_id}-1", channel_sku=sku, quantity=1),),
        buyer_name=f"Buyer {n}",
    )


class FakeConnector(ConnectorLifecycle):
    """The whole ``ChannelConnector`` protocol over ``FakeChannel.of(config.account_id)``."""

    channel = "fake"
    max_stock_batch = 500
    capabilities = ChannelCapabilities()  # declares nothing special

    def __init__(self, config: AccountConfig):
        self.config = config
        self.state = FakeChannel.of(config.account_id)
        self.state.opened += 1
        seed = int(config.options.get("fake_orders", 0))
        if seed and not self.state.orders:
            for n in range(seed):
                self.state.add_order(seeded_order(n, config.options.get("fake_sku", "SKU-1")))
        if "fake_delay" in config.options:
            self.state.delay = float(config.options["fake_delay"])

    # lifecycle: a connector is a context manager (ConnectorLifecycle); closing releases its clients
    def close(self) -> None:
        self.state.closed += 1

    def _authenticate(self) -> None:
        """Like a real channel: the app's credentials and the current refresh token are checked, and
        exchanged for an access token kept in the account's token cache until it expires."""
        for key, good in {**GOOD_CREDENTIALS, "refresh_token": self.state.refresh_token}.items():
            if self.config.credentials.get(key) != good:
                raise AuthFailed(
                    f"The channel refused the {key.replace('_', ' ')}: check it and paste it again",
                    status=401,
                )
        if self.config.token_cache.get("access"):
            return
        state = self.state
        state.exchanges += 1
        token = f"access-{state.exchanges}"
        self.config.token_cache.set("access", token, expires_at=datetime.now(UTC) + timedelta(hours=1))
        if state.rotate_every and state.exchanges % state.rotate_every == 0:
            state.refresh_token = f"refresh-{state.exchanges}"  # the old one no longer works
            self.config.credentials_changed({"refresh_token": state.refresh_token})

    def check(self, *, orders_since: datetime | None) -> CheckResult:
        self.state.calls.append(("check", orders_since))
        self._authenticate()
        waiting = self.state.orders_waiting
        return CheckResult(
            ok=True,
            message="Credentials accepted",
            marketplaces=self.state.marketplaces,
            orders_waiting=len(self.state.orders) if waiting is None else waiting,
        )

    def fetch_orders(self, *, cursor: str | None, since: datetime | None) -> Iterator[OrderPage]:
        state = self.state
        state.calls.append(("fetch_orders", cursor))
        self._authenticate()
        state._raise_once("fetch_orders")
        if state.fetch_error is not None:
            raise state.fetch_error
        if state.scripted_pages is not None:
            yield from state.scripted_pages()
            return
        after = int(cursor) if cursor else 0
        rows = sorted((seq, order) for seq, order in state.orders.values() if seq > after)
        failed, state.failed_records = tuple(state.failed_records), []
        if not rows:
            yield OrderPage(orders=(), next_cursor=None, failed=failed, done=True)
            return
        pages = [rows[i : i + state.page_size] for i in range(0, len(rows), state.page_size)]
        for number, page in enumerate(pages, start=1):
            if state.fail_fetch_after_pages is not None and number > state.fail_fetch_after_pages:
                state.fail_fetch_after_pages = None
                raise Transient("the connection dropped half-way (injected)")
            if state.delay:
                time.sleep(state.delay)
            yield OrderPage(
                orders=tuple(order for _, order in page),
                next_cursor=str(page[-1][0]),
                failed=failed if number == 1 else (),
                done=number == len(pages),
            )

    def confirm_shipments(self, shipments: Sequence[ShipmentConfirmation]) -> list[WriteOutcome]:
        state = self.state
        state.calls.append(("confirm_shipments", len(shipments)))
        self._authenticate()
        state._raise_once("confirm_shipments")
        outcomes = []
        for shipment in shipments:
            failure = state.shipment_errors.get(shipment.external_order_id)
            if failure:
                message, retryable = failure
                outcomes.append(
                    WriteOutcome(shipment.external_order_id, WriteStatus.ERROR, message, retryable=retryable)
                )
                continue
            state.shipments.append(shipment)
            if shipment.external_order_id in state.orders:
                state.add_order(_shipped(state.order(shipment.external_order_id), shipment))
            outcomes.append(
                WriteOutcome(shipment.external_order_id, WriteStatus.CONFIRMED, "", submission_ref="req-1")
            )
        if state.swallow_shipments:
            state.swallow_shipments = False
            raise Transient("timed out waiting for the answer (injected)")
        return outcomes

    def push_stock(self, updates: Sequence[StockUpdate]) -> list[WriteOutcome]:
        state = self.state
        state.calls.append(("push_stock", len(updates)))
        self._authenticate()
        state._raise_once("push_stock")
        state.stock_calls.append(list(updates))
        if state.on_push is not None:
            state.on_push(list(updates))
        outcomes = []
        feed_ref = f"FEED-{next(_feed_numbers)}" if state.stock_mode == "feed" else ""
        for update in updates:
            failure = state.stock_errors.get(update.channel_sku)
            if failure:
                outcomes.append(
                    WriteOutcome(update.channel_sku, WriteStatus.ERROR, failure[0], retryable=failure[1])
                )
            elif feed_ref:
                state.feeds.setdefault(feed_ref, []).append(update)
                outcomes.append(
                    WriteOutcome(update.channel_sku, WriteStatus.PENDING, "", submission_ref=feed_ref)
                )
            else:
                state.quantities[update.channel_sku] = update.quantity
                outcomes.append(
                    WriteOutcome(update.channel_sku, WriteStatus.CONFIRMED, "", quantity=update.quantity)
                )
        return outcomes

    def collect_stock_results(self, submission_refs: Sequence[str]) -> list[WriteOutcome]:
        state = self.state
        state.calls.append(("collect_stock_results", list(submission_refs)))
        self._authenticate()
        state.collect_calls.append(list(submission_refs))
        outcomes = []
        for ref in submission_refs:
            for update in state.feeds.get(ref, []):
                if not state.feeds_processed:
                    outcomes.append(
                        WriteOutcome(update.channel_sku, WriteStatus.PENDING, "", submission_ref=ref)
                    )
                elif state.feed_error:
                    outcomes.append(
                        WriteOutcome(
                            update.channel_sku,
                            WriteStatus.ERROR,
                            state.feed_error,
                            submission_ref=ref,
                            retryable=True,
                        )
                    )
                else:
                    state.quantities[update.channel_sku] = update.quantity
                    outcomes.append(
                        WriteOutcome(
                            update.channel_sku,
                            WriteStatus.CONFIRMED,
                            "",
                            submission_ref=ref,
                            quantity=update.quantity,
                        )
                    )
        return outcomes

    def list_listings(self) -> Iterator[ChannelListing]:
        state = self.state
        state.calls.append(("list_listings", None))
        self._authenticate()
        if state.listings_error:
            raise Transient(state.listings_error)
        if state.listings is not None:
            yield from state.listings
            return
        for sku, quantity in sorted(state.quantities.items()):
            yield ChannelListing(
                channel_sku=sku, quantity=quantity, refs=state.listing_refs.get(sku, ListingRefs())
            )


def _shipped(order: ChannelOrder, shipment: ShipmentConfirmation) -> ChannelOrder:
    """The order once a package arrived: its lines count the units shipped, and it is shipped when every
    unit has left, else partially shipped."""
    units = {line.external_line_id: line.quantity for line in shipment.lines}
    lines = tuple(
        replace(
            line,
            quantity_shipped=min(line.quantity, line.quantity_shipped + units.get(line.external_line_id, 0)),
        )
        for line in order.lines
    )
    done = all(line.quantity_shipped >= line.quantity for line in lines)
    status = ChannelOrderStatus.SHIPPED if done else ChannelOrderStatus.PARTIALLY_SHIPPED
    return replace(order, lines=lines, status=status)
