"""The test channel syncs stock with an Amazon account (issue 12, "Done when"): an Amazon simulator
account and a Test Store simulator account sell the same stock item; a sale on either lowers what the
other shows. Both simulators are real local servers; the sync engine and both connectors talk to them
over HTTP."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from stockroom.orders.models import Order
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
def amazon(sim, control):
    seller = control.create_seller(f"A{next(_sellers):04d}TSTSELLER", marketplaces=[UK])
    account = accounts.add_account(
        channel="amazon",
        name="Amazon UK",
        external_account_id=seller["seller_id"],
        region="eu",
        marketplaces="UK",
        credentials={k: seller[k] for k in ("client_id", "client_secret", "refresh_token")},
        endpoint=sim.base_url,
        token_url=sim.token_url,
        options={"download_orders_since": recent(), "patch_threshold": "50"},
    ).account
    return account


@pytest.fixture
def shop(teststore_sim, new_shop):
    created = new_shop("mugs")
    account = accounts.add_account(
        channel="teststore",
        name="Mug Shop",
        external_account_id=created["shop"],
        credentials={"api_key": created["api_key"]},
        endpoint=teststore_sim.base_url,
        options={"order_page_size": "2"},
    ).account
    return account


def amazon_shows(control, account, sku):
    control.advance_clock(150)  # Amazon shows a submitted quantity after its propagation delay
    return control.get_listing(account.external_account_id, sku)["quantity"]


def shop_shows(teststore_sim, account, sku):
    return teststore_sim.product(account.external_account_id.split(".")[0], sku)["quantity"]


def test_a_sale_on_either_channel_lowers_what_the_other_shows(
    control, teststore_sim, amazon, shop, make_item, link
):
    name = shop.external_account_id.split(".")[0]
    control.create_listing(amazon.external_account_id, "AMZ-MUG", quantity=0)
    teststore_sim.create_product(name, "SHOP-MUG", quantity=0, title="Enamel mug")
    item = make_item("MUG-1", on_hand=10)
    link(amazon, "AMZ-MUG", item)
    link(shop, "SHOP-MUG", item)

    runs = engine.sync_all(trigger="schedule")
    assert [run.status for run in runs] == ["ok", "ok"], [run.errors for run in runs]
    assert (amazon_shows(control, amazon, "AMZ-MUG"), shop_shows(teststore_sim, shop, "SHOP-MUG")) == (10, 10)

    # a sale on Amazon: the shop shows 7
    control.place_orders(
        amazon.external_account_id,
        [
            {
                "marketplace_id": UK,
                "items": [{"sku": "AMZ-MUG", "quantity": 3}],
                "status": "Unshipped",
                "force": True,
            }
        ],
    )
    control.advance_clock(180)
    run = engine.sync_account(amazon, trigger="schedule")
    assert (run.status, run.orders_new) == ("ok", 1), run.errors
    assert shop_shows(teststore_sim, shop, "SHOP-MUG") == 7

    # three sales in the shop (two pages of orders): Amazon shows 7 - 4 = 3
    for quantity in (1, 2, 1):
        teststore_sim.place_order(name, [("SHOP-MUG", quantity)])
    run = engine.sync_account(shop, trigger="schedule")
    assert (run.status, run.orders_new) == ("ok", 3), run.errors
    assert amazon_shows(control, amazon, "AMZ-MUG") == 3
    assert shop_shows(teststore_sim, shop, "SHOP-MUG") == 3
    assert sorted(Order.objects.values_list("account__channel", flat=True)) == [
        "amazon",
        "teststore",
        "teststore",
        "teststore",
    ]
    assert teststore_sim.stats()[name]["listOrders"]["calls"] >= 2
