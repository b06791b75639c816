from django.db import models
from django.db.models.functions import Lower

from stockroom.core.models import TimeStampedModel


class StockItem(TimeStampedModel):
    """Something the seller keeps on a shelf, known by its internal SKU."""

    sku = models.CharField(max_length=100, unique=True)
    title = models.CharField(max_length=500)
    barcode = models.CharField(max_length=64, blank=True, db_index=True)
    weight_grams = models.PositiveIntegerField(null=True, blank=True)
    length_mm = models.PositiveIntegerField(null=True, blank=True)
    width_mm = models.PositiveIntegerField(null=True, blank=True)
    height_mm = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(Lower("sku"), name="catalog_stockitem_sku_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.sku
