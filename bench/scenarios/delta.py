"""Stock delta: L listings over 5 accounts (every item listed on each), every listing confirmed at its
current quantity; then the stock of 2% of the items changes (``inventory.services.adjust_stock``) and
the sync engine's stock step runs for every account against the simulator (real rate limits).

Measured: seconds the engine spends finding the changed listings and building the updates (the whole
stock step minus the time inside the connector's ``push_stock``), the whole step, and the API calls
the simulator counted (feeds per account; none may concern unchanged listings).
"""

from __future__ import annotations

import random
import time

from bench.data import link_listings, make_account, make_items, metric

NAME = "delta"
TITLE = "stock delta"
DEFAULT_REPEAT = 3
NEEDS_DB = True
SIZES = {
    "tiny": {"listings": 500, "accounts": 5},
    "quick": {"listings": 20_000, "accounts": 5},
    "full": {"listings": 200_000, "accounts": 5},
}
CHANGED_SHARE = 0.02
TARGET_SECONDS = 2.0


def _fresh_patch_limit() -> int:
    """AmazonConnector's default: a push is patched when a fresh patch rate limit lets all its SKUs
    through within PATCH_WINDOW_SECONDS; more go in one feed per FEED_MAX_MESSAGES."""
    from stockroom.connectors.amazon.client import OPERATIONS, RateLimiter, SystemClock
    from stockroom.connectors.amazon.connector import PATCH_WINDOW_SECONDS

    fresh = RateLimiter(SystemClock())
    return fresh.capacity("bench", OPERATIONS["patchListingsItem"], within=PATCH_WINDOW_SECONDS)


class _Timed:
    """Wraps ``AmazonConnector.push_stock`` to add up the time spent talking to the channel."""

    def __init__(self):
        self.seconds = 0.0
        self.updates: list[int] = []

    def install(self, cls):
        original = cls.push_stock
        timer = self

        def push_stock(connector, updates):
            started = time.perf_counter()
            try:
                return original(connector, updates)
            finally:
                timer.seconds += time.perf_counter() - started
                timer.updates.append(len(updates))

        cls.push_stock = push_stock
        return original


def _confirm_all() -> None:
    """Every listing confirmed at its item's current available quantity: nothing left to send."""
    from django.db.models import OuterRef, Subquery, Sum

    from stockroom.channels.models import Listing
    from stockroom.inventory.models import StockLevel

    available = (
        StockLevel.objects.filter(item_id=OuterRef("stock_item_id"))
        .values("item_id")
        .annotate(total=Sum("on_hand") - Sum("allocated"))
        .values("total")
    )
    Listing.objects.update(status="confirmed", last_confirmed_quantity=Subquery(available))


def _clear_outboxes() -> None:
    from stockroom.inventory.models import PendingStockPush

    PendingStockPush.objects.all().delete()
    try:
        from stockroom.sync.models import ListingPushMarker, PendingSubmission
    except ImportError:
        return
    ListingPushMarker.objects.all().delete()
    PendingSubmission.objects.all().delete()


def run(size: dict, repeat: int, *, sim) -> dict:
    try:
        from stockroom.sync.engine import sync_account
    except ImportError:
        return {
            "size": "-",
            "metrics": [],
            "notes": ["the sync engine (stockroom.sync.engine) is not on main yet: not measured"],
        }
    from stockroom.catalog.models import StockItem
    from stockroom.connectors.amazon.connector import AmazonConnector
    from stockroom.inventory.services import adjust_stock

    control = sim.control()
    items = size["listings"] // size["accounts"]
    item_ids = make_items(items, on_hand=100, prefix="DELTA")
    skus = [f"DELTA-{n:06d}" for n in range(items)]
    accounts = []
    for n in range(size["accounts"]):
        seller = f"BENCHDELTA{n}"
        control.create_seller(seller)
        account = make_account(f"Delta {n}", seller_id=seller, endpoint=sim.base_url, token_url=sim.token_url)
        link_listings(account, item_ids, [f"A{n}-{sku}" for sku in skus])
        accounts.append(account)
    timer = _Timed()
    timer.install(AmazonConnector)
    rng = random.Random(5)
    find, whole, calls, feeds, sent, tokens = [], [], [], [], [], []
    problems: set[str] = set()
    changed_count = max(1, round(items * CHANGED_SHARE))
    for _ in range(repeat):
        _confirm_all()
        _clear_outboxes()
        for item in StockItem.objects.filter(pk__in=rng.sample(item_ids, changed_count)):
            adjust_stock(item=item, delta=-1, reason="bench: 2% of items change")
        before = control.stats()
        timer.seconds, timer.updates = 0.0, []
        started = time.perf_counter()
        for account in accounts:
            run_record = sync_account(account, trigger="manual", steps=("stock",))
            if run_record.errors or run_record.status not in ("ok", "partial"):
                problems.add(f"{run_record.status}: {run_record.message or run_record.errors}"[:300])
        elapsed = time.perf_counter() - started
        after = control.stats()
        whole.append(elapsed)
        find.append(elapsed - timer.seconds)
        calls.append(_calls(before, after) - _calls(before, after, operation=TOKEN_OPERATION))
        tokens.append(_calls(before, after, operation=TOKEN_OPERATION))
        feeds.append(_calls(before, after, operation="createFeed"))
        sent.append(sum(timer.updates))
    # the connector patches a few listings one by one, more go in one feed per 25,000
    from stockroom.connectors.amazon.mapping import FEED_MAX_MESSAGES

    patch_limit = _fresh_patch_limit()
    expected_feeds = (
        size["accounts"] * -(-changed_count // FEED_MAX_MESSAGES) if changed_count > patch_limit else 0
    )
    changed_listings = changed_count * size["accounts"]
    median_find = sorted(find)[len(find) // 2]
    return {
        "size": f"{size['listings']:,} listings over {size['accounts']} accounts, {changed_count:,} items "
        f"({changed_listings:,} listings) changed, x {repeat}",
        "metrics": [
            metric(
                "find changed + build updates",
                find,
                "s",
                target=f"< {TARGET_SECONDS:g}",
                ok=median_find < TARGET_SECONDS,
            ),
            metric("whole stock step, all accounts", whole, "s"),
            metric(
                "listings sent",
                sent,
                "listings",
                target=f"= {changed_listings:,} (changed only)",
                ok=all(s == changed_listings for s in sent),
            ),
            metric(
                "feeds created",
                feeds,
                "feeds",
                target=f"{expected_feeds} (one per account over {patch_limit} changes)",
                ok=all(f == expected_feeds for f in feeds),
            ),
            metric("API calls made", calls, "calls"),
            # an access token lives an hour and is cached across runs: the first run of each account
            # exchanges its refresh token, later runs do not
            metric("token exchanges", tokens, "calls"),
        ],
        "notes": [f"push_stock batches: {timer.updates}", *(f"sync run: {p}" for p in sorted(problems))],
    }


# the simulator's count of LWA refresh-token exchanges (not a Selling Partner API call)
TOKEN_OPERATION = "lwaToken"


def _calls(before: dict, after: dict, *, operation: str = "") -> int:
    total = 0
    for seller, ops in after.items():
        for op, counts in ops.items():
            if operation and op != operation:
                continue
            total += counts.get("calls", 0) - before.get(seller, {}).get(op, {}).get("calls", 0)
    return total
