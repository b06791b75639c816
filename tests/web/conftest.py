"""Fixtures for web tests: users in each role and logged-in clients.

``make_user(role=...)`` creates an active user in the "Administrator" or "Warehouse staff" group
(the groups come from the web app's data migration). Password for every user: ``PASSWORD``.
"""

import itertools
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from stockroom.orders.models import ChannelShipment, ShipmentStatus
from stockroom.web.permissions import ADMINISTRATOR, WAREHOUSE_STAFF

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


@pytest.fixture
def make_user(db):
    def make(username: str | None = None, *, role: str | None = WAREHOUSE_STAFF, **fields) -> User:
        user = User.objects.create_user(username or f"user{next(_seq)}", password=PASSWORD, **fields)
        if role:
            # get_or_create: a transactional test elsewhere may have flushed the migration's groups
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return make


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
