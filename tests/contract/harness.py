"""What the connector contract suite needs from a channel, one harness per channel.

A harness plays the channel's side of the contract tests (tests/contract/test_contract.py): it makes
Stockroom accounts that talk to the channel (its simulator, started through the simulators' pytest
plugin ``stockroom/sandbox/pytest_plugin.py``, or the in-memory fake of tests/fake_channel.py), acts as
a buyer (places and cancels orders), holds listings, shows quantities as the channel shows them,
injects faults and counts the writes the channel received. The tests drive Stockroom itself (the
sync engine and the services); a harness never calls the connector.

Adding a channel to the suite: one ``Harness`` subclass here and one line in ``HARNESSES``. See
tests/contract/README.md.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta

import pytest

from stockroom.channels.contracts import RateLimited, Transient
from stockroom.channels.models import ChannelAccount, ShippingMethodMapping
from stockroom.connectors.amazon import client as amazon_client
from stockroom.connectors.amazon import connector as amazon_connector
from stockroom.connectors.ebay import connector as ebay_connector
from stockroom.connectors.shopify import connector as shopify_connector
from stockroom.orders.models import ShippingMethod
from tests import fake_channel
from tests.conftest import channel_order
from tests.testchannel import channel as testchannel

SHIPPING_METHOD = "Contract courier"  # mapped on every harness account
_accounts = itertools.count(1)

# what a test may make fail, and how: the write (or read) of the channel, then the kind of failure
OPERATIONS = ("orders", "shipments", "stock")
FAULTS = ("5xx", "429")


class Harness:
    """The channel's side of the contract tests; one instance per test (``request`` gives it fixtures)."""

    channel: str  # the registry key of the connector under test
    page_size: int  # how many orders one page of the channel's order download holds
    # a fragment of what the seller reads when the channel refuses an account's credentials
    auth_failed_message: str

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.request = request
        self.settings = request.getfixturevalue("settings")

    # --- accounts -----------------------------------------------------------------------------------
    def account(self, *, credentials_ok: bool = True, name: str | None = None) -> ChannelAccount:
        """A Stockroom account of this channel (stock updates on, the shipping method mapped); with
        ``credentials_ok=False`` one whose secret the channel refuses."""
        account = self._create_account(name or f"Contract {self.channel} {next(_accounts)}", credentials_ok)
        ShippingMethod.objects.get_or_create(name=SHIPPING_METHOD)
        ShippingMethodMapping.objects.create(
            account=account,
            shipping_method=SHIPPING_METHOD,
            carrier_code="Royal Mail",
            ship_method="Tracked 48",
        )
        return account

    def fix_credentials(self, account: ChannelAccount) -> None:
        """Put the credentials the channel accepts on an account made with ``credentials_ok=False``."""
        raise NotImplementedError

    def _create_account(self, name: str, credentials_ok: bool) -> ChannelAccount:
        raise NotImplementedError

    # --- the buyer and the channel ------------------------------------------------------------------
    def create_listing(self, account: ChannelAccount, sku: str, quantity: int) -> None:
        raise NotImplementedError

    def place_order(self, account: ChannelAccount, lines: list[tuple[str, int]]) -> str:
        """A buyer orders ``lines`` (channel SKU, quantity) of listed SKUs; returns the channel's order id.
        The order is visible to the next order download."""
        return self.place_orders(account, [lines])[0]

    def place_orders(self, account: ChannelAccount, orders: list[list[tuple[str, int]]]) -> list[str]:
        raise NotImplementedError

    def cancel_order(self, account: ChannelAccount, order_id: str) -> None:
        """The buyer cancels; the next order download sees the order again, cancelled."""
        raise NotImplementedError

    def later(self) -> None:
        """Let the channel's time pass, so what it was sent shows (quantities, shipped orders) and an
        injected fault is over."""

    def shown_quantity(self, account: ChannelAccount, sku: str) -> int:
        """The listing's quantity as the channel shows it to buyers."""
        raise NotImplementedError

    # --- faults and counts --------------------------------------------------------------------------
    def fail_next(self, account: ChannelAccount, operation: str, fault: str) -> None:
        """The connector's next call for ``operation`` (see OPERATIONS) fails as a whole with ``fault``
        (a server error, "5xx", or throttling, "429"), retries included."""
        raise NotImplementedError

    def confirmations_received(self, account: ChannelAccount) -> list[str]:
        """The order id of every shipping confirmation the channel accepted, in order."""
        raise NotImplementedError

    def stock_writes(self, account: ChannelAccount) -> int:
        """How many quantity writes (requests carrying quantities) reached the channel."""
        raise NotImplementedError


class FakeHarness(Harness):
    """The in-memory fake channel of tests/fake_channel.py."""

    channel = "fake"
    page_size = 3
    auth_failed_message = "The channel refused the client secret: check it and paste it again"

    def __init__(self, request: pytest.FixtureRequest) -> None:
        super().__init__(request)
        request.getfixturevalue("fake_connector_registered")

    def _create_account(self, name: str, credentials_ok: bool) -> ChannelAccount:
        credentials = dict(fake_channel.GOOD_CREDENTIALS)
        if not credentials_ok:
            credentials["client_secret"] = "not-the-secret"
        account = ChannelAccount.objects.create(
            channel=self.channel,
            name=name,
            external_account_id=f"FAKE{next(_accounts)}",
            region="eu",
            marketplaces=["UK"],
            options={"inventory_update": True},
            credentials=credentials,
        )
        fake_channel.of(account).page_size = self.page_size
        return account

    def fix_credentials(self, account: ChannelAccount) -> None:
        account.credentials = dict(fake_channel.GOOD_CREDENTIALS)
        account.save()

    def create_listing(self, account: ChannelAccount, sku: str, quantity: int) -> None:
        fake_channel.of(account).quantities[sku] = quantity

    def place_orders(self, account: ChannelAccount, orders: list[list[tuple[str, int]]]) -> list[str]:
        state = fake_channel.of(account)
        ids = []
        for lines in orders:
            unknown = [sku for sku, _ in lines if sku not in state.quantities]
            assert not unknown, f"no listing for {unknown} on the channel"
            order = channel_order(lines=tuple(lines), purchased_at=datetime.now(UTC) - timedelta(minutes=5))
            state.add_order(order)
            ids.append(order.external_order_id)
        return ids

    def cancel_order(self, account: ChannelAccount, order_id: str) -> None:
        fake_channel.of(account).cancel_order(order_id)

    def later(self) -> None:
        for state in fake_channel.FakeChannel.every():
            state.raise_once.clear()

    def shown_quantity(self, account: ChannelAccount, sku: str) -> int:
        return fake_channel.of(account).quantities[sku]

    def fail_next(self, account: ChannelAccount, operation: str, fault: str) -> None:
        method = {"orders": "fetch_orders", "shipments": "confirm_shipments", "stock": "push_stock"}[
            operation
        ]
        error = {
            "5xx": Transient("the channel answered 503 Service Unavailable (injected)", status=503),
            "429": RateLimited("the channel is throttling requests (injected)", retry_after=1.0, status=429),
        }[fault]
        fake_channel.of(account).raise_once[method] = error

    def confirmations_received(self, account: ChannelAccount) -> list[str]:
        return [shipment.external_order_id for shipment in fake_channel.of(account).shipments]

    def stock_writes(self, account: ChannelAccount) -> int:
        return len(fake_channel.of(account).stock_calls)


class SimulatorHarness(Harness):
    """A channel played by its simulator: faults go through the simulator's control API (``self.control``)."""

    control: object  # the simulator's control client, reset for the test by the simulators' plugin
    operations: dict[str, str]  # contract operation -> the simulator's operation name
    faults = {"5xx": "http_503", "429": "http_429"}
    attempts = 1  # how many times the connector tries one call: every attempt fails

    def fail_next(self, account: ChannelAccount, operation: str, fault: str) -> None:
        self.control.set_fault(
            self.operations[operation],
            self.faults[fault],
            count=self.attempts,
            seller_id=account.external_account_id,
        )

    def later(self) -> None:
        self.control.clear_faults()  # faults not drawn (a call not retried) are over


class SimulatedTime:
    """A simulator's clock as Stockroom's client's clock: a client that waits for a rate-limit token
    advances it instead of sleeping. Running (the real clock plus the seconds the test advanced it by)
    or, for a simulator whose clock is frozen, moving only when advanced."""

    def __init__(self, control, *, frozen: bool = False) -> None:
        self.control = control
        self.frozen = frozen
        now = datetime.fromisoformat(control.clock()["now"].replace("Z", "+00:00")).timestamp()
        self.offset = now if frozen else now - time.time()

    @property
    def now(self) -> float:
        return self.monotonic()

    def monotonic(self) -> float:
        return self.offset + (0.0 if self.frozen else time.time())

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.control.advance_clock(seconds)
        self.offset += seconds

    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.monotonic(), UTC)


class AmazonHarness(SimulatorHarness):
    """Amazon SP-API through the Amazon simulator (a real local server, the plugin's ``amazon_sim``)."""

    channel = "amazon"
    page_size = 100  # searchOrders' maxResultsPerPage as the connector asks for it
    auth_failed_message = "Amazon refused the app's LWA client id or client secret (invalid_client)"
    marketplace = "A1F83G8C2ARO7P"
    # the SP-API operation each contract operation calls
    operations = {"orders": "searchOrders", "shipments": "v0.confirmShipment", "stock": "patchListingsItem"}
    attempts = 3  # the connector's client tries each call up to three times

    def __init__(self, request: pytest.FixtureRequest) -> None:
        super().__init__(request)
        self.simulator = request.getfixturevalue("amazon_simulator")
        self.control = request.getfixturevalue("amazon_sim")
        self.sellers: dict[int, dict] = {}
        # Stockroom's Amazon client keeps time (rate buckets, "now" of its order windows) on the
        # simulator's clock, so the time the harness lets pass (``later``) passes for both sides.
        self.clock = SimulatedTime(self.control)
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setattr(amazon_client, "_SHARED_LIMITER", amazon_client.RateLimiter(self.clock))
        monkeypatch.setattr(amazon_connector, "_now", self.clock.moment)

    def _create_account(self, name: str, credentials_ok: bool) -> ChannelAccount:
        seller = self.control.create_seller(
            f"A{next(_accounts):04d}CONTRACT", marketplaces=[self.marketplace]
        )
        credentials = {key: seller[key] for key in ("client_id", "client_secret", "refresh_token")}
        if not credentials_ok:
            credentials["client_secret"] = "not-the-secret"
        since = datetime.now(UTC) - timedelta(hours=1)
        account = ChannelAccount.objects.create(
            channel=self.channel,
            name=name,
            external_account_id=seller["seller_id"],
            region="eu",
            marketplaces=["UK"],
            options={"inventory_update": True, "download_orders_since": since.strftime("%Y-%m-%dT%H:%M:%SZ")},
            credentials=credentials,
            endpoint=self.simulator.base_url,
            token_url=self.simulator.token_url,
        )
        self.sellers[account.pk] = seller
        return account

    def fix_credentials(self, account: ChannelAccount) -> None:
        seller = self.sellers[account.pk]
        account.credentials = {key: seller[key] for key in ("client_id", "client_secret", "refresh_token")}
        account.save()

    def create_listing(self, account: ChannelAccount, sku: str, quantity: int) -> None:
        self.control.create_listing(account.external_account_id, sku, quantity=quantity)

    def place_orders(self, account: ChannelAccount, orders: list[list[tuple[str, int]]]) -> list[str]:
        placed = self.control.place_orders(
            account.external_account_id,
            [
                {
                    "marketplace_id": self.marketplace,
                    "items": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
                    "status": "Unshipped",
                    "force": True,
                }
                for lines in orders
            ],
        )
        self.clock.advance(180)  # Amazon lists a new order about two minutes after it was placed
        return [order["order_id"] for order in placed]

    def cancel_order(self, account: ChannelAccount, order_id: str) -> None:
        self.control.cancel_order(account.external_account_id, order_id)
        self.clock.advance(180)  # listed as updated once it is two minutes old, like a new order

    def later(self) -> None:
        super().later()
        self.clock.advance(180)  # past the listing update delay, the order listing delay, a rate bucket

    def shown_quantity(self, account: ChannelAccount, sku: str) -> int:
        return self.control.get_listing(account.external_account_id, sku)["quantity"]

    def confirmations_received(self, account: ChannelAccount) -> list[str]:
        return [
            order["order_id"]
            for order in self.control.orders(account.external_account_id)
            for shipment in order["shipments"]
            if shipment["via"] == "confirmShipment"
        ]

    def stock_writes(self, account: ChannelAccount) -> int:
        stats = self.control.stats().get(account.external_account_id, {})
        return sum(
            stats.get(operation, {}).get("calls", 0) - stats.get(operation, {}).get("faults", 0)
            for operation in ("patchListingsItem", "createFeed")
        )


class TestStoreHarness(Harness):
    """The test channel of tests/testchannel (a web shop written only for the tests) through its simulator,
    registered by its one line."""

    __test__ = False
    channel = "teststore"
    page_size = 3  # the account's order_page_size option
    auth_failed_message = "Test Store refused the API key"
    operations = {"orders": "listOrders", "shipments": "createFulfillment", "stock": "setStock"}
    faults = {"5xx": "http_503", "429": "http_429"}

    def __init__(self, request: pytest.FixtureRequest) -> None:
        super().__init__(request)
        testchannel.register(self.settings)
        self.control = testchannel.simulator_control(
            request.getfixturevalue("simulators"), request.getfixturevalue("simulator_options")
        )
        self.shops: dict[int, dict] = {}

    def shop(self, account: ChannelAccount) -> str:
        return self.shops[account.pk]["shop"]

    def _create_account(self, name: str, credentials_ok: bool) -> ChannelAccount:
        shop = self.control.create_shop(f"contract{next(_accounts)}")
        account = ChannelAccount.objects.create(
            channel=self.channel,
            name=name,
            external_account_id=f"{shop['shop']}.teststore.test",
            options={"inventory_update": True, "order_page_size": self.page_size},
            credentials={"api_key": shop["api_key"] if credentials_ok else "tsk_not-the-key"},
            endpoint=self.control.base_url,
        )
        self.shops[account.pk] = shop
        return account

    def fix_credentials(self, account: ChannelAccount) -> None:
        account.credentials = {"api_key": self.shops[account.pk]["api_key"]}
        account.save()

    def create_listing(self, account: ChannelAccount, sku: str, quantity: int) -> None:
        self.control.create_product(self.shop(account), sku, quantity=quantity)

    def place_orders(self, account: ChannelAccount, orders: list[list[tuple[str, int]]]) -> list[str]:
        return [self.control.place_order(self.shop(account), lines)["id"] for lines in orders]

    def cancel_order(self, account: ChannelAccount, order_id: str) -> None:
        self.control.cancel_order(self.shop(account), order_id)

    def later(self) -> None:
        self.control.clear_faults()

    def shown_quantity(self, account: ChannelAccount, sku: str) -> int:
        return self.control.product(self.shop(account), sku)["quantity"]

    def fail_next(self, account: ChannelAccount, operation: str, fault: str) -> None:
        # the connector does not retry: one failing call fails the operation
        self.control.set_fault(
            self.operations[operation], self.faults[fault], count=1, seller_id=self.shop(account)
        )

    def confirmations_received(self, account: ChannelAccount) -> list[str]:
        return [
            order["id"] for order in self.control.orders(self.shop(account)) for _ in order["fulfillments"]
        ]

    def stock_writes(self, account: ChannelAccount) -> int:
        stats = self.control.stats().get(self.shop(account), {}).get("setStock", {})
        return stats.get("calls", 0) - stats.get("faults", 0)


class EbayHarness(SimulatorHarness):
    """eBay's Sell Fulfillment and Sell Inventory APIs through the eBay simulator (the plugin's ``ebay_sim``)."""

    channel = "ebay"
    page_size = 3  # the account's order_page_size option
    auth_failed_message = "eBay refused the app's client id or client secret (invalid_client)"
    operations = {
        "orders": "getOrders",
        "shipments": "createShippingFulfillment",
        "stock": "bulkUpdatePriceQuantity",
    }

    def __init__(self, request: pytest.FixtureRequest) -> None:
        super().__init__(request)
        self.simulator = request.getfixturevalue("ebay_simulator")
        self.control = request.getfixturevalue("ebay_sim")
        self.sellers: dict[int, dict] = {}
        self.clock = SimulatedTime(self.control)  # the connector's "now" is the simulator's
        request.getfixturevalue("monkeypatch").setattr(ebay_connector, "_now", self.clock.moment)

    def _credentials(self, seller: dict) -> dict:
        return {key: seller[key] for key in ("client_id", "client_secret", "ru_name", "refresh_token")}

    def _create_account(self, name: str, credentials_ok: bool) -> ChannelAccount:
        seller = self.control.create_seller(f"contract_{next(_accounts)}")
        credentials = self._credentials(seller)
        if not credentials_ok:
            credentials["client_secret"] = "not-the-secret"
        since = self.clock.moment() - timedelta(hours=1)
        account = ChannelAccount.objects.create(
            channel=self.channel,
            name=name,
            external_account_id=seller["user_id"],
            marketplaces=["EBAY_GB"],
            options={
                "inventory_update": True,
                "order_page_size": self.page_size,
                "download_orders_since": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            credentials=credentials,
            endpoint=self.simulator.base_url,
        )
        self.sellers[account.pk] = seller
        return account

    def fix_credentials(self, account: ChannelAccount) -> None:
        account.credentials = self._credentials(self.sellers[account.pk])
        account.save()

    def user(self, account: ChannelAccount) -> str:
        return account.external_account_id

    def create_listing(self, account: ChannelAccount, sku: str, quantity: int) -> None:
        self.control.create_listing(self.user(account), sku, quantity=quantity)

    def place_orders(self, account: ChannelAccount, orders: list[list[tuple[str, int]]]) -> list[str]:
        placed = []
        for lines in orders:
            placed.append(self.control.place_order(self.user(account), lines)["order_id"])
            self.clock.advance(1)  # each order a second apart: a stable newest-first order
        return placed

    def cancel_order(self, account: ChannelAccount, order_id: str) -> None:
        self.control.cancel_order(self.user(account), order_id)
        self.clock.advance(1)

    def later(self) -> None:
        super().later()
        self.clock.advance(5)

    def shown_quantity(self, account: ChannelAccount, sku: str) -> int:
        return self.control.listing(self.user(account), sku)["quantity"]

    def confirmations_received(self, account: ChannelAccount) -> list[str]:
        return [
            order["order_id"]
            for order in self.control.orders(self.user(account))
            for _ in order["fulfillments"]
        ]

    def stock_writes(self, account: ChannelAccount) -> int:
        stats = self.control.stats().get(self.user(account), {}).get("bulkUpdatePriceQuantity", {})
        return stats.get("calls", 0) - stats.get("faults", 0)


class ShopifyHarness(SimulatorHarness):
    """A seller's own Shopify shop through the Shopify simulator (a real local server, the plugin's
    ``shopify_sim``): the Admin GraphQL API with an admin token; the buyer orders through /_sim/."""

    channel = "shopify"
    page_size = 3  # the connector's ORDER_PAGE_SIZE, made small for the test
    auth_failed_message = "Shopify refused the Admin API access token"
    # the root field of the document each contract operation sends
    operations = {"orders": "orders", "shipments": "fulfillmentCreate", "stock": "inventorySetQuantities"}
    faults = {"5xx": "http_503", "429": "throttled"}

    def __init__(self, request: pytest.FixtureRequest) -> None:
        super().__init__(request)
        self.simulator = request.getfixturevalue("shopify_simulator")
        self.control = request.getfixturevalue("shopify_sim")
        request.getfixturevalue("monkeypatch").setattr(shopify_connector, "ORDER_PAGE_SIZE", self.page_size)
        self.shops: dict[int, dict] = {}

    def shop(self, account: ChannelAccount) -> str:
        return self.shops[account.pk]["shop"]

    def _create_account(self, name: str, credentials_ok: bool) -> ChannelAccount:
        shop = self.control.create_shop(f"contract{next(_accounts)}")
        since = datetime.now(UTC) - timedelta(hours=1)
        account = ChannelAccount.objects.create(
            channel=self.channel,
            name=name,
            external_account_id=shop["shop"],
            options={"inventory_update": True, "download_orders_since": since.strftime("%Y-%m-%dT%H:%M:%SZ")},
            credentials={
                "access_token": shop["access_token"] if credentials_ok else "shpat_not-the-token",
                "client_secret": shop["client_secret"],
            },
            endpoint=self.simulator.shop_endpoint(shop["shop"]),
        )
        self.shops[account.pk] = shop
        return account

    def fix_credentials(self, account: ChannelAccount) -> None:
        shop = self.shops[account.pk]
        account.credentials = {"access_token": shop["access_token"], "client_secret": shop["client_secret"]}
        account.save()

    def create_listing(self, account: ChannelAccount, sku: str, quantity: int) -> None:
        self.control.create_variant(self.shop(account), sku, quantity=quantity)

    def place_orders(self, account: ChannelAccount, orders: list[list[tuple[str, int]]]) -> list[str]:
        return [self.control.place_order(self.shop(account), lines)["id"] for lines in orders]

    def cancel_order(self, account: ChannelAccount, order_id: str) -> None:
        self.control.cancel_order(self.shop(account), order_id)

    def later(self) -> None:
        super().later()
        self.control.advance_clock(30)  # the cost bucket refills

    def shown_quantity(self, account: ChannelAccount, sku: str) -> int:
        return self.control.variant(self.shop(account), sku)["available"]

    def fail_next(self, account: ChannelAccount, operation: str, fault: str) -> None:
        self.control.set_fault(
            self.operations[operation], self.faults[fault], count=1, seller_id=self.shop(account)
        )

    def confirmations_received(self, account: ChannelAccount) -> list[str]:
        return [
            order["id"] for order in self.control.orders(self.shop(account)) for _ in order["fulfillments"]
        ]

    def stock_writes(self, account: ChannelAccount) -> int:
        stats = self.control.stats().get(self.shop(account), {}).get("inventorySetQuantities", {})
        return stats.get("calls", 0) - stats.get("faults", 0) - stats.get("throttled", 0)


# Every channel the contract suite runs against: a new channel is one harness class and one line here.
HARNESSES: list[type[Harness]] = [FakeHarness, AmazonHarness, TestStoreHarness, EbayHarness, ShopifyHarness]
