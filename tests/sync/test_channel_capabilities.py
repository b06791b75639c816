"""Which channels need a tracking number is declared by their connectors and read by the domain."""

import pytest

from stockroom.channels.capabilities import capabilities_of
from stockroom.channels.contracts import ChannelCapabilities
from stockroom.core.errors import InvalidInput
from stockroom.orders.models import ChannelShipment, Order, ShippingMethod
from stockroom.orders.services import import_channel_order, process_order
from tests.conftest import channel_order
from tests.fake_channel import FakeConnector

pytestmark = pytest.mark.django_db


class TrackedFakeConnector(FakeConnector):
    capabilities = ChannelCapabilities(requires_tracking_number=True)


def test_capabilities_come_from_the_connectors_declaration(settings):
    settings.STOCKROOM_CONNECTORS = {
        "fake": "tests.fake_channel.FakeConnector",
        "tracked": f"{__name__}.TrackedFakeConnector",
    }

    assert capabilities_of("amazon") == ChannelCapabilities(
        requires_tracking_number=True, order_pushes=True, quantity_visible_after_seconds=120.0
    )
    assert capabilities_of("tracked") == ChannelCapabilities(requires_tracking_number=True)
    assert capabilities_of("fake") == ChannelCapabilities()  # declares nothing
    assert capabilities_of("nonesuch") == ChannelCapabilities()
    assert capabilities_of("") == ChannelCapabilities()


def test_dispatch_asks_for_a_tracking_number_only_where_the_channel_declares_it(
    settings, make_account, make_item, link
):
    settings.STOCKROOM_CONNECTORS = {
        "fake": "tests.fake_channel.FakeConnector",
        "tracked": f"{__name__}.TrackedFakeConnector",
    }
    ShippingMethod.objects.create(name="Courier")
    item = make_item("MUG", on_hand=5)
    ids = {}
    for channel in ("fake", "tracked"):
        account = make_account(f"{channel} shop", channel=channel)
        link(account, "SKU-1", item)
        ids[channel] = import_channel_order(account=account, data=channel_order(f"{channel}-1")).order_id

    process_order(order_id=ids["fake"], tracking_number="", shipping_method="Courier")
    with pytest.raises(
        InvalidInput, match=r"order tracked-1 needs a tracking number: tracked shop \(Tracked\)"
    ):
        process_order(order_id=ids["tracked"], tracking_number="", shipping_method="Courier")

    assert dict(Order.objects.values_list("external_order_id", "status")) == {
        "fake-1": "processed",
        "tracked-1": "open",
    }
    assert list(ChannelShipment.objects.values_list("tracking_number", flat=True)) == [""]
