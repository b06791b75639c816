"""Issue 14's browser journeys: adding a Shopify shop by its address and an Admin API access token (the
Shopify simulator, a real local server, behind the form's endpoint override), linking its variants by
identical SKU through the preview, and dispatching a shop order, which reaches the shop as one fulfilment
with the tracking number."""

import pytest
from playwright.sync_api import expect

from stockroom.channels.models import ChannelAccount, Listing
from stockroom.orders.models import ShippingMethod
from tests.browser import steps

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def hooks_on(settings):
    settings.STOCKROOM_SYNC_HOOKS_ENABLED = True


def add_shop(page, url, shopify_simulator, shop: dict, screen=None) -> ChannelAccount:
    page.goto(url("/accounts/"))
    page.get_by_role("link", name="Add a Shopify account").first.click()
    page.get_by_label("Merchant name").fill("Web shop")
    page.get_by_label("Shop address").fill(shop["shop"])
    page.get_by_label("Admin API access token").fill(shop["access_token"])
    page.get_by_text("Endpoint overrides (simulator or sandbox)").click()
    page.get_by_label("Admin API base URL (a simulator; empty = the shop's own)").fill(
        shopify_simulator.shop_endpoint(shop["shop"])
    )
    if screen:
        screen(page, "shopify-account-form")
    page.get_by_role("button", name="Add account").click()
    expect(page.locator(".messages")).to_contain_text(
        "Account Web shop added. Next: Check API to test the credentials."
    )
    return ChannelAccount.objects.get(name="Web shop")


def test_add_a_shopify_shop_by_address_and_token_and_check_it(
    page, url, shopify_simulator, shopify_sim, screen
):
    # given a shop with one product variant and an order waiting
    shop = shopify_sim.create_shop("journeyshop")
    shopify_sim.create_variant(shop["shop"], "MUG-1", quantity=10)
    shopify_sim.place_order(shop["shop"], [("MUG-1", 1)])

    # when the seller adds the shop by its address and the app's admin token
    account = add_shop(page, url, shopify_simulator, shop, screen)

    # then the token is stored encrypted, never shown; Check API names the shop, location and orders waiting
    assert account.external_account_id == "journeyshop.myshopify.com"
    assert account.credentials == {"access_token": shop["access_token"]}
    assert shop["access_token"] not in page.content()
    page.get_by_role("button", name="Check API").click()
    result = page.locator("#check-result")
    expect(result).to_contain_text("Check API: OK.", timeout=steps.CHANNEL)
    expect(result).to_contain_text(
        "Connected to Shopify shop Journeyshop (journeyshop.myshopify.com); Stockroom manages the stock of "
        "location Shop location; 1 order to download."
    )
    assert shop["access_token"] not in page.content()
    screen(page, "shopify-account-check-ok")


def test_a_refused_token_is_named_by_check_api(page, url, shopify_simulator, shopify_sim):
    shop = shopify_sim.create_shop("refusedshop")
    add_shop(page, url, shopify_simulator, {**shop, "access_token": "shpat_not-the-token"})

    page.get_by_role("button", name="Check API").click()

    result = page.locator("#check-result")
    expect(result).to_contain_text("Shopify refused the Admin API access token", timeout=steps.CHANNEL)


def test_link_shopify_variants_with_the_preview_and_dispatch_a_shop_order(
    page, url, shopify_simulator, shopify_sim, make_item, screen
):
    shop = shopify_sim.create_shop("dispatchshop")
    shopify_sim.create_variant(shop["shop"], "MUG-BLUE", quantity=4)
    shopify_sim.create_variant(shop["shop"], "POSTER-9", quantity=1)
    make_item("MUG-BLUE", on_hand=5)
    ShippingMethod.objects.create(name="Royal Mail 48")
    account = add_shop(page, url, shopify_simulator, shop)

    # the listings come from the shop's variants (by SKU, with their inventory items); the preview of
    # links by identical SKU links the one Stockroom stocks
    def preview(shown):
        expect(shown.locator("main")).to_contain_text("MUG-BLUE")
        screen(shown, "shopify-link-preview")

    steps.link_identical_skus(page, url, account.pk, "Imported listings: 2 new", 1, preview=preview)
    linked = dict(Listing.objects.filter(account=account).values_list("channel_sku", "stock_item__sku"))
    assert linked == {"MUG-BLUE": "MUG-BLUE", "POSTER-9": None}
    mug = Listing.objects.get(account=account, channel_sku="MUG-BLUE")
    assert mug.inventory_item_ref.startswith("gid://shopify/InventoryItem/")
    assert mug.location_ref == f"gid://shopify/Location/{shop['location_id']}"

    # the shipping method is sent as one of Shopify's tracking companies
    steps.map_shipping_method(page, url, account.pk, "Royal Mail 48", "Royal Mail")

    # a buyer orders in the shop; a sync brings the order; the seller processes it with a tracking number
    order_id = shopify_sim.place_order(shop["shop"], [("MUG-BLUE", 2)])["id"]
    steps.synchronise(page, url)
    steps.process_with_tracking(page, url, order_id, "RM123456789GB", "Royal Mail 48")
    steps.synchronise(page, url)
    screen(page, "shopify-dispatched")

    # the shop received exactly one fulfilment with the tracking company and number; the units left
    # on_hand, and the shop shows what Stockroom has: 5 - 2 = 3
    order = shopify_sim.order(shop["shop"], order_id)
    assert order["fulfillment_status"] == "FULFILLED"
    assert [f["tracking"] for f in order["fulfillments"]] == [
        {"company": "Royal Mail", "number": "RM123456789GB", "url": None}
    ]
    assert shopify_sim.variant(shop["shop"], "MUG-BLUE")["levels"] == {
        shop["location_id"]: {"available": 3, "committed": 0, "on_hand": 3}
    }
