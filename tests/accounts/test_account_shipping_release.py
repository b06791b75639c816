"""Shipping method mapping and releasing held shipping confirmations."""

from datetime import UTC, datetime

import pytest

from stockroom.channels.models import ShippingMethodMapping
from stockroom.core.errors import InvalidInput
from stockroom.orders.models import ChannelShipment, OrderEvent, ShipmentStatus, ShippingMethod
from stockroom.orders.services import import_channel_order, process_order
from stockroom.sync import accounts


def test_mapping_takes_an_existing_method_and_normalises_the_carrier_code(make_account):
    account = make_account()
    with pytest.raises(InvalidInput, match="there is no shipping method named 'Tracked 48': add it first"):
        accounts.map_shipping_method(
            account=account, shipping_method="Tracked 48", carrier_code="Royal Mail", ship_method="Tracked 48"
        )
    assert not ShippingMethodMapping.objects.exists()
    ShippingMethod.objects.create(name="Tracked 48")
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
    ShippingMethod.objects.create(name="Tracked 48")
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
            "Held shipping confirmation released: the next sync sends it once, with the original ship date"
        )
    )
    assert accounts.release_held(account=account) == 0


def test_every_carrier_the_account_screen_offers_is_sent_as_that_code_and_accepted_by_amazon():
    # the screen's list, the connector's and the simulator's ("Amazon's") must agree: a carrier the
    # seller picks is sent as its own code, not silently as "Other"
    from stockroom.channels.contracts import ShipmentConfirmation, ShipmentLine
    from stockroom.connectors.amazon.mapping import confirm_shipment_body
    from stockroom.sandbox.amazon.tables import CARRIER_CODES as AMAZON_ACCEPTS

    def shipment(code):
        return ShipmentConfirmation(
            external_order_id="026-0000001-0000001",
            marketplace="UK",
            package_reference="1",
            carrier_code=code,
            carrier_name="",
            ship_method="Standard",
            tracking_number="XX000000000GB",
            shipped_at=datetime(2026, 11, 20, 15, 4, 5, tzinfo=UTC),
            lines=(ShipmentLine("00000000000001", 1),),
        )

    offered = accounts.carrier_codes("amazon")
    assert offered[-1] == "Other" and len(set(offered)) == len(offered) > 60
    for code in offered[:-1]:
        body = confirm_shipment_body(shipment(code), "A1F83G8C2ARO7P")
        assert body["packageDetail"]["carrierCode"] == code
        assert "carrierName" not in body["packageDetail"]
        assert code in AMAZON_ACCEPTS
    assert accounts.carrier_codes("nochannel") == ()
