"""SKUs unique by their identity key (case, width and special spaces folded) on every database."""

from django.db import migrations

from stockroom.core.fields import identity_key_operations


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = identity_key_operations(
        "catalog",
        "StockItem",
        source="sku",
        key="sku_key",
        label="SKU",
        replaces_constraint="catalog_stockitem_sku_ci_unique",
    )
