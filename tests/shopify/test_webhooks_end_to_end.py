"""Orders as they happen, end to end: one stock item listed on an Amazon account and a Shopify shop (both
simulators, real local servers), Stockroom served by pytest-django's live server so the Shopify simulator
delivers its webhooks to ``/hooks/<account id>/`` over a real socket.

Waiting for a delivery polls the database until the order is there (a deadline, never a timed assertion).
"""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from stockroom.channels.models import Listing
from stockroom.orders import services as order_services
from stockroom.orders.models import Order
from stockroom.sync import accounts, engine
from stockroom.sync.models import SyncRun, SyncTrigger, WebhookReceipt
from tests.contract.harness import SHIPPING_METHOD, AmazonHarness, EbayHarness, ShopifyHarness

pytestmark = pytest.mark.django_db(transaction=True)


def eventually(condition, *, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return condition()


@pytest.fixture
def shop_setup(request, live_server, settings, make_item, link):
    settings.STOCKROOM_PUBLIC_URL = live_server.url
    shopify = ShopifyHarness(request)
    account = shopify.account(name="Web shop")
    item = make_item("MUG-RED", on_hand=10)
    shopify.create_listing(account, "MUG-RED", 10)
    link(account, "MUG-RED", item, last_confirmed_quantity=10)
    return shopify, account, item


def test_the_account_check_registers_the_webhooks_once_and_names_the_orders_waiting(shop_setup):
    shopify, account, _ = shop_setup

    first = accounts.check_account(account)
    again = accounts.check_account(account)

    assert first.ok, first.message
    assert first.orders_waiting == 0
    assert (
        "Webhooks registered (orders_create, orders_updated, orders_cancelled, orders_fulfilled)"
        in first.message
    )
    assert "Webhooks are registered." in again.message
    subscriptions = [s for s in shopify.control.subscriptions() if s["shop"] == shopify.shop(account)]
    assert sorted(s["topic"] for s in subscriptions) == [
        "ORDERS_CANCELLED",
        "ORDERS_CREATE",
        "ORDERS_FULFILLED",
        "ORDERS_UPDATED",
    ]
    assert {s["callback_url"] for s in subscriptions} == {
        f"{shopify.settings.STOCKROOM_PUBLIC_URL}/hooks/{account.pk}/"
    }


def test_a_web_shop_sale_arrives_by_webhook_lowers_amazon_and_its_dispatch_reaches_shopify_once(
    request, shop_setup, link
):
    shopify, shop_account, item = shop_setup
    amazon = AmazonHarness(request)
    amazon_account = amazon.account(name="Amazon UK")
    amazon.create_listing(amazon_account, "MUG-RED-AMZ", 10)
    link(amazon_account, "MUG-RED-AMZ", item, last_confirmed_quantity=10)
    assert accounts.check_account(shop_account).ok

    placed = shopify.control.place_order(shopify.shop(shop_account), [("MUG-RED", 3)])

    order = eventually(
        lambda: Order.objects.filter(account=shop_account, external_order_id=placed["id"]).first()
    )
    assert order is not None, shopify.control.deliveries()
    assert SyncRun.objects.filter(account=shop_account, trigger=SyncTrigger.WEBHOOK).exists()
    engine.push_changed_stock()  # what the stock-change task does within seconds of the sale
    amazon.later()  # Amazon shows a new quantity about two minutes after it was sent
    assert amazon.shown_quantity(amazon_account, "MUG-RED-AMZ") == 7
    assert shopify.shown_quantity(shop_account, "MUG-RED") == 7  # the shop lowered itself when it sold

    order_services.process_order(
        order_id=order.pk, tracking_number="RM123456789GB", shipping_method=SHIPPING_METHOD
    )
    first = engine.sync_account(shop_account, trigger="cli")
    again = engine.sync_account(shop_account, trigger="cli")

    assert first.confirmations_sent == 1, first.errors
    assert again.confirmations_sent == 0
    assert shopify.confirmations_received(shop_account) == [placed["id"]]
    fulfilled = shopify.control.order(shopify.shop(shop_account), placed["id"])
    assert fulfilled["fulfillment_status"] == "FULFILLED"
    assert fulfilled["fulfillments"][0]["tracking"] == {
        "company": "Royal Mail",
        "number": "RM123456789GB",
        "url": None,
    }
    assert shopify.control.variant(shopify.shop(shop_account), "MUG-RED")["levels"] == {
        shopify.shops[shop_account.pk]["location_id"]: {"available": 7, "committed": 0, "on_hand": 7}
    }


def test_a_duplicated_webhook_is_dropped_by_its_id_and_imports_nothing_twice(shop_setup):
    shopify, account, _ = shop_setup
    assert accounts.check_account(account).ok
    placed = shopify.control.place_order(shopify.shop(account), [("MUG-RED", 1)])
    eventually(lambda: Order.objects.filter(account=account, external_order_id=placed["id"]).exists())
    delivered = eventually(
        lambda: [d for d in shopify.control.deliveries(shopify.shop(account)) if d["status"] == "delivered"]
    )
    receipts = WebhookReceipt.objects.filter(account=account).count()

    copy = shopify.control.redeliver(delivered[0]["id"])

    eventually(
        lambda: any(
            d["id"] == copy["id"] and d["status"] == "delivered" for d in shopify.control.deliveries()
        )
    )
    assert WebhookReceipt.objects.filter(account=account).count() == receipts
    assert Order.objects.filter(account=account).count() == 1


def test_webhooks_delivered_late_and_out_of_order_leave_the_order_as_the_shop_has_it(shop_setup):
    shopify, account, item = shop_setup
    assert accounts.check_account(account).ok
    shopify.control.configure(webhook_hold=True)
    placed = shopify.control.place_order(shopify.shop(account), [("MUG-RED", 2)])
    shopify.control.cancel_order(shopify.shop(account), placed["id"])

    shopify.control.release_webhooks(reverse=True)  # "cancelled" arrives before "created"

    eventually(
        lambda: all(d["status"] == "delivered" for d in shopify.control.deliveries(shopify.shop(account)))
    )
    order = eventually(lambda: Order.objects.filter(account=account, external_order_id=placed["id"]).first())
    assert order.status == "cancelled"
    item.refresh_from_db()
    assert item.levels.get().allocated == 0


def test_a_forged_webhook_is_refused_logged_without_its_body_and_changes_nothing(
    shop_setup, live_server, caplog
):
    shopify, account, _ = shop_setup
    body = b'{"id": 5500000000999, "email": "secret-buyer@example.com"}'
    headers = {
        "X-Shopify-Hmac-SHA256": "bm90LXRoZS1zaWduYXR1cmU=",
        "X-Shopify-Shop-Domain": account.external_account_id,
        "X-Shopify-Webhook-Id": "forged-1",
        "X-Shopify-Topic": "orders/create",
        "Content-Type": "application/json",
    }

    with caplog.at_level(logging.WARNING, logger="stockroom.sync.webhooks"):
        answer = httpx.post(f"{live_server.url}/hooks/{account.pk}/", content=body, headers=headers)

    assert answer.status_code == 401
    assert answer.json() == {"status": "the webhook's signature (X-Shopify-Hmac-SHA256) does not match"}
    assert WebhookReceipt.objects.count() == 0
    assert Order.objects.count() == 0
    assert "signature" in caplog.text and "secret-buyer" not in caplog.text


def test_a_marketplace_sale_lowers_the_shop_at_its_managed_location(request, shop_setup, link):
    shopify, shop_account, item = shop_setup
    amazon = AmazonHarness(request)
    amazon_account = amazon.account(name="Amazon UK")
    amazon.create_listing(amazon_account, "MUG-RED-AMZ", 10)
    link(amazon_account, "MUG-RED-AMZ", item, last_confirmed_quantity=10)
    imported = accounts.import_listings(shop_account)

    amazon.place_order(amazon_account, [("MUG-RED-AMZ", 4)])
    run = engine.sync_account(amazon_account, trigger="cli", steps=("orders",))
    engine.push_changed_stock()

    assert (imported.created, imported.updated) == (0, 1)
    listing = Listing.objects.get(account=shop_account, channel_sku="MUG-RED")
    variant = shopify.control.variant(shopify.shop(shop_account), "MUG-RED")
    assert listing.inventory_item_ref == f"gid://shopify/InventoryItem/{variant['inventory_item_id']}"
    assert listing.location_ref == f"gid://shopify/Location/{shopify.shops[shop_account.pk]['location_id']}"
    assert run.orders_new == 1, run.errors
    assert variant["levels"] == {
        shopify.shops[shop_account.pk]["location_id"]: {"available": 6, "committed": 0, "on_hand": 6}
    }


def test_one_stock_across_three_channels_a_web_shop_sale_lowers_amazon_and_ebay(request, shop_setup, link):
    shopify, shop_account, item = shop_setup
    amazon, ebay = AmazonHarness(request), EbayHarness(request)
    amazon_account, ebay_account = amazon.account(name="Amazon UK"), ebay.account(name="eBay UK")
    amazon.create_listing(amazon_account, "MUG-RED-AMZ", 10)
    ebay.create_listing(ebay_account, "MUG-RED-EBAY", 10)
    link(amazon_account, "MUG-RED-AMZ", item, last_confirmed_quantity=10)
    link(ebay_account, "MUG-RED-EBAY", item, last_confirmed_quantity=10)
    assert accounts.check_account(shop_account).ok

    placed = shopify.control.place_order(shopify.shop(shop_account), [("MUG-RED", 4)])
    order = eventually(
        lambda: Order.objects.filter(account=shop_account, external_order_id=placed["id"]).first()
    )
    engine.push_changed_stock()
    amazon.later()
    ebay.later()

    assert order is not None
    assert amazon.shown_quantity(amazon_account, "MUG-RED-AMZ") == 6
    assert ebay.shown_quantity(ebay_account, "MUG-RED-EBAY") == 6
    assert shopify.shown_quantity(shop_account, "MUG-RED") == 6
