from datetime import UTC, datetime

import pytest

from stockroom.channels.contracts import ChannelOrderStatus
from stockroom.core.errors import InvalidInput, TransitionNotAllowed
from stockroom.inventory.models import StockLevel, StockMovement
from stockroom.inventory.selectors import available_to_sell, ledger_mismatches
from stockroom.inventory.services import adjust_stock, receive_stock
from stockroom.orders import services
from stockroom.orders.models import ChannelShipment, Order, OrderEvent, ShipmentStatus, ShippingMethod
from stockroom.orders.pipeline import AllocationState, OrderStatus
from tests.factories import create_user

pytestmark = pytest.mark.django_db


def level(item):
    row = StockLevel.objects.get(item=item)
    return row.on_hand, row.allocated


def test_import_creates_the_order_once_and_allocates(make_item, make_account, link, make_channel_order):
    item = make_item("MUG", on_hand=5)
    account = make_account()
    link(account, "AMZ-MUG", item)
    data = make_channel_order("202-0000001-0000001", lines=[("AMZ-MUG", 2)])

    first = services.import_channel_order(account=account, data=data)
    again = services.import_channel_order(account=account, data=data)

    assert first.created is True and again.created is False and again.changed is False
    assert Order.objects.count() == 1
    order = Order.objects.get()
    assert (order.status, order.allocation_state, order.has_unlinked_lines) == ("open", "full", False)
    assert level(item) == (5, 2)
    assert available_to_sell(item.pk) == 3


def test_import_never_fails_for_lack_of_stock(make_item, make_account, link, make_channel_order):
    item = make_item("MUG", on_hand=1)
    account = make_account()
    link(account, "AMZ-MUG", item)

    services.import_channel_order(account=account, data=make_channel_order(lines=[("AMZ-MUG", 3)]))

    order = Order.objects.get()
    assert order.allocation_state == AllocationState.PARTIAL
    assert order.lines.get().allocated_quantity == 1
    assert level(item) == (1, 1)


def test_unlinked_lines_are_kept_and_flagged_then_allocated_when_linked(
    make_item, make_account, link, make_channel_order
):
    item = make_item("MUG", on_hand=5)
    account = make_account()
    services.import_channel_order(account=account, data=make_channel_order(lines=[("UNKNOWN-SKU", 2)]))
    order = Order.objects.get()
    assert order.has_unlinked_lines is True and order.lines.get().stock_item is None

    link(account, "UNKNOWN-SKU", item)
    assert services.relink_order_lines(account=account, channel_sku="UNKNOWN-SKU", stock_item_id=item.pk) == 1

    order.refresh_from_db()
    assert (order.has_unlinked_lines, order.allocation_state) == (False, "full")
    assert level(item) == (5, 2)


def test_pending_reserves_stock_but_cannot_be_processed(make_item, make_account, link, make_channel_order):
    item = make_item("MUG", on_hand=5)
    account = make_account()
    link(account, "AMZ-MUG", item)
    data = make_channel_order(
        "202-0000009-0000001", lines=[("AMZ-MUG", 1)], status=ChannelOrderStatus.PENDING
    )
    order_id = services.import_channel_order(account=account, data=data).order_id

    assert level(item) == (5, 1)
    with pytest.raises(TransitionNotAllowed, match="only open orders can be processed"):
        services.process_order(order_id=order_id, tracking_number="T1", shipping_method="Royal Mail")

    from dataclasses import replace

    services.import_channel_order(account=account, data=replace(data, status=ChannelOrderStatus.UNSHIPPED))
    assert Order.objects.get().status == OrderStatus.OPEN


def test_process_consumes_stock_writes_ledger_and_one_shipment_outbox_row(
    make_item, make_account, link, make_channel_order
):
    ShippingMethod.objects.bulk_create([ShippingMethod(name="Royal Mail 24")])
    user = create_user("packer", role=None)
    item = make_item("MUG", on_hand=5)
    account = make_account()
    link(account, "AMZ-MUG", item)
    order_id = services.import_channel_order(
        account=account, data=make_channel_order(lines=[("AMZ-MUG", 2)])
    ).order_id

    services.process_order(
        order_id=order_id, tracking_number=" TRK1 ", shipping_method="Royal Mail 24", user=user
    )

    order = Order.objects.get()
    assert (order.status, order.tracking_number, order.shipping_method) == (
        "processed",
        "TRK1",
        "Royal Mail 24",
    )
    assert level(item) == (3, 0)
    movement = StockMovement.objects.filter(reason="dispatch").get()
    assert (movement.quantity, movement.user, movement.reference) == (
        -2,
        user,
        f"order {order.external_order_id}",
    )
    shipment = ChannelShipment.objects.get()
    assert (shipment.status, shipment.tracking_number, shipment.package_reference) == (
        "pending",
        "TRK1",
        str(order.pk),
    )
    assert [(row.order_line.external_line_id, row.quantity) for row in shipment.lines.all()] == [
        (order.lines.get().external_line_id, 2)
    ]
    assert ledger_mismatches() == []
    with pytest.raises(TransitionNotAllowed, match="is processed; only open orders can be processed"):
        services.process_order(order_id=order_id, tracking_number="TRK2", shipping_method="Royal Mail 24")
    assert ChannelShipment.objects.count() == 1


def test_process_refuses_a_short_order_and_changes_nothing(make_item, make_account, link, make_channel_order):
    ShippingMethod.objects.bulk_create([ShippingMethod(name="Courier")])
    item = make_item("MUG", on_hand=1)
    account = make_account()
    link(account, "AMZ-MUG", item)
    order_id = services.import_channel_order(
        account=account, data=make_channel_order(lines=[("AMZ-MUG", 2)])
    ).order_id

    with pytest.raises(TransitionNotAllowed, match=r"not enough stock \(AMZ-MUG short by 1\)"):
        services.process_order(order_id=order_id, tracking_number="T", shipping_method="Courier")
    assert Order.objects.get().status == "open" and level(item) == (1, 1)

    receive_stock(item=item, quantity=1)
    services.process_order(order_id=order_id, tracking_number="T", shipping_method="Courier")
    assert level(item) == (0, 0)


def test_held_account_records_dispatch_without_queueing_a_send(
    make_item, make_account, link, make_channel_order
):
    ShippingMethod.objects.bulk_create([ShippingMethod(name="Courier")])
    item = make_item("MUG", on_hand=2)
    account = make_account(hold_shipping_data=True)
    link(account, "AMZ-MUG", item)
    order_id = services.import_channel_order(
        account=account, data=make_channel_order(lines=[("AMZ-MUG", 1)])
    ).order_id

    services.process_order(order_id=order_id, tracking_number="T", shipping_method="Courier")

    assert ChannelShipment.objects.get().status == ShipmentStatus.HELD


def test_shipped_on_the_channel_is_imported_as_dispatched_without_a_confirmation(
    make_item, make_account, link, make_channel_order
):
    item = make_item("MUG", on_hand=5)
    account = make_account()
    link(account, "AMZ-MUG", item)

    services.import_channel_order(
        account=account, data=make_channel_order(lines=[("AMZ-MUG", 2)], status=ChannelOrderStatus.SHIPPED)
    )

    order = Order.objects.get()
    assert order.status == "processed"
    assert level(item) == (3, 0)
    assert ChannelShipment.objects.get().status == ShipmentStatus.NOT_NEEDED


def test_cancellation_after_import_releases_stock(make_item, make_account, link, make_channel_order):
    from dataclasses import replace

    item = make_item("MUG", on_hand=5)
    account = make_account()
    link(account, "AMZ-MUG", item)
    data = make_channel_order(lines=[("AMZ-MUG", 2)])
    services.import_channel_order(account=account, data=data)

    result = services.import_channel_order(
        account=account, data=replace(data, status=ChannelOrderStatus.CANCELLED)
    )

    assert result.changed is True
    assert Order.objects.get().status == "cancelled"
    assert level(item) == (5, 0)
    assert (
        OrderEvent.objects.filter(kind="status").last().message == "Cancelled on the channel: stock released"
    )


def test_channel_fulfilled_orders_never_touch_local_stock(make_item, make_account, link, make_channel_order):
    item = make_item("MUG", on_hand=5)
    account = make_account()
    link(account, "AMZ-MUG", item)

    services.import_channel_order(
        account=account,
        data=make_channel_order(
            lines=[("AMZ-MUG", 2)], fulfilled_by_channel=True, status=ChannelOrderStatus.SHIPPED
        ),
    )

    assert level(item) == (5, 0)
    assert Order.objects.get().allocation_state == AllocationState.NOT_NEEDED


def test_cancel_and_delete_release_and_pipeline_refuses_the_rest(make_item):
    item = make_item("MUG", on_hand=5)
    a = services.create_manual_order(lines=[(item, 2, "3.50")], buyer_name="Bo")
    b = services.create_manual_order(lines=[(item, 1, "3.50")], buyer_name="Cy")
    assert level(item) == (5, 3)
    assert str(a.total) == "7.00"

    services.cancel_order(order_id=a.pk, reason="buyer asked")
    assert level(item) == (5, 1)
    with pytest.raises(TransitionNotAllowed, match="is cancelled; only open orders can be processed"):
        services.process_order(order_id=a.pk, tracking_number="", shipping_method="Courier")

    assert services.delete_order(order_id=b.pk) == b.external_order_id
    assert level(item) == (5, 0)
    assert not Order.objects.filter(pk=b.pk).exists()


def test_adjusting_below_allocated_is_refused(make_item):
    item = make_item("MUG", on_hand=5)
    services.create_manual_order(lines=[(item, 4, "1")])
    with pytest.raises(Exception, match="4 units at Default are allocated to open orders"):
        adjust_stock(item=item, set_to=3, reason="count")
    assert level(item) == (5, 4)


def test_receiving_stock_lets_short_orders_allocate_oldest_first(make_item):
    item = make_item("MUG", on_hand=0)
    old = services.create_manual_order(lines=[(item, 2, "1")], purchased_at=datetime(2026, 1, 1, tzinfo=UTC))
    new = services.create_manual_order(lines=[(item, 2, "1")], purchased_at=datetime(2026, 1, 2, tzinfo=UTC))
    receive_stock(item=item, quantity=3)

    assert services.allocate_waiting_orders(item_ids=[item.pk]) == 2

    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.allocation_state, new.allocation_state) == ("full", "partial")


@pytest.mark.django_db(transaction=True)
def test_stock_arriving_allocates_waiting_orders_when_it_commits_without_any_sync(make_item):
    # the order domain's stock_changed subscriber: no channel account, sync run or worker involved
    item = make_item("MUG", on_hand=0)
    old = services.create_manual_order(lines=[(item, 2, "1")], purchased_at=datetime(2026, 1, 1, tzinfo=UTC))
    new = services.create_manual_order(lines=[(item, 2, "1")], purchased_at=datetime(2026, 1, 2, tzinfo=UTC))

    receive_stock(item=item, quantity=3)

    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.allocation_state, new.allocation_state) == ("full", "partial")
    assert level(item) == (3, 3)

    services.cancel_order(order_id=old.pk, reason="buyer asked")  # released units go to the next order

    new.refresh_from_db()
    assert new.allocation_state == "full"
    assert level(item) == (3, 2)


@pytest.mark.django_db(transaction=True)
def test_stock_is_offered_only_once_the_change_commits(make_item):
    from django.db import transaction

    item = make_item("MUG", on_hand=0)
    waiting = services.create_manual_order(lines=[(item, 1, "1")])
    with transaction.atomic():
        receive_stock(item=item, quantity=1)
        waiting.refresh_from_db()
        assert waiting.allocation_state == "none"  # not yet: the receipt is not committed
    waiting.refresh_from_db()
    assert waiting.allocation_state == "full"
    assert level(item) == (1, 1)


def test_hostile_buyer_strings_are_stored_intact(make_item, make_account, link, make_channel_order):
    account = make_account()
    hostile = '<script>alert(1)</script>"onmouseover=alert(2) مرحبا 山田太郎 ‮evil'
    services.import_channel_order(account=account, data=make_channel_order(buyer_name=hostile))
    assert Order.objects.get().buyer_name == hostile


def test_bad_channel_orders_are_refused_specifically(make_account, make_channel_order):
    account = make_account()
    with pytest.raises(InvalidInput, match="has no lines"):
        services.import_channel_order(account=account, data=make_channel_order("X-1", lines=[]))
    with pytest.raises(InvalidInput, match="line X-2-1 quantity cannot be negative"):
        services.import_channel_order(account=account, data=make_channel_order("X-2", lines=[("A", -1)]))
    assert not Order.objects.exists()


def test_process_batch_reports_each_order(make_item):
    ShippingMethod.objects.bulk_create([ShippingMethod(name="Courier")])
    item = make_item("MUG", on_hand=1)
    ok = services.create_manual_order(lines=[(item, 1, "1")])
    short = services.create_manual_order(lines=[(item, 1, "1")])

    outcomes = services.process_orders(items=[(ok.pk, "T1"), (short.pk, "T2")], shipping_method="Courier")

    assert [(o.order_id, o.ok) for o in outcomes] == [(ok.pk, True), (short.pk, False)]
    assert "short by 1" in outcomes[1].message
