"""Propagation: 3 accounts share S SKUs; orders of 1-3 lines arrive on Amazon at 1 per second, spread over
the accounts, for D seconds, while Stockroom's real worker (``stockroom django run_huey``: the periodic sync
and the stock-change push) runs against the simulator with Amazon's real rate limits (time scale 1) and
Amazon's delay before a submitted quantity shows (the simulator's ``listing_update_delay_seconds``,
120 s, on).

Measured from the simulator's own records (each listing's quantity history, each seller's orders and
its call counts, sampled every few seconds) and the order book:
- arrival: seconds from an order's creation on Amazon until it is in Stockroom (``Order.created_at``),
  beside the floor Amazon allows: searchOrders only returns orders at least 2 minutes old, and its rate
  (0.0056 requests/s, burst 20) bounds how often a seller can ask;
- the sustained searchOrders regime: Stockroom polls every 60 s, which spends the burst of 20 in about
  half an hour; from then on a poll waits for Amazon's refill (one every ~180 s) and brings three times
  more orders. The time to reach it is modelled from the sampled call counts with Amazon's own bucket;
  arrival and propagation are also reported for the orders that came in after it;
- propagation, per order: from the order entering Stockroom until every *other* account's listing of
  each of its SKUs is at or below Stockroom's available quantity after that order, twice: "applied"
  (Amazon accepted a quantity that low: the simulator applied the patch or feed; the end of
  Stockroom's work) and "visible" (the listing shows it to buyers, after Amazon's delay). An order
  whose other listings already showed no more than was left needs no push: it is counted apart, not
  as 0 s;
- 429s the simulator answered; oversold units, order by order from the simulator's own sales: units
  sold on any account beyond the units there were, per SKU, whether or not Stockroom saw the order.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.data import MARKETPLACE_UK, link_listings, make_account, make_items, metric
from bench.stats import median, percentile

NAME = "propagation"
TITLE = "propagation"
DEFAULT_REPEAT = 1
NEEDS_DB = True
SIZES = {
    # tiny: the engine in-process, simulator clock moved past Amazon's 2-minute rule, a 1 s visibility
    # delay (smoke test only)
    "tiny": {"skus": 30, "seconds": 4, "drain": 0, "worker": False, "scarce": 3, "delay": 1},
    # quick: one minute of orders: the burst of searchOrders is not used up (said in the notes)
    "quick": {"skus": 300, "seconds": 60, "drain": 480, "worker": True, "scarce": 10, "delay": None},
    # full: 40 minutes of orders on each database: the burst is spent after ~30 (a poll a minute), then
    # about 10 minutes of the sustained regime; the drain covers a ~180 s poll, a push and the delay
    "full": {"skus": 1000, "seconds": 2400, "drain": 720, "worker": True, "scarce": 30, "delay": None},
}
ON_HAND = 60
SCARCE_ON_HAND = 2
ACCOUNTS = 3
TARGET_P95 = 30.0
TWO_MINUTES = 120.0
SEARCH_ORDERS_RATE = 0.0056
SEARCH_ORDERS_BURST = 20
STATS_EVERY = 5.0
# a quantity Amazon took from the seller (patch or feed); the rest are its own (orders, cancellations)
# or the bench's set-up (control:create)
NOT_SUBMITTED = ("order:", "cancel:", "control:")


def _parse_time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _start_worker(home: str) -> subprocess.Popen:
    log = open(os.path.join(home, "worker.log"), "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "stockroom.cli.main", "django", "run_huey"],
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def quantity_at(timeline: list[tuple[float, int]], when: float, start: int) -> int:
    """What a listing showed at ``when``: its last change at or before then (timeline in time order)."""
    shown = start
    for at, quantity in timeline:
        if at > when:
            break
        shown = quantity
    return shown


def split_history(history: list[dict], *, delay: float, offset: float) -> tuple[list, list]:
    """A listing's simulator history as two timelines of (wall-clock time, quantity): what it showed
    (every change, at the moment it showed) and what the seller submitted, at the moment Amazon
    applied it (it shows ``delay`` seconds later: the simulator records the moment it shows)."""
    visible, applied = [], []
    for entry in history:
        at = _parse_time(entry["at"]) - offset
        visible.append((at, entry["quantity"]))
        if not entry["source"].startswith(NOT_SUBMITTED):
            applied.append((at - delay, entry["quantity"]))
    visible.sort(key=lambda row: row[0])
    applied.sort(key=lambda row: row[0])
    return visible, applied


@dataclass(frozen=True)
class Listing:
    """One other account's listing of one SKU of an order, as the simulator recorded it."""

    start: int
    visible: list[tuple[float, int]]
    applied: list[tuple[float, int]]


def _first_at_or_below(timeline: list[tuple[float, int]], since: float, limit: int) -> float | None:
    return next((at for at, quantity in timeline if at >= since and quantity <= limit), None)


def order_propagation(
    entered: float, needs: Iterable[tuple[Listing, int]]
) -> tuple[str, float | None, float | None]:
    """How one order reached the other accounts: ``needs`` is every (other listing, available after the
    order) pair. Returns (kind, applied seconds, visible seconds) where kind is
    - "no push needed": every listing already showed no more than was left when the order came in
      (no times: nothing had to happen, so it is not a 0 s);
    - "propagated": times are the slowest listing's, from ``entered``; a listing that came down by
      itself (an order on its own account) counts from the moment it showed it;
    - "applied, not visible": Amazon took every quantity but one was not showing by the end;
    - "never": some listing was still above what was left, in Amazon's records too, at the end.
    A moment half a second before ``entered`` still counts (clock resolution)."""
    since = entered - 0.5
    applied_worst: float | None = 0.0
    visible_worst: float | None = 0.0
    needed = False
    for listing, available in needs:
        if quantity_at(listing.visible, entered, listing.start) <= available:
            continue
        needed = True
        shown = _first_at_or_below(listing.visible, since, available)
        taken = _first_at_or_below(listing.applied, since, available)
        candidates = [t for t in (taken, shown) if t is not None]
        applied = min(candidates) if candidates else None
        applied_worst = (
            None if applied is None or applied_worst is None else max(applied_worst, applied - entered)
        )
        visible_worst = (
            None if shown is None or visible_worst is None else max(visible_worst, shown - entered)
        )
    if not needed:
        return "no push needed", None, None
    if applied_worst is None:
        return "never", None, None
    if visible_worst is None:
        return "applied, not visible", max(applied_worst, 0.0), None
    return "propagated", max(applied_worst, 0.0), max(visible_worst, 0.0)


def oversold_by_order(sales: Iterable[tuple[float, str, str, int]], start: dict[str, int]) -> dict[str, int]:
    """Units each order took beyond the stock there was: ``sales`` are (created at, order id, SKU,
    units) on any account, ``start`` the units of each SKU before the first sale. Orders are taken in
    the order they were created (ties in the order given); an order's units past what is left of its
    SKU are oversold. Orders overselling nothing are left out."""
    sold: dict[str, int] = {}
    oversold: dict[str, int] = {}
    for _, order_id, sku, units in sorted(sales, key=lambda sale: sale[0]):
        before = sold.get(sku, 0)
        sold[sku] = before + units
        over = sold[sku] - max(start[sku], before)
        if over > 0:
            oversold[order_id] = oversold.get(order_id, 0) + over
    return oversold


def sustained_from(samples: list[tuple[float, int]], *, rate: float, burst: int) -> float | None:
    """When one seller's searchOrders bucket, as Amazon keeps it, first held less than one token after
    a call: ``samples`` are (time, calls so far), the first taken before any call. None if never."""
    if not samples:
        return None
    tokens = float(burst)
    previous_at, previous_calls = samples[0]
    for at, calls in samples[1:]:
        tokens = min(float(burst), tokens + (at - previous_at) * rate) - (calls - previous_calls)
        if calls > previous_calls and tokens < 1.0:
            return at
        previous_at, previous_calls = at, calls
    return None


def poll_gaps(samples: list[tuple[float, int]], after: float) -> list[float]:
    """Seconds between the sampled moments a seller's searchOrders count grew, from ``after`` on."""
    moments, previous = [], None
    for at, calls in samples:
        if previous is not None and calls > previous and at >= after:
            moments.append(at)
        previous = calls
    return [b - a for a, b in zip(moments, moments[1:], strict=False)]


def _settled(sellers_orders: int) -> bool:
    from stockroom.inventory.models import PendingStockPush
    from stockroom.orders.models import Order
    from stockroom.sync.models import ListingPushMarker, PendingSubmission

    return (
        Order.objects.filter(account__isnull=False).count() >= sellers_orders
        and not PendingStockPush.objects.exists()
        and not ListingPushMarker.objects.exists()
        and not PendingSubmission.objects.exists()
    )


def _search_calls(control, sellers: list[str]) -> dict[str, int]:
    stats = control.stats()
    return {seller: stats.get(seller, {}).get("searchOrders", {}).get("calls", 0) for seller in sellers}


def _sample(control, sellers: list[str], samples: dict[str, list]) -> None:
    now = time.time()
    for seller, calls in _search_calls(control, sellers).items():
        samples[seller].append((now, calls))


def _spread(
    name: str,
    values: list[float],
    *,
    limit: float | None = None,
    clean: bool = True,
    why: str = "",
    floor=None,
) -> list[dict]:
    """p50, p95 and max of ``values``; the p95 judged against ``limit`` (and ``clean``: nothing missing),
    or the p50 shown beside Amazon's ``floor``."""
    p95 = percentile(values, 95)
    judged, beside = {}, {}
    if limit is not None:
        judged = {
            "target": f"<= {limit:g}" + (f" ({why})" if why else ""),
            "ok": (p95 or 0) <= limit and clean,
        }
    if floor is not None:
        beside = {"target": f"floor >= {floor:.0f}"}
    return [
        metric(f"{name} p50", values, "s", value=percentile(values, 50), **beside),
        metric(f"{name} p95", values, "s", value=p95, **judged),
        metric(f"{name} max", values, "s", value=max(values) if values else None),
    ]


def run(size: dict, repeat: int, *, sim) -> dict:  # noqa: C901, PLR0912, PLR0915 - one measured story
    try:
        from stockroom.sync import engine
        from stockroom.sync.engine.download_orders import ORDERS_STREAM
        from stockroom.sync.models import SyncCursor, SyncRun
    except ImportError:
        return {"size": "-", "metrics": [], "notes": ["the sync engine is not on main yet: not measured"]}
    from django.conf import settings

    from stockroom.orders.models import Order, OrderLine

    control = sim.control()
    if size["delay"] is not None:
        control.configure(listing_update_delay_seconds=size["delay"])
    delay = float(control.configure()["listing_update_delay_seconds"])
    skus = [f"PROP-{n:05d}" for n in range(size["skus"])]
    scarce = set(skus[: size["scarce"]])
    item_ids = make_items(len(skus), on_hand=ON_HAND, prefix="PROP")
    if scarce:
        from stockroom.inventory.models import StockLevel, StockMovement

        StockLevel.objects.filter(item_id__in=item_ids[: size["scarce"]]).update(on_hand=SCARCE_ON_HAND)
        StockMovement.objects.filter(item_id__in=item_ids[: size["scarce"]]).update(
            quantity=SCARCE_ON_HAND, on_hand_after=SCARCE_ON_HAND
        )
    start_quantity = {sku: SCARCE_ON_HAND if sku in scarce else ON_HAND for sku in skus}
    sellers, accounts = [], []
    for n in range(ACCOUNTS):
        seller = f"BENCHPROP{n}"
        control.create_seller(seller)
        for sku in skus:
            control.create_listing(seller, sku, quantity=start_quantity[sku])
        account = make_account(f"Shop {n}", seller_id=seller, endpoint=sim.base_url, token_url=sim.token_url)
        link_listings(account, item_ids, skus, status="confirmed", last_confirmed_quantity=ON_HAND)
        sellers.append(seller)
        accounts.append(account)
    from stockroom.channels.models import Listing as ChannelListing

    ChannelListing.objects.filter(channel_sku__in=scarce).update(last_confirmed_quantity=SCARCE_ON_HAND)
    # the accounts' first sync reads from now on
    for account in accounts:
        SyncCursor.objects.update_or_create(
            account=account, stream=ORDERS_STREAM, defaults={"value": datetime.now(UTC).isoformat()}
        )
    # a seller's steady state before the first sale: every listing shows what Stockroom's rules allow (the
    # reserve shares each scarce SKU's 2 units out among the 3 accounts, ADR 0015), and Amazon shows it
    prepared = time.time()
    # (the stock step only: an order download here would spend searchOrders tokens the worker's own
    # limiter does not know of, and it would meet a 429 when the burst runs out)
    engine.sync_all(trigger="manual", steps=("stock",), all_listings=True)
    if size["worker"]:
        time.sleep(delay + 2)
    else:
        control.advance_clock(delay + 1)
    prepared = time.time() - prepared
    calls: dict[str, list] = {seller: [] for seller in sellers}
    _sample(control, sellers, calls)
    worker = _start_worker(str(settings.DATA_DIR)) if size["worker"] else None
    rng = random.Random(9)
    placed: dict[str, tuple[float, str]] = {}
    refused = 0
    try:
        began = time.time()
        next_sample = began + STATS_EVERY
        for n in range(size["seconds"]):
            due = began + n
            time.sleep(max(0.0, due - time.time()))
            seller = sellers[n % ACCOUNTS]
            items = [{"sku": s, "quantity": 1} for s in rng.sample(skus, rng.randint(1, 3))]
            try:
                order = control.place_order(seller, marketplace_id=MARKETPLACE_UK, items=items)
            except Exception as error:  # noqa: BLE001 - a 409: Amazon showed too few; the buyer could not order
                if getattr(error, "status", None) != 409:
                    raise
                refused += 1
            else:
                placed[order["order_id"]] = (_parse_time(order["created_at"]), seller)
            if time.time() >= next_sample:
                _sample(control, sellers, calls)
                next_sample += STATS_EVERY
        if worker is None:
            control.advance_clock(TWO_MINUTES + 5)
            engine.sync_all(trigger="manual")
            engine.push_changed_stock()
            time.sleep(delay + 0.5)  # the simulator's clock runs at time scale 1: let the delay pass
        else:
            deadline = time.time() + size["drain"]
            while time.time() < deadline and not _settled(len(placed)):
                time.sleep(STATS_EVERY)
                _sample(control, sellers, calls)
            # the last quantities Amazon took show after its delay
            time.sleep(min(delay + 2, max(0.0, deadline - time.time())))
    finally:
        if worker is not None:
            _stop(worker)
    _sample(control, sellers, calls)
    ended = time.time()
    stats = control.stats()
    throttled = sum(op.get("throttled", 0) for ops in stats.values() for op in ops.values())
    calls_by_operation: dict[str, int] = {}
    throttled_by_operation: dict[str, int] = {}
    for ops in stats.values():
        for name, op in ops.items():
            calls_by_operation[name] = calls_by_operation.get(name, 0) + op.get("calls", 0)
            if op.get("throttled"):
                throttled_by_operation[name] = throttled_by_operation.get(name, 0) + op["throttled"]
    clock_offset = control.clock().get("offset_seconds", 0.0)
    timelines = {
        seller: {
            row["sku"]: split_history(row["history"], delay=delay, offset=clock_offset)
            for row in control.listings(seller)
        }
        for seller in sellers
    }
    amazon_orders = [o for seller in sellers for o in control.orders(seller) if o["status"] != "Canceled"]

    orders = {
        o.external_order_id: o for o in Order.objects.filter(account__isnull=False).select_related("account")
    }
    seller_of_account = {a.pk: a.external_account_id for a in accounts}
    arrival_of = {
        oid: orders[oid].created_at.timestamp() - (t - clock_offset)
        for oid, (t, _) in placed.items()
        if oid in orders
    }
    missing = [oid for oid in placed if oid not in orders]
    # available after each order, per SKU, in the order Stockroom took them in
    lines = list(
        OrderLine.objects.filter(order__account__isnull=False)
        .order_by("order__created_at", "order_id")
        .values_list("order__external_order_id", "channel_sku", "allocated_quantity", "quantity")
    )
    held: dict[str, int] = {}
    skus_of: dict[str, list[tuple[str, int]]] = {}
    unallocated = 0
    for oid, sku, allocated, quantity in lines:
        held[sku] = held.get(sku, 0) + allocated
        skus_of.setdefault(oid, []).append((sku, max(start_quantity[sku] - held[sku], 0)))
        unallocated += quantity - allocated
    kinds: dict[str, int] = {}
    applied, visible = {}, {}
    for oid, order in orders.items():
        own = seller_of_account[order.account_id]
        needs = [
            (Listing(start_quantity[sku], *timelines[seller].get(sku, ([], []))), available)
            for sku, available in skus_of.get(oid, [])
            for seller in sellers
            if seller != own
        ]
        kind, applied_s, visible_s = order_propagation(order.created_at.timestamp(), needs)
        kinds[kind] = kinds.get(kind, 0) + 1
        if applied_s is not None:
            applied[oid] = applied_s
        if visible_s is not None:
            visible[oid] = visible_s
    sales = [
        (_parse_time(o["created_at"]), o["order_id"], item["sku"], item["quantity"])
        for o in amazon_orders
        for item in o["items"]
    ]
    over = oversold_by_order(sales, start_quantity)
    oversold = sum(over.values())
    oversold_unseen = [oid for oid in over if oid not in orders]

    # the sustained searchOrders regime: every seller's burst spent
    reached = [sustained_from(calls[s], rate=SEARCH_ORDERS_RATE, burst=SEARCH_ORDERS_BURST) for s in sellers]
    sustained_at = max(reached) if reached and None not in reached else None
    gaps = [gap for s in sellers for gap in poll_gaps(calls[s], sustained_at)] if sustained_at else []
    late = (
        {oid for oid, order in orders.items() if order.created_at.timestamp() >= sustained_at}
        if sustained_at
        else set()
    )
    arrival = list(arrival_of.values())
    arrival_late = [t for oid, t in arrival_of.items() if oid in late]
    visible_late = [t for oid, t in visible.items() if oid in late]
    applied_all, visible_all = list(applied.values()), list(visible.values())
    never = kinds.get("never", 0) + kinds.get("applied, not visible", 0)
    notes = [
        f"{len(placed)} orders placed on Amazon, {refused} refused by Amazon (listing showed too few), "
        f"{len(missing)} not in Stockroom at the end; of those in Stockroom: "
        + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())),
        f"Amazon's visibility delay on: {delay:g} s from a quantity applied to it showing",
        f"before the first order, Stockroom pushed what every listing shows (the reserve shares the scarce "
        f"SKUs out) and waited for Amazon to show it: {prepared:.0f} s",
        "searchOrders calls: "
        + ", ".join(f"{s} {calls[s][-1][1]}" for s in sellers)
        + f"; Amazon allows {SEARCH_ORDERS_RATE}/s after a burst of {SEARCH_ORDERS_BURST}: a poll every "
        f"{1 / SEARCH_ORDERS_RATE:.0f} s sustained",
        (
            f"sustained searchOrders regime (burst spent on every account) reached {sustained_at - began:.0f} s "
            f"into the run; {len(late)} orders came into Stockroom after it"
            if sustained_at
            else f"sustained searchOrders regime not reached in this {ended - began:.0f} s run: the burst of "
            f"{SEARCH_ORDERS_BURST} was not spent"
        ),
        f"oversold order by order (simulator's sales of every account against the stock there was): "
        f"{oversold} units in {len(over)} orders, {len(oversold_unseen)} of them never in Stockroom; "
        f"Stockroom's own count of units it could not allocate: {unallocated}",
    ]
    from django.db.models import Count

    runs = SyncRun.objects.values_list("trigger", "status").annotate(n=Count("id")).order_by("trigger")
    notes.append("sync runs: " + ", ".join(f"{trigger} {status} {n}" for trigger, status, n in runs))
    notes.append(
        "calls by operation: "
        + ", ".join(f"{name} {count}" for name, count in sorted(calls_by_operation.items()))
        + "; 429s by operation: "
        + (", ".join(f"{name} {count}" for name, count in sorted(throttled_by_operation.items())) or "none")
    )
    if not size["worker"]:
        notes.append(
            "tiny size: engine run in-process after moving the simulator clock; times are not meaningful"
        )
    return {
        "size": f"{ACCOUNTS} accounts x {len(skus):,} SKUs, {size['seconds']} s of orders at 1/s, visibility "
        f"delay {delay:g} s, worker: {'stockroom django run_huey' if size['worker'] else 'in-process'}",
        "metrics": [
            *_spread("applied", applied_all, limit=TARGET_P95, clean=not never),
            *_spread(
                "visible", visible_all, limit=TARGET_P95 + delay, clean=not never, why=f"delay {delay:g}"
            ),
            metric("orders propagated", [kinds.get("propagated", 0)], "orders"),
            metric("orders needing no push", [kinds.get("no push needed", 0)], "orders"),
            metric("orders never visible", [never], "orders", target="0", ok=never == 0),
            *_spread("order arrival", arrival, floor=TWO_MINUTES),
            metric(
                "time to sustained searchOrders regime",
                [],
                "s",
                value=round(sustained_at - began, 1) if sustained_at else None,
            ),
            metric("searchOrders poll interval, sustained (median)", gaps, "s", value=median(gaps)),
            metric("order arrival p50, sustained", arrival_late, "s", value=percentile(arrival_late, 50)),
            metric("order arrival p95, sustained", arrival_late, "s", value=percentile(arrival_late, 95)),
            metric("visible p95, sustained", visible_late, "s", value=percentile(visible_late, 95)),
            metric("429 answers", [throttled], "responses", target="0", ok=throttled == 0),
            metric("oversold units", [oversold], "units", target="0", ok=oversold == 0),
            metric("oversold orders never in Stockroom", [len(oversold_unseen)], "orders"),
        ],
        "notes": notes,
    }
