"""Two packages of one order through the real Amazon connector and the SP-API simulator, over HTTP: one
``confirmShipment`` per package with its order items, each confirmed exactly once although an answer is
lost (the package reached Amazon) and another package meets 5xx answers (it did not)."""

import pytest

from stockroom.orders import services as order_services
from stockroom.orders.models import ChannelShipment, Order
from stockroom.sync import engine
from stockroom.sync.models import ChannelWrite
from tests.sync.test_simulator_e2e import amazon_account as amazon_account  # the fixture
from tests.sync.test_simulator_e2e import calls, place, seller_of

pytestmark = pytest.mark.django_db(transaction=True)


def amazon_packages(control, account, order):
    return [
        (s["package_reference_id"], s["tracking_number"], [i["quantity"] for i in s["items"]])
        for s in control.get_order(seller_of(account), order.external_order_id)["shipments"]
    ]


def test_two_packages_of_one_order_are_each_confirmed_once_through_a_lost_answer_and_5xx(
    control,
    amazon_account,
    make_item,
    link,
    settings,  # noqa: F811
):
    settings.STOCKROOM_SYNC_IN_DOUBT_GRACE_SECONDS = 0  # a package in doubt is sent again at the next run
    account = amazon_account("Packages")
    control.create_listing(seller_of(account), "PKG", quantity=50)
    link(account, "PKG", make_item("E2E-PKG", on_hand=50))
    place(control, account, "PKG", quantity=3)
    control.advance_clock(180)
    engine.sync_account(account, trigger="schedule")
    order = Order.objects.get(account=account)
    (line_id,) = order.lines.values_list("external_line_id", flat=True)

    # package 1 reaches Amazon, but its answer is lost and the client's two retries meet 500s: in doubt
    control.set_fault("v0.confirmShipment", "lost_answer", count=1)
    control.set_fault("v0.confirmShipment", "http_500", count=2)
    first = order_services.dispatch_shipment(
        order_id=order.pk, lines={line_id: 2}, tracking_number="RM-1", shipping_method="Courier"
    )  # sent at once by the order_dispatched hook

    first.refresh_from_db()
    assert first.status == "pending"  # not known to have arrived: sent again by the next run
    assert ChannelWrite.objects.get(shipment=first).status == "error"
    assert amazon_packages(control, account, order) == [(str(order.pk), "RM-1", [2])]

    # sent again with the same package reference: Amazon refuses the duplicate, which confirms it
    control.advance_clock(200)
    engine.sync_account(account, trigger="schedule")
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("sent", 2)
    assert calls(control, account, "v0.confirmShipment") == 4
    assert amazon_packages(control, account, order) == [(str(order.pk), "RM-1", [2])]

    # package 2 meets three 500s (none reaches Amazon): sent again by the next run, once
    control.set_fault("v0.confirmShipment", "http_500", count=3)
    second = order_services.dispatch_shipment(
        order_id=order.pk, lines={line_id: 1}, tracking_number="RM-2", shipping_method="Courier"
    )
    assert ChannelShipment.objects.get(pk=second.pk).status == "pending"
    assert len(amazon_packages(control, account, order)) == 1
    control.advance_clock(200)
    engine.sync_account(account, trigger="schedule")

    assert amazon_packages(control, account, order) == [
        (str(order.pk), "RM-1", [2]),
        (f"{order.pk}0002", "RM-2", [1]),
    ]
    assert control.get_order(seller_of(account), order.external_order_id)["status"] == "Shipped"
    assert list(
        ChannelShipment.objects.filter(order=order).order_by("number").values_list("number", "status")
    ) == [(1, "sent"), (2, "sent")]
    assert list(ChannelWrite.objects.filter(kind="shipment").order_by("pk").values_list("key", "status")) == [
        (order.external_order_id, "confirmed"),
        (order.external_order_id, "confirmed"),
    ]
    assert Order.objects.get(pk=order.pk).status == "processed"
    sent_calls = calls(control, account, "v0.confirmShipment")
    engine.sync_account(account, trigger="schedule")
    assert calls(control, account, "v0.confirmShipment") == sent_calls
