"""Open Orders screens: list, filters, sorting, keyset pages, processing, hold, cancel, delete."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stockroom.orders.models import ChannelShipment, Order, ShippingMethod
from stockroom.orders.pipeline import OrderStatus
from stockroom.orders.services import import_channel_order
from tests.conftest import channel_order
from tests.web.conftest import failed_shipment


@pytest.fixture
def method(db):
    return ShippingMethod.objects.create(name="Royal Mail 48")


@pytest.fixture
def shop(make_account, make_item, link):
    account = make_account("Shop UK")
    item = make_item("MUG", on_hand=10)
    link(account, "AMZ-MUG", item)
    return account


def _order(account, order_id, *, buyer="Ann Buyer", minutes=0, qty=1, sku="AMZ-MUG", total=None):
    data = channel_order(
        order_id,
        lines=((sku, qty),),
        buyer_name=buyer,
        purchased_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC) + timedelta(minutes=minutes),
    )
    order_id = import_channel_order(account=account, data=data).order_id
    if total is not None:
        Order.objects.filter(pk=order_id).update(total=total)
    return Order.objects.get(pk=order_id)


def _ids(response) -> list[str]:
    return [o.external_order_id for o in response.context["page"]]


def test_list_shows_open_and_pending_orders_newest_first(staff_client, shop):
    _order(shop, "A-1", minutes=1)
    _order(shop, "A-2", minutes=2)
    cancelled = _order(shop, "A-3", minutes=3)
    Order.objects.filter(pk=cancelled.pk).update(status=OrderStatus.CANCELLED)
    response = staff_client.get(reverse("orders"))
    assert response.status_code == 200
    assert _ids(response) == ["A-2", "A-1"]


def test_search_by_buyer_and_sku(staff_client, shop, make_item, link):
    _order(shop, "A-1", buyer="Zoë Ångström")
    _order(shop, "A-2", buyer="Bob")
    assert _ids(staff_client.get(reverse("orders"), {"q": "Ångström"})) == ["A-1"]
    assert _ids(staff_client.get(reverse("orders"), {"q": "Bob"})) == ["A-2"]
    assert _ids(staff_client.get(reverse("orders"), {"q": "amz-mug"})) == ["A-2", "A-1"]
    assert _ids(staff_client.get(reverse("orders"), {"q": "A-1"})) == ["A-1"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("100%", ["A-2"]),
        ("%", ["A-2"]),
        ("_", ["A-3"]),
        ("o'neil", ["A-1"]),
        ('"Q"', ["A-1"]),
        ("NEAR(o neil)", []),
        ("\x00O'Neil", ["A-1"]),
        ("o'neil" + "x" * 10_000, []),
    ],
)
def test_search_takes_hostile_terms_as_plain_text(staff_client, shop, q, expected):
    _order(shop, "A-1", buyer='Quinn "Q" O\'Neil')
    _order(shop, "A-2", buyer="100% Cotton Ltd", minutes=1)
    _order(shop, "A-3", buyer="under_score", minutes=2)
    response = staff_client.get(reverse("orders"), {"q": q, "status": "all"})
    assert response.status_code == 200
    assert _ids(response) == expected


def test_sort_by_buyer_and_total(staff_client, shop):
    _order(shop, "A-1", buyer="Carol", total=Decimal("5.00"))
    _order(shop, "A-2", buyer="Alice", total=Decimal("50.00"))
    _order(shop, "A-3", buyer="Bob", total=Decimal("20.00"))
    assert _ids(staff_client.get(reverse("orders"), {"sort": "buyer"})) == ["A-2", "A-3", "A-1"]
    assert _ids(staff_client.get(reverse("orders"), {"sort": "-total"})) == ["A-2", "A-3", "A-1"]
    assert _ids(staff_client.get(reverse("orders"), {"sort": "bogus"})) == ["A-3", "A-2", "A-1"]


def test_filters_unlinked_hold_and_short(staff_client, shop, make_item, link):
    _order(shop, "OK", qty=1)
    _order(shop, "UNLINKED", sku="NOT-LINKED")
    held = _order(shop, "HELD")
    Order.objects.filter(pk=held.pk).update(on_hold=True)
    short = _order(shop, "SHORT", qty=50)
    assert _ids(staff_client.get(reverse("orders"), {"unlinked": "1"})) == ["UNLINKED"]
    assert _ids(staff_client.get(reverse("orders"), {"hold": "yes"})) == ["HELD"]
    assert _ids(staff_client.get(reverse("orders"), {"allocation": "short"})) == [short.external_order_id]
    assert _ids(staff_client.get(reverse("orders"), {"allocation": "partial"})) == ["SHORT"]


def test_keyset_pages_walk_forward_and_back_without_count(staff_client, shop, monkeypatch):
    monkeypatch.setattr("stockroom.web.views.orders.PER_PAGE", 2)
    for n in range(5):
        _order(shop, f"P-{n}", minutes=n)
    first = staff_client.get(reverse("orders"))
    assert _ids(first) == ["P-4", "P-3"]
    page = first.context["page"]
    assert page.has_next and not page.has_previous
    with CaptureQueriesContext(connection) as queries:
        second = staff_client.get(reverse("orders"), {"after": page.next_cursor})
    assert _ids(second) == ["P-2", "P-1"]
    # the order count is one COUNT bounded by a LIMIT subquery, never a COUNT over the whole book
    counts = [q["sql"].upper() for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 10001" in counts[0]
    third = staff_client.get(reverse("orders"), {"after": second.context["page"].next_cursor})
    assert _ids(third) == ["P-0"]
    assert not third.context["page"].has_next
    back = staff_client.get(reverse("orders"), {"before": second.context["page"].previous_cursor})
    assert _ids(back) == ["P-4", "P-3"]
    assert not back.context["page"].has_previous


def test_tampered_cursor_shows_the_first_page(staff_client, shop):
    _order(shop, "A-1")
    assert _ids(staff_client.get(reverse("orders"), {"after": "garbage"})) == ["A-1"]


def test_process_batch_with_tracking_numbers_reports_each_outcome(staff_client, shop, method):
    good = _order(shop, "GOOD")
    short = _order(shop, "SHORT", qty=50)
    response = staff_client.post(
        reverse("orders_process"),
        {
            "order": [good.pk, short.pk],
            f"tracking-{good.pk}": "TRK1",
            f"tracking-{short.pk}": "TRK2",
            "shipping_method": "Royal Mail 48",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 processed with Royal Mail 48" in html
    assert "1 not processed" in html
    assert "order SHORT cannot be dispatched: not enough stock (AMZ-MUG short by 41)" in html
    good.refresh_from_db()
    short.refresh_from_db()
    assert (good.status, good.tracking_number, good.shipping_method) == ("processed", "TRK1", "Royal Mail 48")
    assert short.status == OrderStatus.OPEN
    assert ChannelShipment.objects.get(order=good).tracking_number == "TRK1"


def test_process_partial_answer_is_the_outcome_rows(staff_client, shop, method):
    order = _order(shop, "GOOD")
    response = staff_client.post(
        reverse("orders_process"),
        {"order": [order.pk], f"tracking-{order.pk}": "T", "shipping_method": method.name, "partial": "1"},
    )
    html = response.content.decode()
    assert "<html" not in html
    assert f'data-order-id="{order.pk}"' in html and 'data-outcome="ok"' in html


def test_process_needs_a_known_active_shipping_method(staff_client, shop, method):
    order = _order(shop, "GOOD")
    ShippingMethod.objects.create(name="Pigeon", active=False)
    unknown = staff_client.post(
        reverse("orders_process"),
        {"order": [order.pk], f"tracking-{order.pk}": "T", "shipping_method": "Teleport"},
    )
    inactive = staff_client.post(
        reverse("orders_process"),
        {"order": [order.pk], f"tracking-{order.pk}": "T", "shipping_method": "Pigeon"},
    )
    assert (
        "unknown shipping method &#x27;Teleport&#x27;: choose one of Royal Mail 48"
        in unknown.content.decode()
    )
    assert "shipping method Pigeon is no longer offered" in inactive.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN


def test_process_without_selection_says_what_to_do(staff_client, method):
    response = staff_client.post(reverse("orders_process"), {"shipping_method": method.name}, follow=True)
    assert "No orders were selected. Tick the orders to process" in response.content.decode()


def test_process_post_without_csrf_token_is_refused(staff_user, shop, method):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    order = _order(shop, "GOOD")
    response = client.post(reverse("orders_process"), {"order": [order.pk], "shipping_method": method.name})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN


def test_hold_and_release(staff_client, shop):
    order = _order(shop, "A-1")
    staff_client.post(reverse("orders_hold"), {"order": [order.pk], "action": "hold"})
    order.refresh_from_db()
    assert order.on_hold is True
    staff_client.post(reverse("orders_hold"), {"order": [order.pk], "action": "release"})
    order.refresh_from_db()
    assert order.on_hold is False


def test_delete_asks_for_confirmation_then_deletes(staff_client, shop):
    order = _order(shop, "A-1")
    page = staff_client.get(reverse("order_delete", args=[order.pk]))
    assert "Delete order A-1?" in page.content.decode()
    assert Order.objects.filter(pk=order.pk).exists()
    response = staff_client.post(reverse("order_delete", args=[order.pk]), follow=True)
    assert "Order A-1 deleted; its stock was released." in response.content.decode()
    assert not Order.objects.filter(pk=order.pk).exists()


def test_cancel_with_reason(staff_client, shop):
    order = _order(shop, "A-1")
    assert "Cancel order A-1?" in staff_client.get(reverse("order_cancel", args=[order.pk])).content.decode()
    staff_client.post(reverse("order_cancel", args=[order.pk]), {"reason": "buyer asked"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.events.last().message == "Cancelled: buyer asked"


def test_detail_shows_lines_warnings_shipment_and_history(staff_client, shop, method):
    order = _order(shop, "A-1", sku="NOT-LINKED")
    html = staff_client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "NOT-LINKED" in html and "⚠ Unlinked" in html
    assert "Imported from Shop UK" in html
    assert "9.99 GBP" in html
    linked = _order(shop, "A-2")
    failed_shipment(linked, last_error="InvalidInput: carrier code unknown")
    html = staff_client.get(reverse("order_detail", args=[linked.pk])).content.decode()
    assert "InvalidInput: carrier code unknown" in html
    assert '<span class="badge error">Error</span>' in html


def test_failed_shipments_filter(staff_client, shop):
    order = _order(shop, "A-1")
    _order(shop, "A-2")
    failed_shipment(order)
    assert _ids(staff_client.get(reverse("orders"), {"status": "all", "shipment": "error"})) == ["A-1"]


def test_missing_order_is_404(staff_client, db):
    assert staff_client.get(reverse("order_detail", args=[999999])).status_code == 404


def test_shipping_methods_admin_only_and_added(admin_client, staff_client):
    assert staff_client.get(reverse("shipping_methods")).status_code == 403
    admin_client.post(reverse("shipping_methods"), {"name": "  DPD   Next Day "})
    assert list(ShippingMethod.objects.values_list("name", flat=True)) == ["DPD Next Day"]
    response = admin_client.post(reverse("shipping_methods"), {"name": "dpd next day"}, follow=True)
    assert (
        "Nothing changed: a shipping method named dpd next day already exists." in response.content.decode()
    )


def test_times_are_shown_in_the_zone_the_browser_reported(staff_client, shop):
    _order(shop, "TZ-1")  # purchased 2026-11-20 10:00 UTC
    utc = '<time datetime="2026-11-20T10:00:00Z" title="2026-11-20 10:00:00 UTC">'
    assert utc + "20 Nov 2026 10:00</time>" in staff_client.get(reverse("orders")).content.decode()
    staff_client.cookies["tz"] = "America/New_York"
    html = staff_client.get(reverse("orders")).content.decode()
    assert utc + "20 Nov 2026 05:00</time>" in html
    assert "20 Nov 2026 10:00" not in html
