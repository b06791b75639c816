"""Fixtures for web tests: users in each role and logged-in clients.

Users come from the suite's one factory, ``make_user(role=...)`` (tests/factories.py): an active user in
the "Administrator" or "Warehouse staff" group. Password for every user: ``PASSWORD``.
"""

from datetime import UTC, datetime

import pytest
from django.test import Client

from stockroom.orders.models import ChannelShipment, ShipmentStatus
from stockroom.web.permissions import ADMINISTRATOR, WAREHOUSE_STAFF
from tests.factories import PASSWORD  # noqa: F401 (imported by web tests from here)


@pytest.fixture
def admin_user(make_user):
    return make_user("alice", role=ADMINISTRATOR)


@pytest.fixture
def staff_user(make_user):
    return make_user("sam", role=WAREHOUSE_STAFF)


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


def failed_shipment(order, *, last_error: str = "") -> ChannelShipment:
    """A shipping confirmation for ``order`` (a channel order) that the channel refused."""
    return ChannelShipment.objects.create(
        order=order,
        account=order.account,
        status=ShipmentStatus.ERROR,
        package_reference=str(order.pk),
        shipping_method="Royal Mail 48",
        tracking_number="T",
        shipped_at=datetime(2026, 11, 21, tzinfo=UTC),
        last_error=last_error,
    )
