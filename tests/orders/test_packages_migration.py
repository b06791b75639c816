"""Migration 0006: each existing one-per-order shipment becomes its order's package 1."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from stockroom.channels.models import ChannelAccount
from stockroom.orders.models import ChannelShipment, OrderLine

BEFORE = [("orders", "0005_channelshipment_carrier")]


@pytest.mark.django_db(transaction=True)
def test_existing_shipments_become_the_first_package_of_their_order():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Location = apps.get_model("inventory", "Location")
    Order = apps.get_model("orders", "Order")
    Line = apps.get_model("orders", "OrderLine")
    Shipment = apps.get_model("orders", "ChannelShipment")
    # channels is not migrated back: today's model writes the account row
    account = ChannelAccount.objects.create(
        channel="amazon", name="Shop UK", external_account_id="S1", region="eu", marketplaces=[], options={}
    )
    # a transactional test before this one may have emptied the tables the initial migrations filled
    location = Location.objects.filter(is_default=True).first() or Location.objects.create(
        name="Main", is_default=True
    )
    when = datetime(2026, 11, 20, tzinfo=UTC)

    def order(ref, status, lines):
        made = Order.objects.create(
            account_id=account.pk, external_order_id=ref, status=status, location=location, purchased_at=when
        )
        for n, qty in enumerate(lines, start=1):
            Line.objects.create(
                order=made, external_line_id=f"{ref}-{n}", channel_sku=f"SKU-{n}", quantity=qty
            )
        return made

    sent = order("A", "processed", [2, 1])
    Shipment.objects.create(
        order=sent,
        account_id=account.pk,
        status="sent",
        package_reference=str(sent.pk),
        shipping_method="Courier",
        tracking_number="T1",
        shipped_at=when,
        lines=[{"external_line_id": "A-1", "quantity": 2}, {"external_line_id": "A-2", "quantity": 1}],
    )
    on_channel = order("B", "processed", [1])
    Shipment.objects.create(
        order=on_channel,
        account_id=account.pk,
        status="not_needed",
        package_reference="",
        shipping_method="",
        tracking_number="",
        shipped_at=when,
        lines=[],
    )
    waiting = order("C", "open", [4])

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    packages = {
        s.order.external_order_id: (
            s.number,
            s.status,
            s.package_reference,
            [(row.order_line.external_line_id, row.quantity) for row in s.lines.all()],
        )
        for s in ChannelShipment.objects.select_related("order")
    }
    assert packages == {
        "A": (1, "sent", str(sent.pk), [("A-1", 2), ("A-2", 1)]),
        "B": (1, "not_needed", "", []),
    }
    assert dict(OrderLine.objects.values_list("external_line_id", "shipped_quantity")) == {
        "A-1": 2,
        "A-2": 1,
        "B-1": 1,
        "C-1": 0,
    }
    assert waiting.pk in OrderLine.objects.values_list("order_id", flat=True)
