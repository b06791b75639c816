"""The propagation benchmark's measures, on hand-made histories: what a listing showed, how long an
order took to reach the other accounts (applied, visible, or no push needed), oversold units order by
order, and when Amazon's searchOrders burst was spent."""

from bench.scenarios.propagation import (
    Listing,
    order_propagation,
    oversold_by_order,
    poll_gaps,
    quantity_at,
    split_history,
    sustained_from,
)


def test_a_listing_shows_its_last_change_at_or_before_the_moment():
    timeline = [(10.0, 5), (20.0, 0), (30.0, 3)]
    assert quantity_at(timeline, 5.0, 7) == 7  # before any change: the starting quantity
    assert quantity_at(timeline, 10.0, 7) == 5
    assert quantity_at(timeline, 25.0, 7) == 0
    assert quantity_at(timeline, 99.0, 7) == 3
    assert quantity_at([], 1.0, 2) == 2


def test_the_history_splits_into_what_showed_and_what_amazon_applied_before_its_delay():
    history = [
        {"at": "2026-01-01T00:00:00Z", "quantity": 60, "source": "control:create"},
        {"at": "2026-01-01T00:00:10Z", "quantity": 59, "source": "order:202-1"},
        {"at": "2026-01-01T00:02:30Z", "quantity": 58, "source": "patch:abc"},
        {"at": "2026-01-01T00:03:00Z", "quantity": 57, "source": "feed:42"},
        {"at": "2026-01-01T00:03:05Z", "quantity": 58, "source": "cancel:202-1"},
    ]
    base = 1767225600.0  # 2026-01-01T00:00:00Z
    visible, applied = split_history(history, delay=120, offset=0)
    assert visible == [(base, 60), (base + 10, 59), (base + 150, 58), (base + 180, 57), (base + 185, 58)]
    assert applied == [(base + 30, 58), (base + 60, 57)]
    # the simulator's clock offset is taken off every moment
    visible, applied = split_history(history[:3], delay=120, offset=100)
    assert visible == [(base - 100, 60), (base - 90, 59), (base + 50, 58)]
    assert applied == [(base - 70, 58)]


def test_an_order_propagates_when_its_slowest_other_listing_is_applied_and_then_visible():
    fast = Listing(start=10, visible=[(1130.0, 7)], applied=[(1010.0, 7)])
    slow = Listing(start=10, visible=[(1145.0, 6)], applied=[(1025.0, 6)])
    assert order_propagation(1000.0, [(fast, 7), (slow, 7)]) == ("propagated", 25.0, 145.0)


def test_an_order_whose_other_listings_already_showed_enough_is_counted_apart_not_as_zero():
    # an earlier order of the SKU brought the listing to 0 before this one came in
    empty = Listing(start=2, visible=[(900.0, 0)], applied=[(780.0, 0)])
    assert order_propagation(1000.0, [(empty, 0), (empty, 0)]) == ("no push needed", None, None)
    # one listing already low, the other still to push: timed by the one that needed it
    needs = Listing(start=2, visible=[(1140.0, 0)], applied=[(1020.0, 0)])
    assert order_propagation(1000.0, [(empty, 0), (needs, 0)]) == ("propagated", 20.0, 140.0)


def test_an_order_whose_quantity_never_showed_is_never_or_applied_but_not_visible():
    above = Listing(start=10, visible=[], applied=[])
    assert order_propagation(1000.0, [(above, 5)]) == ("never", None, None)
    waiting = Listing(start=10, visible=[], applied=[(1010.0, 5)])
    assert order_propagation(1000.0, [(waiting, 5)]) == ("applied, not visible", 10.0, None)
    # a push of a quantity still too high does not count
    too_high = Listing(start=10, visible=[(1130.0, 6)], applied=[(1010.0, 6)])
    assert order_propagation(1000.0, [(too_high, 5)]) == ("never", None, None)


def test_a_listing_brought_down_by_its_own_orders_counts_from_when_it_showed_it():
    own_sale = Listing(start=3, visible=[(1040.0, 1)], applied=[])
    assert order_propagation(1000.0, [(own_sale, 1)]) == ("propagated", 40.0, 40.0)


def test_oversold_units_are_found_order_by_order_across_accounts():
    start = {"A": 2, "B": 5}
    sales = [
        (3.0, "o3", "A", 1),  # third unit of A: 1 over
        (1.0, "o1", "A", 1),
        (2.0, "o2", "A", 1),
        (2.0, "o2", "B", 4),
        (4.0, "o4", "B", 2),  # 4 + 2 of 5: 1 over
        (4.0, "o4", "A", 2),  # A is already over: both units
        (5.0, "o5", "B", 1),
    ]
    assert oversold_by_order(sales, start) == {"o3": 1, "o4": 3, "o5": 1}
    assert oversold_by_order([(1.0, "o1", "A", 2)], start) == {}
    assert oversold_by_order([], start) == {}


def test_the_sustained_regime_starts_when_amazons_bucket_holds_less_than_one_token_after_a_call():
    # a poll a minute: each costs one token, a minute refills 0.336: 20 tokens last 29 polls
    samples = [(0.0, 0)] + [(60.0 * n, n) for n in range(1, 40)]
    assert sustained_from(samples, rate=0.0056, burst=20) == 60.0 * 29
    assert sustained_from(samples[:29], rate=0.0056, burst=20) is None
    assert sustained_from([], rate=0.0056, burst=20) is None
    # at Amazon's rate or slower the burst is never spent
    slow = [(0.0, 0)] + [(200.0 * n, n) for n in range(1, 40)]
    assert sustained_from(slow, rate=0.0056, burst=20) is None


def test_poll_gaps_are_the_times_between_sampled_increases_after_a_moment():
    samples = [(0.0, 0), (5.0, 1), (10.0, 1), (185.0, 2), (190.0, 2), (370.0, 4)]
    assert poll_gaps(samples, after=0.0) == [180.0, 185.0]
    assert poll_gaps(samples, after=100.0) == [185.0]
