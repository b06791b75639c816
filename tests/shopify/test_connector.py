"""The Shopify connector against the simulator (a real local server): the account check names the cause,
tokens from the client-credentials grant are kept across runs, and a sale on the shop racing a Stockroom
push is imported and never overwritten, and a quantity changed by hand is a conflict for the seller."""

from __future__ import annotations

import pytest
from django.utils import timezone

from stockroom.channels.models import ChannelAccount
from stockroom.connectors.shopify.connector import ShopifyConnector
from stockroom.inventory.selectors import available_to_sell
from stockroom.inventory.services import adjust_stock
from stockroom.sync import accounts, engine
from stockroom.sync.models import ChannelWrite, ListingPushMarker, SyncIssue
from stockroom.sync.services import retry_issue
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


def test_a_shop_sale_racing_a_push_is_imported_and_the_right_quantity_sent_in_the_same_push(
    shopify, make_item, link, monkeypatch
):
    account = shopify.account()
    shop = shopify.shop(account)
    item = make_item("MUG", on_hand=10)
    shopify.create_listing(account, "MUG", 10)
    listing = link(account, "MUG", item, last_confirmed_quantity=10, last_confirmed_at=timezone.now())
    adjust_stock(item=item, set_to=8, reason="a sale elsewhere")  # Stockroom will send 8
    send = ShopifyConnector._set
    sent = []

    def buyer_first(self, quantities, by_item):  # the shop sells one between Stockroom's read and write
        sent.append([(q["quantity"], q["changeFromQuantity"]) for q in quantities])
        if len(sent) == 1:
            shopify.control.place_order(shop, [("MUG", 1)])
        return send(self, quantities, by_item)

    monkeypatch.setattr(ShopifyConnector, "_set", buyer_first)

    raced = engine.sync_account(account, trigger="cli", steps=("stock",))

    assert raced.status == "ok", raced.errors
    assert raced.orders_new == 1  # the shop's sale, imported within the push
    # 8 expected 10 (stale: the shop showed 9); then 7 expected 10 - the 1 unit the shop sold
    assert sent == [[(8, 10)], [(7, 9)]]
    assert available_to_sell(item.pk) == 7
    assert shopify.shown_quantity(account, "MUG") == 7
    levels = shopify.control.variant(shop, "MUG")["levels"][shopify.shops[account.pk]["location_id"]]
    assert levels == {"available": 7, "committed": 1, "on_hand": 8}  # nothing oversold
    writes = list(
        ChannelWrite.objects.filter(listing=listing).order_by("pk").values_list("status", "response")
    )
    assert writes == [
        (
            "error",
            "the shop's quantity is not the 10 Stockroom expected: it sold or was changed since Stockroom "
            "last confirmed 10, and 8 was not written over it",
        ),
        ("confirmed", ""),
    ]
    listing.refresh_from_db()
    assert (listing.status, listing.last_confirmed_quantity) == ("confirmed", 7)


def test_a_racing_sale_whose_orders_cannot_be_fetched_is_left_for_the_next_run_never_overwritten(
    shopify, make_item, link, monkeypatch
):
    account = shopify.account()
    shop = shopify.shop(account)
    item = make_item("MUG", on_hand=10)
    shopify.create_listing(account, "MUG", 10)
    listing = link(account, "MUG", item, last_confirmed_quantity=10, last_confirmed_at=timezone.now())
    adjust_stock(item=item, set_to=8, reason="a sale elsewhere")
    send = ShopifyConnector._set

    def buyer_first(self, quantities, by_item):  # a shop sale, then Shopify fails the order download
        monkeypatch.setattr(ShopifyConnector, "_set", send)
        shopify.control.place_order(shop, [("MUG", 1)])
        shopify.control.set_fault("orders", "http_503", count=1, seller_id=shop)
        return send(self, quantities, by_item)

    monkeypatch.setattr(ShopifyConnector, "_set", buyer_first)

    raced = engine.sync_account(account, trigger="cli", steps=("stock",))
    shown_after_race = shopify.shown_quantity(account, "MUG")
    marked = ListingPushMarker.objects.filter(listing=listing).exists()
    next_run = engine.sync_account(account, trigger="cli")

    assert raced.status == "failed"
    assert raced.orders_new == 0
    assert (shown_after_race, marked) == (9, True)  # the shop's sale stands; the listing waits for its turn
    assert (next_run.status, next_run.orders_new) == ("ok", 1)
    assert shopify.shown_quantity(account, "MUG") == 7
    levels = shopify.control.variant(shop, "MUG")["levels"][shopify.shops[account.pk]["location_id"]]
    assert levels == {"available": 7, "committed": 1, "on_hand": 8}


def test_a_shop_sale_imported_before_the_push_is_expected_and_not_written_again(shopify, make_item, link):
    account = shopify.account()
    shop = shopify.shop(account)
    item = make_item("MUG", on_hand=10)
    shopify.create_listing(account, "MUG", 10)
    listing = link(account, "MUG", item, last_confirmed_quantity=10, last_confirmed_at=timezone.now())
    shopify.control.place_order(shop, [("MUG", 1)])
    shopify.later()

    imported = engine.sync_account(account, trigger="cli", steps=("orders",))
    pushed = engine.sync_account(account, trigger="cli", steps=("stock",))  # the shop shows 9 already
    writes_after_push = shopify.control.stats()[shop].get("inventorySetQuantities", {}).get("calls", 0)
    adjust_stock(item=item, set_to=8, reason="a sale elsewhere")  # 8 on hand, 1 for the shop order: 7
    lowered = engine.sync_account(account, trigger="cli", steps=("stock",))

    assert (imported.orders_new, pushed.status, lowered.status) == (1, "ok", "ok")
    assert writes_after_push == 0  # 10 confirmed - 1 sold on the shop = the 9 it shows: nothing to write
    assert shopify.shown_quantity(account, "MUG") == 7
    listing.refresh_from_db()
    assert listing.last_confirmed_quantity == 7
    assert not SyncIssue.objects.filter(account=account).exists()


def test_a_quantity_changed_by_hand_on_the_shop_is_a_conflict_shown_to_the_seller_not_overwritten(
    shopify, make_item, link
):
    account = shopify.account()
    shop = shopify.shop(account)
    item = make_item("MUG", on_hand=10)
    shopify.create_listing(account, "MUG", 10)
    listing = link(account, "MUG", item, last_confirmed_quantity=10, last_confirmed_at=timezone.now())
    shopify.control.set_available(shop, "MUG", 15)  # the seller's colleague, in Shopify's admin; no order
    adjust_stock(item=item, set_to=8, reason="a sale elsewhere")

    run = engine.sync_account(account, trigger="cli", steps=("stock",))

    assert run.status == "partial"
    assert shopify.shown_quantity(account, "MUG") == 15  # not overwritten
    issue = SyncIssue.objects.get(account=account, kind="listing", external_ref="MUG", status="open")
    assert issue.message == (
        "conflict: the shop shows 15, not the 10 Stockroom expected: it sold or was changed since Stockroom "
        "last confirmed 10, and 8 was not written over it; no order Stockroom could import explains it "
        "(changed by hand on the channel?): check the listing there, then Retry sends Stockroom's quantity "
        "over it"
    )
    listing.refresh_from_db()
    assert listing.status == "error"

    answer = retry_issue(issue_id=issue.pk)  # the seller decides: Stockroom's quantity

    assert answer == "listing MUG: quantity sent (Confirmed)"
    assert shopify.shown_quantity(account, "MUG") == 8


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
