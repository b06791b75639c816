"""A listing's remaining updates of the day, as its channel reports them (eBay: 250 revisions a day): kept
on the listing by the stock push, shown on the listings screen and by ``stockroom listings show``; nothing
shown for a channel that reports no such limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from stockroom.channels.models import Listing
from stockroom.inventory.services import adjust_stock
from stockroom.sync import accounts, engine

pytestmark = pytest.mark.django_db


@pytest.fixture
def ebay(ebay_simulator, ebay_sim):
    seller = ebay_sim.create_seller("left_seller")
    return accounts.add_account(
        channel="ebay",
        name="eBay left",
        external_account_id=seller["user_id"],
        marketplaces="EBAY_GB",
        credentials={k: seller[k] for k in ("client_id", "client_secret", "ru_name", "refresh_token")},
        endpoint=ebay_simulator.base_url,
        options={"download_orders_since": (datetime.now(UTC) - timedelta(hours=1)).isoformat()},
    ).account


def test_the_revisions_left_reach_the_listing_its_screen_and_the_cli(
    ebay, ebay_sim, make_item, link, administrator_client
):
    item = make_item("MUG-1", on_hand=10)
    offer = ebay_sim.create_listing("left_seller", "EBAY-MUG", quantity=0)
    link(ebay, "EBAY-MUG", item, offer_ref=offer["offer_id"], inventory_item_ref="EBAY-MUG")
    engine.sync_account(ebay, trigger="cli")
    adjust_stock(item=item, set_to=7, reason="count")
    engine.sync_account(ebay, trigger="cli")
    listing = Listing.objects.get(account=ebay)
    assert (listing.last_confirmed_quantity, listing.writes_left, listing.writes_left_now) == (7, 248, 248)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    assert listing.writes_reset_at == datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC)
    assert ebay_sim.listing("left_seller", "EBAY-MUG")["quantity"] == 7

    page = administrator_client.get(reverse("listings", args=[ebay.pk])).content.decode()
    assert ">248 updates left today</span>" in page

    out = StringIO()
    call_command("listings", "show", "eBay left", "--json", stdout=out)
    (row,) = json.loads(out.getvalue())
    assert row["updates_left_today"] == 248
    out = StringIO()
    call_command("listings", "show", "eBay left", stdout=out)
    assert out.getvalue().splitlines()[0].endswith("Confirmed       7 (248 updates left today)")


def test_a_count_of_an_ended_day_and_a_channel_without_a_limit_show_nothing(
    make_account, make_item, link, administrator_client
):
    account = make_account("No limit")
    item = make_item("CUP-1")
    link(account, "CUP", item)
    link(account, "OLD", item, writes_left=3, writes_reset_at=datetime.now(UTC) - timedelta(minutes=1))
    assert [listing.writes_left_now for listing in Listing.objects.order_by("channel_sku")] == [None, None]
    page = administrator_client.get(reverse("listings", args=[account.pk])).content.decode()
    assert "data-writes-left" not in page


def test_a_spent_daily_call_quota_holds_the_change_in_the_listings_log_without_a_call(
    ebay, ebay_sim, make_item, link
):
    ebay.options = {**ebay.options, "daily_call_quota": 1, "call_reserve": 0}
    ebay.save(update_fields=["options"])
    item = make_item("MUG-1", on_hand=10)
    offer = ebay_sim.create_listing("left_seller", "EBAY-MUG", quantity=0)
    link(ebay, "EBAY-MUG", item, offer_ref=offer["offer_id"], inventory_item_ref="EBAY-MUG")
    assert engine.sync_account(ebay, trigger="cli").status == "ok"
    adjust_stock(item=item, set_to=4, reason="count")
    run = engine.sync_account(ebay, trigger="cli")
    assert run.status == "partial"
    listing = Listing.objects.get(account=ebay)
    (latest, first) = listing.log.all()[:2]
    assert (first.quantity, first.outcome) == (10, "confirmed")
    assert (latest.quantity, latest.outcome) == (4, "error")
    assert latest.message == (
        "held back: eBay's daily Inventory API call limit (1) is spent; sent when calls are left (after midnight UTC)"
    )
    assert (listing.last_confirmed_quantity, listing.writes_left_now) == (10, 249)
    assert ebay_sim.stats()["left_seller"]["bulkUpdatePriceQuantity"]["calls"] == 1
    assert ebay_sim.listing("left_seller", "EBAY-MUG")["quantity"] == 10
