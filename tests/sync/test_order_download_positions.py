"""Order download under Amazon's searchOrders rate limit (a burst of 20 pages, then one every 180 s),
through the engine, the real connector and the simulator over HTTP.

The simulator's clock is frozen and moves only when the test (or the client waiting for a rate-limit
token) advances it; the client's rate limiter runs on that clock too, so minutes of sustained polling
take seconds. Orders arrive at 20 a minute, more than a page of 100 per 5 minutes: before positions
within a window, a poll re-read 5 minutes, needed a second page whose token was 180 s away, stopped
rate-limited and read the same first page again on every run, and orders stopped arriving.
"""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from stockroom.channels.models import ChannelAccount
from stockroom.connectors.amazon import client as amazon_client
from stockroom.connectors.amazon import connector as amazon_connector
from stockroom.connectors.amazon import positions
from stockroom.connectors.amazon.mapping import iso_z
from stockroom.connectors.amazon.operations import search_orders
from stockroom.orders.models import Order
from stockroom.sandbox.pytest_plugin import SimulatorOptions
from stockroom.sync import engine
from stockroom.sync.models import SyncCursor
from stockroom.sync.registry import connector_for
from tests.contract.harness import SimulatedTime

UK = "A1F83G8C2ARO7P"
PER_MINUTE = 20
RATE_LIMITED = "orders: rate limited by the channel"
_sellers = itertools.count(1)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def simulator_options():
    return SimulatorOptions(frozen=True)


@pytest.fixture
def clock(control, monkeypatch):
    time = SimulatedTime(control, frozen=True)
    monkeypatch.setattr(amazon_client, "_SHARED_LIMITER", amazon_client.RateLimiter(time))
    monkeypatch.setattr(amazon_connector, "_now", time.moment)
    return time


@pytest.fixture
def account(sim, control, clock):
    seller = control.create_seller(f"A{next(_sellers):04d}POSSELLER", marketplaces=[UK])
    control.create_listing(seller["seller_id"], "SKU-1", quantity=100_000)
    return ChannelAccount.objects.create(
        channel="amazon",
        name="Busy shop",
        external_account_id=seller["seller_id"],
        region="eu",
        marketplaces=["UK"],
        options={
            "download_orders_since": (clock.moment() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        },
        credentials={k: seller[k] for k in ("client_id", "client_secret", "refresh_token")},
        endpoint=sim.base_url,
        token_url=sim.token_url,
    )


class Shop:
    """Places orders at PER_MINUTE over simulated time (each one created at its own second)."""

    def __init__(self, control, account, clock) -> None:
        self.control, self.account, self.clock = control, account, clock
        self.placed: list[str] = []
        self.since = clock.now

    def place_due(self, extra: int = 0) -> None:
        seconds = self.clock.now - self.since
        count = int(seconds * PER_MINUTE / 60) + extra
        if not count:
            return
        created = [self.since + seconds * (n + 1) / count for n in range(count)]
        orders = [
            {
                "marketplace_id": UK,
                "items": [{"sku": "SKU-1", "quantity": 1}],
                "status": "Unshipped",
                "created_at": datetime.fromtimestamp(moment, UTC).isoformat(),
            }
            for moment in created
        ]
        self.placed += [
            o["order_id"] for o in self.control.place_orders(self.account.external_account_id, orders)
        ]
        self.since = self.clock.now

    def search_calls(self) -> int:
        stats = self.control.stats().get(self.account.external_account_id, {}).get("searchOrders", {})
        return stats.get("calls", 0)


def spend_the_burst(account, clock) -> None:
    """Use up searchOrders' burst of 20, as a day of busy polling would."""
    connector = connector_for(account)
    after = iso_z(clock.moment() - timedelta(minutes=3))
    for _ in range(20):
        search_orders(
            connector.client, marketplace_ids=connector._marketplace_ids(), last_updated_after=after
        )
    connector.close()


def test_a_busy_account_keeps_receiving_every_order_once_after_the_burst_is_spent(control, account, clock):
    shop = Shop(control, account, clock)
    spend_the_burst(account, clock)
    assert shop.search_calls() == 20

    calls_per_poll, outcomes, resumed_with_a_token = [], [], 0
    started = clock.now
    for poll in range(45):  # 45 minutes of polling once a minute
        clock.advance(60)
        shop.place_due(extra=150 if poll in (10, 25) else 0)  # two spikes: windows of two pages
        before = shop.search_calls()
        run = engine.sync_account(account, trigger="schedule", steps=("orders",))
        calls_per_poll.append(shop.search_calls() - before)
        # a run either reads or stops on the rate limit, cleanly (its only step: "failed")
        assert run.errors == [] if run.status == "ok" else [e[:35] for e in run.errors] == [RATE_LIMITED]
        outcomes.append(run.status)
        cursor = SyncCursor.objects.filter(account=account, stream="orders").first()
        stored = positions.decode(cursor.value) if cursor else None
        resumed_with_a_token += bool(stored and stored.window and stored.window.token)

    polled_for = clock.now - started
    for _ in range(10):  # orders stop; a few more polls catch up
        clock.advance(60)
        engine.sync_account(account, trigger="schedule", steps=("orders",))

    downloaded = list(Order.objects.filter(account=account).values_list("external_order_id", flat=True))
    assert len(shop.placed) >= 45 * PER_MINUTE + 300  # more: waiting for a token moves the clock too
    assert len(downloaded) == len(set(downloaded))
    assert sorted(downloaded) == sorted(shop.placed)
    # one page per rate-limit token and no more: the limit allows one call every 180 s
    assert max(calls_per_poll) == 1
    assert sum(calls_per_poll) <= polled_for / 180 + 1
    assert resumed_with_a_token >= 2  # each spike left a window part-read, resumed by its token
    stats = control.stats()[account.external_account_id]["searchOrders"]
    assert stats["throttled"] == 0
