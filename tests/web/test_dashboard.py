"""Dashboard counts and charts."""

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from stockroom.channels.models import ListingStatus
from stockroom.orders.models import Order
from stockroom.orders.services import import_channel_order
from stockroom.web.views import dashboard as dashboard_view
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
    assert tiles["to_dispatch"] == (3, "/orders/?status=open&hold=no")
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


def test_confirmation_chart_shows_an_empty_state_without_data(staff_client, db, monkeypatch):
    monkeypatch.setattr(dashboard_view, "confirmation_chart", lambda: {"labels": [], "datasets": []})
    html = staff_client.get(reverse("dashboard")).content.decode()
    assert "No measurements yet." in html
    assert 'id="confirmation-chart"' not in html


def test_confirmation_chart_reads_the_sync_selector_when_present(monkeypatch):
    import types

    from stockroom import sync

    fake = types.SimpleNamespace(
        sale_to_confirmation_by_day=lambda days: [
            {"day": datetime(2026, 11, 20).date(), "median_seconds": 90.0, "max_seconds": 600.0}
        ]
    )
    monkeypatch.setattr(sync, "selectors", fake, raising=False)
    monkeypatch.setitem(__import__("sys").modules, "stockroom.sync.selectors", fake)
    chart = dashboard_view.confirmation_chart()
    assert chart["labels"] == ["2026-11-20"]
    assert chart["datasets"][0]["data"] == [1.5]
    assert chart["datasets"][1]["data"] == [10.0]
