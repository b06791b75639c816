"""Shipments as packages: an order leaves in one or more numbered packages, each with its lines.

The one-to-one shipment becomes the order's package 1; its JSON lines become ``ShipmentLine`` rows
(linked to the order lines they name); every line of a processed order counts as shipped.
"""

import django.db.models.deletion
import django.db.models.expressions
from django.db import migrations, models


def packages_from_shipments(apps, schema_editor):
    ChannelShipment = apps.get_model("orders", "ChannelShipment")
    ShipmentLine = apps.get_model("orders", "ShipmentLine")
    OrderLine = apps.get_model("orders", "OrderLine")
    for shipment in ChannelShipment.objects.exclude(lines_json=[]).iterator(chunk_size=1000):
        by_ref = {
            line.external_line_id: line for line in OrderLine.objects.filter(order_id=shipment.order_id)
        }
        rows = []
        for entry in shipment.lines_json or []:
            line = by_ref.get(str(entry.get("external_line_id", "")))
            quantity = int(entry.get("quantity") or 0)
            if line is not None and quantity > 0:
                rows.append(ShipmentLine(shipment_id=shipment.pk, order_line_id=line.pk, quantity=quantity))
        ShipmentLine.objects.bulk_create(rows)
    # a processed order's units have all left (by us, or on the channel)
    OrderLine.objects.filter(order__status="processed").update(shipped_quantity=models.F("quantity"))
    if schema_editor.connection.vendor == "postgresql":
        # check the new rows' foreign keys now: PostgreSQL alters no table with pending trigger events
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def shipments_from_packages(apps, schema_editor):
    ChannelShipment = apps.get_model("orders", "ChannelShipment")
    ShipmentLine = apps.get_model("orders", "ShipmentLine")
    if ChannelShipment.objects.filter(number__gt=1).exists():
        raise RuntimeError("orders have several packages: they cannot go back to one shipment per order")
    for shipment in ChannelShipment.objects.iterator(chunk_size=1000):
        shipment.lines_json = [
            {"external_line_id": row.order_line.external_line_id, "quantity": row.quantity}
            for row in ShipmentLine.objects.filter(shipment_id=shipment.pk).select_related("order_line")
        ]
        shipment.save(update_fields=["lines_json"])


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0004_listing_log_answered_at"),
        ("orders", "0005_channelshipment_carrier"),
    ]

    operations = [
        migrations.RenameField(model_name="channelshipment", old_name="lines", new_name="lines_json"),
        migrations.AddField(
            model_name="channelshipment",
            name="number",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AlterField(
            model_name="channelshipment",
            name="order",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="shipments", to="orders.order"
            ),
        ),
        migrations.AlterField(
            model_name="channelshipment",
            name="account",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="shipments",
                to="channels.channelaccount",
            ),
        ),
        migrations.AlterField(
            model_name="channelshipment",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting to send"),
                    ("held", "Held (shipping data not submitted)"),
                    ("sent", "Confirmed to channel"),
                    ("error", "Error"),
                    ("not_needed", "Not sent (already shipped on the channel)"),
                    ("local", "Not sent (no channel: a manual order)"),
                ],
                default="pending",
                max_length=20,
            ),
        ),
        migrations.AlterModelOptions(
            name="channelshipment",
            options={"ordering": ["order_id", "number"]},
        ),
        migrations.AddConstraint(
            model_name="channelshipment",
            constraint=models.UniqueConstraint(
                fields=("order", "number"), name="orders_shipment_order_number_unique"
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="shipped_quantity",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="order",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("open", "Open"),
                    ("partially_dispatched", "Partially dispatched"),
                    ("processed", "Processed"),
                    ("cancelled", "Cancelled"),
                ],
                default="open",
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="ShipmentLine",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("quantity", models.PositiveIntegerField()),
                (
                    "order_line",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="shipment_lines",
                        to="orders.orderline",
                    ),
                ),
                (
                    "shipment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="orders.channelshipment",
                    ),
                ),
            ],
            options={
                "ordering": ["id"],
                "constraints": [
                    models.UniqueConstraint(fields=("shipment", "order_line"), name="orders_shipline_unique"),
                    models.CheckConstraint(
                        condition=models.Q(("quantity__gte", 1)), name="orders_shipline_quantity_positive"
                    ),
                ],
            },
        ),
        migrations.RunPython(packages_from_shipments, shipments_from_packages),
        migrations.RemoveField(model_name="channelshipment", name="lines_json"),
        migrations.AddConstraint(
            model_name="orderline",
            constraint=models.CheckConstraint(
                condition=models.Q(("shipped_quantity__lte", models.F("quantity"))),
                name="orders_line_shipped_within_quantity",
            ),
        ),
        migrations.AddConstraint(
            model_name="orderline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "allocated_quantity__lte",
                        django.db.models.expressions.CombinedExpression(
                            models.F("quantity"), "-", models.F("shipped_quantity")
                        ),
                    )
                ),
                name="orders_line_allocated_within_unshipped",
            ),
        ),
    ]
