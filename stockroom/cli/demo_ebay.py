"""``stockroom demo``'s eBay part: the eBay simulator beside the Amazon one, a demo eBay seller listing
the same products, its Stockroom account (connected, listings linked, shipping mapped) and buyers
placing eBay orders while the demo runs. Hooked into the demo command by ``EbayDemo``; every step is
idempotent, like the rest of the demo."""

from __future__ import annotations

import logging
import random
import threading

from stockroom.cli import demo
from stockroom.config.paths import data_dir

logger = logging.getLogger(__name__)

DEMO_CHANNEL = "ebay"  # the eBay simulator's channel (stockroom sandbox ebay)
DEFAULT_PORT = 8767
SELLER = "demo_books_uk"
ACCOUNT_NAME = "Demo Books eBay UK"
CREDENTIALS = {
    "client_id": "DemoBook-Stockroo-PRD-0000000001",
    "client_secret": "PRD-demo-ebay-secret-0001",
    "ru_name": "Demo_Books-DemoBook-Stockr-demo",
    "refresh_token": "v^1.1#i^1#demo-ebay-refresh",
}


class EbayDemo:
    """The eBay simulator process, its demo seller and the Stockroom account, for ``stockroom demo``."""

    def __init__(self, *, host: str, port: int, web_url: str, orders_every: float) -> None:
        from stockroom.sandbox.ebay.process import EbaySimulatorProcess

        self.web_url = web_url.rstrip("/")
        self.orders_every = orders_every
        self.process = EbaySimulatorProcess(
            port=port, seed=11, state_file=str(data_dir() / "ebay-simulator.json")
        )
        self.stopped = threading.Event()
        self.control = None

    def start(self) -> str:
        self.process.start()
        self.control = self.process.control()
        if SELLER not in self.control.sellers():
            self.control.create_seller(
                SELLER,
                marketplace="EBAY_GB",
                accept_url=f"{self.web_url}/accounts/consent/return/",
                **CREDENTIALS,
            )
            for sku, title, stock, price in demo.PRODUCTS:
                self.control.create_listing(SELLER, sku, quantity=stock, title=title, price=price)
            rng = random.Random(5)
            for _ in range(4):
                self.place_order(rng)
        return self.process.base_url

    def seed_stockroom(self) -> None:
        from stockroom.channels.models import ChannelAccount
        from stockroom.channels.services import link_identical_skus
        from stockroom.sync import accounts

        base = self.process.base_url
        account = ChannelAccount.objects.filter(channel=DEMO_CHANNEL, external_account_id=SELLER).first()
        if account is None:
            account = accounts.add_account(
                channel=DEMO_CHANNEL,
                name=ACCOUNT_NAME,
                external_account_id=SELLER,
                marketplaces="EBAY_GB",
                credentials=dict(CREDENTIALS),
                endpoint=base,
            ).account
        elif account.endpoint != base:
            account.endpoint = base
            account.save(update_fields=["endpoint", "updated_at"])
        accounts.import_listings(account)
        link_identical_skus(account=account)
        for method, carrier, _name, ship_method in demo.SHIPPING:
            accounts.map_shipping_method(
                account=account,
                shipping_method=method,
                carrier_code=carrier,
                carrier_name="",
                ship_method=ship_method,
            )

    def place_order(self, rng: random.Random) -> str:
        lines = rng.sample(demo.PRODUCTS, k=rng.choice([1, 1, 2]))
        order = self.control.place_order(
            SELLER,
            [(sku, rng.choice([1, 1, 2])) for sku, *_ in lines],
            buyer=rng.choice(demo.BUYERS).split()[0].lower() + str(rng.randint(10, 99)),
        )
        return order["order_id"]

    def start_buyers(self) -> None:
        if self.orders_every <= 0:
            return

        def buy() -> None:
            rng = random.Random(13)
            while not self.stopped.wait(self.orders_every * 2):  # every other interval: a smaller shop
                try:
                    logger.info("demo: a buyer placed eBay order %s", self.place_order(rng))
                except Exception as error:  # the demo goes on; the simulator may be restarting
                    logger.warning("demo: could not place an eBay order: %s", error)

        threading.Thread(target=buy, daemon=True, name="demo-ebay-buyers").start()

    def banner(self) -> str:
        return (
            f"  Simulated eBay (Sell Fulfillment + Inventory, OAuth consent, /_sim/ control API): "
            f"{self.process.base_url}\n"
        )

    def stop(self) -> None:
        self.stopped.set()
        if self.control is not None:
            self.control.close()
        self.process.stop()
