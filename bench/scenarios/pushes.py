"""Order pushes (ADR 0016): orders placed on the simulated Amazon at a steady rate reach Stockroom
through ORDER_CHANGE notifications in an SQS queue (moto's server, a real local process) while the
engine's listener (``pushed_orders.listen``, as the worker runs it) reads the queue.

The simulator's ``searchOrders`` is kept from showing the orders (``visible_after_seconds``): they can
only come through the queue. Time scale 1, Amazon's real rate limits; the simulator publishes each
notification ``notification_delay_seconds`` after the order (5 s, its default).

Measured: arrival, seconds from the order's creation on Amazon until it is in Stockroom
(``Order.created_at``), p50 / p95 / max, beside the target (p95 <= 15 s); the SP-API calls made per
order (``getOrder``), and that no ``searchOrders`` call was needed.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from bench.data import MARKETPLACE_UK, make_account, metric
from bench.stats import median, percentile

NAME = "pushes"
TITLE = "order pushes (Amazon notifications through SQS)"
DEFAULT_REPEAT = 1
NEEDS_DB = True
SIZES = {
    "tiny": {"orders": 5, "every": 0.5},
    "quick": {"orders": 60, "every": 1.0},
    "full": {"orders": 300, "every": 1.0},
}
TARGET_P95 = 15.0
DELAY = 5  # the simulator's notification_delay_seconds (simulated = real at time scale 1)
SELLER = "A0BENCHPUSHSELLER"
HIDDEN = 24 * 3600


def _time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def run(size: dict, repeat: int, *, sim) -> dict:
    from stockroom.orders.models import Order
    from stockroom.sandbox.common.sqs import SqsServer
    from stockroom.sync.engine import pushed_orders

    control = sim.control()
    control.reset(seed=6)
    with SqsServer() as sqs:
        queue = sqs.create_queue("bench-orders")
        control.configure(sqs_endpoint_url=sqs.endpoint_url, notification_delay_seconds=DELAY)
        seller = control.create_seller(SELLER, marketplaces=[MARKETPLACE_UK])
        control.create_listing(SELLER, "PUSH-SKU", quantity=1_000_000)
        account = make_account(
            "Bench pushes",
            seller_id=SELLER,
            endpoint=sim.base_url,
            token_url=sim.token_url,
            order_notifications=True,
            notification_queue_url=queue,
        )
        account.credentials = {
            **account.credentials,
            "client_id": seller["client_id"],
            "client_secret": seller["client_secret"],
            "refresh_token": seller["refresh_token"],
            "aws_access_key_id": "local",
            "aws_secret_access_key": "local",
        }
        account.save()
        pushed_orders.keep_subscriptions()

        seconds = size["orders"] * size["every"] + DELAY + 30
        listener = threading.Thread(
            target=pushed_orders.listen, kwargs={"seconds": seconds, "wait_seconds": 5}
        )
        listener.start()
        placed: dict[str, float] = {}
        for _ in range(size["orders"]):
            order = control.place_order(
                SELLER,
                marketplace_id=MARKETPLACE_UK,
                items=[{"sku": "PUSH-SKU", "quantity": 1}],
                status="Unshipped",
                visible_after_seconds=HIDDEN,
            )
            placed[order["order_id"]] = _time(order["created_at"])
            time.sleep(size["every"])
        deadline = time.monotonic() + DELAY + 60
        while time.monotonic() < deadline:
            if Order.objects.filter(account=account, external_order_id__in=placed).count() == len(placed):
                break
            time.sleep(0.5)
        listener.join()
        arrived = {
            o: c.timestamp()
            for o, c in Order.objects.filter(account=account, external_order_id__in=placed).values_list(
                "external_order_id", "created_at"
            )
        }
        stats = control.stats().get(SELLER, {})
    arrival = [arrived[o] - placed[o] for o in placed if o in arrived]
    p95 = percentile(arrival, 95) if arrival else float("nan")
    return {
        "size": f"{size['orders']} orders, one every {size['every']:g} s",
        "metrics": [
            metric("orders arrived through the queue", [len(arrived)], "orders", value=len(arrived)),
            metric("arrival p50", [median(arrival)] if arrival else [], "s"),
            metric("arrival p95", [p95], "s", target=f"<= {TARGET_P95:g} s", ok=p95 <= TARGET_P95),
            metric("arrival max", [max(arrival)] if arrival else [], "s"),
            metric(
                "getOrder calls per order",
                [stats.get("getOrder", {}).get("calls", 0) / max(1, len(placed))],
                "calls",
            ),
            metric("searchOrders calls", [stats.get("searchOrders", {}).get("calls", 0)], "calls"),
        ],
        "notes": [
            f"the simulator publishes each notification {DELAY} s after the order; searchOrders would "
            "not list these orders (held back a day)",
        ],
    }
