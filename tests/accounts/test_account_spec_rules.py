"""Rules a channel's spec adds to the account services: credentials that depend on each other (a web
shop takes an access token, or a client id and secret), checked on add and on edit alike."""

import pytest

from stockroom.channels.models import ChannelAccount
from stockroom.channels.spec import (
    AccountIdField,
    Addressing,
    AddressingKind,
    ChannelSpec,
    CredentialField,
)
from stockroom.core.errors import InvalidInput
from stockroom.sync import accounts


def token_or_client(credentials) -> list[str]:
    if credentials.get("access_token") or (credentials.get("client_id") and credentials.get("client_secret")):
        return []
    return ["give an access token, or a client id and client secret"]


class ShopConnector:
    spec = ChannelSpec(
        key="shoplike",
        display_name="Shoplike",
        credentials=(
            CredentialField("access_token", "Access token", required=False),
            CredentialField("client_id", "Client id", secret=False, required=False),
            CredentialField("client_secret", "Client secret", required=False),
        ),
        addressing=Addressing(kind=AddressingKind.SHOP_ADDRESS, account_id=AccountIdField(label="Shop")),
        check_credentials=token_or_client,
    )

    def __init__(self, config):
        self.config = config


@pytest.fixture(autouse=True)
def shoplike(settings):
    settings.STOCKROOM_CONNECTORS = {"shoplike": f"{__name__}.ShopConnector"}


def add(**credentials):
    return accounts.add_account(
        channel="shoplike", name="Shop", external_account_id="shop.example", credentials=credentials
    )


def test_either_credential_set_is_enough_and_neither_is_refused(db):
    with pytest.raises(InvalidInput, match="give an access token, or a client id and client secret"):
        add(client_id="id-only")
    assert ChannelAccount.objects.count() == 0

    account = add(client_id="app", client_secret="s3cret").account
    assert account.credentials == {"client_id": "app", "client_secret": "s3cret"}
    assert accounts.masked_credentials(account) == {
        "access_token": "",
        "client_id": "app",
        "client_secret": "••••••",
    }


def test_an_edit_is_checked_with_the_stored_credentials(db):
    account = add(access_token="tok-123456789").account

    saved = accounts.edit_account(
        account=account, external_account_id="shop.example", credentials={"client_id": "later"}
    )

    assert saved.account.credentials == {"access_token": "tok-123456789", "client_id": "later"}
