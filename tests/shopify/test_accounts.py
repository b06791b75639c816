"""A Shopify account through the channel-neutral account services (what the web form, the CLI and the API
call): the shop address cleaned, a token or a client id and secret, stored encrypted, options checked."""

from __future__ import annotations

import pytest
from django.db import connection

from stockroom.channels.models import ChannelAccount
from stockroom.core.errors import StockroomError
from stockroom.sync import accounts
from tests.accounts.conftest import administrator_client  # noqa: F401, F811 - the fixture

pytestmark = pytest.mark.django_db


def test_a_shop_is_added_by_its_address_with_a_token_stored_encrypted_and_shown_masked():
    saved = accounts.add_account(
        channel="shopify",
        name="Mugs shop",
        external_account_id="https://Mugs.myshopify.com/admin",
        credentials={
            "access_token": "shpat_0123456789abcdef0123456789abcdef",
            "client_secret": "shpss_secret-0123456789",
        },
        options={"location": "5500000000003"},
    )

    account = ChannelAccount.objects.get(pk=saved.account.pk)
    assert account.external_account_id == "mugs.myshopify.com"
    assert account.credentials["access_token"] == "shpat_0123456789abcdef0123456789abcdef"
    assert account.options["location"] == "gid://shopify/Location/5500000000003"
    with connection.cursor() as cursor:  # the column as the database holds it
        cursor.execute(f"SELECT credentials FROM {ChannelAccount._meta.db_table} WHERE id = %s", [account.pk])
        (stored,) = cursor.fetchone()
    assert "shpat_0123456789abcdef" not in str(stored)  # encrypted at rest
    masked = accounts.masked_credentials(account)
    assert masked["access_token"] != account.credentials["access_token"]
    assert "0123456789abcdef0123" not in masked["access_token"]


def test_a_client_id_and_secret_are_enough_and_neither_is_refused_with_what_to_give():
    accounts.add_account(
        channel="shopify",
        name="By grant",
        external_account_id="jugs",
        credentials={"client_id": "abc123", "client_secret": "shpss_secret-0123456789"},
    )

    with pytest.raises(StockroomError) as refused:
        accounts.add_account(channel="shopify", name="Nothing", external_account_id="cups", credentials={})

    assert "give either the Admin API access token, or the app's client id and client secret" in str(
        refused.value
    )
    assert not ChannelAccount.objects.filter(name="Nothing").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("external_account_id", "my shop!", "is not a Shopify shop: write name.myshopify.com"),
        ("options", {"location": "Warehouse"}, "location must be a Shopify location id"),
    ],
)
def test_bad_input_is_refused_with_a_specific_message_and_nothing_is_stored(field, value, message):
    values = {
        "channel": "shopify",
        "name": "Bad",
        "external_account_id": "good",
        "credentials": {"access_token": "shpat_0123456789abcdef0123456789abcdef"},
        field: value,
    }

    with pytest.raises(StockroomError) as refused:
        accounts.add_account(**values)

    assert message in str(refused.value)
    assert not ChannelAccount.objects.filter(name="Bad").exists()


def test_the_web_form_adds_a_shop_and_no_page_shows_its_token(administrator_client):  # noqa: F811
    from django.urls import reverse

    token = "shpat_0123456789abcdef0123456789abWXYZ"
    form = administrator_client.get(reverse("account_add") + "?channel=shopify").content.decode()
    response = administrator_client.post(
        reverse("account_add"),
        {
            "channel": "shopify",
            "name": "Mugs shop",
            "external_account_id": "mugs.myshopify.com",
            "access_token": token,
            "client_id": "",
            "client_secret": "",
            "endpoint": "",
        },
        follow=True,
    )

    assert "Shop address" in form and "Admin API access token" in form and "App client secret" in form
    account = ChannelAccount.objects.get(name="Mugs shop")
    assert response.status_code == 200
    assert account.credentials == {"access_token": token}
    for url in (
        reverse("accounts"),
        reverse("account_detail", args=[account.pk]),
        reverse("account_edit", args=[account.pk]),
    ):
        page = administrator_client.get(url)
        assert page.status_code == 200, url
        assert token not in page.content.decode(), url
