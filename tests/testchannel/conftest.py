"""The test channel's one registry line, and its simulator started from what the spec names."""

import itertools

import pytest
from django.utils.module_loading import import_string

from stockroom.sandbox.pytest_plugin import reset_control
from stockroom.sync import registry

# The one line that adds the channel (merged by the registry over its built-in connectors).
REGISTRY_LINE = {"teststore": "tests.testchannel.connector.connector.TestStoreConnector"}

_shops = itertools.count(1)


@pytest.fixture(autouse=True)
def teststore_registered(settings):
    settings.STOCKROOM_CONNECTORS = {**settings.STOCKROOM_CONNECTORS, **REGISTRY_LINE}


@pytest.fixture
def teststore_sim(simulators, simulator_options):
    """The Test Store simulator (the process class the channel's spec names), reset for the test."""
    process_class = import_string(registry.channel_spec("teststore").simulator)
    simulators.get("teststore", time_scale=simulator_options.time_scale, process_class=process_class)
    control = simulators.control("teststore", time_scale=simulator_options.time_scale)
    return reset_control(control, simulator_options)


@pytest.fixture
def new_shop(teststore_sim):
    def make(prefix="shop"):
        return teststore_sim.create_shop(f"{prefix}{next(_shops)}")

    return make
