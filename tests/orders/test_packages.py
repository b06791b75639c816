"""Shipments as packages: partial dispatch, one package per dispatch, refusals that change nothing."""

import threading

import pytest
from django.db import connection

from stockroom.channels.contracts import ChannelOrderStatus
from stockroom.core.errors import Conflict, InvalidInput, NotFound, TransitionNotAllowed
from stockroom.inventory.models import StockLevel, StockMovement
from stockroom.inventory.selectors import ledger_mismatches
from stockroom.orders import services
from stockroom.orders.models import ChannelShipment, Order, OrderEvent, OrderLine, ShippingMethod
from stockroom.orders.pipeline import AllocationState, OrderStatus

pytestmark = pytest.mark.django_db


def level(item):
    row = StockLevel.objects.get(item=item)
    return row.on_hand, row.allocated


def packages(order_id):
    """[(number, status, package reference, tracking, [(external line id, quantity)])]"""
    return [
        (
            s.number,
            s.status,
            s.package_reference,
            s.tracking_number,
            [(row.order_line.external_line_id, row.quantity) for row in s.lines.all()],
        )
        for s in ChannelShipment.objects.filter(order_id=order_id).order_by("number")
    ]


def shipped(order_id):
    return list(
        OrderLine.objects.filter(order_id=order_id)
        .order_by("pk")
        .values_list("shipped_quantity", "allocated_quantity")
    )


@pytest.fixture
def two_lines(make_item, make_account, link, make_channel_order):
    """An open Amazon order: 3 mugs and 1 cup, all allocated (10 mugs, 5 cups on hand)."""
    ShippingMethod.objects.bulk_create([ShippingMethod(name="Royal Mail 24"), ShippingMethod(name="Courier")])
    mug, cup = make_item("MUG", on_hand=10), make_item("CUP", on_hand=5)
    account = make_account("Shop UK")
    link(account, "AMZ-MUG", mug)
    link(account, "AMZ-CUP", cup)
    data = make_channel_order("202-0000001-0000001", lines=[("AMZ-MUG", 3), ("AMZ-CUP", 1)])
    order_id = services.import_channel_order(account=account, data=data).order_id
    return order_id, mug, cup, "202-0000001-0000001-1", "202-0000001-0000001-2"


def test_an_order_leaves_in_two_packages_and_is_processed_when_every_unit_has_left(
    two_lines, django_user_model
):
    order_id, mug, cup, mug_line, cup_line = two_lines
    packer = django_user_model.objects.create_user("packer", password="x" * 12)

    first = services.dispatch_shipment(
        order_id=order_id,
        lines=[(mug_line, 2)],
        tracking_number="RM1",
        shipping_method="Royal Mail 24",
        user=packer,
    )

    order = Order.objects.get(pk=order_id)
    assert (first.number, order.status, order.allocation_state) == (1, "partially_dispatched", "full")
    assert order.can_process and order.processed_at is None
    assert shipped(order_id) == [(2, 1), (0, 1)]
    assert level(mug) == (8, 1) and level(cup) == (5, 1)
    assert packages(order_id) == [(1, "pending", str(order_id), "RM1", [(mug_line, 2)])]
    assert OrderEvent.objects.filter(order_id=order_id, kind="status").last().message == (
        "Package 1 dispatched (2 × AMZ-MUG): Royal Mail 24, tracking RM1"
    )

    order = services.process_order(order_id=order_id, tracking_number="CR2", shipping_method="Courier")

    assert (order.status, order.allocation_state, order.tracking_number) == ("processed", "not_needed", "CR2")
    assert shipped(order_id) == [(3, 0), (1, 0)]
    assert level(mug) == (7, 0) and level(cup) == (4, 0)
    assert packages(order_id) == [
        (1, "pending", str(order_id), "RM1", [(mug_line, 2)]),
        (2, "pending", f"{order_id}0002", "CR2", [(mug_line, 1), (cup_line, 1)]),
    ]
    assert sorted(StockMovement.objects.filter(reason="dispatch").values_list("item__sku", "quantity")) == [
        ("CUP", -1),
        ("MUG", -2),
        ("MUG", -1),
    ]
    assert StockMovement.objects.filter(reason="dispatch", quantity=-2).get().user == packer
    assert ledger_mismatches() == []
    with pytest.raises(TransitionNotAllowed, match="is processed; only open orders can be processed"):
        services.dispatch_shipment(
            order_id=order_id, lines=[(mug_line, 1)], tracking_number="X", shipping_method="Courier"
        )


@pytest.mark.parametrize(
    ("lines", "error", "message"),
    [
        (
            [("202-0000001-0000001-1", 4)],
            Conflict,
            r"line 202-0000001-0000001-1 \(AMZ-MUG\): cannot ship 4, only 3 of 3 left to ship",
        ),
        ([("202-0000001-0000001-1", 0)], InvalidInput, "quantity must be at least 1"),
        ([("202-0000001-0000001-1", "-1")], InvalidInput, "quantity cannot be negative, got -1"),
        ([("202-0000001-0000001-1", "two")], InvalidInput, "quantity must be a whole number"),
        (
            [("NO-SUCH-LINE", 1)],
            InvalidInput,
            "has no line 'NO-SUCH-LINE' \\(its lines: 202-0000001-0000001-1, ",
        ),
        ([("202-0000001-0000001-2", 1), ("202-0000001-0000001-2", 1)], InvalidInput, "named twice"),
        ([], InvalidInput, "a package needs at least one line and quantity"),
    ],
)
def test_a_bad_package_is_refused_with_a_clear_error_and_changes_nothing(two_lines, lines, error, message):
    order_id, mug, cup, *_ = two_lines

    with pytest.raises(error, match=message):
        services.dispatch_shipment(
            order_id=order_id, lines=lines, tracking_number="RM1", shipping_method="Royal Mail 24"
        )

    assert Order.objects.get(pk=order_id).status == "open"
    assert shipped(order_id) == [(0, 3), (0, 1)]
    assert level(mug) == (10, 3) and level(cup) == (5, 1)
    assert (
        not ChannelShipment.objects.exists() and not StockMovement.objects.filter(reason="dispatch").exists()
    )


def test_a_line_cannot_ship_more_than_it_has_left_after_a_first_package(two_lines):
    order_id, mug, _, mug_line, _ = two_lines
    services.dispatch_shipment(
        order_id=order_id, lines={mug_line: 2}, tracking_number="RM1", shipping_method="Royal Mail 24"
    )

    with pytest.raises(Conflict, match="cannot ship 2, only 1 of 3 left to ship"):
        services.dispatch_shipment(
            order_id=order_id, lines={mug_line: 2}, tracking_number="RM2", shipping_method="Royal Mail 24"
        )
    services.dispatch_shipment(
        order_id=order_id, lines={mug_line: 1}, tracking_number="RM2", shipping_method="Royal Mail 24"
    )
    with pytest.raises(Conflict, match="cannot ship 1, all 3 already shipped"):
        services.dispatch_shipment(
            order_id=order_id, lines={mug_line: 1}, tracking_number="RM3", shipping_method="Royal Mail 24"
        )

    assert [p[0] for p in packages(order_id)] == [1, 2]
    assert Order.objects.get(pk=order_id).status == "partially_dispatched"
    assert level(mug) == (7, 0)


def test_the_dispatch_service_refuses_an_unknown_or_inactive_method_and_a_cancelled_order(two_lines):
    order_id, _, _, mug_line, _ = two_lines
    ShippingMethod.objects.filter(name="Courier").update(active=False)

    with pytest.raises(InvalidInput, match="unknown shipping method 'Owl post': choose one of Royal Mail 24"):
        services.dispatch_shipment(
            order_id=order_id, lines={mug_line: 1}, tracking_number="T", shipping_method="Owl post"
        )
    with pytest.raises(InvalidInput, match="shipping method Courier is no longer offered"):
        services.dispatch_shipment(
            order_id=order_id, lines={mug_line: 1}, tracking_number="T", shipping_method="courier"
        )
    with pytest.raises(InvalidInput, match="needs a tracking number"):
        services.dispatch_shipment(
            order_id=order_id, lines={mug_line: 1}, tracking_number=" ", shipping_method="Royal Mail 24"
        )
    services.cancel_order(order_id=order_id)
    with pytest.raises(TransitionNotAllowed, match="is cancelled; only open orders can be processed"):
        services.dispatch_shipment(
            order_id=order_id, lines={mug_line: 1}, tracking_number="T", shipping_method="Royal Mail 24"
        )

    assert not ChannelShipment.objects.exists()


def test_a_short_line_in_the_package_refuses_it_but_a_short_line_left_behind_does_not(
    make_item, make_account, link, make_channel_order
):
    ShippingMethod.objects.create(name="Courier")
    mug, cup = make_item("MUG", on_hand=2), make_item("CUP", on_hand=0)
    account = make_account()
    link(account, "AMZ-MUG", mug)
    link(account, "AMZ-CUP", cup)
    data = make_channel_order("202-0000002-0000002", lines=[("AMZ-MUG", 2), ("AMZ-CUP", 1)])
    order_id = services.import_channel_order(account=account, data=data).order_id
    assert Order.objects.get(pk=order_id).allocation_state == AllocationState.PARTIAL

    with pytest.raises(TransitionNotAllowed, match=r"not enough stock \(AMZ-CUP short by 1\)"):
        services.dispatch_shipment(
            order_id=order_id,
            lines={"202-0000002-0000002-2": 1},
            tracking_number="T",
            shipping_method="Courier",
        )
    services.dispatch_shipment(
        order_id=order_id, lines={"202-0000002-0000002-1": 2}, tracking_number="T", shipping_method="Courier"
    )

    order = Order.objects.get(pk=order_id)
    assert (order.status, order.allocation_state) == ("partially_dispatched", "none")
    assert level(mug) == (0, 0)
    # the cup still waits for stock, and gets it when it comes
    from stockroom.inventory.services import receive_stock

    receive_stock(item=cup, quantity=1)
    services.allocate_waiting_orders(item_ids=[cup.pk])
    assert Order.objects.get(pk=order_id).allocation_state == "full"


def test_cancelling_a_partly_dispatched_order_releases_only_what_is_left_and_it_cannot_be_deleted(two_lines):
    order_id, mug, cup, mug_line, _ = two_lines
    services.dispatch_shipment(
        order_id=order_id, lines={mug_line: 1}, tracking_number="RM1", shipping_method="Royal Mail 24"
    )

    with pytest.raises(TransitionNotAllowed, match="was partially dispatched; it cannot be deleted"):
        services.delete_order(order_id=order_id)
    services.cancel_order(order_id=order_id, reason="buyer changed their mind")

    assert Order.objects.get(pk=order_id).status == "cancelled"
    assert shipped(order_id) == [(1, 0), (0, 0)]
    assert level(mug) == (9, 0) and level(cup) == (5, 0)
    assert ledger_mismatches() == []


def test_the_channel_shipping_the_rest_records_a_package_with_nothing_to_send(two_lines, make_channel_order):
    order_id, mug, cup, mug_line, cup_line = two_lines
    services.dispatch_shipment(
        order_id=order_id, lines={mug_line: 1}, tracking_number="RM1", shipping_method="Royal Mail 24"
    )
    order = Order.objects.get(pk=order_id)

    services.import_channel_order(
        account=order.account,
        data=make_channel_order(
            "202-0000001-0000001", lines=[("AMZ-MUG", 3), ("AMZ-CUP", 1)], status=ChannelOrderStatus.SHIPPED
        ),
    )

    assert Order.objects.get(pk=order_id).status == "processed"
    assert packages(order_id) == [
        (1, "pending", str(order_id), "RM1", [(mug_line, 1)]),
        (2, "not_needed", "", "", [(mug_line, 2), (cup_line, 1)]),
    ]
    assert level(mug) == (7, 0) and level(cup) == (4, 0)


def test_a_manual_order_leaves_in_packages_with_nothing_to_confirm(make_item):
    ShippingMethod.objects.create(name="Courier")
    item = make_item("MUG", on_hand=5)
    order = services.create_manual_order(lines=[(item, 3, "2.00")], external_order_id="M-1")

    package = services.dispatch_shipment(
        order_id=order.pk, lines={"1": 1}, tracking_number="", shipping_method="Courier"
    )
    services.process_order(order_id=order.pk, tracking_number="", shipping_method="Courier")

    assert (package.account_id, package.status) == (None, "local")
    assert [(p[0], p[1], p[4]) for p in packages(order.pk)] == [
        (1, "local", [("1", 1)]),
        (2, "local", [("1", 2)]),
    ]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PROCESSED
    assert level(item) == (2, 0)


def test_a_refused_package_is_corrected_by_its_number(two_lines):
    order_id, _, _, mug_line, _ = two_lines
    for tracking in ("RM1", "RM2"):
        services.dispatch_shipment(
            order_id=order_id, lines={mug_line: 1}, tracking_number=tracking, shipping_method="Royal Mail 24"
        )
    ChannelShipment.objects.filter(order_id=order_id).update(status="error", last_error="refused")

    with pytest.raises(InvalidInput, match="has 2 packages, 2 of them refused: say which package to correct"):
        services.correct_refused_shipment(order_id=order_id, tracking_number="NEW", shipping_method="")
    with pytest.raises(NotFound, match="has no package 3 \\(its packages: 1, 2\\)"):
        services.correct_refused_shipment(
            order_id=order_id, tracking_number="NEW", shipping_method="", package=3
        )
    services.correct_refused_shipment(order_id=order_id, tracking_number="NEW", shipping_method="", package=2)

    assert [(p[0], p[1], p[3]) for p in packages(order_id)] == [(1, "error", "RM1"), (2, "pending", "NEW")]
    assert OrderEvent.objects.filter(order_id=order_id, kind="shipment").last().message == (
        "Shipping confirmation of package 2 corrected (tracking RM2 → NEW): it will be sent again"
    )
    # one refused package left: it is the one corrected when none is named
    shipment = services.correct_refused_shipment(
        order_id=order_id, tracking_number="NEW1", shipping_method=""
    )
    assert (shipment.number, shipment.status) == (1, "pending")


@pytest.mark.postgres
def test_two_concurrent_dispatches_of_the_same_line_ship_it_once(on_postgres, two_lines):
    order_id, mug, _, mug_line, _ = two_lines
    barrier = threading.Barrier(2)
    results = []

    def dispatch(n):
        try:
            barrier.wait()
            services.dispatch_shipment(
                order_id=order_id, lines={mug_line: 2}, tracking_number=f"T{n}", shipping_method="Courier"
            )
            results.append("ok")
        except Conflict as error:
            results.append(error.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatch, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [
        "ok",
        "order 202-0000001-0000001 line 202-0000001-0000001-1 (AMZ-MUG): cannot ship 2, only 1 of 3 left to ship",
    ]
    assert len(packages(order_id)) == 1
    assert shipped(order_id) == [(2, 1), (0, 1)]
    assert level(mug) == (8, 1)
    assert ledger_mismatches() == []
