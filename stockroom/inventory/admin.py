from django.contrib import admin

from stockroom.inventory.models import Location, StockLevel, StockMovement


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "feeds_channels"]


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = ["item", "location", "on_hand", "allocated"]
    search_fields = ["item__sku"]
    readonly_fields = ["item", "location", "on_hand", "allocated"]  # change stock through the services only


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ["created_at", "item", "location", "quantity", "on_hand_after", "reason", "user"]
    search_fields = ["item__sku", "reference"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
