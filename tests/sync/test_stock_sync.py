"""Stock pushes: drained per account from the shared outbox, unchanged skipped, bursts coalesced."""

import pytest

from stockroom.channels.models import Listing, ListingStatusLog
from stockroom.inventory.models import PendingStockPush
from stockroom.inventory.services import adjust_stock, receive_stock
from stockroom.orders.models import Order
from stockroom.sync import engine, services
from stockroom.sync.models import ChannelWrite, ListingPushMarker, PendingSubmission, SyncIssue, SyncRun
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
    # one log row per quantity sent: written Pending before the send, then given the answer
    assert list(ListingStatusLog.objects.filter(listing=listing).values_list("quantity", "outcome")) == [
        (7, "confirmed"),
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


def test_a_listing_is_pending_before_its_quantity_is_sent_even_when_confirmed_at_once(
    fake_account, channel, make_item, link
):
    # given one linked listing never sent, and a channel that confirms each quantity in its answer
    account = fake_account()
    listing = link(account, "CH-ONE", make_item(on_hand=4))
    state = channel(account)
    seen_at_send = []
    state.on_push = lambda updates: seen_at_send.append(
        (
            Listing.objects.get(pk=listing.pk).status,
            list(ListingStatusLog.objects.filter(listing=listing).values_list("quantity", "outcome")),
            ChannelWrite.objects.get(kind="stock").status,
        )
    )

    # when the account is synchronised
    engine.sync_account(account, trigger="cli")

    # then while the request was on its way the listing was Pending, logged and journaled
    assert seen_at_send == [("pending", [(4, "pending")], "queued")]
    # and afterwards it is Confirmed: the same log row (one per quantity sent) holds the answer and
    # when it came, beside when the quantity was sent
    listing.refresh_from_db()
    assert (listing.status, listing.last_confirmed_quantity) == ("confirmed", 4)
    log = ListingStatusLog.objects.get(listing=listing)
    assert (log.outcome, log.quantity) == ("confirmed", 4)
    assert log.answered_at is not None and log.answered_at >= log.created_at


def test_changed_listings_are_sent_in_batches_of_the_connectors_maximum(
    fake_account, channel, make_item, link, monkeypatch
):
    from tests.fake_channel import FakeConnector

    monkeypatch.setattr(FakeConnector, "max_stock_batch", 3)
    account = fake_account()
    item = make_item(on_hand=5)
    for n in range(7):
        link(account, f"CH-B{n}", item)

    run = engine.sync_account(account, trigger="cli")

    assert [len(call) for call in channel(account).stock_calls] == [3, 3, 1]
    assert (run.status, run.stock_updates_sent, run.stock_updates_confirmed) == ("ok", 7, 7)


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


@pytest.mark.django_db(transaction=True)
def test_receipt_allocates_waiting_orders_before_quantities_are_computed_in_one_push(
    fake_account, channel, make_item, link
):
    account = fake_account()
    item = make_item("WAIT-1")
    link(account, "CH-W", item)
    channel(account).add_order(channel_order("W-1", lines=(("CH-W", 2),)))
    engine.sync_account(account, trigger="cli")
    assert Order.objects.get().allocation_state == "none"
    stock_runs = SyncRun.objects.filter(trigger="stock-change")
    before = stock_runs.count()

    receive_stock(item=item, quantity=5)  # no sync call: the order domain allocates, the hook pushes

    assert Order.objects.get().allocation_state == "full"
    assert channel(account).quantities == {"CH-W": 3}
    # the outbox already held the allocation when the channel fan-out read it: one push, of 3 only
    assert stock_runs.count() - before == 1
    assert [u.quantity for u in channel(account).updates][-1:] == [3]
    assert 5 not in [u.quantity for u in channel(account).updates]


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
    logged = ListingStatusLog.objects.get(listing=listing)  # the row written before the send
    assert (logged.outcome, logged.submission_ref) == ("pending", listing.pending_submission)

    engine.sync_account(account, trigger="cli")  # still processing
    assert PendingSubmission.objects.get().checks == 2  # looked at after the push, and now
    state.feeds_processed = True
    second = engine.sync_account(account, trigger="cli")

    listing.refresh_from_db()
    assert (listing.status, listing.last_confirmed_quantity) == ("confirmed", 3)
    assert second.stock_updates_confirmed == 1
    assert not PendingSubmission.objects.exists()
    assert ChannelWrite.objects.get(kind="stock").status == "confirmed"
    # the Pending row written at the send took the feed's answer: one row for one quantity sent
    answered = ListingStatusLog.objects.get(listing=listing)
    assert (answered.pk, answered.outcome, answered.quantity) == (logged.pk, "confirmed", 3)
    assert answered.answered_at is not None and answered.answered_at > answered.created_at
    assert len(state.stock_calls) == 1


def test_results_of_a_feed_recorded_with_a_ref_per_listing_still_settle_every_listing(
    fake_account, channel, make_item, link
):
    from stockroom.channels.contracts import StockUpdate

    # given a feed in flight from before batches had one key: each listing waits for its own ref
    account = fake_account()
    state = channel(account)
    item = make_item(on_hand=9)
    refs = {"CH-W": "OLD-1/1/CH-W", "CH-X": "OLD-1/2/CH-X"}
    for sku, ref in refs.items():
        link(account, sku, item, status="pending", last_sent_quantity=9, pending_submission=ref)
        state.feeds[ref] = [StockUpdate(sku, 9)]
    PendingSubmission.objects.create(
        account=account,
        submission_ref=refs["CH-W"],
        entries=[
            {"ref": ref, "message_id": n, "sku": sku, "quantity": 9}
            for n, (sku, ref) in enumerate(refs.items(), start=1)
        ],
    )

    # when its results are collected
    run = engine.sync_account(account, trigger="cli", steps=("results",))

    # then both listings are confirmed
    assert run.stock_updates_confirmed == 2
    assert sorted(Listing.objects.values_list("channel_sku", "status", "last_confirmed_quantity")) == [
        ("CH-W", "confirmed", 9),
        ("CH-X", "confirmed", 9),
    ]
    assert not PendingSubmission.objects.exists()


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
    # nothing reached the channel: the listing keeps what the channel shows, the log says why
    listing = Listing.objects.get(channel_sku="CH-T")
    assert (listing.status, listing.last_confirmed_quantity, listing.last_sent_quantity) == (
        "confirmed",
        2,
        2,
    )
    latest = ListingStatusLog.objects.filter(listing=listing).first()
    assert (latest.quantity, latest.outcome, latest.message) == (
        1,
        "error",
        "not sent: 502 Bad Gateway: <html>oops</html>",
    )
    engine.sync_account(account, trigger="cli")
    assert state.quantities == {"CH-T": 1}
    assert not ListingPushMarker.objects.exists()


def test_retryable_errors_make_the_run_partly_failed_with_one_line_per_reason(
    fake_account, channel, make_item, link
):
    account = fake_account()
    state = channel(account)
    item = make_item(on_hand=3)
    for sku in ("CH-R1", "CH-R2", "CH-R3", "CH-R4", "CH-OK"):
        link(account, sku, item)
    for sku in ("CH-R1", "CH-R2", "CH-R3", "CH-R4"):
        state.stock_errors[sku] = ("Amazon answered patchListingsItem with 503 (an error)", True)

    run = engine.sync_account(account, trigger="cli")

    assert run.status == "partial"
    assert run.errors == [
        "stock: 4 listings (CH-R1, CH-R2, CH-R3, ...): Amazon answered patchListingsItem with 503 (an error); "
        "the quantities are sent again in the next run"
    ]
    assert (run.stock_updates_confirmed, run.stock_update_errors) == (1, 4)
    assert ListingPushMarker.objects.filter(account=account).count() == 4

    state.stock_errors.clear()
    again = engine.sync_account(account, trigger="cli")

    assert (again.status, again.stock_updates_sent) == ("ok", 4)
    assert state.quantities == dict.fromkeys(("CH-R1", "CH-R2", "CH-R3", "CH-R4", "CH-OK"), 3)


def test_a_feed_that_failed_as_a_whole_is_sent_again_by_the_next_run(fake_account, channel, make_item, link):
    account = fake_account()
    state = channel(account)
    state.stock_mode = "feed"
    state.feed_error = "feed FEED-1 ended FATAL"
    listing = link(account, "CH-FATAL", make_item(on_hand=6))

    first = engine.sync_account(account, trigger="cli")  # sends the feed, then collects its failure

    listing.refresh_from_db()
    assert (listing.status, listing.last_error) == ("error", "feed FEED-1 ended FATAL")
    assert first.errors == [
        "stock: CH-FATAL: feed FEED-1 ended FATAL; the quantity is sent again in the next run"
    ]
    assert ChannelWrite.objects.get(kind="stock").status == "error"
    assert not PendingSubmission.objects.exists()

    state.feed_error = ""
    engine.sync_account(account, trigger="cli")

    assert len(state.stock_calls) == 2
    listing.refresh_from_db()
    assert (listing.status, listing.last_confirmed_quantity) == ("confirmed", 6)


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


def test_a_queued_push_hands_each_changed_account_to_its_own_task(
    fake_account, channel, make_item, link, monkeypatch
):
    # with a real queue (not in-process), the accounts are pushed side by side by the worker's threads
    from huey.contrib.djhuey import HUEY

    from stockroom.sync import tasks

    first, second, idle = fake_account("Shop A"), fake_account("Shop B"), fake_account("Shop C")
    item = make_item("SIDE-1", on_hand=4)
    link(first, "A-1", item)
    link(second, "B-1", item)
    link(idle, "C-1", make_item("OTHER", on_hand=1), status="confirmed", last_confirmed_quantity=1)
    engine.push_changed_stock()
    adjust_stock(item=item, delta=-1, reason="sold in the shop")
    handed: list[int] = []
    real_task = tasks.push_account_stock_task
    monkeypatch.setattr(HUEY, "immediate", False)
    monkeypatch.setattr(HUEY, "get", lambda *a, **k: None)  # the burst flag lives in the real queue
    monkeypatch.setattr(tasks, "push_account_stock_task", handed.append)

    assert tasks.push_stock_task.call_local() == 2

    assert sorted(handed) == sorted([first.pk, second.pk])
    runs = [real_task.call_local(pk) for pk in handed]  # what each worker thread then does
    assert all(runs)
    assert channel(first).quantities == {"A-1": 3} and channel(second).quantities == {"B-1": 3}
