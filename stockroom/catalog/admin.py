from django.contrib import admin

from stockroom.catalog.models import StockItem


@admin.register(StockItem)
class StockItemAdmin(admin.ModelAdmin):
    list_display = ["sku", "title", "barcode"]
    search_fields = ["sku", "title", "barcode"]
