"""The harder connector contract, through the engine and the fake connector: a connector is opened
and closed per run, access tokens outlive a run (kept encrypted per account), credentials a channel
rotates are stored, stock updates carry the listing's own references, and the records crossing the
contract are typed (an enum status, failed records as dataclasses, identifiers as strings)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection

from stockroom.channels.contracts import (
    AuthFailed,
    FailedRecord,
    ListingRefs,
    OrderPage,
    StockUpdate,
    WriteOutcome,
    WriteStatus,
)
from stockroom.channels.models import ChannelAccount, Listing
from stockroom.sync import accounts, engine
from stockroom.sync.registry import connector_for
from stockroom.sync.tokens import AccountTokenCache
from tests.fake_channel import GOOD_CREDENTIALS


def test_every_run_opens_one_connector_and_closes_it_even_when_a_step_fails(fake_account, channel):
    account = fake_account()
    state = channel(account)

    engine.sync_account(account, trigger="cli")
    state.raise_once["fetch_orders"] = AuthFailed("the refresh token was revoked")
    failed = engine.sync_account(account, trigger="cli")

    assert failed.status == "failed"
    assert (state.opened, state.closed) == (2, 2)


def test_a_stock_push_and_an_account_check_close_their_connector(fake_account, channel, make_item, link):
    account = fake_account()
    state = channel(account)
    link(account, "CH-1", make_item(on_hand=4))

    engine.push_changed_stock()
    accounts.check_account(account)
    accounts.import_listings(account)

    assert state.quantities == {"CH-1": 4}
    assert (state.opened, state.closed) == (3, 3)


def test_two_runs_of_one_account_make_one_token_exchange(fake_account, channel):
    first, second = fake_account("A"), fake_account("B")

    engine.sync_account(first, trigger="cli")
    engine.sync_account(first, trigger="schedule")
    engine.sync_account(second, trigger="cli")

    assert (channel(first).exchanges, channel(second).exchanges) == (1, 1)  # per account, across runs


def test_the_token_cache_keeps_tokens_encrypted_and_forgets_them_with_new_credentials(fake_account):
    account = fake_account()
    tokens = AccountTokenCache(account)
    tokens.set("access", "Atza|secret-access-token", expires_at=datetime.now(UTC) + timedelta(minutes=5))

    assert tokens.get("access") == "Atza|secret-access-token"
    stored = [cache.get(key) for key in cache._cache] if hasattr(cache, "_cache") else []
    assert stored and not any("secret-access-token" in str(value) for value in stored)

    account.credentials = {**account.credentials, "refresh_token": "a new one"}
    account.save()
    assert AccountTokenCache(account).get("access") is None
    tokens.forget("access")
    assert tokens.get("access") is None


def test_an_expired_token_is_not_kept(fake_account):
    tokens = AccountTokenCache(fake_account())
    tokens.set("access", "old", expires_at=datetime.now(UTC) - timedelta(seconds=1))

    assert tokens.get("access") is None


def test_credentials_the_channel_rotates_are_stored_encrypted(fake_account, channel):
    account = fake_account()
    state = channel(account)
    state.rotate_every = 1

    engine.sync_account(account, trigger="cli")

    account.refresh_from_db()
    assert account.credentials == {**GOOD_CREDENTIALS, "refresh_token": "refresh-1"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM channels_channelaccount WHERE id = %s", [account.pk])
        (raw,) = cursor.fetchone()
    assert "refresh-1" not in raw and GOOD_CREDENTIALS["client_secret"] not in raw
    # the next run works with the stored credentials (their tokens are new: one more exchange)
    engine.sync_account(account, trigger="cli")
    assert state.exchanges == 2
    account.refresh_from_db()
    assert account.credentials["refresh_token"] == "refresh-2"


def test_stock_updates_carry_the_references_the_listing_import_stored(fake_account, channel, make_item):
    account = fake_account()
    state = channel(account)
    state.quantities = {"CH-R": 0, "CH-PLAIN": 0}
    state.listing_refs = {"CH-R": ListingRefs("offer-77", "item-9", "warehouse-2")}

    accounts.import_listings(account)
    listing = Listing.objects.get(account=account, channel_sku="CH-R")
    assert (listing.offer_ref, listing.inventory_item_ref, listing.location_ref) == (
        "offer-77",
        "item-9",
        "warehouse-2",
    )
    item = make_item("REF-1", on_hand=6)
    Listing.objects.filter(account=account).update(stock_item=item)

    engine.sync_account(account, trigger="cli", steps=("stock",))

    sent = {update.channel_sku: update for update in state.updates}
    assert sent["CH-R"] == StockUpdate("CH-R", 6, refs=ListingRefs("offer-77", "item-9", "warehouse-2"))
    assert sent["CH-PLAIN"].refs == ListingRefs()


def test_an_empty_reference_from_a_later_import_does_not_blank_a_known_one(fake_account, channel):
    account = fake_account()
    state = channel(account)
    state.quantities = {"CH-R": 0}
    state.listing_refs = {"CH-R": ListingRefs("offer-77")}
    accounts.import_listings(account)

    state.listing_refs = {}
    accounts.import_listings(account)

    assert Listing.objects.get(account=account).offer_ref == "offer-77"


def test_outcome_status_is_an_enum_stored_as_the_same_words():
    outcome = WriteOutcome("SKU-1", "pending", submission_ref="FEED-1")

    assert outcome.status is WriteStatus.PENDING
    assert outcome.status == "pending" and str(outcome.status) == "pending"
    assert [s.value for s in WriteStatus] == ["confirmed", "pending", "error", "stale"]
    with pytest.raises(ValueError, match="'done' is not a valid WriteStatus"):
        WriteOutcome("SKU-1", "done")


def test_identifiers_are_opaque_strings():
    with pytest.raises(TypeError, match=r"WriteOutcome.key must be a string, got int"):
        WriteOutcome(12345, WriteStatus.CONFIRMED)
    with pytest.raises(TypeError, match=r"FailedRecord.external_id must be a string, got int"):
        FailedRecord(12345, "unreadable")
    with pytest.raises(TypeError, match=r"StockUpdate.channel_sku must be a string"):
        StockUpdate(7, 1)
    with pytest.raises(TypeError, match=r"ListingRefs.offer_ref must be a string"):
        ListingRefs(offer_ref=99)
    with pytest.raises(TypeError, match="OrderPage.next_cursor is an opaque string"):
        OrderPage((), next_cursor=42)


def test_failed_records_are_dataclasses_not_tuples():
    record = FailedRecord("X-1", "OrderTotal is not a number", "<Order/>")

    assert (record.external_id, record.message, record.raw) == (
        "X-1",
        "OrderTotal is not a number",
        "<Order/>",
    )
    with pytest.raises(TypeError, match="OrderPage.failed holds FailedRecord values only"):
        OrderPage((), None, failed=(("X-1", "why", "raw"),))
    with pytest.raises(TypeError, match="OrderPage.unreadable holds FailedRecord values only"):
        OrderPage((), None, unreadable=(("report 1", "why", ""),))


def test_a_connector_is_a_context_manager(fake_account, channel):
    account = fake_account()

    with connector_for(account) as connector:
        assert channel(account).closed == 0
        assert connector.config.account_id == account.pk

    assert channel(account).closed == 1
    assert ChannelAccount.objects.get(pk=account.pk).credentials == GOOD_CREDENTIALS
