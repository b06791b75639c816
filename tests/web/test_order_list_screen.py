"""Open Orders as a seller reads it: the items of each order, a count, a title that says what is
shown, and processed orders without a tracking box."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from stockroom.orders.models import Order, ShippingMethod
from stockroom.orders.services import import_channel_order, process_order
from tests.conftest import channel_order


@pytest.fixture
def shop(make_account, make_item, link):
    account = make_account("Shop UK")
    link(account, "AMZ-MUG", make_item("MUG", on_hand=50))
    link(account, "AMZ-PEN", make_item("PEN", on_hand=50))
    ShippingMethod.objects.create(name="Royal Mail 48")
    return account


def _order(account, order_id: str, lines, *, minutes: int = 0) -> Order:
    data = channel_order(
        order_id,
        lines=lines,
        purchased_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC) + timedelta(minutes=minutes),
    )
    return Order.objects.get(pk=import_channel_order(account=account, data=data).order_id)


def _row(html: str, order: Order) -> str:
    start = html.index(f'data-order-row="{order.pk}"')
    return html[start : html.index("</tr>", start)]


def test_each_order_shows_its_items_skus_and_quantities(staff_client, shop):
    two_lines = _order(shop, "TWO", (("AMZ-MUG", 2), ("AMZ-PEN", 1)))
    html = staff_client.get(reverse("orders")).content.decode()
    row = _row(html, two_lines)
    assert '<span class="qty">2 ×</span> AMZ-MUG</li>' in row
    assert '<span class="qty">1 ×</span> AMZ-PEN</li>' in row


def test_the_list_counts_its_orders_and_its_title_says_what_it_shows(staff_client, shop):
    first = _order(shop, "A-1", (("AMZ-MUG", 1),))
    _order(shop, "A-2", (("AMZ-MUG", 1),), minutes=1)
    process_order(order_id=first.pk, tracking_number="JD1", shipping_method="Royal Mail 48")

    open_page = staff_client.get(reverse("orders")).content.decode()
    assert "<title>Open Orders · Stockroom</title>" in open_page
    assert (
        '<h1 id="orders-heading">Open Orders <span class="count-note" data-order-count>1 order</span></h1>'
        in open_page
    )

    every = staff_client.get(reverse("orders"), {"status": "all"}).content.decode()
    assert (
        '<h1 id="orders-heading">All orders <span class="count-note" data-order-count>2 orders</span></h1>'
        in every
    )

    processed = staff_client.get(reverse("orders"), {"status": "processed"}).content.decode()
    assert "Processed orders <span" in processed and "1 order</span>" in processed


def test_the_count_stops_at_its_limit_and_says_more_than(staff_client, shop, monkeypatch):
    monkeypatch.setattr("stockroom.web.views.orders.COUNT_LIMIT", 2)
    for n in range(3):
        _order(shop, f"C-{n}", (("AMZ-MUG", 1),), minutes=n)
    html = staff_client.get(reverse("orders")).content.decode()
    assert "data-order-count>more than 2 orders</span>" in html


def test_a_processed_order_shows_its_tracking_number_without_a_box(staff_client, shop):
    done = _order(shop, "DONE", (("AMZ-MUG", 1),))
    waiting = _order(shop, "WAIT", (("AMZ-MUG", 1),), minutes=1)
    process_order(order_id=done.pk, tracking_number="JD0002", shipping_method="Royal Mail 48")
    html = staff_client.get(reverse("orders"), {"status": "all"}).content.decode()
    assert f'name="tracking-{done.pk}"' not in html
    assert '<span class="wrap-anywhere" data-tracking>JD0002</span>' in _row(html, done)
    assert f'<input type="text" name="tracking-{waiting.pk}"' in _row(html, waiting)
