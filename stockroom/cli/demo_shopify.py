"""The demo's web shop: a Shopify shop ("Demo Books Shop") on the local Shopify simulator, selling the same
products as the demo's Amazon accounts, with orders arriving by webhook as buyers place them.

``add_to_demo`` is the one line ``stockroom demo`` calls after seeding Amazon: it starts the Shopify
simulator on ``SHOPIFY_SIM_PORT`` (default 8768; state kept in the data directory), creates the shop and
its variants there, the account in Stockroom (admin token and client secret, encrypted), imports and links
its listings, maps the shipping methods, checks the account (which registers Stockroom's webhooks at
``STOCKROOM_PUBLIC_URL``, by default the demo's own address) and starts a buyer who orders from the shop
from time to time. The simulator is stopped when the demo exits. Every step is idempotent.
"""

from __future__ import annotations

import atexit
import logging
import os
import random
import threading

from django.conf import settings

from stockroom.cli import demo
from stockroom.config.paths import data_dir

logger = logging.getLogger(__name__)

DEMO_CHANNEL = "shopify"  # the demo shop runs on the Shopify simulator (stockroom sandbox shopify)
SHOP = "demo-books.myshopify.com"
ACCOUNT_NAME = "Demo Books Shop"
DEFAULT_PORT = 8768


def sim_port() -> int:
    return int(os.environ.get("SHOPIFY_SIM_PORT") or DEFAULT_PORT)


def seed_shop(control) -> dict:
    """The demo shop with its app's credentials (created once; the state file keeps it)."""
    known = {s["shop"] for s in control._call("GET", "/shops")["shops"]}
    if SHOP not in known:
        created = control.create_shop(SHOP, name=ACCOUNT_NAME)
        for sku, title, stock, price in demo.PRODUCTS:
            control.create_variant(
                SHOP, sku, quantity=stock, title="Default Title", product_title=title, price=price
            )
        return created
    return {}


def seed_account(simulator, created: dict):
    from stockroom.channels.models import ChannelAccount
    from stockroom.channels.services import link_identical_skus
    from stockroom.sync import accounts

    account = ChannelAccount.objects.filter(channel=DEMO_CHANNEL, external_account_id=SHOP).first()
    endpoint = simulator.shop_endpoint(SHOP)
    if account is None:
        if not created:
            return None  # the shop exists but its token is not known here: a fresh data directory is needed
        account = accounts.add_account(
            channel=DEMO_CHANNEL,
            name=ACCOUNT_NAME,
            external_account_id=SHOP,
            credentials={"access_token": created["access_token"], "client_secret": created["client_secret"]},
            endpoint=endpoint,
        ).account
    elif account.endpoint != endpoint:
        account.endpoint = endpoint
        account.save(update_fields=["endpoint", "updated_at"])
    accounts.import_listings(account)
    link_identical_skus(account=account)
    for method, carrier, carrier_name, ship_method in demo.SHIPPING:
        accounts.map_shipping_method(
            account=account,
            shipping_method=method,
            carrier_code=carrier if carrier in ("Royal Mail", "UPS") else "Other",
            carrier_name=carrier_name,
            ship_method=ship_method,
        )
    return account


class ShopBuyers(threading.Thread):
    """A buyer ordering one or two products from the demo shop every ``every`` seconds."""

    def __init__(self, control, every: float) -> None:
        super().__init__(daemon=True, name="demo-shop-buyers")
        self.control, self.every, self.rng = control, every, random.Random(11)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            lines = [(sku, 1) for sku, *_ in self.rng.sample(demo.PRODUCTS, k=self.rng.choice([1, 1, 2]))]
            try:
                placed = self.control.place_order(SHOP, lines, email="buyer@example.com")
                logger.info("demo: a buyer placed Shopify order %s", placed["name"])
            except Exception as error:  # out of stock, simulator restarting: the demo goes on
                logger.warning("demo: could not place a shop order: %s", error)


def add_to_demo(options: dict, stdout) -> None:
    """Start and seed the demo shop (see the module's docstring); a busy port skips it with a warning.
    ``options``: the demo command's (host, port, orders_every)."""
    host, port, orders_every = options["host"], options["port"], options["orders_every"]
    from stockroom.sandbox.shopify.process import ShopifySimulatorProcess
    from stockroom.sync import accounts

    shop_port = sim_port()
    if demo.busy_ports(host, {"the Shopify simulator": shop_port}):
        stdout.write(
            f"  The Shopify simulator's port {shop_port} is in use: the demo shop is left out "
            "(set SHOPIFY_SIM_PORT to a free port).\n"
        )
        return
    simulator = ShopifySimulatorProcess(
        port=shop_port, seed=7, state_file=str(data_dir() / "shopify-simulator.json")
    )
    simulator.start()
    atexit.register(simulator.stop)
    control = simulator.control()
    account = seed_account(simulator, seed_shop(control))
    if account is None:
        stdout.write("  The demo shop's state file has no account here: remove var/shopify-simulator.json.\n")
        return
    if not getattr(settings, "STOCKROOM_PUBLIC_URL", ""):
        settings.STOCKROOM_PUBLIC_URL = f"http://{host}:{port}"
    result = accounts.check_account(account)
    stdout.write(
        f"  Demo shop {ACCOUNT_NAME} ({SHOP}) on the Shopify simulator {simulator.base_url}: {result.message}\n"
    )
    if orders_every > 0:
        ShopBuyers(control, orders_every * 2).start()
        stdout.write(f"  A simulated buyer orders from the shop every {orders_every * 2:g} s (by webhook).\n")
