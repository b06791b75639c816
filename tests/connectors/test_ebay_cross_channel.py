"""One stock across channels, proven (issue 13): two Amazon accounts and one eBay account sell the same
stock item, each channel a real local simulator. A sale on eBay reaches both Amazon listings, a sale on
Amazon reaches eBay, a buyer's cancellation on eBay gives the units back everywhere, and a dispatch
reaches eBay as exactly one shipping fulfillment."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from stockroom.orders import services as order_services
from stockroom.orders.models import Order, ShippingMethod
from stockroom.sync import accounts, engine

UK = "A1F83G8C2ARO7P"
_sellers = itertools.count(1)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def hooks_on(settings):
    settings.STOCKROOM_SYNC_HOOKS_ENABLED = True  # as in production: a stock change pushes at once


def recent() -> str:
    return (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def amazon_accounts(sim, control):
    made = []
    for name in ("Amazon UK", "Amazon UK 2"):
        seller = control.create_seller(f"A{next(_sellers):04d}XCHSELLER", marketplaces=[UK])
        made.append(
            accounts.add_account(
                channel="amazon",
                name=name,
                external_account_id=seller["seller_id"],
                region="eu",
                marketplaces="UK",
                credentials={k: seller[k] for k in ("client_id", "client_secret", "refresh_token")},
                endpoint=sim.base_url,
                token_url=sim.token_url,
                options={"download_orders_since": recent(), "patch_threshold": "50"},
            ).account
        )
    return made


@pytest.fixture
def ebay(ebay_simulator, ebay_sim):
    seller = ebay_sim.create_seller("xch_seller")
    return accounts.add_account(
        channel="ebay",
        name="eBay UK",
        external_account_id=seller["user_id"],
        marketplaces="EBAY_GB",
        credentials={k: seller[k] for k in ("client_id", "client_secret", "ru_name", "refresh_token")},
        endpoint=ebay_simulator.base_url,
        options={"download_orders_since": recent(), "order_page_size": "2"},
    ).account


def amazon_shows(control, account, sku="AMZ-MUG"):
    control.advance_clock(150)  # Amazon shows a submitted quantity after its propagation delay
    return control.get_listing(account.external_account_id, sku)["quantity"]


def test_one_stock_across_two_amazon_accounts_and_ebay(
    control, ebay_sim, amazon_accounts, ebay, make_item, link
):
    first, second = amazon_accounts
    item = make_item("MUG-1", on_hand=10)
    for account in amazon_accounts:
        control.create_listing(account.external_account_id, "AMZ-MUG", quantity=0)
        link(account, "AMZ-MUG", item)
    ebay_sim.create_listing("xch_seller", "EBAY-MUG", quantity=0)
    link(ebay, "EBAY-MUG", item)

    runs = engine.sync_all(trigger="schedule")
    assert [run.status for run in runs] == ["ok", "ok", "ok"], [run.errors for run in runs]
    assert ebay_sim.listing("xch_seller", "EBAY-MUG")["quantity"] == 10
    assert (amazon_shows(control, first), amazon_shows(control, second)) == (10, 10)

    # three sales on eBay (two pages of orders): both Amazon listings show 10 - 4 = 6
    sold = [ebay_sim.place_order("xch_seller", [("EBAY-MUG", n)])["order_id"] for n in (1, 2, 1)]
    run = engine.sync_account(ebay, trigger="schedule")
    assert (run.status, run.orders_new) == ("ok", 3), run.errors
    assert (amazon_shows(control, first), amazon_shows(control, second)) == (6, 6)
    assert ebay_sim.listing("xch_seller", "EBAY-MUG")["quantity"] == 6  # eBay lowered its own on the sale

    # a sale on the first Amazon account: eBay and the other Amazon account show 6 - 2 = 4
    (amazon_order,) = control.place_orders(
        first.external_account_id,
        [
            {
                "marketplace_id": UK,
                "items": [{"sku": "AMZ-MUG", "quantity": 2}],
                "status": "Unshipped",
                "force": True,
            }
        ],
    )
    control.advance_clock(180)
    run = engine.sync_account(first, trigger="schedule")
    assert (run.status, run.orders_new) == ("ok", 1), run.errors
    assert ebay_sim.listing("xch_seller", "EBAY-MUG")["quantity"] == 4
    assert amazon_shows(control, second) == 4

    # the buyer of the 2-unit eBay order cancels: the units come back everywhere
    ebay_sim.cancel_order("xch_seller", sold[1])
    run = engine.sync_account(ebay, trigger="schedule")
    assert run.status == "ok", run.errors
    assert Order.objects.get(account=ebay, external_order_id=sold[1]).status == "cancelled"
    assert (amazon_shows(control, first), amazon_shows(control, second)) == (6, 6)
    assert ebay_sim.listing("xch_seller", "EBAY-MUG")["quantity"] == 6

    # dispatch of an eBay order reaches eBay as exactly one fulfillment, however often the sync runs
    ShippingMethod.objects.get_or_create(name="Royal Mail Tracked 48")
    ebay.shipping_mappings.create(
        shipping_method="Royal Mail Tracked 48", carrier_code="Royal Mail", ship_method="Tracked 48"
    )
    order = Order.objects.get(account=ebay, external_order_id=sold[0])
    order_services.process_order(
        order_id=order.pk, tracking_number="RM-123 456", shipping_method="Royal Mail Tracked 48"
    )
    for _ in range(3):
        run = engine.sync_account(ebay, trigger="schedule")
        assert run.status == "ok", run.errors
    fulfillments = ebay_sim.order("xch_seller", sold[0])["fulfillments"]
    assert [(f["shipmentTrackingNumber"], f["shippingCarrierCode"]) for f in fulfillments] == [
        ("RM123456", "Royal Mail")
    ]
    assert ebay_sim.order("xch_seller", sold[0])["status"] == "FULFILLED"
    assert Order.objects.get(pk=order.pk).status == "processed"

    # and the Amazon order is dispatched on Amazon beside it
    first.shipping_mappings.create(
        shipping_method="Royal Mail Tracked 48", carrier_code="Royal Mail", ship_method="Tracked 48"
    )
    on_amazon = Order.objects.get(account=first, external_order_id=amazon_order["order_id"])
    order_services.process_order(
        order_id=on_amazon.pk, tracking_number="RM000111GB", shipping_method="Royal Mail Tracked 48"
    )
    run = engine.sync_account(
        first, trigger="schedule"
    )  # (a dispatch is confirmed at once; this sends none again)
    assert run.status == "ok", run.errors
    shipments = control.get_order(first.external_account_id, amazon_order["order_id"])["shipments"]
    assert [s["tracking_number"] for s in shipments] == ["RM000111GB"]


def test_an_order_eBay_refuses_to_fulfil_shows_eBays_message(ebay_sim, ebay, make_item, link):
    link(ebay, "EBAY-MUG", make_item("MUG-3", on_hand=10))
    ebay_sim.create_listing("xch_seller", "EBAY-MUG", quantity=10)
    ebay.shipping_mappings.create(shipping_method="Courier", carrier_code="Other", ship_method="")
    ShippingMethod.objects.get_or_create(name="Courier")
    sold = ebay_sim.place_order("xch_seller", [("EBAY-MUG", 1)])["order_id"]
    engine.sync_account(ebay, trigger="schedule")
    order = Order.objects.get(account=ebay, external_order_id=sold)
    order_services.process_order(order_id=order.pk, tracking_number="X1", shipping_method="Courier")

    engine.sync_account(ebay, trigger="schedule")

    shipment = order.shipments.get()
    assert shipment.status == "error"
    assert "Invalid shipment tracking number or carrier (errorId 32300)" in shipment.last_error
    assert ebay_sim.order("xch_seller", sold)["fulfillments"] == []


def test_a_lost_answer_and_a_spent_quota_neither_duplicate_a_fulfillment_nor_lose_an_order(
    ebay_sim, ebay, make_item, link, settings
):
    item = make_item("MUG-2", on_hand=10)
    ebay_sim.create_listing("xch_seller", "EBAY-MUG", quantity=10)
    link(ebay, "EBAY-MUG", item)
    ebay.shipping_mappings.create(shipping_method="DPD Next Day", carrier_code="DPD", ship_method="Next Day")
    ShippingMethod.objects.get_or_create(name="DPD Next Day")
    sold = ebay_sim.place_order("xch_seller", [("EBAY-MUG", 1)])["order_id"]
    assert engine.sync_account(ebay, trigger="schedule").orders_new == 1
    order = Order.objects.get(account=ebay, external_order_id=sold)
    order_services.process_order(order_id=order.pk, tracking_number="DPD0001", shipping_method="DPD Next Day")

    ebay_sim.set_fault("createShippingFulfillment", "lost_answer", count=1)
    engine.sync_account(ebay, trigger="schedule")  # the fulfillment reached eBay; its answer did not
    assert len(ebay_sim.order("xch_seller", sold)["fulfillments"]) == 1
    settings.STOCKROOM_SYNC_IN_DOUBT_GRACE_SECONDS = 0
    for _ in range(2):
        assert engine.sync_account(ebay, trigger="schedule").status == "ok"
    assert len(ebay_sim.order("xch_seller", sold)["fulfillments"]) == 1
    assert order.shipments.get().status == "sent"

    # eBay's daily call limit for the Fulfillment API is spent: nothing is lost, the next day brings it
    ebay_sim.configure(daily_quotas={"fulfillment": 0})
    late = ebay_sim.place_order("xch_seller", [("EBAY-MUG", 2)])["order_id"]
    throttled = engine.sync_account(ebay, trigger="schedule")
    assert throttled.status != "ok" and any("daily call limit" in error for error in throttled.errors), (
        throttled.errors
    )
    ebay_sim.configure(daily_quotas={"fulfillment": 100_000})
    assert engine.sync_account(ebay, trigger="schedule").orders_new == 1
    assert Order.objects.get(account=ebay, external_order_id=late).status == "open"
    assert len(ebay_sim.order("xch_seller", sold)["fulfillments"]) == 1
