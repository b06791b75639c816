"""Issue 11's screens in a real browser, asserting what the seller sees, with screenshots of each
changed screen in test-artifacts/screens/ (h4-*.png)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from stockroom.channels.models import ListingStatusLog
from stockroom.orders.models import Order, ShippingMethod
from stockroom.orders.services import import_channel_order
from stockroom.sync import engine
from tests.conftest import channel_order

pytestmark = pytest.mark.browser

PURCHASED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # 10:00 in London (GMT), 19:00 in Tokyo


@pytest.fixture
def shop(make_account, make_item, link):
    account = make_account("Shop UK")
    link(account, "AMZ-MUG", make_item("MUG", on_hand=20, title="Blue mug"))
    link(account, "AMZ-PEN", make_item("PEN", on_hand=20, title="Fountain pen"))
    ShippingMethod.objects.create(name="Royal Mail 48")
    return account


def _order(account, order_id, lines=(("AMZ-MUG", 1),), minutes=0) -> Order:
    data = channel_order(order_id, lines=lines, purchased_at=PURCHASED + timedelta(minutes=minutes))
    return Order.objects.get(pk=import_channel_order(account=account, data=data).order_id)


# --- Open Orders ------------------------------------------------------------------------------------------


def test_open_orders_show_items_a_count_the_right_title_and_no_box_once_processed(page, url, shop, screen):
    # given two open orders, one of two lines
    first = _order(shop, "202-0000001-0000001", lines=(("AMZ-MUG", 2), ("AMZ-PEN", 1)))
    second = _order(shop, "202-0000002-0000002", minutes=1)

    # when the seller opens Open Orders
    page.goto(url("/orders/"))

    # then each order shows its items, and the heading counts the orders
    expect(page.locator("#orders-heading")).to_have_text("Open Orders 2 orders")
    expect(page.locator(f'[data-order-row="{first.pk}"] [data-order-items] li')).to_have_text(
        ["2 × AMZ-MUG", "1 × AMZ-PEN"]
    )
    screen(page, "h4-open-orders")

    # when one is processed in a batch with its tracking number
    row = page.locator(f'[data-order-row="{second.pk}"]')
    row.get_by_label("Select order 202-0000002-0000002").check()
    row.get_by_label("Tracking number for 202-0000002-0000002").fill("JD0002")
    page.get_by_label("Shipping method", exact=True).select_option("Royal Mail 48")
    page.get_by_role("button", name="Process selected").click()

    # then its row shows the tracking number as text: no box to edit any more
    expect(row.locator("[data-tracking]")).to_have_text("JD0002")
    expect(row.locator("input[type=text]")).to_have_count(0)

    # and showing every order says so, counting both
    page.get_by_label("Status").select_option("all")
    expect(page.locator("#orders-heading")).to_have_text("All orders 2 orders")
    expect(page).to_have_title("All orders · Stockroom")
    page.reload()
    expect(page.locator(f'[data-order-row="{second.pk}"] [data-tracking]')).to_have_text("JD0002")
    screen(page, "h4-all-orders")
    assert page.console_errors == []


# --- Dates ------------------------------------------------------------------------------------------------


def test_times_follow_the_users_time_zone_with_utc_on_hover(page, url, shop, screen):
    order = _order(shop, "202-0000003-0000003")
    page.goto(url("/orders/"))
    page.goto(url("/orders/"))  # the browser's zone (Europe/London) is known from the second page on
    purchased = page.locator(f'[data-order-row="{order.pk}"] time')
    expect(purchased).to_have_text("20 Nov 2026 10:00")
    expect(purchased).to_have_attribute("title", "2026-11-20 10:00:00 UTC")
    expect(page.locator("[data-time-zone]")).to_have_text("Europe/London")

    page.locator("[data-time-zone]").click()
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator(".messages")).to_have_text("Times are now shown in Asia/Tokyo.")
    screen(page, "h4-preferences")

    page.goto(url(f"/orders/{order.pk}/"))
    expect(page.locator("time").first).to_have_text("20 Nov 2026 19:00")
    expect(page.locator("time").first).to_have_attribute("title", "2026-11-20 10:00:00 UTC")
    expect(page.locator("[data-time-zone]")).to_have_text("Asia/Tokyo")


# --- Dashboard --------------------------------------------------------------------------------------------


def test_dashboard_shows_seconds_from_sale_to_confirmation_sale_by_sale(
    page, url, shop, make_account, screen
):
    other = make_account("Shop US")
    from stockroom.channels.models import Listing

    listings = list(Listing.objects.filter(channel_sku="AMZ-MUG")) + [
        Listing.objects.create(
            account=other,
            channel_sku="US-MUG",
            stock_item=shop.listings.get(channel_sku="AMZ-MUG").stock_item,
        )
    ]
    now = timezone.now()
    for n, seconds in enumerate((2.0, 3.0, 9.0)):
        order = _order(shop, f"202-000000{n}-1000000")
        imported = now - timedelta(minutes=30 - n)
        Order.objects.filter(pk=order.pk).update(created_at=imported)
        for listing in listings:
            log = ListingStatusLog.objects.create(listing=listing, quantity=1, outcome="confirmed")
            ListingStatusLog.objects.filter(pk=log.pk).update(
                created_at=imported + timedelta(seconds=1), answered_at=imported + timedelta(seconds=seconds)
            )

    page.goto(url("/"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.get_by_role("heading", name="Needs attention now")).to_be_visible()
    expect(page.locator("[data-latency-summary]")).to_have_text(
        "Median 3.0 s · 95th percentile 9.0 s · slowest 9.0 s, over the last 3 sales (24 h)"
    )
    expect(page.locator("#confirmation-chart")).to_be_visible()
    screen(page, "h4-dashboard")
    assert page.console_errors == []


def test_stock_history_draws_nothing_before_the_item_existed(page, url, shop, screen):
    item = shop.listings.get(channel_sku="AMZ-MUG").stock_item
    page.goto(url(f"/inventory/{item.pk}/"))
    expect(page.locator("canvas[data-chart=stock]")).to_be_visible()
    data = page.evaluate("JSON.parse(document.getElementById('stock-chart-data').textContent)")
    assert data["on_hand"] == [None] * 29 + [20] and data["available"] == [None] * 29 + [20]
    screen(page, "h4-stock-history")


# --- Listings ---------------------------------------------------------------------------------------------


def test_listings_read_as_state_and_action_fba_not_sent_and_the_log_in_its_own_row(
    page, url, make_account, make_item, link, screen
):
    account = make_account("Shop UK")
    mug = link(
        account,
        "AMZ-MUG",
        make_item("MUG", title="Blue mug"),
        title="Blue enamel mug (Amazon)",
        status="confirmed",
        last_confirmed_quantity=39,
        last_confirmed_at=datetime(2026, 12, 5, 7, 42, 43, tzinfo=UTC),
    )
    fba = link(account, "FBA-MUG", None, fulfilled_by_channel=True, title="Blue mug, Amazon's stock")
    log = ListingStatusLog.objects.create(
        listing=mug, quantity=39, outcome="confirmed", submission_ref="9" * 40
    )
    ListingStatusLog.objects.filter(pk=log.pk).update(answered_at=timezone.now())

    page.goto(url(f"/accounts/{account.pk}/listings/"))
    row = page.locator(f"#listing-{mug.pk} tr").first
    expect(row.locator("[data-listing-title]")).to_have_text("Blue enamel mug (Amazon)")
    expect(row.locator("[data-item-title]")).to_have_text("Blue mug")
    expect(row.locator("[data-last-confirmed] .nowrap")).to_have_text("Qty 39")
    expect(row.locator("[data-last-confirmed] time")).to_have_text("5 Dec 2026 07:42")
    expect(row.locator(".sync-state .state")).to_have_text("Sent")
    row.get_by_role("button", name="Pause stock updates for AMZ-MUG").click()
    expect(row.locator(".sync-state .state")).to_have_text("Paused")
    expect(row.get_by_role("button", name="Resume stock updates for AMZ-MUG")).to_be_visible()

    fba_row = page.locator(f"#listing-{fba.pk} tr").first
    expect(fba_row.locator("[data-inventory-status]")).to_have_text("Fulfilled by Amazon: stock not sent")
    expect(fba_row.get_by_role("button", name=re.compile("stock updates"))).to_have_count(0)

    row.get_by_role("button", name="Show log").click()
    panel = page.locator(f"#log-{mug.pk}")
    expect(panel.locator("tbody tr")).to_have_count(1)  # one row per quantity sent
    expect(panel.locator("tbody tr td").nth(2)).to_have_text("Confirmed")
    panel_box, table_box = panel.bounding_box(), page.locator("table.listings").bounding_box()
    assert panel_box["width"] == pytest.approx(table_box["width"], abs=4)  # the panel spans the table
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 1280  # nothing runs off the page
    screen(page, "h4-listings-log")
    assert page.console_errors == []


# --- Accounts ---------------------------------------------------------------------------------------------


def test_account_switch_report_options_in_words_and_last_check_updated(page, url, amazon_account, screen):
    account = amazon_account("Amazon UK")
    page.goto(url("/accounts/"))
    switch = page.get_by_role("switch", name="Synchronise Amazon UK")
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(switch).to_have_text("Enabled")
    switch.click()
    expect(page.get_by_role("switch", name="Synchronise Amazon UK")).to_have_attribute(
        "aria-checked", "false"
    )
    expect(page.get_by_role("switch", name="Synchronise Amazon UK")).to_have_text("Disabled")
    screen(page, "h4-accounts")

    page.goto(url(f"/accounts/{account.pk}/"))
    expect(page.get_by_label("Request a new order report")).to_be_hidden()
    page.get_by_label("Order source").select_option("report_flat")
    expect(page.get_by_label("Request a new order report")).to_be_visible()
    expect(page.get_by_label("Request a new order report").locator("option:checked")).to_have_text(
        "every hour"
    )

    expect(page.locator("#last-check")).to_have_text("never")
    page.get_by_role("button", name="Check API").click()
    expect(page.locator("#check-result")).to_contain_text("Check API: OK.", timeout=20_000)
    expect(page.locator("#last-check")).to_have_text(re.compile(r"^\d{1,2} \w{3} \d{4} \d\d:\d\d: OK — "))
    screen(page, "h4-account-checked")


# --- Run history ------------------------------------------------------------------------------------------


def test_run_page_says_steps_in_words_and_the_quantity_sent(
    page, url, amazon_account, amazon_sim, make_item, link, screen
):
    account = amazon_account("Amazon UK")
    amazon_sim.create_listing(account.external_account_id, "MUG-1", quantity=1)
    link(account, "MUG-1", make_item("MUG", on_hand=7))
    run = engine.sync_account(account, trigger="cli")

    page.goto(url("/sync/runs/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Run history")
    page.locator(f"#run-{run.pk} a").click()
    expect(page.locator("[data-run-steps]")).to_have_text(
        "Steps: download orders, send shipping confirmations, send stock levels, collect the channel's answers."
    )
    expect(page.locator("#run-writes tbody tr td").nth(2)).to_have_text("Quantity 7")
    expect(page.locator("#run-summary")).not_to_contain_text(run.message)
    screen(page, "h4-run")


# --- favicon and menu -------------------------------------------------------------------------------------


def test_every_page_has_its_icon_and_the_menu_says_synchronise_and_run_history(page, url, db):
    missing = []
    page.on("response", lambda response: response.status == 404 and missing.append(response.url))
    page.goto(url("/"))
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_contain_text(
        ["Synchronise", "Run history", "Sync issues"]
    )
    icon = page.request.get(url("/favicon.ico"))
    assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml")
    assert missing == [] and page.console_errors == []
