"""Issue 13's browser journeys: adding an eBay account through eBay's consent (the eBay simulator's
consent page, a real local server, and back to Stockroom's consent return page), linking its listings
by identical SKU, and dispatching an eBay order, which reaches eBay as one shipping fulfillment."""

import pytest
from playwright.sync_api import expect

from stockroom.channels.models import ChannelAccount, Listing
from stockroom.orders.models import ShippingMethod
from tests.browser.steps import (
    CHANNEL,
    link_identical_skus,
    map_shipping_method,
    process_with_tracking,
    synchronise,
)

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def hooks_on(settings):
    settings.STOCKROOM_SYNC_HOOKS_ENABLED = True


def add_and_connect(page, url, ebay_simulator, seller, screen=None) -> ChannelAccount:
    page.goto(url("/accounts/"))
    page.get_by_role("link", name="Add an eBay account").first.click()
    page.get_by_label("Merchant name").fill("eBay UK")
    page.get_by_label("eBay user id").fill(seller["user_id"])
    page.get_by_label("Marketplace").select_option("EBAY_GB")
    page.get_by_label("App ID (client id)").fill(seller["client_id"])
    page.get_by_label("Cert ID (client secret)").fill(seller["client_secret"])
    page.get_by_label("RuName (eBay redirect URL name)").fill(seller["ru_name"])
    page.get_by_text("Endpoint overrides (simulator or sandbox)").click()
    page.get_by_label("eBay API endpoint").fill(ebay_simulator.base_url)
    page.get_by_role("button", name="Add account").click()
    expect(page.locator(".messages")).to_contain_text(
        "Account eBay UK added. Next: Connect to eBay to give Stockroom access."
    )
    if screen:
        screen(page, "ebay-account-added")
    page.get_by_role("link", name="Connect to eBay").click()
    # eBay's (simulated) consent page: sign in as the seller and agree
    expect(page.get_by_role("heading", name="Grant application access: eBay (simulated)")).to_be_visible()
    page.get_by_label("User").select_option(seller["user_id"])
    if screen:
        screen(page, "ebay-consent-page")
    page.get_by_role("button", name="Agree").click()
    expect(page.locator(".messages")).to_contain_text(
        "eBay UK is connected. Next: Check API.", timeout=CHANNEL
    )
    return ChannelAccount.objects.get(name="eBay UK")


def test_add_an_ebay_account_through_consent_and_check_it(page, url, ebay_simulator, ebay_sim, screen):
    # given an eBay seller whose app's RuName sends the browser back to this Stockroom, an order waiting
    seller = ebay_sim.create_seller("journey_seller", accept_url=url("/accounts/consent/return/"))
    ebay_sim.create_listing("journey_seller", "MUG-1", quantity=10)
    ebay_sim.place_order("journey_seller", [("MUG-1", 1)])

    # when the seller adds the account and connects it through eBay's consent
    account = add_and_connect(page, url, ebay_simulator, seller, screen)

    # then the refresh token is stored (masked on the page) and Check API says how many orders wait
    assert account.credentials["refresh_token"].startswith("v^1.1#")
    assert account.credentials["refresh_token"] not in page.content()
    page.get_by_role("button", name="Check API").click()
    result = page.locator("#check-result")
    expect(result).to_contain_text("Check API: OK.", timeout=CHANNEL)
    expect(result).to_contain_text("Connected to eBay seller journey_seller on EBAY_GB: 1 order(s) wait")
    screen(page, "ebay-account-check-ok")


def test_link_ebay_listings_and_dispatch_an_ebay_order(
    page, url, ebay_simulator, ebay_sim, make_item, screen
):
    seller = ebay_sim.create_seller("dispatch_seller", accept_url=url("/accounts/consent/return/"))
    ebay_sim.create_listing("dispatch_seller", "MUG-BLUE", quantity=4, title="Blue mug")
    ebay_sim.create_listing("dispatch_seller", "POSTER-9", quantity=1, title="Poster")
    make_item("MUG-BLUE", on_hand=5)
    ShippingMethod.objects.create(name="Royal Mail 48")
    account = add_and_connect(page, url, ebay_simulator, seller)

    # the listings come from eBay's inventory items and offers; link-all links the identical SKU
    link_identical_skus(page, url, account.pk, "Imported listings: 2 new", 1)
    linked = dict(Listing.objects.filter(account=account).values_list("channel_sku", "stock_item__sku"))
    assert linked == {"MUG-BLUE": "MUG-BLUE", "POSTER-9": None}
    assert Listing.objects.get(account=account, channel_sku="MUG-BLUE").offer_ref

    # the shipping method is mapped to eBay's carrier code
    map_shipping_method(page, url, account.pk, "Royal Mail 48", "Royal Mail")

    # a buyer orders on eBay; a sync brings the order; the seller processes it with a tracking number
    order_id = ebay_sim.place_order("dispatch_seller", [("MUG-BLUE", 2)])["order_id"]
    synchronise(page, url)
    process_with_tracking(page, url, order_id, "RM 1000 0001 GB", "Royal Mail 48")
    synchronise(page, url)
    screen(page, "ebay-dispatched")

    # eBay received exactly one fulfillment with the mapped carrier and the tracking number
    fulfillments = ebay_sim.order("dispatch_seller", order_id)["fulfillments"]
    assert [(f["shippingCarrierCode"], f["shipmentTrackingNumber"]) for f in fulfillments] == [
        ("Royal Mail", "RM10000001GB")
    ]
    assert ebay_sim.order("dispatch_seller", order_id)["status"] == "FULFILLED"
