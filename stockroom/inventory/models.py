from django.conf import settings
from django.db import models
from django.db.models import F, Q

from stockroom.catalog.models import StockItem


class Location(models.Model):
    """A place stock is kept. Levels at locations that feed channels make up what can be sold."""

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    feeds_channels = models.BooleanField(default=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="inventory_one_default_location"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StockLevel(models.Model):
    """How many of an item are at a location (on_hand) and how many open orders hold (allocated)."""

    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="levels")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="levels")
    on_hand = models.IntegerField(default=0)
    allocated = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "location"], name="inventory_level_item_location_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="inventory_level_on_hand_not_negative"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0), name="inventory_level_allocated_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("on_hand")), name="inventory_level_allocated_within_on_hand"
            ),
        ]

    @property
    def available(self) -> int:
        return max(self.on_hand - self.allocated, 0)


class MovementReason(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    ADJUSTMENT = "adjustment", "Adjustment"
    COUNT = "count", "Stock count"
    DISPATCH = "dispatch", "Dispatch"


class StockMovement(models.Model):
    """Append-only ledger: the movements of a level always sum to its on_hand."""

    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements")
    quantity = models.IntegerField()
    on_hand_after = models.IntegerField()
    reason = models.CharField(max_length=20, choices=MovementReason.choices)
    note = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["item", "-created_at"], name="inv_movement_item_time")]


class PendingStockPush(models.Model):
    """Outbox row: this item's available quantity changed and must reach channels.

    Appended in the same transaction as the change (see ``inventory.outbox``); many rows per item
    coalesce into one push. The sync engine deletes the rows it has read, by id.
    """

    item = models.ForeignKey(StockItem, on_delete=models.CASCADE, related_name="pending_pushes")
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
