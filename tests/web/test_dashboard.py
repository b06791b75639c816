"""Dashboard counts and charts."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from stockroom.channels.models import ListingStatus, ListingStatusLog
from stockroom.orders.models import Order
from stockroom.orders.services import import_channel_order
from tests.conftest import channel_order
from tests.web.conftest import failed_shipment


def _tiles(response) -> dict:
    return {t["key"]: (t["count"], t["url"]) for t in response.context["tiles"]}


def test_counts_link_to_filtered_lists(admin_client, make_account, make_item, link):
    account = make_account("Shop UK")
    item = make_item("MUG", on_hand=1)
    link(account, "AMZ-MUG", item)
    link(account, "AMZ-ERR", None, status=ListingStatus.ERROR)
    import_channel_order(account=account, data=channel_order("OK", lines=(("AMZ-MUG", 1),)))
    import_channel_order(account=account, data=channel_order("SHORT", lines=(("AMZ-MUG", 3),)))
    import_channel_order(account=account, data=channel_order("UNLINKED", lines=(("NOPE", 1),)))
    failed = Order.objects.get(external_order_id="OK")
    failed_shipment(failed)
    account.last_check_ok = False
    account.save()
    tiles = _tiles(admin_client.get(reverse("dashboard")))
    assert tiles["to_dispatch"] == (3, "/orders/?status=dispatchable&hold=no")
    assert tiles["unlinked"] == (1, "/orders/?unlinked=1")
    assert tiles["short"] == (1, "/orders/?allocation=short")
    assert tiles["failed_shipments"] == (1, "/orders/?status=all&shipment=error")
    assert tiles["listings_error"] == (1, f"/accounts/{account.pk}/listings/?status=error")
    assert tiles["accounts_failing"][0] == 1


def test_staff_see_no_links_to_account_screens(staff_client, make_account, link):
    link(make_account(), "X", None, status=ListingStatus.ERROR)
    tiles = _tiles(staff_client.get(reverse("dashboard")))
    assert "accounts_failing" not in tiles
    assert tiles["listings_error"] == (1, "")


def test_orders_chart_counts_per_day_and_source(staff_client, make_account, make_item, link):
    account = make_account("Shop UK")
    now = timezone.now()
    import_channel_order(account=account, data=channel_order("A", purchased_at=now))
    import_channel_order(account=account, data=channel_order("B", purchased_at=now))
    chart = staff_client.get(reverse("dashboard")).context["orders_chart"]
    assert len(chart["labels"]) == 30
    assert chart["labels"][-1] == timezone.localdate().isoformat()
    assert chart["datasets"] == [{"label": "Amazon", "data": [0] * 29 + [2]}]


def test_confirmation_chart_shows_an_empty_state_without_sales(staff_client, db):
    html = staff_client.get(reverse("dashboard")).content.decode()
    assert "No sales in the last 24 hours whose new quantity every channel has confirmed yet." in html
    assert 'id="confirmation-chart"' not in html


def _sale_confirmed_after(account, listings, order_id: str, *, seconds: float, imported_at) -> None:
    """An order imported at ``imported_at`` whose new quantity each listing confirmed ``seconds`` later
    (the quantity sent a second after the import, answered ``seconds`` after the import)."""
    import_channel_order(account=account, data=channel_order(order_id, lines=(("AMZ-MUG", 1),)))
    Order.objects.filter(external_order_id=order_id).update(created_at=imported_at)
    for listing in listings:
        log = ListingStatusLog.objects.create(listing=listing, quantity=1, outcome="confirmed")
        ListingStatusLog.objects.filter(pk=log.pk).update(
            created_at=imported_at + timedelta(seconds=1),
            answered_at=imported_at + timedelta(seconds=seconds),
        )


def test_time_from_sale_to_confirmation_is_shown_in_seconds_sale_by_sale(
    staff_client, make_account, make_item, link
):
    # given two accounts selling one item, and 20 sales in the last hours confirmed 1.5 .. 20.5 s later,
    # plus one sale two days ago (outside the 24 hours shown)
    first, second = make_account("Shop UK"), make_account("Shop US")
    item = make_item("MUG", on_hand=100)
    listings = [link(first, "AMZ-MUG", item), link(second, "AMZ-MUG", item)]
    now = timezone.now()
    _sale_confirmed_after(first, listings, "OLD", seconds=900, imported_at=now - timedelta(days=2))
    for n in range(20):
        _sale_confirmed_after(
            first, listings, f"S-{n}", seconds=n + 1.5, imported_at=now - timedelta(minutes=60 - n)
        )

    # when the dashboard is shown
    response = staff_client.get(reverse("dashboard"))

    # then each sale is one point in seconds, oldest first, with the median and p95 over them
    chart = response.context["confirmation_chart"]
    assert chart["datasets"] == [
        {"label": "Seconds from sale to confirmation", "data": [n + 1.5 for n in range(20)]}
    ]
    assert len(chart["labels"]) == 20
    assert chart["summary"] == {
        "count": 20,
        "median_seconds": 11.0,
        "p95_seconds": 19.5,
        "max_seconds": 20.5,
    }
    html = response.content.decode()
    assert (
        "Median <strong>11.0 s</strong> · 95th percentile <strong>19.5 s</strong> · slowest 20.5 s, "
        "over the last 20 sales (24 h)"
    ) in html


def test_the_dashboard_heads_its_cards_by_what_they_count_not_today(staff_client, db):
    html = staff_client.get(reverse("dashboard")).content.decode()
    assert "<h1>Dashboard</h1>" in html and "<h2>Needs attention now</h2>" in html
    assert ">Today<" not in html
