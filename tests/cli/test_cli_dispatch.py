"""`stockroom orders correct-shipment`: a refused shipping confirmation corrected from the command line."""

import json

import pytest
from django.core.management.base import CommandError

from stockroom.orders.models import ChannelShipment, Order, ShipmentStatus, ShippingMethod
from stockroom.orders.services import import_channel_order
from tests.cli.test_cli_commands import run
from tests.web.conftest import failed_shipment

pytestmark = pytest.mark.django_db


def test_correct_shipment_queues_a_refused_confirmation_once(
    make_account, make_item, link, make_channel_order
):
    account = make_account("UK shop")
    link(account, "AMZ-MUG", make_item("MUG", on_hand=5))
    ShippingMethod.objects.create(name="Royal Mail 48")
    order_id = import_channel_order(
        account=account, data=make_channel_order("202-0000001-0000001", lines=[("AMZ-MUG", 1)])
    ).order_id
    failed_shipment(Order.objects.get(pk=order_id), last_error="refused")

    with pytest.raises(CommandError, match="'Owl' is not one of Amazon's carrier codes"):
        run("orders", "correct-shipment", "202-0000001-0000001", "--tracking", "RM1", "--carrier-code", "Owl")
    out, _ = run(
        "orders",
        "correct-shipment",
        "202-0000001-0000001",
        "--tracking",
        "RM1",
        "--carrier-code",
        "dpd",
        "--json",
    )
    with pytest.raises(
        CommandError, match="is waiting to send: only a refused confirmation can be corrected"
    ):
        run("orders", "correct-shipment", "202-0000001-0000001", "--tracking", "RM2")

    assert json.loads(out) == {
        "order": "202-0000001-0000001",
        "package": 1,
        "status": "pending",
        "tracking_number": "RM1",
        "shipping_method": "Royal Mail 48",
        "carrier_code": "DPD",
    }
    shipment = ChannelShipment.objects.get()
    assert (shipment.status, shipment.tracking_number, shipment.carrier_code) == (
        ShipmentStatus.PENDING,
        "RM1",
        "DPD",
    )
