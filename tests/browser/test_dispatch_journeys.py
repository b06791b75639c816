"""Issue 11's dispatch fixes in a real browser, with the Amazon SP-API simulator behind the live server:
an Amazon order is not dispatched without a tracking number; a refused shipping confirmation is
corrected on the order page and reaches Amazon exactly once; batch processing uses the account's
default method for the service the buyer chose.
"""

import pytest
from playwright.sync_api import expect

from stockroom.orders.models import ChannelShipment, Order, ShippingMethod
from stockroom.sync import accounts
from tests.browser.test_amazon_journeys import CHANNEL, listable, poll, synchronise

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def hooks_on(settings):
    """As in production: a dispatch is confirmed to the channel at once."""
    settings.STOCKROOM_SYNC_HOOKS_ENABLED = True


@pytest.fixture
def downloaded(page, url, amazon_sim, amazon_account, make_item, link):
    """Amazon UK with a linked mug (10 in stock), "Royal Mail 48" mapped, and the given orders placed on
    Amazon and downloaded by pressing Synchronise: {buyer: Order}."""

    def make(*orders: tuple[str, str]):
        account = amazon_account("Amazon UK")
        amazon_sim.create_listing(account.external_account_id, "MUG-1", quantity=10)
        link(account, "MUG-1", make_item("MUG", on_hand=10))
        ShippingMethod.objects.get_or_create(name="Royal Mail 48")
        ids = {}
        for buyer, level in orders:
            ids[buyer] = amazon_sim.place_order(
                account.external_account_id,
                marketplace_id="A1F83G8C2ARO7P",
                items=[{"sku": "MUG-1", "quantity": 1, "unit_price": "12.99"}],
                buyer_name=buyer,
                address={
                    "name": buyer,
                    "address_line1": "1 High St",
                    "city": "Leeds",
                    "postal_code": "LS1 1AA",
                    "country_code": "GB",
                },
                status="Unshipped",
                shipping_level=level,
                force=True,
            )["order_id"]
        listable(amazon_sim)
        synchronise(page, url)
        return account, {buyer: Order.objects.get(external_order_id=oid) for buyer, oid in ids.items()}

    return make


def confirm_calls(sim, account) -> int:
    return sim.stats().get(account.external_account_id, {}).get("v0.confirmShipment", {}).get("calls", 0)


def test_dispatch_without_a_tracking_number_is_refused_and_the_rest_of_the_batch_goes_through(
    page, url, amazon_sim, downloaded, screen
):
    # given two Amazon orders
    account, orders = downloaded(("Ada Lovelace", "Standard"), ("Grace Hopper", "Standard"))
    ada, grace = orders["Ada Lovelace"], orders["Grace Hopper"]

    # when the seller processes both in one batch, giving a tracking number for one only
    page.goto(url("/orders/"))
    page.get_by_label(f"Select order {ada.external_order_id}").check()
    page.get_by_label(f"Select order {grace.external_order_id}").check()
    page.get_by_label(f"Tracking number for {ada.external_order_id}").fill("RM100000001GB")
    page.get_by_label("Shipping method", exact=True).select_option("Royal Mail 48")
    page.get_by_role("button", name="Process selected").click()

    # then one is processed and the other is listed with the reason
    expect(page.locator("[data-batch-progress-text]")).to_have_text(
        "Done: 1 processed, 1 not processed (see why below).", timeout=CHANNEL
    )
    refused = page.locator(f'[data-order-id="{grace.pk}"]')
    expect(refused).to_have_attribute("data-outcome", "failed")
    expect(refused).to_contain_text(
        f"order {grace.external_order_id} needs a tracking number: Amazon UK (Amazon) refuses a shipping "
        "confirmation without one"
    )
    screen(page, "orders-batch-tracking-required")

    # and on the order page alone the same refusal
    page.goto(url(f"/orders/{grace.pk}/"))
    page.get_by_label("Shipping method", exact=True).select_option("Royal Mail 48")
    page.get_by_role("button", name="Process order").click()
    expect(page.get_by_text("0 processed with Royal Mail 48, 1 not processed")).to_be_visible()
    expect(page.locator(".outcomes")).to_contain_text("needs a tracking number")

    grace.refresh_from_db()
    assert grace.status == "open" and not ChannelShipment.objects.filter(order=grace).exists()
    ada_shipments = poll(
        lambda: amazon_sim.get_order(account.external_account_id, ada.external_order_id)["shipments"]
    )
    assert [s["tracking_number"] for s in ada_shipments] == ["RM100000001GB"]
    assert amazon_sim.get_order(account.external_account_id, grace.external_order_id)["status"] == "Unshipped"


def test_a_refused_confirmation_is_corrected_on_the_order_page_and_reaches_amazon_once(
    page, url, amazon_sim, downloaded, settings, screen
):
    # given an order dispatched without a tracking number by an earlier Stockroom, which did not check
    # (the channel declared nothing then), and refused when it was sent
    account, orders = downloaded(("Margaret Hamilton", "Standard"))
    order = orders["Margaret Hamilton"]
    settings.STOCKROOM_CHANNEL_CAPABILITIES = ""
    page.goto(url(f"/orders/{order.pk}/"))
    page.get_by_label("Shipping method", exact=True).select_option("Royal Mail 48")
    page.get_by_role("button", name="Process order").click()
    expect(page.get_by_text("1 processed with Royal Mail 48.")).to_be_visible(timeout=CHANNEL)
    settings.STOCKROOM_CHANNEL_CAPABILITIES = "stockroom.sync.registry.channel_capabilities"
    assert poll(lambda: ChannelShipment.objects.get(order=order).status == "error")

    # when the seller follows the sync issue to the order
    page.goto(url("/sync/issues/"))
    page.get_by_role("link", name=order.external_order_id).click()

    # then the order page says what Amazon refused, with a form to correct it
    refusal = page.locator("section.refused")
    expect(refusal.get_by_role("heading")).to_have_text("Amazon UK refused the shipping confirmation")
    expect(refusal.locator("[data-refusal]")).to_have_text(
        "Amazon needs a tracking number to confirm a shipment"
    )
    screen(page, "order-refused-confirmation")

    # when they enter the tracking number and send it again (the same page is also open in another tab)
    other_tab = page.context.new_page()
    other_tab.goto(page.url)
    refusal.get_by_label("Tracking number", exact=True).fill("RM100000042GB")
    refusal.get_by_label("Carrier", exact=True).select_option("Royal Mail")
    refusal.get_by_role("button", name="Send corrected confirmation").click()
    expect(page.locator(".messages")).to_contain_text("Shipping confirmation corrected")

    # then Amazon has exactly one confirmation for it, and the order shows it confirmed
    seller = account.external_account_id
    shipments = poll(lambda: amazon_sim.get_order(seller, order.external_order_id)["shipments"], timeout=60)
    assert [(s["tracking_number"], s["carrier_code"], s["via"]) for s in shipments] == [
        ("RM100000042GB", "Royal Mail", "confirmShipment")
    ]
    page.reload()
    facts = page.locator("h2:has-text('Channel shipment') + section dl")
    expect(facts.locator("dt:has-text('Status') + dd")).to_have_text("Confirmed to channel")
    expect(page.locator("section.refused")).to_have_count(0)
    screen(page, "order-corrected-confirmation-sent")

    # and sending the correction again from the other tab changes nothing
    other_tab.locator("section.refused").get_by_label("Tracking number", exact=True).fill("RM100000043GB")
    other_tab.get_by_role("button", name="Send corrected confirmation").click()
    expect(other_tab.locator(".message.error")).to_have_text(
        f"Not corrected: the shipping confirmation of order {order.external_order_id} is confirmed to "
        "channel: only a refused confirmation can be corrected"
    )
    other_tab.close()
    synchronise(page, url)
    assert confirm_calls(amazon_sim, account) == 1
    assert len(amazon_sim.get_order(seller, order.external_order_id)["shipments"]) == 1
    assert amazon_sim.get_order(seller, order.external_order_id)["status"] == "Shipped"


def test_batch_dispatch_uses_the_accounts_default_for_the_buyers_service(
    page, url, amazon_sim, downloaded, screen
):
    # given orders whose buyers chose Standard and Expedited, and a second method mapped to DPD
    account, orders = downloaded(("Ada Lovelace", "Standard"), ("Grace Hopper", "Expedited"))
    ada, grace = orders["Ada Lovelace"], orders["Grace Hopper"]
    ShippingMethod.objects.create(name="DPD Next Day")
    accounts.map_shipping_method(
        account=account, shipping_method="DPD Next Day", carrier_code="DPD", ship_method="Next Day"
    )

    # when the seller sets a default method per buyer's service on the account
    page.goto(url(f"/accounts/{account.pk}/"))
    for service, method in (
        (ada.channel_shipping_service, "Royal Mail 48"),
        (grace.channel_shipping_service, "DPD Next Day"),
    ):
        page.get_by_label("Buyer's service").fill(service)
        page.get_by_label("Method for this service").select_option(method)
        page.get_by_role("button", name="Save default").click()
        expect(page.locator(".messages")).to_contain_text(
            f"Orders whose buyer chose {service} are processed with {method}"
        )
    expect(page.locator("#service-defaults tbody tr")).to_have_count(2)
    screen(page, "account-service-defaults")

    # and processes both in one batch without picking a method
    page.goto(url("/orders/"))
    expect(page.get_by_label("Shipping method", exact=True)).to_have_value("")
    for order, tracking in ((ada, "RM100000007GB"), (grace, "DPD0000007")):
        page.get_by_label(f"Select order {order.external_order_id}").check()
        page.get_by_label(f"Tracking number for {order.external_order_id}").fill(tracking)
    page.get_by_role("button", name="Process selected").click()
    expect(page.locator("[data-batch-progress-text]")).to_have_text("Done: 2 processed.", timeout=CHANNEL)
    expect(page.locator(f'[data-order-id="{grace.pk}"]')).to_contain_text("processed (DPD Next Day)")
    screen(page, "orders-batch-buyer-service-default")

    # then each order went with its service's method, and Amazon got the matching carrier
    seller = account.external_account_id
    assert dict(Order.objects.values_list("external_order_id", "shipping_method")) == {
        ada.external_order_id: "Royal Mail 48",
        grace.external_order_id: "DPD Next Day",
    }
    for order, expected in ((ada, ("RM100000007GB", "Royal Mail")), (grace, ("DPD0000007", "DPD"))):
        shipments = poll(
            lambda order=order: amazon_sim.get_order(seller, order.external_order_id)["shipments"]
        )
        assert [(s["tracking_number"], s["carrier_code"]) for s in shipments] == [expected]
