from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "stockroom.orders"
    label = "orders"
