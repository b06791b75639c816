"""Accounts against the Amazon SP-API simulator, over real HTTP: add, Check API, import listings."""

import io
import itertools
import json
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stockroom.channels.models import ChannelAccount, Listing
from stockroom.sync import accounts

UK, DE = "A1F83G8C2ARO7P", "A1PA6795UKMFR9"
_sellers = itertools.count(1)


@pytest.fixture
def seller(control):
    return control.create_seller(f"A{next(_sellers):04d}ACCTSELLER", marketplaces=[UK, DE])


def add_account(sim, seller, *, name="Sim Shop", marketplaces="UK,DE", **secrets):
    fields = {key: seller[key] for key in ("client_id", "client_secret", "refresh_token")}
    fields.update(secrets)
    return accounts.add_account(
        channel="amazon",
        name=name,
        external_account_id=seller["seller_id"],
        region="eu",
        marketplaces=marketplaces,
        endpoint=sim.base_url,
        token_url=sim.token_url,
        credentials=fields,
    )


def test_secret_pasted_with_trailing_spaces_is_stripped_with_a_warning_and_check_passes(
    sim, control, seller, db, caplog
):
    caplog.set_level(logging.DEBUG)
    control.create_listing(seller["seller_id"], "SKU-1", quantity=10)
    for _ in range(2):
        control.place_order(
            seller["seller_id"],
            marketplace_id=UK,
            items=[{"sku": "SKU-1", "quantity": 1, "unit_price": "9.99"}],
            status="Unshipped",
        )
    control.advance_clock(180)  # Amazon lists orders at least two minutes old

    saved = add_account(sim, seller, client_secret=seller["client_secret"] + "  ")
    result = accounts.check_account(saved.account)

    assert saved.warnings == (
        "LWA client secret: spaces or line breaks around the value were removed (copy-paste slip?)",
    )
    assert result.ok, result.message
    assert (result.marketplaces, result.orders_waiting) == (("UK", "DE"), 2)
    assert (
        result.message
        == f"Connected to Amazon as seller {seller['seller_id']} on UK, DE. 2 orders to download."
    )
    stored = ChannelAccount.objects.get(pk=saved.account.pk)
    assert (stored.last_check_ok, stored.last_check_message) == (True, result.message)
    for key in ("client_secret", "refresh_token"):
        assert seller[key] not in caplog.text


def test_wrong_client_secret_fails_check_naming_the_cause(sim, control, seller, db):
    saved = add_account(sim, seller, client_secret="not-the-secret")

    result = accounts.check_account(saved.account)

    assert result.ok is False
    assert result.message.startswith(
        "Amazon refused the app's LWA client id or client secret (invalid_client)"
    )
    stored = ChannelAccount.objects.get(pk=saved.account.pk)
    assert (stored.last_check_ok, stored.last_check_message) == (False, result.message)


def test_wrong_refresh_token_fails_check_naming_the_cause(sim, control, seller, db):
    saved = add_account(sim, seller, refresh_token="Atzr|revoked")
    result = accounts.check_account(saved.account)
    assert result.ok is False
    assert result.message.startswith("Amazon refused the refresh token (invalid_grant)")


def test_cli_check_against_the_simulator(sim, control, seller, db):
    saved = add_account(sim, seller, name="Cli Sim")
    out = io.StringIO()
    call_command("account", "check", "Cli Sim", "--json", stdout=out, stderr=io.StringIO())
    data = json.loads(out.getvalue())
    assert (data["ok"], data["marketplaces"], data["orders_waiting"]) == (True, ["UK", "DE"], 0)
    assert seller["client_secret"] not in out.getvalue()

    ChannelAccount.objects.filter(pk=saved.account.pk).update(credentials={**seller, "client_id": "other"})
    with pytest.raises(CommandError, match=r"Cli Sim: check failed: Amazon refused the app's LWA client id"):
        call_command("account", "check", "Cli Sim", stdout=io.StringIO(), stderr=io.StringIO())


def test_import_listings_from_the_simulator_and_link_all(sim, control, seller, make_item):
    control.create_listing(seller["seller_id"], "MUG-1", quantity=4, asin="B0MUG00001")
    control.create_listing(
        seller["seller_id"], "FBA-CUP", quantity=0, asin="B0CUP00001", fulfillment_channel="AMAZON_EU"
    )
    control.create_listing(seller["seller_id"], "ORPHAN", quantity=1, asin="B0ORP00001")
    make_item("MUG-1")
    make_item("FBA-CUP")
    account = add_account(sim, seller).account

    result = accounts.import_listings(account)

    assert (result.created, result.updated, result.failed) == (3, 0, ())
    rows = {
        row[0]: row[1:]
        for row in Listing.objects.filter(account=account).values_list(
            "channel_sku", "external_ref", "fulfilled_by_channel", "stock_item"
        )
    }
    assert rows == {
        "MUG-1": ("B0MUG00001", False, None),
        "FBA-CUP": ("B0CUP00001", True, None),
        "ORPHAN": ("B0ORP00001", False, None),
    }
    assert [m.channel_sku for m in result.suggestions] == ["FBA-CUP", "MUG-1"]
    from stockroom.channels import selectors, services

    preview = selectors.identical_sku_matches(account)
    linked = services.link_identical_skus(
        account=account, listing_ids=[m.listing_id for m in preview.matches]
    )
    assert linked.linked == preview.matches
    assert preview.unmatched == ("ORPHAN",)
