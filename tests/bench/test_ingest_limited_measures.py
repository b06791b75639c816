"""The measures of ingest under Amazon's limits: the moment of each call, when searchOrders' burst is
spent, and the burst and the sustained regime told apart from sampled call counts and orders stored."""

from bench.scenarios.ingest_limited import MovedClock, burst_spent, call_moments, per_hour, phases

# a download sampled as (time, successful searchOrders calls, orders stored): the burst of 3 calls
# in the first 2 s (a page of 100 each), then one poll every 10 s
SAMPLES = [
    (0.0, 0, 0),
    (1.0, 2, 100),
    (2.0, 3, 300),
    (3.0, 3, 300),
    (11.0, 3, 300),
    (12.0, 4, 300),
    (13.0, 4, 400),
    (22.0, 5, 450),
    (30.0, 5, 500),
]


def test_each_call_is_placed_at_the_first_sample_that_counted_it():
    assert call_moments(SAMPLES) == [1.0, 1.0, 2.0, 12.0, 22.0]
    assert call_moments([(0.0, 4, 0)]) == []


def test_the_burst_is_spent_when_the_modelled_bucket_holds_less_than_one_request_after_a_call():
    # a bucket of 3 refilled at 0.1/s: 3 - 2 + 0.1 = 1.1 after the first sample, 0.2 after the second
    assert burst_spent(SAMPLES, rate=0.1, burst=3) == (2.0, 3)
    # a bigger bucket is not spent by these calls
    assert burst_spent(SAMPLES, rate=0.1, burst=10) is None


def test_phases_tell_the_burst_from_the_sustained_polls():
    result = phases(SAMPLES, rate=0.1, burst=3)
    assert result == {
        "calls": 5,
        "orders": 500,
        "first_call": 1.0,
        "seconds": 29.0,
        "burst_calls": 3,
        "burst_orders": 300,  # stored before the first call after the burst
        "burst_seconds": 2.0,  # from the sample before the first call to the burst's last page stored
        "sustained_calls": 2,
        "sustained_seconds": 28.0,
        "sustained_orders": 200,
        "first_sustained_after": 10.0,
        "poll_gaps": [10.0],
        # a poll's orders: stored before the next poll (or at the end) minus stored before it
        "per_poll": [100, 100],
    }


def test_a_download_whose_burst_is_never_spent_reports_no_sustained_regime():
    assert phases(SAMPLES, rate=0.1, burst=10) == {
        "calls": 5,
        "orders": 500,
        "first_call": 1.0,
        "seconds": 29.0,
    }
    assert phases([(0.0, 0, 0), (1.0, 0, 0)], rate=0.1, burst=3) == {"calls": 0}


def test_orders_per_hour():
    assert per_hour(100, 180.0) == 2000.0
    assert per_hour(None, 180.0) is None
    assert per_hour(100, 0.0) is None


class _Control:
    def __init__(self):
        self.advanced = []

    def advance_clock(self, seconds):
        self.advanced.append(seconds)


def test_the_moved_clock_moves_the_simulator_instead_of_sleeping():
    control = _Control()
    clock = MovedClock(control)
    before = clock.monotonic()
    clock.sleep(120.0)
    clock.sleep(0)  # nothing to wait: the simulator is not asked
    assert control.advanced == [120.0]
    assert clock.moved == 120.0
    assert clock.monotonic() - before >= 120.0
