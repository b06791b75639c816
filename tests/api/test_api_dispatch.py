"""Dispatch over the API: the tracking number the channel needs, the buyer's service default, and the
method check, with the same messages as the web and the CLI."""

import pytest

from stockroom.channels.services import set_shipping_default
from stockroom.orders import services
from stockroom.orders.models import ChannelShipment, Order, ShippingMethod

pytestmark = pytest.mark.django_db


@pytest.fixture
def order_id(make_item, make_account, link, make_channel_order):
    account = make_account("UK shop")
    link(account, "AMZ-MUG", make_item("MUG", on_hand=5))
    ShippingMethod.objects.bulk_create(
        [
            ShippingMethod(name="Courier"),
            ShippingMethod(name="Royal Mail 48"),
            ShippingMethod(name="Old", active=False),
        ]
    )
    set_shipping_default(account=account, channel_service="Std UK Dom_1", shipping_method="Royal Mail 48")
    data = make_channel_order(
        "202-0000001-0000001", lines=[("AMZ-MUG", 1)], channel_shipping_service="Std UK Dom_1"
    )
    return services.import_channel_order(account=account, data=data).order_id


def test_without_a_tracking_number_an_amazon_order_is_refused_and_nothing_changes(api, order_id):
    response = api.post(f"/api/orders/{order_id}/process", {"shipping_method": "Courier"})

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_input",
        "message": "order 202-0000001-0000001 needs a tracking number: UK shop (Amazon) refuses a shipping "
        "confirmation without one",
        "details": {"field": "tracking_number"},
    }
    assert Order.objects.get(pk=order_id).status == "open"
    assert not ChannelShipment.objects.exists()


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ("Teleport", "unknown shipping method 'Teleport': choose one of Courier, Royal Mail 48"),
        (
            "Old",
            "shipping method Old is no longer offered: choose an active one, or an administrator can offer "
            "it again under Shipping methods",
        ),
    ],
)
def test_an_unknown_or_inactive_method_is_refused(api, order_id, method, message):
    response = api.post(
        f"/api/orders/{order_id}/process", {"tracking_number": "T1", "shipping_method": method}
    )

    assert (response.status_code, response.json()["message"]) == (400, message)
    assert Order.objects.get(pk=order_id).status == "open"


def test_without_a_method_the_default_for_the_buyers_service_is_used(api, order_id):
    response = api.post(f"/api/orders/{order_id}/process", {"tracking_number": "T1"})

    assert response.status_code == 200
    assert (response.json()["shipping_method"], response.json()["shipment"]["status"]) == (
        "Royal Mail 48",
        "pending",
    )
    assert ChannelShipment.objects.get().shipping_method == "Royal Mail 48"


def test_a_refused_confirmation_is_corrected_once(api, order_id):
    from tests.web.conftest import failed_shipment

    failed_shipment(Order.objects.get(pk=order_id), last_error="refused")
    path = f"/api/orders/{order_id}/shipment/correct"

    missing = api.post(path, {"shipping_method": "Courier"})
    corrected = api.post(
        path,
        {
            "tracking_number": "RM1",
            "shipping_method": "Courier",
            "carrier_code": "Other",
            "carrier_name": "Owl Post",
        },
    )
    again = api.post(path, {"tracking_number": "RM2"})

    assert (missing.status_code, missing.json()["message"]) == (
        400,
        "order 202-0000001-0000001 needs a tracking number: UK shop (Amazon) refuses a shipping confirmation "
        "without one",
    )
    assert corrected.status_code == 200
    shipment = corrected.json()["shipment"]
    assert (shipment["status"], shipment["tracking_number"], shipment["shipping_method"]) == (
        "pending",
        "RM1",
        "Courier",
    )
    assert (shipment["carrier_code"], shipment["carrier_name"]) == ("Other", "Owl Post")
    assert again.status_code == 409
    assert again.json()["message"] == (
        "the shipping confirmation of order 202-0000001-0000001 is waiting to send: only a refused confirmation "
        "can be corrected"
    )
