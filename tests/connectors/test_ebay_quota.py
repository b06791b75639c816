"""eBay stock pushes within the limits of a day: each listing's 250 revisions (reported as writes left,
rises held when they run low, a drop to 0 never) and the app's daily Inventory API calls (planned: the most
important changes first, a spent quota ends cleanly without a call)."""

from __future__ import annotations

import pytest

from stockroom.channels.contracts import ListingRefs, StockUpdate, WriteStatus
from stockroom.channels.models import ChannelAccount
from stockroom.sync import registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_account(ebay_sim, ebay_simulator):
    seller = ebay_sim.create_seller("quota_seller")

    def make(**options) -> ChannelAccount:
        return ChannelAccount.objects.create(
            channel="ebay",
            name="Quota eBay",
            external_account_id="quota_seller",
            marketplaces=["EBAY_GB"],
            options={"inventory_update": True, **options},
            credentials={k: seller[k] for k in ("client_id", "client_secret", "ru_name", "refresh_token")},
            endpoint=ebay_simulator.base_url,
        )

    return make


def calls(ebay_sim) -> int:
    return ebay_sim.stats().get("quota_seller", {}).get("bulkUpdatePriceQuantity", {}).get("calls", 0)


def test_with_few_revisions_left_a_rise_waits_a_drop_goes_and_each_says_what_is_left(ebay_sim, make_account):
    listing = ebay_sim.create_listing("quota_seller", "MUG", quantity=9)
    refs = ListingRefs(offer_ref=listing["offer_id"], inventory_item_ref="MUG")
    with registry.connector_for(make_account(revision_reserve=20)) as ebay:
        ebay._set_count(ebay._revisions_key(StockUpdate("MUG", 0, refs=refs)), 212)  # 38 left: <= 2 x 20
        (rise,) = ebay.push_stock([StockUpdate("MUG", 12, refs=refs, last_quantity=9)])
        (drop,) = ebay.push_stock([StockUpdate("MUG", 7, refs=refs, last_quantity=9)])
    assert (rise.status, rise.retryable, rise.writes_left) == (WriteStatus.ERROR, True, 38)
    assert rise.message == (
        "held back: 38 of eBay's 250 revisions of this listing left today, kept for drops; sent tomorrow (UTC)"
    )
    assert (drop.status, drop.writes_left) == (WriteStatus.CONFIRMED, 37)
    assert drop.message.startswith("37 of eBay's 250 revisions of this listing left today;")
    assert drop.writes_reset_at.hour == 0 and drop.writes_reset_at.utcoffset().total_seconds() == 0
    assert ebay_sim.listing("quota_seller", "MUG")["quantity"] == 7
    assert calls(ebay_sim) == 1


def test_no_revision_left_holds_even_a_drop_to_zero_without_a_call(ebay_sim, make_account):
    ebay_sim.create_listing("quota_seller", "MUG", quantity=9)
    with registry.connector_for(make_account()) as ebay:
        ebay._set_count(ebay._revisions_key(StockUpdate("MUG", 0)), 250)
        (held,) = ebay.push_stock([StockUpdate("MUG", 0, last_quantity=9)])
    assert (held.status, held.retryable, held.writes_left) == (WriteStatus.ERROR, True, 0)
    assert "none of eBay's 250 revisions of this listing is left today" in held.message
    assert calls(ebay_sim) == 0


def test_the_calls_left_carry_the_most_important_changes_and_a_spent_quota_makes_no_call(
    ebay_sim, make_account
):
    for n in range(60):
        ebay_sim.create_listing("quota_seller", f"SKU-{n:02d}", quantity=50)
    # 20 rises, 20 small drops, 10 big drops, 10 drops to 0: 60 changes for 2 calls of 25
    updates = (
        [StockUpdate(f"SKU-{n:02d}", 60, last_quantity=50) for n in range(20)]
        + [StockUpdate(f"SKU-{n:02d}", 49, last_quantity=50) for n in range(20, 40)]
        + [StockUpdate(f"SKU-{n:02d}", 5, last_quantity=50) for n in range(40, 50)]
        + [StockUpdate(f"SKU-{n:02d}", 0, last_quantity=50) for n in range(50, 60)]
    )
    with registry.connector_for(make_account(daily_call_quota=2, call_reserve=0)) as ebay:
        outcomes = {o.key: o for o in ebay.push_stock(updates)}
        assert calls(ebay_sim) == 2
        sent = {sku for sku, o in outcomes.items() if o.status == WriteStatus.CONFIRMED}
        held = {sku for sku, o in outcomes.items() if o.status == WriteStatus.ERROR}
        assert sent == {f"SKU-{n:02d}" for n in range(20, 60)} | {f"SKU-{n:02d}" for n in range(10)}
        assert held == {f"SKU-{n:02d}" for n in range(10, 20)}
        assert {outcomes[sku].message for sku in held} == {
            "held back: 2 of the day's 2 Inventory API calls left, used for bigger drops; "
            "sent when calls are left (after midnight UTC)"
        }
        assert all(outcomes[sku].retryable for sku in held)
        (spent,) = ebay.push_stock([StockUpdate("SKU-10", 0, last_quantity=50)])
    assert (spent.status, spent.retryable) == (WriteStatus.ERROR, True)
    assert spent.message == (
        "held back: eBay's daily Inventory API call limit (2) is spent; sent when calls are left (after midnight UTC)"
    )
    assert calls(ebay_sim) == 2
    assert ebay_sim.listing("quota_seller", "SKU-55")["quantity"] == 0
    assert ebay_sim.listing("quota_seller", "SKU-15")["quantity"] == 50


def test_with_few_calls_left_only_drops_go_and_the_seller_is_told(ebay_sim, make_account):
    for sku in ("UP", "DOWN"):
        ebay_sim.create_listing("quota_seller", sku, quantity=5)
    with registry.connector_for(make_account(daily_call_quota=10, call_reserve=3)) as ebay:
        ebay._set_count("inventory_calls", 7)  # 3 left
        outcomes = {
            o.key: o
            for o in ebay.push_stock(
                [StockUpdate("UP", 8, last_quantity=5), StockUpdate("DOWN", 2, last_quantity=5)]
            )
        }
    assert outcomes["UP"].status == WriteStatus.ERROR
    assert outcomes["UP"].message.startswith(
        "held back: 3 of the day's 10 Inventory API calls left, kept for drops"
    )
    assert outcomes["DOWN"].status == WriteStatus.CONFIRMED
    assert outcomes["DOWN"].message == (
        "2 of the day's 10 eBay Inventory API calls left: only drops are sent until midnight UTC"
    )
    assert calls(ebay_sim) == 1


def test_eBays_429_ends_the_push_cleanly_without_another_call_and_a_later_run_tries_once(
    ebay_sim, make_account
):
    ebay_sim.configure(daily_quotas={"inventory": 1})
    for n in range(60):
        ebay_sim.create_listing("quota_seller", f"SKU-{n:02d}", quantity=5)
    updates = [StockUpdate(f"SKU-{n:02d}", 0, last_quantity=5) for n in range(60)]
    with registry.connector_for(make_account()) as ebay:
        first = ebay.push_stock(updates[:25])
        second = ebay.push_stock(updates)
        third = ebay.push_stock(updates[:1])
    assert {o.status for o in first} == {WriteStatus.CONFIRMED}
    assert len(second) == 60 and all(o.status == WriteStatus.ERROR and o.retryable for o in second)
    assert second[0].message.startswith("eBay's daily call limit for bulkUpdatePriceQuantity is reached")
    assert second[-1].message == (
        "held back: eBay's daily Inventory API call limit is reached (eBay answered 429); a later run tries again"
    )
    assert (third[0].status, third[0].retryable) == (WriteStatus.ERROR, True)
    # one call per push: the one that went through, then one refused call for each later push
    assert ebay_sim.stats()["quota_seller"]["bulkUpdatePriceQuantity"] == {
        "calls": 3,
        "throttled": 2,
        "faults": 0,
    }
    assert ebay_sim.listing("quota_seller", "SKU-30")["quantity"] == 5


def test_the_quota_options_take_whole_numbers_and_name_a_bad_value():
    from stockroom.channels.spec import InvalidOption
    from stockroom.connectors.ebay.spec import SPEC

    options = {option.key: option for option in SPEC.options}
    assert options["daily_call_quota"].clean("5,000") == 5000
    assert options["daily_call_quota"].default == 2_000_000
    assert options["call_reserve"].clean(0) == 0
    with pytest.raises(
        InvalidOption, match=r"daily_call_quota must be a whole number from 1 to 1,000,000,000, got '0'"
    ):
        options["daily_call_quota"].clean("0")
    with pytest.raises(
        InvalidOption, match=r"call_reserve must be a whole number from 0 to 1,000,000, got 'many'"
    ):
        options["call_reserve"].clean("many")
