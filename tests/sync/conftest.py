import pytest

from stockroom.channels.models import ShippingMethodMapping
from tests.fake_channel import FakeChannel


@pytest.fixture(autouse=True)
def fake_channel_registered(fake_connector_registered, settings):
    settings.STOCKROOM_SYNC_IN_DOUBT_GRACE_SECONDS = 600
    settings.STOCKROOM_SYNC_HOOKS_ENABLED = True  # as in production: hooks push and send at once


@pytest.fixture
def channel():
    return FakeChannel.of


@pytest.fixture
def mapping():
    def make(account, method="Courier", carrier="Royal Mail", ship_method="Tracked 48"):
        return ShippingMethodMapping.objects.create(
            account=account, shipping_method=method, carrier_code=carrier, ship_method=ship_method
        )

    return make
