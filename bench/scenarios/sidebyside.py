"""Side by side (issue 15, item 5): Stockroom and three simple full-sync clients, each given the same
stream of sales on freshly reset simulators with the same listings: two Amazon sellers (the Amazon
simulator), one eBay seller (the eBay simulator) and one Shopify shop (the Shopify simulator), every SKU
listed on all four.

The stream (``make_stream``, seed 15): ``seconds`` stream-seconds of orders, one every ``every`` seconds
on average (uniform random moments), each on one of the four accounts at random; 1-3 lines of distinct
SKUs, 1 unit each, a line in ten of 2 units. Of the S SKUs, ``scarce`` have 2 units, the others 40-60.
A buyer orders only what the channel shows at that moment: Amazon and Shopify refuse an order for more
(409), on eBay the buyer reads the listing first; a refused order is counted and not placed.

The clients:
1. **Stockroom**: ``stockroom serve`` (gunicorn and the Huey worker) in its own processes, at time scale
   1 (real time: its worker runs on the wall clock); Amazon ORDER_CHANGE notifications through moto's SQS
   server on both Amazon accounts (the simulator's 5 s notification delay), Shopify webhooks to the
   server, eBay and Amazon polled by the periodic sync (every 60 s); Amazon's real rate limits and its
   120 s delay before a submitted quantity shows; quantity rules at their defaults (the reserve on).
   Before the stream, Stockroom pushes what every listing should show (its reserve may show less than
   the stock of a scarce SKU) with Amazon's delay set to 0 for that push only, so it shows at once.
   At size tiny the engine runs in the bench process instead (orders read from the queue and by one
   sync after the stream; the Amazon clock moved past its 2-minute rule): a smoke test, times not
   meaningful.
2. **Linnworks-like**: a full sync every 10 minutes; 3. **Sellbrite-like**: every 15 minutes;
4. **Odoo/ERPNext-like**: hourly. ``FullSyncClient``: every interval it downloads each account's new
   orders since its last sync, computes available = stock - units sold, and sends the quantity of every
   listing to every account (no reserve): Amazon one JSON_LISTINGS_FEED per account, eBay
   bulkUpdatePriceQuantity in groups of 25, Shopify inventorySetQuantities for all variants. It talks
   to the simulators over HTTP through Stockroom's connectors (their wire calls only: no sync engine,
   no reserve, no database); it does not read feed results back (a real tool would: more calls). Its
   first sync is before the stream, and the simulators' clocks are moved on until its feeds show on
   Amazon (as Stockroom's set-up push is made to show); then it syncs at every interval from the
   stream's start, and after the stream's end on until it has seen every order (at least one sync
   after the end, at most 3: Amazon lists an order whose status changed in the last 2 minutes only
   to the next sync); then the clocks are moved on 400 s (Amazon's feed processing and its 120 s
   delay). Stockroom's run drains until every order is in it and nothing waits to be pushed (at most
   ``drain`` s), then waits for Amazon's delay and its feeds.

Time. The competitors' runs do not wait in real time: the simulators' clocks (time scale 1) are moved
forward together (``advance_clock``) from event to event (an order, a sync), and the connectors' rate
limiters wait by moving them too, so an hourly sync over a long stream takes minutes. Amazon's
2-minute searchOrders rule, its visibility delay, its feed processing and every rate limit run on that
simulated time. Stockroom's run is in real time on the same stream (same D). Every time below is in
the simulators' seconds (= real seconds for Stockroom).

Measured per client, from the simulators' own records:
- oversold units, order by order: every account's sales against the stock there was
  (``propagation.oversold_by_order``), whether or not the client saw the order;
- refused orders (the channel showed too few);
- sale -> every OTHER account's listing of its SKUs shows no more than was left after it (the true
  stock: units at the start less every account's sales up to it), p50/p95/max
  (``propagation.order_propagation``); Amazon listings from their quantity history at the moment they
  show (after the delay; ``propagation.split_history``); eBay and Shopify, which keep no history, are
  read through their control APIs after every order and sync of a competitor's run and every second
  in Stockroom's (a change is seen up to 1 s late there). Orders whose other listings already showed
  no more need no push and are counted apart; "never": still showing more at the end;
- API calls each simulator counted from the stream's start to the end (the set-up push and the
  competitors' sync before the stream not counted), and its 429 answers;
- each competitor's ratio to Stockroom: oversold units, the p95, the API calls.
"""

from __future__ import annotations

import contextlib
import random
import subprocess
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.data import MARKETPLACE_UK, link_listings, make_account, make_items, metric
from bench.scenarios.propagation import (
    Listing,
    _parse_time,
    _settled,
    _stop,
    order_propagation,
    oversold_by_order,
    split_history,
)
from bench.scenarios.shopify_webhooks import _answers, start_serve
from bench.stats import percentile

NAME = "sidebyside"
TITLE = "side by side"
DEFAULT_REPEAT = 1
NEEDS_DB = True
SIZES = {
    # tiny: a smoke test; Stockroom's engine in-process, times not meaningful
    "tiny": {"skus": 6, "scarce": 2, "seconds": 12, "every": 1.0, "drain": 0, "worker": False},
    # quick: five minutes of orders (Stockroom in real time), about 15 minutes in all
    "quick": {"skus": 40, "scarce": 6, "seconds": 300, "every": 2.0, "drain": 300, "worker": True},
    # full: half an hour of orders, the 10-minute client syncs three times within it
    "full": {"skus": 100, "scarce": 10, "seconds": 1800, "every": 2.0, "drain": 420, "worker": True},
}
SEED = 15
SCARCE_ON_HAND = 2
ACCOUNTS = ("Amazon A", "Amazon B", "eBay", "Shopify")
SELLERS = {"Amazon A": "A0SIDEBYSIDEA", "Amazon B": "A0SIDEBYSIDEB"}
EBAY_USER = "sidebyside_ebay"
SHOP = "sidebyside"
COMPETITORS = (("Linnworks-like", 600), ("Sellbrite-like", 900), ("Odoo/ERPNext-like", 3600))
STOCKROOM = "Stockroom"
SHOW_AFTER = 400.0  # after a competitor's last sync: Amazon's feed processing and its visibility delay
SAMPLE_EVERY = 1.0
RETRIES = 5  # a full-sync tool's tries of one step (an account's download or push) within one sync
THROTTLED_WAIT = 30.0  # seconds it waits after a throttled answer before trying again
MAX_DRAIN = 3  # syncs after the stream's end, at the most, for a full-sync tool to see every order


@dataclass(frozen=True)
class Sale:
    at: float  # stream seconds from the stream's start
    account: str
    lines: tuple[tuple[str, int], ...]


def make_stream(size: dict, seed: int = SEED) -> tuple[list[str], dict[str, int], list[Sale]]:
    """The SKUs, their units at the start and the sales, the same for every client."""
    rng = random.Random(seed)
    skus = [f"SBS-{n:04d}" for n in range(size["skus"])]
    start = {sku: SCARCE_ON_HAND if n < size["scarce"] else rng.randint(40, 60) for n, sku in enumerate(skus)}
    count = max(1, round(size["seconds"] / size["every"]))
    moments = sorted(rng.uniform(0, size["seconds"]) for _ in range(count))
    sales = [
        Sale(
            round(at, 3),
            rng.choice(ACCOUNTS),
            tuple((sku, 2 if rng.random() < 0.1 else 1) for sku in rng.sample(skus, rng.randint(1, 3))),
        )
        for at in moments
    ]
    return skus, start, sales


class RealTime:
    """Stockroom's run: the wall clock (the simulators run at time scale 1, not moved)."""

    def now(self) -> float:
        return time.time()

    def until(self, at: float) -> None:
        time.sleep(max(0.0, at - time.time()))


class MovedTime:
    """A competitor's run: the three simulators' clocks (time scale 1), moved forward together. Also the
    Amazon connector's rate-limit clock: waiting for a token moves the simulators instead of sleeping."""

    def __init__(self, controls) -> None:
        self.controls = controls
        self.ahead = 0.0

    def now(self) -> float:
        return time.time() + self.ahead

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)

    def advance(self, seconds: float) -> None:
        for control in self.controls:
            control.advance_clock(seconds)
        self.ahead += seconds

    def until(self, at: float) -> None:
        if at > self.now():
            self.advance(at - self.now())

    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)


class Shops:
    """The four accounts on the three simulators: set-up, the buyer, and what they recorded."""

    def __init__(self, amazon, ebay, shopify) -> None:
        self.amazon_sim, self.ebay_sim, self.shopify_sim = amazon, ebay, shopify
        self.amazon, self.ebay, self.shopify = amazon.control(), ebay.control(), shopify.control()
        self._readers = (ebay.control(), shopify.control())  # the sampler's own clients (a thread)
        self._lock = threading.Lock()
        self.samples: dict[str, dict[str, list[tuple[float, int]]]] = {}
        self.delay = 0.0
        self.shop: dict = {}
        self.ebay_seller: dict = {}
        self.sellers: dict[str, dict] = {}

    def controls(self):
        return (self.amazon, self.ebay, self.shopify)

    def close(self) -> None:
        for control in (*self.controls(), *self._readers):
            control.close()

    def reset(self, skus: list[str], start: dict[str, int], **amazon_settings) -> None:
        for n, control in enumerate(self.controls()):
            control.reset(seed=SEED + n)
        self.amazon.configure(**amazon_settings)
        self.delay = float(self.amazon.configure()["listing_update_delay_seconds"])
        self.ebay.configure(daily_quotas={"fulfillment": 10**6, "inventory": 10**6})
        for name, seller in SELLERS.items():
            self.sellers[name] = self.amazon.create_seller(seller, marketplaces=[MARKETPLACE_UK])
            for sku in skus:
                self.amazon.create_listing(seller, sku, quantity=start[sku])
        self.ebay_seller = self.ebay.create_seller(EBAY_USER)
        self.shop = self.shopify.create_shop(SHOP)
        for sku in skus:
            self.ebay.create_listing(EBAY_USER, sku, quantity=start[sku])
            self.shopify.create_variant(self.shop["shop"], sku, quantity=start[sku])
        self.samples = {"eBay": {}, "Shopify": {}}

    # --- the buyer ---------------------------------------------------------------------------------
    def place(self, sale: Sale) -> bool:
        """The buyer orders ``sale`` if the channel shows enough of every line; False when refused."""
        from stockroom.sandbox.common.process import SimulatorError

        try:
            if sale.account in SELLERS:
                self.amazon.place_order(
                    SELLERS[sale.account],
                    marketplace_id=MARKETPLACE_UK,
                    items=[{"sku": sku, "quantity": units} for sku, units in sale.lines],
                )
            elif sale.account == "Shopify":
                self.shopify.place_order(self.shop["shop"], list(sale.lines))
            else:
                if any(self.ebay.listing(EBAY_USER, sku)["quantity"] < units for sku, units in sale.lines):
                    return False
                self.ebay.place_order(EBAY_USER, list(sale.lines))
        except SimulatorError as error:
            if error.status != 409:
                raise
            return False
        return True

    # --- what they recorded ------------------------------------------------------------------------
    def sample(self, at: float) -> None:
        """Read every eBay and Shopify listing; record the changes at ``at``."""
        ebay, shopify = self._readers
        with self._lock:
            shown = {
                "eBay": {row["sku"]: row["quantity"] for row in ebay.listings(EBAY_USER)},
                "Shopify": {row["sku"]: row["available"] for row in shopify.variants(self.shop["shop"])},
            }
            for account, quantities in shown.items():
                for sku, quantity in quantities.items():
                    timeline = self.samples[account].setdefault(sku, [])
                    if not timeline or timeline[-1][1] != quantity:
                        timeline.append((at, quantity))

    def sales(self) -> list[tuple[float, str, str, int, str]]:
        """(created at, order id, SKU, units, account) of every order the simulators took."""
        rows = []
        for name, seller in SELLERS.items():
            for order in self.amazon.orders(seller):
                if order["status"] != "Canceled":
                    rows += [
                        (_parse_time(order["created_at"]), order["order_id"], i["sku"], i["quantity"], name)
                        for i in order["items"]
                    ]
        # the eBay control view has no creation time: an order nobody shipped or cancelled was last
        # modified when it was placed
        for order in self.ebay.orders(EBAY_USER):
            if not order.get("cancelled"):
                rows += [
                    (_parse_time(order["last_modified"]), order["order_id"], i["sku"], i["quantity"], "eBay")
                    for i in order["lines"]
                ]
        for order in self.shopify.orders(self.shop["shop"]):
            if not order.get("cancelled_at"):
                rows += [
                    (_parse_time(order["created_at"]), str(order["id"]), i["sku"], i["quantity"], "Shopify")
                    for i in order["lines"]
                ]
        return rows

    def timelines(self, start: dict[str, int]) -> dict[str, dict[str, Listing]]:
        """Every account's listings: what they showed over time (Amazon: once visible, and applied)."""
        found: dict[str, dict[str, Listing]] = {}
        for name, seller in SELLERS.items():
            found[name] = {
                row["sku"]: Listing(
                    start[row["sku"]], *split_history(row["history"], delay=self.delay, offset=0)
                )
                for row in self.amazon.listings(seller)
            }
        for name, by_sku in self.samples.items():
            found[name] = {sku: Listing(start[sku], rows, rows) for sku, rows in by_sku.items()}
        return found

    def amazon_settled(self) -> bool:
        """No feed still processing, no quantity waiting to show, on either Amazon account."""
        for seller in SELLERS.values():
            if any(f["status"] not in ("DONE", "CANCELLED", "FATAL") for f in self.amazon.feeds(seller)):
                return False
            if any(row["pending_updates"] for row in self.amazon.listings(seller)):
                return False
        return True

    def calls(self) -> dict[str, tuple[int, int]]:
        """channel -> (API calls, 429 answers) the simulator counted, every account and operation."""
        counted = {}
        for channel, control in zip(("amazon", "ebay", "shopify"), self.controls(), strict=True):
            ops = [op for account in control.stats().values() for op in account.values()]
            counted[channel] = (
                sum(op.get("calls", 0) for op in ops),
                sum(op.get("throttled", 0) for op in ops),
            )
        return counted


@dataclass
class Outcome:
    """One client's run, measured."""

    placed: int = 0
    refused: int = 0
    oversold: int = 0
    oversold_orders: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    visible: list[float] = field(default_factory=list)
    applied: list[float] = field(default_factory=list)  # Amazon: when it took the quantity (feed done)
    never: list[str] = field(default_factory=list)  # the first orders whose other listings never came down
    calls: dict[str, int] = field(default_factory=dict)
    throttled: dict[str, int] = field(default_factory=dict)
    syncs: int = 0
    note: str = ""


def measure(
    shops: Shops, start: dict[str, int], before: dict[str, tuple[int, int]], outcome: Outcome
) -> None:
    """Oversold units, sale -> other listings, calls: from the simulators' records."""
    sales = shops.sales()
    over = oversold_by_order([(at, oid, sku, units) for at, oid, sku, units, _ in sales], start)
    outcome.oversold, outcome.oversold_orders = sum(over.values()), len(over)
    timelines = shops.timelines(start)
    sold: Counter = Counter()
    orders: dict[str, tuple[float, str, list[tuple[str, int]]]] = {}
    for at, oid, sku, units, account in sorted(sales, key=lambda row: row[0]):
        sold[sku] += units
        orders.setdefault(oid, (at, account, []))[2].append((sku, max(start[sku] - sold[sku], 0)))
    for at, account, left in orders.values():
        needs = [
            (timelines[other].get(sku) or Listing(start[sku], [], []), available)
            for sku, available in left
            for other in ACCOUNTS
            if other != account
        ]
        kind, applied, visible = order_propagation(at, needs)
        outcome.kinds[kind] = outcome.kinds.get(kind, 0) + 1
        if visible is not None:
            outcome.visible.append(visible)
        if applied is not None:
            outcome.applied.append(applied)
        if kind == "never" and len(outcome.never) < 3:
            outcome.never.append(_above(account, left, timelines))
    after = shops.calls()
    outcome.calls = {channel: after[channel][0] - before[channel][0] for channel in after}
    outcome.throttled = {channel: after[channel][1] - before[channel][1] for channel in after}


def _above(account: str, left: list[tuple[str, int]], timelines) -> str:
    """Which other listings still showed more than was left at the end, for an order on ``account``."""
    shown = []
    for sku, available in left:
        for other in ACCOUNTS:
            listing = timelines[other].get(sku)
            last = listing.visible[-1][1] if listing and listing.visible else None
            if other != account and last is not None and last > available:
                shown.append(f"{other} shows {last} of {sku} ({available} left)")
    return f"order on {account}: " + ", ".join(shown)


def replay(shops: Shops, sales: list[Sale], clock, began: float, outcome: Outcome) -> None:
    """The buyers of ``sales``, each at its moment from ``began`` on ``clock``."""
    for sale in sales:
        clock.until(began + sale.at)
        if shops.place(sale):
            outcome.placed += 1
        else:
            outcome.refused += 1


# --- the competitors ---------------------------------------------------------------------------------
@contextlib.contextmanager
def connectors_on(clock: MovedTime):
    """The connectors' "now" is the simulators' moved clock for the run (restored after)."""
    from stockroom.connectors.amazon import connector as amazon
    from stockroom.connectors.ebay import connector as ebay
    from stockroom.connectors.shopify import connector as shopify

    saved = [(module, module._now) for module in (amazon, ebay, shopify)]
    for module, _ in saved:
        module._now = clock.moment
    try:
        yield
    finally:
        for module, now in saved:
            module._now = now


class FullSyncClient:
    """A tool that syncs everything every ``interval`` seconds: new orders from every account, then the
    quantity of every listing (stock - units sold, all of it shown) to every account."""

    def __init__(self, shops: Shops, skus: list[str], start: dict[str, int], clock: MovedTime) -> None:
        from stockroom.channels.contracts import AccountConfig

        self.skus, self.start, self.clock = skus, start, clock
        self.sold: Counter = Counter()
        self.seen: set[tuple[str, str]] = set()
        self.cursors: dict[str, str] = {}
        self.since = clock.moment() - timedelta(minutes=5)
        self.syncs = 0
        self.throttled_waits = 0  # a step throttled by the channel, waited out and tried again
        self.gave_up = 0  # steps still throttled after RETRIES tries: left to the next sync
        amazon = [
            AccountConfig(
                account_id=n + 1,
                name=name,
                external_account_id=seller,
                region="eu",
                marketplaces=(MARKETPLACE_UK,),
                credentials={
                    k: shops.sellers[name][k] for k in ("client_id", "client_secret", "refresh_token")
                },
                options={"patch_threshold": 0},  # always one JSON_LISTINGS_FEED
                endpoint=shops.amazon_sim.base_url,
                token_url=shops.amazon_sim.token_url,
            )
            for n, (name, seller) in enumerate(SELLERS.items())
        ]
        ebay = AccountConfig(
            account_id=3,
            name="eBay",
            external_account_id=EBAY_USER,
            region="",
            marketplaces=("EBAY_GB",),
            credentials={
                k: shops.ebay_seller[k] for k in ("client_id", "client_secret", "ru_name", "refresh_token")
            },
            options={"order_page_size": 200},
            endpoint=shops.ebay_sim.base_url,
        )
        shopify = AccountConfig(
            account_id=4,
            name="Shopify",
            external_account_id=shops.shop["shop"],
            region="",
            marketplaces=(),
            credentials={
                "access_token": shops.shop["access_token"],
                "client_secret": shops.shop["client_secret"],
            },
            options={"inventory_update": True},
            endpoint=shops.shopify_sim.shop_endpoint(shops.shop["shop"]),
        )
        self.configs = {"Amazon A": amazon[0], "Amazon B": amazon[1], "eBay": ebay, "Shopify": shopify}

    def _connector(self, name: str):
        from stockroom.connectors.amazon.connector import AmazonConnector
        from stockroom.connectors.ebay.connector import EbayConnector
        from stockroom.connectors.shopify.connector import ShopifyConnector

        config = self.configs[name]
        if name in SELLERS:
            return AmazonConnector(config, clock=self.clock)
        return (EbayConnector if name == "eBay" else ShopifyConnector)(config)

    def sync(self) -> None:
        from stockroom.channels.contracts import StockUpdate

        for name in ACCOUNTS:
            self._patiently(self._download, name)
        updates = [StockUpdate(sku, max(self.start[sku] - self.sold[sku], 0)) for sku in self.skus]
        for name in ACCOUNTS:
            self._patiently(self._push, name, updates)
        self.syncs += 1

    def _download(self, name: str) -> None:
        with self._connector(name) as connector:
            for page in connector.fetch_orders(cursor=self.cursors.get(name), since=self.since):
                for order in page.orders:
                    if (name, order.external_order_id) in self.seen:
                        continue
                    self.seen.add((name, order.external_order_id))
                    for line in order.lines:
                        self.sold[line.channel_sku] += line.quantity
                if page.next_cursor is not None:
                    self.cursors[name] = page.next_cursor

    def _push(self, name: str, updates) -> None:
        with self._connector(name) as connector:
            for n in range(0, len(updates), connector.max_stock_batch):
                connector.push_stock(updates[n : n + connector.max_stock_batch])

    def _patiently(self, step, *args) -> None:
        waits, done = patiently(self.clock, step, *args)
        self.throttled_waits += waits
        self.gave_up += not done


def patiently(clock, step, *args) -> tuple[int, bool]:
    """``step(*args)``, waiting out a channel's throttling as a tool's client would, on the simulators'
    clock (Shopify's cost bucket refills 50 points a second): (throttled answers waited out, done).
    Still throttled after RETRIES tries: not done, left to the next sync."""
    from stockroom.channels.contracts import RateLimited

    waits = 0
    for _ in range(RETRIES):
        try:
            step(*args)
        except RateLimited as error:
            waits += 1
            clock.advance(max(float(error.retry_after or 0), THROTTLED_WAIT))
        else:
            return waits, True
    return waits, False


def run_competitor(shops: Shops, interval: float, skus, start, sales, seconds: float) -> Outcome:
    shops.reset(skus, start)
    clock = MovedTime(shops.controls())
    outcome = Outcome()
    with connectors_on(clock):
        client = FullSyncClient(shops, skus, start, clock)
        client.sync()  # before the stream: the listings as the tool shows them (all stock) ...
        clock.advance(SHOW_AFTER)  # ... showing on Amazon too, before the first sale
        began = clock.now()
        shops.sample(began)
        before = shops.calls()
        last_sync = int(seconds // interval) + MAX_DRAIN
        placed = 0
        k = 1
        # a sync every interval; once the stream is over, until the tool has seen every order (Amazon
        # lists an order changed in the last 2 minutes only at the next sync), MAX_DRAIN at the most
        while placed < len(sales) or (len(client.seen) < outcome.placed and k <= last_sync):
            due = began + k * interval
            while placed < len(sales) and began + sales[placed].at < due:
                clock.until(began + sales[placed].at)
                if shops.place(sales[placed]):
                    outcome.placed += 1
                    if sales[placed].account in ("eBay", "Shopify"):
                        shops.sample(clock.now())
                else:
                    outcome.refused += 1
                placed += 1
            clock.until(due)
            client.sync()
            shops.sample(clock.now())
            k += 1
        clock.advance(SHOW_AFTER)
        shops.sample(clock.now())
        outcome.syncs = client.syncs - 1
        outcome.note = f"{client.throttled_waits} steps throttled and tried again, {client.gave_up} given up"
        measure(shops, start, before, outcome)
    return outcome


# --- Stockroom ---------------------------------------------------------------------------------------
def _set_stock(item_ids: list[int], skus: list[str], start: dict[str, int]) -> None:
    from stockroom.inventory.models import StockLevel, StockMovement

    for item_id, sku in zip(item_ids, skus, strict=True):
        StockLevel.objects.filter(item_id=item_id).update(on_hand=start[sku])
        StockMovement.objects.filter(item_id=item_id).update(quantity=start[sku], on_hand_after=start[sku])


def _stockroom_accounts(shops: Shops, sqs, skus, start):  # noqa: ANN202 - Django models
    from stockroom.channels.models import ChannelAccount
    from stockroom.channels.models import Listing as ChannelListing
    from stockroom.sync.engine.download_orders import ORDERS_STREAM
    from stockroom.sync.models import SyncCursor

    item_ids = make_items(len(skus), on_hand=60, prefix="SBS")
    _set_stock(item_ids, skus, start)
    since = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    accounts = {}
    for name, seller in SELLERS.items():
        queue = sqs.create_queue(f"sidebyside-{seller.lower()}")
        account = make_account(
            name,
            seller_id=seller,
            endpoint=shops.amazon_sim.base_url,
            token_url=shops.amazon_sim.token_url,
            order_notifications=True,
            notification_queue_url=queue,
        )
        account.credentials = {
            **{k: shops.sellers[name][k] for k in ("client_id", "client_secret", "refresh_token")},
            "aws_access_key_id": "local",
            "aws_secret_access_key": "local",
        }
        account.save()
        SyncCursor.objects.update_or_create(
            account=account, stream=ORDERS_STREAM, defaults={"value": datetime.now(UTC).isoformat()}
        )
        accounts[name] = account
    accounts["eBay"] = ChannelAccount.objects.create(
        channel="ebay",
        name="eBay",
        external_account_id=EBAY_USER,
        marketplaces=["EBAY_GB"],
        endpoint=shops.ebay_sim.base_url,
        options={"download_orders_since": since},
        credentials={
            k: shops.ebay_seller[k] for k in ("client_id", "client_secret", "ru_name", "refresh_token")
        },
    )
    accounts["Shopify"] = ChannelAccount.objects.create(
        channel="shopify",
        name="Shopify",
        external_account_id=shops.shop["shop"],
        options={"inventory_update": True, "download_orders_since": since},
        credentials={
            "access_token": shops.shop["access_token"],
            "client_secret": shops.shop["client_secret"],
        },
        endpoint=shops.shopify_sim.shop_endpoint(shops.shop["shop"]),
    )
    for account in accounts.values():
        link_listings(account, item_ids, skus, status="confirmed")
    for sku in skus:
        ChannelListing.objects.filter(channel_sku=sku).update(last_confirmed_quantity=start[sku])
    return accounts


def _sampler(shops: Shops, stop: threading.Event) -> None:
    while not stop.wait(SAMPLE_EVERY):
        with contextlib.suppress(Exception):  # a sample missed is a second later, not a failed run
            shops.sample(time.time())


def run_stockroom(shops: Shops, size: dict, skus, start, sales) -> Outcome:
    from django.conf import settings

    from stockroom.orders.models import Order
    from stockroom.sandbox.common.process import free_port
    from stockroom.sandbox.common.sqs import SqsServer
    from stockroom.sync import accounts as account_services
    from stockroom.sync import engine
    from stockroom.sync.engine import pushed_orders

    outcome = Outcome()
    with SqsServer() as sqs:
        shops.reset(skus, start, sqs_endpoint_url=sqs.endpoint_url)
        delay = shops.delay
        accounts = _stockroom_accounts(shops, sqs, skus, start)
        pushed_orders.keep_subscriptions()
        # the listings as Stockroom shows them (the reserve), showing at once: Amazon's delay off for it
        shops.amazon.configure(listing_update_delay_seconds=0)
        for account in accounts.values():
            engine.sync_account(account, trigger="manual", steps=("stock",), all_listings=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not shops.amazon_settled():
            time.sleep(1)
        shops.amazon.configure(listing_update_delay_seconds=delay)
        server = log = None
        stop = threading.Event()
        sampler = threading.Thread(target=_sampler, args=(shops, stop), daemon=True)
        try:
            if size["worker"]:
                port = free_port()
                server, log = start_serve(port)
                deadline = time.monotonic() + 90
                while not (server.poll() is None and _answers(port)):
                    if time.monotonic() > deadline:
                        raise RuntimeError("stockroom serve did not start: see serve.log")
                    time.sleep(0.2)
                settings.STOCKROOM_PUBLIC_URL = f"http://127.0.0.1:{port}"
                check = account_services.check_account(accounts["Shopify"])
                if not check.ok:
                    raise RuntimeError(check.message)
            began = time.time() + 1
            shops.sample(began - 0.5)
            before = shops.calls()
            sampler.start()
            replay(shops, sales, RealTime(), began, outcome)
            if size["worker"]:
                deadline = time.time() + size["drain"]
                while time.time() < deadline and not _settled(outcome.placed):
                    time.sleep(2)
                # what Amazon took shows after its delay (a feed after its processing too)
                time.sleep(delay)
                deadline = time.time() + SHOW_AFTER - delay
                while time.time() < deadline and not shops.amazon_settled():
                    time.sleep(2)
            else:
                time.sleep(6)  # the simulator's notification delay
                pushed_orders.receive_pushed_orders(wait_seconds=1)
                shops.amazon.advance_clock(125)
                engine.sync_all(trigger="manual")
                engine.push_changed_stock()
                shops.amazon.advance_clock(delay + 1)
                shops.sample(time.time())
        finally:
            stop.set()
            if sampler.is_alive():
                sampler.join(timeout=10)
            if server is not None:
                _stop(server)
                log.close()
        shops.sample(time.time())
        measure(shops, start, before, outcome)
    imported = Order.objects.filter(account__isnull=False).count()
    outcome.note = f"{imported} of the {outcome.placed} orders placed were in Stockroom at the end"
    return outcome


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "log", "-1", "--format=%h %s"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()[:90]
    except OSError:
        return "?"


def _ratio(theirs: float | None, ours: float | None) -> float | None:
    if theirs is None or ours is None or ours == 0:
        return None
    return round(theirs / ours, 2)


def run(size: dict, repeat: int, *, sim) -> dict:
    from stockroom.sandbox.ebay.process import EbaySimulatorProcess
    from stockroom.sandbox.shopify.process import ShopifySimulatorProcess

    skus, start, sales = make_stream(size)
    outcomes: dict[str, Outcome] = {}
    failed: dict[str, str] = {}
    with EbaySimulatorProcess(seed=SEED) as ebay, ShopifySimulatorProcess(seed=SEED) as shopify:
        shops = Shops(sim, ebay, shopify)
        try:
            outcomes[STOCKROOM] = run_stockroom(shops, size, skus, start, sales)
            for name, interval in COMPETITORS:
                try:
                    outcomes[name] = run_competitor(shops, interval, skus, start, sales, size["seconds"])
                except Exception as error:  # noqa: BLE001 - one client's failure must not lose the others'
                    traceback.print_exc()
                    failed[name] = f"{type(error).__name__}: {error}"[:200]
        finally:
            shops.close()
    ours = outcomes[STOCKROOM]
    ours_p95 = percentile(ours.visible, 95)
    ours_calls = sum(ours.calls.values())
    metrics, table = [], []
    for name, o in outcomes.items():
        p50, p95 = percentile(o.visible, 50), percentile(o.visible, 95)
        worst = max(o.visible) if o.visible else None
        never = o.kinds.get("never", 0) + o.kinds.get("applied, not visible", 0)
        calls, throttled = sum(o.calls.values()), sum(o.throttled.values())
        judged = {"target": "0", "ok": o.oversold == 0} if name == STOCKROOM else {}
        metrics += [
            metric(f"{name}: oversold units", [o.oversold], "units", **judged),
            metric(f"{name}: refused orders", [o.refused], "orders"),
            metric(f"{name}: sale -> other listings p50", o.visible, "s", value=p50),
            metric(f"{name}: sale -> other listings p95", o.visible, "s", value=p95),
            metric(f"{name}: sale -> other listings max", o.visible, "s", value=worst),
            metric(
                f"{name}: sale -> other listings applied p95 (Amazon: took it)",
                o.applied,
                "s",
                value=percentile(o.applied, 95),
            ),
            metric(f"{name}: orders never shown elsewhere", [never], "orders"),
            metric(f"{name}: API calls", [calls], "calls"),
            metric(
                f"{name}: 429 answers",
                [throttled],
                "responses",
                **({"target": "0", "ok": throttled == 0} if name == STOCKROOM else {}),
            ),
        ]
        if name != STOCKROOM:
            metrics += [
                metric(f"{name}: oversold / Stockroom's", [], "x", value=_ratio(o.oversold, ours.oversold)),
                metric(f"{name}: p95 / Stockroom's", [], "x", value=_ratio(p95, ours_p95)),
                metric(f"{name}: API calls / Stockroom's", [], "x", value=_ratio(calls, ours_calls)),
            ]
        table.append(
            {
                "client": name,
                "oversold_units": o.oversold,
                "oversold_orders": o.oversold_orders,
                "orders_placed": o.placed,
                "orders_refused": o.refused,
                "propagation_p50_s": p50,
                "propagation_p95_s": p95,
                "propagation_max_s": worst,
                "applied_p95_s": percentile(o.applied, 95),
                "never_examples": o.never,
                "orders_by_kind": o.kinds,
                "api_calls": o.calls,
                "http_429": o.throttled,
                "full_syncs": o.syncs,
            }
        )
    notes = [
        f"one stream: {len(sales)} orders over {size['seconds']} s on 4 accounts (2 Amazon sellers, eBay, "
        f"Shopify), {len(skus)} SKUs of which {size['scarce']} scarce ({SCARCE_ON_HAND} units), seed {SEED}",
        "competitors' runs on the simulators' clocks moved forward event to event (simulated seconds, "
        "time scale 1 between moves); Stockroom's in real time"
        + ("" if size["worker"] else " (tiny: engine in-process, times not meaningful)"),
        f"Stockroom commit: {_commit()}",
        *(
            f"{row['client']}: placed {row['orders_placed']}, refused {row['orders_refused']}, by kind "
            + ", ".join(f"{k} {v}" for k, v in sorted(row["orders_by_kind"].items()))
            + f"; calls {row['api_calls']}; 429s {row['http_429']}"
            + (
                f"; {row['full_syncs']} full syncs after the one before the stream"
                if row["client"] != STOCKROOM
                else ""
            )
            for row in table
        ),
        *(
            f"{row['client']}: never shown: " + "; ".join(row["never_examples"])
            for row in table
            if row["never_examples"]
        ),
        *(f"{name}: {o.note}" for name, o in outcomes.items()),
        *(f"{name}: not measured, its run failed: {why}" for name, why in failed.items()),
    ]
    return {
        "size": f"{len(sales)} orders over {size['seconds']} s, {len(skus)} SKUs x 4 accounts",
        "metrics": metrics,
        "notes": notes,
        "sidebyside": table,
    }
