"""Order ingest under Amazon's real limits, measured: what one account downloads in an hour when many
orders are waiting.

The simulator runs with its rate limits on at time scale 1 (searchOrders: 0.0056 requests/s after a
burst of 20, Amazon's usage plan) and holds a backlog of paid orders bought over the last hour, more
than the run can read. Stockroom's real worker (``stockroom django run_huey``: the periodic sync every
60 s, each run reading pages until its own token bucket for the seller would make it wait more than a
minute) downloads them for a bounded time from its first searchOrders call. The bench samples the
simulator's call counts and the order book twice a second and reports the two regimes apart:

- the burst: calls until searchOrders' bucket (modelled from the sampled call counts with Amazon's own
  bucket) first holds less than one request, the seconds from the last sample before the first call
  until that call's page is stored, the orders stored by then, as orders per hour;
- the sustained regime after it: the interval between polls (Amazon refills one request every
  1/0.0056 = 178.6 s), the orders each poll brings and the orders per hour they make; also the
  orders stored over the whole sustained phase divided by its length (its edges included);

beside the computed upper bound (``bench.scenarios.ingest.orders_per_hour_under_amazon_limits``: a
full page of 100 for every request Amazon allows). A backlog is waiting, so the burst is spent by the
first run: the sustained regime starts within seconds, not after the half hour a trickle of orders
takes (propagation). ``tiny`` (the smoke test) runs the engine's orders step in this process with a
moved clock instead: the simulator's clock and Stockroom's token buckets move together by the
seconds Stockroom would wait, and a run starts every simulated minute.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from bench.data import link_listings, make_account, make_items, metric, order_specs
from bench.stats import median
from stockroom.connectors.amazon.client import OPERATIONS
from stockroom.connectors.amazon.connector import PAGE_SIZE

NAME = "ingest-limited"
TITLE = "order ingest, Amazon's limits"
DEFAULT_REPEAT = 1
NEEDS_DB = True
SIZES = {
    # seconds: how long the download runs from its first searchOrders call (simulated in tiny)
    "tiny": {"orders": 2600, "skus": 50, "seconds": 720, "worker": False},
    "quick": {"orders": 3000, "skus": 200, "seconds": 420, "worker": True},
    "full": {"orders": 4000, "skus": 200, "seconds": 900, "worker": True},
}
SEARCH_ORDERS = OPERATIONS["searchOrders"]
SAMPLE_EVERY = 0.5
QUIET_AT_END = 10.0  # the run ends at its bound once no call came in the last 10 s (no page half-stored)
RUN_EVERY = 60.0  # tiny: a run every simulated minute, as the worker's periodic sync


class MovedClock:
    """Stockroom's rate-limit clock for ``tiny``: its waits move the simulator's clock instead of
    sleeping, so both count the same seconds (``RateLimiter`` takes any object with these two)."""

    def __init__(self, control) -> None:
        self.control = control
        self.moved = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.moved

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.control.advance_clock(seconds)
            self.moved += seconds

    def now(self) -> float:
        return time.time() + self.moved


def call_moments(samples: list[tuple[float, int, int]]) -> list[float]:
    """The moment of each successful call, at the first sample that counted it: ``samples`` are
    (time, successful calls so far, orders stored so far), in time order."""
    moments = []
    for (_, calls_a, _), (at, calls_b, _) in zip(samples, samples[1:], strict=False):
        moments += [at] * max(0, calls_b - calls_a)
    return moments


def burst_spent(
    samples: list[tuple[float, int, int]], *, rate: float, burst: int
) -> tuple[float, int] | None:
    """(moment, calls made) when Amazon's bucket, modelled from the sampled call counts (a full bucket
    at the first sample), first held less than one request after a call; None if it never did."""
    from bench.scenarios.propagation import sustained_from

    moment = sustained_from([(at, calls) for at, calls, _ in samples], rate=rate, burst=burst)
    if moment is None:
        return None
    return moment, next(calls for at, calls, _ in samples if at == moment)


def _stored_before(samples: list[tuple[float, int, int]], moment: float) -> int:
    """Orders stored at the last sample before ``moment`` (before a call counted then was answered)."""
    return max((orders for at, _, orders in samples if at < moment), default=0)


def phases(samples: list[tuple[float, int, int]], *, rate: float, burst: int) -> dict:
    """The burst and the sustained regime of a download, from its samples (see the module)."""
    moments = call_moments(samples)
    if not moments:
        return {"calls": 0}
    first, end, stored = moments[0], samples[-1][0], samples[-1][2]
    before_first = max(at for at, calls, _ in samples if calls == samples[0][1])  # the call came after it
    spent = burst_spent(samples, rate=rate, burst=burst)
    result: dict = {"calls": len(moments), "orders": stored, "first_call": first, "seconds": end - first}
    if spent is None:
        return result
    spent_at, burst_calls = spent
    later = [m for m in moments if m > spent_at]
    burst_orders = _stored_before(samples, later[0]) if later else stored
    stored_at = min(at for at, _, orders in samples if orders >= burst_orders)
    per_poll = [
        (_stored_before(samples, nxt) if nxt is not None else stored) - _stored_before(samples, moment)
        for moment, nxt in zip(later, [*later[1:], None], strict=True)
    ]
    gaps = [b - a for a, b in zip(later, later[1:], strict=False)]
    sustained_seconds = end - stored_at
    result.update(
        burst_calls=burst_calls,
        burst_orders=burst_orders,
        burst_seconds=stored_at - before_first,
        sustained_calls=len(later),
        sustained_seconds=sustained_seconds,
        sustained_orders=stored - burst_orders,
        first_sustained_after=(later[0] - spent_at) if later else None,
        poll_gaps=gaps,
        per_poll=per_poll,
    )
    return result


def per_hour(orders: float | None, seconds: float | None) -> float | None:
    if orders is None or not seconds:
        return None
    return orders * 3600.0 / seconds


def _sample(control, seller: str, account, at: float) -> tuple[float, int, int]:
    from stockroom.orders.models import Order

    stats = control.stats().get(seller, {}).get(SEARCH_ORDERS.name, {})
    ok = stats.get("calls", 0) - stats.get("throttled", 0)
    return at, ok, Order.objects.filter(account=account).count()


def _throttled(control, seller: str) -> int:
    return control.stats().get(seller, {}).get(SEARCH_ORDERS.name, {}).get("throttled", 0)


def _with_worker(control, seller: str, account, seconds: float) -> list:
    """quick/full: the real worker, sampled every SAMPLE_EVERY s until ``seconds`` after its first call."""
    from django.conf import settings

    from bench.scenarios.propagation import _start_worker, _stop

    samples = [_sample(control, seller, account, time.time())]
    worker = _start_worker(str(settings.DATA_DIR))
    try:
        first = None
        while True:
            time.sleep(SAMPLE_EVERY)
            samples.append(_sample(control, seller, account, time.time()))
            if first is None and samples[-1][1] > samples[0][1]:
                first = samples[-1][0]
            if first is not None and samples[-1][0] - first >= seconds:
                last_call = call_moments(samples)[-1]
                if samples[-1][0] - last_call >= QUIET_AT_END:
                    break
            if first is None and samples[-1][0] - samples[0][0] > 180:
                raise RuntimeError("the worker made no searchOrders call in 3 minutes")
    finally:
        _stop(worker)
    return samples


def _moved_clock(control, seller: str, account, seconds: float) -> list:
    """tiny: the engine's orders step in this process every simulated minute, on a moved clock."""
    from stockroom.connectors.amazon import client
    from stockroom.sync import engine

    clock = MovedClock(control)
    limiter = client._SHARED_LIMITER  # noqa: SLF001 - the bench moves the clock of the product's own buckets
    saved, limiter.clock = limiter.clock, clock
    samples = [_sample(control, seller, account, clock.now())]
    try:
        first = None
        while first is None or samples[-1][0] - first < seconds:
            engine.sync_account(account, trigger="manual", steps=("orders",))
            samples.append(_sample(control, seller, account, clock.now()))
            if first is None and samples[-1][1] > samples[0][1]:
                first = samples[-1][0]
            if first is None:
                raise RuntimeError("the first run made no searchOrders call")
            clock.sleep(RUN_EVERY)
    finally:
        limiter.clock = saved
    return samples


def _seller_with_backlog(control, sim, attempt: int, rng, skus: list[str], item_ids: list[int], orders: int):
    """A new seller listing ``skus``, its account in Stockroom reading from 70 minutes ago, and the
    backlog: ``orders`` paid orders bought over the last hour (all older than Amazon's 2-minute rule)."""
    seller = f"BENCHLIMITED{attempt}"
    control.create_seller(seller)
    for sku in skus:
        control.create_listing(seller, sku, quantity=10**7)
    started = datetime.now(UTC)
    account = make_account(
        f"Limited {attempt}",
        seller_id=seller,
        endpoint=sim.base_url,
        token_url=sim.token_url,
        download_orders_since=_iso(started - timedelta(minutes=70)),
    )
    link_listings(account, item_ids, skus)
    first, step = started - timedelta(minutes=65), timedelta(minutes=60) / orders
    backlog = order_specs(rng, skus, orders, pending_seconds=60)  # paid a minute after it was bought
    for n, spec in enumerate(backlog):
        spec["created_at"] = _iso(first + step * n)
    for start in range(0, orders, 5000):
        control.place_orders(seller, backlog[start : start + 5000])
    return seller, account


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def run(size: dict, repeat: int, *, sim) -> dict:
    from bench.scenarios.ingest import orders_per_hour_under_amazon_limits

    skus = [f"LIM-{n:05d}" for n in range(size["skus"])]
    item_ids, rng, found = make_items(len(skus), on_hand=10**6, prefix="LIM"), random.Random(16), []
    control = sim.control()
    control.configure(rate_limits_enabled=True)  # Amazon's usage plans (the simulator's default)
    for attempt in range(repeat):
        seller, account = _seller_with_backlog(control, sim, attempt, rng, skus, item_ids, size["orders"])
        download = _with_worker if size["worker"] else _moved_clock
        samples = download(control, seller, account, float(size["seconds"]))
        result = phases(samples, rate=SEARCH_ORDERS.rate, burst=SEARCH_ORDERS.burst)
        if result["orders"] >= size["orders"]:
            raise RuntimeError(f"the backlog of {size['orders']} orders ran out: pages were not all full")
        result["throttled"] = _throttled(control, seller)
        found.append(result)
    first_hour, sustained = orders_per_hour_under_amazon_limits()
    return {
        "size": f"{size['orders']:,} orders waiting, {size['skus']:,} SKUs, {size['seconds']} s from the first "
        f"call{' (simulated: moved clock, engine in-process)' if not size['worker'] else ''} x {repeat}",
        "metrics": _metrics(found, sustained, first_hour),
        "notes": [
            "limits on (time scale 1): searchOrders "
            f"{SEARCH_ORDERS.rate}/s after a burst of {SEARCH_ORDERS.burst}, {PAGE_SIZE} orders a page; a "
            "backlog bought over the last hour is waiting, so every page is full",
            f"computed upper bound (not measured): {first_hour:,} orders in the first hour from a full bucket, "
            f"{sustained:,} an hour sustained (a poll every {1 / SEARCH_ORDERS.rate:.1f} s)",
            _report_path_note(),
        ],
    }


def _metrics(found: list[dict], sustained: int, first_hour: int) -> list[dict]:
    def each(key):
        return [r.get(key) for r in found]

    gaps = [median(r.get("poll_gaps") or []) for r in found]
    polls = [median(r.get("per_poll") or []) for r in found]
    rates = [per_hour(p, g) for p, g in zip(polls, gaps, strict=True)]
    burst_rates = [per_hour(r.get("burst_orders"), r.get("burst_seconds")) for r in found]
    phase_rates = [per_hour(r.get("sustained_orders"), r.get("sustained_seconds")) for r in found]
    projected = [
        None if rate is None else r["burst_orders"] + rate * (3600 - r["burst_seconds"]) / 3600
        for r, rate in zip(found, rates, strict=True)
    ]
    rate = median(rates)
    return [
        metric("burst: searchOrders calls", each("burst_calls"), "calls", target=f"= {SEARCH_ORDERS.burst}"),
        metric(
            "burst: seconds to its last page stored (from the sample before the 1st call)",
            each("burst_seconds"),
            "s",
        ),
        metric("burst: orders stored", each("burst_orders"), "orders"),
        metric("burst: orders per hour", burst_rates, "orders/h"),
        metric("sustained: first poll after the burst was spent", each("first_sustained_after"), "s"),
        metric(
            "sustained: poll interval (median)", gaps, "s", target=f"Amazon: {1 / SEARCH_ORDERS.rate:.1f}"
        ),
        metric("sustained: orders per poll (median)", polls, "orders", target=f"= {PAGE_SIZE}"),
        metric(
            "orders per hour under Amazon's limits, sustained (measured)",
            rates,
            "orders/h",
            target=f"<= {sustained:,} (computed)",
            ok=None if rate is None else rate <= sustained * 1.01,
        ),
        metric("sustained: orders stored / length of the sustained phase", phase_rates, "orders/h"),
        metric("sustained: polls", each("sustained_calls"), "calls"),
        metric(
            "1st hour from a full bucket (burst + sustained rate, projected)",
            projected,
            "orders",
            target=f"<= {first_hour:,} (computed)",
        ),
        metric("orders stored in the run", each("orders"), "orders"),
        metric("searchOrders 429 answers", each("throttled"), "answers"),
    ]


def _report_path_note() -> str:
    """Report mode under Amazon's limits, computed from the usage plans of the calls a report costs."""
    listing, document, rdt = (
        OPERATIONS[op] for op in ("getReports", "getReportDocument", "createRestrictedDataToken")
    )
    return (
        "report path (computed, not measured): a sync run lists the reports (getReports: "
        f"{listing.rate * 3600:.0f}/h after a burst of {listing.burst}, one a run, 60/h at a run a minute) and "
        f"reads each new document once (getReportDocument: {document.rate * 3600:.0f}/h after {document.burst}; "
        f"a Restricted Data Token each, {rdt.rate * 3600:.0f}/h). A scheduled report every 15 min (PT15M, the "
        "shortest period Stockroom offers) is 4 documents an hour, each with any number of orders: Amazon's "
        "limits do not bound report mode's orders per hour, Stockroom's import rate does (reportmode), "
        "with orders up to a period plus Amazon's processing late"
    )
