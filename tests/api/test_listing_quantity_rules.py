"""A listing's quantity rules, set and shown with the sentence saying what it sends, through the API and
the CLI (ADR 0015)."""

import io
import json

import pytest
from django.core.management import call_command

from stockroom.access.tokens import create_api_token
from stockroom.channels.models import Listing
from stockroom.core.errors import InvalidInput
from stockroom.inventory.models import PendingStockPush


@pytest.fixture
def admin(client, make_user):
    secret = create_api_token(username=make_user("boss", role="Administrator").username).secret
    headers = {"Authorization": f"Bearer {secret}"}

    class Admin:
        def get(self, path, data=None):
            return client.get(path, data, headers=headers)

        def post(self, path, body):
            return client.post(path, body, content_type="application/json", headers=headers)

    return Admin()


@pytest.fixture
def capped(make_account, make_item, link):
    """An account showing at most 10 of an item with 12 available, on two listings."""
    account = make_account("Capped Shop", max_quantity=10)
    item = make_item("MUG-1", on_hand=12)
    link(account, "CH-MUG", item)
    link(account, "CH-MUG-2", item, percentage=50)
    return account


def cli(*args):
    out = io.StringIO()
    call_command("listings", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_api_lists_what_each_listing_shows_and_why(admin, capped):
    response = admin.get(f"/api/accounts/{capped.pk}/listings")
    assert response.status_code == 200
    rows = {row["channel_sku"]: row for row in response.json()["listings"]}
    assert {sku: (row["shows"], row["why"], row["reserve_held"]) for sku, row in rows.items()} == {
        "CH-MUG": (10, "12 available, shows 10: at most 10", 0),
        "CH-MUG-2": (6, "12 available, shows 6: 50% of 12, rounded down", 0),
    }
    assert rows["CH-MUG-2"]["rules"] == {
        "max_quantity": None,
        "min_level": None,
        "percentage": 50,
        "fixed_quantity": None,
    }
    first = admin.get(f"/api/accounts/{capped.pk}/listings", {"limit": 1}).json()
    assert [row["channel_sku"] for row in first["listings"]] == ["CH-MUG"]
    assert first["next_after"] == "CH-MUG"
    rest = admin.get(f"/api/accounts/{capped.pk}/listings", {"limit": 1, "after": "CH-MUG"}).json()
    assert ([row["channel_sku"] for row in rest["listings"]], rest["next_after"]) == (["CH-MUG-2"], None)


def test_the_api_sets_a_listings_rules_and_the_quantity_is_sent_again(admin, capped):
    PendingStockPush.objects.all().delete()
    response = admin.post(
        f"/api/accounts/{capped.pk}/listings/rules",
        {"channel_sku": "CH-MUG-2", "rules": {"percentage": None, "max_quantity": 4}},
    )
    assert response.status_code == 200
    assert (response.json()["shows"], response.json()["why"]) == (4, "12 available, shows 4: at most 4")
    listing = Listing.objects.get(channel_sku="CH-MUG-2")
    assert (listing.percentage, listing.max_quantity) == (None, 4)
    assert list(PendingStockPush.objects.values_list("item_id", flat=True)) == [listing.stock_item_id]


def test_bad_rules_are_all_refused_and_nothing_is_stored(admin, capped):
    response = admin.post(
        f"/api/accounts/{capped.pk}/listings/rules",
        {"channel_sku": "CH-MUG-2", "rules": {"percentage": 150, "min_level": -1, "colour": 1}},
    )
    assert response.status_code == 400
    assert response.json()["details"]["errors"] == [
        "percentage must be a whole number from 0 to 100, got 150",
        "min_level must be a whole number (0 or more) or empty, got '-1'",
        "unknown quantity rule 'colour'; rules: max_quantity, min_level, percentage, fixed_quantity",
    ]
    assert Listing.objects.get(channel_sku="CH-MUG-2").percentage == 50


def test_account_options_refuse_a_rule_that_is_not_a_whole_number(make_account):
    from stockroom.sync import accounts

    account = make_account()
    with pytest.raises(InvalidInput) as error:
        accounts.set_account_options(account=account, values={"max_quantity": "ten", "percentage": "101"})
    assert error.value.details["errors"] == [
        "max_quantity must be a whole number (0 or more) or empty, got 'ten'",
        "percentage must be a whole number from 0 to 100, got 101",
    ]
    saved = accounts.set_account_options(account=account, values={"max_quantity": " 10 ", "percentage": ""})
    assert (saved.options["max_quantity"], saved.options["percentage"]) == (10, None)


def test_the_cli_shows_and_sets_the_same(capped):
    rows = json.loads(cli("show", "Capped Shop", "--json"))
    assert [(row["channel_sku"], row["shows"], row["why"]) for row in rows] == [
        ("CH-MUG", 10, "12 available, shows 10: at most 10"),
        ("CH-MUG-2", 6, "12 available, shows 6: 50% of 12, rounded down"),
    ]
    assert "12 available, shows 10: at most 10" in cli("show", "Capped Shop")

    text = cli("rules", "Capped Shop", "CH-MUG", "--fixed-quantity", "2", "--max-quantity", "")
    assert text == "Capped Shop: CH-MUG: fixed_quantity 2\n12 available, shows 2: fixed quantity 2\n"
    cleared = json.loads(cli("rules", "Capped Shop", "CH-MUG", "--fixed-quantity", "", "--json"))
    assert (cleared["shows"], cleared["rules"]["fixed_quantity"]) == (10, None)
