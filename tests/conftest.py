"""Shared fixtures and factories for the whole suite.

Simulators: every test that talks to a channel simulator uses the fixtures of the simulators' pytest
plugin (``amazon_simulator``, ``amazon_sim``, ``simulator_options``: see stockroom/sandbox/pytest_plugin.py),
also under the short names ``sim`` and ``control``.
Users: ``make_user`` (tests/factories.py). The official channel contracts: tests/reference.py.
"""

import importlib
import itertools
import os
import warnings
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import settings as hypothesis_settings

from stockroom.catalog.models import StockItem
from stockroom.catalog.services import create_stock_item
from stockroom.channels.contracts import Address, ChannelOrder, ChannelOrderLine, ChannelOrderStatus
from stockroom.channels.models import ChannelAccount, Listing
from stockroom.inventory.services import adjust_stock
from tests import fake_channel, reference
from tests.factories import create_user

pytest_plugins = ["stockroom.sandbox.pytest_plugin"]

_seq = itertools.count(1)

# Property-based tests: few examples by default so the suite stays fast; HYPOTHESIS_PROFILE=ci for more.
# No example database is written into the work tree.
hypothesis_settings.register_profile("default", max_examples=40, deadline=None, database=None)
hypothesis_settings.register_profile("ci", max_examples=400, deadline=None, database=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_sessionstart(session):
    if reference.under_ci() and not reference.available():
        pytest.exit(f"CI=true and the conformance tests cannot run: {reference.missing()}", returncode=1)


def pytest_runtest_setup(item):
    """Conformance tests compare with the official channel contracts: skipped with the reason when they are
    not found, a failure under CI=true."""
    if item.get_closest_marker("conformance") is not None:
        reference.require()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="session")
def simulator_record_dir(tmp_path_factory):
    """Every simulator that can record its exchanges does, for ``simulators`` to check at the end."""
    return tmp_path_factory.mktemp("simulator-records")


# the conformance check of each channel whose simulator records its exchanges: module, function
RECORD_CHECKS = {"ebay": ("tests.sandbox.ebay_conformance", "missing_oas", "check_recordings")}


@pytest.fixture(scope="session")
def simulators(simulators):
    """The plugin's simulators; at the end of the session every exchange they served in the tests (every
    request Stockroom sent, every answer) is checked against the channel's official contract. Without the
    contract the check is skipped with a warning; under CI=true that fails the run."""
    yield simulators
    failures = []
    for channel, paths in simulators.recordings().items():
        module_name, missing_name, check_name = RECORD_CHECKS[channel]
        module = importlib.import_module(module_name)
        reason = getattr(module, missing_name)()
        if reason:
            if reference.under_ci():
                failures.append(f"CI=true and {channel}'s recorded exchanges cannot be checked: {reason}")
            else:
                warnings.warn(f"{channel}'s recorded exchanges are not checked: {reason}", stacklevel=1)
            continue
        checked, violations = getattr(module, check_name)(paths)
        if violations:
            shown = "\n  ".join(violations[:30])
            failures.append(f"{len(violations)} of {checked} {channel} exchanges do not conform:\n  {shown}")
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Django's cache (access tokens kept across runs, ...) starts empty in every test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def on_postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run the suite with DATABASE_URL=postgres://...")


@pytest.fixture
def sim(amazon_simulator):
    """The running Amazon simulator (the plugin's ``amazon_simulator``), by the short name tests use."""
    return amazon_simulator


@pytest.fixture
def control(amazon_sim):
    """Its control API, reset before the test (the plugin's ``amazon_sim``)."""
    return amazon_sim


@pytest.fixture
def make_user(db):
    """``make_user(username=None, *, role="Warehouse staff", password=PASSWORD, **fields)``."""
    return create_user


@pytest.fixture
def make_item(db):
    def make(sku: str | None = None, *, on_hand: int = 0, title: str | None = None) -> StockItem:
        sku = sku or f"SKU-{next(_seq)}"
        item = create_stock_item(sku=sku, title=title or f"Item {sku}")
        if on_hand:
            adjust_stock(item=item, set_to=on_hand, reason="opening stock")
        return item

    return make


@pytest.fixture
def make_account(db):
    def make(
        name: str | None = None,
        *,
        channel: str = "amazon",
        credentials: dict | None = None,
        external_account_id: str | None = None,
        **options,
    ) -> ChannelAccount:
        n = next(_seq)
        return ChannelAccount.objects.create(
            channel=channel,
            name=name or f"Shop {n}",
            external_account_id=external_account_id or f"SELLER{n}",
            region="eu",
            marketplaces=["A1F83G8C2ARO7P"],
            options=options,
            credentials=credentials
            or {"client_id": "id", "client_secret": "secret", "refresh_token": "token"},
        )

    return make


@pytest.fixture
def fake_connector_registered(settings):
    """The one fake channel (tests/fake_channel.py) registered for the channel key "fake", its in-memory
    state empty before and after the test."""
    settings.STOCKROOM_CONNECTORS = {
        **getattr(settings, "STOCKROOM_CONNECTORS", {}),
        "fake": fake_channel.CONNECTOR,
    }
    fake_channel.reset()
    yield fake_channel
    fake_channel.reset()


@pytest.fixture
def fake_account(make_account, fake_connector_registered):
    """``fake_account(name=None, *, credentials=GOOD_CREDENTIALS, external_account_id=None, **options)``:
    an account of the fake channel (by default with the credentials it accepts)."""

    def make(name=None, *, credentials=None, external_account_id=None, **options):
        return make_account(
            name,
            channel="fake",
            credentials=credentials or dict(fake_channel.GOOD_CREDENTIALS),
            external_account_id=external_account_id,
            **options,
        )

    return make


@pytest.fixture
def link():
    def make(account: ChannelAccount, channel_sku: str, item: StockItem | None, **fields) -> Listing:
        return Listing.objects.create(account=account, channel_sku=channel_sku, stock_item=item, **fields)

    return make


def channel_order(
    order_id: str | None = None,
    *,
    lines=(("SKU-1", 1),),
    status=ChannelOrderStatus.UNSHIPPED,
    buyer_name="Ann Buyer",
    purchased_at=None,
    **fields,
) -> ChannelOrder:
    order_id = order_id or f"202-{next(_seq):07d}-0000001"
    purchased_at = purchased_at or datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    return ChannelOrder(
        external_order_id=order_id,
        status=status,
        purchased_at=purchased_at,
        last_updated_at=purchased_at + timedelta(minutes=5),
        lines=tuple(
            ChannelOrderLine(
                external_line_id=f"{order_id}-{n}",
                channel_sku=sku,
                quantity=qty,
                unit_price=Decimal("9.99"),
                title=f"Product {sku}",
            )
            for n, (sku, qty) in enumerate(lines, start=1)
        ),
        buyer_name=buyer_name,
        currency="GBP",
        marketplace="A1F83G8C2ARO7P",
        address=Address(
            name=buyer_name, line1="1 High Street", city="Leeds", postcode="LS1 1AA", country_code="GB"
        ),
        total=Decimal("9.99"),
        **fields,
    )


@pytest.fixture
def make_channel_order():
    return channel_order


PACKED_LINES = ("202-0000001-0000001-1", "202-0000001-0000001-2")


@pytest.fixture
def packed_order(make_item, make_account, link):
    """An open order of "UK shop" (Amazon): 3 mugs (line ``PACKED_LINES[0]``) and 1 cup, all allocated;
    shipping methods Courier (active) and Old (inactive). Returns its id."""
    from stockroom.orders.models import ShippingMethod
    from stockroom.orders.services import import_channel_order

    ShippingMethod.objects.bulk_create(
        [ShippingMethod(name="Courier"), ShippingMethod(name="Old", active=False)]
    )
    account = make_account("UK shop")
    link(account, "AMZ-MUG", make_item("MUG", on_hand=10))
    link(account, "AMZ-CUP", make_item("CUP", on_hand=10))
    data = channel_order("202-0000001-0000001", lines=[("AMZ-MUG", 3), ("AMZ-CUP", 1)])
    return import_channel_order(account=account, data=data).order_id
