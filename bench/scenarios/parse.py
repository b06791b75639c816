"""Report parse: a flat (tab-separated) order report of N lines, and the same orders as an XML order
report, read with the connector's own mapping functions the way ``AmazonConnector`` reads a downloaded
report document (bytes -> decode -> orders).

No database: the parse runs once per suite (shown as db "-"). Each measurement runs in a fresh child
process so peak memory (``VmHWM``) is the parse's own; the file is generated first by the parent.
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.data import metric
from bench.stats import current_rss_mb, peak_rss_mb

NAME = "parse"
TITLE = "report parse"
DEFAULT_REPEAT = 1
NEEDS_DB = False
SIZES = {
    "tiny": {"lines": 200},
    "quick": {"lines": 100_000},
    "full": {"lines": 1_000_000},
}
TARGET_RATE = 200_000
TARGET_MB = 150
MEMORY_LIMIT_BYTES = 8 * 1024**3  # a child that needs more is stopped and reported, not the machine

FLAT_COLUMNS = [
    "order-id",
    "order-item-id",
    "purchase-date",
    "payments-date",
    "buyer-email",
    "buyer-name",
    "buyer-phone-number",
    "sku",
    "product-name",
    "quantity-purchased",
    "currency",
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "ship-service-level",
    "recipient-name",
    "ship-address-1",
    "ship-address-2",
    "ship-address-3",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "ship-phone-number",
    "item-promotion-discount",
    "item-promotion-id",
    "ship-promotion-discount",
    "ship-promotion-id",
    "delivery-start-date",
    "delivery-end-date",
    "delivery-time-zone",
    "delivery-Instructions",
    "sales-channel",
]  # fmt: skip  (Amazon's flat shipping/order report columns, as the simulator renders them)


def _orders(lines: int):
    """(order id, purchase time, [(item id, sku, qty, price)]) until ``lines`` lines are produced."""
    rng = random.Random(7)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    made = n = 0
    while made < lines:
        count = min(rng.randint(1, 3), lines - made)
        n += 1
        order_id = f"202-{n:07d}-{rng.randint(1000000, 9999999)}"
        when = (start + timedelta(seconds=n * 3)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        items = [
            (f"{n:08d}{k:06d}", f"SKU-{rng.randint(0, 49999):05d}", rng.randint(1, 3), rng.randint(199, 9999))
            for k in range(count)
        ]
        made += count
        yield order_id, when, n, items


def write_flat(path: Path, lines: int) -> int:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("\t".join(FLAT_COLUMNS) + "\n")
        for order_id, when, n, items in _orders(lines):
            for item_id, sku, qty, pence in items:
                price = f"{pence * qty / 100:.2f}"
                out.write(
                    f"{order_id}\t{item_id}\t{when}\t{when}\tbuyer{n}@marketplace.amazon.co.uk\t"
                    f"Buyer {n} Smith\t+44 20 7946 {n % 10000:04d}\t{sku}\tProduct {sku} in blue, size M\t"
                    f"{qty}\tGBP\t{price}\t0.00\t2.99\t0.00\tStandard\tBuyer {n} Smith\t{n} High Street\t\t\t"
                    f"London\tGreater London\tSW1A {n % 9}AA\tGB\t+44 20 7946 0000\t0.00\t\t0.00\t\t\t\t\t\t"
                    "Amazon.co.uk\n"
                )
    return path.stat().st_size


def write_xml(path: Path, lines: int) -> int:
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<AmazonEnvelope><Header><DocumentVersion>1.01'
            "</DocumentVersion><MerchantIdentifier>BENCH</MerchantIdentifier></Header>"
            "<MessageType>OrderReport</MessageType>\n"
        )
        for number, (order_id, when, n, items) in enumerate(_orders(lines), start=1):
            parts = [
                f"<Message><MessageID>{number}</MessageID><OrderReport><AmazonOrderID>{order_id}</AmazonOrderID>"
                f"<OrderDate>{when}</OrderDate><OrderPostedDate>{when}</OrderPostedDate><BillingData>"
                f"<BuyerEmailAddress>buyer{n}@marketplace.amazon.co.uk</BuyerEmailAddress>"
                f"<BuyerName>Buyer {n} Smith</BuyerName></BillingData><FulfillmentData>"
                "<FulfillmentMethod>Ship</FulfillmentMethod><FulfillmentServiceLevel>Standard"
                f"</FulfillmentServiceLevel><Address><Name>Buyer {n} Smith</Name><AddressFieldOne>{n} High "
                "Street</AddressFieldOne><City>London</City><PostalCode>SW1A 1AA</PostalCode>"
                "<CountryCode>GB</CountryCode></Address></FulfillmentData>"
            ]
            for item_id, sku, qty, pence in items:
                parts.append(
                    f"<Item><AmazonOrderItemCode>{item_id}</AmazonOrderItemCode><SKU>{sku}</SKU>"
                    f"<Title>Product {sku} in blue, size M</Title><Quantity>{qty}</Quantity><ItemPrice>"
                    f'<Component><Type>Principal</Type><Amount currency="GBP">{pence * qty / 100:.2f}</Amount>'
                    '</Component><Component><Type>Shipping</Type><Amount currency="GBP">2.99</Amount>'
                    "</Component></ItemPrice></Item>"
                )
            parts.append("</OrderReport></Message>\n")
            out.write("".join(parts))
        out.write("</AmazonEnvelope>\n")
    return path.stat().st_size


def parse_file(kind: str, path: str) -> dict:
    """In a fresh process: read the document and parse it as the connector does; time and memory."""
    from stockroom.connectors.amazon import mapping

    base = current_rss_mb()
    started = time.perf_counter()
    orders = lines = failed = 0
    # what AmazonConnector does with a downloaded document, spooled to a file
    with open(path, "rb") as handle:
        for page, bad in mapping.report_pages(
            handle, default_marketplace="UK", content_type="text/plain; charset=UTF-8"
        ):
            orders += len(page)
            lines += sum(len(o.lines) for o in page)
            failed += len(bad)
    elapsed = time.perf_counter() - started
    return {
        "seconds": elapsed,
        "orders": orders,
        "lines": lines,
        "failed": failed,
        "peak_mb": peak_rss_mb() - base,
    }


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def _measure(kind: str, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.scenarios.parse", kind, str(path)],
        capture_output=True,
        text=True,
        preexec_fn=_limit_memory,  # noqa: PLW1509 - a plain child, no threads involved
        env=dict(os.environ, DJANGO_SETTINGS_MODULE="stockroom.config.settings"),
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": f"parse process failed ({tail[:200]})"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(size: dict, repeat: int, **_) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="stockroom-bench-parse-"))
    metrics, notes = [], []
    try:
        for kind, writer in (("flat", write_flat), ("xml", write_xml)):
            path = workdir / f"report.{kind}"
            size_bytes = writer(path, size["lines"])
            results = [_measure(kind, path) for _ in range(repeat)]
            good = [r for r in results if "error" not in r]
            if not good:
                notes.append(f"{kind}: {results[0]['error']}")
                metrics.append(
                    metric(
                        f"{kind}: lines per second",
                        [],
                        "lines/s",
                        target=f">= {TARGET_RATE:,}",
                        ok=False,
                        value="failed",
                    )
                )
                continue
            if any(r["lines"] != size["lines"] or r["failed"] for r in good):
                raise RuntimeError(
                    f"{kind} report: read {good[0]['lines']} lines, {good[0]['failed']} failed"
                )
            rates = [r["lines"] / r["seconds"] for r in good]
            peaks = [r["peak_mb"] for r in good]
            rate = sorted(rates)[len(rates) // 2]
            peak = sorted(peaks)[len(peaks) // 2]
            metrics += [
                metric(
                    f"{kind}: lines per second",
                    rates,
                    "lines/s",
                    target=f">= {TARGET_RATE:,}",
                    ok=rate >= TARGET_RATE,
                ),
                metric(
                    f"{kind}: peak memory of the parse",
                    peaks,
                    "MB",
                    target=f"< {TARGET_MB}",
                    ok=peak < TARGET_MB,
                ),
                metric(f"{kind}: document size", [size_bytes / 1024 / 1024], "MB"),
            ]
    finally:
        for child in workdir.iterdir():
            child.unlink()
        workdir.rmdir()
    return {"size": f"{size['lines']:,} lines x {repeat}", "metrics": metrics, "notes": notes}


if __name__ == "__main__":
    print(json.dumps(parse_file(sys.argv[1], sys.argv[2])))
