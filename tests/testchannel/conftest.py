"""The test channel registered (its one line) for every test here, and its simulator's fixtures."""

import itertools

import pytest

from tests.testchannel.channel import register, simulator_control

_shops = itertools.count(1)


@pytest.fixture(autouse=True)
def teststore_registered(settings):
    register(settings)


@pytest.fixture
def teststore_sim(simulators, simulator_options):
    return simulator_control(simulators, simulator_options)


@pytest.fixture
def new_shop(teststore_sim):
    def make(prefix="shop"):
        return teststore_sim.create_shop(f"{prefix}{next(_shops)}")

    return make
