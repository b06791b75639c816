"""eBay, end to end through the eBay simulator (a separate process, daily quotas off): N paid orders
downloaded by one sync run (getOrders pages of 200, newest first, record offset) into the order book,
then the stock of N listings pushed in bulkUpdatePriceQuantity calls of 25. Counts the calls the
simulator received, so the cost in eBay's daily call quota is visible beside the time."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from bench.data import link_listings, make_items, metric

NAME = "ebay"
TITLE = "eBay orders and stock"
DEFAULT_REPEAT = 1
NEEDS_DB = True
SIZES = {
    "tiny": {"orders": 200, "skus": 50},
    "quick": {"orders": 2_000, "skus": 500},
    "full": {"orders": 20_000, "skus": 2000},
}


def run(size: dict, repeat: int, *, sim=None) -> dict:
    from stockroom.channels.models import ChannelAccount
    from stockroom.orders.models import Order
    from stockroom.sandbox.ebay.process import EbaySimulatorProcess
    from stockroom.sync import engine

    rng = random.Random(13)
    skus = [f"EB-{n:06d}" for n in range(size["skus"])]
    item_ids = make_items(len(skus), on_hand=10**6, prefix="EB")
    rates, calls, push_seconds, push_calls = [], [], [], []
    with EbaySimulatorProcess(seed=13) as ebay:
        control = ebay.control()
        control.configure(rate_limits_enabled=False, daily_quotas={"fulfillment": 10**9, "inventory": 10**9})
        for attempt in range(repeat):
            user = f"bench_ebay_{attempt}"
            seller = control.create_seller(user)
            for sku in skus:
                control.create_listing(user, sku, quantity=10**6)
            account = ChannelAccount.objects.create(
                channel="ebay",
                name=f"eBay bench {attempt}",
                external_account_id=user,
                marketplaces=["EBAY_GB"],
                endpoint=ebay.base_url,
                options={
                    "order_page_size": 200,
                    "download_orders_since": (datetime.now(UTC) - timedelta(hours=1)).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                },
                credentials={
                    k: seller[k] for k in ("client_id", "client_secret", "ru_name", "refresh_token")
                },
            )
            link_listings(account, item_ids, skus)
            specs = [
                {"lines": [{"sku": s, "quantity": 1} for s in rng.sample(skus, rng.randint(1, 3))]}
                for _ in range(size["orders"])
            ]
            for start in range(0, len(specs), 1000):
                control.place_orders(user, specs[start : start + 1000])
            started = time.perf_counter()
            run_ = engine.sync_account(account, trigger="manual", steps=("orders",))
            elapsed = time.perf_counter() - started
            stored = Order.objects.filter(account=account).count()
            if stored != size["orders"] or run_.errors:
                raise RuntimeError(f"stored {stored} of {size['orders']} eBay orders; {run_.errors}")
            stats = control.stats()[user]
            rates.append(size["orders"] / elapsed)
            calls.append(stats["getOrders"]["calls"])
            started = time.perf_counter()
            pushed = engine.sync_account(account, trigger="manual", steps=("stock",), all_listings=True)
            push_seconds.append(time.perf_counter() - started)
            if pushed.errors:
                raise RuntimeError(f"stock push: {pushed.errors}")
            push_calls.append(control.stats()[user]["bulkUpdatePriceQuantity"]["calls"])
        control.close()
    return {
        "size": f"{size['orders']:,} orders of 1-3 lines, {size['skus']:,} listings, x {repeat}",
        "metrics": [
            metric("orders/s (getOrders pages of 200 -> order book, allocated)", rates, "orders/s"),
            metric("getOrders calls for the run", calls, "calls"),
            metric(f"stock push of {size['skus']:,} listings", push_seconds, "s"),
            metric("bulkUpdatePriceQuantity calls for the push (25 a call)", push_calls, "calls"),
        ],
        "notes": ["eBay simulator: rate limits and daily quotas off; the sync runs in the bench process"],
    }
