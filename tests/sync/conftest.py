import pytest

from stockroom.channels.models import ShippingMethodMapping
from tests.sync.fake import FakeChannel


@pytest.fixture(autouse=True)
def fake_channel_registered(settings):
    settings.STOCKROOM_CONNECTORS = {"fake": "tests.sync.fake.FakeConnector"}
    settings.STOCKROOM_SYNC_IN_DOUBT_GRACE_SECONDS = 600
    settings.STOCKROOM_SYNC_HOOKS_ENABLED = True  # as in production: hooks push and send at once
    FakeChannel.reset()
    yield
    FakeChannel.reset()


@pytest.fixture
def fake_account(make_account):
    def make(name=None, **options):
        return make_account(name, channel="fake", **options)

    return make


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
