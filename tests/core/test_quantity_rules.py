"""The pure function behind every listing's quantity: rules, the reserve and the sentence (ADR 0015)."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockroom.channels.quantity_rules import (
    ChannelPace,
    QuantityRules,
    Reserve,
    listing_quantity,
    reserve_for,
    reserve_sentence,
    reserve_shares,
)

counts = st.integers(min_value=0, max_value=10_000)
maybe_counts = st.none() | counts
percentages = st.none() | st.integers(min_value=0, max_value=100)
rules = st.builds(
    QuantityRules,
    max_quantity=maybe_counts,
    min_level=maybe_counts,
    percentage=percentages,
    fixed_quantity=st.none(),
)
paces = st.lists(
    st.builds(
        ChannelPace,
        account_id=st.integers(min_value=1, max_value=10_000),
        account_name=st.sampled_from(["Shop A", "Shop B", "Shop C"]),
        delay_seconds=st.floats(min_value=0, max_value=86_400, allow_nan=False),
        units_per_day=st.floats(min_value=0, max_value=500, allow_nan=False),
    ),
    max_size=5,
    unique_by=lambda pace: pace.account_id,
)
# with what each listing shows now and, on a channel that shows a new quantity late, shows whatever is sent
shown_paces = st.lists(
    st.builds(
        ChannelPace,
        account_id=st.integers(min_value=1, max_value=10_000),
        account_name=st.just("Shop"),
        delay_seconds=st.floats(min_value=0, max_value=3_600, allow_nan=False),
        units_per_day=st.floats(min_value=0, max_value=500, allow_nan=False),
        visible_after_seconds=st.sampled_from([0.0, 120.0, 900.0]),
        showing=st.none() | st.integers(min_value=0, max_value=20),
        committed=st.integers(min_value=0, max_value=20),
    ),
    max_size=5,
    unique_by=lambda pace: pace.account_id,
)


@pytest.mark.parametrize(
    ("available", "rules", "quantity", "reason"),
    [
        (12, QuantityRules(), 12, "12 available, shows 12"),
        (12, QuantityRules(max_quantity=10), 10, "12 available, shows 10: at most 10"),
        (8, QuantityRules(max_quantity=10), 8, "8 available, shows 8"),
        (3, QuantityRules(min_level=3), 0, "3 available, shows 0: at or below the minimum level 3"),
        (4, QuantityRules(min_level=3), 4, "4 available, shows 4"),
        (11, QuantityRules(percentage=50), 5, "11 available, shows 5: 50% of 11, rounded down"),
        (0, QuantityRules(fixed_quantity=5), 5, "0 available, shows 5: fixed quantity 5"),
        (
            12,
            QuantityRules(ignore=True, max_quantity=1),
            None,
            "12 available, not sent: the listing is ignored",
        ),
        (
            40,
            QuantityRules(percentage=50, max_quantity=10),
            10,
            "40 available, shows 10: 50% of 40, rounded down; at most 10",
        ),
        (-3, QuantityRules(), 0, "0 available, shows 0"),
    ],
)
def test_each_rule_shows_its_quantity_and_says_why(available, rules, quantity, reason):
    shown = listing_quantity(available, rules)
    assert (shown.quantity, shown.reason) == (quantity, reason)


def test_the_reserve_says_for_whom_and_why():
    other = ChannelPace(account_id=2, account_name="Shop B", delay_seconds=120, units_per_day=3)
    shown = listing_quantity(2, QuantityRules(), Reserve(held=1, for_accounts=(other,)))
    assert shown.quantity == 1
    assert shown.reason == (
        "2 available, shows 1: 1 held for Shop B (orders arrive up to 2 min late, sells 3 a day)"
    )
    assert shown.reserve == Reserve(held=1, for_accounts=(other,))


def test_rules_of_a_listing_override_the_accounts_only_where_set():
    account = QuantityRules(max_quantity=10, percentage=50)
    assert account.overridden_by({"max_quantity": 3, "percentage": None, "min_level": 1}) == QuantityRules(
        max_quantity=3, percentage=50, min_level=1
    )


@given(available=st.integers(min_value=-50, max_value=10_000), rules=rules, held=counts)
def test_a_quantity_is_never_negative_and_never_more_than_available(available, rules, held):
    shown = listing_quantity(available, rules, Reserve(held=held))
    assert 0 <= shown.quantity <= max(available, 0)
    assert shown.reason.startswith(f"{max(available, 0)} available, shows {shown.quantity}")


@given(available=counts, rules=rules)
def test_each_rule_holds(available, rules):
    quantity = listing_quantity(available, rules).quantity
    if rules.max_quantity is not None:
        assert quantity <= rules.max_quantity
    if rules.min_level is not None and available <= rules.min_level:
        assert quantity == 0
    if rules.percentage is not None and rules.max_quantity is None and (rules.min_level or -1) < available:
        assert quantity == available * rules.percentage // 100


@given(available=counts, rules=rules)
def test_more_stock_never_shows_less(available, rules):
    assert listing_quantity(available + 1, rules).quantity >= listing_quantity(available, rules).quantity


@given(available=counts, fixed=counts, rules=rules, held=counts)
def test_a_fixed_quantity_shows_whatever_is_available(available, fixed, rules, held):
    fixed_rules = QuantityRules(**{**rules.__dict__, "fixed_quantity": fixed})
    assert listing_quantity(available, fixed_rules, Reserve(held=held)).quantity == fixed


@given(available=counts, paces=paces)
def test_low_stock_is_shared_out_and_never_shown_twice(available, paces):
    shares = reserve_shares(available, paces)
    may_sell = sum(pace.may_sell for pace in paces)
    if may_sell <= available:
        # not low: every listing shows everything
        assert shares == {}
        assert all(reserve_for(p.account_id, available, paces) == Reserve() for p in paces)
        return
    assert sum(shares.values()) == available
    assert all(0 <= shares[p.account_id] <= p.may_sell for p in paces)
    shown = [
        listing_quantity(available, QuantityRules(), reserve_for(p.account_id, available, paces))
        for p in paces
    ]
    # what the listings show adds up to what is available: no unit can sell twice
    assert sum(s.quantity for s in shown) == available
    assert [s.quantity for s in shown] == [shares[p.account_id] for p in paces]


@given(available=st.integers(min_value=0, max_value=40), paces=shown_paces)
def test_what_buyers_can_see_at_low_stock_never_adds_up_to_more_than_is_available(available, paces):
    shares = reserve_shares(available, paces)
    if not shares:
        assert sum(p.may_sell for p in paces) <= available
        return
    assert sum(shares.values()) <= available
    assert all(0 <= shares[p.account_id] <= p.may_sell for p in paces)
    # a listing shows the larger of its share and what it still shows whatever is sent: together no more
    # than is available, unless what still shows is already more (then no one else gets a unit)
    seen = sum(max(shares[p.account_id], p.committed) for p in paces)
    committed = sum(p.committed for p in paces)
    assert seen <= max(available, committed)
    if committed >= available:
        assert all(shares[p.account_id] <= p.committed for p in paces)
    elif all(p.committed == 0 for p in paces):
        assert sum(shares.values()) == available


def test_the_fastest_seller_keeps_the_last_unit_and_the_others_show_0():
    fast = ChannelPace(account_id=2, account_name="Shop B", delay_seconds=600, units_per_day=20)
    slow = ChannelPace(account_id=1, account_name="Shop A", delay_seconds=120, units_per_day=2)
    assert (fast.may_sell, slow.may_sell) == (1, 1)
    assert reserve_shares(1, [slow, fast]) == {2: 1, 1: 0}
    assert reserve_for(1, 1, [slow, fast]) == Reserve(held=1, for_accounts=(fast,))
    assert reserve_for(2, 1, [slow, fast]) == Reserve()
    # two units: each keeps what it may sell, nothing is held
    assert reserve_shares(2, [slow, fast]) == {}


def test_an_account_that_has_not_sold_an_item_may_still_sell_one():
    # any account listing an item can sell a unit while another does: each may sell at least one
    idle = ChannelPace(account_id=1, account_name="Shop A", delay_seconds=120, units_per_day=0)
    unmeasured = ChannelPace(account_id=2, account_name="Shop B", delay_seconds=0, units_per_day=5)
    assert (idle.may_sell, unmeasured.may_sell) == (1, 1)
    # so the last unit goes to one of them (the faster seller), two units to both
    assert reserve_shares(1, [idle, unmeasured]) == {2: 1, 1: 0}
    assert reserve_shares(2, [idle, unmeasured]) == {}


def test_the_time_a_channel_takes_to_show_a_quantity_counts_in_what_it_may_sell():
    # 12 a day over 1 h of order delay is 0.5 units; with 2 h more before a new quantity shows, 1.5 -> 2
    quick = ChannelPace(account_id=1, account_name="Shop", delay_seconds=3600, units_per_day=12)
    slow = replace(quick, visible_after_seconds=7200)
    assert (quick.may_sell, slow.may_sell) == (1, 2)
    assert reserve_sentence(Reserve(held=1, for_accounts=(slow,))) == (
        "1 held for Shop (orders arrive up to 60 min late, shows a new quantity 2 h later, sells 12 a day)"
    )


def test_units_a_slow_channel_still_shows_are_not_given_to_another_until_it_stops_showing_them():
    # Amazon A was sent 1 (from 2) a moment ago and shows 2 for two more minutes; eBay and the shop show 0
    amazon = ChannelPace(
        account_id=3,
        account_name="Amazon A",
        delay_seconds=5,
        units_per_day=1,
        visible_after_seconds=120,
        showing=1,
        committed=2,
    )
    ebay = ChannelPace(account_id=1, account_name="eBay", delay_seconds=60, units_per_day=9, showing=0)
    shop = ChannelPace(account_id=2, account_name="Shop", delay_seconds=1, units_per_day=2, showing=0)
    # 2 available: Amazon keeps 1, and no one is raised while its 2 still show
    assert reserve_shares(2, [ebay, shop, amazon]) == {3: 1, 1: 0, 2: 0}
    assert reserve_for(1, 2, [ebay, shop, amazon]) == Reserve(held=2, for_accounts=(amazon,))
    # once its 1 shows, the other unit goes to the faster of the others
    settled = replace(amazon, committed=1)
    assert reserve_shares(2, [ebay, shop, settled]) == {3: 1, 1: 1, 2: 0}


def test_a_unit_stays_with_the_channel_that_shows_it_rather_than_move_to_a_faster_one():
    # A sold its unit (shows 0), B still shows 1: the last unit stays on B, though A sells faster
    sold = ChannelPace(account_id=1, account_name="A", delay_seconds=60, units_per_day=9, showing=0)
    holder = ChannelPace(account_id=2, account_name="B", delay_seconds=60, units_per_day=1, showing=1)
    assert reserve_shares(1, [sold, holder]) == {2: 1, 1: 0}
