"""The connector contract: what every channel's connector does for Stockroom, the same test for each.

Each test runs once per harness (tests/contract/harness.py: the fake channel and every channel's
simulator) and drives Stockroom as a seller's day does: the sync engine's runs, the order and stock
services, the listings import. What the channel received is read from the channel's side (the
harness), never from the connector.
"""

from __future__ import annotations

import pytest

from stockroom.channels import services as channel_services
from stockroom.channels.models import Listing
from stockroom.inventory.services import adjust_stock
from stockroom.orders import services as order_services
from stockroom.orders.models import ChannelShipment, Order
from stockroom.sync import accounts, engine
from stockroom.sync.models import ChannelWrite, SyncCursor
from tests.contract.harness import SHIPPING_METHOD, Harness

pytestmark = [pytest.mark.contract, pytest.mark.django_db(transaction=True)]


def sync(account, **kwargs):
    return engine.sync_account(account, trigger="cli", **kwargs)


def book(account) -> dict[str, str]:
    """The order book of the account: channel order id -> status."""
    return dict(Order.objects.filter(account=account).values_list("external_order_id", "status"))


def cursor(account) -> str | None:
    return SyncCursor.objects.filter(account=account, stream="orders").values_list("value", flat=True).first()


def dispatched(harness: Harness, account, make_item, link, sku="CT-SHIP") -> Order:
    """An order placed by a buyer, downloaded and dispatched with a tracking number; its confirmation
    waits in the outbox."""
    item = make_item(f"ITEM-{sku}", on_hand=5)
    harness.create_listing(account, sku, 5)
    link(account, sku, item)
    order_id = harness.place_order(account, [(sku, 1)])
    run = sync(account, steps=("orders",))
    assert run.orders_new == 1, run.errors
    order = Order.objects.get(account=account, external_order_id=order_id)
    order_services.process_order(order_id=order.pk, tracking_number="TRK-1", shipping_method=SHIPPING_METHOD)
    return order


# --- orders ---------------------------------------------------------------------------------------------


def test_orders_of_several_pages_land_once_and_the_next_run_imports_nothing_again(harness, make_item, link):
    account = harness.account()
    harness.create_listing(account, "CT-A", 1000)
    link(account, "CT-A", make_item("ITEM-A"))
    count = 2 * harness.page_size + 1  # three pages
    placed = harness.place_orders(account, [[("CT-A", 1)]] * count)

    first = sync(account)
    again = sync(account)

    assert (first.status, first.orders_new) == ("ok", count), first.errors
    assert sorted(book(account)) == sorted(placed)
    assert cursor(account) is not None
    assert (again.status, again.orders_new, again.orders_updated) == ("ok", 0, 0), again.errors
    assert Order.objects.filter(account=account).count() == count


def test_the_cursor_is_stored_only_after_its_page_and_a_killed_run_resumes_without_loss(
    harness, make_item, link, monkeypatch
):
    account = harness.account()
    harness.create_listing(account, "CT-A", 1000)
    link(account, "CT-A", make_item("ITEM-A"))
    count = 2 * harness.page_size + 1
    placed = harness.place_orders(account, [[("CT-A", 1)]] * count)
    store_page = engine.import_new_orders
    pages_stored = []

    def killed_on_the_second_page(current, orders):
        if pages_stored:
            raise SystemExit("worker killed while storing page 2")
        pages_stored.append(len(orders))
        return store_page(current, orders)

    with monkeypatch.context() as patch:
        patch.setattr(engine.download_orders, "import_new_orders", killed_on_the_second_page)
        with pytest.raises(SystemExit):
            sync(account)

    assert pages_stored == [harness.page_size]
    assert len(book(account)) == harness.page_size  # page 1 stored, nothing of page 2
    after_page_one = cursor(account)
    assert after_page_one is not None  # saved after page 1, not after page 2

    resumed = sync(account)

    assert resumed.status == "ok", resumed.errors
    assert resumed.orders_new == count - harness.page_size
    assert sorted(book(account)) == sorted(placed)
    assert sync(account).orders_new == 0


def test_the_same_order_seen_twice_is_one_order(harness, make_item, link):
    account = harness.account()
    harness.create_listing(account, "CT-A", 100)
    item = make_item("ITEM-A", on_hand=10)
    link(account, "CT-A", item)
    order_id = harness.place_order(account, [("CT-A", 2)])
    assert sync(account).orders_new == 1
    SyncCursor.objects.filter(account=account).delete()  # the position is lost: everything is read again

    again = sync(account)

    assert (again.status, again.orders_new) == ("ok", 0), again.errors
    assert book(account) == {order_id: "open"}
    assert Order.objects.get(account=account).lines.get().allocated_quantity == 2


def test_an_order_of_several_lines_cancelled_by_the_buyer_is_updated_not_duplicated(harness, make_item, link):
    account = harness.account()
    items = {sku: make_item(f"ITEM-{sku}", on_hand=10) for sku in ("CT-A", "CT-B", "CT-C")}
    for sku, item in items.items():
        harness.create_listing(account, sku, 10)
        link(account, sku, item)
    order_id = harness.place_order(account, [("CT-A", 1), ("CT-B", 2), ("CT-C", 3)])
    sync(account)
    order = Order.objects.get(account=account, external_order_id=order_id)
    assert sorted(order.lines.values_list("channel_sku", "quantity", "allocated_quantity")) == [
        ("CT-A", 1, 1),
        ("CT-B", 2, 2),
        ("CT-C", 3, 3),
    ]

    harness.cancel_order(account, order_id)
    run = sync(account)

    assert run.status == "ok", run.errors
    assert book(account) == {order_id: "cancelled"}
    assert sum(order.lines.values_list("allocated_quantity", flat=True)) == 0


def test_an_order_line_with_a_sku_stockroom_does_not_know_is_kept_flagged_and_the_rest_allocated(
    harness, make_item, link
):
    account = harness.account()
    harness.create_listing(account, "CT-KNOWN", 10)
    harness.create_listing(account, "CT-STRANGER", 10)  # listed on the channel, linked to nothing here
    link(account, "CT-KNOWN", make_item("ITEM-KNOWN", on_hand=10))
    order_id = harness.place_order(account, [("CT-KNOWN", 1), ("CT-STRANGER", 1)])

    run = sync(account)

    assert (run.status, run.orders_new) == ("ok", 1), run.errors
    order = Order.objects.get(account=account, external_order_id=order_id)
    assert order.has_unlinked_lines is True
    lines = {line.channel_sku: line for line in order.lines.all()}
    assert (lines["CT-STRANGER"].stock_item, lines["CT-STRANGER"].allocated_quantity) == (None, 0)
    assert (lines["CT-KNOWN"].stock_item.sku, lines["CT-KNOWN"].allocated_quantity) == ("ITEM-KNOWN", 1)


@pytest.mark.parametrize("fault", ["5xx", "429"])
def test_an_order_download_that_fails_keeps_nothing_half_and_the_next_run_gets_every_order(
    harness, fault, make_item, link
):
    account = harness.account()
    harness.create_listing(account, "CT-A", 100)
    link(account, "CT-A", make_item("ITEM-A"))
    placed = harness.place_orders(account, [[("CT-A", 1)]] * 2)
    harness.fail_next(account, "orders", fault)

    failed = sync(account, steps=("orders",))
    harness.later()  # the channel's wait after a 429 is over
    recovered = sync(account, steps=("orders",))

    assert failed.status != "ok" and failed.errors and failed.orders_new == 0
    assert (recovered.status, recovered.orders_new) == ("ok", 2), recovered.errors
    assert sorted(book(account)) == sorted(placed)


# --- credentials ----------------------------------------------------------------------------------------


def test_refused_credentials_say_so_import_nothing_and_lose_nothing(harness, make_item, link):
    account = harness.account(credentials_ok=False)
    harness.create_listing(account, "CT-A", 10)
    link(account, "CT-A", make_item("ITEM-A", on_hand=10))
    placed = harness.place_order(account, [("CT-A", 1)])

    checked = accounts.check_account(account)
    run = sync(account)

    assert checked.ok is False and harness.auth_failed_message in checked.message
    assert run.status == "failed"
    assert any(harness.auth_failed_message in error for error in run.errors), run.errors
    assert book(account) == {} and cursor(account) is None
    assert harness.stock_writes(account) == 0
    for secret in account.credentials.values():
        assert secret not in checked.message and all(secret not in error for error in run.errors)

    harness.fix_credentials(account)
    fixed = sync(account)

    assert (fixed.status, fixed.orders_new) == ("ok", 1), fixed.errors
    assert book(account) == {placed: "open"}
    assert accounts.check_account(account).ok is True


# --- shipping confirmations -----------------------------------------------------------------------------


def test_a_confirmation_is_received_once_and_never_again(harness, make_item, link):
    account = harness.account()
    order = dispatched(harness, account, make_item, link)

    run = sync(account)
    sync(account)

    assert run.confirmations_sent == 1, run.errors
    assert harness.confirmations_received(account) == [order.external_order_id]
    assert ChannelShipment.objects.get(order=order).status == "sent"


@pytest.mark.parametrize("fault", ["5xx", "429"])
def test_a_confirmation_that_fails_is_received_exactly_once_later(harness, fault, make_item, link, settings):
    account = harness.account()
    order = dispatched(harness, account, make_item, link)
    harness.fail_next(account, "shipments", fault)

    failed = sync(account)

    assert failed.status != "ok" and failed.errors
    assert harness.confirmations_received(account) == []
    assert ChannelShipment.objects.get(order=order).status == "pending"

    settings.STOCKROOM_SYNC_IN_DOUBT_GRACE_SECONDS = 0  # a 5xx leaves it in doubt until the grace is over
    harness.later()
    sync(account)
    sync(account)

    assert harness.confirmations_received(account) == [order.external_order_id]
    assert ChannelShipment.objects.get(order=order).status == "sent"


def test_a_worker_killed_after_the_confirmation_left_never_sends_it_twice(
    harness, make_item, link, monkeypatch, settings
):
    account = harness.account()
    order = dispatched(harness, account, make_item, link)

    def killed(*args, **kwargs):
        raise SystemExit("worker killed after the request left")

    with monkeypatch.context() as patch:
        patch.setattr(engine.send_shipments, "record_shipment_outcome", killed)
        with pytest.raises(SystemExit):
            sync(account)
    write = ChannelWrite.objects.get(kind="shipment", account=account)
    assert (write.status, write.attempts) == ("queued", 1)  # in doubt: sent, outcome never recorded
    assert harness.confirmations_received(account) == [order.external_order_id]

    settings.STOCKROOM_SYNC_IN_DOUBT_GRACE_SECONDS = 0
    harness.later()
    sync(account)
    sync(account)

    write.refresh_from_db()
    assert (write.status, write.attempts) == ("confirmed", 1)
    assert ChannelShipment.objects.get(order=order).status == "sent"
    assert harness.confirmations_received(account) == [order.external_order_id]


# --- stock ----------------------------------------------------------------------------------------------


def test_stock_is_pushed_once_per_change_and_a_push_without_change_sends_nothing(harness, make_item, link):
    account = harness.account()
    harness.create_listing(account, "CT-A", 0)
    item = make_item("ITEM-A", on_hand=7)
    link(account, "CT-A", item)

    first = sync(account)
    harness.later()
    assert first.status == "ok", first.errors
    assert harness.shown_quantity(account, "CT-A") == 7
    writes = harness.stock_writes(account)
    assert writes == 1

    assert sync(account).stock_updates_sent == 0
    assert harness.stock_writes(account) == writes  # nothing changed: nothing sent

    adjust_stock(item=item, delta=-3, reason="damaged")
    changed = sync(account)
    harness.later()

    assert (changed.status, changed.stock_updates_sent) == ("ok", 1), changed.errors
    assert harness.shown_quantity(account, "CT-A") == 4
    assert harness.stock_writes(account) == writes + 1


@pytest.mark.parametrize("fault", ["5xx", "429"])
def test_a_stock_push_that_fails_is_sent_again_by_the_next_run(harness, fault, make_item, link):
    account = harness.account()
    harness.create_listing(account, "CT-A", 0)
    link(account, "CT-A", make_item("ITEM-A", on_hand=6))
    harness.fail_next(account, "stock", fault)

    failed = sync(account)
    harness.later()
    assert failed.status != "ok" and failed.errors
    assert harness.shown_quantity(account, "CT-A") == 0

    again = sync(account)
    harness.later()

    assert again.status == "ok", again.errors
    assert harness.shown_quantity(account, "CT-A") == 6


# --- listings -------------------------------------------------------------------------------------------


def test_listing_import_brings_every_sku_and_the_push_makes_the_channel_show_stock(harness, make_item):
    account = harness.account()
    listed = {"CT-L1": 3, "CT-L2": 0, "CT-L3": 12}
    for sku, quantity in listed.items():
        harness.create_listing(account, sku, quantity)
    item = make_item("CT-L1", on_hand=9)  # same SKU as a listing: suggested as a link

    result = accounts.import_listings(account)

    assert (result.created, result.updated, result.failed) == (3, 0, ())
    assert [(m.channel_sku, m.stock_item_sku) for m in result.suggestions] == [("CT-L1", "CT-L1")]
    assert sorted(Listing.objects.filter(account=account).values_list("channel_sku", flat=True)) == sorted(
        listed
    )
    assert {sku: harness.shown_quantity(account, sku) for sku in listed} == listed

    channel_services.link_listing(account=account, channel_sku="CT-L1", stock_item=item)
    run = sync(account)
    harness.later()

    assert run.status == "ok", run.errors
    assert {sku: harness.shown_quantity(account, sku) for sku in listed} == {**listed, "CT-L1": 9}
