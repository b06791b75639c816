"""Listed products: link, unlink, link all by identical SKU, import from the channel."""

import pytest

from stockroom.channels import selectors, services
from stockroom.channels.contracts import ChannelListing
from stockroom.channels.models import Listing, ListingStatus
from stockroom.core.errors import InvalidInput
from stockroom.orders.models import Order
from stockroom.orders.services import import_channel_order
from stockroom.sync import accounts
from stockroom.sync.accounts import ChannelRequestFailed


def test_linking_a_channel_sku_allocates_open_orders_waiting_for_it(
    make_account, make_item, make_channel_order
):
    account = make_account()
    item = make_item("MUG-RED", on_hand=5)
    order_id = import_channel_order(
        account=account, data=make_channel_order(lines=(("AMZ-MUG", 2),))
    ).order_id
    assert Order.objects.get(pk=order_id).has_unlinked_lines is True

    outcome = services.link_listing(account=account, channel_sku="AMZ-MUG", stock_item=item)

    assert (outcome.created, outcome.previous_sku, outcome.orders_relinked) == (True, None, 1)
    order = Order.objects.get(pk=order_id)
    assert order.has_unlinked_lines is False
    assert order.allocation_state == "full"
    assert order.lines.get().allocated_quantity == 2


def test_link_creates_a_missing_listing_and_change_reports_the_previous_item(make_account, make_item):
    account = make_account()
    first, second = make_item("A-1"), make_item("B-2")
    created = services.link_listing(account=account, channel_sku="CH-1", stock_item=first)
    changed = services.link_listing(account=account, channel_sku="CH-1", stock_item=second)
    unlinked = services.link_listing(account=account, channel_sku="CH-1", stock_item=None)

    assert (created.created, created.previous_sku) == (True, None)
    assert (changed.created, changed.previous_sku) == (False, "A-1")
    assert unlinked.previous_sku == "B-2"
    assert Listing.objects.get(account=account, channel_sku="CH-1").stock_item is None


def test_link_refuses_an_empty_channel_sku(make_account, make_item):
    with pytest.raises(InvalidInput, match="channel SKU is required"):
        services.link_listing(account=make_account(), channel_sku="  ", stock_item=make_item())


def test_link_all_preview_lists_matches_and_unmatched_and_apply_links_exactly_those(
    make_account, make_item, link
):
    account = make_account()
    other = make_account()
    mug, cup = make_item("MUG-1"), make_item("Cup-2")
    link(account, "mug-1", None)  # identical SKU ignoring case
    link(account, "CUP-2", None)
    link(account, "NOPE-9", None)
    link(account, "ALREADY", mug)  # linked: not touched
    link(other, "MUG-1", None)  # another account: not touched

    preview = selectors.identical_sku_matches(account)
    assert [(m.channel_sku, m.stock_item_sku) for m in preview.matches] == [
        ("CUP-2", "Cup-2"),
        ("mug-1", "MUG-1"),
    ]
    assert preview.unmatched == ("NOPE-9",)

    result = services.link_identical_skus(
        account=account, listing_ids=[m.listing_id for m in preview.matches]
    )

    assert result.linked == preview.matches
    assert result.skipped == ()
    assert dict(Listing.objects.filter(account=account).values_list("channel_sku", "stock_item__sku")) == {
        "mug-1": "MUG-1",
        "CUP-2": "Cup-2",
        "NOPE-9": None,
        "ALREADY": "MUG-1",
    }
    assert Listing.objects.get(account=other).stock_item is None
    assert cup.listings.count() == 1


def test_link_all_apply_skips_what_was_linked_by_hand_after_the_preview(make_account, make_item, link):
    account = make_account()
    item, other = make_item("MUG-1"), make_item("OTHER")
    listing = link(account, "MUG-1", None)
    preview = selectors.identical_sku_matches(account)
    services.link_listing(account=account, channel_sku="MUG-1", stock_item=other)

    result = services.link_identical_skus(
        account=account, listing_ids=[m.listing_id for m in preview.matches]
    )

    assert result.linked == ()
    assert result.skipped == ("MUG-1",)
    listing.refresh_from_db()
    assert listing.stock_item == other
    assert item.listings.count() == 0


def test_import_listings_creates_refreshes_and_suggests_links(fake_account, fake_channel, make_item, link):
    account = fake_account()
    make_item("MUG-1")
    kept = make_item("KEEP")
    link(account, "OLD", kept, title="Old title", external_ref="B000OLD")
    fake_channel.of(account).listings = [
        ChannelListing("MUG-1", external_ref="B0MUG", title="Red mug", marketplace="A1F83G8C2ARO7P"),
        ChannelListing("OLD", external_ref="B000OLD", title="New title", fulfilled_by_channel=True),
        ChannelListing("UNKNOWN", external_ref="B0UNK", title="<script>alert(1)</script>"),
        ChannelListing(" ", title="broken"),
    ]

    result = accounts.import_listings(account)

    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    assert [(m.channel_sku, m.stock_item_sku) for m in result.suggestions] == [("MUG-1", "MUG-1")]
    assert result.failed == ((" ", "channel SKU is required"),)
    rows = {
        row[0]: row[1:]
        for row in Listing.objects.filter(account=account).values_list(
            "channel_sku", "external_ref", "title", "fulfilled_by_channel", "stock_item__sku", "status"
        )
    }
    assert rows == {
        "MUG-1": ("B0MUG", "Red mug", False, None, ListingStatus.NOT_SENT),
        "OLD": ("B000OLD", "New title", True, "KEEP", ListingStatus.NOT_SENT),
        "UNKNOWN": ("B0UNK", "<script>alert(1)</script>", False, None, ListingStatus.NOT_SENT),
    }
    again = accounts.import_listings(account)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_import_listings_failure_is_a_clear_error_and_changes_nothing(fake_account, fake_channel):
    account = fake_account()
    fake_channel.of(account).listings_error = "Amazon did not answer in time (timeout); try again in a minute"
    with pytest.raises(ChannelRequestFailed) as error:
        accounts.import_listings(account)
    assert error.value.message == (
        "Fake Shop: the channel did not give its listings: Amazon did not answer in time (timeout); "
        "try again in a minute"
    )
    assert not Listing.objects.exists()


def test_ignore_sync_switch(make_account, link):
    listing = link(make_account(), "X", None)
    services.set_listing_ignore_sync(listing=listing, ignore=True)
    assert Listing.objects.get(pk=listing.pk).ignore_sync is True


def test_listing_search_by_channel_sku_item_sku_and_title(make_account, make_item, link):
    account = make_account()
    link(account, "AMZ-1", make_item("RED-MUG"), title="Mug")
    link(account, "AMZ-2", None, title="Blue cup")
    link(account, "AMZ-3", None, title="Plate")

    def found(search):
        return [listing.channel_sku for listing in selectors.listing_list(account=account, search=search)]

    assert found("red-") == ["AMZ-1"]
    assert found("cup") == ["AMZ-2"]
    assert found("amz-") == ["AMZ-1", "AMZ-2", "AMZ-3"]
    assert [x.channel_sku for x in selectors.listing_list(account=account, linked=False)] == [
        "AMZ-2",
        "AMZ-3",
    ]


def test_link_all_allocates_open_orders_waiting_for_the_linked_skus(
    make_account, make_item, link, make_channel_order
):
    account = make_account()
    make_item("MUG-1", on_hand=3)
    make_item("CUP-1", on_hand=3)
    link(account, "mug-1", None)
    link(account, "CUP-1", None)
    order_id = import_channel_order(account=account, data=make_channel_order(lines=(("mug-1", 2),))).order_id

    result = services.link_identical_skus(account=account)

    assert [m.channel_sku for m in result.linked] == ["CUP-1", "mug-1"]
    assert result.orders_relinked == 1
    order = Order.objects.get(pk=order_id)
    assert (order.has_unlinked_lines, order.allocation_state) == (False, "full")
    assert list(Listing.objects.filter(account=account).values_list("status", flat=True)) == [
        "not_sent",
        "not_sent",
    ]


def test_import_listings_when_another_import_created_some_meanwhile(make_account, monkeypatch):
    account = make_account()
    real_select_for_update = Listing.objects.select_for_update

    class RacingQuery:
        """Reads the existing listings, then another import inserts "B" before this one writes."""

        def filter(self, **lookups):
            self.lookups = lookups
            return self

        def order_by(self, *fields):
            rows = list(real_select_for_update().filter(**self.lookups).order_by(*fields))
            Listing.objects.create(account=account, channel_sku="B", title="from the other import")
            return rows

    monkeypatch.setattr(Listing.objects, "select_for_update", RacingQuery)
    result = services.import_channel_listings(
        account=account, listings=[ChannelListing("A", title="a"), ChannelListing("B", title="b")]
    )

    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)
    assert dict(Listing.objects.filter(account=account).values_list("channel_sku", "title")) == {
        "A": "a",
        "B": "from the other import",
    }


def _level(item):
    from stockroom.inventory.models import StockLevel

    level = StockLevel.objects.get(item=item)
    return level.on_hand, level.allocated


def test_relinking_moves_open_orders_to_the_new_item_and_offers_the_freed_stock_to_waiting_orders(
    make_account, make_item, make_channel_order
):
    from stockroom.orders.models import ShippingMethod
    from stockroom.orders.services import process_order

    account = make_account()
    wrong, right = make_item("MUG-BLUE", on_hand=3), make_item("MUG-RED", on_hand=5)
    services.link_listing(account=account, channel_sku="AMZ-MUG", stock_item=wrong)
    services.link_listing(account=account, channel_sku="AMZ-BLUE", stock_item=wrong)
    dispatched = import_channel_order(
        account=account, data=make_channel_order("202-0000001-0000001", lines=(("AMZ-MUG", 1),))
    ).order_id
    ShippingMethod.objects.create(name="Royal Mail")
    process_order(order_id=dispatched, tracking_number="T1", shipping_method="Royal Mail")
    mixed = import_channel_order(
        account=account,
        data=make_channel_order("202-0000002-0000002", lines=(("AMZ-MUG", 2), ("AMZ-BLUE", 1))),
    ).order_id
    waiting = import_channel_order(
        account=account, data=make_channel_order("202-0000003-0000003", lines=(("AMZ-BLUE", 1),))
    ).order_id
    assert _level(wrong) == (2, 2)  # one dispatched; the mixed order's AMZ-MUG line holds the other two
    assert Order.objects.get(pk=waiting).allocation_state == "none"

    outcome = services.link_listing(account=account, channel_sku="AMZ-MUG", stock_item=right)

    assert (outcome.previous_sku, outcome.orders_relinked) == ("MUG-BLUE", 1)
    lines = {ln.channel_sku: ln for ln in Order.objects.get(pk=mixed).lines.all()}
    assert (lines["AMZ-MUG"].stock_item_id, lines["AMZ-MUG"].allocated_quantity) == (right.pk, 2)
    assert (lines["AMZ-BLUE"].stock_item_id, lines["AMZ-BLUE"].allocated_quantity) == (wrong.pk, 1)
    assert Order.objects.get(pk=dispatched).lines.get().stock_item_id == wrong.pk  # history is kept
    assert _level(right) == (5, 2)
    assert _level(wrong) == (2, 2)  # one unit freed, then allocated to the waiting order
    assert Order.objects.get(pk=waiting).allocation_state == "full"
    assert list(
        Order.objects.get(pk=mixed).events.filter(kind="linked").values_list("message", flat=True)
    ) == ["Line AMZ-MUG linked to stock item MUG-RED"]

    unlinked = services.link_listing(account=account, channel_sku="AMZ-MUG", stock_item=None)

    assert unlinked.orders_relinked == 1
    order = Order.objects.get(pk=mixed)
    assert (order.has_unlinked_lines, order.allocation_state) == (True, "full")
    assert _level(right) == (5, 0)
