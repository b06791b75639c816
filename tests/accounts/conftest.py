import pytest

from tests.factories import create_user


@pytest.fixture
def fake_channel(fake_connector_registered):
    """The fake channel (tests/fake_channel.py) registered for the channel key "fake"; ``fake_channel.of(account)``
    is what the channel holds for an account."""
    return fake_connector_registered


@pytest.fixture
def fake_account(fake_account, fake_channel):
    """An account of the fake channel named "Fake Shop" by default, with three orders waiting."""

    def make(name="Fake Shop", credentials=None, external_account_id="AFAKESELLER"):
        account = fake_account(name, credentials=credentials, external_account_id=external_account_id)
        fake_channel.of(account).orders_waiting = 3
        return account

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
