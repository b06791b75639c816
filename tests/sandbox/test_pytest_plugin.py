"""The simulators' pytest plugin (stockroom/sandbox/pytest_plugin.py): one simulator process per time scale
for the session, reset with the options' seed before each test, clock frozen when asked."""

import pytest

from stockroom.sandbox.pytest_plugin import SimulatorOptions


def test_the_plugin_gives_a_reset_simulator_with_a_frozen_clock(amazon_simulator, amazon_sim):
    # tests/sandbox/conftest.py asks for time scale 60, seed 1, clock frozen
    assert amazon_simulator.token_url == amazon_simulator.base_url + "/auth/o2/token"
    assert amazon_sim.sellers() == []
    assert amazon_sim.stats() == {}
    assert (amazon_sim.health()["seed"], amazon_sim.health()["time_scale"]) == (1, 60.0)
    assert amazon_sim.clock()["frozen"] is True
    amazon_sim.create_seller("A1PLUGIN")
    assert [s["seller_id"] for s in amazon_sim.sellers()] == ["A1PLUGIN"]


class TestOptionsOverriddenInAModule:
    @pytest.fixture
    def simulator_options(self):
        return SimulatorOptions(seed=7, time_scale=1.0)

    def test_another_time_scale_is_another_process_reset_with_the_seed(self, simulators, amazon_sim):
        assert amazon_sim.health()["seed"] == 7
        assert amazon_sim.health()["time_scale"] == 1.0
        assert amazon_sim.clock()["frozen"] is False
        fast = simulators.get("amazon", time_scale=60.0)
        slow = simulators.get("amazon", time_scale=1.0)
        assert slow.base_url == amazon_sim.base_url != fast.base_url
        assert simulators.get("amazon", time_scale=1.0) is slow  # started once for the session

    def test_state_left_by_a_test_is_gone_in_the_next(self, amazon_sim):
        assert amazon_sim.sellers() == []
        amazon_sim.create_seller("A1LEFTOVER")
