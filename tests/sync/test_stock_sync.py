"""Stock pushes: drained per account from the shared outbox, unchanged skipped, bursts coalesced."""

import pytest

from stockroom.channels.models import Listing, ListingStatusLog
from stockroom.inventory.models import PendingStockPush
from stockroom.inventory.services import adjust_stock, receive_stock
from stockroom.orders.models import Order
from stockroom.sync import engine, services
from stockroom.sync.models import ChannelWrite, ListingPushMarker, PendingSubmission, SyncIssue
from tests.conftest import channel_order


def test_changed_stock_is_pushed_once_and_unchanged_is_skipped(fake_account, channel, make_item, link):
    account = fake_account()
    item = make_item("PUSH-1", on_hand=7)
    listing = link(account, "CH-P", item)

    run = engine.sync_account(account, trigger="cli")

    state = channel(account)
    assert state.quantities == {"CH-P": 7}
    assert (run.stock_updates_sent, run.stock_updates_confirmed) == (1, 1)
    listing.refresh_from_db()
    assert (listing.status, listing.last_sent_quantity, listing.last_confirmed_quantity) == (
        "confirmed",
        7,
        7,
    )
    assert list(ListingStatusLog.objects.filter(listing=listing).values_list("quantity", "outcome")) == [
        (7, "confirmed")
    ]
    assert ChannelWrite.objects.get(kind="stock").status == "confirmed"
    assert not PendingStockPush.objects.exists() and not ListingPushMarker.objects.exists()

    adjust_stock(item=item, set_to=7, reason="recount, nothing changed")
    receive_stock(item=item, quantity=0 + 3)
    adjust_stock(item=item, delta=-3, reason="back again")
    again = engine.sync_account(account, trigger="cli")

    assert again.stock_updates_sent == 0
    assert len(state.stock_calls) == 1

    adjust_stock(item=item, delta=-2, reason="breakage")
    engine.sync_account(account, trigger="cli")
    assert state.quantities == {"CH-P": 5}
    assert len(state.stock_calls) == 2


def test_ignored_fulfilled_by_channel_and_unlinked_listings_are_not_pushed(
    fake_account, channel, make_item, link
):
    account = fake_account()
    item = make_item(on_hand=4)
    link(account, "CH-IGN", item, ignore_sync=True)
    link(account, "CH-FBA", item, fulfilled_by_channel=True)
    link(account, "CH-NONE", None)
    link(account, "CH-OK", item)

    engine.sync_account(account, trigger="cli")

    assert channel(account).quantities == {"CH-OK": 4}


def test_account_with_inventory_update_off_gets_no_stock(fake_account, channel, make_item, link):
    off = fake_account(inventory_update=False)
    on = fake_account()
    item = make_item(on_hand=4)
    link(off, "CH-X", item)
    link(on, "CH-X", item)

    engine.sync_all(trigger="cli")

    assert channel(off).stock_calls == []
    assert channel(on).quantities == {"CH-X": 4}
    assert not ListingPushMarker.objects.exists()


def test_the_shared_outbox_reaches_every_account_that_lists_the_item(fake_account, channel, make_item, link):
    first, second = fake_account("First"), fake_account("Second")
    item = make_item(on_hand=9)
    link(first, "A-SKU", item)
    link(second, "B-SKU", item)
    engine.sync_all(trigger="cli")

    adjust_stock(item=item, set_to=6, reason="count")
    engine.sync_account(first, trigger="cli")

    assert channel(first).quantities == {"A-SKU": 6}
    assert channel(second).quantities == {"B-SKU": 9}
    assert ListingPushMarker.objects.filter(account=second).count() == 1
    engine.sync_account(second, trigger="cli")
    assert channel(second).quantities == {"B-SKU": 6}


def test_receipt_allocates_waiting_orders_before_quantities_are_computed(
    fake_account, channel, make_item, link
):
    account = fake_account()
    item = make_item("WAIT-1")
    link(account, "CH-W", item)
    channel(account).add_order(channel_order("W-1", lines=(("CH-W", 2),)))
    engine.sync_account(account, trigger="cli")
    assert Order.objects.get().allocation_state == "none"

    receive_stock(item=item, quantity=5)
    engine.sync_account(account, trigger="cli")

    assert Order.objects.get().allocation_state == "full"
    assert channel(account).quantities == {"CH-W": 3}


def test_feed_results_are_collected_later(fake_account, channel, make_item, link):
    account = fake_account()
    state = channel(account)
    state.stock_mode = "feed"
    state.feeds_processed = False
    listing = link(account, "CH-F", make_item(on_hand=3))

    first = engine.sync_account(account, trigger="cli")

    listing.refresh_from_db()
    assert (first.stock_updates_sent, first.stock_updates_confirmed) == (1, 0)
    assert (listing.status, listing.pending_submission) == (
        "pending",
        "FEED-" + listing.pending_submission[5:],
    )
    submission = PendingSubmission.objects.get()
    assert submission.entries == [
        {"ref": submission.submission_ref, "message_id": 1, "sku": "CH-F", "quantity": 3}
    ]
    assert ChannelWrite.objects.get(kind="stock").status == "pending"

    engine.sync_account(account, trigger="cli")  # still processing
    assert PendingSubmission.objects.get().checks == 2  # looked at after the push, and now
    state.feeds_processed = True
    second = engine.sync_account(account, trigger="cli")

    listing.refresh_from_db()
    assert (listing.status, listing.last_confirmed_quantity) == ("confirmed", 3)
    assert second.stock_updates_confirmed == 1
    assert not PendingSubmission.objects.exists()
    assert ChannelWrite.objects.get(kind="stock").status == "confirmed"
    assert list(ListingStatusLog.objects.filter(listing=listing).values_list("outcome", flat=True)) == [
        "confirmed",
        "pending",
    ]
    assert len(state.stock_calls) == 1


def test_refused_quantity_marks_the_listing_error_and_retry_pushes_it(fake_account, channel, make_item, link):
    account = fake_account()
    state = channel(account)
    state.stock_errors["CH-E"] = ("SKU CH-E is not in the catalogue", False)
    listing = link(account, "CH-E", make_item(on_hand=2))

    run = engine.sync_account(account, trigger="cli")

    listing.refresh_from_db()
    assert (listing.status, listing.last_error) == ("error", "SKU CH-E is not in the catalogue")
    assert run.stock_update_errors == 1
    issue = SyncIssue.objects.get(kind="listing")
    assert (issue.external_ref, issue.retry_action) == ("CH-E", "repush_listing")

    del state.stock_errors["CH-E"]
    assert services.retry_issue(issue_id=issue.pk) == "listing CH-E: quantity sent (Confirmed)"
    assert state.quantities == {"CH-E": 2}
    issue.refresh_from_db()
    assert issue.status == "resolved"


def test_retryable_push_failure_keeps_the_marker_for_the_next_run(fake_account, channel, make_item, link):
    from stockroom.channels.contracts import Transient

    account = fake_account()
    state = channel(account)
    item = make_item(on_hand=2)
    link(account, "CH-T", item)
    engine.sync_account(account, trigger="cli")
    adjust_stock(item=item, set_to=1, reason="count")
    state.raise_once["push_stock"] = Transient("502 Bad Gateway: <html>oops</html>")

    run = engine.sync_account(account, trigger="cli")

    assert run.errors == ["stock: 502 Bad Gateway: <html>oops</html>"]
    assert ListingPushMarker.objects.filter(account=account).count() == 1
    engine.sync_account(account, trigger="cli")
    assert state.quantities == {"CH-T": 1}
    assert not ListingPushMarker.objects.exists()


# --- with the hooks: stock reaches channels without any manual step --------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_order_on_one_account_lowers_the_quantity_of_the_other_and_an_adjustment_reaches_both(
    fake_account, channel, make_item, link
):
    first, second = fake_account("A"), fake_account("B")
    item = make_item("MULTI-1", on_hand=10)
    link(first, "A-1", item)
    link(second, "B-1", item)
    engine.sync_all(trigger="cli")
    assert (channel(first).quantities, channel(second).quantities) == ({"A-1": 10}, {"B-1": 10})

    channel(first).add_order(channel_order("MA-1", lines=(("A-1", 3),)))
    engine.sync_account(first, trigger="schedule")

    assert channel(second).quantities == {"B-1": 7}
    assert channel(first).quantities == {"A-1": 7}

    adjust_stock(item=item, delta=-2, reason="damaged")  # no sync call: the hook pushes

    assert channel(first).quantities == {"A-1": 5}
    assert channel(second).quantities == {"B-1": 5}


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_50_orders_makes_far_fewer_than_50_quantity_updates(
    fake_account, channel, make_item, link
):
    first, second = fake_account("A"), fake_account("B")
    item = make_item("BURST-1", on_hand=100)
    link(first, "A-B", item)
    link(second, "B-B", item)
    engine.sync_all(trigger="cli")
    for n in range(50):
        channel(first).add_order(channel_order(f"BURST-{n:03d}", lines=(("A-B", 1),)))

    engine.sync_account(first, trigger="schedule")

    assert Order.objects.count() == 50
    assert channel(first).quantities == {"A-B": 50}
    assert channel(second).quantities == {"B-B": 50}
    updates_a = [u for u in channel(first).updates if u.quantity != 100]
    updates_b = [u for u in channel(second).updates if u.quantity != 100]
    assert (len(updates_a), len(updates_b)) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_stock_changes_without_accounts_do_no_channel_work(make_item):
    item = make_item("QUIET-1", on_hand=5)
    adjust_stock(item=item, delta=1, reason="found one")

    assert not PendingStockPush.objects.exists()  # drained by the immediate push, nothing to send
    assert not ListingPushMarker.objects.exists()
    assert Listing.objects.count() == 0
