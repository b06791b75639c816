"""The pure function behind every listing's quantity: rules, the reserve and the sentence (ADR 0015)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockroom.channels.quantity_rules import (
    ChannelPace,
    QuantityRules,
    Reserve,
    listing_quantity,
    reserve_for,
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


def test_the_fastest_seller_keeps_the_last_unit_and_the_others_show_0():
    fast = ChannelPace(account_id=2, account_name="Shop B", delay_seconds=600, units_per_day=20)
    slow = ChannelPace(account_id=1, account_name="Shop A", delay_seconds=120, units_per_day=2)
    assert (fast.may_sell, slow.may_sell) == (1, 1)
    assert reserve_shares(1, [slow, fast]) == {2: 1, 1: 0}
    assert reserve_for(1, 1, [slow, fast]) == Reserve(held=1, for_accounts=(fast,))
    assert reserve_for(2, 1, [slow, fast]) == Reserve()
    # two units: each keeps what it may sell, nothing is held
    assert reserve_shares(2, [slow, fast]) == {}


def test_an_account_that_does_not_sell_an_item_reserves_nothing_for_it():
    idle = ChannelPace(account_id=1, account_name="Shop A", delay_seconds=120, units_per_day=0)
    unmeasured = ChannelPace(account_id=2, account_name="Shop B", delay_seconds=0, units_per_day=5)
    assert (idle.may_sell, unmeasured.may_sell) == (0, 0)
    assert reserve_shares(1, [idle, unmeasured]) == {}
