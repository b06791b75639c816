"""Adding and editing Amazon accounts: validation, duplicates, DK, secrets."""

import logging

import pytest

from stockroom.channels import services
from stockroom.channels.models import ChannelAccount
from stockroom.core.errors import Conflict, InvalidInput
from stockroom.sync import accounts

SECRET = "amzn1.oa2-cs.v1.0123456789abcdefSECRET"
TOKEN = "Atzr|IwEBIrefreshTOKEN0123456789"


def add(**overrides):
    fields = {
        "name": "Acme UK",
        "seller_id": "A1SELLER",
        "region": "eu",
        "marketplaces": "UK,DE",
        "client_id": "amzn1.application-oa2-client.acme",
        "client_secret": SECRET,
        "refresh_token": TOKEN,
    }
    fields.update(overrides)
    credentials = {key: fields.pop(key) for key in ("client_id", "client_secret", "refresh_token")}
    return accounts.add_account(
        channel="amazon", external_account_id=fields.pop("seller_id"), credentials=credentials, **fields
    )


def test_add_stores_marketplace_ids_encrypted_credentials_and_default_options(db):
    saved = add()

    account = ChannelAccount.objects.get(pk=saved.account.pk)
    assert saved.warnings == ()
    assert (account.channel, account.name, account.external_account_id, account.region) == (
        "amazon",
        "Acme UK",
        "A1SELLER",
        "eu",
    )
    assert account.marketplaces == ["A1F83G8C2ARO7P", "A1PA6795UKMFR9"]
    assert account.credentials == {
        "client_id": "amzn1.application-oa2-client.acme",
        "client_secret": SECRET,
        "refresh_token": TOKEN,
    }
    assert account.enabled is True
    assert account.options == {}
    assert accounts.effective_options(account) == {
        "inventory_update": True,
        "hold_shipping_data": False,
        "download_orders_since": "",
        "max_quantity": None,
        "min_level": None,
        "percentage": None,
        "fixed_quantity": None,
        "stock_reserve": True,
        "order_source": "orders_api",
        "report_period": "PT1H",
        "secondary_integrated": False,
        "patch_threshold": "",
        "order_notifications": False,
        "notification_queue_url": "",
    }


def test_credentials_are_not_stored_in_clear_text(db):
    from django.db import connection

    saved = add()
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM channels_channelaccount WHERE id = %s", [saved.account.pk])
        raw = cursor.fetchone()[0]
    assert SECRET not in raw and TOKEN not in raw


def test_secrets_with_surrounding_spaces_are_stripped_with_a_warning(db):
    saved = add(client_secret=f"  {SECRET} \n", refresh_token=f"{TOKEN}  ")

    assert saved.account.credentials["client_secret"] == SECRET
    assert saved.account.credentials["refresh_token"] == TOKEN
    assert saved.warnings == (
        "LWA client secret: spaces or line breaks around the value were removed (copy-paste slip?)",
        "LWA refresh token: spaces or line breaks around the value were removed (copy-paste slip?)",
    )


def test_denmark_is_refused_with_the_explanation(db):
    with pytest.raises(InvalidInput) as error:
        add(marketplaces="UK,DK")
    assert error.value.message == (
        "Amazon has no Danish marketplace; Danish buyers order from Amazon.de (DE) or Amazon.se (SE)"
    )
    assert not ChannelAccount.objects.exists()


def test_marketplace_of_another_region_is_refused(db):
    with pytest.raises(InvalidInput, match="marketplace US belongs to the NA region, not EU"):
        add(marketplaces="UK,US")


def test_unknown_region_is_refused(db):
    with pytest.raises(InvalidInput, match="unknown Amazon region 'asia'"):
        add(region="asia")


def test_same_seller_and_region_twice_is_refused_naming_the_existing_account(db):
    add()
    with pytest.raises(Conflict) as error:
        add(name="Acme again", seller_id="a1seller")
    assert error.value.message == (
        "seller id a1seller in region EU is already the account 'Acme UK'; edit that account instead of "
        "adding it twice"
    )
    assert ChannelAccount.objects.count() == 1


def test_same_seller_in_another_region_is_a_separate_account(db):
    add()
    add(name="Acme US", region="na", marketplaces="US,CA")
    assert list(ChannelAccount.objects.values_list("name", flat=True)) == ["Acme UK", "Acme US"]


def test_merchant_name_is_unique_ignoring_case(db):
    add()
    with pytest.raises(Conflict, match="an account named 'Acme UK' already exists"):
        add(name="ACME uk", seller_id="OTHER")


def test_missing_secret_is_refused(db):
    with pytest.raises(InvalidInput, match="LWA refresh token is required"):
        add(refresh_token="   ")


def test_edit_keeps_a_secret_left_blank_and_changes_the_rest(db):
    account = add().account

    saved = accounts.edit_account(
        account=account,
        external_account_id="A1SELLER",
        region="eu",
        marketplaces=["FR"],
        credentials={"client_id": "", "client_secret": "new-secret-value ", "refresh_token": ""},
        endpoint="http://127.0.0.1:9000/",
    )

    account.refresh_from_db()
    assert account.name == "Acme UK"
    assert account.marketplaces == ["A13V1IB3VIYZZH"]
    assert account.credentials == {
        "client_id": "amzn1.application-oa2-client.acme",
        "client_secret": "new-secret-value",
        "refresh_token": TOKEN,
    }
    assert account.endpoint == "http://127.0.0.1:9000"
    assert saved.warnings == (
        "LWA client secret: spaces or line breaks around the value were removed (copy-paste slip?)",
    )


def test_edit_refuses_the_identity_of_another_account(db):
    add()
    other = add(name="Other", seller_id="B2SELLER").account
    with pytest.raises(Conflict, match="already the account 'Acme UK'"):
        accounts.edit_account(account=other, external_account_id="A1SELLER", region="eu", marketplaces="UK")


def test_disable_and_enable(db):
    account = add().account
    services.set_account_enabled(account=account, enabled=False)
    assert ChannelAccount.objects.get(pk=account.pk).enabled is False
    services.set_account_enabled(account=account, enabled=True)
    assert ChannelAccount.objects.get(pk=account.pk).enabled is True


def test_accounts_are_listed_in_the_order_added(db):
    add(name="Zed")
    add(name="Alpha", seller_id="B2")
    from stockroom.channels.selectors import account_list

    assert [a.name for a in account_list()] == ["Zed", "Alpha"]


def test_summary_masks_secrets(db):
    summary = accounts.account_summary(add().account)
    assert summary.credentials["client_secret"] == "••••••••CRET"
    assert SECRET not in repr(summary.as_dict())
    assert TOKEN not in repr(summary.as_dict())


def test_secrets_are_never_logged(db, caplog, fake_account, fake_channel):
    caplog.set_level(logging.DEBUG)
    saved = add(client_secret=f" {SECRET} ")
    bad = fake_account(credentials={**fake_channel.GOOD_CREDENTIALS, "client_secret": SECRET})
    accounts.check_account(bad)
    accounts.set_account_option(account=saved.account, option="hold_shipping_data", value="on")
    assert caplog.records  # the operations did log
    assert SECRET not in caplog.text and TOKEN not in caplog.text
