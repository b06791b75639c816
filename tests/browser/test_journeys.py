"""The everyday journeys in a real browser: log in, find, process, adjust, delete, log out,
and the browser-side security checks (hostile names stay inert, CSP blocks inline script)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from stockroom.catalog.models import StockItem
from stockroom.inventory.selectors import stock_totals
from stockroom.orders.models import Order, ShippingMethod
from stockroom.orders.pipeline import OrderStatus
from stockroom.orders.services import import_channel_order
from stockroom.web.middleware import CSP
from stockroom.web.permissions import WAREHOUSE_STAFF
from tests.browser.conftest import BROWSER_PASSWORD
from tests.conftest import channel_order

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(make_account, make_item, link):
    account = make_account("Shop UK")
    link(account, "AMZ-MUG", make_item("MUG", on_hand=20, title="Blue mug"))
    return account


def _order(account, order_id, buyer="Ann Buyer", minutes=0):
    data = channel_order(
        order_id,
        lines=(("AMZ-MUG", 1),),
        buyer_name=buyer,
        purchased_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC) + timedelta(minutes=minutes),
    )
    return Order.objects.get(pk=import_channel_order(account=account, data=data).order_id)


def test_log_in_and_out(anonymous_page, url, browser_user, screen):
    page = anonymous_page
    page.goto(url("/orders/"))
    expect(page).to_have_url(re.compile(r"/login/\?next=/orders/"))
    screen(page, "login")
    page.get_by_label("Username").fill("browser")
    page.get_by_label("Password").fill(BROWSER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Open Orders")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out. Log in again to continue.")).to_be_visible()
    page.goto(url("/"))
    expect(page).to_have_url(re.compile(r"/login/"))
    assert page.dialogs == []


def test_wrong_password_says_so(anonymous_page, url, browser_user):
    page = anonymous_page
    page.goto(url("/login/"))
    page.get_by_label("Username").fill("browser")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username and password")


def test_find_an_order_by_buyer_name(page, url, shop, screen):
    _order(shop, "202-0000001-0000001", buyer="Margaret Hamilton")
    _order(shop, "202-0000002-0000002", buyer="Grace Hopper", minutes=1)
    page.goto(url("/"))
    screen(page, "dashboard")
    page.get_by_role("link", name="Open Orders").click()
    screen(page, "orders")
    rows = page.locator("#orders-table tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_label("Search").fill("Hamilton")  # htmx searches as you type (no Enter)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Margaret Hamilton")
    expect(page).to_have_url(re.compile(r"/orders/\?q=Hamilton"))
    rows.first.get_by_role("link", name="202-0000001-0000001").click()
    expect(page.get_by_role("heading", name="Order 202-0000001-0000001")).to_be_visible()
    screen(page, "order-detail")


def test_process_a_batch_with_tracking_numbers(page, url, shop, screen):
    ShippingMethod.objects.create(name="Royal Mail 48")
    first = _order(shop, "A-1", minutes=1)
    second = _order(shop, "A-2", minutes=2)
    page.goto(url("/orders/"))
    page.get_by_label("Select all orders on this page").check()
    expect(page.locator("[data-selection-count]")).to_have_text("2 orders selected")
    page.get_by_label("Tracking number for A-1").fill("TRACK-1")
    page.get_by_label("Tracking number for A-2").fill("TRACK-2")
    page.get_by_label("Shipping method", exact=True).select_option("Royal Mail 48")
    page.get_by_role("button", name="Process selected").click()
    expect(page.locator("[data-batch-progress-text]")).to_have_text("Done: 2 processed.")
    expect(page.locator("#batch-progress-bar")).to_have_attribute("value", "2")
    expect(page.locator('[data-outcome="ok"]')).to_have_count(2)
    screen(page, "orders-processed")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.tracking_number) == (OrderStatus.PROCESSED, "TRACK-1")
    assert (second.status, second.tracking_number) == (OrderStatus.PROCESSED, "TRACK-2")
    page.reload()
    expect(page.get_by_text("No open orders: everything is dispatched.")).to_be_visible()


def test_adjust_stock_and_see_level_and_movement(page, url, shop, screen):
    item = StockItem.objects.get(sku="MUG")
    page.goto(url("/inventory/"))
    screen(page, "inventory")
    page.get_by_role("link", name="MUG").click()
    expect(page.locator('[data-stock="on_hand"]')).to_have_text("20")
    page.get_by_label("Change by (+/−)").check()
    page.get_by_label("Quantity", exact=True).fill("-3")
    page.get_by_label("Reason").fill("dropped a box")
    page.get_by_role("button", name="Adjust").click()
    expect(page.locator(".messages")).to_contain_text("MUG at Default: on hand is now 17 (-3)")
    expect(page.locator('[data-stock="on_hand"]')).to_have_text("17")
    first_movement = page.locator("#movements tbody tr").first
    expect(first_movement).to_contain_text("dropped a box")
    expect(first_movement).to_contain_text("-3")
    screen(page, "item-detail")
    assert stock_totals(item.pk)["on_hand"] == 17


def test_delete_an_order_with_confirmation(page, url, shop):
    order = _order(shop, "DEL-1")
    page.goto(url(f"/orders/{order.pk}/"))
    page.get_by_role("link", name="Delete order…").click()
    expect(page.get_by_role("heading", name="Delete order DEL-1?")).to_be_visible()
    assert Order.objects.filter(pk=order.pk).exists()
    page.get_by_role("button", name="Delete the order").click()
    expect(page.locator(".messages")).to_contain_text("Order DEL-1 deleted; its stock was released.")
    assert not Order.objects.filter(pk=order.pk).exists()


HOSTILE = ["<script>alert(1)</script>", '"onmouseover=alert(1) x="', "<img src=x onerror=alert(1)>"]


def test_hostile_buyer_names_render_inert(page, url, shop):
    orders = [_order(shop, f"H-{n}", buyer=name, minutes=n) for n, name in enumerate(HOSTILE)]
    _order(shop, "LONG", buyer="\u202e" + "W" * 290, minutes=9)
    for path in ["/", "/orders/", *[f"/orders/{o.pk}/" for o in orders]]:
        page.goto(url(path))
        page.mouse.move(300, 300)
        for cell in page.locator("td.cut, dd.buyer-name").all()[:5]:
            cell.hover()
        for name in HOSTILE:
            if path == "/orders/" or path == "/":
                expect(page.get_by_text(name, exact=True).first).to_be_visible()
        assert page.locator("img[src=x]").count() == 0
    assert page.dialogs == []


def test_csp_forbids_inline_script(page, url):
    response = page.goto(url("/"))
    assert response.headers["content-security-policy"] == CSP
    assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
    result = page.evaluate(
        """() => new Promise(resolve => {
            document.addEventListener("securitypolicyviolation", e => resolve(e.violatedDirective), {once: true});
            const s = document.createElement("script");
            s.textContent = "window.__inlineRan = true";
            document.head.appendChild(s);
            setTimeout(() => resolve(window.__inlineRan ? "ran" : "no event"), 2000);
        })"""
    )
    assert result.startswith("script-src")
    assert page.evaluate("() => window.__inlineRan === undefined")


def test_staff_cannot_open_users_page(page, url, browser_user):
    browser_user.groups.set([Group.objects.get_or_create(name=WAREHOUSE_STAFF)[0]])
    page.goto(url("/"))
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    response = page.goto(url("/users/"))
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert User.objects.count() == 1
