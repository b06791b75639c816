from django.db import models

from stockroom.core.fields import IdentityKeyField
from stockroom.core.models import TimeStampedModel


class StockItem(TimeStampedModel):
    """Something the seller keeps on a shelf, known by its internal SKU.

    SKUs are unique by ``sku_key`` (``core.text.identity_key``: case, width and special spaces
    folded), so ``ÄPFEL`` and ``äpfel`` cannot both exist, on SQLite as on PostgreSQL.
    """

    sku = models.CharField(max_length=100, unique=True)
    sku_key = IdentityKeyField(max_length=400, source="sku", unique=True)
    title = models.CharField(max_length=500)
    barcode = models.CharField(max_length=64, blank=True, db_index=True)
    weight_grams = models.PositiveIntegerField(null=True, blank=True)
    length_mm = models.PositiveIntegerField(null=True, blank=True)
    width_mm = models.PositiveIntegerField(null=True, blank=True)
    height_mm = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return self.sku
