import pytest

from stockroom.sync import registry
from tests.accounts import fake_connector
from tests.factories import create_user

FAKE_CONNECTOR = "tests.accounts.fake_connector.FakeConnector"


@pytest.fixture
def fake_channel(monkeypatch):
    """Register the fake connector for the test channel "fake" (and only for this test)."""
    fake_connector.reset()
    monkeypatch.setitem(registry.CONNECTORS, "fake", FAKE_CONNECTOR)
    yield fake_connector
    fake_connector.reset()


@pytest.fixture
def fake_account(db, fake_channel):
    from stockroom.channels.models import ChannelAccount

    def make(name="Fake Shop", credentials=None, **fields):
        return ChannelAccount.objects.create(
            channel="fake",
            name=name,
            external_account_id=fields.pop("external_account_id", "AFAKESELLER"),
            region="eu",
            marketplaces=["A1F83G8C2ARO7P"],
            credentials=dict(credentials or fake_connector.GOOD_CREDENTIALS),
            **fields,
        )

    return make


def _client_for(role: str, username: str):
    from django.test import Client

    user = create_user(username, role=role)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def administrator_client(db):
    from stockroom.web.permissions import ADMINISTRATOR

    return _client_for(ADMINISTRATOR, "ada-admin")


@pytest.fixture
def warehouse_client(db):
    from stockroom.web.permissions import WAREHOUSE_STAFF

    return _client_for(WAREHOUSE_STAFF, "wes-warehouse")
