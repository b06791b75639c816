from django.contrib import admin

from stockroom.inventory.models import Location, StockLevel, StockMovement


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "feeds_channels"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never written: stock changes only through the services, which append to the ledger."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["item", "location", "on_hand", "allocated"]
    search_fields = ["item__sku"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "item", "location", "quantity", "on_hand_after", "reason", "user"]
    search_fields = ["item__sku", "reference"]
