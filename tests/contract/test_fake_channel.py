"""The fake channel implements the whole connector protocol (it runs the contract suite like a channel)."""

import inspect

import pytest

from stockroom.channels.contracts import ChannelConnector
from stockroom.sync.registry import connector_for
from tests.fake_channel import GOOD_CREDENTIALS, FakeChannel, FakeConnector

pytestmark = pytest.mark.contract


def protocol_members(protocol) -> set[str]:
    """Attributes and methods the protocol declares (its own, with the context manager's, if any)."""
    declared = set(vars(protocol).get("__annotations__", {}))
    declared |= {
        name
        for name, value in vars(protocol).items()
        if callable(value) and (not name.startswith("_") or name in ("__enter__", "__exit__"))
    }
    return declared


def test_the_fake_connector_has_every_member_of_the_protocol_with_its_signature():
    members = protocol_members(ChannelConnector)

    assert {"channel", "max_stock_batch", "capabilities", "check", "fetch_orders"} <= members
    assert sorted(name for name in members if not hasattr(FakeConnector, name)) == []
    for name in members:
        declared = vars(ChannelConnector).get(name)
        if callable(declared):
            expected = list(inspect.signature(declared).parameters)
            assert list(inspect.signature(getattr(FakeConnector, name)).parameters) == expected, name


def test_the_fake_is_built_by_the_registry_and_closed_as_a_context_manager(fake_account):
    account = fake_account(credentials=dict(GOOD_CREDENTIALS))

    with connector_for(account) as connector:
        assert isinstance(connector, FakeConnector)
        assert connector.check(orders_since=None).ok is True

    assert FakeChannel.of(account).closed == 1
