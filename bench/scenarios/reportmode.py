"""Report mode, end to end: orders placed on the Amazon simulator come back in one scheduled order
report (flat, then XML) of N lines, which a sync run downloads, gunzips when compressed, decodes,
checks, parses and imports page by page into the order book, the way a seller's account in report
mode does (``AmazonConnector._fetch_from_reports`` through ``stockroom.sync.engine``).

The sync runs in a fresh process of its own, so its peak memory (``VmHWM``) is the sync's alone:
"peak above start" is that peak minus the process's resident memory once Django and the engine are
loaded. The process also samples its resident memory every 0.25 s: "growth over the 2nd half" is the
last sample minus the one at half time, about 0 when memory does not grow with the report. The simulator (a separate process) holds the orders and renders the document; its memory is
not counted. Rate limits are off (a single report document is one call anyway).
``STOCKROOM_BENCH_REPORT_LINES`` sets another number of lines than the size's (e.g. 200000 between
quick and full); ``STOCKROOM_BENCH_REPORT_KINDS`` one of the kinds only (``flat`` or ``xml``).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from bench.data import MARKETPLACE_UK, link_listings, make_account, make_items, metric
from bench.stats import current_rss_mb, peak_rss_mb

NAME = "reportmode"
TITLE = "report mode sync"
DEFAULT_REPEAT = 1
NEEDS_DB = True
SIZES = {
    "tiny": {"lines": 200, "skus": 50},
    "quick": {"lines": 20_000, "skus": 500},
    "full": {"lines": 1_000_000, "skus": 2000},
}
TARGET_MB = 150
CONTROL_TIMEOUT = 900.0
SAMPLE_SECONDS = 0.25  # the sync process samples its resident memory this often
SOURCES = (("flat", "report_flat"), ("xml", "report_xml"))


def _specs(rng: random.Random, skus: list[str], lines: int) -> list[dict]:
    """Paid, unshipped orders of 1-3 lines (distinct SKUs) adding up to exactly ``lines`` lines."""
    specs, made = [], 0
    while made < lines:
        chosen = rng.sample(skus, min(rng.randint(1, 3), lines - made))
        made += len(chosen)
        specs.append(
            {
                "marketplace_id": MARKETPLACE_UK,
                "items": [{"sku": s, "quantity": rng.randint(1, 2)} for s in chosen],
                "status": "Unshipped",
                "force": True,
            }
        )
    return specs


def sync_in_this_process(account_id: int) -> dict:
    """In a fresh process: one orders step of the account's sync; time and memory."""
    from bench.env import setup_django

    setup_django()
    from stockroom.channels.models import ChannelAccount
    from stockroom.sync import engine

    account = ChannelAccount.objects.get(pk=account_id)
    base = current_rss_mb()
    samples: list[tuple[float, float]] = []  # (seconds into the run, resident MB)
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(SAMPLE_SECONDS):
            samples.append((time.perf_counter() - started, current_rss_mb()))

    started = time.perf_counter()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        run = engine.sync_account(account, trigger="manual", steps=("orders",))
    finally:
        stop.set()
        sampler.join()
    elapsed = time.perf_counter() - started
    return {
        "seconds": elapsed,
        "status": run.status,
        "orders_in": run.orders_in,
        "errors": run.errors,
        "base_mb": base,
        "peak_mb": peak_rss_mb(),
        "samples": samples,
    }


def growth_over_second_half(samples: list[tuple[float, float]], seconds: float) -> float | None:
    """Resident memory at the end of the run minus at its middle (MB): about 0 when memory is flat
    as the report is read, about half the peak above start when it grows with the report."""
    first = [rss for at, rss in samples if at <= seconds / 2]
    if not first or len(samples) < 2:
        return None
    return round(samples[-1][1] - first[-1], 1)


def _measure(account_id: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.scenarios.reportmode", str(account_id)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"the sync process failed ({tail[:200]})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(size: dict, repeat: int, *, sim) -> dict:
    from stockroom.orders.models import Order, OrderLine
    from stockroom.sandbox.amazon.process import SimulatorControl
    from stockroom.sync import engine

    # advancing the clock makes the simulator render the report: minutes at a million lines
    control = SimulatorControl(sim.base_url, timeout=CONTROL_TIMEOUT)
    control.configure(rate_limits_enabled=False)
    kinds = (os.environ.get("STOCKROOM_BENCH_REPORT_KINDS") or "flat,xml").split(",")
    rng = random.Random(16)
    skus = [f"RPT-{n:06d}" for n in range(size["skus"])]
    item_ids = make_items(len(skus), on_hand=10**6, prefix="RPT")
    metrics, notes = [], []
    size = {**size, "lines": int(os.environ.get("STOCKROOM_BENCH_REPORT_LINES") or size["lines"])}
    for kind, source in [(kind, source) for kind, source in SOURCES if kind in kinds]:
        rates, peaks, above, seconds, growth, stored_lines = [], [], [], [], [], []
        for attempt in range(repeat):
            seller = f"BENCHREPORT{kind.upper()}{attempt}"
            control.create_seller(seller)
            for sku in skus:
                control.create_listing(seller, sku, quantity=10**7)
            account = make_account(
                f"Reports {kind} {attempt}",
                seller_id=seller,
                endpoint=sim.base_url,
                token_url=sim.token_url,
                order_source=source,
                report_period="PT15M",
                download_orders_since=(datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
            link_listings(account, item_ids, skus)
            engine.sync_account(account, trigger="manual", steps=("orders",))  # schedules the report
            specs = _specs(rng, skus, size["lines"])
            for start in range(0, len(specs), 5000):
                control.place_orders(seller, specs[start : start + 5000])
            control.advance_clock(15 * 60 + 90)  # the scheduled report is created and processed
            result = _measure(account.pk)
            stored = Order.objects.filter(account=account).count()
            lines = OrderLine.objects.filter(order__account=account).count()
            if (stored, lines) != (len(specs), size["lines"]) or result["errors"]:
                raise RuntimeError(
                    f"{kind} report: stored {stored} orders ({lines} lines) of {len(specs)} "
                    f"({size['lines']} lines); run {result['status']} {result['errors']}"
                )
            stored_lines.append(lines)
            rates.append(size["lines"] / result["seconds"])
            seconds.append(result["seconds"])
            peaks.append(result["peak_mb"])
            above.append(result["peak_mb"] - result["base_mb"])
            growth.append(growth_over_second_half(result["samples"], result["seconds"]))
        peak = sorted(peaks)[len(peaks) // 2]
        metrics += [
            metric(f"{kind}: order lines stored", stored_lines, "lines"),
            metric(f"{kind}: lines per second (download + parse + import)", rates, "lines/s"),
            metric(f"{kind}: run time", seconds, "s"),
            metric(f"{kind}: sync process peak above start", above, "MB"),
            metric(
                f"{kind}: sync process peak RSS (VmHWM)",
                peaks,
                "MB",
                target=f"< {TARGET_MB}",
                ok=peak < TARGET_MB,
            ),
            metric(f"{kind}: resident memory growth over the 2nd half of the run", growth, "MB"),
        ]
    notes.append(
        "one scheduled report per run; the sync runs in its own process (peak = its VmHWM); rate limits off"
    )
    return {
        "size": f"{size['lines']:,} lines x {repeat}, {size['skus']:,} SKUs",
        "metrics": metrics,
        "notes": notes,
    }


if __name__ == "__main__":
    print(json.dumps(sync_in_this_process(int(sys.argv[1]))))
