"""The Shopify connector against the simulator (a real local server): the account check names the cause,
tokens from the client-credentials grant are kept across runs, and a sale on the shop racing a Stockroom
push is never overwritten."""

from __future__ import annotations

import pytest

from stockroom.channels.models import ChannelAccount
from stockroom.connectors.shopify.connector import ShopifyConnector
from stockroom.inventory.selectors import available_to_sell
from stockroom.inventory.services import adjust_stock
from stockroom.sync import accounts, engine
from tests.contract.harness import ShopifyHarness

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shopify(request) -> ShopifyHarness:
    return ShopifyHarness(request)


def test_the_check_says_the_shop_is_unknown(shopify, shopify_simulator):
    account = ChannelAccount.objects.create(
        channel="shopify",
        name="Nowhere",
        external_account_id="nowhere.myshopify.com",
        credentials={"access_token": "shpat_x"},
        endpoint=shopify_simulator.shop_endpoint("nowhere.myshopify.com"),
    )

    result = accounts.check_account(account)

    assert (result.ok, result.message) == (
        False,
        "There is no Shopify shop at nowhere.myshopify.com: check the shop address (name.myshopify.com).",
    )


def test_the_check_says_the_token_was_refused(shopify):
    account = shopify.account(credentials_ok=False)

    result = accounts.check_account(account)

    assert not result.ok
    assert result.message.startswith("Shopify refused the Admin API access token: it was revoked or mistyped")


def test_the_check_names_every_missing_scope_and_what_it_is_for(shopify):
    account = shopify.account()
    shopify.control.set_scopes(
        shopify.shop(account),
        ["read_orders", "read_products", "read_inventory", "write_merchant_managed_fulfillment_orders"],
    )

    result = accounts.check_account(account)

    assert not result.ok
    assert "lacks the access scopes write_inventory (to send stock levels)" in result.message
    assert "read_merchant_managed_fulfillment_orders" not in result.message  # implied by its write scope


def test_the_check_counts_the_orders_waiting(shopify):
    account = shopify.account()
    shopify.create_listing(account, "MUG", 10)
    shopify.place_orders(account, [[("MUG", 1)], [("MUG", 2)]])

    result = accounts.check_account(account)

    assert result.ok, result.message
    assert result.orders_waiting == 2
    assert result.message == (
        f"Connected to Shopify shop {shopify.shop(account).split('.')[0].title()} ({shopify.shop(account)}); "
        "Stockroom manages the stock of location Shop location; 2 orders to download."
    )


def test_a_client_id_and_secret_get_one_token_kept_across_runs(shopify):
    account = shopify.account()
    shop = shopify.shops[account.pk]
    account.credentials = {"client_id": shop["client_id"], "client_secret": shop["client_secret"]}
    account.save()

    first = accounts.check_account(account)
    run = engine.sync_account(account, trigger="cli")

    assert first.ok, first.message
    assert run.status == "ok", run.errors
    assert shopify.control.stats()[shop["shop"]]["access_token"]["calls"] == 1


def test_a_shop_sale_racing_a_push_is_never_overwritten_and_the_next_run_sends_the_right_quantity(
    shopify, make_item, link, monkeypatch
):
    account = shopify.account()
    shop = shopify.shop(account)
    item = make_item("MUG", on_hand=10)
    shopify.create_listing(account, "MUG", 10)
    link(account, "MUG", item, last_confirmed_quantity=10)
    adjust_stock(item=item, set_to=8, reason="a sale elsewhere")  # Stockroom will send 8
    send = ShopifyConnector._set

    def buyer_first(self, quantities, by_item):  # the shop sells one between Stockroom's read and write
        monkeypatch.setattr(ShopifyConnector, "_set", send)
        shopify.control.place_order(shop, [("MUG", 1)])
        return send(self, quantities, by_item)

    monkeypatch.setattr(ShopifyConnector, "_set", buyer_first)

    raced = engine.sync_account(account, trigger="cli", steps=("stock",))
    shown_after_race = shopify.shown_quantity(account, "MUG")
    shopify.later()
    next_run = engine.sync_account(account, trigger="cli")

    assert raced.status != "ok"
    assert shown_after_race == 9  # the shop's own sale stands: nothing was overwritten blindly
    assert next_run.status == "ok", next_run.errors
    assert next_run.orders_new == 1
    assert available_to_sell(item.pk) == 7
    assert shopify.shown_quantity(account, "MUG") == 7
    levels = shopify.control.variant(shop, "MUG")["levels"][shopify.shops[account.pk]["location_id"]]
    assert levels == {"available": 7, "committed": 1, "on_hand": 8}


def test_a_package_without_tracking_whose_answer_was_lost_is_read_back_not_sent_twice(
    shopify, make_item, link
):
    from stockroom.orders import services as order_services
    from stockroom.orders.models import ChannelShipment, Order
    from tests.contract.harness import SHIPPING_METHOD

    account = shopify.account()
    item = make_item("MUG", on_hand=5)
    shopify.create_listing(account, "MUG", 5)
    link(account, "MUG", item)
    placed = shopify.place_order(account, [("MUG", 2)])
    engine.sync_account(account, trigger="cli", steps=("orders",))
    order = Order.objects.get(account=account, external_order_id=placed)
    order_services.process_order(order_id=order.pk, tracking_number="", shipping_method=SHIPPING_METHOD)
    shopify.control.set_fault("fulfillmentCreate", "lost_answer", count=1, seller_id=shopify.shop(account))

    lost = engine.sync_account(account, trigger="cli", steps=("shipments",))
    shopify.later()
    again = engine.sync_account(account, trigger="cli", steps=("shipments",))

    assert lost.confirmations_sent == 0
    assert again.confirmations_sent == 1, again.errors
    assert shopify.confirmations_received(account) == [placed]  # one fulfilment on Shopify
    assert ChannelShipment.objects.get(order=order).status == "sent"


def test_a_package_from_two_locations_is_two_fulfilments_and_a_retry_sends_only_the_missing_one(
    shopify, make_item, link, monkeypatch
):
    from stockroom.connectors.shopify import operations as ops
    from stockroom.connectors.shopify.client import ShopifyClient
    from stockroom.orders import services as order_services
    from stockroom.orders.models import ChannelShipment, Order
    from tests.contract.harness import SHIPPING_METHOD

    account = shopify.account()
    shop = shopify.shop(account)
    backroom = shopify.control.create_location(shop, "Back room")
    shopify.control.create_variant(shop, "MUG", quantity=5)
    shopify.control.create_variant(shop, "JUG", quantities={backroom["id"]: 5})
    link(account, "MUG", make_item("MUG", on_hand=5))
    link(account, "JUG", make_item("JUG", on_hand=5))
    placed = shopify.control.place_order(shop, [("MUG", 1), ("JUG", 2)])
    engine.sync_account(account, trigger="cli", steps=("orders",))
    order = Order.objects.get(account=account, external_order_id=placed["id"])
    order_services.process_order(order_id=order.pk, tracking_number="RM1", shipping_method=SHIPPING_METHOD)
    send = ShopifyClient.graphql

    def second_fails(self, document, variables=None):
        answer = send(self, document, variables)
        if document == ops.FULFILLMENT_CREATE:
            monkeypatch.setattr(ShopifyClient, "graphql", send)
            shopify.control.set_fault("fulfillmentCreate", "http_503", count=1, seller_id=shop)
        return answer

    monkeypatch.setattr(ShopifyClient, "graphql", second_fails)

    failed = engine.sync_account(account, trigger="cli", steps=("shipments",))
    half = shopify.control.order(shop, placed["id"])
    shopify.later()
    retried = engine.sync_account(account, trigger="cli", steps=("shipments",))
    done = shopify.control.order(shop, placed["id"])

    assert len(placed["fulfillment_orders"]) == 2
    assert failed.confirmations_sent == 0
    assert (half["fulfillment_status"], len(half["fulfillments"])) == ("PARTIALLY_FULFILLED", 1)
    assert retried.confirmations_sent == 1, retried.errors
    assert done["fulfillment_status"] == "FULFILLED"
    assert sorted(sum(line["quantity"] for line in f["lines"]) for f in done["fulfillments"]) == [1, 2]
    assert all(f["tracking"]["number"] == "RM1" for f in done["fulfillments"])
    assert ChannelShipment.objects.get(order=order).status == "sent"
