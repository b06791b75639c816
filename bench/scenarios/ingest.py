"""Order ingest: Amazon orders of 1-3 lines, from the simulator's searchOrders pages into the order book,
with allocation, the way a sync run does it (``stockroom.sync.engine`` when present).

The simulator's rate limits are switched off here: at searchOrders' real rate (a page of 100 orders per
180 s after a burst of 20) Amazon, not Stockroom, would be measured. That capacity is reported with the
rate over the first and the second half of the orders (flat as the book grows?), beside what one account
can download under Amazon's real limits, computed from searchOrders' usage plan (a run long enough to
measure it would take hours; propagation runs with the limits on and reaches the sustained regime).
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta

from bench.data import link_listings, make_account, make_items, metric, order_specs
from bench.stats import current_rss_mb, median, peak_rss_mb
from stockroom.connectors.amazon.client import OPERATIONS
from stockroom.connectors.amazon.connector import PAGE_SIZE

NAME = "ingest"
TITLE = "order ingest"
DEFAULT_REPEAT = 1
NEEDS_DB = True
SIZES = {
    "tiny": {"orders": 30, "skus": 20},
    "quick": {"orders": 2000, "skus": 500},
    "full": {"orders": 100000, "skus": 2000},
}
TARGET_RATE = 2000
SEARCH_ORDERS = OPERATIONS["searchOrders"]


def _sampler(samples: list, stop: threading.Event, progress) -> None:
    while not stop.wait(0.5):
        samples.append((progress(), current_rss_mb(), time.perf_counter()))


def half_rates(
    samples: list[tuple[int, float]], started: float, ended: float, total: int
) -> tuple[float, float]:
    """Orders per second over the first and the second half of a run's orders: ``samples`` are (orders
    stored, time) taken during the run; the moment the half was reached is interpolated between the
    two samples around it (the run's start and end count as samples of 0 and ``total``)."""
    points = [(0, started), *samples, (total, ended)]
    half = total / 2
    for (done_a, at_a), (done_b, at_b) in zip(points, points[1:], strict=False):
        if done_a <= half <= done_b and done_b > done_a:
            at_half = at_a + (at_b - at_a) * (half - done_a) / (done_b - done_a)
            return half / (at_half - started), (total - half) / (ended - at_half)
    raise ValueError("the samples never reach half of the orders")


def _import_pages(account) -> int:
    """The product's own order download: the engine's orders step, else connector + import service."""
    try:
        from stockroom.sync.engine import sync_account
    except ImportError:
        sync_account = None
    if sync_account is not None:
        run = sync_account(account, trigger="manual", steps=("orders",))
        return run.orders_in
    from django.db import transaction

    from stockroom.orders.services import import_channel_order, import_new_channel_orders
    from stockroom.sync.accounts import orders_since
    from stockroom.sync.registry import connector_for

    count = 0
    for page in connector_for(account).fetch_orders(cursor=None, since=orders_since(account)):
        created = import_new_channel_orders(account=account, orders=page.orders)
        for data in page.orders:
            if data.external_order_id not in created:
                with transaction.atomic():
                    import_channel_order(account=account, data=data)
        count += len(page.orders)
    return count


def _last_order_pk() -> int:
    from stockroom.orders.models import Order

    return Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def run(size: dict, repeat: int, *, sim) -> dict:
    from stockroom.orders.models import Order

    control = sim.control()
    control.configure(rate_limits_enabled=False)
    rng = random.Random(6)
    skus = [f"ING-{n:06d}" for n in range(size["skus"])]
    item_ids = make_items(len(skus), on_hand=10**6, prefix="ING")
    rates, seconds, growth, peaks, firsts, seconds_half = [], [], [], [], [], []
    for attempt in range(repeat):
        seller = f"BENCHINGEST{attempt}"
        control.create_seller(seller)
        for sku in skus:
            control.create_listing(seller, sku, quantity=10**7)
        since = (datetime.now(UTC) - timedelta(minutes=70)).strftime("%Y-%m-%dT%H:%M:%SZ")
        account = make_account(
            f"Ingest {attempt}",
            seller_id=seller,
            endpoint=sim.base_url,
            token_url=sim.token_url,
            download_orders_since=since,
        )
        link_listings(account, item_ids, skus)
        # created over the last hour, so all are older than Amazon's 2-minute rule for searchOrders
        now = datetime.now(UTC)
        specs = order_specs(rng, skus, size["orders"])
        for n, spec in enumerate(specs):
            when = now - timedelta(minutes=65) + timedelta(minutes=60) * n / len(specs)
            spec["created_at"] = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            spec["pending_seconds"] = 60  # paid a minute later: settled before the 2-minute bound
        for start in range(0, len(specs), 5000):
            control.place_orders(seller, specs[start : start + 5000])
        before = Order.objects.filter(account=account).count()
        samples: list = []
        stop = threading.Event()
        # progress as the newest order's key past the last one before the run (keys are drawn from the
        # sequence in order): an index look-up whatever the size, where COUNT(*) every half second
        # would cost the database more and more as the book grows, and slow the run it measures
        last_before = _last_order_pk()
        sampler = threading.Thread(
            target=_sampler,
            args=(samples, stop, lambda b=last_before: _last_order_pk() - b),
            daemon=True,
        )
        rss_before = current_rss_mb()
        started = time.perf_counter()
        sampler.start()
        imported = _import_pages(account)
        ended = time.perf_counter()
        elapsed = ended - started
        stop.set()
        sampler.join()
        stored = Order.objects.filter(account=account).count() - before
        if stored != size["orders"]:
            raise RuntimeError(f"ingest stored {stored} orders of {size['orders']} ({imported} downloaded)")
        rates.append(stored / elapsed)
        seconds.append(elapsed)
        first_rate, second_rate = half_rates(
            [(min(done, stored), at) for done, _, at in samples], started, ended, stored
        )
        firsts.append(first_rate)
        seconds_half.append(second_rate)
        # memory flat as orders grow: resident memory at the second half of the run minus the first
        half = [rss for done, rss, _ in samples if done >= stored / 2]
        first = [rss for done, rss, _ in samples if done < stored / 2]
        growth.append((max(half) - max(first)) if half and first else 0.0)
        peaks.append(max([rss for _, rss, _ in samples] + [current_rss_mb()]) - rss_before)
    rate = sorted(rates)[len(rates) // 2]
    first_hour, sustained = orders_per_hour_under_amazon_limits()
    flat = [b / a for a, b in zip(firsts, seconds_half, strict=True)]
    return {
        "size": f"{size['orders']:,} orders x {repeat}, {size['skus']:,} SKUs, simulator's rate limits off",
        "metrics": [
            metric(
                "orders per second (limits off)",
                rates,
                "orders/s",
                target=f">= {TARGET_RATE:,}",
                ok=rate >= TARGET_RATE,
            ),
            metric("orders per second, 1st half of the orders", firsts, "orders/s"),
            metric("orders per second, 2nd half of the orders", seconds_half, "orders/s"),
            metric("2nd half / 1st half", flat, "ratio", target="flat (>= 0.95)", ok=median(flat) >= 0.95),
            metric("run time", seconds, "s"),
            metric("orders per hour under Amazon's limits, 1st hour (computed)", [first_hour], "orders/h"),
            metric("orders per hour under Amazon's limits, sustained (computed)", [sustained], "orders/h"),
            metric("memory growth, 2nd half vs 1st half", growth, "MB", target="flat (~0)", ok=None),
            metric("memory above start (peak)", peaks, "MB"),
            metric("process peak RSS", [peak_rss_mb()], "MB"),
        ],
        "notes": [
            "import capacity: the simulator's rate limits are off, so Stockroom, not Amazon, is measured",
            f"under Amazon's limits (computed, not measured): searchOrders {SEARCH_ORDERS.rate}/s after a burst "
            f"of {SEARCH_ORDERS.burst}, {PAGE_SIZE} orders a page: {first_hour:,} orders in the first hour from "
            f"a full bucket, {sustained:,} an hour sustained; one page takes Stockroom "
            f"{PAGE_SIZE / rate * 1000:.0f} ms to store at the measured capacity",
        ],
    }


def orders_per_hour_under_amazon_limits() -> tuple[int, int]:
    """Orders one account can download by searchOrders in an hour at Amazon's usage plan: from a full
    bucket (the burst, then the refill) and sustained (the refill alone), a full page per call."""
    first_hour = (SEARCH_ORDERS.burst + SEARCH_ORDERS.rate * 3600) * PAGE_SIZE
    return round(first_hour), round(SEARCH_ORDERS.rate * 3600 * PAGE_SIZE)
