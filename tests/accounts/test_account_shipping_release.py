"""Shipping method mapping and releasing held shipping confirmations."""

import pytest

from stockroom.channels.models import ShippingMethodMapping
from stockroom.core.errors import InvalidInput
from stockroom.orders.models import ChannelShipment, OrderEvent, ShipmentStatus, ShippingMethod
from stockroom.orders.services import import_channel_order, process_order
from stockroom.sync import accounts


def test_mapping_creates_the_internal_method_and_normalises_the_carrier_code(make_account):
    account = make_account()
    mapping = accounts.map_shipping_method(
        account=account, shipping_method="Tracked 48", carrier_code="royal mail", ship_method="Tracked 48"
    )
    assert (mapping.shipping_method, mapping.carrier_code, mapping.carrier_name, mapping.ship_method) == (
        "Tracked 48",
        "Royal Mail",
        "",
        "Tracked 48",
    )
    assert list(ShippingMethod.objects.values_list("name", flat=True)) == ["Tracked 48"]
    accounts.map_shipping_method(
        account=account,
        shipping_method="tracked 48",
        carrier_code="Other",
        carrier_name="Pigeon Post",
        ship_method="Wing",
    )
    assert list(
        ShippingMethodMapping.objects.values_list("shipping_method", "carrier_code", "carrier_name")
    ) == [("Tracked 48", "Other", "Pigeon Post")]


def test_mapping_validation_lists_every_problem(make_account):
    account = make_account()
    with pytest.raises(InvalidInput) as error:
        accounts.map_shipping_method(account=account, shipping_method="", carrier_code="Other")
    assert error.value.details["errors"] == [
        "carrier code Other needs the carrier's name (Amazon requires it)",
        "ship method is required (e.g. Tracked 48, Standard, Express)",
        "shipping method is required",
    ]
    with pytest.raises(InvalidInput, match="'Hermes Parcelnet' is not one of Amazon's carrier codes"):
        accounts.map_shipping_method(
            account=account, shipping_method="X", carrier_code="Hermes Parcelnet", ship_method="Y"
        )
    assert not ShippingMethodMapping.objects.exists()
    assert not ShippingMethod.objects.exists()


def test_release_held_shipments_flips_held_to_pending_and_records_events(
    make_account, make_item, link, make_channel_order
):
    account = make_account(hold_shipping_data=True)
    link(account, "AMZ-1", make_item("ITEM-1", on_hand=5))
    order_id = import_channel_order(account=account, data=make_channel_order(lines=(("AMZ-1", 1),))).order_id
    process_order(order_id=order_id, tracking_number="TN1", shipping_method="Tracked 48")
    shipment = ChannelShipment.objects.get(order_id=order_id)
    assert shipment.status == ShipmentStatus.HELD
    assert accounts.held_shipment_count(account) == 1

    released = accounts.release_held(account=account)

    assert released == 1
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PENDING
    assert (
        OrderEvent.objects.filter(order_id=order_id, kind="shipment")
        .last()
        .message.startswith(
            "Held shipping confirmation released: it will be sent with the original ship date"
        )
    )
    assert accounts.release_held(account=account) == 0
