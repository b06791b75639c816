"""How the test channel joins Stockroom: its one registry line, and its simulator started from what its
spec names (used by tests/testchannel/conftest.py and the contract suite's harness)."""

from django.utils.module_loading import import_string

from stockroom.sandbox.pytest_plugin import reset_control
from stockroom.sync import registry

# The one line that adds the channel (merged by the registry over its built-in connectors).
REGISTRY_LINE = {"teststore": "tests.testchannel.connector.connector.TestStoreConnector"}


def register(settings) -> None:
    settings.STOCKROOM_CONNECTORS = {**settings.STOCKROOM_CONNECTORS, **REGISTRY_LINE}


def simulator_control(simulators, options):
    """The Test Store simulator (the process class the channel's spec names), reset for the test."""
    process_class = import_string(registry.channel_spec("teststore").simulator)
    simulators.get("teststore", time_scale=options.time_scale, process_class=process_class)
    control = simulators.control("teststore", time_scale=options.time_scale)
    return reset_control(control, options)
