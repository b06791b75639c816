from django.contrib import admin

from stockroom.channels.models import ChannelAccount, Listing, ListingStatusLog, ShippingMethodMapping


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "external_account_id", "region", "enabled"]
    exclude = ["credentials"]  # never shown back; edit through the Accounts screen


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["account", "channel_sku", "stock_item", "status", "last_confirmed_quantity"]
    list_filter = ["account", "status"]
    search_fields = ["channel_sku", "stock_item__sku"]
    raw_id_fields = ["stock_item"]


admin.site.register(ListingStatusLog)
admin.site.register(ShippingMethodMapping)
