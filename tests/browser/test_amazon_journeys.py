"""Issue 5's seller journeys that involve Amazon, in a real browser against the live server with the
Amazon SP-API simulator behind it (``amazon_simulator`` in conftest: a subprocess at time scale 60).

Each journey asserts what the seller sees and what the simulator received. Simulated time is moved
with the control API (orders become listable two simulated minutes after they change); the only
waiting is Playwright's auto-waiting ``expect`` and a bounded poll of the simulator.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from stockroom.channels.models import ChannelAccount, Listing, ListingStatus
from stockroom.core.crypto import mask_secret
from stockroom.orders.models import ChannelShipment, Order, ShippingMethod
from tests.browser.conftest import UK_MARKETPLACE

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def hooks_on(settings):
    """As in production: a stock change pushes to the channels and a dispatch is confirmed at once
    (the test settings switch these hooks off for suites whose accounts point at no simulator)."""
    settings.STOCKROOM_SYNC_HOOKS_ENABLED = True


# Expectations after a request that talks to the simulated Amazon (checks, imports, syncs, stock
# pushes and confirmations sent at once) allow for a loaded machine; the others keep the default.
CHANNEL = 60_000

ADDRESS = {
    "name": "Ann Buyer",
    "address_line1": "1 High Street",
    "city": "Leeds",
    "postal_code": "LS1 1AA",
    "country_code": "GB",
}


def place(sim, account_or_seller, sku, *, buyer="Ann Buyer", quantity=1):
    """An Unshipped merchant-fulfilled order on the simulated Amazon; returns its order id."""
    seller = getattr(account_or_seller, "external_account_id", account_or_seller)
    order = sim.place_order(
        seller,
        marketplace_id=UK_MARKETPLACE,
        items=[{"sku": sku, "quantity": quantity, "unit_price": "12.99"}],
        buyer_name=buyer,
        address={**ADDRESS, "name": buyer},
        status="Unshipped",
        force=True,
    )
    return order["order_id"]


def listable(sim):
    """Orders are listed by Amazon two minutes after they change: move simulated time past that."""
    sim.advance_clock(180)


def poll(check, *, timeout=20.0, every=0.2):
    """Bounded poll of the simulator: the first truthy ``check()``, or the last value at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def synchronise(page, url):
    page.goto(url("/sync/"))
    page.get_by_role("button", name="Synchronise now").click()
    expect(page.locator(".messages")).to_contain_text(
        "in the background; progress is shown below", timeout=CHANNEL
    )
    expect(page.locator("#sync-progress")).to_contain_text(
        "Finished. See run history and sync issues.", timeout=CHANNEL
    )


def order_downloaded(page, url, sim, account, make_item, link, *, buyer):
    """One Amazon order for a listing linked to a stock item, downloaded by pressing Synchronise."""
    sim.create_listing(account.external_account_id, "MUG-1", quantity=5)
    link(account, "MUG-1", make_item("MUG", on_hand=5))
    ShippingMethod.objects.get_or_create(name="Royal Mail 48")
    order_id = place(sim, account, "MUG-1", buyer=buyer)
    listable(sim)
    synchronise(page, url)
    return Order.objects.get(external_order_id=order_id)


def process_order(page, url, order, tracking, shipping_method):
    page.goto(url(f"/orders/{order.pk}/"))
    page.get_by_label("Tracking number", exact=True).fill(tracking)
    page.get_by_label("Shipping method", exact=True).select_option(shipping_method)
    page.get_by_role("button", name="Process order").click()
    expect(page.get_by_role("heading", name="Processing results")).to_be_visible(timeout=CHANNEL)
    expect(page.get_by_text(f"1 processed with {shipping_method}.")).to_be_visible()


# --- 1. add an Amazon account and check it -----------------------------------------------------------


def test_add_an_amazon_account_and_check_it(page, url, amazon_simulator, amazon_sim, amazon_seller, screen):
    # given a seller on the simulated Amazon with two orders waiting
    seller = amazon_seller()
    amazon_sim.create_listing(seller["seller_id"], "MUG-1", quantity=10)
    place(amazon_sim, seller["seller_id"], "MUG-1", buyer="Margaret Hamilton")
    place(amazon_sim, seller["seller_id"], "MUG-1", buyer="Grace Hopper")
    listable(amazon_sim)

    # when the seller adds the account through the Accounts screens, pointing at the simulator
    page.goto(url("/accounts/"))
    expect(page.get_by_text("No channel accounts yet.")).to_be_visible()
    screen(page, "amazon-accounts-empty")
    page.get_by_role("link", name="Add an Amazon account").first.click()
    page.get_by_label("Merchant name").fill("Amazon UK")
    page.get_by_label("Seller id (merchant token)").fill(seller["seller_id"])
    page.get_by_label("Region").select_option("eu")
    page.get_by_role("checkbox", name="UK United Kingdom (EU)").check()
    page.get_by_label("LWA client id").fill(seller["client_id"])
    page.get_by_label("LWA client secret").fill(seller["client_secret"])
    page.get_by_label("LWA refresh token").fill(seller["refresh_token"])
    page.get_by_text("Endpoint overrides (simulator or sandbox)").click()
    page.get_by_label("SP-API endpoint").fill(amazon_simulator.base_url)
    page.get_by_label("LWA token URL").fill(amazon_simulator.token_url)
    screen(page, "amazon-account-form")
    page.get_by_role("button", name="Add account").click()

    # then the account exists and Check API shows the marketplaces and the orders waiting
    expect(page.get_by_role("heading", name="Amazon UK")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text(
        "Account Amazon UK added. Next: Check API to test the credentials."
    )
    page.get_by_role("button", name="Check API").click()
    result = page.locator("#check-result")
    expect(result).to_contain_text("Check API: OK.", timeout=CHANNEL)
    expect(result).to_contain_text(f"Connected to Amazon as seller {seller['seller_id']} on UK.")
    expect(result.locator("dt:has-text('Marketplaces participated in') + dd")).to_have_text("UK")
    expect(result.locator("dt:has-text('Orders waiting') + dd")).to_have_text("2")
    screen(page, "amazon-account-check-ok")
    facts = page.locator("section.card").first.locator("dt")
    expect(facts).to_contain_text(["LWA client id", "LWA client secret", "LWA refresh token"])
    refresh = page.locator("dt:has-text('LWA refresh token') + dd")
    expect(refresh).to_have_text(mask_secret(seller["refresh_token"]))
    account = ChannelAccount.objects.get(name="Amazon UK")
    assert (account.endpoint, account.token_url) == (amazon_simulator.base_url, amazon_simulator.token_url)
    assert account.last_check_ok is True
    assert amazon_sim.stats()[seller["seller_id"]]["getMarketplaceParticipations"]["calls"] == 1

    # when the refresh token is wrong, the check names the likely cause
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("LWA refresh token").fill("Atzr|not-the-token")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Account Amazon UK saved.")
    page.get_by_role("button", name="Check API").click()
    expect(result).to_contain_text("Check API failed.", timeout=CHANNEL)
    expect(result).to_contain_text(
        "Amazon refused the refresh token (invalid_grant): it is mistyped, was revoked, or belongs to "
        "another app or seller; authorise the app again and paste the new refresh token"
    )
    screen(page, "amazon-account-check-wrong-token")

    # when the right token is pasted with spaces around it, the seller is warned they were removed
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("LWA refresh token").fill(f"  {seller['refresh_token']}  ")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text(
        "LWA refresh token: spaces or line breaks around the value were removed (copy-paste slip?)"
    )
    page.get_by_role("button", name="Check API").click()
    expect(result).to_contain_text("Check API: OK.", timeout=CHANNEL)
    screen(page, "amazon-account-check-spaces-stripped")
    page.goto(url("/accounts/"))
    row = page.locator(f"#account-{account.pk}")
    expect(row).to_contain_text("Amazon UK")
    expect(row.locator("td").nth(6)).to_have_text("OK")
    screen(page, "amazon-accounts")
    assert "not-the-token" not in page.content() and seller["refresh_token"] not in page.content()


# --- 2. import listings and link them by identical SKU -----------------------------------------------


def test_import_listings_and_link_all_by_identical_sku(
    page, url, amazon_sim, amazon_account, make_item, screen
):
    # given three listings on Amazon, two of them with the SKU of a stock item (one in other case)
    account = amazon_account("Amazon UK")
    seller = account.external_account_id
    amazon_sim.create_listing(seller, "MUG-BLUE", quantity=4, asin="B000000001", title="Blue mug")
    amazon_sim.create_listing(seller, "teapot-1", quantity=2, asin="B000000002", title="Teapot")
    amazon_sim.create_listing(seller, "POSTER-9", quantity=1, asin="B000000003", title="Poster")
    make_item("MUG-BLUE", on_hand=5)
    make_item("TEAPOT-1", on_hand=3)

    # when the seller imports the account's listings
    page.goto(url(f"/accounts/{account.pk}/listings/"))
    expect(page.get_by_text("No listings yet")).to_be_visible()
    page.get_by_role("button", name="Import listings from the channel").click()

    # then the import (a background task) reports what came and offers the links by identical SKU
    status = page.locator("#listings-import")
    expect(status).to_contain_text(
        "Imported listings: 3 new, 0 updated, 0 unchanged. 2 listing(s) can be linked by identical SKU.",
        timeout=CHANNEL,
    )
    expect(page.locator("table.data tbody.listing")).to_have_count(3)
    screen(page, "amazon-listings-imported")
    status.get_by_role("link", name="Review 2 link(s) by identical SKU").click()

    # and the preview of "link all by identical SKU" shows exactly what will link
    expect(page.get_by_role("heading", name="Link all by identical SKU · Amazon UK")).to_be_visible(
        timeout=CHANNEL
    )
    expect(page.get_by_role("heading", name="Will be linked (2)")).to_be_visible()
    rows = page.locator("#will-link tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td")).to_have_text(["MUG-BLUE", "MUG-BLUE"])
    expect(rows.nth(1).locator("td")).to_have_text(["teapot-1", "TEAPOT-1"])
    expect(page.locator("#unmatched li")).to_have_text(["POSTER-9"])
    screen(page, "amazon-link-all-preview")
    assert Listing.objects.filter(account=account, stock_item__isnull=False).count() == 0

    # when they apply it, the two listings show as linked and the third does not
    page.get_by_role("button", name="Link these 2").click()
    expect(page.get_by_role("heading", name="Listed products · Amazon UK")).to_be_visible(timeout=CHANNEL)
    expect(page.locator(".messages")).to_contain_text("Linked 2 listing(s) by identical SKU.")
    expect(page.get_by_label("Stock item SKU for MUG-BLUE")).to_have_value("MUG-BLUE")
    expect(page.get_by_label("Stock item SKU for teapot-1")).to_have_value("TEAPOT-1")
    expect(page.get_by_label("Stock item SKU for POSTER-9")).to_have_value("")
    page.get_by_label("Linked").select_option("yes")
    expect(page.locator("table.data tbody.listing")).to_have_count(2)
    screen(page, "amazon-listed-products")
    linked = dict(Listing.objects.filter(account=account).values_list("channel_sku", "stock_item__sku"))
    assert linked == {"MUG-BLUE": "MUG-BLUE", "teapot-1": "TEAPOT-1", "POSTER-9": None}
    assert dict(Listing.objects.filter(account=account).values_list("channel_sku", "external_ref")) == {
        "MUG-BLUE": "B000000001",
        "teapot-1": "B000000002",
        "POSTER-9": "B000000003",
    }


# --- 3. synchronise, watch progress, see the run and the orders ---------------------------------------


def test_synchronise_shows_progress_run_history_and_orders_once(
    page, url, amazon_sim, amazon_account, make_item, link, sync_worker, screen
):
    # given two orders waiting on Amazon for a linked listing
    account = amazon_account("Amazon UK")
    amazon_sim.create_listing(account.external_account_id, "MUG-1", quantity=10)
    link(account, "MUG-1", make_item("MUG", on_hand=10))
    first = place(amazon_sim, account, "MUG-1", buyer="Margaret Hamilton")
    second = place(amazon_sim, account, "MUG-1", buyer="Grace Hopper", quantity=2)
    listable(amazon_sim)
    # Amazon answers the order search slowly, so the run is seen while it runs
    amazon_sim.set_fault("searchOrders", "slow", count=1, delay_seconds=4)

    # when the seller presses Synchronise
    page.goto(url("/sync/"))
    screen(page, "amazon-sync")
    page.get_by_role("button", name="Synchronise now").click()

    # then the run is shown running, then finished with the orders that came in
    progress = page.locator("#sync-progress")
    expect(page.locator(".messages")).to_contain_text(
        "Synchronising 1 account(s) in the background; progress is shown below."
    )
    expect(progress.get_by_text("Running")).to_be_visible()
    screen(page, "amazon-sync-progress-running")
    expect(progress).to_contain_text("Finished. See run history and sync issues.", timeout=CHANNEL)
    row = progress.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text("Amazon UK")
    expect(row.locator("td").nth(1)).to_have_text("OK")
    expect(row.locator("td").nth(3)).to_contain_text("In: 2 orders (2 new, 0 updated)")
    screen(page, "amazon-sync-progress-done")

    # and in run history
    page.get_by_role("link", name="run history", exact=True).click()
    expect(page.get_by_role("heading", name="Run history")).to_be_visible()
    runs = page.locator("table.data tbody tr")
    expect(runs).to_have_count(1)
    expect(runs.first.locator("td").nth(1)).to_have_text("Amazon UK")
    expect(runs.first.locator("td").nth(2)).to_have_text("Synchronise button")
    expect(runs.first.locator("td").nth(3)).to_have_text("OK")
    expect(runs.first.locator("td").nth(4)).to_contain_text("In: 2 orders (2 new, 0 updated)")
    screen(page, "amazon-run-history")

    # and the orders are in Open Orders exactly once, also after synchronising again
    synchronise(page, url)
    page.get_by_role("link", name="Open Orders").click()
    orders = page.locator("#orders-table tbody tr")
    expect(orders).to_have_count(2)
    expect(orders.filter(has_text=first)).to_have_count(1)
    expect(orders.filter(has_text=second)).to_have_count(1)
    expect(orders.filter(has_text=first)).to_contain_text("Margaret Hamilton")
    expect(orders.filter(has_text=second)).to_contain_text("Grace Hopper")
    assert sorted(Order.objects.values_list("external_order_id", flat=True)) == sorted([first, second])


# --- 4. find an order, process a batch, the confirmations reach Amazon --------------------------------


def test_find_process_and_confirm_shipments_to_amazon(
    page, url, amazon_sim, amazon_account, make_item, link, screen
):
    # given three orders downloaded from Amazon and a shipping method not yet mapped for the account
    account = amazon_account("Amazon UK", mapped=False)
    seller = account.external_account_id
    amazon_sim.create_listing(seller, "MUG-1", quantity=20)
    link(account, "MUG-1", make_item("MUG", on_hand=20))
    ShippingMethod.objects.create(name="Royal Mail 48")
    hamilton = place(amazon_sim, account, "MUG-1", buyer="Margaret Hamilton")
    hopper = place(amazon_sim, account, "MUG-1", buyer="Grace Hopper")
    lovelace = place(amazon_sim, account, "MUG-1", buyer="Ada Lovelace")
    listable(amazon_sim)
    synchronise(page, url)

    # when the seller maps the shipping method for the account
    page.goto(url(f"/accounts/{account.pk}/"))
    page.get_by_label("Shipping method", exact=True).select_option("Royal Mail 48")
    page.get_by_label("Carrier code").select_option("Royal Mail")
    page.get_by_label("Ship method").fill("Tracked 48")
    page.get_by_role("button", name="Save mapping").click()
    expect(page.locator(".messages")).to_contain_text("Royal Mail 48 is sent as Royal Mail, Tracked 48.")
    expect(page.locator("#shipping tbody tr").first.locator("td")).to_have_text(
        ["Royal Mail 48", "Royal Mail", "", "Tracked 48", "Remove"]
    )
    screen(page, "amazon-account-detail")

    # and finds an order by buyer name
    page.goto(url("/orders/"))
    page.get_by_label("Search").fill("Hamilton")
    page.get_by_label("Search").press("Enter")
    rows = page.locator("#orders-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(hamilton)
    expect(rows.first).to_contain_text("Margaret Hamilton")

    # and processes two orders with tracking numbers and one shipping method
    page.goto(url("/orders/"))
    expect(rows).to_have_count(3)
    page.get_by_label(f"Select order {hamilton}").check()
    page.get_by_label(f"Select order {hopper}").check()
    expect(page.locator("[data-selection-count]")).to_have_text("2 orders selected")
    page.get_by_label(f"Tracking number for {hamilton}").fill("RM100000001GB")
    page.get_by_label(f"Tracking number for {hopper}").fill("RM100000002GB")
    page.get_by_label("Shipping method", exact=True).select_option("Royal Mail 48")
    page.get_by_role("button", name="Process selected").click()
    expect(page.locator("[data-batch-progress-text]")).to_have_text("Done: 2 processed.", timeout=CHANNEL)
    synchronise(page, url)

    # then Amazon received both confirmations with the tracking numbers, and nothing for the third
    def shipped(order_id):
        return amazon_sim.get_order(seller, order_id)["shipments"]

    for order_id, tracking in ((hamilton, "RM100000001GB"), (hopper, "RM100000002GB")):
        shipments = poll(lambda order_id=order_id: shipped(order_id))
        assert [
            (s["tracking_number"], s["carrier_code"], s["shipping_method"], s["via"]) for s in shipments
        ] == [(tracking, "Royal Mail", "Tracked 48", "confirmShipment")]
        assert amazon_sim.get_order(seller, order_id)["status"] == "Shipped"
    assert shipped(lovelace) == []
    assert amazon_sim.get_order(seller, lovelace)["status"] == "Unshipped"

    # and the order shows its shipment as sent
    order = Order.objects.get(external_order_id=hamilton)
    page.goto(url(f"/orders/{order.pk}/"))
    expect(page.get_by_role("heading", name=f"Order {hamilton}")).to_be_visible()
    facts = page.locator("h2:has-text('Channel shipment') + section dl")
    expect(facts.locator("dt:has-text('Status') + dd")).to_have_text("Confirmed to channel")
    expect(facts.locator("dt:has-text('Tracking') + dd")).to_have_text("RM100000001GB (Royal Mail 48)")
    screen(page, "amazon-order-shipment-sent")


# --- 5. two accounts list the same stock item: an adjustment reaches both -----------------------------


def test_stock_adjustment_reaches_both_accounts_pending_then_confirmed(
    page, url, amazon_sim, amazon_account, make_item, link, screen
):
    # given one stock item listed by account A under one SKU and by account B under eleven SKUs, B
    # sending every quantity in a listings feed (patch_threshold 0), confirmed when Amazon has processed it
    item = make_item("MUG", on_hand=10)
    first, second = amazon_account("Amazon A"), amazon_account("Amazon B", patch_threshold=0)
    b_skus = [f"MUG-B-{n:02d}" for n in range(1, 12)]
    for account, skus in ((first, ["MUG-A"]), (second, b_skus)):
        for sku in skus:
            amazon_sim.create_listing(account.external_account_id, sku, quantity=10)
            link(account, sku, item, status=ListingStatus.CONFIRMED, last_confirmed_quantity=10)

    # when the seller adjusts the stock in Inventory
    page.goto(url("/inventory/"))
    page.get_by_role("link", name="MUG", exact=True).click()
    page.get_by_label("Change by (+/−)").check()
    page.get_by_label("Quantity", exact=True).fill("-3")
    page.get_by_label("Reason").fill("breakage")
    page.get_by_role("button", name="Adjust").click()
    expect(page.locator('[data-stock="available"]')).to_have_text("7", timeout=CHANNEL)

    # then account B's listings are Pending (sent, not yet confirmed) ...
    page.goto(url(f"/accounts/{second.pk}/listings/"))
    listings = page.locator("table.data tbody.listing")
    expect(listings).to_have_count(11)
    expect(listings.locator("[data-inventory-status]")).to_have_text(["Pending"] * 11)
    expect(listings.locator("[data-last-confirmed] strong")).to_have_text(["10"] * 11)
    screen(page, "amazon-listed-products-pending")
    # ... and A's single listing was confirmed at once
    page.goto(url(f"/accounts/{first.pk}/listings/"))
    expect(page.locator("table.data [data-inventory-status]")).to_have_text(["Confirmed"])
    expect(page.locator("table.data [data-last-confirmed] strong")).to_have_text(["7"])

    # when Amazon has processed the feed and the account is synchronised
    amazon_sim.advance_clock(200)
    synchronise(page, url)

    # then B's listings are Confirmed at the new available quantity, as Amazon shows them
    page.goto(url(f"/accounts/{second.pk}/listings/"))
    expect(listings.locator("[data-inventory-status]")).to_have_text(["Confirmed"] * 11)
    expect(listings.locator("[data-last-confirmed] strong")).to_have_text(["7"] * 11)
    screen(page, "amazon-listed-products-confirmed")
    # Amazon shows an accepted quantity only after its own propagation delay (120 simulated seconds
    # from when each message was applied): let that pass before reading what buyers see
    amazon_sim.advance_clock(300)
    shown = {
        sku: amazon_sim.get_listing(account.external_account_id, sku)["quantity"]
        for account, skus in ((first, ["MUG-A"]), (second, b_skus))
        for sku in skus
    }
    assert shown == dict.fromkeys(["MUG-A", *b_skus], 7)


# --- 6. a sync error shown to the seller, and retried ---------------------------------------------------


def test_amazon_error_on_a_confirmation_is_shown_and_sent_once_cleared(
    page, url, amazon_sim, amazon_account, make_item, link, screen
):
    # given an order downloaded from Amazon, and Amazon failing its next confirmShipment calls
    account = amazon_account("Amazon UK")
    seller = account.external_account_id
    order = order_downloaded(page, url, amazon_sim, account, make_item, link, buyer="Margaret Hamilton")
    order_id = order.external_order_id
    amazon_sim.set_fault("v0.confirmShipment", "http_500", count=100)
    cause = "Amazon answered confirmShipment with 500 (an HTML error page)"

    # when the seller processes it (the confirmation is sent at once)
    process_order(page, url, order, "RM100000009GB", "Royal Mail 48")

    # then the order says the confirmation is waiting, and why
    page.goto(url(f"/orders/{order.pk}/"))
    facts = page.locator("h2:has-text('Channel shipment') + section dl")
    expect(facts.locator("dt:has-text('Status') + dd")).to_have_text("Waiting to send")
    expect(facts.locator("dt:has-text('Last error') + dd")).to_have_text(cause)
    screen(page, "amazon-order-shipment-error")

    # and synchronising while Amazon still fails shows the error on the run
    synchronise(page, url)
    row = page.locator("#sync-progress tbody tr")
    expect(row.locator("td").nth(1)).to_have_text("Partly failed")
    expect(row.locator("td").nth(3)).to_contain_text(
        f"Error shipments: {order_id}: {cause}; the confirmation is sent again in the next run"
    )
    screen(page, "amazon-sync-progress-error")
    assert amazon_sim.get_order(seller, order_id)["shipments"] == []

    # when Amazon works again and the seller synchronises
    amazon_sim.clear_faults()
    synchronise(page, url)

    # then the confirmation reached Amazon once and the order shows it sent
    shipments = poll(lambda: amazon_sim.get_order(seller, order_id)["shipments"])
    assert [(s["tracking_number"], s["via"]) for s in shipments] == [("RM100000009GB", "confirmShipment")]
    page.goto(url(f"/orders/{order.pk}/"))
    expect(facts.locator("dt:has-text('Status') + dd")).to_have_text("Confirmed to channel")
    assert ChannelShipment.objects.get(order=order).status == "sent"


def test_sync_issue_for_an_unmapped_shipping_method_is_retried_and_resolved(
    page, url, amazon_sim, amazon_account, make_item, link, screen
):
    # given an order from Amazon processed with a shipping method the account has no mapping for
    account = amazon_account("Amazon UK")
    seller = account.external_account_id
    order = order_downloaded(page, url, amazon_sim, account, make_item, link, buyer="Grace Hopper")
    order_id = order.external_order_id
    ShippingMethod.objects.create(name="DPD Next Day")
    process_order(page, url, order, "DPD0000001", "DPD Next Day")

    # when the seller synchronises, the sync issue says what to do
    synchronise(page, url)
    page.locator("#sync-progress").get_by_role("link", name="sync issues").click()
    issue = page.locator("table.data tbody tr")
    expect(issue).to_have_count(1)
    expect(issue.locator("td").nth(2)).to_have_text("Shipping confirmation")
    expect(issue.locator("td").nth(3)).to_have_text(order_id)
    expect(issue.locator("td").nth(4)).to_contain_text(
        "shipping method 'DPD Next Day' has no mapping for account Amazon UK: add a shipping mapping "
        "(carrier code and ship method), then retry"
    )
    screen(page, "amazon-sync-issues")
    assert amazon_sim.get_order(seller, order_id)["shipments"] == []

    # when they add the mapping and press Retry
    page.goto(url(f"/accounts/{account.pk}/"))
    page.get_by_label("Shipping method", exact=True).select_option("DPD Next Day")
    page.get_by_label("Carrier code").select_option("DPD")
    page.get_by_label("Ship method").fill("Next Day")
    page.get_by_role("button", name="Save mapping").click()
    expect(page.locator(".messages")).to_contain_text("DPD Next Day is sent as DPD, Next Day.")
    page.goto(url("/sync/issues/"))
    page.get_by_role("button", name="Retry").click()

    # then the issue is resolved and Amazon has the confirmation
    expect(page.locator(".messages")).to_contain_text(
        f"Retried: shipping confirmation for {order_id} sent.", timeout=CHANNEL
    )
    expect(page.get_by_text("No sync issues open: everything came in and went out.")).to_be_visible()
    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Filter").click()
    expect(issue.locator("td").nth(6)).to_have_text("Resolved")
    screen(page, "amazon-sync-issues-resolved")
    shipments = amazon_sim.get_order(seller, order_id)["shipments"]
    assert [(s["tracking_number"], s["carrier_code"], s["shipping_method"]) for s in shipments] == [
        ("DPD0000001", "DPD", "Next Day")
    ]


# --- 7. log out ------------------------------------------------------------------------------------------


def test_log_out_from_the_accounts_screen(page, url, amazon_account):
    amazon_account("Amazon UK")
    page.goto(url("/accounts/"))
    expect(page.get_by_role("link", name="Amazon UK")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out. Log in again to continue.")).to_be_visible()
    page.goto(url("/accounts/"))
    expect(page).to_have_url(re.compile(r"/login/\?next=/accounts/"))


def test_account_form_keeps_the_marketplace_choices_inside_the_form(page, url):
    page.goto(url("/accounts/add/"))
    form = page.locator("form.card[method=post]").bounding_box()
    choices = page.get_by_role("group", name="Marketplaces").bounding_box()
    japan = page.get_by_role("checkbox", name="JP Japan (FE)").bounding_box()
    assert choices["x"] + choices["width"] <= form["x"] + form["width"]
    assert japan["x"] + japan["width"] <= form["x"] + form["width"]
