from django.contrib import admin

from stockroom.orders.models import ChannelShipment, Order, OrderEvent, OrderLine, ShippingMethod


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["stock_item"]
    readonly_fields = ["allocated_quantity"]


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    readonly_fields = ["created_at", "user", "kind", "message"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["external_order_id", "source", "account", "status", "buyer_name", "purchased_at"]
    list_filter = ["status", "source", "allocation_state"]
    search_fields = ["external_order_id", "buyer_name"]
    inlines = [OrderLineInline, OrderEventInline]
    readonly_fields = ["status", "allocation_state"]  # status changes go through the services


admin.site.register(ShippingMethod)
admin.site.register(ChannelShipment)
