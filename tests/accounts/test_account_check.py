"""Check API: the connector's check, stored on the account, explained on failure."""

from datetime import UTC, datetime

from stockroom.channels.models import ChannelAccount
from stockroom.sync import accounts


def test_check_with_good_credentials_stores_success_and_returns_what_waits(fake_account, fake_channel):
    account = fake_account()
    account.options = {"download_orders_since": "2026-11-01T00:00:00Z"}
    account.save()

    result = accounts.check_account(account)

    assert (result.ok, result.message, result.marketplaces, result.orders_waiting) == (
        True,
        "Credentials accepted",
        ("UK", "DE"),
        3,
    )
    assert fake_channel.of(account).calls == [("check", datetime(2026, 11, 1, tzinfo=UTC))]
    stored = ChannelAccount.objects.get(pk=account.pk)
    assert (stored.last_check_ok, stored.last_check_message) == (True, "Credentials accepted")
    assert stored.last_check_at is not None


def test_check_with_a_wrong_secret_names_the_cause(fake_account, fake_channel):
    account = fake_account(credentials={**fake_channel.GOOD_CREDENTIALS, "client_secret": "wrong"})

    result = accounts.check_account(account)

    assert result.ok is False
    assert result.message == "The channel refused the client secret: check it and paste it again"
    stored = ChannelAccount.objects.get(pk=account.pk)
    assert (stored.last_check_ok, stored.last_check_message) == (False, result.message)


def test_secret_pasted_with_trailing_spaces_is_stripped_so_check_passes(fake_channel, db):
    good = fake_channel.GOOD_CREDENTIALS
    saved = accounts.add_account(
        channel="amazon",
        name="Spaces",
        external_account_id="S1",
        region="eu",
        marketplaces="UK",
        credentials={**good, "client_secret": good["client_secret"] + "   "},
    )
    saved.account.channel = "fake"  # talk to the fake connector instead of Amazon
    saved.account.save()

    assert saved.warnings == (
        "LWA client secret: spaces or line breaks around the value were removed (copy-paste slip?)",
    )
    assert accounts.check_account(saved.account).ok is True


def test_check_of_a_channel_without_connector_explains(make_account):
    account = make_account(channel="carrier-pigeon")
    result = accounts.check_account(account)
    assert result.ok is False
    assert (
        result.message
        == "no connector for channel 'carrier-pigeon': this Stockroom cannot talk to that channel"
    )
