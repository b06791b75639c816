"""The ingest benchmark's measures: the rate over each half of the orders, and what one account can
download under Amazon's searchOrders limits."""

import pytest

from bench.scenarios.ingest import half_rates, orders_per_hour_under_amazon_limits


def test_the_rate_of_each_half_interpolates_the_moment_half_the_orders_were_stored():
    # 100 orders by 1 s, 300 by 3 s: the 200th at 2 s; the last 200 took 2 s more
    assert half_rates([(100, 11.0), (300, 13.0)], 10.0, 14.0, 400) == (100.0, 100.0)
    # a run slowing down: first half in 1 s, second half in 3 s
    assert half_rates([(50, 10.5), (100, 11.0), (150, 12.5)], 10.0, 14.0, 200) == (
        100.0,
        pytest.approx(100 / 3),
    )
    # no sample at all: the start and the end alone
    assert half_rates([], 0.0, 4.0, 8) == (2.0, 2.0)


def test_orders_per_hour_follow_amazons_search_orders_usage_plan():
    # 0.0056 calls/s, burst 20, pages of 100: 20.16 refills an hour
    assert orders_per_hour_under_amazon_limits() == (4016, 2016)
