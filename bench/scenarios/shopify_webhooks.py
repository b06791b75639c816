"""Shopify orders as they happen: a sale on the shop -> in Stockroom (by webhook) -> a lower quantity
applied on Amazon, through the production path: ``stockroom serve`` (gunicorn + the Huey worker) in its own
processes, the Shopify simulator delivering webhooks to ``/hooks/<account id>/`` over a real socket, the
Amazon simulator (time scale 1, its rate limits on, its 120 s visibility delay on: "applied" is when Amazon
took the quantity, i.e. ``pending_quantity``).

Orders are placed one at a time (each waits for the previous one to reach Amazon), on one SKU shared by
the shop and one Amazon account. Measured per order, on the wall clock: placed -> ``Order.created_at``
(arrival), placed -> Amazon shows it as pending (applied).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import IO

from bench.data import MARKETPLACE_UK, make_account, make_items, metric
from bench.stats import percentile

NAME = "shopify-webhooks"
TITLE = "Shopify webhooks"
DEFAULT_REPEAT = 1
NEEDS_DB = True
SIZES = {"tiny": {"orders": 3}, "quick": {"orders": 15}, "full": {"orders": 40}}
TARGET_ARRIVAL_P95 = 2.0  # "a web-shop sale is in Stockroom within a couple of seconds"


def _wait(condition, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return None


def run(size: dict, repeat: int, *, sim) -> dict:
    from django.conf import settings

    from stockroom.channels.models import ChannelAccount, Listing
    from stockroom.orders.models import Order
    from stockroom.sandbox.common.process import free_port
    from stockroom.sandbox.shopify.process import ShopifySimulatorProcess
    from stockroom.sync import accounts

    port = free_port()
    server, log = start_serve(port)
    shopify = ShopifySimulatorProcess(seed=3).start()
    try:
        amazon = sim.control()
        shop_control = shopify.control()
        shop = shop_control.create_shop("bench-shop")
        shop_control.create_variant(shop["shop"], "WEB-MUG", quantity=10**6)
        amazon.create_seller("BENCHSHOPIFYAMZ")
        amazon.create_listing("BENCHSHOPIFYAMZ", "WEB-MUG", quantity=10**6)
        (item_id,) = make_items(1, on_hand=10**6, prefix="WEB")
        since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        amazon_account = make_account(
            "Bench Amazon", seller_id="BENCHSHOPIFYAMZ", endpoint=sim.base_url, token_url=sim.token_url
        )
        shop_account = ChannelAccount.objects.create(
            channel="shopify",
            name="Bench shop",
            external_account_id=shop["shop"],
            options={"inventory_update": True, "download_orders_since": since},
            credentials={"access_token": shop["access_token"], "client_secret": shop["client_secret"]},
            endpoint=shopify.shop_endpoint(shop["shop"]),
        )
        for account, sku in ((amazon_account, "WEB-MUG"), (shop_account, "WEB-MUG")):
            Listing.objects.create(
                account=account, channel_sku=sku, stock_item_id=item_id, last_confirmed_quantity=10**6
            )
        settings.STOCKROOM_PUBLIC_URL = f"http://127.0.0.1:{port}"
        if not _wait(lambda: server.poll() is None and _answers(port), 60):
            raise RuntimeError("stockroom serve did not start")
        check = accounts.check_account(shop_account)
        if not check.ok:
            raise RuntimeError(check.message)
        arrival, applied = [], []
        left = 10**6
        for _ in range(size["orders"] * repeat):
            placed_at = time.time()
            placed = shop_control.place_order(shop["shop"], [("WEB-MUG", 1)])
            left -= 1
            order = _wait(
                lambda order_id=placed["id"]: Order.objects.filter(
                    account=shop_account, external_order_id=order_id
                ).first()
            )
            if order is None:
                raise RuntimeError("the order never arrived: see serve.log")
            arrival.append(order.created_at.timestamp() - placed_at)

            def shown(expected=left):
                listing = amazon.get_listing("BENCHSHOPIFYAMZ", "WEB-MUG")
                pending = listing.get("pending_quantity")
                return (pending if pending is not None else listing["quantity"]) <= expected

            if _wait(shown, 120) is None:
                raise RuntimeError("Amazon never got the lower quantity")
            applied.append(time.time() - placed_at)
        metrics = [
            metric("shop sale -> in Stockroom (webhook) p50", arrival, "s"),
            metric(
                "shop sale -> in Stockroom (webhook) p95",
                arrival,
                "s",
                value=percentile(arrival, 95),
                target=f"<= {TARGET_ARRIVAL_P95:g} s",
                ok=percentile(arrival, 95) <= TARGET_ARRIVAL_P95,
            ),
            metric("shop sale -> lower quantity applied on Amazon p50", applied, "s"),
            metric(
                "shop sale -> lower quantity applied on Amazon p95",
                applied,
                "s",
                value=percentile(applied, 95),
            ),
        ]
        notes = [
            f"{len(arrival)} orders, one at a time; stockroom serve (gunicorn + Huey worker, SQLite queue) in its own processes",
            f"Amazon marketplace {MARKETPLACE_UK}, rate limits on; 'applied' = Amazon shows the quantity as pending",
        ]
        return {"size": f"{size['orders']} orders", "metrics": metrics, "notes": notes}
    finally:
        shopify.stop()
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def start_serve(port: int) -> tuple[subprocess.Popen, IO[str]]:
    """``stockroom serve`` (gunicorn and the Huey worker) on ``port``, its output in STOCKROOM_HOME/serve.log
    (the caller closes the log after stopping the server)."""
    log = open(os.path.join(os.environ["STOCKROOM_HOME"], "serve.log"), "w")  # noqa: SIM115 - closed by the caller
    server = subprocess.Popen(
        [sys.executable, "-m", "stockroom.cli.main", "serve", "--port", str(port)],
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return server, log


def _answers(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/login/", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False
