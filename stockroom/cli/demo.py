"""``stockroom demo``: a running Stockroom with two simulated Amazon sellers, from nothing.

Starts the Amazon simulator as a separate process (state kept in the data directory), creates a
demo seller there (two accounts sharing the same stock), the matching stock, accounts, listings and
shipping mappings in Stockroom, runs a first synchronisation, then serves the web UI and the worker.
While it runs, buyers keep placing orders on the simulated accounts, so new orders arrive and the
other account's quantities follow. Every step is idempotent: running the demo again reuses all of it.
"""

from __future__ import annotations

import errno
import logging
import random
import secrets
import socket
import threading
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from stockroom.config.paths import data_dir, read_or_create_key_file

logger = logging.getLogger(__name__)

DEMO_CHANNEL = "amazon"  # the demo runs the Amazon simulator (stockroom sandbox amazon)
UK, DE, US = "A1F83G8C2ARO7P", "A1PA6795UKMFR9", "ATVPDKIKX0DER"


@dataclass(frozen=True)
class DemoSeller:
    account_name: str
    seller_id: str
    region: str
    marketplaces: tuple[str, ...]  # Stockroom codes
    marketplace_ids: tuple[str, ...]
    currency: str


SELLERS = (
    DemoSeller("Demo Books UK", "A2DEMOUKSELLER", "eu", ("UK", "DE"), (UK, DE), "GBP"),
    DemoSeller("Demo Books US", "A3DEMOUSSELLER", "na", ("US",), (US,), "USD"),
)

PRODUCTS = [
    ("MUG-BLUE", "Enamel camping mug, blue", 40, "12.50"),
    ("MUG-RED", "Enamel camping mug, red", 25, "12.50"),
    ("LAMP-DESK", "Folding desk lamp", 12, "34.00"),
    ("NOTE-A5", "A5 dotted notebook", 120, "8.95"),
    ("PEN-FOUNTAIN", "Fountain pen, medium nib", 30, "24.00"),
    ("BAG-TOTE", "Canvas tote bag", 60, "15.00"),
    ("CANDLE-FIG", "Fig scented candle", 18, "19.50"),
    ("SOCKS-WOOL", "Merino hiking socks", 3, "14.00"),
    ("KNIFE-OPINEL", "Pocket knife no. 8", 9, "29.00"),
    ("TEA-EARLGREY", "Earl Grey loose tea 250 g", 75, "7.50"),
]
BUYERS = [
    "Amelia Hughes",
    "Jonas Weber",
    "Chloé Martin",
    "山田 太郎",
    "Olivia Smith",
    "Liam O'Brien",
    "Sofia Rossi",
    "Noah Müller",
    "Mia Johnson",
    "Lucas Dubois",
]
SHIPPING = [
    ("Royal Mail Tracked 48", "Royal Mail", "", "Tracked 48"),
    ("UPS Standard", "UPS", "", "Standard"),
    ("Local courier", "Other", "Leeds Couriers", "Same day"),
]


def busy_ports(host: str, ports: dict[str, int]) -> list[str]:
    """Which of ``ports`` (what it is for -> port) cannot be listened on at ``host``, in words, e.g.
    ["port 8000 (the web server) is already in use on 127.0.0.1"]; [] when all are free.

    Each port is bound for a moment the way the servers bind it (SO_REUSEADDR, so a port left in
    TIME_WAIT by a demo that just stopped counts as free, one another program listens on does not)."""
    problems = []
    sharing: dict[int, list[str]] = {}
    for use, port in ports.items():
        sharing.setdefault(port, []).append(use)
    shared = [
        f"{' and '.join(uses)} cannot share port {port}" for port, uses in sharing.items() if len(uses) > 1
    ]
    if shared:
        return shared
    for use, port in ports.items():
        if not 1 <= port <= 65535:
            problems.append(f"port {port} ({use}) is not between 1 and 65535")
            continue
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                problems.append(f"port {port} ({use}) is already in use on {host}")
            else:
                problems.append(f"port {port} ({use}) cannot be used on {host}: {error.strerror or error}")
    return problems


def free_port_after(host: str, port: int, *, avoid: set[int] = frozenset(), tries: int = 50) -> int | None:
    """The first port after ``port`` that can be listened on at ``host`` (not in ``avoid``), or None."""
    for candidate in range(port + 1, min(port + 1 + tries, 65536)):
        if candidate not in avoid and not busy_ports(host, {"probe": candidate}):
            return candidate
    return None


def demo_login() -> tuple[str, str]:
    """The demo administrator (created once; the password is kept in the data directory, mode 0600)."""
    from django.contrib.auth.models import Group

    password = read_or_create_key_file("demo_password", lambda: secrets.token_urlsafe(12))
    User = get_user_model()
    user = User.objects.filter(username="demo").first()
    if user is None:
        user = User.objects.create_superuser("demo", "demo@example.invalid", password)
        group = Group.objects.filter(name="Administrator").first()
        if group:
            user.groups.add(group)
    return "demo", password


def seed_simulator(control) -> None:
    existing = {s["seller_id"] for s in control.sellers()}
    for n, seller in enumerate(SELLERS):
        if seller.seller_id in existing:
            continue
        control.create_seller(
            seller.seller_id,
            region=seller.region.upper(),
            marketplaces=list(seller.marketplace_ids),
            client_id=f"amzn1.application-oa2-client.demo{n}",
            client_secret=f"demo-secret-{n}",
            refresh_token=f"Atzr|demo-refresh-{n}",
            name=seller.account_name,
        )
        # listed before Stockroom arrived, with the seller's last known stock; Stockroom corrects it
        for i, (sku, title, stock, _price) in enumerate(PRODUCTS):
            control.create_listing(
                seller.seller_id, sku, quantity=stock, asin=f"B0DEMO{n}{i:04d}", title=title
            )
        control.create_listing(
            seller.seller_id,
            f"FBA-{PRODUCTS[0][0]}",
            quantity=50,
            asin=f"B0DEMO{n}9999",
            fulfillment_channel="AMAZON_EU" if seller.region == "eu" else "AMAZON_NA",
            title=f"{PRODUCTS[0][1]} (Fulfilled by Amazon)",
        )


def place_random_order(control, rng: random.Random, **extra) -> str:
    seller = rng.choice(SELLERS)
    lines = rng.sample(PRODUCTS, k=rng.choice([1, 1, 1, 2, 3]))
    buyer = rng.choice(BUYERS)
    result = control.place_order(
        seller.seller_id,
        marketplace_id=rng.choice(seller.marketplace_ids),
        items=[
            {"sku": sku, "quantity": rng.choice([1, 1, 2]), "unit_price": price}
            for sku, _t, _s, price in lines
        ],
        buyer_name=buyer,
        address={
            "name": buyer,
            "address_line1": f"{rng.randint(1, 200)} High Street",
            "city": "Leeds",
            "postal_code": "LS1 4AP",
            "country_code": "GB" if seller.region == "eu" else "US",
        },
        **extra,
    )
    return result["order_id"]


def place_first_orders(control) -> None:
    """Orders from the last few hours (two already shipped on Amazon), so the first sync has work.

    Newer orders appear about two minutes after they are placed: Amazon's searchOrders only lists
    changes older than two minutes.
    """
    from datetime import UTC, datetime, timedelta

    rng = random.Random(3)
    now = datetime.now(UTC)
    for n in range(10):
        created = now - timedelta(minutes=15 + 17 * n)
        place_random_order(
            control, rng, created_at=created.isoformat(), **({"status": "Shipped"} if n >= 8 else {})
        )


def seed_stockroom(base_url: str) -> None:
    from stockroom.catalog.models import StockItem
    from stockroom.catalog.services import create_stock_item
    from stockroom.channels.models import ChannelAccount
    from stockroom.channels.services import link_identical_skus, set_shipping_default
    from stockroom.inventory.services import adjust_stock
    from stockroom.orders.models import ShippingMethod
    from stockroom.sync import accounts

    with transaction.atomic():
        for sku, title, stock, _price in PRODUCTS:
            if not StockItem.objects.filter(sku=sku).exists():
                item = create_stock_item(sku=sku, title=title, barcode=f"50{abs(hash(sku)) % 10**11:011d}")
                adjust_stock(item=item, set_to=stock, reason="demo opening stock")
        for name, *_ in SHIPPING:
            ShippingMethod.objects.get_or_create(name=name)
    for n, seller in enumerate(SELLERS):
        account = ChannelAccount.objects.filter(external_account_id=seller.seller_id).first()
        if account is None:
            account = accounts.add_account(
                channel=DEMO_CHANNEL,
                name=seller.account_name,
                external_account_id=seller.seller_id,
                region=seller.region,
                marketplaces=list(seller.marketplaces),
                credentials={
                    "client_id": f"amzn1.application-oa2-client.demo{n}",
                    "client_secret": f"demo-secret-{n}",
                    "refresh_token": f"Atzr|demo-refresh-{n}",
                },
                endpoint=base_url,
                token_url=base_url + "/auth/o2/token",
            ).account
        elif account.endpoint != base_url:
            account.endpoint, account.token_url = base_url, base_url + "/auth/o2/token"
            account.save(update_fields=["endpoint", "token_url", "updated_at"])
        accounts.import_listings(account)
        link_identical_skus(account=account)
        for method, carrier, carrier_name, ship_method in SHIPPING:
            accounts.map_shipping_method(
                account=account,
                shipping_method=method,
                carrier_code=carrier,
                carrier_name=carrier_name,
                ship_method=ship_method,
            )
        # demo buyers choose Amazon's Standard service: batch processing uses this method for them
        set_shipping_default(
            account=account,
            channel_service="Standard",
            shipping_method=SHIPPING[0][0] if seller.region == "eu" else SHIPPING[1][0],
        )


DEMO_QUEUE = "stockroom-demo-orders"  # the SQS queue (on moto's server) the simulated Amazon pushes to


def enable_order_notifications(queue_url: str) -> None:
    """Turn order notifications on for the demo accounts, with the queue on moto's server (ADR 0016);
    the worker then subscribes them and imports each order as soon as the simulator pushes it."""
    from stockroom.channels.models import ChannelAccount
    from stockroom.sync import accounts

    for seller in SELLERS:
        account = ChannelAccount.objects.filter(external_account_id=seller.seller_id).first()
        if account is None:
            continue
        if not account.credentials.get("aws_access_key_id"):
            accounts.edit_account(
                account=account,
                external_account_id=account.external_account_id,
                region=account.region,
                marketplaces=list(account.marketplaces),
                credentials={"aws_access_key_id": "local", "aws_secret_access_key": "local"},
                endpoint=account.endpoint,
                token_url=account.token_url,
            )
            account.refresh_from_db()
        accounts.set_account_options(
            account=account, values={"order_notifications": True, "notification_queue_url": queue_url}
        )


class OrderGenerator(threading.Thread):
    """Buyers placing orders on the simulated accounts every few seconds, while the demo runs."""

    def __init__(self, control, every_seconds: float, seed: int = 7):
        super().__init__(daemon=True, name="demo-buyers")
        self.control, self.every, self.rng = control, every_seconds, random.Random(seed)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                order_id = place_random_order(self.control, self.rng)
                logger.info("demo: a buyer placed Amazon order %s", order_id)
            except Exception as error:  # the demo goes on; the simulator may be restarting
                logger.warning("demo: could not place an order: %s", error)


def total(value: str) -> Decimal:
    return Decimal(value)


def state_file() -> str:
    return str(data_dir() / "amazon-simulator.json")
