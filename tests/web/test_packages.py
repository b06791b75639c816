"""The order page: "Dispatch a package" (units per line), each package listed with its status, and a
refused package corrected by its number."""

import pytest
from django.urls import reverse

from stockroom.inventory.models import StockLevel
from stockroom.orders import services
from stockroom.orders.models import ChannelShipment, Order, OrderLine
from tests.conftest import PACKED_LINES

pytestmark = pytest.mark.django_db

MUG_LINE, CUP_LINE = PACKED_LINES


@pytest.fixture
def order_id(packed_order):
    return packed_order


def shipped(order_id):
    return list(
        OrderLine.objects.filter(order_id=order_id).order_by("pk").values_list("shipped_quantity", flat=True)
    )


def test_the_order_page_dispatches_a_package_and_lists_each_package_with_its_status(staff_client, order_id):
    lines = {line.external_line_id: line.pk for line in OrderLine.objects.filter(order_id=order_id)}
    url = reverse("order_dispatch_package", args=[order_id])

    response = staff_client.post(
        url,
        {
            f"ship-{lines[MUG_LINE]}": "2",
            f"ship-{lines[CUP_LINE]}": "",
            "tracking_number": "RM1",
            "shipping_method": "Courier",
        },
    )

    assert (response.status_code, response["Location"]) == (302, f"/orders/{order_id}/#package-1")
    page = staff_client.get(reverse("order_detail", args=[order_id])).content.decode()
    assert "Package 1 dispatched; the order is partially dispatched." in page
    assert "Partially dispatched" in page
    assert 'id="package-1"' in page and "2 × AMZ-MUG" in page
    # what is left to ship is offered for the next package
    assert f'name="ship-{lines[MUG_LINE]}" min="0" max="1"' in page
    assert f'name="ship-{lines[CUP_LINE]}" min="0" max="1"' in page

    staff_client.post(
        url,
        {
            f"ship-{lines[MUG_LINE]}": "1",
            f"ship-{lines[CUP_LINE]}": "1",
            "tracking_number": "RM2",
            "shipping_method": "Courier",
        },
    )
    page = staff_client.get(reverse("order_detail", args=[order_id])).content.decode()
    assert "Channel shipments: 2 packages" in page
    assert "<h3>Package 1</h3>" in page and "<h3>Package 2</h3>" in page
    assert page.count("Waiting to send") == 2
    assert "Dispatch a package" not in page  # processed: nothing left to ship
    assert Order.objects.get(pk=order_id).status == "processed"


def test_the_order_page_refuses_over_shipping_and_keeps_what_was_typed(staff_client, order_id):
    lines = {line.external_line_id: line.pk for line in OrderLine.objects.filter(order_id=order_id)}

    response = staff_client.post(
        reverse("order_dispatch_package", args=[order_id]),
        {f"ship-{lines[MUG_LINE]}": "7", "tracking_number": "RM9", "shipping_method": "Courier"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "Not dispatched: order 202-0000001-0000001 line" in html and "cannot ship 7, only 3 of 3 left" in html
    )
    assert f'name="ship-{lines[MUG_LINE]}" min="0" max="3" step="1" inputmode="numeric" value="7"' in html
    assert 'name="tracking_number" maxlength="100" autocomplete="off" value="RM9"' in html
    assert not ChannelShipment.objects.exists()
    assert StockLevel.objects.get(item__sku="MUG").on_hand == 10


def test_the_order_page_refuses_an_empty_package(staff_client, order_id):
    response = staff_client.post(
        reverse("order_dispatch_package", args=[order_id]),
        {"tracking_number": "RM1", "shipping_method": "Courier"},
    )

    assert response.status_code == 400
    assert "Not dispatched: a package needs at least one line and quantity" in response.content.decode()


def test_a_refused_second_package_is_corrected_on_the_order_page(staff_client, order_id):
    for tracking, count in (("RM1", 1), ("RM2", 1)):
        services.dispatch_shipment(
            order_id=order_id, lines={MUG_LINE: count}, tracking_number=tracking, shipping_method="Courier"
        )
    ChannelShipment.objects.filter(order_id=order_id, number=2).update(
        status="error", last_error="bad tracking"
    )

    page = staff_client.get(reverse("order_detail", args=[order_id])).content.decode()
    assert "UK shop refused the shipping confirmation of package 2" in page
    assert '<input type="hidden" name="package" value="2">' in page and 'id="fix-tracking-2"' in page

    response = staff_client.post(
        reverse("order_correct_shipment", args=[order_id]),
        {"package": "2", "tracking_number": "RM22", "shipping_method": "Courier"},
    )

    assert response.status_code == 302
    assert list(
        ChannelShipment.objects.filter(order_id=order_id).values_list("number", "status", "tracking_number")
    ) == [
        (1, "pending", "RM1"),
        (2, "pending", "RM22"),
    ]
