"""The proof of issue 15 (item 4): zero oversold units across every channel, as a Hypothesis state machine.

One scarce stock item is listed on two Amazon accounts, one eBay account and one Shopify shop, each
channel its real simulator (local servers, reached over real sockets; set up by the connector contract
suite's harnesses, tests/contract/harness.py). Hypothesis interleaves:

* a **sale** on one account: the buyer buys only what the channel shows (Amazon's shown quantity after
  its propagation delay has passed); either left for a later sync step (it may arrive late) or followed
  at once by the account's sync step (it arrives within the delay),
* **stock adjustments**: units received, units written off (never more than are physically there),
* a buyer's **cancellation** of an order not yet dispatched,
* a **channel fault** on the next call of one account: 5xx, 429 or a lost answer (the channel did it,
  the answer never arrived), on the order download, the stock push or the shipping confirmation,
* a **sync step** of one account (download orders, push stock, confirm shipments; ``sync_account``),
* **dispatching** an order Stockroom holds (the hook sends the confirmation at once),
* a **killed worker**: a sync step interrupted after the journal row was written and the channel was
  called, before the outcome was recorded (``KeyboardInterrupt``, as the kill tests of
  tests/sync/test_simulator_e2e.py do); the journal's in-doubt handling must settle it.

After every step it asserts:

1. **No order lost or duplicated**: every Stockroom order of an account is one the buyer placed there,
   at most once; after a sync step that ended ``ok``, every order placed before it is in Stockroom.
2. **No shipment confirmed twice** on any channel.
3. **No channel was sent more than the rules allow**: every quantity journaled since the last step is
   >= 0 and <= what ``listing_quantities`` (the account's quantity rules and the reserve, ADR 0015)
   allows the listing now.
4. **Units sold never exceed units received** (sold, net of cancellations, plus written off <= received)
   **while the rules' assumptions hold**. The model states them explicitly, per sale; a sale is within
   them when, at the moment the buyer buys,

   a. every earlier sale on the other accounts has reached Stockroom (the order delay is within the
      bound the reserve measured: here the simulators' clocks run ahead of Stockroom's, so the measured
      delay is 0 and the reserve holds nothing: the bound is "before the next sale elsewhere"), and
   b. the channel shows no more than what the rules allow the listing now (the channel took Stockroom's
      last quantity: a push that failed, was throttled or is still to retry leaves the channel showing an
      older, higher quantity, and a buyer can then oversell: a fault, not a delay).

   A sale outside them switches the check off for the rest of the example (``event`` records how often).

Shopify orders are downloaded by the sync step here (its webhooks have their own end-to-end test).

Examples are few and short by default (``HYPOTHESIS_PROFILE=ci`` runs more and longer); the simulators
are reset through their control APIs and the database is flushed before each example. Sequences that
Hypothesis found and shrank are kept below as plain regression tests.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import F
from hypothesis import HealthCheck, event
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from stockroom.channels.models import ChannelAccount, Listing, ListingStatus, ListingStatusLog
from stockroom.inventory.selectors import available_to_sell
from stockroom.inventory.services import adjust_stock, receive_stock
from stockroom.orders import services as order_services
from stockroom.orders.models import Order
from stockroom.sync import engine
from stockroom.sync.engine import push_stock, send_shipments
from stockroom.sync.models import ChannelWrite, WriteKind
from stockroom.sync.quantities import listing_quantities
from tests.contract.harness import SHIPPING_METHOD, AmazonHarness, EbayHarness, ShopifyHarness

pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNTS = ("Amazon A", "Amazon B", "eBay", "Shopify")
HARNESS_OF = {
    "Amazon A": AmazonHarness,
    "Amazon B": AmazonHarness,
    "eBay": EbayHarness,
    "Shopify": ShopifyHarness,
}
SKU = "SCARCE"

# few and short on this shared machine, and the same sequences on every run (derandomized): the suite
# gives the same answer twice; the ci profile (HYPOTHESIS_PROFILE=ci) explores more, longer and at random
STATEFUL = {
    "default": hypothesis_settings(
        max_examples=4,
        stateful_step_count=12,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    ),
    "ci": hypothesis_settings(
        max_examples=25,
        stateful_step_count=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    ),
}[os.environ.get("HYPOTHESIS_PROFILE", "default")]

_tracking = itertools.count(1)


def note(text: str) -> None:
    """Count ``text`` in Hypothesis' statistics (a no-op in the plain regression tests)."""
    try:
        event(text)
    except InvalidArgument:  # not inside a Hypothesis test
        pass


class WorkerKilled(KeyboardInterrupt):
    """A worker process killed part-way through a sync step."""


@dataclass
class Sale:
    account: str
    order_id: str
    quantity: int
    cancelled: bool = False
    cancelled_after_write: int = 0  # the last journal row when the buyer cancelled
    dispatched: bool = False


@dataclass
class World:
    """What the test function gives the machine: pytest's request (fixtures) and the DB factories."""

    request: pytest.FixtureRequest
    make_item: object
    link: object
    examples: int = 0
    outside: list[int] = field(default_factory=list)


class ZeroOversell(RuleBasedStateMachine):
    def __init__(self, world: World, on_hand: int = 2) -> None:
        super().__init__()
        self.world = world
        world.examples += 1
        call_command("flush", interactive=False, verbosity=0)  # a fresh database for each example
        harnesses = {cls: cls(world.request) for cls in (AmazonHarness, EbayHarness, ShopifyHarness)}
        for harness in harnesses.values():
            harness.control.reset(seed=1)  # the simulators' own state, through their control APIs
        # the harnesses read the simulators' clocks: make them again after the reset
        harnesses = {cls: cls(world.request) for cls in harnesses}
        self.harness = {name: harnesses[HARNESS_OF[name]] for name in ACCOUNTS}
        self.item = world.make_item(SKU, on_hand=on_hand)
        self.account: dict[str, ChannelAccount] = {}
        for name in ACCOUNTS:
            account = self.harness[name].account(name=name)
            self.harness[name].create_listing(account, self.channel_sku(name), 0)
            world.link(account, self.channel_sku(name), self.item)
            self.account[name] = account
        self.received = on_hand
        self.written_off = 0
        self.sales: list[Sale] = []
        self.assumptions_hold = True
        self.checked_writes = 0
        for name in ACCOUNTS:
            run = engine.sync_account(self.account[name], trigger="schedule")
            assert run.status == "ok", run.errors
        self.let_amazon_show()
        # each listing shows what the rules allow: all of it, or at low stock (fewer units than accounts
        # that may each sell one) its share, the shares adding up to what there is
        allowed = self.allowed()
        shown = {name: self.shown(name) for name in ACCOUNTS}
        assert shown == {name: allowed[self.listing(name).pk] for name in ACCOUNTS}
        assert (
            sum(shown.values()) == on_hand
            if on_hand < len(ACCOUNTS)
            else shown == dict.fromkeys(ACCOUNTS, on_hand)
        )
        self.checked_writes = self.last_write()

    # --- helpers ------------------------------------------------------------------------------------
    @staticmethod
    def channel_sku(name: str) -> str:
        return f"{SKU}-{name.replace(' ', '').upper()}"

    def let_amazon_show(self) -> None:
        self.harness["Amazon A"].clock.advance(150)  # past Amazon's listing update delay

    def shown(self, name: str) -> int:
        return self.harness[name].shown_quantity(self.account[name], self.channel_sku(name))

    def listing(self, name: str) -> Listing:
        return Listing.objects.select_related("account").get(account=self.account[name])

    def allowed(self) -> dict[int, int]:
        """listing id -> the quantity the rules and the reserve allow it now."""
        listings = list(Listing.objects.select_related("account").filter(stock_item=self.item))
        return {pk: shown.quantity for pk, shown in listing_quantities(listings).items()}

    @staticmethod
    def last_write() -> int:
        return ChannelWrite.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def physical(self) -> int:
        sold = sum(sale.quantity for sale in self.sales if not sale.cancelled)
        return self.received - self.written_off - sold

    def in_stockroom(self, name: str) -> list[str]:
        return list(
            Order.objects.filter(account=self.account[name]).values_list("external_order_id", flat=True)
        )

    @staticmethod
    def time_passes(seconds: int) -> None:
        """As if ``seconds`` had passed on Stockroom's clock for the quantities channels took: each took it
        that much earlier (what a channel that shows a quantity late shows now, ADR 0015)."""
        earlier = timedelta(seconds=seconds)
        ListingStatusLog.objects.update(created_at=F("created_at") - earlier)
        ListingStatusLog.objects.filter(answered_at__isnull=False).update(
            answered_at=F("answered_at") - earlier
        )

    def reserve_off(self) -> None:
        """Every account shows all that is available (scripted tests of the push itself)."""
        for account in self.account.values():
            ChannelAccount.objects.filter(pk=account.pk).update(
                options={**account.options, "stock_reserve": False}
            )
            account.refresh_from_db()

    def dispatch_order(self, name: str) -> None:
        """Dispatch the account's first sale Stockroom holds open (scripted tests)."""
        sale = next(s for s in self.sales if s.account == name and not s.cancelled and not s.dispatched)
        order = Order.objects.get(account=self.account[name], external_order_id=sale.order_id)
        order_services.process_order(
            order_id=order.pk, tracking_number=f"RM{next(_tracking):08d}GB", shipping_method=SHIPPING_METHOD
        )
        sale.dispatched = True

    def cancel_sale(self, name: str) -> None:
        """The buyer of the account's first open sale cancels it (scripted tests)."""
        sale = next(s for s in self.sales if s.account == name and not s.cancelled and not s.dispatched)
        self.harness[name].cancel_order(self.account[name], sale.order_id)
        sale.cancelled = True
        sale.cancelled_after_write = self.last_write()

    # --- rules --------------------------------------------------------------------------------------
    @rule(name=st.sampled_from(ACCOUNTS), quantity=st.integers(1, 2))
    def sell(self, name, quantity):
        self.let_amazon_show()
        shown = self.shown(name)
        if shown < quantity:
            return  # the buyer buys only what the channel shows
        others_known = all(
            sale.order_id in self.in_stockroom(sale.account) for sale in self.sales if sale.account != name
        )
        allowed = self.allowed()[self.listing(name).pk]
        if not (others_known and shown <= allowed):
            self.assumptions_hold = False
            note("a sale outside the rules' assumptions")
        harness = self.harness[name]
        order_id = harness.place_order(self.account[name], [(self.channel_sku(name), quantity)])
        self.sales.append(Sale(name, order_id, quantity))

    @rule(name=st.sampled_from(ACCOUNTS), quantity=st.integers(1, 2))
    def sell_and_sync(self, name, quantity):
        """A sale that reaches Stockroom within the delay: the account's sync step follows it at once."""
        self.sell(name, quantity)
        self.sync(name)

    @rule(quantity=st.integers(1, 3))
    def receive(self, quantity):
        receive_stock(item=self.item, quantity=quantity)  # the hook pushes at once
        self.received += quantity

    @rule(quantity=st.integers(1, 2))
    def write_off(self, quantity):
        if min(self.physical(), available_to_sell(self.item.pk)) < quantity:
            return  # only units on the shelf and not allocated to an open order can be written off
        adjust_stock(item=self.item, delta=-quantity, reason="written off: damaged")
        self.written_off += quantity

    @precondition(lambda self: any(not s.cancelled and not s.dispatched for s in self.sales))
    @rule(data=st.data())
    def cancel(self, data):
        sale = data.draw(st.sampled_from([s for s in self.sales if not s.cancelled and not s.dispatched]))
        self.harness[sale.account].cancel_order(self.account[sale.account], sale.order_id)
        sale.cancelled = True
        sale.cancelled_after_write = self.last_write()

    @rule(
        name=st.sampled_from(ACCOUNTS),
        operation=st.sampled_from(("orders", "stock", "shipments")),
        fault=st.sampled_from(("5xx", "429", "lost_answer")),
        then_sync=st.booleans(),
    )
    def fault(self, name, operation, fault, then_sync=False):
        """The account's next call of ``operation`` fails; ``then_sync``: its sync step meets it at once."""
        harness, account = self.harness[name], self.account[name]
        if fault == "lost_answer":
            harness.control.set_fault(
                harness.operations[operation], "lost_answer", count=1, seller_id=self.seller(name)
            )
        else:
            harness.fail_next(account, operation, fault)
        if then_sync:
            self.sync(name)

    def seller(self, name: str) -> str:
        harness, account = self.harness[name], self.account[name]
        return harness.shop(account) if isinstance(harness, ShopifyHarness) else account.external_account_id

    @rule(name=st.sampled_from(ACCOUNTS))
    def sync(self, name):
        placed = [sale.order_id for sale in self.sales if sale.account == name]
        run = engine.sync_account(self.account[name], trigger="schedule")
        if run.status == "ok":
            missing = set(placed) - set(self.in_stockroom(name))
            assert not missing, f"a sync of {name} ended ok without orders {missing}"
        self.let_amazon_show()

    @rule(name=st.sampled_from(ACCOUNTS), step=st.sampled_from(("stock", "shipments")))
    def killed_worker(self, name, step):
        """The worker dies after the channel was called, before the outcome is recorded."""
        monkeypatch = pytest.MonkeyPatch()
        target = (
            (push_stock, "_record_stock_outcomes")
            if step == "stock"
            else (
                send_shipments,
                "record_shipment_outcome",
            )
        )

        def killed(*args, **kwargs):
            raise WorkerKilled(f"worker killed after sending {step}")

        monkeypatch.setattr(*target, killed)
        try:
            engine.sync_account(self.account[name], trigger="schedule")
        except WorkerKilled:
            note(f"worker killed in the {step} step")
        finally:
            monkeypatch.undo()

    @precondition(lambda self: any(not s.cancelled and not s.dispatched for s in self.sales))
    @rule(data=st.data())
    def dispatch(self, data):
        known = {
            (order.account.name, order.external_order_id): order
            for order in Order.objects.select_related("account").filter(status="open")
        }
        ready = [
            s for s in self.sales if not s.cancelled and not s.dispatched and (s.account, s.order_id) in known
        ]
        if not ready:
            return
        sale = data.draw(st.sampled_from(ready))
        order_services.process_order(
            order_id=known[(sale.account, sale.order_id)].pk,
            tracking_number=f"RM{next(_tracking):08d}GB",
            shipping_method=SHIPPING_METHOD,
        )
        sale.dispatched = True

    def check(self) -> None:
        """Every invariant, as Hypothesis runs them after each step (for the plain regression tests)."""
        self.no_order_lost_or_duplicated()
        self.no_shipment_confirmed_twice()
        self.no_channel_sent_more_than_the_rules_allow()
        self.no_channel_shows_more_than_stockroom_confirmed()
        self.units_sold_never_exceed_units_received()

    # --- invariants ---------------------------------------------------------------------------------
    @invariant()
    def no_order_lost_or_duplicated(self):
        for name in ACCOUNTS:
            placed = {sale.order_id for sale in self.sales if sale.account == name}
            held = self.in_stockroom(name)
            assert len(held) == len(set(held)), f"{name}: an order twice in Stockroom: {sorted(held)}"
            assert set(held) <= placed, f"{name}: orders nobody placed: {set(held) - placed}"

    @invariant()
    def no_shipment_confirmed_twice(self):
        for name in ACCOUNTS:
            confirmed = self.harness[name].confirmations_received(self.account[name])
            assert len(confirmed) == len(set(confirmed)), f"{name} confirmed twice: {confirmed}"

    @invariant()
    def no_channel_sent_more_than_the_rules_allow(self):
        """Every write is a quantity of 0 or more, and the last write of each listing in a step, what the
        channel is left showing when buyers next come, is within what the rules allow now. An earlier
        write of the same step may have been right for what Stockroom knew then and superseded in the
        same push (a stale answer from the shop imports its sale, and the push sends less to all)."""
        allowed = self.allowed()
        writes = list(
            ChannelWrite.objects.filter(kind=WriteKind.STOCK, pk__gt=self.checked_writes).order_by("pk")
        )
        last = {}
        for write in writes:
            assert write.payload["quantity"] >= 0, (write.key, write.payload)
            last[write.listing_id] = write
        for write in last.values():
            quantity = write.payload["quantity"]
            assert quantity <= allowed[write.listing_id], (write.key, quantity, allowed, write.payload)
        if writes:
            self.checked_writes = writes[-1].pk

    @invariant()
    def no_channel_shows_more_than_stockroom_confirmed(self):
        """A channel whose last write Stockroom recorded as confirmed shows at most that quantity, plus
        the units its buyers cancelled since (the channel gives those back to its listing by itself; less
        through its own sales): a write the channel did not apply must not be taken as confirmed."""
        self.let_amazon_show()
        for name in ACCOUNTS:
            listing = self.listing(name)
            if listing.status == ListingStatus.CONFIRMED:
                confirmed = (
                    ChannelWrite.objects.filter(listing=listing, kind=WriteKind.STOCK, status="confirmed")
                    .order_by("-pk")
                    .values_list("pk", flat=True)
                    .first()
                    or 0
                )
                given_back = sum(
                    sale.quantity
                    for sale in self.sales
                    if sale.account == name and sale.cancelled and sale.cancelled_after_write >= confirmed
                )
                shown = self.shown(name)
                assert shown <= listing.last_confirmed_quantity + given_back, (
                    f"{name} shows {shown}, Stockroom recorded {listing.last_confirmed_quantity} as confirmed"
                    f" and buyers cancelled {given_back} since"
                )

    @invariant()
    def units_sold_never_exceed_units_received(self):
        if self.assumptions_hold:
            assert self.physical() >= 0, (self.received, self.written_off, self.sales)


@pytest.fixture
def world(request, make_item, link, settings):
    settings.STOCKROOM_SYNC_HOOKS_ENABLED = True  # as in production: a stock change pushes at once
    settings.STOCKROOM_SYNC_IN_DOUBT_GRACE_SECONDS = 0  # a write in doubt is settled at the next step
    return World(request, make_item, link)


def test_no_interleaving_of_sales_faults_and_kills_oversells_loses_or_duplicates(world):
    run_state_machine_as_test(lambda: ZeroOversell(world), settings=STATEFUL)
    assert world.examples >= 1


def test_faults_a_lost_answer_and_killed_workers_on_every_channel_lose_and_duplicate_nothing(world):
    """A fixed sequence through every kind of step, each channel meeting a fault (a plain test that runs
    by default, beside the random ones)."""
    machine = ZeroOversell(world, on_hand=6)
    steps = [
        lambda: machine.fault("eBay", "orders", "5xx", then_sync=True),  # the sale waits on eBay
        lambda: machine.sell("eBay", 1),
        lambda: machine.sync("eBay"),
        lambda: machine.fault("Amazon A", "orders", "5xx"),
        lambda: machine.sell_and_sync("Amazon A", 1),  # its order download fails: the order arrives later
        lambda: machine.sync("Amazon A"),
        lambda: machine.fault("Shopify", "stock", "429"),
        lambda: machine.sell_and_sync("Amazon B", 1),  # Shopify's push is throttled and retried
        lambda: machine.sync("Shopify"),
        lambda: machine.receive(2),
        lambda: machine.killed_worker("eBay", "stock"),
        lambda: machine.sync("eBay"),
        lambda: machine.dispatch_order("Amazon A"),
        lambda: machine.fault("Amazon B", "shipments", "lost_answer"),
        lambda: machine.dispatch_order("Amazon B"),  # Amazon took it; its answer was lost
        lambda: machine.sync("Amazon B"),
        lambda: machine.killed_worker("Shopify", "shipments"),
        lambda: machine.sell_and_sync("Shopify", 1),
        lambda: machine.dispatch_order("Shopify"),
        lambda: machine.sync("Shopify"),
        lambda: machine.write_off(2),
        lambda: machine.cancel_sale("eBay"),
        lambda: machine.sync("eBay"),
    ]
    for step in steps:
        step()
        machine.check()
    for name in ACCOUNTS:
        machine.sync(name)
        machine.check()

    assert machine.assumptions_hold
    assert {name: len(machine.in_stockroom(name)) for name in ACCOUNTS} == {
        "Amazon A": 1,
        "Amazon B": 1,
        "eBay": 1,
        "Shopify": 1,
    }
    assert sorted(
        name for name in ACCOUNTS if machine.harness[name].confirmations_received(machine.account[name])
    ) == ["Amazon A", "Amazon B", "Shopify"]
    # 6 + 2 received, 2 written off, 3 sold and not cancelled: 3 left, fewer than the 4 accounts that may
    # each sell one before the others hear of it. Every channel shows what the rules allow: the reserve
    # shares the 3 units out, one account shows 0 ...
    machine.let_amazon_show()
    allowed = machine.allowed()
    assert {name: machine.shown(name) for name in ACCOUNTS} == {
        name: allowed[machine.listing(name).pk] for name in ACCOUNTS
    }
    assert sum(allowed.values()) <= 3
    # ... and once Amazon's last quantities show (two minutes on Stockroom's clock too), what buyers can
    # see adds up to what there is
    machine.time_passes(150)
    for name in ACCOUNTS:
        machine.sync(name)
        machine.check()
    machine.let_amazon_show()
    allowed = machine.allowed()
    assert {name: machine.shown(name) for name in ACCOUNTS} == {
        name: allowed[machine.listing(name).pk] for name in ACCOUNTS
    }
    assert sorted(allowed.values()) == [0, 1, 1, 1]


def test_regression_a_shopify_write_equal_to_an_earlier_one_is_applied_not_replayed(world):
    """Found by the state machine (shrunk): Shopify's stock write carried an idempotency key made from its
    payload alone, so a later write of the same quantity from the same quantity (1 -> 0 twice) was taken
    by Shopify as a replay of the first and not applied, yet recorded as confirmed: the shop kept showing
    a unit Stockroom no longer had."""
    machine = ZeroOversell(world, on_hand=1)
    for step in (
        lambda: machine.write_off(1),  # every channel: 1 -> 0
        lambda: machine.receive(2),  # 0 -> 2
        lambda: machine.sell_and_sync("Shopify", 1),  # the shop shows 1 by itself; the others 1
        lambda: machine.write_off(1),  # 1 -> 0 again: the same write as the first
    ):
        step()
        machine.check()
    assert machine.shown("Shopify") == 0


def test_regression_a_channel_gives_a_cancelled_unit_back_to_its_listing_by_itself(world):
    """Found by the state machine (shrunk): Amazon puts a cancelled order's unit back on its listing at once,
    before Stockroom has heard of the cancellation; the channel then shows more than Stockroom last sent.
    Not an oversell (the unit is back), so the model allows it, and the next sync agrees."""
    machine = ZeroOversell(world, on_hand=2)
    # 2 units for 4 accounts: the reserve shares them out, Amazon A and Amazon B show one each
    assert {name: machine.shown(name) for name in ACCOUNTS} == {
        "Amazon A": 1,
        "Amazon B": 1,
        "eBay": 0,
        "Shopify": 0,
    }
    machine.sell_and_sync("Amazon A", 1)
    machine.check()
    assert (machine.shown("Amazon A"), machine.listing("Amazon A").last_confirmed_quantity) == (0, 0)
    machine.cancel_sale("Amazon A")
    machine.check()
    assert machine.shown("Amazon A") == 1
    machine.sync("Amazon A")
    machine.check()
    assert Order.objects.get(account=machine.account["Amazon A"]).status == "cancelled"
    machine.let_amazon_show()
    allowed = machine.allowed()
    assert {name: machine.shown(name) for name in ACCOUNTS} == {
        name: allowed[machine.listing(name).pk] for name in ACCOUNTS
    }
    assert sum(allowed.values()) == 2


def test_regression_a_write_superseded_in_the_same_push_is_judged_by_the_last_one(world):
    """Found by the state machine on PostgreSQL: a write-off pushes what Stockroom knows (1 available);
    the shop answers stale (it sold a unit Stockroom has not imported), the push imports that sale and
    sends 0 to every listing. The first writes were right when computed and superseded at once."""
    machine = ZeroOversell(world, on_hand=0)
    machine.reserve_off()  # the push is judged here, not the reserve's shares
    machine.receive(3)
    machine.sell("Amazon A", 1)
    machine.cancel_sale("Amazon A")
    machine.sell("Shopify", 1)
    machine.check()
    first = machine.checked_writes

    machine.write_off(2)

    writes = ChannelWrite.objects.filter(kind=WriteKind.STOCK, pk__gt=first).order_by("pk")
    assert [(w.payload["channel_sku"], w.payload["quantity"]) for w in writes] == [
        ("SCARCE-AMAZONA", 1),
        ("SCARCE-AMAZONB", 1),
        ("SCARCE-EBAY", 1),
        ("SCARCE-SHOPIFY", 1),
        ("SCARCE-AMAZONA", 0),
        ("SCARCE-AMAZONB", 0),
        ("SCARCE-EBAY", 0),
        ("SCARCE-SHOPIFY", 0),
    ]
    machine.check()
    machine.let_amazon_show()
    assert {name: machine.shown(name) for name in ACCOUNTS} == dict.fromkeys(ACCOUNTS, 0)
